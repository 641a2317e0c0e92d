//! Validates the user's rules file against the snapshot before anything is copied.

use anyhow::Context as _;
use tokio_postgres::Client;

use crate::postgres::quote_ident;
use crate::sync::catalog::Table;
use crate::transform::RulesFile;
use crate::transform::rules_check::{self, SnapshotTable};

/// Distinct keys read per EAV table for the check (and its suggestions).
const MAX_KEYS: i64 = 20_000;

/// Fails when a table, column or meta-key pattern of `rules` matches nothing in the snapshot.
pub(super) async fn validate(
    rules: &RulesFile,
    prefix: &str,
    tables: &[Table],
    snapshot: &Client,
) -> anyhow::Result<()> {
    let mut seen: Vec<SnapshotTable> = tables
        .iter()
        .map(|t| SnapshotTable {
            name: t.name.clone(),
            columns: t.columns.iter().map(|c| c.name.clone()).collect(),
            keys: Vec::new(),
        })
        .collect();
    for (name, rule) in rules.tables.iter().filter(|(_, r)| !r.meta_keys.is_empty()) {
        let key = rules_check::key_column(name, rule);
        for (i, t) in tables.iter().enumerate() {
            let Some(col) = t.columns.iter().find(|c| c.name.eq_ignore_ascii_case(&key)) else {
                continue;
            };
            if rules_check::matching(name, prefix, std::slice::from_ref(&seen[i])).is_empty() {
                continue;
            }
            let sql = format!(
                "SELECT DISTINCT {c}::text FROM {t} WHERE {c} IS NOT NULL LIMIT {MAX_KEYS}",
                c = quote_ident(&col.name),
                t = t.qualified()
            );
            let rows = snapshot.query(&sql, &[]).await.with_context(|| {
                format!(
                    "reading the keys of {} for the rules check",
                    t.display_name()
                )
            })?;
            seen[i].keys = rows.iter().map(|r| r.get(0)).collect();
        }
    }
    let problems = rules_check::check(rules, prefix, &seen);
    if !problems.is_empty() {
        anyhow::bail!(
            "the rules file names what the source does not have, so it would protect nothing: {}. \
             Fix the names, or mark a table's rule `optional: true` if not every site has it.",
            problems.join("; ")
        );
    }
    Ok(())
}
