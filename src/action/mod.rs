//! `wpstage action`: the GitHub Action (and Kestra) adapter around the lifecycle.
//!
//! config → mask every secret → event → intent → (skip with a notice) → PR comment "starting"
//! and deployment `in_progress` → lifecycle → comment ready / failed / torn down, deployment
//! status, outputs, step summary. A GitHub API failure never undoes Railway work: it is reported
//! (`::error::`, non-zero exit) and the next run repairs the comment. Fork and Dependabot PRs
//! make no GitHub write and no Railway call.

pub mod commands;
pub mod comment;
pub mod config;
mod flow;
mod inputs;
pub mod runner_io;
#[cfg(any(test, feature = "test-support"))]
pub mod scripted;
pub mod seam;
pub mod wire;

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

use commands::{Level, Secrets};
use config::{ActionConfig, SECRET_INPUTS};
use runner_io::{Outputs, Ui};
use seam::Lifecycle;

use crate::event::{self, Gate, Intent};
use crate::github::GitHub;
use crate::postgres::DbUrl;

/// Runs the action with the production lifecycle; `out` must be the process' stdout (mask
/// commands of credentials derived later go there directly).
pub async fn run(env: HashMap<String, String>, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    run_with(env, out, Secrets::stdout(), wire::connect).await
}

/// Runs the action with a lifecycle made by `make`, which is called only once the run is known
/// to need Railway (never for skipped or ignored events).
pub async fn run_with<W, L, F>(
    env: HashMap<String, String>,
    out: &mut W,
    secrets: Secrets,
    make: F,
) -> anyhow::Result<ExitCode>
where
    W: Write,
    L: Lifecycle,
    F: FnOnce(&ActionConfig, Secrets) -> anyhow::Result<L>,
{
    mask_raw_inputs(&env, &secrets);
    let mut ui = Ui::new(out, secrets.clone());
    let cfg = match ActionConfig::from_env(&env) {
        Ok(cfg) => cfg,
        Err(e) => {
            ui.annotate(Level::Error, "wpstage: configuration", &e.to_string())?;
            return Ok(ExitCode::FAILURE);
        }
    };
    drop(env);
    for value in cfg.secret_values() {
        secrets.add(&value);
    }
    let files = [
        (&cfg.github.output, "$GITHUB_OUTPUT"),
        (&cfg.github.step_summary, "$GITHUB_STEP_SUMMARY"),
    ];
    for (path, what) in files {
        if let Some(Err(e)) = path.as_deref().map(|p| commands::check_writable(p, what)) {
            ui.annotate(Level::Error, "wpstage: runner files", &e.to_string())?;
            return Ok(ExitCode::FAILURE);
        }
    }
    for input in &cfg.unknown_inputs {
        // As the runner does: an undeclared `with:` key is a warning, and the run goes on.
        ui.annotate(
            Level::Warning,
            "wpstage: unknown input",
            &format!(
                "`{input}` is not an input of wpstage and is ignored; check its spelling against \
                 action.yml"
            ),
        )?;
    }
    let github = match github_client(&cfg) {
        Ok(gh) => gh,
        Err(e) => {
            ui.annotate(Level::Error, "wpstage: GitHub", &e.to_string())?;
            return Ok(ExitCode::FAILURE);
        }
    };

    ui.group("wpstage: reading the event")?;
    let intent = resolve(&cfg, github.as_ref()).await;
    ui.endgroup()?;
    let intent = match intent {
        Ok(intent) => intent,
        Err(e) => {
            ui.annotate(Level::Error, "wpstage", &format!("{e:#}"))?;
            return Ok(ExitCode::FAILURE);
        }
    };
    match &intent {
        Intent::Skip(why) | Intent::Ignore(why) => {
            ui.annotate(Level::Notice, "wpstage: nothing to do", why)?;
            let outputs = Outputs {
                operation: "skip".to_owned(),
                ..Outputs::default()
            };
            outputs.write(&cfg, &mut ui)?;
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    if github.is_none() && cfg.github.event_name.is_some() {
        ui.annotate(
            Level::Warning,
            "wpstage: no PR comment",
            "github_token is empty, so no PR comment and no deployment are written; pass \
             `github_token: ${{ github.token }}` (the default)",
        )?;
    }
    if let Err(e) = cfg.require_railway_token() {
        ui.annotate(Level::Error, "wpstage: configuration", &e.to_string())?;
        return Ok(ExitCode::FAILURE);
    }
    let lifecycle = match make(&cfg, secrets.clone()) {
        Ok(lc) => lc,
        Err(e) => {
            ui.annotate(Level::Error, "wpstage: Railway", &format!("{e:#}"))?;
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut flow = flow::Flow::new(&cfg, github.as_ref(), ui);
    flow.execute(&lifecycle, intent).await
}

/// What the event (or the `operation` input) asks for; a dispatch fetches its PR.
async fn resolve(cfg: &ActionConfig, github: Option<&GitHub>) -> anyhow::Result<Intent> {
    let gate = Gate {
        has_railway_token: cfg.railway_token.is_some(),
        require_label: cfg.require_label.clone(),
    };
    if let Some(intent) = event::from_operation(
        cfg.operation,
        cfg.pr_number,
        cfg.head_sha.as_deref(),
        cfg.head_ref.as_deref(),
    )? {
        return Ok(intent);
    }
    let (Some(name), Some(path)) = (&cfg.github.event_name, &cfg.github.event_path) else {
        anyhow::bail!(
            "no GitHub event: GITHUB_EVENT_NAME and GITHUB_EVENT_PATH are unset; outside GitHub \
             Actions set the `operation` input (up, down, refresh or reap) and `pr_number`"
        );
    };
    let payload = std::fs::read(path).map_err(|e| {
        anyhow::anyhow!(
            "could not read the event payload {} ({e}); GITHUB_EVENT_PATH must name the runner's \
             event file",
            path.display()
        )
    })?;
    match event::from_event(name, &payload, cfg.pr_number, &gate)? {
        Intent::Dispatch { pr } => {
            let Some(gh) = github else {
                anyhow::bail!(
                    "refreshing PR #{pr} needs `github_token` to check that the PR is open; keep \
                     its default `${{{{ github.token }}}}`"
                );
            };
            let pull = gh.pull_request(pr).await?;
            Ok(event::gate_dispatch(&pull, &gate)?)
        }
        other => Ok(other),
    }
}

/// The GitHub client, when there is a token and a repository (none on Kestra without them).
fn github_client(cfg: &ActionConfig) -> anyhow::Result<Option<GitHub>> {
    let (Some(token), Some((owner, repo))) = (&cfg.github_token, cfg.github.owner_repo()) else {
        return Ok(None);
    };
    Ok(Some(GitHub::new(&cfg.github.api_url, token, owner, repo)?))
}

/// Masks the secret inputs straight from the environment, before anything is parsed or printed
/// (also the password inside a database URL, which may appear on its own).
fn mask_raw_inputs(env: &HashMap<String, String>, secrets: &Secrets) {
    for name in SECRET_INPUTS {
        if let Some(value) = env.get(name) {
            let value = value.trim();
            secrets.add(value);
            if let Ok(url) = DbUrl::parse(value, "masked")
                && let Some(pw) = url.password()
            {
                secrets.add(&pw);
            }
        }
    }
}

#[cfg(test)]
#[path = "action_tests.rs"]
mod tests;
