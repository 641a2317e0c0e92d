//! The Railway platform: a PR environment is a Railway environment duplicated from the source
//! environment (default `production`), marked as wpstage's with shared variables.

mod adopt;
mod app;
mod app_db;
mod base_env;
mod copy_in;
mod database;
mod db_vars;
mod detect;
mod fidelity;
mod overlap;
mod platform_impl;
mod services;
mod wait;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use tokio::sync::OnceCell;

pub use base_env::{DEFAULT_BASE_NAME, NotBase};
pub use detect::{DetectError, Roles, ServiceRef};
pub use fidelity::{EnvShape, MARKER_VARIABLES};
pub use wait::PollPolicy;

use super::{ApiUse, EnvInfo, EnvRef, Platform};
use crate::postgres::DbUrl;
use crate::railway::{RailwayClient, RailwayError, VariableSet};

/// Where and how wpstage works on Railway.
#[derive(Debug, Clone)]
pub struct RailwayConfig {
    pub project_id: String,
    /// The environment PR environments are duplicated from.
    pub source_environment: String,
    /// The WordPress service; detected (wordpress image, or the service with a domain) if unset.
    pub app_service: Option<String>,
    /// The PostgreSQL service; detected (postgres image, PGDATA/POSTGRES_PASSWORD) if unset.
    pub database_service: Option<String>,
    /// A prebuilt image for the app (e.g. a tag the user's workflow built for the PR); set as
    /// the PR environment's `source.image`.
    pub app_image: Option<String>,
    /// An unmarked environment younger than this may be a concurrent run's that is about to be
    /// marked; only older ones are adopted (longer than a slow `environmentCreate`).
    pub adopt_after: Duration,
    /// Read production from here instead of the source environment's database.
    pub source_database_url: Option<DbUrl>,
    /// How deployments are polled.
    pub poll: PollPolicy,
    /// How long the database may take to deploy and accept connections.
    pub database_timeout: Duration,
    /// How long a new TCP proxy may take to appear.
    pub tcp_proxy_timeout: Duration,
    /// Told every database URL the platform reads, for masking.
    pub secrets: super::SecretSink,
}

impl RailwayConfig {
    pub fn new(project_id: impl Into<String>) -> Self {
        Self {
            project_id: project_id.into(),
            source_environment: "production".to_owned(),
            app_service: None,
            database_service: None,
            app_image: None,
            adopt_after: Duration::from_secs(180),
            source_database_url: None,
            poll: PollPolicy::default(),
            database_timeout: Duration::from_secs(600),
            tcp_proxy_timeout: Duration::from_secs(30),
            secrets: super::SecretSink::default(),
        }
    }
}

/// What went wrong on the platform level; API failures are [`RailwayError`]s.
#[derive(Debug, thiserror::Error)]
pub enum RailwayPlatformError {
    #[error(
        "environment {name} exists but was not created by wpstage (it lacks the shared variable \
         WPSTAGE_MANAGED=true); wpstage never adopts or deletes it: rename or delete it in the \
         Railway dashboard, or use another environment prefix"
    )]
    NotManaged { name: String },
    #[error(
        "environment {name} is not marked as wpstage's and is only {age_secs} s old: a concurrent \
         wpstage run for this PR may still be creating it, so it is left alone. Let that run \
         finish (or wait {wait_secs} s, after which a leftover is adopted) and retry"
    )]
    MaybeConcurrent {
        name: String,
        age_secs: u64,
        wait_secs: u64,
    },
    #[error(
        "no environment named {name:?} in project {project}; environments there: {existing}. \
         Set the source environment to one of them"
    )]
    NoSourceEnvironment {
        name: String,
        project: String,
        existing: String,
    },
    #[error(transparent)]
    Detect(#[from] DetectError),
    #[error(
        "service {service} is not in environment {environment}; it was probably removed after \
         the environment was created: run `wpstage down` and `up` again"
    )]
    ServiceMissing {
        service: String,
        environment: String,
    },
    #[error(
        "deployment {deployment} of {service} ended {status}; read its build and deploy logs \
         in the Railway dashboard, fix the cause and push again"
    )]
    DeployFailed {
        service: String,
        deployment: String,
        status: String,
    },
    #[error(
        "deployment {deployment} of {service} was still {status} after {waited:?}; raise the \
         deploy timeout or look at the deployment in the Railway dashboard"
    )]
    DeployTimeout {
        service: String,
        deployment: String,
        status: String,
        waited: Duration,
    },
    #[error(
        "the TCP proxy of {service} in environment {environment} did not appear within \
         {waited:?}; rerun, or add one under the service's Settings → Networking"
    )]
    NoTcpProxy {
        service: String,
        environment: String,
        waited: Duration,
    },
    #[error(
        "{service} in environment {environment} has no usable public database URL \
         (DATABASE_PUBLIC_URL, or PGUSER/PGPASSWORD/PGDATABASE with a TCP proxy); {hint}"
    )]
    NoPublicUrl {
        service: String,
        environment: String,
        hint: &'static str,
    },
    #[error(
        "the app service {service} in environment {environment} would reach production's \
         database: {found} resolve to production's database. Make the app's database variables \
         reference the database service (e.g. ${{{{Postgres.DATABASE_URL}}}}, which resolves in \
         each environment to its own database) instead of holding production's values; an \
         environment made before wpstage gave each PR database its own password needs \
         `wpstage down` and `up` again"
    )]
    AppReachesProduction {
        service: String,
        environment: String,
        /// Variable names with what they carry, e.g. `DATABASE_URL (password, host)`.
        found: String,
    },
    #[error(transparent)]
    Api(#[from] RailwayError),
}

/// [`Platform`] on Railway.
#[derive(Debug)]
pub struct RailwayPlatform {
    client: RailwayClient,
    config: RailwayConfig,
    source: OnceCell<EnvRef>,
    roles: OnceCell<Roles>,
    production: OnceCell<db_vars::Fingerprints>,
    /// Services production runs beside the app and the database (set with `roles`).
    companions: OnceCell<Vec<ServiceRef>>,
}

impl RailwayPlatform {
    pub fn new(client: RailwayClient, config: RailwayConfig) -> Self {
        Self {
            client,
            config,
            source: OnceCell::new(),
            roles: OnceCell::new(),
            production: OnceCell::new(),
            companions: OnceCell::new(),
        }
    }

    pub fn client(&self) -> &RailwayClient {
        &self.client
    }

    pub fn config(&self) -> &RailwayConfig {
        &self.config
    }

    fn project(&self) -> &str {
        &self.config.project_id
    }

    /// The source environment (resolved once).
    pub async fn source_environment(&self) -> Result<EnvRef, RailwayPlatformError> {
        self.source
            .get_or_try_init(|| async {
                let envs = self.client.environments(self.project()).await?;
                let wanted = &self.config.source_environment;
                envs.iter()
                    .find(|e| &e.name == wanted || &e.id == wanted)
                    .map(|e| EnvRef {
                        id: e.id.clone(),
                        name: e.name.clone(),
                    })
                    .ok_or_else(|| RailwayPlatformError::NoSourceEnvironment {
                        name: wanted.clone(),
                        project: self.project().to_owned(),
                        existing: envs
                            .iter()
                            .map(|e| e.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            })
            .await
            .cloned()
    }

    /// Caches the source environment from a listing made anyway.
    fn remember_source(&self, envs: &[crate::railway::Environment]) {
        let wanted = &self.config.source_environment;
        if self.source.initialized() {
            return;
        }
        if let Some(e) = envs.iter().find(|e| &e.name == wanted || &e.id == wanted) {
            let env = EnvRef {
                id: e.id.clone(),
                name: e.name.clone(),
            };
            if self.source.set(env).is_err() {
                tracing::debug!("source environment was resolved concurrently");
            }
        }
    }

    /// The app and database services (detected once, in the source environment: duplicated
    /// environments keep the same service ids).
    pub async fn roles(&self) -> Result<Roles, RailwayPlatformError> {
        self.roles
            .get_or_try_init(|| async {
                let source = self.source_environment().await?;
                let instances = self
                    .client
                    .service_instances(self.project(), &source.id)
                    .await?;
                let need_vars = self.config.database_service.is_none();
                let mut services = Vec::with_capacity(instances.len());
                for s in instances {
                    let by_image = detect::looks_like_postgres(&s, None);
                    let vars = if need_vars && !by_image {
                        Some(self.service_vars(&source.id, &s.service_id, false).await?)
                    } else {
                        None
                    };
                    services.push((s, vars));
                }
                let roles = detect::detect_roles(
                    &source.name,
                    &services,
                    self.config.app_service.as_deref(),
                    self.config.database_service.as_deref(),
                )?;
                let instances: Vec<_> = services.into_iter().map(|(s, _)| s).collect();
                let companions =
                    services::running_companions(&instances, &roles.app, &roles.database);
                if self.companions.set(companions).is_err() {
                    tracing::debug!("companion services were resolved concurrently");
                }
                Ok(roles)
            })
            .await
            .cloned()
    }

    async fn service_vars(
        &self,
        env_id: &str,
        service_id: &str,
        unrendered: bool,
    ) -> Result<VariableSet, RailwayError> {
        self.client
            .variables(self.project(), env_id, Some(service_id), unrendered)
            .await
    }

    async fn shared_vars(&self, env_id: &str) -> Result<VariableSet, RailwayError> {
        self.client
            .variables(self.project(), env_id, None, false)
            .await
    }

    /// Whether the environment carries wpstage's marker; `None` when it does not exist.
    async fn marker(&self, env_id: &str) -> Result<Option<VariableSet>, RailwayError> {
        match self.shared_vars(env_id).await {
            Ok(vars) => Ok(Some(vars)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The marker of PR `pr`'s environment.
    fn pr_marker(pr: u64) -> VariableSet {
        let mut vars = VariableSet::new();
        vars.insert("WPSTAGE_MANAGED", "true");
        vars.insert("WPSTAGE_PR", pr.to_string());
        vars
    }

    /// Marks `env` as PR `pr`'s.
    async fn mark(&self, env: &EnvRef, pr: u64) -> Result<(), RailwayError> {
        self.put_marker(env, Self::pr_marker(pr)).await
    }

    /// Sets the marker `vars` (and when it was set) on `env`.
    async fn put_marker(&self, env: &EnvRef, mut vars: VariableSet) -> Result<(), RailwayError> {
        vars.insert(
            "WPSTAGE_CREATED_AT",
            humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        );
        self.client
            .upsert_variables(self.project(), &env.id, None, &vars, true)
            .await
    }

    /// Marks the environment this run just created with `vars`; one that cannot be marked is
    /// deleted again, as nothing would ever recognise it as `whose`.
    async fn mark_new(&self, env: &EnvRef, vars: VariableSet, whose: &str) -> anyhow::Result<()> {
        let Err(e) = self.put_marker(env, vars).await else {
            return Ok(());
        };
        let name = &env.name;
        tracing::warn!("could not mark environment {name} as {whose}; deleting it");
        if let Err(del) = self.client.delete_environment(&env.id).await {
            tracing::warn!("could not delete unmarked environment {name}: {del}");
        }
        Err(anyhow::Error::new(e).context(format!(
            "environment {name} was created but could not be marked as {whose}, so it was \
             removed; rerun"
        )))
    }

    /// What fidelity compares, read from Railway.
    async fn shape(&self, env: &EnvRef) -> Result<EnvShape, RailwayError> {
        let instances = self
            .client
            .service_instances(self.project(), &env.id)
            .await?;
        let volumes = self
            .client
            .volume_instances(self.project(), &env.id)
            .await?;
        let mut shape = EnvShape {
            shared_variables: names(&self.shared_vars(&env.id).await?),
            ..EnvShape::default()
        };
        let mut by_id = BTreeMap::new();
        for s in &instances {
            by_id.insert(s.service_id.clone(), s.service_name.clone());
            if s.latest_deployment
                .as_ref()
                .is_some_and(|d| !d.status.is_failed())
            {
                shape.running.insert(s.service_name.clone());
            }
            let vars = self.service_vars(&env.id, &s.service_id, true).await?;
            shape.services.insert(s.service_name.clone(), names(&vars));
            let custom = s
                .domains
                .custom_domains
                .iter()
                .map(|d| d.domain.clone())
                .collect();
            shape.domains.insert(
                s.service_name.clone(),
                (!s.domains.service_domains.is_empty(), custom),
            );
        }
        for v in volumes {
            let service = v
                .service_id
                .as_ref()
                .and_then(|id| by_id.get(id))
                .cloned()
                .unwrap_or_else(|| "(unattached)".to_owned());
            shape
                .volumes
                .entry(service)
                .or_default()
                .insert(v.mount_path);
        }
        Ok(shape)
    }
}

fn names(vars: &VariableSet) -> BTreeSet<String> {
    vars.names().map(str::to_owned).collect()
}

fn parse_marker(vars: &VariableSet) -> bool {
    vars.expose("WPSTAGE_MANAGED") == Some("true")
}

fn parse_time(s: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(s.trim_end_matches('Z')).ok()
}
