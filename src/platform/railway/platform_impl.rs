//! [`Platform`] for [`RailwayPlatform`].

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use tracing::{info, instrument, warn};

use super::{
    ApiUse, EnvInfo, EnvRef, Platform, RailwayPlatform, RailwayPlatformError, adopt, app, fidelity,
    parse_marker, parse_time, services,
};
use crate::platform::{DeploymentSummary, FidelityIssue, GuardedDeploy};
use crate::postgres::DbUrl;
use crate::railway::{Environment, RailwayError, VariableSet};

/// An environment that appeared this long before `environmentCreate` was sent still counts as
/// created by it (clock skew between here and Railway).
const CREATE_SKEW: Duration = Duration::from_secs(300);

impl Platform for RailwayPlatform {
    fn name(&self) -> &'static str {
        "railway"
    }

    #[instrument(skip(self))]
    async fn find_environment(&self, name: &str) -> anyhow::Result<Option<EnvRef>> {
        match self.environment_named(name).await? {
            None => Ok(None),
            Some((env, vars)) if parse_marker(&vars) => Ok(Some(to_ref(&env))),
            Some((env, vars)) => Ok(Some(self.adopt(&env, &vars).await?)),
        }
    }

    #[instrument(skip(self))]
    async fn create_environment(&self, name: &str, pr: u64) -> anyhow::Result<EnvRef> {
        let source = self.source_environment().await?;
        let sent_at = SystemTime::now();
        let env = match self
            .client
            .create_environment(self.project(), name, &source.id)
            .await
        {
            Ok(env) => to_ref(&env),
            Err(e @ (RailwayError::Uncertain { .. } | RailwayError::Unavailable { .. })) => {
                // The request may have gone through: adopt the environment only if it is new
                // and carries no marker (a marked one is a concurrent run's, never ours to
                // adopt, roll back or delete). A concurrent run that created it and has not
                // marked it yet cannot be told apart; that window is one request wide.
                warn!("environment creation ended unclear ({e}); looking for it");
                let envs = self.client.environments(self.project()).await?;
                let candidate = envs.into_iter().find(|env| {
                    env.name == name
                        && env
                            .created_at
                            .as_deref()
                            .and_then(parse_time)
                            .is_some_and(|t| t + CREATE_SKEW >= sent_at)
                });
                let made_now = match candidate {
                    Some(env) => match self.marker(&env.id).await? {
                        Some(vars) if !adopt::has_marker_variables(&vars) => Some(env),
                        _ => None,
                    },
                    None => None,
                };
                match made_now {
                    Some(env) => to_ref(&env),
                    None => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        };
        self.mark_new(&env, Self::pr_marker(pr), "wpstage's")
            .await?;
        info!(environment = name, id = %env.id, "created");
        Ok(env)
    }

    #[instrument(skip(self))]
    async fn delete_environment(&self, env: &EnvRef) -> anyhow::Result<bool> {
        match self.marker(&env.id).await? {
            None => return Ok(false),
            Some(vars) if !parse_marker(&vars) => {
                return Err(RailwayPlatformError::NotManaged {
                    name: env.name.clone(),
                }
                .into());
            }
            Some(_) => {}
        }
        match self.client.delete_environment(&env.id).await {
            Ok(deleted) => Ok(deleted),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    #[instrument(skip(self))]
    async fn list_environments(&self) -> anyhow::Result<Vec<EnvInfo>> {
        let envs = self.client.environments(self.project()).await?;
        let mut out = Vec::new();
        // wpstage creates ephemeral environments only; the others need no marker lookup.
        for env in envs.into_iter().filter(|e| e.is_ephemeral) {
            let Some(vars) = self.marker(&env.id).await? else {
                continue;
            };
            if !parse_marker(&vars) {
                continue;
            }
            let created_at = vars
                .expose("WPSTAGE_CREATED_AT")
                .and_then(parse_time)
                .or_else(|| env.created_at.as_deref().and_then(parse_time));
            out.push(EnvInfo {
                env: to_ref(&env),
                pr: vars.expose("WPSTAGE_PR").and_then(|p| p.parse().ok()),
                created_at,
            });
        }
        Ok(out)
    }

    #[instrument(skip(self))]
    async fn preview_url(&self, env: &EnvRef) -> anyhow::Result<String> {
        let app = self.roles().await?.app;
        let domains = self
            .client
            .domains(self.project(), &env.id, &app.id)
            .await?;
        let domain = match domains.service_domains.into_iter().next() {
            Some(d) => d.domain,
            None => {
                let port = self.source_target_port().await?;
                self.client
                    .create_service_domain(&env.id, &app.id, port)
                    .await?
                    .domain
            }
        };
        Ok(format!("https://{domain}"))
    }

    #[instrument(skip(self))]
    async fn source_database(&self) -> anyhow::Result<DbUrl> {
        if let Some(url) = &self.config.source_database_url {
            return Ok(url.clone());
        }
        let source = self.source_environment().await?;
        let db = self.roles().await?.database;
        Ok(self
            .public_url(
                &source,
                &db,
                None,
                "add a TCP proxy to the database in the source environment (Settings → \
                 Networking) or pass --source-database-url",
            )
            .await?)
    }

    #[instrument(skip(self))]
    async fn staging_database(&self, env: &EnvRef) -> anyhow::Result<DbUrl> {
        self.prepare_staging_database(env).await
    }

    #[instrument(skip(self))]
    async fn check_app_database(&self, env: &EnvRef) -> anyhow::Result<()> {
        Ok(self.verify_app_database(env).await?)
    }

    #[instrument(skip(self, vars))]
    async fn configure_app(
        &self,
        env: &EnvRef,
        vars: &BTreeMap<String, String>,
    ) -> anyhow::Result<()> {
        let app = self.roles().await?.app;
        let set: VariableSet = vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        self.client
            .upsert_variables(self.project(), &env.id, Some(&app.id), &set, true)
            .await?;
        Ok(())
    }

    #[instrument(skip(self))]
    async fn deploy_app(
        &self,
        env: &EnvRef,
        sha: &str,
        timeout: Duration,
    ) -> anyhow::Result<DeploymentSummary> {
        Ok(self.deploy_and_wait(env, sha, timeout).await?)
    }

    #[instrument(skip(self))]
    async fn trigger_app(&self, env: &EnvRef, sha: &str) -> anyhow::Result<DeploymentSummary> {
        let (app, id) = self.start_app_deploy(env, sha).await?;
        let (started, running) = self.start_companions(env, sha, &app).await?;
        info!(deployment = %id, service = %app.name, "deploy started; not waiting for it");
        Ok(DeploymentSummary {
            id,
            status: app::TRIGGERED.to_owned(),
            sha: sha.to_owned(),
            services: services::triggered(started, running),
        })
    }

    #[instrument(skip(self))]
    async fn start_guarded_deploy(
        &self,
        env: &EnvRef,
        sha: &str,
        healthcheck: &str,
        timeout: Duration,
    ) -> anyhow::Result<Option<GuardedDeploy>> {
        Ok(Some(
            self.start_guarded(env, sha, healthcheck, timeout).await?,
        ))
    }

    #[instrument(skip(self, deploy))]
    async fn finish_guarded_deploy(
        &self,
        env: &EnvRef,
        sha: &str,
        deploy: GuardedDeploy,
        wait: bool,
        timeout: Duration,
    ) -> anyhow::Result<DeploymentSummary> {
        Ok(self.finish_deploy(env, sha, deploy, wait, timeout).await?)
    }

    #[instrument(skip(self))]
    async fn prepare_app(&self, env: &EnvRef, branch: Option<&str>) -> anyhow::Result<Vec<String>> {
        Ok(self.point_app_at_pr(env, branch).await?)
    }

    #[instrument(skip(self))]
    async fn source_app_variable(&self, name: &str) -> anyhow::Result<Option<String>> {
        let source = self.source_environment().await?;
        let app = self.roles().await?.app;
        let vars = self.service_vars(&source.id, &app.id, true).await?;
        Ok(vars.expose(name).map(str::to_owned))
    }

    // `lock_environment` and `reap_helpers` keep their defaults (no lock, no helpers) here.
    // Railway has no session wpstage could hold a lock in; the workflows run one job per PR at a
    // time (a `concurrency:` group, see the README), and the sync lock inside the PR database
    // still keeps two copies apart. Helper databases live inside each environment's own
    // PostgreSQL: deleting a reaped environment deletes them with it, and the next copy into a
    // kept environment removes what an interrupted one left; reaching every environment's
    // database (a TCP proxy each) just to look for leftovers is not worth its cost.

    #[instrument(skip(self))]
    async fn unmarked_candidates(&self) -> anyhow::Result<Vec<EnvRef>> {
        Ok(self.unmarked().await?)
    }

    #[instrument(skip(self))]
    async fn fidelity(
        &self,
        env: &EnvRef,
        overrides: &[String],
    ) -> anyhow::Result<Vec<FidelityIssue>> {
        let source = self.source_environment().await?;
        let source_shape = self.shape(&source).await?;
        let pr_shape = self.shape(env).await?;
        Ok(fidelity::compare(&source_shape, &pr_shape, overrides))
    }

    #[instrument(skip(self))]
    async fn base_home(&self, name: &str) -> anyhow::Result<crate::platform::BaseHome> {
        Ok(crate::platform::BaseHome::Apart(
            self.base_database(name).await?.map(Box::new),
        ))
    }

    #[instrument(skip(self))]
    async fn prepare_base_database(&self, name: &str) -> anyhow::Result<Option<DbUrl>> {
        Ok(Some(self.prepare_base(name).await?))
    }

    #[instrument(skip(self, job))]
    async fn run_copy_job(
        &self,
        env: &EnvRef,
        job: &crate::platform::copy_job::CopyJob,
    ) -> anyhow::Result<crate::platform::copy_job::CopyRun> {
        self.copy_in_environment(env, job).await
    }

    fn api_use(&self) -> ApiUse {
        let count = self.client.request_count();
        ApiUse {
            calls: count.calls,
            polls: count.polls,
        }
    }
}

pub(super) fn to_ref(env: &Environment) -> EnvRef {
    EnvRef {
        id: env.id.clone(),
        name: env.name.clone(),
    }
}
