//! Opening connections with errors that name the side.

use std::time::Duration;

use tokio_postgres::Client;

use super::{DbUrl, PgError, Side};

/// Connects to `url`; the connection task runs in the background until the client is dropped.
pub async fn connect(url: &DbUrl, side: Side) -> Result<Client, PgError> {
    let mut config = url.config().clone();
    config.application_name("wpstage");
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(15));
    }
    config.keepalives_idle(Duration::from_secs(30));
    let tls = super::tls::connector().map_err(|e| {
        PgError::new(
            side,
            super::PgErrorKind::Other,
            format!("TLS could not be set up: {e}"),
        )
    })?;
    let (client, connection) = config
        .connect(tls)
        .await
        .map_err(|e| PgError::from_driver(side, &url.to_string(), "connecting", &e))?;
    tokio::spawn(async move {
        // The client side reports the failure of any request; this only notes the cause.
        if let Err(e) = connection.await {
            tracing::debug!(%side, error = %e, "connection closed");
        }
    });
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
