//! The local platform's fast path for PR databases made from a base snapshot: a file-level copy
//! of the base (`CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY` on PostgreSQL 15+, a plain
//! template copy before that) and the swap that puts the finished copy in the environment's place.
//! Nothing here connects to the base itself: a template must have no sessions while it is copied.

use std::time::Duration;

use anyhow::Context as _;
use tokio_postgres::Client;

use crate::postgres::{quote_ident, quote_literal};

/// How often a clone is retried while another session holds the template open.
const BUSY_RETRIES: u32 = 50;

/// Creates `name` as a copy of `template` on the server `admin` is connected to.
pub async fn clone_database(
    admin: &Client,
    major: u32,
    template: &str,
    name: &str,
) -> anyhow::Result<()> {
    let strategy = if major >= 15 {
        " STRATEGY FILE_COPY"
    } else {
        ""
    };
    let sql = format!(
        "CREATE DATABASE {} TEMPLATE {}{strategy}",
        quote_ident(name),
        quote_ident(template)
    );
    execute_when_free(admin, &sql).await.with_context(|| {
        format!("copying the base snapshot {template:?} into {name:?} on the staging server")
    })
}

/// Runs `sql`, retrying for a few seconds while another session holds a database it needs
/// (SQLSTATE 55006: a template being copied, a database being renamed whose sessions are still
/// closing).
async fn execute_when_free(admin: &Client, sql: &str) -> Result<(), tokio_postgres::Error> {
    let mut attempt = 0;
    loop {
        match admin.batch_execute(sql).await {
            Err(e) if attempt < BUSY_RETRIES && e.code().map(|c| c.code()) == Some("55006") => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => return other,
        }
    }
}

/// Drops a database this run made (no error when it is gone already).
pub async fn drop_database(admin: &Client, major: u32, name: &str) -> anyhow::Result<()> {
    let force = if major >= 13 { " WITH (FORCE)" } else { "" };
    admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {}{force}",
            quote_ident(name)
        ))
        .await
        .with_context(|| format!("dropping database {name:?}"))
}

/// The comment on a database (wpstage's ownership marker), if any.
pub async fn database_comment(admin: &Client, name: &str) -> anyhow::Result<Option<String>> {
    let row = admin
        .query_opt(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await
        .with_context(|| format!("looking up database {name:?}"))?;
    Ok(row.and_then(|r| r.get(0)))
}

/// Puts `fresh` in the place of `target`: the target's comment (its ownership marker) moves to
/// the fresh copy, the old database is dropped and the fresh one takes its name.
pub async fn swap_in(admin: &Client, major: u32, fresh: &str, target: &str) -> anyhow::Result<()> {
    let comment = database_comment(admin, target).await?;
    drop_database(admin, major, target).await?;
    let rename = format!(
        "ALTER DATABASE {} RENAME TO {}",
        quote_ident(fresh),
        quote_ident(target)
    );
    execute_when_free(admin, &rename)
        .await
        .with_context(|| format!("renaming the fresh copy {fresh:?} to {target:?}"))?;
    if let Some(comment) = comment {
        admin
            .batch_execute(&format!(
                "COMMENT ON DATABASE {} IS {}",
                quote_ident(target),
                quote_literal(&comment)
            ))
            .await
            .with_context(|| format!("marking {target:?} as wpstage's"))?;
    }
    Ok(())
}
