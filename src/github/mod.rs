//! GitHub's REST API through octocrab: the sticky PR comment, deployments and their statuses,
//! and reading pull requests. `GITHUB_API_URL` is the base URI (GitHub Enterprise Server's
//! `…/api/v3` works too), so tests point it at a fake server on loopback.
//!
//! Only the fields wpstage reads are deserialized (small serde structs via octocrab's generic
//! `get`/`post`/`patch`), so a schema change elsewhere in GitHub's answers cannot break a run.

mod comments;
mod deployments;

pub use comments::{StickyComment, Written, marker};
pub use deployments::{DeploymentState, StatusUpdate};

use octocrab::{Octocrab, Page};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use crate::event::PullRequest;

/// A failed GitHub call, with what to do about it. Never contains the token.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    #[error("could not set up the GitHub client for {api_url}: {reason}; check GITHUB_API_URL")]
    Client { api_url: String, reason: String },
    #[error("GitHub API: {action} failed ({status}: {message}); {hint}")]
    Api {
        action: &'static str,
        status: u16,
        message: String,
        hint: &'static str,
    },
    #[error("GitHub API: {action} failed: {reason}; re-run the job (the next run repairs it)")]
    Transport {
        action: &'static str,
        reason: String,
    },
}

impl GitHubError {
    fn from_octocrab(action: &'static str, error: octocrab::Error) -> Self {
        match error {
            octocrab::Error::GitHub { source, .. } => {
                let status = source.status_code.as_u16();
                GitHubError::Api {
                    action,
                    status,
                    message: source.message.lines().next().unwrap_or_default().to_owned(),
                    hint: hint_for(status),
                }
            }
            other => GitHubError::Transport {
                action,
                // octocrab appends a backtrace on later lines: keep the first.
                reason: other
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            },
        }
    }
}

fn hint_for(status: u16) -> &'static str {
    match status {
        401 => "the github_token is invalid or expired; pass `github_token: ${{ github.token }}`",
        403 => {
            "the token may not do this: give the workflow `permissions: pull-requests: write` \
             and `deployments: write` (fork PRs get a read-only token and are skipped)"
        }
        404 => "the repository or PR was not found; check GITHUB_REPOSITORY and pr_number",
        409 | 422 => {
            "GitHub refused the request as sent; re-run the job, and report it if it persists"
        }
        429 => "GitHub rate-limited the token; re-run the job later (the next run repairs it)",
        s if s >= 500 => "GitHub had a server error; re-run the job (the next run repairs it)",
        _ => "re-run the job; the next run repairs the comment and deployment",
    }
}

/// A repository on GitHub, with an authenticated client.
pub struct GitHub {
    crab: Octocrab,
    owner: String,
    repo: String,
    /// The token's login, read once (see [`GitHub::own_login`]).
    login: tokio::sync::OnceCell<Option<String>>,
}

impl GitHub {
    /// A client for `owner/repo` at `api_url` (e.g. `https://api.github.com`).
    pub fn new(
        api_url: &str,
        token: &SecretString,
        owner: &str,
        repo: &str,
    ) -> Result<Self, GitHubError> {
        let client_error = |reason: String| GitHubError::Client {
            api_url: api_url.to_owned(),
            reason,
        };
        let crab = Octocrab::builder()
            .base_uri(api_url)
            .map_err(|e| client_error(first_line(&e.to_string())))?
            .personal_token(token.expose_secret().to_owned())
            // Idempotent reads and the 5xx of a write are retried twice, immediately.
            .add_retry_config(octocrab::service::middleware::retry::RetryConfig::Simple(2))
            .build()
            .map_err(|e| client_error(first_line(&e.to_string())))?;
        Ok(Self {
            crab,
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            login: tokio::sync::OnceCell::new(),
        })
    }

    /// The login comments written with this token carry. `GET /user` answers for a user's
    /// token; an installation token (`GITHUB_TOKEN`, a GitHub App) gets 403 there, and GraphQL's
    /// `viewer` names the app's bot, whose REST login ends in `[bot]`. `None` when neither says.
    pub async fn own_login(&self) -> Option<String> {
        self.login
            .get_or_init(|| async {
                #[derive(serde::Deserialize)]
                struct Login {
                    login: String,
                }
                if let Ok(user) = self.crab.get::<Login, _, ()>("/user", None).await {
                    return Some(user.login);
                }
                let query = serde_json::json!({"query": "query { viewer { login __typename } }"});
                let answer: serde_json::Value = match self.crab.graphql(&query).await {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::warn!(
                            "could not tell which account the GitHub token belongs to ({}); the \
                             sticky comment is found by its marker alone",
                            first_line(&e.to_string())
                        );
                        return None;
                    }
                };
                // octocrab hands back the `data` member.
                let viewer = &answer["viewer"];
                let login = viewer["login"].as_str()?;
                Some(
                    if viewer["__typename"] == "Bot" && !login.ends_with("[bot]") {
                        format!("{login}[bot]")
                    } else {
                        login.to_owned()
                    },
                )
            })
            .await
            .clone()
    }

    fn route(&self, tail: &str) -> String {
        format!("/repos/{}/{}/{tail}", self.owner, self.repo)
    }

    /// `GET /repos/{o}/{r}/pulls/{n}`.
    pub async fn pull_request(&self, pr: u64) -> Result<PullRequest, GitHubError> {
        self.crab
            .get(self.route(&format!("pulls/{pr}")), None::<&()>)
            .await
            .map_err(|e| GitHubError::from_octocrab("reading the pull request", e))
    }

    /// The numbers of all open PRs (every page).
    pub async fn open_pull_requests(&self) -> Result<Vec<u64>, GitHubError> {
        #[derive(serde::Deserialize)]
        struct Number {
            number: u64,
        }
        let all: Vec<Number> = self
            .all_pages(
                "listing open pull requests",
                self.route("pulls"),
                &[("state", "open"), ("per_page", "100")],
            )
            .await?;
        Ok(all.into_iter().map(|n| n.number).collect())
    }

    /// Every item of a paginated list, following `Link: rel="next"`.
    async fn all_pages<T: DeserializeOwned>(
        &self,
        action: &'static str,
        route: String,
        query: &[(&str, &str)],
    ) -> Result<Vec<T>, GitHubError> {
        let mut items = Vec::new();
        let mut page: Page<T> = self
            .crab
            .get(route, Some(&query))
            .await
            .map_err(|e| GitHubError::from_octocrab(action, e))?;
        loop {
            items.append(&mut page.items);
            match self
                .crab
                .get_page::<T>(&page.next)
                .await
                .map_err(|e| GitHubError::from_octocrab(action, e))?
            {
                Some(next) => page = next,
                None => return Ok(items),
            }
        }
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}
