//! The PR environment's app service: what it is built from, how it is reached, how it is
//! deployed. A duplicated environment keeps production's source (its deploy branch, its image)
//! and a domain created before anything listens has no port, so both are set explicitly.

use serde_json::{Map, Value, json};
use tracing::info;

use super::{EnvRef, RailwayPlatform, RailwayPlatformError};
use crate::platform::{DeploymentSummary, GuardedDeploy};

/// The status reported for a deployment that was started and not waited for.
pub const TRIGGERED: &str = "TRIGGERED";

impl RailwayPlatform {
    /// Points the app of `env` at the PR: `app_image` as its image, or, for a repo service, the
    /// PR's `branch` (as Railway's PR recipe does) so that pushes to production's branch no
    /// longer redeploy it. Returns warnings.
    pub(super) async fn point_app_at_pr(
        &self,
        env: &EnvRef,
        branch: Option<&str>,
    ) -> Result<Vec<String>, RailwayPlatformError> {
        let app = self.roles().await?.app;
        let mut source = Map::new();
        let mut warnings = Vec::new();
        if self.client.project(self.project()).await?.pr_deploys {
            warnings.push(
                "Railway's own PR environments are on in this project (PR Environments in the \
                 project settings): each PR gets two environments, Railway's and wpstage's. \
                 Turn Railway's off"
                    .to_owned(),
            );
        }
        if let Some(image) = &self.config.app_image {
            source.insert("image".to_owned(), json!(image));
        } else if app.repo.is_some() {
            match branch {
                Some(b) => {
                    source.insert("branch".to_owned(), json!(b));
                }
                None => warnings.push(format!(
                    "the PR branch is unknown, so {} in {} still follows the source \
                     environment's deploy branch and a push there redeploys it; pass --branch",
                    app.name, env.name
                )),
            }
        }
        if source.is_empty() {
            return Ok(warnings);
        }
        info!(service = %app.name, environment = %env.name, source = ?source.keys().collect::<Vec<_>>(), "pointing the app at the PR");
        let patch = json!({ "services": { app.id.as_str(): { "source": Value::Object(source) } } });
        self.client
            .patch_environment(&env.id, patch, "wpstage: build the PR, not production")
            .await?;
        Ok(warnings)
    }

    /// The port production's app domain routes to, for the preview domain: Railway detects a
    /// port only once something listens, and the preview domain is made before the app runs.
    pub(super) async fn source_target_port(&self) -> Result<Option<u16>, RailwayPlatformError> {
        let source = self.source_environment().await?;
        let app = self.roles().await?.app;
        let domains = self
            .client
            .domains(self.project(), &source.id, &app.id)
            .await?;
        Ok(domains
            .service_domains
            .iter()
            .find_map(|d| d.target_port)
            .and_then(|p| u16::try_from(p).ok()))
    }

    /// Starts deploying the app: at `sha` for a repo service; an image service has no commit
    /// to build (Railway rejects `commitSha` there) and deploys its image.
    pub(super) async fn start_app_deploy(
        &self,
        env: &EnvRef,
        sha: &str,
    ) -> Result<(super::ServiceRef, String), RailwayPlatformError> {
        let app = self.roles().await?.app;
        let commit = (app.repo.is_some() && self.config.app_image.is_none()).then_some(sha);
        let id = self.client.deploy_service(&env.id, &app.id, commit).await?;
        Ok((app, id))
    }

    /// Deploys the app and the services production runs beside it, and waits for all of them
    /// within `timeout`.
    pub(super) async fn deploy_and_wait(
        &self,
        env: &EnvRef,
        sha: &str,
        timeout: std::time::Duration,
    ) -> Result<DeploymentSummary, RailwayPlatformError> {
        let began = std::time::Instant::now();
        let (app, id) = self.start_app_deploy(env, sha).await?;
        let deploy = GuardedDeploy {
            id,
            service: app.name,
            began,
            warnings: Vec::new(),
        };
        self.finish_deploy(env, sha, deploy, true, timeout).await
    }
}
