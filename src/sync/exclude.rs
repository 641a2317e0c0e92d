//! Default exclusions (see `transform::waste`), measured inside the snapshot: what each one
//! leaves out and how many bytes that saves, and how much post revisions hold.

use std::collections::HashMap;

use serde::Serialize;
use tokio_postgres::Client;

use super::catalog::Table;
use crate::postgres::{PgError, Side};
use crate::transform::waste::{self, Waste, WastePolicy};
use crate::transform::{TransformSet, logical_name};

/// Rows of one table left out of the copy.
#[derive(Debug, Clone, Serialize)]
pub struct Excluded {
    pub table: String,
    pub reason: String,
    pub rows: u64,
    /// Bytes of the rows left out (for a whole table, its size on the source).
    pub bytes: u64,
    /// The table was copied schema-only.
    pub whole_table: bool,
}

/// The exclusions of one run.
#[derive(Debug, Default)]
pub struct Exclusions {
    /// Table oid → predicate of the rows to leave out.
    pub predicates: HashMap<i64, String>,
    pub excluded: Vec<Excluded>,
    /// What post revisions and their meta hold, whether or not they were left out.
    pub revisions: Option<Excluded>,
}

/// Decides and measures the exclusions. `client` must be inside the snapshot transaction.
pub async fn plan(
    client: &Client,
    server: &str,
    tables: &[Table],
    policy: WastePolicy,
) -> Result<Exclusions, PgError> {
    let mut out = Exclusions::default();
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let Some(prefix) = TransformSet::detect_prefix(&names) else {
        return Ok(out);
    };
    let mut revisions: Option<Excluded> = None;
    for table in tables {
        if !table
            .name
            .to_ascii_lowercase()
            .starts_with(&prefix.to_ascii_lowercase())
        {
            continue;
        }
        let logical = logical_name(&table.name, &prefix);
        let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
        let base = &table.name[..table.name.len().saturating_sub(logical.len())];
        let sibling = |other: &str| {
            tables
                .iter()
                .find(|t| {
                    t.schema == table.schema
                        && t.name.eq_ignore_ascii_case(&format!("{base}{other}"))
                })
                .map(|t| {
                    (
                        t.qualified(),
                        t.columns.iter().map(|c| c.name.clone()).collect(),
                    )
                })
        };
        if let Some(w) = waste::revisions(&logical, &columns, &sibling) {
            let m = measure(client, server, table, &w).await?;
            let r = revisions.get_or_insert_with(|| Excluded {
                table: "posts + postmeta".into(),
                reason: waste::REVISIONS.into(),
                rows: 0,
                bytes: 0,
                whole_table: false,
            });
            r.rows += m.rows;
            r.bytes += m.bytes;
        }
        if let Some(w) = waste::decide(&logical, &columns, &sibling, policy) {
            let m = measure(client, server, table, &w).await?;
            out.predicates.insert(table.oid, w.leave_out_where);
            out.excluded.push(m);
        }
    }
    out.revisions = revisions;
    Ok(out)
}

async fn measure(
    client: &Client,
    server: &str,
    table: &Table,
    w: &Waste,
) -> Result<Excluded, PgError> {
    let whole_table = w.leave_out_where == "true";
    let sql = format!(
        "SELECT count(*)::int8, COALESCE(sum(pg_column_size(x.*)), 0)::int8 FROM {} x WHERE {}",
        table.qualified(),
        w.leave_out_where
    );
    let row = client.query_one(&sql, &[]).await.map_err(|e| {
        PgError::from_driver(
            Side::Source,
            server,
            "measuring what is left out of the copy",
            &e,
        )
    })?;
    let (rows, bytes): (i64, i64) = (row.get(0), row.get(1));
    Ok(Excluded {
        table: table.display_name(),
        reason: w.reason.to_owned(),
        rows: u64::try_from(rows).unwrap_or(0),
        bytes: if whole_table {
            table.bytes
        } else {
            u64::try_from(bytes).unwrap_or(0)
        },
        whole_table,
    })
}
