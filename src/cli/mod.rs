//! Command-line parsing: flags (or their environment variables) become validated options, once.

mod base_cmd;
mod copy_in_cmd;
mod demo;
mod generate_cmd;
mod lifecycle_cmd;
mod sync_cmd;
mod transform_args;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

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
    /// Stream a PostgreSQL database into another one, consistently and atomically, rewriting
    /// URLs and anonymizing personal data on the way.
    Sync(sync_cmd::SyncArgs),
    /// Write a realistic, deterministic WordPress + WooCommerce database of a given size.
    Generate(generate_cmd::GenerateArgs),
    /// Create (or update) the staging environment of a pull request.
    Up(lifecycle_cmd::UpArgs),
    /// Delete the staging environment of a pull request.
    Down(lifecycle_cmd::PrArgs),
    /// Re-copy production data into a pull request's staging environment.
    Refresh(lifecycle_cmd::PrArgs),
    /// Manage the anonymized base snapshot PR databases are cloned from (`base refresh`).
    Base(base_cmd::BaseArgs),
    /// Delete stale staging environments (dry run unless --yes).
    Reap(lifecycle_cmd::ReapArgs),
    /// Try everything locally: throwaway PostgreSQL, generated production data, PR 42 brought up.
    Demo(demo::DemoArgs),
    /// Run as the GitHub Action (the container's entrypoint): reads the `INPUT_*` and
    /// `GITHUB_*` environment, acts on the event, comments on the PR and writes step outputs.
    Action,
    /// Internal: the data copy inside a PR environment (`up --copy-in railway` starts it there).
    #[command(hide = true)]
    CopyIn,
}

/// Output format of a report on stdout.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    Text,
    Json,
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
    if let Some(why) = usage_problem(&cli) {
        use clap::CommandFactory as _;
        let e = Cli::command().error(clap::error::ErrorKind::ArgumentConflict, why);
        if let Err(print) = e.print() {
            eprintln!("{print}");
        }
        return ExitCode::from(2);
    }
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

/// Usage errors that span several flags, found before anything runs.
fn usage_problem(cli: &Cli) -> Option<String> {
    let lifecycle = match &cli.command {
        Command::Up(a) => &a.lifecycle,
        Command::Down(a) | Command::Refresh(a) => &a.lifecycle,
        Command::Reap(a) => &a.lifecycle,
        _ => return None,
    };
    lifecycle_cmd::check_usage(lifecycle).err()
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Sync(args) => sync_cmd::run(args).await.map(|()| ExitCode::SUCCESS),
        Command::Generate(args) => generate_cmd::run(args).await.map(|()| ExitCode::SUCCESS),
        Command::Up(args) => lifecycle_cmd::up(args).await.map(|()| ExitCode::SUCCESS),
        Command::Down(args) => lifecycle_cmd::down(args).await.map(|()| ExitCode::SUCCESS),
        Command::Refresh(args) => lifecycle_cmd::refresh(args)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Reap(args) => lifecycle_cmd::reap(args).await.map(|()| ExitCode::SUCCESS),
        Command::Base(args) => base_cmd::run(args).await.map(|()| ExitCode::SUCCESS),
        Command::Demo(args) => demo::run(args).await.map(|()| ExitCode::SUCCESS),
        Command::CopyIn => Ok(copy_in_cmd::run().await),
        Command::Action => {
            // vars_os: `vars()` panics on a non-UTF-8 variable; such variables are not ours.
            let env = std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect();
            crate::action::run(env, &mut std::io::stdout()).await
        }
    }
}

pub use crate::lifecycle::default_jobs;

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

/// A size the data generator can make (10 MB to 5 GiB), checked before any work starts.
pub fn parse_database_size(text: &str) -> Result<u64, String> {
    use crate::generate::{MAX_TARGET_BYTES, MIN_TARGET_BYTES};
    let bytes = parse_size(text)?;
    if (MIN_TARGET_BYTES..=MAX_TARGET_BYTES).contains(&bytes) {
        Ok(bytes)
    } else {
        Err(format!(
            "{text:?} is out of range: the generator makes databases of 10MB to 5GB"
        ))
    }
}

/// Parses durations such as `7d`, `12h`, `90s`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("{text:?} is not a duration ({e}); write e.g. 7d, 12h or 90s"))
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
    fn database_sizes_are_what_the_generator_makes() {
        assert_eq!(parse_database_size("10MB"), Ok(10 << 20));
        assert_eq!(parse_database_size("5GB"), Ok(5 << 30));
        let small = parse_database_size("4MB").unwrap_err();
        assert!(small.contains("10MB to 5GB"), "{small}");
        assert!(parse_database_size("6GB").is_err());
    }

    #[test]
    fn durations_parse() {
        assert_eq!(
            parse_duration("7d"),
            Ok(std::time::Duration::from_secs(7 * 86400))
        );
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
