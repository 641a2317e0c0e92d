//! The PR app must reach the PR database. A reference such as `${{Postgres.DATABASE_URL}}`
//! resolves in each environment to that environment's database; a value written out (production's
//! URL, host or password) is copied into the PR environment as it is, and would hand
//! production's database to the PR's code.

use std::collections::BTreeMap;

use super::db_vars::Fingerprints;
use super::{EnvRef, RailwayPlatform, RailwayPlatformError};

impl RailwayPlatform {
    /// Production's database passwords and public endpoints, read once: the rendered database
    /// variables of the database and app services in the source environment, and the
    /// configured source database URL. The passwords go to the secret sink.
    pub(super) async fn production_fingerprints(
        &self,
    ) -> Result<&Fingerprints, RailwayPlatformError> {
        self.production
            .get_or_try_init(|| async {
                let source = self.source_environment().await?;
                let roles = self.roles().await?;
                let mut found = Fingerprints::default();
                for service in [&roles.database, &roles.app] {
                    found.add_vars(&self.service_vars(&source.id, &service.id, false).await?);
                }
                if let Some(url) = &self.config.source_database_url {
                    found.add_url(url);
                }
                for password in found.passwords.iter() {
                    self.config.secrets.secret(password);
                }
                Ok(found)
            })
            .await
    }

    /// Fails when a database variable of the app in `env`, as Railway renders it there, holds
    /// production's database password or public endpoint. Only variable names are reported.
    pub(super) async fn verify_app_database(
        &self,
        env: &EnvRef,
    ) -> Result<(), RailwayPlatformError> {
        let production = self.production_fingerprints().await?;
        let app = self.roles().await?.app;
        let vars = self.service_vars(&env.id, &app.id, false).await?;
        let mut by_variable: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
        for (name, carries) in production.found_in(&vars) {
            by_variable.entry(name).or_default().push(carries.as_str());
        }
        if by_variable.is_empty() {
            return Ok(());
        }
        let found = by_variable
            .iter()
            .map(|(name, what)| format!("{name} ({})", what.join(", ")))
            .collect::<Vec<_>>()
            .join(", ");
        Err(RailwayPlatformError::AppReachesProduction {
            service: app.name,
            environment: env.name.clone(),
            found,
        })
    }
}
