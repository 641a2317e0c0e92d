//! `wpstage demo`: the whole flow on this machine, no accounts, no network. A throwaway
//! PostgreSQL (or `--server`) holds a generated production WordPress database; PR 42 is brought
//! up on the local platform; the PR comment that would be posted and the timings are printed.

use clap::Args;

use super::{default_jobs, parse_size};
use crate::action::comment;
use crate::generate::GenerateSpec;
use crate::lifecycle::{self, LifecycleConfig, UpRequest};
use crate::platform::local::LocalPlatform;
use crate::postgres::cluster::{ClusterOptions, TempCluster};
use crate::postgres::{DbUrl, Side, connect, quote_ident};

const PRODUCTION_DB: &str = "wpstage_demo_production";
const SITE_URL: &str = "https://www.client-site.example";
const PR: u64 = 42;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Use this PostgreSQL server (URL of any database on it) instead of throwaway clusters.
    #[arg(long, env = "WPSTAGE_DEMO_SERVER_URL", hide_env_values = true)]
    server: Option<String>,
    /// Size of the generated production database.
    #[arg(long, default_value = "100MB", value_parser = parse_size)]
    size: u64,
    /// Remove what an earlier `demo --server` left (the PR environment and the demo production DB).
    #[arg(long)]
    clean: bool,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let mut clusters = Vec::new();
    let (prod_server, staging_server) = match &args.server {
        Some(url) => {
            let url = DbUrl::parse(url, "demo server")?;
            (url.clone(), url)
        }
        None => {
            if args.clean {
                println!("nothing to clean: without --server the demo leaves nothing behind");
                return Ok(());
            }
            eprintln!("demo: starting two throwaway PostgreSQL clusters (production, staging)…");
            let (prod, staging) = tokio::task::spawn_blocking(|| {
                let opts = ClusterOptions::default();
                Ok::<_, anyhow::Error>((TempCluster::start(&opts)?, TempCluster::start(&opts)?))
            })
            .await??;
            let urls = (prod.url("postgres"), staging.url("postgres"));
            clusters.push(prod);
            clusters.push(staging);
            urls
        }
    };
    let cfg = LifecycleConfig {
        progress_every: std::time::Duration::from_secs(2),
        ..LifecycleConfig::default()
    };
    let platform = LocalPlatform {
        server: staging_server.clone(),
        source: prod_server.with_dbname(PRODUCTION_DB),
        url_template: "https://pr-{n}.staging.example".to_owned(),
    };
    if args.clean {
        let outcome = lifecycle::down(&platform, &cfg, PR).await?;
        let admin = connect(&prod_server, Side::Source).await?;
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(PRODUCTION_DB)
            ))
            .await?;
        print!("{}", crate::report::outcome_text(&outcome));
        println!("dropped the demo production database {PRODUCTION_DB}");
        return Ok(());
    }
    let source = ensure_production(&prod_server, args.size).await?;
    eprintln!("demo: bringing up PR #{PR} on the local platform…");
    let req = UpRequest {
        pr: PR,
        sha: "0000000000000000000000000000000000000042".to_owned(),
        branch: Some("feature/demo".to_owned()),
        refresh_data: true,
        keep_on_failure: false,
    };
    let outcome = lifecycle::up(&platform, &cfg, &req).await?;
    println!("{}", crate::report::outcome_text(&outcome));
    let ctx = comment::Context {
        marker: String::new(),
        pr: PR,
        sha: Some(req.sha.clone()),
        branch: req.branch.clone(),
        environment_name: outcome.environment_name.clone(),
        run_url: None,
        refresh_url: None,
        refresh_workflow: "refresh.yml".to_owned(),
        ttl: cfg.ttl,
    };
    println!("--- the PR comment that would be posted (Markdown) ---\n");
    println!(
        "{}",
        comment::render_body(&ctx, comment::View::Ready(&outcome))
    );
    if clusters.is_empty() {
        println!(
            "(left on the server: {} and the environment database; `wpstage demo --server … --clean` removes them)",
            source.dbname()
        );
    }
    drop(clusters);
    Ok(())
}

/// The demo production database: generated once, reused when it already has data.
async fn ensure_production(server: &DbUrl, size: u64) -> anyhow::Result<DbUrl> {
    let admin = connect(server, Side::Source).await?;
    let exists = admin
        .query_opt(
            "SELECT 1 FROM pg_database WHERE datname = $1",
            &[&PRODUCTION_DB],
        )
        .await?
        .is_some();
    let url = server.with_dbname(PRODUCTION_DB);
    if exists && crate::lifecycle::data::has_tables(&url).await? {
        eprintln!("demo: reusing the generated production database {PRODUCTION_DB}");
        return Ok(url);
    }
    if !exists {
        admin
            .batch_execute(&format!("CREATE DATABASE {}", quote_ident(PRODUCTION_DB)))
            .await?;
    }
    eprintln!(
        "demo: generating a {:.0} MB production WordPress database…",
        size as f64 / 1048576.0
    );
    let spec = GenerateSpec {
        target_bytes: size,
        site_url: SITE_URL.to_owned(),
        seed: 1,
        table_prefix: "wp_".to_owned(),
    };
    let report = crate::generate_db::generate(&url, &spec, default_jobs()).await?;
    eprintln!(
        "demo: generated {:.1} MB in {:.1} s",
        report.database_bytes as f64 / 1048576.0,
        report.seconds
    );
    Ok(url)
}
