//! Opening connections with errors that name the side.

use std::time::Duration;

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::{DbUrl, PgError, Side};

/// Server-side limits that would end a long copy, an idle lock session or a session waiting
/// for a lock: wpstage's own sessions switch off every one (a server default or a role setting
/// must not break a run). They are startup options, so that they hold from the first moment.
const NO_TIMEOUTS: &str = "-c statement_timeout=0 -c lock_timeout=0 \
     -c idle_in_transaction_session_timeout=0";
/// PostgreSQL 14+ only; an older server refuses the connection, which is then retried without.
const NO_IDLE_SESSION_TIMEOUT: &str = "-c idle_session_timeout=0";
const READ_ONLY: &str = "-c default_transaction_read_only=on";
/// For servers or poolers that refuse startup options: the same, as statements.
const NO_TIMEOUTS_SQL: &str = "SELECT pg_catalog.set_config(name, '0', false) \
     FROM pg_catalog.pg_settings WHERE name IN ('statement_timeout', 'lock_timeout', \
     'idle_in_transaction_session_timeout', 'idle_session_timeout')";

/// Connects to `url`; the connection task runs in the background until the client is dropped.
/// The session's statement, lock and idle timeouts are switched off.
pub async fn connect(url: &DbUrl, side: Side) -> Result<Client, PgError> {
    connect_as(url, side, "wpstage", false).await
}

/// Connects to the source: like [`connect`], and the session is read-only
/// (`default_transaction_read_only`), so that no statement of wpstage can write production.
/// `application_name` lets the target server recognise this very session (see `sync::identity`).
pub async fn connect_source(url: &DbUrl, application_name: &str) -> Result<Client, PgError> {
    connect_as(url, Side::Source, application_name, true).await
}

async fn connect_as(
    url: &DbUrl,
    side: Side,
    application_name: &str,
    read_only: bool,
) -> Result<Client, PgError> {
    let mut base: Vec<&str> = url.config().get_options().into_iter().collect();
    base.push(NO_TIMEOUTS);
    if read_only {
        base.push(READ_ONLY);
    }
    let with_idle = [base.clone(), vec![NO_IDLE_SESSION_TIMEOUT]]
        .concat()
        .join(" ");
    let attempts = [Some(with_idle), Some(base.join(" ")), None];
    let tls = super::tls::connector().map_err(|e| {
        PgError::new(
            side,
            super::PgErrorKind::Other,
            format!("TLS could not be set up: {e}"),
        )
    })?;
    let mut refused = None;
    for options in attempts {
        match open(url, side, application_name, options.as_deref(), tls.clone()).await {
            Ok(client) if options.is_some() => return Ok(client),
            Ok(client) => return settings_by_statement(client, url, side, read_only).await,
            // An unknown parameter (an older server) or refused startup options (a pooler).
            Err(e)
                if e.code() == Some(&SqlState::UNDEFINED_OBJECT)
                    || e.code() == Some(&SqlState::PROTOCOL_VIOLATION)
                    || e.code() == Some(&SqlState::FEATURE_NOT_SUPPORTED) =>
            {
                refused = Some(e);
            }
            Err(e) => {
                return Err(PgError::from_driver(
                    side,
                    &url.to_string(),
                    "connecting",
                    &e,
                ));
            }
        }
    }
    Err(match refused {
        Some(e) => PgError::from_driver(side, &url.to_string(), "connecting", &e),
        None => PgError::new(
            side,
            super::PgErrorKind::Other,
            "no connection attempt was made",
        ),
    })
}

async fn open(
    url: &DbUrl,
    side: Side,
    application_name: &str,
    options: Option<&str>,
    tls: super::tls::Connector,
) -> Result<Client, tokio_postgres::Error> {
    let mut config = url.config().clone();
    config.application_name(application_name);
    if let Some(options) = options {
        config.options(options);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(15));
    }
    config.keepalives_idle(Duration::from_secs(30));
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(async move {
        // The client side reports the failure of any request; this only notes the cause.
        if let Err(e) = connection.await {
            tracing::debug!(%side, error = %e, "connection closed");
        }
    });
    Ok(client)
}

async fn settings_by_statement(
    client: Client,
    url: &DbUrl,
    side: Side,
    read_only: bool,
) -> Result<Client, PgError> {
    let err = |e: tokio_postgres::Error| {
        PgError::from_driver(side, &url.to_string(), "preparing the session", &e)
    };
    client.query(NO_TIMEOUTS_SQL, &[]).await.map_err(err)?;
    if read_only {
        client
            .batch_execute("SET default_transaction_read_only = on")
            .await
            .map_err(err)?;
    }
    Ok(client)
}

/// The server's major version (e.g. 15) from `server_version_num`.
pub async fn server_major(client: &Client, url: &DbUrl, side: Side) -> Result<u32, PgError> {
    let row = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .await
        .map_err(|e| {
            PgError::from_driver(side, &url.to_string(), "reading the server version", &e)
        })?;
    let num: i32 = row.get(0);
    Ok(u32::try_from(num / 10000).unwrap_or(0))
}

/// How many ordinary tables the database's own schemas hold (catalogs and TOAST excluded).
pub async fn user_tables(client: &Client) -> Result<i64, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname !~ '^pg_(toast|temp)'",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

/// Quotes an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal (standard_conforming_strings on).
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_the_quote_character() {
        assert_eq!(quote_ident("wp_posts"), "\"wp_posts\"");
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
