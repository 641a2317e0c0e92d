//! `wpstage base refresh` and the `--data-from` flags of `up` and `refresh`.

use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use super::lifecycle_cmd::{LifecycleArgs, PlatformArgs, PlatformKind, setup};
use super::{ReportFormat, parse_duration};
use crate::lifecycle::base::{self, BaseInfo, DataFrom, DataSource};
use crate::platform::SecretSink;

#[derive(Debug, Args)]
pub struct BaseArgs {
    #[command(subcommand)]
    action: BaseAction,
}

#[derive(Debug, Subcommand)]
enum BaseAction {
    /// Copy production once, anonymized and with the staging safety settings, into the base
    /// snapshot that `up` and `refresh` make PR databases from (`--data-from base|auto`); on
    /// Railway it lives in an environment of its own holding only the database.
    Refresh(BaseRefreshArgs),
}

#[derive(Debug, Args)]
pub struct BaseRefreshArgs {
    #[command(flatten)]
    platform: PlatformArgs,
    #[command(flatten)]
    lifecycle: LifecycleArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum DataFromArg {
    Base,
    Production,
    Auto,
}

/// Where PR data comes from.
#[derive(Debug, Args, Clone)]
pub struct DataFromArgs {
    /// `base`: clone the base snapshot (see `wpstage base refresh`); `production`: stream
    /// production; `auto`: the base when one exists and is younger than --base-max-age.
    #[arg(
        long,
        value_enum,
        default_value = "auto",
        env = "WPSTAGE_DATA_FROM",
        hide_env_values = true
    )]
    data_from: DataFromArg,
    /// With `--data-from auto`, an older base is not used.
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    base_max_age: Duration,
    /// The base snapshot's name: local: its database on the staging server [default:
    /// wpstage_base]; railway: its environment [default: wpstage-base].
    #[arg(long, value_parser = parse_base_name)]
    base_name: Option<String>,
}

impl DataFromArgs {
    pub fn settings(&self, platform: PlatformKind) -> DataSource {
        let default = match platform {
            PlatformKind::Local => DataSource::default().base_name,
            PlatformKind::Railway => crate::platform::railway::DEFAULT_BASE_NAME.to_owned(),
        };
        DataSource {
            from: match self.data_from {
                DataFromArg::Base => DataFrom::Base,
                DataFromArg::Production => DataFrom::Production,
                DataFromArg::Auto => DataFrom::Auto,
            },
            base_name: self.base_name.clone().unwrap_or(default),
            max_age: self.base_max_age,
        }
    }
}

fn parse_base_name(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text.len() <= 50
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not a base name: use 1 to 50 lower-case letters, digits, _ or -"
        ))
    }
}

pub async fn run(args: BaseArgs) -> anyhow::Result<()> {
    match args.action {
        BaseAction::Refresh(args) => refresh(args).await,
    }
}

async fn refresh(args: BaseRefreshArgs) -> anyhow::Result<()> {
    let setup = setup(&args.platform, &args.lifecycle)?;
    let cfg = setup.lifecycle_config();
    let info = match args.platform.platform {
        PlatformKind::Local => {
            let local = super::lifecycle_cmd::local_platform(&args.platform)?;
            base::refresh_base(&cfg, &local.source, &local.server).await?
        }
        PlatformKind::Railway => {
            let railway = setup.railway_platform(SecretSink::default())?;
            base::refresh_apart(&railway, &cfg).await?
        }
    };
    match args.lifecycle.report {
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&json(&info))?),
        ReportFormat::Text => print!("{}", text(&info)),
    }
    Ok(())
}

fn json(info: &BaseInfo) -> serde_json::Value {
    serde_json::json!({
        "base": info.name,
        "snapshot_time": info.snapshot_time,
        "site_url": info.site_url,
        "key_fingerprint": info.key_fingerprint,
        "tables": info.tables,
        "rows": info.rows,
        "bytes": info.bytes,
    })
}

fn text(info: &BaseInfo) -> String {
    let key = if info.key_fingerprint == "random" {
        "a random key (pass --anonymize-key for pseudonyms that stay stable)".to_owned()
    } else {
        format!("key fingerprint {}", info.key_fingerprint)
    };
    format!(
        "base snapshot {} refreshed: production snapshot {} of {}, {} tables, {} rows, {:.1} MB; \
         anonymized with {key}\n",
        info.name,
        info.snapshot_time,
        info.site_url,
        info.tables,
        info.rows,
        info.bytes as f64 / 1_048_576.0
    )
}
