//! `wpstage sync`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::transform_args::{TransformArgs, parse_rewrite};
use super::{ReportFormat, default_jobs, parse_size};
use crate::postgres::DbUrl;
use crate::sync::{self, SyncOptions, Transforms};
use crate::transform::waste::WastePolicy;

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Source (production) database URL.
    #[arg(long, env = "WPSTAGE_SOURCE_URL", hide_env_values = true)]
    source: String,
    /// Target (staging) database URL; the database must exist.
    #[arg(
        long,
        env = "WPSTAGE_TARGET_URL",
        hide_env_values = true,
        required_unless_present = "dry_run"
    )]
    target: Option<String>,
    /// Parallel COPY workers (default: number of CPUs, at least 2).
    #[arg(long, value_parser = parse_jobs)]
    jobs: Option<usize>,
    /// Sync even when the source has no tables (or no WordPress tables) and the target has some.
    #[arg(long)]
    allow_empty_source: bool,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    report: ReportFormat,
    /// pg_dump to use for the schema (default: the newest installed).
    #[arg(long, env = "WPSTAGE_PG_DUMP")]
    pg_dump: Option<PathBuf>,
    /// Seconds between progress lines on stderr (0: none).
    #[arg(long, default_value_t = 5)]
    progress_interval: u64,
    /// Tables larger than this may be split across workers (e.g. 64MB, 1GB).
    #[arg(long, default_value = "64MB", value_parser = parse_size)]
    split_larger_than: u64,
    /// Read the snapshot and run the transforms, write nothing, print the report.
    #[arg(long)]
    dry_run: bool,
    /// Rewrite a site URL: OLD=NEW (repeatable); http/https and www variants of OLD included.
    #[arg(long = "rewrite-url", value_name = "OLD=NEW", value_parser = parse_rewrite)]
    rewrite_urls: Vec<(String, String)>,
    /// Copy logs, sessions, transients, spam and other waste too (left out by default).
    #[arg(long)]
    copy_all: bool,
    /// Leave out post revisions and their meta.
    #[arg(long)]
    skip_revisions: bool,
    #[command(flatten)]
    transform: TransformArgs,
}

/// `--jobs`: a positive number of workers.
fn parse_jobs(raw: &str) -> Result<usize, String> {
    match raw.parse::<usize>() {
        Ok(0) => Err("must be at least 1 (the number of parallel COPY workers)".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("not a number of workers: {e}")),
    }
}

pub async fn run(args: SyncArgs) -> anyhow::Result<()> {
    let source = DbUrl::parse(&args.source, "source")?;
    let target = match &args.target {
        Some(t) => DbUrl::parse(t, "target")?,
        None => source.clone(),
    };
    let settings = args.transform.settings();
    let transforms = crate::pipeline::build(&settings, &args.rewrite_urls)?;
    if transforms.random_key() && settings.anonymize {
        eprintln!(
            "note: no --anonymize-key given: a random key is used, so pseudonyms differ between runs"
        );
    }
    let opts = SyncOptions {
        source,
        target,
        jobs: args.jobs.unwrap_or_else(default_jobs).max(1),
        pg_dump: args.pg_dump,
        progress_every: Duration::from_secs(args.progress_interval),
        split_larger_than: args.split_larger_than,
        dry_run: args.dry_run,
        waste: WastePolicy {
            copy_all: args.copy_all,
            skip_revisions: args.skip_revisions,
        },
    };
    let guards = sync::Guards {
        allow_empty_source: args.allow_empty_source,
    };
    let transforms_dyn = Some(Arc::clone(&transforms) as Arc<dyn Transforms>);
    let report = sync::sync_with(&opts, transforms_dyn, guards).await?;
    match args.report {
        ReportFormat::Text => {
            print!("{}", report.to_text());
            print!("\n{}", transforms.text_report());
        }
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(())
}
