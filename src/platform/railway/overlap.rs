//! `--overlap-build`: the app builds while the data is copied. Railway makes a deployment live
//! only once its healthcheck answers 200, and WordPress answers 302 (to the installer) on an
//! empty database and 500 on a missing one, so the PR's app cannot go live before its data.

use std::time::{Duration, Instant};

use tracing::{info, warn};

use super::{EnvRef, RailwayPlatform, RailwayPlatformError, wait};
use crate::platform::{DeploymentSummary, GuardedDeploy};

impl RailwayPlatform {
    /// Sets the PR environment's app healthcheck to `path` (production's instance is never
    /// changed) and starts the app's deploy.
    pub(super) async fn start_guarded(
        &self,
        env: &EnvRef,
        sha: &str,
        path: &str,
        timeout: Duration,
    ) -> Result<GuardedDeploy, RailwayPlatformError> {
        let app = self.roles().await?.app;
        let source = self.source_environment().await?;
        let mut warnings = Vec::new();
        let own = self.client.healthcheck(&source.id, &app.id).await?;
        if let Some(own) = own.path.filter(|p| !p.is_empty() && p != path) {
            warn!(service = %app.name, "production's healthcheck path is not used for the PR");
            warnings.push(format!(
                "{} has its own healthcheck path {own} in {}; the PR environment uses {path} \
                 instead while the data is copied (yours may answer 200 on an empty database); \
                 production keeps its own. Pass --healthcheck-path to choose another",
                app.name, source.name
            ));
        }
        // At least the deploy timeout, so that Railway never gives up before wpstage does.
        let secs = i64::try_from(timeout.as_secs().max(1)).unwrap_or(i64::MAX);
        self.client
            .set_healthcheck(&env.id, &app.id, path, secs)
            .await?;
        let began = Instant::now();
        let (app, id) = self.start_app_deploy(env, sha).await?;
        info!(deployment = %id, service = %app.name, healthcheck = path, "building while the data is copied");
        Ok(GuardedDeploy {
            id,
            service: app.name,
            began,
            warnings,
        })
    }

    /// Deploys the services beside the app whose deploy `deploy` started and, when
    /// `wait_for_it`, waits for everything until `timeout` after it began.
    pub(super) async fn finish_deploy(
        &self,
        env: &EnvRef,
        sha: &str,
        deploy: GuardedDeploy,
        wait_for_it: bool,
        timeout: Duration,
    ) -> Result<DeploymentSummary, RailwayPlatformError> {
        let app = self.roles().await?.app;
        let (started, running) = self.start_companions(env, sha, &app).await?;
        if !wait_for_it {
            return Ok(DeploymentSummary {
                id: deploy.id,
                status: super::app::TRIGGERED.to_owned(),
                sha: sha.to_owned(),
                services: super::services::triggered(started, running),
            });
        }
        let left = timeout.saturating_sub(deploy.began.elapsed());
        let done = wait::deployment(
            &self.client,
            &self.config.poll,
            &deploy.id,
            &deploy.service,
            left,
        )
        .await?;
        let services = self
            .wait_companions(started, running, deploy.began, timeout)
            .await?;
        Ok(DeploymentSummary {
            id: done.id,
            status: done.status.as_str().to_owned(),
            sha: sha.to_owned(),
            services,
        })
    }
}
