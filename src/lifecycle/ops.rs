//! `up`, `down`, `refresh` and `reap`.

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use super::app_vars::app_variables;
use super::config::LifecycleConfig;
use super::data;
use super::outcome::{Operation, Outcome};
use crate::phases::PhaseClock;
use crate::platform::{EnvRef, Platform, RunInProgress, RunLock};

/// `up`: what to bring up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpRequest {
    pub pr: u64,
    /// The PR's head commit (never the merge commit).
    pub sha: String,
    pub branch: Option<String>,
    /// Re-copy production even though the environment already has data.
    pub refresh_data: bool,
    /// Keep a freshly created environment when a later step fails (for debugging).
    pub keep_on_failure: bool,
}

/// `reap`: what counts as stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReapRequest {
    pub max_age: Duration,
    /// PRs still open; an environment whose PR is not listed is stale. `None`: age only.
    pub open_prs: Option<Vec<u64>>,
    pub dry_run: bool,
}

/// A lifecycle operation that failed at `step`. `outcome` holds what was known by then.
#[derive(Debug)]
pub struct Failure {
    pub step: String,
    pub outcome: Box<Outcome>,
    /// A fresh environment was created and deleted again.
    pub rolled_back: bool,
    pub cause: anyhow::Error,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match (self.outcome.created, self.rolled_back) {
            (true, true) => "; the environment created by this run was deleted again",
            (true, false) => "; the environment created by this run was kept (--keep-on-failure)",
            (false, _)
                if self.outcome.operation != Operation::Reap
                    && self.outcome.environment_id.is_none() =>
            {
                "; nothing was changed"
            }
            (false, _) => "; the existing environment keeps its previous state",
        };
        write!(
            f,
            "{} failed at step `{}`{what}: {:#}",
            self.outcome.operation.as_str(),
            self.step,
            self.cause
        )
    }
}

impl std::error::Error for Failure {}

/// Copies the step times, the run's duration and the platform's API use into `outcome`.
fn finish(steps: &PhaseClock, outcome: &mut Outcome, platform: &impl Platform) {
    outcome.phases = steps.phases().to_vec();
    outcome.duration_seconds = steps.total_seconds();
    let api = platform.api_use();
    outcome.api_calls = api.calls;
    outcome.api_polls = api.polls;
}

fn expires(cfg: &LifecycleConfig) -> Option<String> {
    SystemTime::now()
        .checked_add(cfg.ttl)
        .map(|t| humantime::format_rfc3339_seconds(t).to_string())
}

/// Brings the PR's environment up: creates it (or reuses it), copies production data into it on
/// creation (or when asked), deploys the PR's head commit and returns where to find it. Another
/// `up` or `refresh` for the same PR that is still running makes it fail at once, changing
/// nothing.
pub async fn up(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    req: &UpRequest,
) -> anyhow::Result<Outcome> {
    let lock = hold(platform, cfg, Operation::Up, req.pr, Duration::ZERO).await?;
    let result = up_held(platform, cfg, req).await;
    lock.release().await;
    result
}

/// Keeps other runs off the PR's environment. While another run holds it, waits up to `wait`
/// (zero: not at all) for it to end, then fails (step `lock environment`).
pub(super) async fn hold(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    op: Operation,
    pr: u64,
    wait: Duration,
) -> anyhow::Result<RunLock> {
    let name = cfg.environment_name(pr);
    let deadline = Instant::now() + wait;
    let mut said = false;
    loop {
        let cause = match platform.lock_environment(&name).await {
            Ok(lock) => return Ok(lock),
            Err(cause) => cause,
        };
        let busy = cause.is::<RunInProgress>();
        if busy && Instant::now() < deadline {
            if !said {
                tracing::warn!(
                    environment = %name,
                    "another wpstage run is on this environment; waiting for it to finish"
                );
                said = true;
            }
            tokio::time::sleep(Duration::from_millis(500).min(wait)).await;
            continue;
        }
        let cause = if busy && !wait.is_zero() {
            cause.context(format!(
                "waited {} s for it; nothing was deleted, rerun `{}` when it has ended",
                wait.as_secs(),
                op.as_str()
            ))
        } else {
            cause
        };
        let mut outcome = Outcome::new(op, platform.name(), &name);
        outcome.pr = Some(pr);
        return Err(fail("lock environment", outcome, false, cause));
    }
}

async fn up_held(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    req: &UpRequest,
) -> anyhow::Result<Outcome> {
    let (mut outcome, mut steps, existing) = begin(platform, cfg, Operation::Up, req.pr).await?;
    let name = outcome.environment_name.clone();
    let env = match existing {
        Some(env) => env,
        None => match platform.create_environment(&name, req.pr).await {
            Ok(env) => {
                outcome.created = true;
                env
            }
            Err(cause) => return Err(fail("create environment", outcome, false, cause)),
        },
    };
    outcome.environment_id = Some(env.id.clone());
    steps.mark("environment");
    crate::sync::fault_hook::reached(crate::sync::fault_hook::Phase::Environment).await;
    match up_steps(platform, cfg, req, &env, &mut outcome, &mut steps).await {
        Ok(()) => {
            finish(&steps, &mut outcome, platform);
            outcome.expires_at = expires(cfg);
            Ok(outcome)
        }
        Err((step, cause)) => {
            finish(&steps, &mut outcome, platform);
            let mut rolled_back = false;
            if outcome.created && !req.keep_on_failure {
                match platform.delete_environment(&env).await {
                    Ok(_) => rolled_back = true,
                    Err(e) => outcome.warnings.push(format!(
                        "the environment {name} created by this run could not be deleted ({e:#}); \
                         run `wpstage down --pr {}` to remove it",
                        req.pr
                    )),
                }
            }
            Err(fail(&step, outcome, rolled_back, cause))
        }
    }
}

async fn up_steps(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    req: &UpRequest,
    env: &EnvRef,
    outcome: &mut Outcome,
    steps: &mut PhaseClock,
) -> Result<(), (String, anyhow::Error)> {
    let preview = preview(platform, env, outcome).await?;
    steps.mark("domain");
    let staging = platform
        .staging_database(env)
        .await
        .map_err(at("staging database"))?;
    steps.mark("database");
    let needs_data = req.refresh_data
        || !data::is_synced(&staging)
            .await
            .map_err(at("staging database"))?;
    // With --overlap-build the copy runs while the app builds, after everything the deploy needs.
    let overlap = cfg.overlap_build && needs_data;
    if needs_data && !overlap {
        copy_production(platform, cfg, env, &staging, &preview, outcome).await?;
        steps.mark("data copy");
    }
    let source_siteurl = platform
        .source_app_variable("WP_SITEURL")
        .await
        .map_err(at("app variables"))?;
    let vars = app_variables(&cfg.app_vars, &preview, source_siteurl.as_deref());
    platform
        .configure_app(env, &vars)
        .await
        .map_err(at("app variables"))?;
    let warnings = platform
        .prepare_app(env, req.branch.as_deref())
        .await
        .map_err(at("app source"))?;
    outcome.warnings.extend(warnings);
    // Last, so that it sees every variable the app will deploy with.
    platform
        .check_app_database(env)
        .await
        .map_err(at("app database"))?;
    steps.mark("configure");
    let deployment = if overlap {
        let copy = super::overlap::Copy {
            staging: &staging,
            preview: &preview,
        };
        super::overlap::deploy_while_copying(platform, cfg, req, env, copy, outcome, steps).await?
    } else {
        deploy_now(platform, cfg, env, &req.sha)
            .await
            .map_err(at("deploy"))?
    };
    outcome.deployment = Some(deployment);
    steps.mark("deploy");
    let overrides: Vec<String> = vars.keys().cloned().collect();
    match platform.fidelity(env, &overrides).await {
        Ok(issues) => outcome.fidelity = issues,
        Err(e) => outcome
            .warnings
            .push(format!("the fidelity check could not run: {e:#}")),
    }
    steps.mark("fidelity");
    Ok(())
}

/// Deploys `sha` and waits for it, or only starts it (`--no-wait`).
pub(super) async fn deploy_now(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    env: &EnvRef,
    sha: &str,
) -> anyhow::Result<crate::platform::DeploymentSummary> {
    if cfg.wait_for_deploy {
        platform.deploy_app(env, sha, cfg.deploy_timeout).await
    } else {
        platform.trigger_app(env, sha).await
    }
}

/// The outcome of `op` for `pr`, its step clock, and the PR's environment if it exists.
async fn begin(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    op: Operation,
    pr: u64,
) -> anyhow::Result<(Outcome, PhaseClock, Option<EnvRef>)> {
    let steps = PhaseClock::new();
    let name = cfg.environment_name(pr);
    let mut outcome = Outcome::new(op, platform.name(), &name);
    outcome.pr = Some(pr);
    let env = match platform.find_environment(&name).await {
        Ok(env) => env,
        Err(cause) => return Err(fail("find environment", outcome, false, cause)),
    };
    if let Some(env) = &env {
        outcome.environment_id = Some(env.id.clone());
    }
    Ok((outcome, steps, env))
}

/// Tags an error with the step it happened in.
pub(super) fn at(step: &'static str) -> impl FnOnce(anyhow::Error) -> (String, anyhow::Error) {
    move |e| (step.to_owned(), e)
}

/// The environment's preview URL (created if missing), recorded with its wp-admin link.
async fn preview(
    platform: &impl Platform,
    env: &EnvRef,
    outcome: &mut Outcome,
) -> Result<String, (String, anyhow::Error)> {
    let preview = platform
        .preview_url(env)
        .await
        .map_err(at("preview domain"))?;
    outcome.preview_url = Some(preview.clone());
    outcome.admin_url = Some(format!("{}/wp-admin/", preview.trim_end_matches('/')));
    Ok(preview)
}

/// Streams production into `staging` with the site URL rewritten to `preview`.
pub(super) async fn copy_production(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    env: &EnvRef,
    staging: &crate::postgres::DbUrl,
    preview: &str,
    outcome: &mut Outcome,
) -> Result<(), (String, anyhow::Error)> {
    let from_base =
        super::base::copy_from_base(platform, cfg, env, staging, preview, &mut outcome.warnings);
    if let Some(summary) = from_base.await.map_err(at("data copy"))? {
        outcome.data = Some(summary);
        return Ok(());
    }
    let inside = super::copy_in::copy_inside(platform, cfg, env, preview, &mut outcome.warnings);
    if let Some(summary) = inside.await.map_err(at("data copy"))? {
        outcome.data = Some(summary);
        return Ok(());
    }
    let source = platform
        .source_database()
        .await
        .map_err(at("source database"))?;
    let site = data::production_site_url(cfg, &source)
        .await
        .map_err(at("site url"))?;
    let (_, summary) = data::copy(cfg, &source, staging, &site, preview)
        .await
        .map_err(at("data copy"))?;
    outcome.data = Some(summary);
    Ok(())
}

pub(super) fn fail(
    step: &str,
    outcome: Outcome,
    rolled_back: bool,
    cause: anyhow::Error,
) -> anyhow::Error {
    anyhow::Error::new(Failure {
        step: step.to_owned(),
        outcome: Box::new(outcome),
        rolled_back,
        cause,
    })
}

/// `down` once the environment is held: deletes it when it exists.
pub(super) async fn down_held(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    pr: u64,
) -> anyhow::Result<Outcome> {
    let (mut outcome, mut steps, env) = begin(platform, cfg, Operation::Down, pr).await?;
    if let Some(env) = env {
        crate::sync::fault_hook::reached(crate::sync::fault_hook::Phase::Delete).await;
        outcome.deleted = platform
            .delete_environment(&env)
            .await
            .map_err(|e| fail("delete environment", outcome.clone(), false, e))?;
    }
    steps.mark("delete");
    finish(&steps, &mut outcome, platform);
    Ok(outcome)
}

/// Re-copies production into the PR's environment; on failure staging keeps its old data. Like
/// `up`, it fails at once while another run for the PR is on the environment.
pub async fn refresh(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    pr: u64,
) -> anyhow::Result<Outcome> {
    let lock = hold(platform, cfg, Operation::Refresh, pr, Duration::ZERO).await?;
    let result = refresh_held(platform, cfg, pr).await;
    lock.release().await;
    result
}

async fn refresh_held(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    pr: u64,
) -> anyhow::Result<Outcome> {
    let (mut outcome, mut steps, env) = begin(platform, cfg, Operation::Refresh, pr).await?;
    let name = outcome.environment_name.clone();
    let Some(env) = env else {
        let cause = anyhow::anyhow!(
            "there is no staging environment {name} for PR #{pr}; bring it up first (`wpstage up \
             --pr {pr} --sha …`, or push to the PR)"
        );
        return Err(fail("find environment", outcome, false, cause));
    };
    let result: Result<(), (String, anyhow::Error)> = async {
        crate::sync::fault_hook::reached(crate::sync::fault_hook::Phase::Environment).await;
        let preview = preview(platform, &env, &mut outcome).await?;
        let staging = platform
            .staging_database(&env)
            .await
            .map_err(at("staging database"))?;
        steps.mark("prepare");
        copy_production(platform, cfg, &env, &staging, &preview, &mut outcome).await?;
        steps.mark("data copy");
        Ok(())
    }
    .await;
    finish(&steps, &mut outcome, platform);
    match result {
        Ok(()) => {
            outcome.expires_at = expires(cfg);
            Ok(outcome)
        }
        Err((step, cause)) => Err(fail(&step, outcome, false, cause)),
    }
}

/// Deletes wpstage's environments that are older than `max_age` or whose PR is closed, and the
/// helper databases interrupted copies left beside environments (never one a run is using).
pub async fn reap(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    req: &ReapRequest,
) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::new(Operation::Reap, platform.name(), "");
    outcome.dry_run = req.dry_run;
    let mut steps = PhaseClock::new();
    let envs = platform
        .list_environments()
        .await
        .map_err(|e| fail("list environments", outcome.clone(), false, e))?;
    let now = SystemTime::now();
    for info in envs {
        if !info.env.name.starts_with(&cfg.prefix) {
            continue;
        }
        let too_old = info
            .created_at
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age > req.max_age);
        let closed = match (&req.open_prs, info.pr) {
            (Some(open), Some(pr)) => !open.contains(&pr),
            _ => false,
        };
        if !(too_old || closed) {
            continue;
        }
        if !req.dry_run {
            platform.delete_environment(&info.env).await.map_err(|e| {
                fail(
                    &format!("delete {}", info.env.name),
                    outcome.clone(),
                    false,
                    e,
                )
            })?;
        }
        outcome.reaped.push(info.env.name.clone());
    }
    match platform.reap_helpers(&cfg.prefix, req.dry_run).await {
        Ok(sweep) => {
            outcome.reaped_helpers = sweep.removed;
            outcome
                .warnings
                .extend(sweep.in_use.into_iter().map(|name| {
                    format!(
                        "the helper database {name} is in use by a running copy and was left \
                         alone (that run removes it, or a later reap)"
                    )
                }));
        }
        Err(e) => outcome.warnings.push(format!(
            "leftover helper databases could not be looked for ({e:#}); rerun reap to remove them"
        )),
    }
    match platform.unmarked_candidates().await {
        Ok(found) => outcome.warnings.extend(
            found
                .into_iter()
                .filter(|env| env.name.starts_with(&cfg.prefix))
                .map(|env| {
                    format!(
                        "{} looks like a leftover of a cancelled run (made from the source \
                         environment, never marked as wpstage's); it is not deleted: the next \
                         `up` for its PR adopts it, or delete it in the Railway dashboard",
                        env.name
                    )
                }),
        ),
        Err(e) => outcome
            .warnings
            .push(format!("unmarked environments could not be listed: {e:#}")),
    }
    steps.mark("reap");
    finish(&steps, &mut outcome, platform);
    Ok(outcome)
}
