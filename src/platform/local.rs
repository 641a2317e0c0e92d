//! The `local` platform: each PR environment is a database `<prefix><N>` on a PostgreSQL server
//! the user owns; the preview URL comes from a template. There is no app runtime, so variables
//! are recorded and "deploying" only records the commit. Agencies can use it for real on their
//! own staging server, and `wpstage demo` runs on it.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::{ApiUse, EnvInfo, EnvRef, Platform, RunInProgress, RunLock};
use crate::platform::{DeploymentSummary, FidelityIssue};
use crate::postgres::{DbUrl, Side, connect, quote_ident, quote_literal, server_major};
use crate::sync::helpers;

const MARKER: &str = "wpstage:managed";

/// The advisory lock a lifecycle run holds on its environment (`$1`: the environment's name),
/// in a session on the `--server` database. Apart from the sync lock on the same database.
const ENV_LOCK_KEY: &str = "hashtext('wpstage-env:' || $1::text)::int8";

/// Settings of the local platform.
#[derive(Debug, Clone)]
pub struct LocalPlatform {
    /// Any database on the staging server, used to create and drop the PR databases.
    pub server: DbUrl,
    /// The production database.
    pub source: DbUrl,
    /// Preview URL template; `{n}` is the PR number, `{name}` the environment name.
    pub url_template: String,
}

impl LocalPlatform {
    async fn admin(&self) -> anyhow::Result<Client> {
        Ok(connect(&self.server, Side::Target).await?)
    }

    async fn lookup(
        &self,
        client: &Client,
        name: &str,
    ) -> anyhow::Result<Option<(i64, Option<String>)>> {
        let row = client
            .query_opt(
                "SELECT oid::int8, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
                &[&name],
            )
            .await
            .context("looking up the environment database")?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }
}

/// Parses the marker comment `wpstage:managed pr=42 created=2026-11-27T07:00:00Z`.
fn parse_marker(comment: &str) -> Option<(Option<u64>, Option<SystemTime>)> {
    let rest = comment.strip_prefix(MARKER)?;
    let mut pr = None;
    let mut created = None;
    for part in rest.split_whitespace() {
        if let Some(n) = part.strip_prefix("pr=") {
            pr = n.parse().ok();
        } else if let Some(t) = part.strip_prefix("created=") {
            created = humantime::parse_rfc3339(t).ok();
        }
    }
    Some((pr, created))
}

impl Platform for LocalPlatform {
    fn name(&self) -> &'static str {
        "local"
    }

    async fn find_environment(&self, name: &str) -> anyhow::Result<Option<EnvRef>> {
        let client = self.admin().await?;
        match self.lookup(&client, name).await? {
            None => Ok(None),
            Some((oid, comment)) => {
                if comment.as_deref().and_then(parse_marker).is_none() {
                    anyhow::bail!(
                        "a database named {name:?} exists on the staging server but was not created \
                         by wpstage; wpstage never adopts or deletes it. Rename it or choose another \
                         environment prefix."
                    );
                }
                Ok(Some(EnvRef {
                    id: oid.to_string(),
                    name: name.to_owned(),
                }))
            }
        }
    }

    async fn create_environment(&self, name: &str, pr: u64) -> anyhow::Result<EnvRef> {
        let client = self.admin().await?;
        if let Err(e) = client
            .batch_execute(&format!("CREATE DATABASE {}", quote_ident(name)))
            .await
        {
            // It was not there a moment ago: another run (one that takes no lock) made it.
            let code = e.code();
            if code == Some(&SqlState::DUPLICATE_DATABASE)
                || code == Some(&SqlState::UNIQUE_VIOLATION)
            {
                return Err(RunInProgress {
                    name: name.to_owned(),
                }
                .into());
            }
            return Err(anyhow::Error::new(e)
                .context(format!("creating database {name:?} on the staging server")));
        }
        let created = humantime::format_rfc3339_seconds(SystemTime::now());
        let marker = format!("{MARKER} pr={pr} created={created}");
        let mark = format!(
            "COMMENT ON DATABASE {} IS {}",
            quote_ident(name),
            quote_literal(&marker)
        );
        if let Err(e) = client.batch_execute(&mark).await {
            // An unmarked database would be refused by every later run: take it back.
            if let Err(drop_err) = client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote_ident(name)))
                .await
            {
                tracing::warn!(error = %drop_err, "could not drop the unmarked database {name}");
            }
            return Err(
                anyhow::Error::new(e).context("marking the environment database as wpstage's")
            );
        }
        let (oid, _) = self
            .lookup(&client, name)
            .await?
            .context("the new database vanished")?;
        Ok(EnvRef {
            id: oid.to_string(),
            name: name.to_owned(),
        })
    }

    async fn delete_environment(&self, env: &EnvRef) -> anyhow::Result<bool> {
        let client = self.admin().await?;
        let major = server_major(&client, &self.server, Side::Target).await?;
        let server = self.server.to_string();
        let found = self.lookup(&client, &env.name).await?;
        if let Some((_, comment)) = &found {
            anyhow::ensure!(
                comment.as_deref().and_then(parse_marker).is_some(),
                "refusing to delete database {:?}: wpstage did not create it",
                env.name
            );
            helpers::drop_database(&client, &env.name, major, &server).await?;
        }
        // What an interrupted copy into this environment left beside it goes too: a closed PR
        // must not leave a full copy of the site behind.
        for helper in helpers::helper_names(&env.name) {
            helpers::drop_database(&client, &helper, major, &server).await?;
        }
        Ok(found.is_some())
    }

    async fn lock_environment(&self, name: &str) -> anyhow::Result<RunLock> {
        let session = self.admin().await?;
        let taken = helpers::try_lock(&session, ENV_LOCK_KEY, name)
            .await
            .context("taking the environment's lock on the staging server")?;
        if !taken {
            return Err(RunInProgress {
                name: name.to_owned(),
            }
            .into());
        }
        Ok(RunLock::session(
            session,
            helpers::unlock_sql(ENV_LOCK_KEY),
            name,
        ))
    }

    async fn reap_helpers(&self, prefix: &str, dry_run: bool) -> anyhow::Result<helpers::Sweep> {
        let session = helpers::connect_lock_session(&self.server).await?;
        Ok(helpers::sweep(&session, &self.server, prefix, dry_run).await?)
    }

    async fn list_environments(&self) -> anyhow::Result<Vec<EnvInfo>> {
        let client = self.admin().await?;
        let rows = client
            .query(
                "SELECT oid::int8, datname::text, shobj_description(oid, 'pg_database') FROM pg_database \
                 WHERE shobj_description(oid, 'pg_database') LIKE 'wpstage:managed%' ORDER BY datname",
                &[],
            )
            .await
            .context("listing environment databases")?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let comment: String = r.get(2);
                let (pr, created_at) = parse_marker(&comment)?;
                Some(EnvInfo {
                    env: EnvRef {
                        id: r.get::<_, i64>(0).to_string(),
                        name: r.get(1),
                    },
                    pr,
                    created_at,
                })
            })
            .collect())
    }

    async fn preview_url(&self, env: &EnvRef) -> anyhow::Result<String> {
        let n = env.name.trim_start_matches(|c: char| !c.is_ascii_digit());
        Ok(self
            .url_template
            .replace("{n}", n)
            .replace("{name}", &env.name))
    }

    async fn source_database(&self) -> anyhow::Result<DbUrl> {
        Ok(self.source.clone())
    }

    async fn staging_database(&self, env: &EnvRef) -> anyhow::Result<DbUrl> {
        Ok(self.server.with_dbname(&env.name))
    }

    async fn configure_app(
        &self,
        _env: &EnvRef,
        vars: &BTreeMap<String, String>,
    ) -> anyhow::Result<()> {
        tracing::info!(names = ?vars.keys().collect::<Vec<_>>(), "local platform: app variables recorded (no app runtime)");
        Ok(())
    }

    async fn deploy_app(
        &self,
        env: &EnvRef,
        sha: &str,
        _timeout: Duration,
    ) -> anyhow::Result<DeploymentSummary> {
        Ok(DeploymentSummary {
            id: format!("local-{}", env.name),
            status: "SKIPPED (the local platform runs no app)".to_owned(),
            sha: sha.to_owned(),
            services: Vec::new(),
        })
    }

    async fn fidelity(
        &self,
        _env: &EnvRef,
        _overrides: &[String],
    ) -> anyhow::Result<Vec<FidelityIssue>> {
        Ok(Vec::new())
    }

    fn api_use(&self) -> ApiUse {
        ApiUse::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_round_trips() {
        let (pr, created) =
            parse_marker("wpstage:managed pr=42 created=2026-11-27T07:00:00Z").unwrap();
        assert_eq!(pr, Some(42));
        assert!(created.is_some());
        assert!(parse_marker("somebody else's database").is_none());
    }
}
