//! The base snapshot's home on Railway: a lasting environment of its own (`wpstage-base` by
//! default), duplicated from the source environment with initial deploys skipped, in which only
//! the database service is kept and deployed (the app and every other service are removed from
//! it, so no push ever deploys them there). The base is that service's own database.
//!
//! It is marked `WPSTAGE_BASE=true` and never `WPSTAGE_MANAGED`, and it is not ephemeral, so it is
//! no PR environment: `up` refuses it by name, `down` cannot delete it, and `reap` never lists it.

use serde_json::{Map, Value, json};
use tracing::info;

use super::platform_impl::to_ref as to_env_ref;
use super::{EnvRef, RailwayPlatform};
use crate::postgres::DbUrl;
use crate::railway::{Environment, RailwayError, VariableSet};

/// The base's environment unless another name is given (`--base-name`).
pub const DEFAULT_BASE_NAME: &str = "wpstage-base";

/// The shared variable that marks the base snapshot's environment.
pub(super) const BASE_MARKER: &str = "WPSTAGE_BASE";

/// Why an environment of the base's name cannot be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "environment {name} exists but is not wpstage's base snapshot environment (it lacks the \
     shared variable WPSTAGE_BASE=true); wpstage never uses or changes it: rename or delete it in \
     the Railway dashboard, or choose another name with --base-name"
)]
pub struct NotBase {
    pub name: String,
}

impl RailwayPlatform {
    /// The base environment `name`, if it exists; an error when an environment of that name is
    /// not one wpstage made as a base.
    async fn find_base_environment(&self, name: &str) -> anyhow::Result<Option<EnvRef>> {
        match self.environment_named(name).await? {
            None => Ok(None),
            Some((env, vars)) if vars.expose(BASE_MARKER) == Some("true") => {
                Ok(Some(to_env_ref(&env)))
            }
            Some(_) => Err(NotBase {
                name: name.to_owned(),
            }
            .into()),
        }
    }

    /// The environment called `name` with its shared variables; `None` when it does not exist
    /// (or vanished while it was looked at).
    pub(super) async fn environment_named(
        &self,
        name: &str,
    ) -> Result<Option<(Environment, VariableSet)>, RailwayError> {
        let envs = self.client.environments(self.project()).await?;
        self.remember_source(&envs);
        let Some(env) = envs.into_iter().find(|e| e.name == name) else {
            return Ok(None);
        };
        Ok(self.marker(&env.id).await?.map(|vars| (env, vars)))
    }

    /// The public URL of the base environment's database, `None` when there is no base
    /// environment.
    pub(super) async fn base_database(&self, name: &str) -> anyhow::Result<Option<DbUrl>> {
        let Some(env) = self.find_base_environment(name).await? else {
            return Ok(None);
        };
        let db = self.roles().await?.database;
        let url = self
            .public_url(
                &env,
                &db,
                None,
                "run `wpstage base refresh --platform railway` again",
            )
            .await?;
        Ok(Some(url))
    }

    /// The base environment's database, deployed and reachable, with the environment created
    /// (or trimmed back to the database service) first.
    pub(super) async fn prepare_base(&self, name: &str) -> anyhow::Result<DbUrl> {
        let env = match self.find_base_environment(name).await? {
            Some(env) => env,
            None => self.create_base_environment(name).await?,
        };
        self.keep_only_database(&env).await?;
        self.prepare_staging_database(&env).await
    }

    async fn create_base_environment(&self, name: &str) -> anyhow::Result<EnvRef> {
        let source = self.source_environment().await?;
        let env = to_env_ref(
            &self
                .client
                .create_lasting_environment(self.project(), name, &source.id)
                .await?,
        );
        let mut vars = VariableSet::new();
        vars.insert(BASE_MARKER, "true");
        self.mark_new(&env, vars, "the base snapshot's").await?;
        info!(environment = name, id = %env.id, "created the base snapshot's environment");
        Ok(env)
    }

    /// Removes every service but the database from the base environment (one patch; nothing
    /// when only the database is left).
    async fn keep_only_database(&self, env: &EnvRef) -> anyhow::Result<()> {
        let db = self.roles().await?.database;
        let instances = self
            .client
            .service_instances(self.project(), &env.id)
            .await?;
        let others: Map<String, Value> = instances
            .iter()
            .filter(|s| s.service_id != db.id)
            .map(|s| (s.service_id.clone(), json!({ "isDeleted": true })))
            .collect();
        if others.is_empty() {
            return Ok(());
        }
        info!(
            environment = %env.name,
            services = ?instances.iter().filter(|s| s.service_id != db.id).map(|s| &s.service_name).collect::<Vec<_>>(),
            "removing every service but the database from the base environment"
        );
        self.client
            .patch_environment(
                &env.id,
                json!({ "services": Value::Object(others) }),
                "wpstage: the base snapshot keeps only the database",
            )
            .await?;
        Ok(())
    }
}
