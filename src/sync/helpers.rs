//! The databases wpstage builds beside a target (`…__wpstage_next`) and keeps for a moment
//! during the swap (`…__wpstage_old`): their names, and removing them.

use sha2::{Digest as _, Sha256};
use tokio_postgres::Client;

use crate::postgres::{DbUrl, PgError, PgErrorKind, Side, connect, quote_ident};

/// What every helper database's name ends with, before `next` or `old`.
pub const HELPER_MARK: &str = "__wpstage_";

/// `<db>__wpstage_<what>`. A name that would not fit PostgreSQL's 63-byte identifiers is cut and
/// given a hash of the whole name, so two long target names never share a helper.
pub fn side_name(db: &str, what: &str) -> String {
    let suffix = format!("{HELPER_MARK}{what}");
    if db.len() + suffix.len() <= 63 {
        return format!("{db}{suffix}");
    }
    let hash = hex::encode(&Sha256::digest(db.as_bytes())[..4]);
    let mut base = db.to_owned();
    while base.len() + 1 + hash.len() + suffix.len() > 63 {
        base.pop();
    }
    format!("{base}_{hash}{suffix}")
}

/// Both helper names of `db`.
pub fn helper_names(db: &str) -> [String; 2] {
    [side_name(db, "next"), side_name(db, "old")]
}

/// A connection to a database other than the target, to create, rename and drop databases.
pub async fn connect_maintenance(target: &DbUrl) -> Result<Client, PgError> {
    let mut last = None;
    for db in ["postgres", "template1"] {
        if db == target.dbname() {
            continue;
        }
        match connect(&target.with_dbname(db), Side::Target).await {
            Ok(c) => return Ok(c),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        PgError::new(
            Side::Target,
            PgErrorKind::Other,
            "no maintenance database to connect to",
        )
    }))
}

pub async fn terminate_sessions(client: &Client, db: &str) {
    let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
               WHERE datname = $1 AND pid <> pg_backend_pid()";
    if let Err(e) = client.query(sql, &[&db]).await {
        tracing::debug!(error = %e, "could not end sessions on {db}");
    }
}

pub async fn drop_database(
    client: &Client,
    db: &str,
    major: u32,
    server: &str,
) -> Result<(), PgError> {
    terminate_sessions(client, db).await;
    let force = if major >= 13 { " WITH (FORCE)" } else { "" };
    client
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {}{force}",
            quote_ident(db)
        ))
        .await
        .map_err(|e| {
            PgError::from_driver(Side::Target, server, &format!("dropping database {db}"), &e)
        })
}

/// Every helper database on the server `client` is connected to, whether or not its target
/// still exists.
pub async fn list_helpers(client: &Client) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT datname::text FROM pg_database \
             WHERE datname LIKE '%\\_\\_wpstage\\_next' OR datname LIKE '%\\_\\_wpstage\\_old' \
             ORDER BY 1",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_read_plainly() {
        assert_eq!(side_name("wordpress", "next"), "wordpress__wpstage_next");
        assert_eq!(
            helper_names("wp"),
            ["wp__wpstage_next".to_owned(), "wp__wpstage_old".to_owned()]
        );
    }

    #[test]
    fn long_names_fit_and_stay_apart() {
        let a = format!("{}_a", "x".repeat(60));
        let b = format!("{}_b", "x".repeat(60));
        for what in ["next", "old"] {
            let (na, nb) = (side_name(&a, what), side_name(&b, what));
            assert!(na.len() <= 63 && nb.len() <= 63, "{na} {nb}");
            assert_ne!(na, nb, "two long targets share a helper");
            assert!(na.ends_with(&format!("__wpstage_{what}")));
        }
        // Multi-byte characters are never cut in half.
        let wide = "é".repeat(40);
        assert!(side_name(&wide, "next").len() <= 63);
    }
}
