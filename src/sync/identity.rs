//! Recognising the source database on the target's server, however either was reached.
//!
//! Host names, ports and socket paths say how a server was reached, not which server it is: the
//! same database is reachable over a Unix socket, `localhost`, `127.0.0.1`, `::1` or a proxy. So
//! the source keeps one session open under a random `application_name` for the whole run, and
//! before anything on the target is created, renamed or dropped, the target's server is asked
//! whether that session is connected to one of the databases about to be touched. A fingerprint
//! (server start time and database oid) backs this up should the session not be visible.

use rand::RngExt as _;
use tokio_postgres::Client;

use crate::postgres::{DbUrl, PgError, PgErrorKind, Side, connect_source};

/// The open, tagged source session.
pub struct SourceIdentity {
    client: Client,
    tag: String,
    fingerprint: String,
    server: String,
}

const FINGERPRINT: &str = "SELECT pg_postmaster_start_time()::text || '/' || d.oid::text \
     FROM pg_database d WHERE d.datname = $1";

impl SourceIdentity {
    /// Opens the tagged, read-only source session.
    pub async fn open(source: &DbUrl) -> Result<Self, PgError> {
        let tag = format!("wpstage-source-{:016x}", rand::rng().random::<u64>());
        let server = source.to_string();
        let client = connect_source(source, &tag).await?;
        let row = client
            .query_one(FINGERPRINT, &[&source.dbname()])
            .await
            .map_err(|e| {
                PgError::from_driver(Side::Source, &server, "identifying the source", &e)
            })?;
        Ok(Self {
            client,
            tag,
            fingerprint: row.get(0),
            server,
        })
    }

    /// The source server and database, for messages.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The `application_name` of the tagged session.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// Fails unless every database in `dbs` on the server `target` talks to is certainly not the
    /// source. `target` may be connected to any database of that server.
    pub async fn ensure_not_source(
        &self,
        target: &Client,
        target_server: &str,
        dbs: &[&str],
    ) -> Result<(), PgError> {
        // Without the tagged session nothing could be recognised: fail closed.
        self.client.simple_query("SELECT 1").await.map_err(|e| {
            PgError::from_driver(
                Side::Source,
                &self.server,
                "keeping the session that tells the source apart from the target",
                &e,
            )
        })?;
        for db in dbs {
            let row = target
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity a \
                                    JOIN pg_database d ON d.oid = a.datid \
                                    WHERE a.application_name = $1 AND d.datname = $2)",
                    &[&self.tag, db],
                )
                .await
                .map_err(|e| {
                    PgError::from_driver(Side::Target, target_server, "identifying the target", &e)
                })?;
            let seen: bool = row.get(0);
            let fingerprint = target
                .query_opt(FINGERPRINT, &[db])
                .await
                .map_err(|e| {
                    PgError::from_driver(Side::Target, target_server, "identifying the target", &e)
                })?
                .map(|r| r.get::<_, String>(0));
            if seen || fingerprint.as_deref() == Some(self.fingerprint.as_str()) {
                return Err(PgError::new(
                    Side::Target,
                    PgErrorKind::Other,
                    format!(
                        "The target database ({target_server}, its database {db:?}) is the source \
                         database itself ({}), reached another way (socket, host alias or \
                         proxy): syncing would replace production with its own copy. Point the \
                         target at the staging database; nothing was changed.",
                        self.server
                    ),
                ));
            }
        }
        Ok(())
    }
}
