//! What wpstage asks of and tells its sessions: the exported snapshot, the server encodings,
//! the target's loading settings, and the sequences carried over at the end.

use tokio_postgres::Client;

use super::catalog;
use crate::postgres::{DbUrl, PgError, Side, quote_ident, quote_literal};

pub(super) async fn server_encoding(
    client: &Client,
    side: Side,
    server: &str,
) -> Result<String, PgError> {
    let row = client
        .query_one("SELECT current_setting('server_encoding')", &[])
        .await
        .map_err(|e| PgError::from_driver(side, server, "reading the server encoding", &e))?;
    Ok(row.get(0))
}

pub(super) async fn export_snapshot(exporter: &Client, server: &str) -> Result<String, PgError> {
    let err = |e: tokio_postgres::Error| {
        PgError::from_driver(Side::Source, server, "exporting a snapshot", &e)
    };
    exporter
        .batch_execute(
            "SET idle_in_transaction_session_timeout = 0; SET statement_timeout = 0; \
             SET row_security = off; BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )
        .await
        .map_err(err)?;
    let row = exporter
        .query_one("SELECT pg_export_snapshot()", &[])
        .await
        .map_err(err)?;
    let snapshot: String = row.get(0);
    // The id is formatted into SQL and a command line: accept only its documented shape.
    if snapshot.is_empty() || !snapshot.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(PgError::new(
            Side::Source,
            crate::postgres::PgErrorKind::Other,
            format!(
                "The source database ({server}) returned an unexpected snapshot id {snapshot:?}."
            ),
        ));
    }
    Ok(snapshot)
}

/// Session settings that speed loading without changing data (lz4 is tried on `client`; the
/// returned statements are for every loading session).
pub(crate) async fn target_settings(client: &Client, url: &DbUrl) -> String {
    let mut settings = String::from(
        "SET synchronous_commit = off; SET maintenance_work_mem = '256MB'; \
         SET statement_timeout = 0; SET lock_timeout = 0; \
         SET idle_in_transaction_session_timeout = 0;",
    );
    // lz4 TOAST compression is cheaper to write than pglz; not every server is built with it.
    match client
        .batch_execute("SET default_toast_compression = 'lz4'")
        .await
    {
        Ok(()) => settings.push_str(" SET default_toast_compression = 'lz4';"),
        Err(e) => tracing::info!(target = %url, error = %e, "lz4 TOAST compression unavailable"),
    }
    settings
}

pub(super) async fn set_sequences(
    client: &Client,
    server: &str,
    sequences: &[catalog::Sequence],
) -> Result<(), PgError> {
    let sql: String = sequences
        .iter()
        .map(|s| {
            let name = format!("{}.{}", quote_ident(&s.schema), quote_ident(&s.name));
            // Exactly as on the source: a never-used sequence keeps `is_called = false`, so the
            // first id on staging is the one production would hand out next.
            format!(
                "SELECT pg_catalog.setval({}, {}, {});",
                quote_literal(&name),
                s.last_value,
                s.is_called
            )
        })
        .collect();
    if sql.is_empty() {
        return Ok(());
    }
    client
        .batch_execute(&sql)
        .await
        .map_err(|e| PgError::from_driver(Side::Target, server, "setting sequences", &e))
}
