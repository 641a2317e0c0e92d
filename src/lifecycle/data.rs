//! Copying production into a staging database: the snapshot, the in-stream transforms and the
//! numbers the PR comment shows.

use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context as _;
use tokio_postgres::Client;

use super::config::LifecycleConfig;
use super::outcome::DataSummary;
use crate::postgres::{DbUrl, PgError, Side, connect, connect_source};
use crate::sync::{SyncOptions, SyncReport, Transforms, sync};

/// Why the production site URL could not be read from the source.
#[derive(Debug, thiserror::Error)]
pub enum SiteUrlError {
    #[error(
        "the `home` row of {table} in the source has a NULL option_value, so the production site \
         URL is unknown. Set it to the site's address (e.g. https://example.com) or set the URL \
         explicitly (--site-url / the `site_url` input)."
    )]
    NullHome { table: String },
    #[error(
        "the option_value column of {table} in the source is of type {type_name}, not text, so \
         its `home` row cannot be read as the production site URL. Set the URL explicitly \
         (--site-url / the `site_url` input)."
    )]
    NotText { table: String, type_name: String },
    #[error(
        "{table} in the source has {rows} `home` rows where WordPress keeps one, so the \
         production site URL is ambiguous. Delete the extra rows or set the URL explicitly \
         (--site-url / the `site_url` input)."
    )]
    ManyHomes { table: String, rows: usize },
    #[error(
        "could not find the production site URL: the source has no WordPress options table with \
         a `home` option. Set it explicitly (--site-url / the `site_url` input)."
    )]
    NotFound,
    #[error(transparent)]
    Database(#[from] PgError),
}

/// The production site URL: configured, or the source's `home` option.
pub async fn production_site_url(cfg: &LifecycleConfig, source: &DbUrl) -> anyhow::Result<String> {
    if let Some(url) = &cfg.site_url {
        return Ok(url.trim_end_matches('/').to_owned());
    }
    let client = connect_source(source, "wpstage").await?;
    // Only tables with WordPress's option columns: another application's `options` table is
    // not the site's, and reading it would fail for the wrong reason.
    let tables = client
        .query(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' AND c.relname LIKE '%options' \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid \
                      AND NOT a.attisdropped AND a.attname IN ('option_name', 'option_value')) = 2 \
             ORDER BY length(c.relname)",
            &[],
        )
        .await
        .context("looking for the WordPress options table in the source")?;
    for row in tables {
        let table: String = row
            .try_get(0)
            .context("reading the name of an options table in the source")?;
        if let Some(home) = home_option(&client, source, &table).await? {
            let home = home.trim().trim_end_matches('/').to_owned();
            if home.starts_with("http://") || home.starts_with("https://") {
                return Ok(home);
            }
        }
    }
    Err(SiteUrlError::NotFound.into())
}

/// The `home` option of `table` (`None`: the table has no such row).
async fn home_option(
    client: &Client,
    source: &DbUrl,
    table: &str,
) -> Result<Option<String>, SiteUrlError> {
    let sql = format!("SELECT option_value FROM {table} WHERE option_name = 'home'");
    let rows = client.query(&sql, &[]).await.map_err(|e| {
        PgError::from_driver(
            Side::Source,
            &source.host_port(),
            &format!("reading the `home` option from {table}"),
            &e,
        )
    })?;
    let row = match rows.as_slice() {
        [] => return Ok(None),
        [row] => row,
        _ => {
            return Err(SiteUrlError::ManyHomes {
                table: table.to_owned(),
                rows: rows.len(),
            });
        }
    };
    match row.try_get::<_, Option<String>>(0) {
        Ok(Some(home)) => Ok(Some(home)),
        Ok(None) => Err(SiteUrlError::NullHome {
            table: table.to_owned(),
        }),
        Err(_) => Err(SiteUrlError::NotText {
            table: table.to_owned(),
            type_name: row
                .columns()
                .first()
                .map_or_else(|| "unknown".to_owned(), |c| c.type_().name().to_owned()),
        }),
    }
}

/// The database setting that records a finished copy: an interrupted first copy (the job was
/// cancelled mid-stream) leaves tables but no marker, and the next `up` copies again.
const SYNCED_SETTING: &str = "wpstage.synced_at";

/// Whether a staging database holds a finished copy made by wpstage.
pub async fn is_synced(staging: &DbUrl) -> anyhow::Result<bool> {
    let client = connect(staging, Side::Target).await?;
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase \
             WHERE d.datname = current_database() AND s.setrole = 0 \
               AND EXISTS (SELECT 1 FROM unnest(s.setconfig) c WHERE c LIKE $1))",
            &[&format!("{SYNCED_SETTING}=%")],
        )
        .await
        .context("checking whether the staging database holds a finished copy")?;
    Ok(row.get(0))
}

/// Records that `staging` now holds a finished copy (see [`is_synced`]).
pub(crate) async fn mark_synced(staging: &DbUrl, at: &str) -> anyhow::Result<()> {
    let client = connect(staging, Side::Target).await?;
    let sql = format!(
        "ALTER DATABASE {} SET {SYNCED_SETTING} = {}",
        crate::postgres::quote_ident(staging.dbname()),
        crate::postgres::quote_literal(at)
    );
    client
        .batch_execute(&sql)
        .await
        .context("marking the staging copy as finished")?;
    Ok(())
}

/// Whether a database has any user table.
pub async fn has_tables(staging: &DbUrl) -> anyhow::Result<bool> {
    let client = connect(staging, Side::Target).await?;
    let tables = crate::postgres::user_tables(&client)
        .await
        .context("checking whether the database already has tables")?;
    Ok(tables > 0)
}

/// Streams production into `staging`, rewriting `site_url` to `preview_url`.
pub async fn copy(
    cfg: &LifecycleConfig,
    source: &DbUrl,
    staging: &DbUrl,
    site_url: &str,
    preview_url: &str,
) -> anyhow::Result<(SyncReport, DataSummary)> {
    let transforms = crate::pipeline::build(
        &cfg.transforms,
        &[(site_url.to_owned(), preview_url.to_owned())],
    )?;
    let random_key = transforms.random_key();
    let snapshot_time = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    tracing::info!(from = site_url, to = preview_url, "copying production data");
    let opts = sync_options(cfg, source, staging);
    let report = sync(&opts, Some(transforms as Arc<dyn Transforms>)).await?;
    mark_synced(staging, &snapshot_time).await?;
    let summary = summarize(&report, snapshot_time, cfg.transforms.anonymize, random_key);
    Ok((report, summary))
}

/// The sync settings of a lifecycle copy from `source` into `target`.
pub(crate) fn sync_options(cfg: &LifecycleConfig, source: &DbUrl, target: &DbUrl) -> SyncOptions {
    SyncOptions {
        source: source.clone(),
        target: target.clone(),
        jobs: cfg.jobs,
        pg_dump: cfg.pg_dump.clone(),
        progress_every: cfg.progress_every,
        split_larger_than: 64 << 20,
        dry_run: false,
        waste: Default::default(),
    }
}

/// The numbers of a sync report that the PR comment shows.
pub fn summarize(
    report: &SyncReport,
    snapshot_time: String,
    anonymized: bool,
    random_key: bool,
) -> DataSummary {
    // No transform report: no transforms ran, so none of them changed anything.
    let totals = report
        .transform
        .as_ref()
        .map(|t| t.totals.clone())
        .unwrap_or_default();
    DataSummary {
        snapshot_time,
        tables: report.tables.len(),
        rows: report.rows,
        bytes: report.bytes,
        anonymized,
        random_key: anonymized && random_key,
        anonymized_columns: totals.anonymized_columns,
        anonymized_values: totals.anonymized_values,
        url_replacements: totals.url_replacements,
        rows_dropped: report.tables.iter().map(|t| t.rows_dropped).sum(),
        transform_report: report.transform.clone(),
        base: None,
    }
}
