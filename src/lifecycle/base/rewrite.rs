//! The in-place URL rewrite of a fresh copy of the base snapshot: only rows whose text holds the
//! base's host are read, run through the same URL rewriter as a full copy (anonymization off: the
//! base is anonymized already) and written back keyed by primary key, all in one transaction
//! together with the finished-copy marker, so a failure leaves no half-rewritten database.

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _, pin_mut};
use tokio_postgres::Client;

use crate::lifecycle::TransformSettings;
use crate::postgres::{DbUrl, Side, connect, quote_ident, quote_literal, server_major};
use crate::sync::catalog::{self, Table};
use crate::sync::{RowOutcome, RowTransform, Transforms};
use crate::transform::RunReport;

/// Rows are handed to the writer in batches of about this many bytes.
const BATCH: usize = 1 << 20;

/// What the rewrite did.
#[derive(Debug, Default, Clone)]
pub struct RewriteStats {
    pub tables: usize,
    pub rows_read: u64,
    pub rows_changed: u64,
    pub transform_report: Option<RunReport>,
}

/// Rewrites `from` to `to` in `db` and records `synced_at` as its finished-copy marker.
pub async fn rewrite_in_place(
    settings: &TransformSettings,
    db: &DbUrl,
    from: &str,
    to: &str,
    synced_at: &str,
) -> anyhow::Result<RewriteStats> {
    let settings = TransformSettings {
        anonymize: false,
        keep_blog_public: settings.keep_blog_public,
        rewrite_guid: settings.rewrite_guid,
        uploads_url: settings.uploads_url.clone(),
        rewrite_uploads: settings.rewrite_uploads,
        ..TransformSettings::default()
    };
    let transforms = crate::pipeline::build(&settings, &[(from.to_owned(), to.to_owned())])?;
    let needle = host_core(from)?;
    // Two sessions: one streams the matching rows out while the other, inside the transaction,
    // takes the rewritten rows in.
    let reader = connect(db, Side::Target).await?;
    let writer = connect(db, Side::Target).await?;
    let major = server_major(&reader, db, Side::Target).await?;
    reader
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await?;
    let tables = catalog::tables(&reader, "staging", major).await?;
    transforms.prepare(&tables, &reader).await?;
    writer.batch_execute("BEGIN").await?;
    let mut stats = RewriteStats::default();
    let result = async {
        for (i, table) in tables.iter().enumerate() {
            let Some(rt) = transforms.for_table(table)? else {
                continue;
            };
            rewrite_table(&reader, &writer, table, rt, &needle, i, &mut stats).await?;
        }
        writer
            .batch_execute(&format!(
                "ALTER DATABASE {} SET wpstage.synced_at = {}",
                quote_ident(db.dbname()),
                quote_literal(synced_at)
            ))
            .await?;
        anyhow::Ok(())
    }
    .await;
    match result {
        Ok(()) => writer.batch_execute("COMMIT").await?,
        Err(e) => {
            if let Err(rb) = writer.batch_execute("ROLLBACK").await {
                tracing::warn!(error = %rb, "rolling back the in-place rewrite failed");
            }
            return Err(e.context("rewriting the site URL in the copy of the base snapshot"));
        }
    }
    stats.transform_report = transforms.report();
    Ok(stats)
}

/// Rewrites the rows of one table that hold `needle`.
async fn rewrite_table(
    reader: &Client,
    writer: &Client,
    table: &Table,
    mut rt: Box<dyn RowTransform>,
    needle: &str,
    index: usize,
    stats: &mut RewriteStats,
) -> anyhow::Result<()> {
    stats.tables += 1;
    let cols = table.column_list();
    let qualified = table.qualified();
    let keyed = !table.primary_key.is_empty();
    let staged = format!("wpstage_rewrite_{index}");
    let mut filter = format!("strpos(r::text, {}) > 0", quote_literal(needle));
    // Staging's upload_url_path is set whatever it holds: production's empty value names no host.
    if let Some(name) = table
        .columns
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case("option_name"))
    {
        filter.push_str(&format!(
            " OR r.{} = 'upload_url_path'",
            quote_ident(&name.name)
        ));
    }
    writer
        .batch_execute(&format!(
            "CREATE TEMP TABLE {staged} ON COMMIT DROP AS SELECT {cols} FROM {qualified} WITH NO DATA"
        ))
        .await?;
    let out = reader
        .copy_out(&format!(
            "COPY (SELECT {cols} FROM {qualified} AS r WHERE {filter}) TO STDOUT"
        ))
        .await?;
    let sink = writer
        .copy_in(&format!("COPY {staged} ({cols}) FROM STDIN"))
        .await?;
    pin_mut!(out);
    pin_mut!(sink);
    let (mut pending, mut batch, mut row_out) = (Vec::new(), Vec::new(), Vec::new());
    let mut changed = 0u64;
    while let Some(chunk) = out.next().await {
        pending.extend_from_slice(&chunk?);
        let mut start = 0;
        // COPY text escapes newlines inside values: every raw `\n` ends a row.
        while let Some(len) = memchr::memchr(b'\n', &pending[start..]) {
            let row = &pending[start..=start + len];
            start += len + 1;
            stats.rows_read += 1;
            row_out.clear();
            match rt.transform_row(row, &mut row_out)? {
                RowOutcome::Changed => {
                    changed += 1;
                    batch.extend_from_slice(&row_out);
                }
                // A table without a key is rewritten by replacing every matching row.
                RowOutcome::Unchanged if !keyed => batch.extend_from_slice(row),
                RowOutcome::Unchanged => {}
                RowOutcome::Dropped => anyhow::bail!(
                    "the URL rewrite dropped a row of {} (only anonymization may drop rows)",
                    table.display_name()
                ),
            }
        }
        pending.drain(..start);
        if batch.len() >= BATCH {
            sink.send(Bytes::from(std::mem::take(&mut batch))).await?;
        }
    }
    anyhow::ensure!(
        pending.is_empty(),
        "the copy of {} ended inside a row",
        table.display_name()
    );
    if !batch.is_empty() {
        sink.send(Bytes::from(batch)).await?;
    }
    sink.finish().await?;
    rt.finish();
    stats.rows_changed += changed;
    if changed == 0 {
        return Ok(());
    }
    if let Some(apply) = apply_staged(table, &staged, &filter) {
        writer.batch_execute(&apply).await?;
    }
    Ok(())
}

/// The statement that puts the rewritten rows staged in `staged` into `table`: an UPDATE by
/// primary key, or for a table without a key, DELETE every row matching `filter` and INSERT the
/// staged ones. `None` when a keyed table has no column besides its key (nothing to update).
fn apply_staged(table: &Table, staged: &str, filter: &str) -> Option<String> {
    let qualified = table.qualified();
    if table.primary_key.is_empty() {
        let cols = table.column_list();
        return Some(format!(
            "DELETE FROM {qualified} AS r WHERE {filter}; \
             INSERT INTO {qualified} ({cols}) SELECT {cols} FROM {staged}"
        ));
    }
    let pk: Vec<&str> = table
        .primary_key
        .iter()
        .map(|&i| table.columns[i].name.as_str())
        .collect();
    let set: Vec<String> = table
        .columns
        .iter()
        .filter(|c| !pk.contains(&c.name.as_str()))
        .map(|c| format!("{0} = s.{0}", quote_ident(&c.name)))
        .collect();
    if set.is_empty() {
        return None;
    }
    let on: Vec<String> = pk
        .iter()
        .map(|c| format!("r.{0} = s.{0}", quote_ident(c)))
        .collect();
    Some(format!(
        "UPDATE {qualified} AS r SET {} FROM {staged} AS s WHERE {}",
        set.join(", "),
        on.join(" AND ")
    ))
}

/// The part of a site URL's host that every stored form of the URL keeps verbatim: lower case,
/// without `www.` (the same pre-check the URL rewriter uses).
fn host_core(site: &str) -> anyhow::Result<String> {
    let rest = site
        .split_once("://")
        .map(|(_, r)| r)
        .ok_or_else(|| anyhow::anyhow!("the base's site URL {site:?} has no scheme"))?;
    let host = rest
        .split(['/', ':', '?', '#'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    anyhow::ensure!(!host.is_empty(), "the base's site URL {site:?} has no host");
    Ok(host.strip_prefix("www.").unwrap_or(&host).to_owned())
}

#[cfg(test)]
mod tests {
    use super::host_core;

    #[test]
    fn the_needle_is_the_bare_lower_case_host() {
        assert_eq!(
            host_core("https://www.Client-Site.example/blog").unwrap(),
            "client-site.example"
        );
        assert_eq!(
            host_core("http://shop.example:8080").unwrap(),
            "shop.example"
        );
        assert!(host_core("client-site.example").is_err());
    }
}
