//! GitHub deployments: one per `up`, on the PR's head SHA, in ONE shared GitHub environment
//! (`wpstage-preview` by default) for every PR. Each environment name auto-creates a GitHub
//! Environment, and `GITHUB_TOKEN` has no `administration` scope to delete them, so a name per
//! PR would leave one environment per PR behind forever.
//!
//! Deployments are transient and never production; auto-merge is off and no status contexts are
//! required (else GitHub answers 202/409 instead of deploying). Every status carries
//! `environment_url` and `log_url`, or the PR's "View deployment" button disappears. On teardown
//! the PR's deployments (found by `payload.wpstage`) are set `inactive`.

use serde::Deserialize;
use serde_json::json;

use super::{GitHub, GitHubError};

/// The states wpstage sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentState {
    InProgress,
    Success,
    Failure,
    Inactive,
}

impl DeploymentState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentState::InProgress => "in_progress",
            DeploymentState::Success => "success",
            DeploymentState::Failure => "failure",
            DeploymentState::Inactive => "inactive",
        }
    }
}

/// One status to post.
#[derive(Debug, Clone)]
pub struct StatusUpdate<'a> {
    pub state: DeploymentState,
    pub environment: &'a str,
    pub environment_url: Option<&'a str>,
    pub log_url: Option<&'a str>,
    pub description: &'a str,
}

#[derive(Debug, Deserialize)]
struct Created {
    id: Option<u64>,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Listed {
    id: u64,
    #[serde(default)]
    payload: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct Status {
    state: String,
}

impl GitHub {
    /// Creates the deployment of `sha` for `pr`; its id.
    pub async fn create_deployment(
        &self,
        sha: &str,
        environment: &str,
        pr: u64,
        instance: &str,
    ) -> Result<u64, GitHubError> {
        const ACTION: &str = "creating the deployment";
        let body = json!({
            "ref": sha,
            "environment": environment,
            "description": format!("wpstage preview of PR #{pr}"),
            "auto_merge": false,
            "required_contexts": [],
            "transient_environment": true,
            "production_environment": false,
            "payload": { "wpstage": { "pr": pr, "instance": instance } },
        });
        let created: Created = self
            .crab
            .post(self.route("deployments"), Some(&body))
            .await
            .map_err(|e| GitHubError::from_octocrab(ACTION, e))?;
        created.id.ok_or_else(|| GitHubError::Api {
            action: ACTION,
            status: 202,
            message: created.message.unwrap_or_default(),
            hint: "GitHub did not create a deployment; re-run the job",
        })
    }

    /// Posts a status on deployment `id`.
    pub async fn set_deployment_status(
        &self,
        id: u64,
        update: &StatusUpdate<'_>,
    ) -> Result<(), GitHubError> {
        let mut description = update.description.to_owned();
        if description.chars().count() > 140 {
            description = description.chars().take(139).collect::<String>() + "…";
        }
        let mut body = json!({
            "state": update.state.as_str(),
            "environment": update.environment,
            "description": description,
        });
        if let Some(url) = update.environment_url {
            body["environment_url"] = json!(url);
        }
        if let Some(url) = update.log_url {
            body["log_url"] = json!(url);
        }
        let posted: Status = self
            .crab
            .post(
                self.route(&format!("deployments/{id}/statuses")),
                Some(&body),
            )
            .await
            .map_err(|e| GitHubError::from_octocrab("setting the deployment status", e))?;
        tracing::debug!(deployment = id, state = %posted.state, "deployment status set");
        Ok(())
    }

    /// The deployments wpstage made for `pr` (this instance) in `environment`, every page.
    pub async fn pr_deployments(
        &self,
        environment: &str,
        pr: u64,
        instance: &str,
    ) -> Result<Vec<u64>, GitHubError> {
        let all: Vec<Listed> = self
            .all_pages(
                "listing deployments",
                self.route("deployments"),
                &[("environment", environment), ("per_page", "100")],
            )
            .await?;
        Ok(all
            .into_iter()
            .filter(|d| {
                let ours = &d.payload["wpstage"];
                ours["pr"].as_u64() == Some(pr) && ours["instance"].as_str() == Some(instance)
            })
            .map(|d| d.id)
            .collect())
    }

    /// Sets every active deployment of `pr` to `inactive` (shown as "destroyed"); how many.
    pub async fn deactivate_pr_deployments(
        &self,
        update: &StatusUpdate<'_>,
        pr: u64,
        instance: &str,
    ) -> Result<usize, GitHubError> {
        let mut changed = 0;
        for id in self
            .pr_deployments(update.environment, pr, instance)
            .await?
        {
            let latest: Vec<Status> = self
                .crab
                .get(
                    self.route(&format!("deployments/{id}/statuses")),
                    Some(&[("per_page", "1")]),
                )
                .await
                .map_err(|e| GitHubError::from_octocrab("reading deployment statuses", e))?;
            if latest.first().is_some_and(|s| s.state == "inactive") {
                continue;
            }
            self.set_deployment_status(id, update).await?;
            changed += 1;
        }
        Ok(changed)
    }
}
