//! What a GitHub event asks for: the webhook payload of `GITHUB_EVENT_PATH` (or an explicit
//! `operation` input) becomes an [`Intent`]. Pure: no I/O, no environment, no clock.
//!
//! The head SHA always comes from `pull_request.head.sha`; `GITHUB_SHA` is the test merge commit
//! of a `pull_request` run and is never used.

use serde::Deserialize;

/// The login GitHub gives Dependabot; its PRs run without repository secrets.
pub const DEPENDABOT: &str = "dependabot[bot]";

/// A pull request as both the webhook payload (`pull_request`) and the REST API
/// (`GET /repos/{o}/{r}/pulls/{n}`) describe it; only the fields wpstage reads.
#[derive(Debug, Clone, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    /// `open` or `closed`.
    pub state: String,
    pub head: Branch,
    pub base: Branch,
    pub user: Option<User>,
    #[serde(default)]
    pub labels: Vec<Label>,
    #[serde(default)]
    pub merged: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Branch {
    pub sha: String,
    #[serde(rename = "ref")]
    pub name: String,
    /// `null` when the fork the PR came from was deleted.
    pub repo: Option<Repo>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Repo {
    pub full_name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub login: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub name: String,
}

impl PullRequest {
    /// The head lives in another repository (or in a deleted one).
    pub fn is_fork(&self) -> bool {
        match (&self.head.repo, &self.base.repo) {
            (Some(head), Some(base)) => !head.full_name.eq_ignore_ascii_case(&base.full_name),
            _ => true,
        }
    }

    pub fn is_dependabot(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.login == DEPENDABOT)
    }

    pub fn has_label(&self, name: &str) -> bool {
        self.labels
            .iter()
            .any(|l| l.name.eq_ignore_ascii_case(name))
    }

    pub fn is_open(&self) -> bool {
        self.state == "open"
    }
}

/// The lifecycle operation requested by the `operation` input (Kestra and other non-GitHub
/// callers); `auto` reads the GitHub event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationInput {
    Auto,
    Up,
    Down,
    Refresh,
    Reap,
    /// Refresh the base snapshot PR data is copied from (`wpstage base refresh`).
    BaseRefresh,
}

/// What the run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Create or update the PR's environment and deploy `sha`.
    Up {
        pr: u64,
        sha: String,
        branch: Option<String>,
    },
    /// Delete the PR's environment.
    Down { pr: u64 },
    /// Re-copy production data into the PR's (existing) environment.
    Refresh { pr: u64 },
    /// A `workflow_dispatch` for this PR: fetch it, then decide with [`gate_dispatch`].
    Dispatch { pr: u64 },
    /// Delete stale and orphaned environments.
    Reap,
    /// Refresh the base snapshot (no PR).
    BaseRefresh,
    /// Not for this PR (fork, Dependabot, no secrets, missing label): a notice, exit 0.
    Skip(String),
    /// Not an event wpstage acts on: a notice, exit 0.
    Ignore(String),
}

/// What the gating decision needs besides the event.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    /// `railway_token` is set (it is empty on fork and Dependabot runs: no secrets).
    pub has_railway_token: bool,
    /// Only PRs carrying this label get staging.
    pub require_label: Option<String>,
}

/// Why an event could not be turned into an intent.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error(
        "the {event} event payload could not be read ({reason}); this is a GitHub runner file, \
         re-run the workflow"
    )]
    Payload { event: String, reason: String },
    #[error(
        "workflow_dispatch needs the PR number: declare a `pr_number` input in the workflow and \
         pass it to the action (`pr_number: ${{{{ inputs.pr_number }}}}`)"
    )]
    NoPrNumber,
    #[error("pr_number {value:?} is not a PR number; give the number only, e.g. 42")]
    BadPrNumber { value: String },
    #[error(
        "PR #{pr} is closed, so it has no staging environment to refresh; reopen it to get one"
    )]
    PrClosed { pr: u64 },
    #[error("operation `{operation}` needs the `{input}` input ({hint})")]
    MissingForOperation {
        operation: &'static str,
        input: &'static str,
        hint: &'static str,
    },
}

#[derive(Deserialize)]
struct PullRequestEvent {
    action: String,
    pull_request: PullRequest,
    /// The label added or removed (`labeled` / `unlabeled`).
    #[serde(default)]
    label: Option<Label>,
}

#[derive(Deserialize)]
struct DispatchEvent {
    #[serde(default)]
    inputs: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The intent of a GitHub event. `pr_number` is the action's `pr_number` input, which wins over
/// `inputs.pr_number` of a dispatch payload.
pub fn from_event(
    event_name: &str,
    payload: &[u8],
    pr_number: Option<u64>,
    gate: &Gate,
) -> Result<Intent, EventError> {
    match event_name {
        "pull_request" | "pull_request_target" => {
            let event: PullRequestEvent = parse(event_name, payload)?;
            if event.action == "labeled" {
                let wanted = match (&event.label, &gate.require_label) {
                    (Some(added), Some(wanted)) => added.name.eq_ignore_ascii_case(wanted),
                    _ => false,
                };
                if !wanted {
                    return Ok(Intent::Ignore(format!(
                        "a label other than require_label was added to PR #{}",
                        event.pull_request.number
                    )));
                }
            }
            Ok(from_pull_request(&event.action, &event.pull_request, gate))
        }
        "workflow_dispatch" => {
            if let Some(pr) = pr_number {
                return Ok(Intent::Dispatch { pr });
            }
            let event: DispatchEvent = parse(event_name, payload)?;
            let value = event
                .inputs
                .as_ref()
                .and_then(|inputs| inputs.get("pr_number"))
                .and_then(|v| match v {
                    serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .ok_or(EventError::NoPrNumber)?;
            Ok(Intent::Dispatch {
                pr: parse_pr_number(&value)?,
            })
        }
        "schedule" => Ok(Intent::Reap),
        other => Ok(Intent::Ignore(format!(
            "wpstage does nothing on `{other}` events; run it on pull_request, \
             pull_request_target (closed), workflow_dispatch or schedule"
        ))),
    }
}

fn from_pull_request(action: &str, pr: &PullRequest, gate: &Gate) -> Intent {
    let n = pr.number;
    let up = matches!(action, "opened" | "reopened" | "synchronize" | "labeled");
    if !up && action != "closed" {
        return Intent::Ignore(format!(
            "pull_request `{action}` changes nothing for staging (PR #{n})"
        ));
    }
    if pr.is_fork() {
        return Intent::Skip(format!(
            "PR #{n} comes from a fork: forks never get a staging environment with production \
             data (their code would run next to a copy of it)"
        ));
    }
    if pr.is_dependabot() {
        return Intent::Skip(format!(
            "PR #{n} is from Dependabot, whose runs get no repository secrets: no staging \
             environment"
        ));
    }
    if !gate.has_railway_token {
        return Intent::Skip(format!(
            "railway_token is empty, so PR #{n} gets no staging environment; if this PR is not \
             from a fork or a bot, add the RAILWAY_TOKEN secret and pass it as `railway_token`"
        ));
    }
    if action == "closed" {
        // Whatever the labels say now: an environment made earlier must not leak.
        return Intent::Down { pr: n };
    }
    if let Some(label) = &gate.require_label
        && !pr.has_label(label)
    {
        return Intent::Skip(format!(
            "PR #{n} does not carry the `{label}` label; add it to get a staging environment"
        ));
    }
    Intent::Up {
        pr: n,
        sha: pr.head.sha.clone(),
        branch: Some(pr.head.name.clone()),
    }
}

/// Decides a `workflow_dispatch` refresh once the PR has been fetched.
pub fn gate_dispatch(pr: &PullRequest, gate: &Gate) -> Result<Intent, EventError> {
    if !pr.is_open() {
        return Err(EventError::PrClosed { pr: pr.number });
    }
    if pr.is_fork() {
        return Ok(Intent::Skip(format!(
            "PR #{} comes from a fork, which never gets staging; nothing to refresh",
            pr.number
        )));
    }
    if let Some(label) = &gate.require_label
        && !pr.has_label(label)
    {
        return Ok(Intent::Skip(format!(
            "PR #{} does not carry the `{label}` label, so it has no staging to refresh",
            pr.number
        )));
    }
    Ok(Intent::Refresh { pr: pr.number })
}

/// The intent of an explicit `operation` input (no GitHub event is read).
pub fn from_operation(
    op: OperationInput,
    pr: Option<u64>,
    head_sha: Option<&str>,
    head_ref: Option<&str>,
) -> Result<Option<Intent>, EventError> {
    let need_pr = |operation| EventError::MissingForOperation {
        operation,
        input: "pr_number",
        hint: "the PR number, e.g. 42",
    };
    Ok(Some(match op {
        OperationInput::Auto => return Ok(None),
        OperationInput::Up => Intent::Up {
            pr: pr.ok_or_else(|| need_pr("up"))?,
            sha: head_sha
                .ok_or(EventError::MissingForOperation {
                    operation: "up",
                    input: "head_sha",
                    hint: "the commit to deploy, the PR's head SHA",
                })?
                .to_owned(),
            branch: head_ref.map(str::to_owned),
        },
        OperationInput::Down => Intent::Down {
            pr: pr.ok_or_else(|| need_pr("down"))?,
        },
        OperationInput::Refresh => Intent::Refresh {
            pr: pr.ok_or_else(|| need_pr("refresh"))?,
        },
        OperationInput::Reap => Intent::Reap,
        OperationInput::BaseRefresh => Intent::BaseRefresh,
    }))
}

/// Parses a PR number as workflow inputs carry it (a string; `#42` is accepted).
pub fn parse_pr_number(value: &str) -> Result<u64, EventError> {
    value
        .trim()
        .trim_start_matches('#')
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| EventError::BadPrNumber {
            value: value.to_owned(),
        })
}

fn parse<T: serde::de::DeserializeOwned>(event: &str, payload: &[u8]) -> Result<T, EventError> {
    serde_json::from_slice(payload).map_err(|e| EventError::Payload {
        event: event.to_owned(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
