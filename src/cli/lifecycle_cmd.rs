//! `wpstage up | down | refresh | reap`: the lifecycle on the chosen platform.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::transform_args::TransformArgs;
use super::{ReportFormat, parse_duration};
use crate::lifecycle::{self, Outcome, ReapRequest, UpRequest};
use crate::platform::SecretSink;
use crate::platform::local::LocalPlatform;
use crate::postgres::DbUrl;
use crate::setup::{RailwaySetup, Setup};
use secrecy::SecretString;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PlatformKind {
    Railway,
    Local,
}

/// Where environments live and how to reach production.
#[derive(Debug, Args, Clone)]
pub struct PlatformArgs {
    /// `railway` (the product) or `local` (databases on a PostgreSQL server you own).
    #[arg(long, value_enum, default_value = "railway")]
    pub(super) platform: PlatformKind,
    /// Production database URL (local: required; railway: overrides the source environment's database).
    #[arg(long, env = "WPSTAGE_SOURCE_URL", hide_env_values = true)]
    source_database_url: Option<String>,
    /// local: URL of any database on the staging server (environments become databases there).
    #[arg(long, env = "WPSTAGE_LOCAL_SERVER_URL", hide_env_values = true)]
    server: Option<String>,
    // clap turns every `{n}` in help text into a line break; an invisible word joiner (U+2060)
    // after the brace keeps it on screen as `{n}`.
    #[arg(
        long,
        default_value = "https://pr-{n}.staging.example",
        value_parser = parse_url_template,
        help = "local: preview URL template; {\u{2060}n} is the PR number, {name} the environment name"
    )]
    url_template: String,
    /// Environment names are PREFIX + PR number.
    #[arg(long, default_value = "pr-")]
    prefix: String,
    /// railway: an account or workspace token (a project token cannot create environments).
    #[arg(long, env = "RAILWAY_API_TOKEN", hide_env_values = true)]
    railway_token: Option<String>,
    /// railway: the project id (Project Settings → General).
    #[arg(long, env = "RAILWAY_PROJECT_ID", hide_env_values = true)]
    project_id: Option<String>,
    /// railway: the environment PR environments are copied from.
    #[arg(long, default_value = "production")]
    source_environment: String,
    /// railway: the WordPress service (default: detected).
    #[arg(long)]
    app_service: Option<String>,
    /// railway: the PostgreSQL service (default: detected).
    #[arg(long)]
    database_service: Option<String>,
    /// railway: deploy the app from this image (one your workflow built for the PR) instead of
    /// its source.
    #[arg(long)]
    app_image: Option<String>,
}

/// Settings common to the lifecycle commands.
#[derive(Debug, Args, Clone)]
pub struct LifecycleArgs {
    /// Production site URL (default: read from the source's `home` option).
    #[arg(long)]
    site_url: Option<String>,
    /// Parallel COPY workers.
    #[arg(long)]
    jobs: Option<usize>,
    /// pg_dump to use for the schema (default: the newest installed).
    #[arg(long, env = "WPSTAGE_PG_DUMP", hide_env_values = true)]
    pg_dump: Option<PathBuf>,
    /// Extra app variable NAME=VALUE for the PR environment (repeatable).
    #[arg(long = "app-var", value_name = "NAME=VALUE", value_parser = parse_var)]
    app_vars: Vec<(String, String)>,
    /// How long to wait for the app deployment.
    #[arg(long, default_value = "15m", value_parser = parse_duration)]
    deploy_timeout: Duration,
    /// Do not wait for the app deployment to finish.
    #[arg(long)]
    no_wait: bool,
    /// up on railway: start the app's build before the data copy; Railway makes it live only
    /// once --healthcheck-path answers 200, which WordPress does only on an installed site.
    #[arg(long)]
    overlap_build: bool,
    /// With --overlap-build: the PR app's healthcheck path (must answer 200 on an installed
    /// site only) [default: /wp-login.php].
    #[arg(long, requires = "overlap_build")]
    healthcheck_path: Option<String>,
    /// Lifetime of an environment, shown in the outcome and used by `reap`.
    #[arg(long, default_value = "7d", value_parser = parse_duration)]
    ttl: Duration,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    pub(super) report: ReportFormat,
    #[command(flatten)]
    transform: TransformArgs,
    #[command(flatten)]
    data_from: super::base_cmd::DataFromArgs,
    /// up/refresh: where the data copy runs: `runner` (here: production → this machine → the
    /// PR database) or `railway` (a one-off service inside the PR environment, next to its
    /// database; see the README's "Where the copy runs").
    #[arg(long, value_parser = ["runner", "railway"], default_value = "runner")]
    copy_in: String,
    /// With --copy-in railway: the wpstage image the copy service runs [default: this
    /// release's image, as action.yml names it].
    #[arg(long, value_name = "IMAGE")]
    copy_image: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Pull request number.
    #[arg(long, value_parser = parse_pr)]
    pr: u64,
    /// The PR's head commit to deploy.
    #[arg(long)]
    sha: String,
    /// The PR's head branch.
    #[arg(long)]
    branch: Option<String>,
    /// Re-copy production data even if the environment already has data.
    #[arg(long)]
    refresh_data: bool,
    /// Keep a newly created environment when a later step fails.
    #[arg(long)]
    keep_on_failure: bool,
    #[command(flatten)]
    platform: PlatformArgs,
    #[command(flatten)]
    pub(super) lifecycle: LifecycleArgs,
}

#[derive(Debug, Args)]
pub struct PrArgs {
    /// Pull request number.
    #[arg(long, value_parser = parse_pr)]
    pr: u64,
    #[command(flatten)]
    platform: PlatformArgs,
    #[command(flatten)]
    pub(super) lifecycle: LifecycleArgs,
}

#[derive(Debug, Args)]
pub struct ReapArgs {
    /// Environments older than this are deleted.
    #[arg(long, default_value = "7d", value_parser = parse_duration)]
    max_age: Duration,
    /// Open PR numbers (comma-separated); environments of other PRs are deleted.
    #[arg(long, value_delimiter = ',')]
    open_prs: Option<Vec<u64>>,
    /// Really delete (default: only list what would be deleted).
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    platform: PlatformArgs,
    #[command(flatten)]
    pub(super) lifecycle: LifecycleArgs,
}

fn parse_pr(text: &str) -> Result<u64, String> {
    crate::event::parse_pr_number(text).map_err(|e| e.to_string())
}

fn parse_url_template(text: &str) -> Result<String, String> {
    if !text.contains("{n}") {
        return Err(format!(
            "{text:?} has no {{n}}: every PR would get the same preview URL; write e.g. \
             https://pr-{{n}}.staging.example"
        ));
    }
    Ok(text.to_owned())
}

/// A usage error (exit 2) the flags' own parsers cannot see: a staging password without a
/// kept user would be set on nobody.
pub fn check_usage(platform_less: &LifecycleArgs) -> Result<(), String> {
    let t = platform_less.transform.settings();
    if t.staging_password.is_some() && t.keep_users.is_empty() {
        return Err(
            "--staging-password is the password of the accounts kept with --keep-user, \
                    and none is kept: add --keep-user LOGIN or drop --staging-password"
                .to_owned(),
        );
    }
    Ok(())
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    // The value may be a secret: never echo the argument.
    let (k, v) = text
        .split_once('=')
        .ok_or_else(|| "an --app-var is not NAME=VALUE (the value is not shown)".to_owned())?;
    if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("{k:?} is not a variable name (letters, digits, _)"));
    }
    Ok((k.to_owned(), v.to_owned()))
}

/// Every lifecycle setting the flags give, for the shared builder.
pub fn setup(platform: &PlatformArgs, args: &LifecycleArgs) -> anyhow::Result<Setup> {
    if args.copy_in == "railway" && platform.platform != PlatformKind::Railway {
        anyhow::bail!(
            "--copy-in railway runs the copy inside a Railway environment; with --platform \
             local drop it (the copy then runs here)"
        );
    }
    Ok(Setup {
        railway: RailwaySetup {
            token: platform
                .railway_token
                .as_deref()
                .filter(|t| !t.is_empty())
                .map(|t| SecretString::from(t.to_owned())),
            project_id: platform.project_id.clone().filter(|p| !p.is_empty()),
            source_environment: platform.source_environment.clone(),
            app_service: platform.app_service.clone(),
            database_service: platform.database_service.clone(),
            source_database_url: platform
                .source_database_url
                .as_deref()
                .map(|u| DbUrl::parse(u, "source"))
                .transpose()?,
            app_image: platform.app_image.clone(),
            // Debug builds only (the builder ignores it otherwise): the simulated Railway API.
            endpoint: std::env::var("WPSTAGE_RAILWAY_ENDPOINT").ok(),
        },
        prefix: platform.prefix.clone(),
        site_url: args.site_url.clone(),
        jobs: args.jobs,
        pg_dump: args.pg_dump.clone(),
        transforms: args.transform.settings(),
        app_vars: args.app_vars.iter().cloned().collect::<BTreeMap<_, _>>(),
        wait_for_deploy: !args.no_wait,
        deploy_timeout: args.deploy_timeout,
        ttl: args.ttl,
        data_source: args.data_from.settings(platform.platform),
        overlap_build: args.overlap_build,
        healthcheck_path: args.healthcheck_path.clone(),
        copy_in: crate::lifecycle::copy_in::CopyIn::parse(
            &args.copy_in,
            args.copy_image.as_deref(),
        )
        .map_err(anyhow::Error::msg)?,
    })
}

pub(super) fn local_platform(args: &PlatformArgs) -> anyhow::Result<LocalPlatform> {
    let server = args.server.as_deref().ok_or_else(|| {
        anyhow::anyhow!("--platform local needs --server URL (or WPSTAGE_LOCAL_SERVER_URL): any database on the staging server")
    })?;
    let source = args.source_database_url.as_deref().ok_or_else(|| {
        anyhow::anyhow!("--platform local needs --source-database-url (or WPSTAGE_SOURCE_URL): the production database")
    })?;
    Ok(LocalPlatform {
        server: DbUrl::parse(server, "staging server")?,
        source: DbUrl::parse(source, "source")?,
        url_template: args.url_template.clone(),
    })
}

/// Runs `op` on the chosen platform.
macro_rules! on_platform {
    ($args:expr, $setup:expr, |$p:ident| $body:expr) => {
        match $args.platform {
            PlatformKind::Local => {
                let $p = local_platform(&$args)?;
                $body
            }
            PlatformKind::Railway => {
                let $p = $setup.railway_platform(SecretSink::default())?;
                $body
            }
        }
    };
}

pub async fn up(args: UpArgs) -> anyhow::Result<()> {
    let setup = setup(&args.platform, &args.lifecycle)?;
    let cfg = setup.lifecycle_config();
    let req = UpRequest {
        pr: args.pr,
        sha: args.sha.clone(),
        branch: args.branch.clone(),
        refresh_data: args.refresh_data,
        keep_on_failure: args.keep_on_failure,
    };
    let outcome = on_platform!(args.platform, setup, |p| lifecycle::up(&p, &cfg, &req)
        .await)?;
    print_outcome(&outcome, args.lifecycle.report)
}

pub async fn down(args: PrArgs) -> anyhow::Result<()> {
    let setup = setup(&args.platform, &args.lifecycle)?;
    let cfg = setup.lifecycle_config();
    let outcome = on_platform!(args.platform, setup, |p| lifecycle::down(&p, &cfg, args.pr)
        .await)?;
    print_outcome(&outcome, args.lifecycle.report)
}

pub async fn refresh(args: PrArgs) -> anyhow::Result<()> {
    let setup = setup(&args.platform, &args.lifecycle)?;
    let cfg = setup.lifecycle_config();
    let outcome = on_platform!(args.platform, setup, |p| lifecycle::refresh(
        &p, &cfg, args.pr
    )
    .await)?;
    print_outcome(&outcome, args.lifecycle.report)
}

pub async fn reap(args: ReapArgs) -> anyhow::Result<()> {
    let setup = setup(&args.platform, &args.lifecycle)?;
    let cfg = setup.lifecycle_config();
    let req = ReapRequest {
        max_age: args.max_age,
        open_prs: args.open_prs.clone(),
        dry_run: !args.yes,
    };
    let outcome = on_platform!(args.platform, setup, |p| lifecycle::reap(&p, &cfg, &req)
        .await)?;
    if !args.yes {
        eprintln!(
            "dry run: nothing was deleted; rerun with --yes to delete the environments and \
             helper databases listed"
        );
    }
    print_outcome(&outcome, args.lifecycle.report)
}

pub fn print_outcome(outcome: &Outcome, format: ReportFormat) -> anyhow::Result<()> {
    match format {
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(outcome)?),
        ReportFormat::Text => print!("{}", crate::report::outcome_text(outcome)),
    }
    Ok(())
}

#[cfg(test)]
#[path = "setup_tests.rs"]
mod tests;
