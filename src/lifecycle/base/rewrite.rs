//! The in-place URL rewrite of a fresh copy of the base snapshot: only rows whose text holds the
//! base's host (in a column the rewriter may change) are read, run through the same URL rewriter
//! as a full copy (anonymization off: the base is anonymized already) and written back keyed by
//! primary key. The copy is a new database nobody else sees until it is swapped in, so tables are
//! rewritten in parallel, each in its own transaction; the finished-copy marker is set only after
//! every table is done, and a failure drops the whole copy (see `copy_from_base`).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context as _;
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
    /// Tables refilled whole instead of updated (most of their rows changed).
    pub tables_refilled: usize,
    pub rows_read: u64,
    pub rows_changed: u64,
    /// Time spent putting the rewritten rows in place, after streaming them.
    pub apply_seconds: f64,
    pub transform_report: Option<RunReport>,
}

impl RewriteStats {
    fn add(&mut self, other: &RewriteStats) {
        self.tables += other.tables;
        self.tables_refilled += other.tables_refilled;
        self.rows_read += other.rows_read;
        self.rows_changed += other.rows_changed;
        self.apply_seconds += other.apply_seconds;
    }
}

/// Rewrites `from` to `to` in `db` on up to `jobs` pairs of sessions and records `synced_at` as
/// its finished-copy marker once every table is done.
pub async fn rewrite_in_place(
    settings: &TransformSettings,
    db: &DbUrl,
    from: &str,
    to: &str,
    synced_at: &str,
    jobs: usize,
) -> anyhow::Result<RewriteStats> {
    let rewrite_guid = settings.rewrite_guid;
    let settings = url_only(settings);
    let transforms = crate::pipeline::build(&settings, &[(from.to_owned(), to.to_owned())])?;
    let needle = host_core(from)?;
    let control = connect(db, Side::Target).await?;
    let major = server_major(&control, db, Side::Target).await?;
    let mut tables = catalog::tables(&control, "staging", major).await?;
    transforms.prepare(&tables, &control).await?;
    // Largest first, so the longest table does not start last.
    tables.sort_by_key(|t| std::cmp::Reverse(t.bytes));
    let mut work = VecDeque::new();
    for table in tables {
        if let Some(rt) = transforms.for_table(&table)? {
            work.push_back((table, rt));
        }
    }
    // The loading settings of a full copy: lz4 TOAST compression above all, as rewritten
    // post bodies are compressed again when written (pglz took twice as long on `wp_posts`).
    let loading = crate::sync::target_settings(&control, db).await;
    let queue = Mutex::new(work);
    let workers = (0..jobs.clamp(1, queue_len(&queue).max(1)))
        .map(|_| worker(db, &queue, &needle, rewrite_guid, &loading));
    let per_worker = futures_util::future::try_join_all(workers)
        .await
        .map_err(|e| e.context("rewriting the site URL in the copy of the base snapshot"))?;
    let mut stats = RewriteStats::default();
    for s in &per_worker {
        stats.add(s);
    }
    control
        .batch_execute(&format!(
            "ALTER DATABASE {} SET wpstage.synced_at = {}",
            quote_ident(db.dbname()),
            quote_literal(synced_at)
        ))
        .await?;
    stats.transform_report = transforms.report();
    Ok(stats)
}

/// The transform settings for a copy of the base: the URL rewrite and the staging safety
/// settings only, no anonymization (the base is anonymized already, so the leak check, which
/// compares with the originals it reads, has nothing to compare).
pub(crate) fn url_only(settings: &TransformSettings) -> TransformSettings {
    TransformSettings {
        anonymize: false,
        keep_blog_public: settings.keep_blog_public,
        rewrite_guid: settings.rewrite_guid,
        uploads_url: settings.uploads_url.clone(),
        rewrite_uploads: settings.rewrite_uploads,
        ..TransformSettings::default()
    }
}

fn queue_len<T>(queue: &Mutex<VecDeque<T>>) -> usize {
    queue.lock().map_or(0, |q| q.len())
}

/// One reader and one writer session taking tables off `queue` until it is empty.
async fn worker(
    db: &DbUrl,
    queue: &Mutex<VecDeque<(Table, Box<dyn RowTransform>)>>,
    needle: &str,
    rewrite_guid: bool,
    loading: &str,
) -> anyhow::Result<RewriteStats> {
    // One session streams the matching rows out while the other takes the rewritten rows in.
    let reader = connect(db, Side::Target).await?;
    let writer = connect(db, Side::Target).await?;
    writer.batch_execute(loading).await?;
    let mut stats = RewriteStats::default();
    loop {
        let next = queue
            .lock()
            .map_err(|_| anyhow::anyhow!("a rewrite worker panicked"))?
            .pop_front();
        let Some((table, rt)) = next else {
            return Ok(stats);
        };
        let started = Instant::now();
        let mut one = RewriteStats::default();
        async {
            writer.batch_execute("BEGIN").await?;
            rewrite_table(&reader, &writer, &table, rt, needle, rewrite_guid, &mut one).await?;
            writer.batch_execute("COMMIT").await?;
            anyhow::Ok(())
        }
        .await
        .with_context(|| format!("rewriting {}", table.display_name()))?;
        tracing::info!(
            table = %table.display_name(),
            rows_read = one.rows_read,
            rows_rewritten = one.rows_changed,
            seconds = started.elapsed().as_secs_f64(),
            apply_seconds = one.apply_seconds,
            refilled = one.tables_refilled > 0,
            "rewrote a table of the copy of the base snapshot"
        );
        stats.add(&one);
    }
}

/// The row filter: a row is read when a column the URL rewriter may change holds `needle`.
/// `guid` is left alone unless it is rewritten too (every post's `guid` holds the host).
fn row_filter(table: &Table, needle: &str, rewrite_guid: bool) -> Option<String> {
    let needle = quote_literal(needle);
    let terms: Vec<String> = table
        .columns
        .iter()
        .filter(|c| rewrite_guid || !c.name.eq_ignore_ascii_case("guid"))
        // Numbers and dates hold no URL; casting them to text for the test costs time.
        .filter(|c| crate::transform::url_column_type(&c.type_name))
        .map(|c| {
            // Bare host columns (multisite `domain`) are matched whatever their case, as the
            // URL rewriter matches them; the needle is lower case.
            if c.name.eq_ignore_ascii_case("domain") {
                format!(
                    "strpos(lower(r.{}::text), {needle}) > 0",
                    quote_ident(&c.name)
                )
            } else {
                format!("strpos(r.{}::text, {needle}) > 0", quote_ident(&c.name))
            }
        })
        .chain(
            // Staging's upload_url_path is set whatever it holds: production's empty value
            // names no host.
            table
                .columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case("option_name"))
                .map(|c| format!("r.{} = 'upload_url_path'", quote_ident(&c.name))),
        )
        .collect();
    (!terms.is_empty()).then(|| terms.join(" OR "))
}

/// Rewrites the rows of one table that hold `needle`.
async fn rewrite_table(
    reader: &Client,
    writer: &Client,
    table: &Table,
    mut rt: Box<dyn RowTransform>,
    needle: &str,
    rewrite_guid: bool,
    stats: &mut RewriteStats,
) -> anyhow::Result<()> {
    stats.tables += 1;
    let Some(filter) = row_filter(table, needle, rewrite_guid) else {
        return Ok(());
    };
    let cols = table.column_list();
    let qualified = table.qualified();
    let keyed = !table.primary_key.is_empty();
    let staged = "wpstage_rewrite";
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
    let applying = Instant::now();
    let apply = if keyed && refill_pays(writer, table, changed).await? {
        stats.tables_refilled += 1;
        let indexes = rebuildable_indexes(writer, table).await?;
        Some(refill_staged(table, staged, &indexes))
    } else {
        apply_staged(table, staged, &filter)
    };
    if let Some(apply) = apply {
        writer.batch_execute(&apply).await?;
    }
    stats.apply_seconds += applying.elapsed().as_secs_f64();
    Ok(())
}

/// Is refilling `table` cheaper than updating its `changed` rows? An UPDATE writes a new version
/// of each row and an entry in every index beside the old ones (several times the cost of an
/// INSERT into an emptied table, measured on `wp_posts`), so when at least half the rows change
/// the table is emptied and refilled. Not for a table another one references (TRUNCATE refuses).
async fn refill_pays(writer: &Client, table: &Table, changed: u64) -> anyhow::Result<bool> {
    let row = writer
        .query_one(
            &format!(
                "SELECT count(*), EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' \
                 AND confrelid = {}::oid) FROM {}",
                table.oid,
                table.qualified()
            ),
            &[],
        )
        .await?;
    let (rows, referenced): (i64, bool) = (row.get(0), row.get(1));
    Ok(!referenced && u64::try_from(rows).is_ok_and(|rows| changed * 2 >= rows))
}

/// A secondary index of a table being refilled: its name and the statement that makes it.
struct Rebuild {
    name: String,
    definition: String,
}

/// The indexes of `table` that are dropped before a refill and built again after it (building
/// an index over the filled table sorts once, instead of an entry per inserted row: a third of
/// the refill of `wp_posts` with its four secondary indexes). Only plain valid indexes in the
/// default tablespace: a key or constraint's index, the replica identity and a clustered index
/// stay as they are.
async fn rebuildable_indexes(writer: &Client, table: &Table) -> anyhow::Result<Vec<Rebuild>> {
    let rows = writer
        .query(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) \
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE i.indrelid = $1::int8::oid AND i.indisvalid AND i.indisready \
               AND NOT i.indisprimary AND NOT i.indisreplident AND NOT i.indisclustered \
               AND c.reltablespace = 0 \
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) \
               AND NOT EXISTS (SELECT 1 FROM pg_description d WHERE d.objoid = i.indexrelid) \
             ORDER BY 1",
            &[&table.oid],
        )
        .await
        .with_context(|| format!("listing the indexes of {}", table.display_name()))?;
    Ok(rows
        .iter()
        .map(|r| Rebuild {
            name: r.get(0),
            definition: r.get(1),
        })
        .collect())
}

/// Statements that empty `table` and refill it with its unchanged rows and the rewritten rows
/// staged in `staged`, in the writer's transaction (sequences, grants and triggers stay: the
/// table itself is kept; `indexes` are dropped first and built again last).
fn refill_staged(table: &Table, staged: &str, indexes: &[Rebuild]) -> String {
    let qualified = table.qualified();
    let cols = table.column_list();
    let on: Vec<String> = table
        .primary_key
        .iter()
        .map(|&i| format!("r.{0} = s.{0}", quote_ident(&table.columns[i].name)))
        .collect();
    format!(
        "CREATE TEMP TABLE wpstage_keep ON COMMIT DROP AS SELECT {cols} FROM {qualified} AS r \
         WHERE NOT EXISTS (SELECT 1 FROM {staged} AS s WHERE {on}); \
         {drop}TRUNCATE ONLY {qualified}; \
         INSERT INTO {qualified} ({cols}) OVERRIDING SYSTEM VALUE SELECT {cols} FROM wpstage_keep; \
         INSERT INTO {qualified} ({cols}) OVERRIDING SYSTEM VALUE SELECT {cols} FROM {staged};\
         {build}",
        on = on.join(" AND "),
        drop = if indexes.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = indexes.iter().map(|i| i.name.as_str()).collect();
            format!("DROP INDEX {}; ", names.join(", "))
        },
        build = indexes
            .iter()
            .map(|i| format!(" {};", i.definition))
            .collect::<String>()
    )
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
    use super::{host_core, row_filter};
    use crate::sync::catalog::{Column, Table};

    #[test]
    fn the_row_filter_tests_only_columns_that_can_hold_a_url() {
        let col = |name: &str, type_name: &str| Column {
            name: name.to_owned(),
            type_name: type_name.to_owned(),
            max_chars: None,
        };
        let table = Table {
            oid: 1,
            schema: "public".to_owned(),
            name: "wp_blogs".to_owned(),
            bytes: 0,
            pages: 0,
            columns: vec![
                col("blog_id", "bigint"),
                col("domain", "character varying(200)"),
                col("path", "text"),
                col("registered", "timestamp without time zone"),
                col("guid", "character varying(255)"),
                col("meta", "jsonb"),
            ],
            primary_key: vec![0],
            split_key: None,
        };
        let filter = row_filter(&table, "client-site.example", false).unwrap();
        assert_eq!(
            filter,
            "strpos(lower(r.\"domain\"::text), 'client-site.example') > 0 OR \
             strpos(r.\"path\"::text, 'client-site.example') > 0 OR \
             strpos(r.\"meta\"::text, 'client-site.example') > 0"
        );
        assert!(
            row_filter(&table, "x", true)
                .unwrap()
                .contains("r.\"guid\"")
        );
        let numbers = Table {
            columns: vec![col("id", "integer"), col("at", "date")],
            ..table
        };
        assert_eq!(row_filter(&numbers, "x", false), None);
    }

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
