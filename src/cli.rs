//! Command-line parsing: flags (or their environment variables) become validated options, once.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::postgres::DbUrl;
use crate::sync::{self, SyncOptions};

#[derive(Debug, Parser)]
#[command(
    name = "wpstage",
    version,
    about = "Per-PR WordPress staging with production data, safely"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Stream a PostgreSQL database into another one, consistently and atomically.
    Sync(SyncArgs),
    /// Run as the GitHub Action (the container's entrypoint): reads the `INPUT_*` and
    /// `GITHUB_*` environment, acts on the event, comments on the PR and writes step outputs.
    Action,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
struct SyncArgs {
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
    #[arg(long)]
    jobs: Option<usize>,
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
    /// Read the snapshot and run the transforms, write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not failures; usage errors exit with 2.
            let code = if e.use_stderr() { 2 } else { 0 };
            if let Err(print) = e.print() {
                eprintln!("{print}");
            }
            return ExitCode::from(code);
        }
    };
    crate::logging::init(
        std::env::var("WPSTAGE_LOG")
            .or_else(|_| std::env::var("RUST_LOG"))
            .ok()
            .as_deref(),
        std::env::var_os("NO_COLOR").is_some(),
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Sync(args) => run_sync(args).await.map(|()| ExitCode::SUCCESS),
        Command::Action => {
            // vars_os: `vars()` panics on a non-UTF-8 variable; such variables are not ours.
            let env = std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect();
            crate::action::run(env, &mut std::io::stdout()).await
        }
    }
}

async fn run_sync(args: SyncArgs) -> anyhow::Result<()> {
    let source = DbUrl::parse(&args.source, "source")?;
    let target = match &args.target {
        Some(t) => DbUrl::parse(t, "target")?,
        None => source.clone(),
    };
    let opts = SyncOptions {
        source,
        target,
        jobs: args.jobs.unwrap_or_else(default_jobs).max(1),
        pg_dump: args.pg_dump,
        progress_every: Duration::from_secs(args.progress_interval),
        split_larger_than: args.split_larger_than,
        dry_run: args.dry_run,
    };
    let report = sync::sync(&opts, None).await?;
    match args.report {
        ReportFormat::Text => print!("{}", report.to_text()),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(())
}

/// Worker count when none is given: the cores, at least two (one side waits on the other).
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(2)
        .clamp(2, 8)
}

/// Parses sizes such as `100MB`, `1.5GB`, `512k` or `1048576` (binary units: 1 MB = 1024² bytes).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size; write e.g. 100MB or 1GB"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => {
            return Err(format!(
                "unknown size unit {other:?} in {text:?}; use KB, MB or GB"
            ));
        }
    };
    Ok((value * factor as f64).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_size("100MB"), Ok(100 << 20));
        assert_eq!(parse_size("1GB"), Ok(1 << 30));
        assert_eq!(parse_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("ten MB").is_err());
        assert!(parse_size("10 parsecs").is_err());
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
