//! Copying production into a staging database: the snapshot, the in-stream transforms and the
//! numbers the PR comment shows.

use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context as _;

use super::config::LifecycleConfig;
use super::outcome::DataSummary;
use crate::postgres::{DbUrl, Side, connect};
use crate::sync::{SyncOptions, SyncReport, Transforms, sync};

/// The production site URL: configured, or the source's `home` option.
pub async fn production_site_url(cfg: &LifecycleConfig, source: &DbUrl) -> anyhow::Result<String> {
    if let Some(url) = &cfg.site_url {
        return Ok(url.trim_end_matches('/').to_owned());
    }
    let client = connect(source, Side::Source).await?;
    let tables = client
        .query(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' AND c.relname LIKE '%options' \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY length(c.relname)",
            &[],
        )
        .await
        .context("looking for the WordPress options table in the source")?;
    for row in tables {
        let table: String = row.get(0);
        let sql = format!("SELECT option_value FROM {table} WHERE option_name = 'home'");
        if let Ok(Some(home)) = client
            .query_opt(&sql, &[])
            .await
            .map(|r| r.map(|r| r.get::<_, String>(0)))
        {
            let home = home.trim().trim_end_matches('/').to_owned();
            if home.starts_with("http://") || home.starts_with("https://") {
                return Ok(home);
            }
        }
    }
    anyhow::bail!(
        "could not find the production site URL: the source has no WordPress options table with a \
         `home` option. Set it explicitly (--site-url / the `site_url` input)."
    )
}

/// Whether a staging database already holds a copy (any user table).
pub async fn has_data(staging: &DbUrl) -> anyhow::Result<bool> {
    let client = connect(staging, Side::Target).await?;
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname !~ '^pg_(toast|temp)'",
            &[],
        )
        .await
        .context("checking whether the staging database already has data")?;
    Ok(row.get::<_, i64>(0) > 0)
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
    let opts = SyncOptions {
        source: source.clone(),
        target: staging.clone(),
        jobs: cfg.jobs,
        pg_dump: cfg.pg_dump.clone(),
        progress_every: cfg.progress_every,
        split_larger_than: 64 << 20,
        dry_run: false,
    };
    let report = sync(&opts, Some(transforms as Arc<dyn Transforms>)).await?;
    let summary = summarize(&report, snapshot_time, cfg.transforms.anonymize, random_key);
    Ok((report, summary))
}

/// The numbers of a sync report that the PR comment shows.
pub fn summarize(
    report: &SyncReport,
    snapshot_time: String,
    anonymized: bool,
    random_key: bool,
) -> DataSummary {
    let t = report.transform.clone();
    let count = |key: &str| -> u64 {
        t.as_ref()
            .and_then(|v| v.pointer(&format!("/totals/{key}")))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    DataSummary {
        snapshot_time,
        tables: report.tables.len(),
        rows: report.rows,
        bytes: report.bytes,
        anonymized,
        random_key: anonymized && random_key,
        anonymized_columns: count("anonymized_columns"),
        anonymized_values: count("anonymized_values"),
        url_replacements: count("url_replacements"),
        rows_dropped: report.tables.iter().map(|t| t.rows_dropped).sum(),
        transform_report: t,
    }
}
