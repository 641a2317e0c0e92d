//! `wpstage generate`.

use clap::Args;

use super::{ReportFormat, default_jobs, parse_database_size};
use crate::generate::GenerateSpec;
use crate::postgres::DbUrl;
use crate::sync::progress::mb;

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Database to write into; it must exist and be empty.
    #[arg(long, env = "WPSTAGE_TARGET_URL", hide_env_values = true)]
    target: String,
    /// Size of the database to generate (10MB … 5GB), within ±10%.
    #[arg(long, default_value = "100MB", value_parser = parse_database_size)]
    size: u64,
    /// The production site URL written into the data.
    #[arg(long, default_value = "https://www.client-site.example")]
    site_url: String,
    /// Seed: the same seed and size give the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// WordPress table prefix.
    #[arg(long, default_value = "wp_")]
    table_prefix: String,
    /// Parallel writers.
    #[arg(long)]
    jobs: Option<usize>,
    /// Add popular plugins' tables: form entries, subscribers, customers (personal data) and
    /// logs, finished actions, visitor records (waste, about 30 % of --size).
    #[arg(long)]
    plugins: bool,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    report: ReportFormat,
}

pub async fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let target = DbUrl::parse(&args.target, "target")?;
    let spec = GenerateSpec {
        target_bytes: args.size,
        site_url: args.site_url.clone(),
        seed: args.seed,
        table_prefix: args.table_prefix.clone(),
    };
    let report =
        crate::generate_db::generate(&target, &spec, args.jobs.unwrap_or_else(default_jobs))
            .await?;
    if args.plugins {
        crate::generate_db::add_plugins(&target, &spec).await?;
    }
    match args.report {
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        ReportFormat::Text => {
            println!(
                "generated {} ({}, seed {}): {:.1} MB on disk for {:.1} MB requested, {:.1} s",
                report.target,
                report.site_url,
                report.seed,
                mb(report.database_bytes),
                mb(report.requested_bytes),
                report.seconds
            );
            for t in &report.tables {
                println!(
                    "{:<44} {:>10} rows {:>10.1} MB",
                    t.table,
                    t.rows,
                    mb(t.copy_bytes)
                );
            }
        }
    }
    Ok(())
}
