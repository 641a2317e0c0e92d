//! The checks around the copy: sampling columns no rule covers (before) and the leak check
//! (after the load, before the copy is kept).

use anyhow::Context as _;
use futures_util::{StreamExt as _, pin_mut};
use tokio_postgres::Client;

use super::{StreamTransforms, is_text, table_info};
use crate::postgres::quote_ident;
use crate::sync::catalog::Table;
use crate::transform;

/// Where the leak check reads the row it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rows {
    /// The loaded copy.
    Copy,
    /// The source, transformed once more (a dry run writes no copy).
    Source,
}

/// Rows sampled per table to find personal data in columns no rule covers.
const SAMPLE_ROWS: i64 = 500;

/// The rows of kept accounts: they keep their data, so the leak check skips them.
#[derive(Debug, Default, Clone)]
pub(super) struct KeptRows {
    pub(super) ids: Vec<i64>,
    pub(super) users: String,
    pub(super) usermeta: String,
    pub(super) usermeta_key: String,
}

impl KeptRows {
    /// An SQL condition that leaves out kept accounts' rows of `table` (`true` elsewhere).
    fn exclude(&self, table: &str, columns: &[String]) -> String {
        if self.ids.is_empty() {
            return "true".to_owned();
        }
        let list: Vec<String> = self.ids.iter().map(i64::to_string).collect();
        let key = if table == self.users {
            columns.iter().find(|c| c.eq_ignore_ascii_case("id"))
        } else if table == self.usermeta {
            Some(&self.usermeta_key)
        } else {
            None
        };
        match key {
            Some(k) => format!(
                "{} <> ALL(ARRAY[{}]::int8[])",
                quote_ident(k),
                list.join(",")
            ),
            None => "true".to_owned(),
        }
    }
}

impl StreamTransforms {
    /// Samples text columns that no anonymization rule covers and lists those holding
    /// email-, phone- or IP-like values.
    pub(super) async fn scan_uncovered(
        &self,
        tables: &[Table],
        snapshot: &Client,
    ) -> anyhow::Result<Vec<String>> {
        let covered: Vec<(String, Vec<String>)> = {
            let set = self.set()?;
            tables
                .iter()
                .map(|t| (t.name.clone(), set.covered_columns(&table_info(t))))
                .collect()
        };
        let mut found = Vec::new();
        for t in tables {
            let text_cols: Vec<&str> = t
                .columns
                .iter()
                .filter(|c| is_text(&c.type_name))
                .filter(|c| {
                    !covered.iter().any(|(tb, cols)| {
                        tb == &t.name && cols.iter().any(|col| col.eq_ignore_ascii_case(&c.name))
                    })
                })
                .map(|c| c.name.as_str())
                .collect();
            if text_cols.is_empty() {
                continue;
            }
            // As raw bytes: a SQL_ASCII source holds bytes its UTF-8 clients are refused; the
            // patterns looked for are ASCII, so a lossy read finds them all the same.
            let select: Vec<String> = text_cols
                .iter()
                .map(|c| format!("convert_to({}::text, 'SQL_ASCII')", quote_ident(c)))
                .collect();
            let sql = format!(
                "SELECT {} FROM {} LIMIT {SAMPLE_ROWS}",
                select.join(", "),
                t.qualified()
            );
            let rows = snapshot
                .query(&sql, &[])
                .await
                .with_context(|| format!("sampling {}", t.display_name()))?;
            for (i, col) in text_cols.iter().enumerate() {
                let hit = rows.iter().any(|r| {
                    r.get::<_, Option<Vec<u8>>>(i).is_some_and(|raw| {
                        let v = String::from_utf8_lossy(&raw);
                        v.len() < 200 && transform::looks_like_pii(v.trim()).is_some()
                    })
                });
                if hit {
                    found.push(format!("{}.{col}", t.name));
                }
            }
        }
        Ok(found)
    }

    /// The leak check: every email, IP and phone token the personal-data columns were given is
    /// compared (by hash, recorded in the stream) with the originals seen in the source. Only on
    /// a hit is the copy read again, to name the row.
    pub(super) async fn verify_inner(
        &self,
        target: &Client,
        rows: Rows,
    ) -> anyhow::Result<Vec<String>> {
        if !self.anonymize {
            return Ok(Vec::new());
        }
        let detector = self.set()?.leak_detector()?;
        let Some((table, column)) = detector.first_leak() else {
            tracing::info!(originals = detector.len(), "leak check passed");
            return Ok(Vec::new());
        };
        let row = self
            .locate_leak(target, &detector, &table, &column, rows)
            .await?;
        anyhow::bail!(
            "leak check failed: an original email, IP or phone number from production is still in \
             {table}.{column} ({row}) after anonymization. Nothing was kept. Add a rule for it \
             (--rules) and rerun; please report it if the table is a WordPress or WooCommerce one."
        )
    }

    /// Finds the row of `table.column` that holds an original value, for the error message.
    async fn locate_leak(
        &self,
        target: &Client,
        detector: &transform::LeakDetector,
        table: &str,
        column: &str,
        rows: Rows,
    ) -> anyhow::Result<String> {
        let kept = self
            .kept_emails
            .read()
            .map(|k| k.clone())
            .unwrap_or_default();
        let kept_rows = self.kept.read().map(|k| k.clone()).unwrap_or_default();
        let (qualified, keys) = key_columns(target, table).await?;
        if rows == Rows::Source {
            let skip = kept_rows.exclude(table, &keys);
            let place = (table, column, qualified.as_str(), skip.as_str());
            return self
                .locate_in_source(target, detector, &kept, place, &keys)
                .await;
        }
        let key_select: Vec<String> = keys
            .iter()
            .map(|k| format!("{}::text", quote_ident(k)))
            .collect();
        let sql = format!(
            "COPY (SELECT {c}::text{sep}{keys} FROM {qualified} WHERE {c} IS NOT NULL AND {skip}) TO STDOUT",
            c = quote_ident(column),
            sep = if keys.is_empty() { "" } else { ", " },
            keys = key_select.join(", "),
            skip = kept_rows.exclude(table, &keys),
        );
        let stream = target
            .copy_out(sql.as_str())
            .await
            .with_context(|| format!("scanning {table}.{column}"))?;
        pin_mut!(stream);
        while let Some(row) = stream.next().await {
            let row = row.with_context(|| format!("scanning {table}.{column}"))?;
            let fields = transform::copy_codec::decode_row(&row).unwrap_or_default();
            let Some(Some(value)) = fields.first() else {
                continue;
            };
            if leaks(detector, &kept, &String::from_utf8_lossy(value)) {
                let values: Vec<Option<&[u8]>> =
                    fields.iter().skip(1).map(|v| v.as_deref()).collect();
                return Ok(row_label(&keys, &values));
            }
        }
        Ok("row not located".to_owned())
    }

    /// The dry run's [`Self::locate_leak`]: the table's source rows are transformed once more
    /// (same key, same pseudonyms) and the first whose column holds an original is named.
    /// `place` is (table, column, qualified name, condition leaving out kept accounts' rows).
    async fn locate_in_source(
        &self,
        snapshot: &Client,
        detector: &transform::LeakDetector,
        kept: &[String],
        place: (&str, &str, &str, &str),
        keys: &[String],
    ) -> anyhow::Result<String> {
        let (table, column, qualified, skip) = place;
        let source = self
            .tables
            .read()
            .map_err(|_| anyhow::anyhow!("transform state poisoned"))?
            .iter()
            .find(|t| t.name == table)
            .cloned()
            .with_context(|| format!("table {table} is missing from the source"))?;
        let info = table_info(&source);
        let index = |name: &str| info.columns.iter().position(|c| c.name == name);
        let value_at = index(column).with_context(|| format!("{table} has no column {column}"))?;
        let key_at: Vec<usize> = keys.iter().filter_map(|k| index(k)).collect();
        let Some(mut rows) = self.set()?.for_table_detached(&info)? else {
            return Ok("row not located".to_owned());
        };
        let sql = format!(
            "COPY (SELECT {} FROM {qualified} WHERE {skip}) TO STDOUT",
            source.column_list()
        );
        let stream = snapshot
            .copy_out(sql.as_str())
            .await
            .with_context(|| format!("reading {table} again"))?;
        pin_mut!(stream);
        let mut out = Vec::new();
        while let Some(row) = stream.next().await {
            let row = row.with_context(|| format!("reading {table} again"))?;
            out.clear();
            if rows.transform_row(&row, &mut out)? == transform::RowOutcome::Dropped {
                continue;
            }
            let fields = transform::copy_codec::decode_row(&out).unwrap_or_default();
            let Some(Some(value)) = fields.get(value_at) else {
                continue;
            };
            if leaks(detector, kept, &String::from_utf8_lossy(value)) {
                let values: Vec<Option<&[u8]>> = key_at
                    .iter()
                    .map(|&i| fields.get(i).and_then(|v| v.as_deref()))
                    .collect();
                return Ok(row_label(keys, &values));
            }
        }
        Ok("row not located".to_owned())
    }
}

/// `row k1=v1, k2=v2`: how the leak check names a row.
fn row_label(keys: &[String], values: &[Option<&[u8]>]) -> String {
    let key: Vec<String> = keys
        .iter()
        .zip(values)
        .map(|(k, v)| format!("{k}={}", v.map(String::from_utf8_lossy).unwrap_or_default()))
        .collect();
    format!("row {}", key.join(", "))
}

/// A value leaks if it, or any email/IP/phone-looking token inside it, is an original (other
/// than a kept account's own address).
fn leaks(detector: &transform::LeakDetector, kept: &[String], text: &str) -> bool {
    let leaked = |t: &str| detector.leaks(t) && !kept.iter().any(|k| k.eq_ignore_ascii_case(t));
    if leaked(text.trim()) {
        return true;
    }
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, '"' | '\'' | ';' | ',' | '<' | '>' | '(' | ')')
    })
    .filter(|t| !t.is_empty() && transform::looks_like_pii(t).is_some())
    .any(|t| detector.leaks(t))
}

/// The table's qualified name and the columns that identify a row in a message: the primary
/// key, plus `option_name` / `meta_key` where they exist (they say more than an id).
async fn key_columns(target: &Client, table: &str) -> anyhow::Result<(String, Vec<String>)> {
    let row = target
        .query_opt(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.oid::int8 FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = $1 AND c.relkind = 'r' \
             AND n.nspname NOT IN ('pg_catalog', 'information_schema') LIMIT 1",
            &[&table],
        )
        .await
        .context("finding a table for the leak check")?
        .with_context(|| format!("table {table} is missing from the copy"))?;
    let (qualified, oid): (String, i64) = (row.get(0), row.get(1));
    let keys = target
        .query(
            "SELECT a.attname::text FROM pg_attribute a \
             LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY(i.indkey) \
             WHERE a.attrelid = $1::int8::oid AND a.attnum > 0 AND NOT a.attisdropped \
               AND (i.indrelid IS NOT NULL OR lower(a.attname) IN ('option_name', 'meta_key')) \
             ORDER BY a.attnum",
            &[&oid],
        )
        .await
        .context("reading the key columns for the leak check")?;
    Ok((qualified, keys.iter().map(|r| r.get(0)).collect()))
}
