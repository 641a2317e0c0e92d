//! The services beside the app and its database (Redis, workers, cron). An environment made
//! with `skipInitialDeploys` deploys none of them, so `up` deploys those production runs, with
//! the app (after the data copy, so that no worker meets an empty database), and waits for them
//! within the app's deploy timeout. A service production does not run (never deployed, crashed,
//! removed) stays as production has it.

use std::time::{Duration, Instant};

use tracing::info;

use super::{EnvRef, RailwayPlatform, RailwayPlatformError, ServiceRef, app, detect, wait};
use crate::platform::ServiceDeployment;
use crate::railway::ServiceInstance;

/// The services of the source environment other than `app` and `database` whose latest
/// deployment runs (or sleeps).
pub(super) fn running_companions(
    instances: &[ServiceInstance],
    app: &ServiceRef,
    database: &ServiceRef,
) -> Vec<ServiceRef> {
    instances
        .iter()
        .filter(|s| s.service_id != app.id && s.service_id != database.id)
        .filter(|s| {
            s.latest_deployment
                .as_ref()
                .is_some_and(|d| d.status.is_ok())
        })
        .map(detect::to_ref)
        .collect()
}

/// A companion whose deployment was started: its service and deployment id.
pub(super) type Started = Vec<(ServiceRef, String)>;

impl RailwayPlatform {
    /// Starts deploying every service production runs beside the app that does not run in
    /// `env` yet, and again those built from the app's repository (at `sha`: they run the PR's
    /// code). Image services and services of other repositories deploy without a commit.
    /// Returns the deployments started and the services that already run (with their status).
    pub(super) async fn start_companions(
        &self,
        env: &EnvRef,
        sha: &str,
        app: &ServiceRef,
    ) -> Result<(Started, Vec<ServiceDeployment>), RailwayPlatformError> {
        self.roles().await?;
        let companions = self.companions.get().cloned().unwrap_or_default();
        if companions.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let instances = self
            .client
            .service_instances(self.project(), &env.id)
            .await?;
        let mut started = Vec::new();
        let mut running = Vec::new();
        for service in companions {
            let Some(instance) = instances.iter().find(|i| i.service_id == service.id) else {
                continue;
            };
            let same_repo = service.repo.is_some() && service.repo == app.repo;
            match &instance.latest_deployment {
                Some(d) if d.status.is_ok() && !same_repo => {
                    running.push(ServiceDeployment {
                        name: service.name.clone(),
                        id: d.id.clone(),
                        status: d.status.as_str().to_owned(),
                    });
                    continue;
                }
                _ => {}
            }
            let commit = same_repo.then_some(sha);
            info!(service = %service.name, environment = %env.name, "deploying, as production runs it");
            let id = self
                .client
                .deploy_service(&env.id, &service.id, commit)
                .await?;
            started.push((service, id));
        }
        Ok((started, running))
    }

    /// Waits for the companions `started` until `deadline`, in order; the first that fails or
    /// is not up in time fails the deploy.
    pub(super) async fn wait_companions(
        &self,
        started: Started,
        running: Vec<ServiceDeployment>,
        began: Instant,
        timeout: Duration,
    ) -> Result<Vec<ServiceDeployment>, RailwayPlatformError> {
        let mut out = running;
        for (service, id) in started {
            let left = timeout.saturating_sub(began.elapsed());
            let done =
                wait::deployment(&self.client, &self.config.poll, &id, &service.name, left).await?;
            out.push(ServiceDeployment {
                name: service.name,
                id: done.id,
                status: done.status.as_str().to_owned(),
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

/// The companions `started` as triggered, not waited for.
pub(super) fn triggered(
    started: Started,
    running: Vec<ServiceDeployment>,
) -> Vec<ServiceDeployment> {
    let mut out = running;
    out.extend(started.into_iter().map(|(service, id)| ServiceDeployment {
        name: service.name,
        id,
        status: app::TRIGGERED.to_owned(),
    }));
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}
