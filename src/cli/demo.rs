//! `wpstage demo`: the whole flow on this machine, no accounts, no network. A throwaway
//! PostgreSQL (or `--server`) holds a generated production WordPress database; PR 42 is brought
//! up on the local platform; the PR comment that would be posted and the timings are printed.

use clap::Args;

use super::{default_jobs, parse_database_size};
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
    #[arg(long, default_value = "100MB", value_parser = parse_database_size)]
    size: u64,
    /// Remove what an earlier `demo --server` left (the PR environment and the demo production DB).
    #[arg(long)]
    clean: bool,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let mut clusters = Vec::new();
    // Set-up steps a PR's run does not have (its production and staging already exist).
    let mut setup: Vec<(String, f64)> = Vec::new();
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
            let (prod, staging, seconds) = start_clusters().await?;
            setup.push(("start two PostgreSQL clusters".to_owned(), seconds));
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
        return clean(&platform, &cfg, &prod_server).await;
    }
    let production = ensure_production(&prod_server, args.size).await?;
    if let Some(seconds) = production.generated_seconds {
        setup.push((
            format!(
                "generate production ({:.1} MB on disk)",
                production.disk_bytes as f64 / 1048576.0
            ),
            seconds,
        ));
    }
    eprintln!("demo: bringing up PR #{PR} on the local platform…");
    let req = UpRequest {
        pr: PR,
        sha: "0000000000000000000000000000000000000042".to_owned(),
        branch: Some("feature/demo".to_owned()),
        refresh_data: true,
        keep_on_failure: false,
    };
    let outcome = lifecycle::up(&platform, &cfg, &req).await?;
    print_results(&setup, &outcome, &production, &req, cfg.ttl);
    if clusters.is_empty() {
        println!(
            "(left on the server: {} and the environment database; `wpstage demo --server … --clean` removes them)",
            production.url.dbname()
        );
    }
    for cluster in clusters {
        cluster.stop().await;
    }
    Ok(())
}

/// Two throwaway clusters (production, staging) and the seconds they took to start.
async fn start_clusters() -> anyhow::Result<(TempCluster, TempCluster, f64)> {
    eprintln!("demo: starting two throwaway PostgreSQL clusters (production, staging)…");
    let started = std::time::Instant::now();
    let (prod, staging) = tokio::task::spawn_blocking(|| {
        let opts = ClusterOptions::default();
        Ok::<_, anyhow::Error>((TempCluster::start(&opts)?, TempCluster::start(&opts)?))
    })
    .await??;
    Ok((prod, staging, started.elapsed().as_secs_f64()))
}

/// `--clean`: removes the PR environment and the demo production database from the server.
async fn clean(
    platform: &LocalPlatform,
    cfg: &LifecycleConfig,
    prod_server: &DbUrl,
) -> anyhow::Result<()> {
    let outcome = lifecycle::down(platform, cfg, PR).await?;
    let admin = connect(prod_server, Side::Source).await?;
    admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(PRODUCTION_DB)
        ))
        .await?;
    print!("{}", crate::report::outcome_text(&outcome));
    println!("dropped the demo production database {PRODUCTION_DB}");
    Ok(())
}

/// The set-up timings, the outcome, what to make of it, and the PR comment that would be posted.
fn print_results(
    setup: &[(String, f64)],
    outcome: &lifecycle::Outcome,
    production: &Production,
    req: &UpRequest,
    ttl: std::time::Duration,
) {
    if !setup.is_empty() {
        println!("{:<40} {:>6}", "demo set-up (not part of a PR's run)", "s");
        for (step, seconds) in setup {
            println!("{step:<40} {seconds:>6.2}");
        }
        println!();
    }
    println!("{}", crate::report::outcome_text(outcome));
    println!("{}", explain(outcome, production.disk_bytes));
    let ctx = comment::Context {
        marker: String::new(),
        pr: PR,
        sha: Some(req.sha.clone()),
        branch: req.branch.clone(),
        environment_name: outcome.environment_name.clone(),
        run_url: None,
        refresh_url: None,
        refresh_workflow: "refresh.yml".to_owned(),
        ttl,
    };
    println!("--- the PR comment that would be posted (Markdown) ---\n");
    println!(
        "{}",
        comment::render_body(&ctx, comment::View::Ready(outcome))
    );
}

/// What a newcomer wonders about the numbers above.
fn explain(outcome: &lifecycle::Outcome, disk_bytes: u64) -> String {
    let mut notes = vec![format!(
        "preview: {} is not served: the local platform makes the PR's database only and runs no \
         WordPress; on Railway this address is the PR's own WordPress.",
        outcome.preview_url.as_deref().unwrap_or("the preview URL")
    )];
    if let Some(data) = &outcome.data {
        notes.push(format!(
            "sizes: production takes {:.1} MB on disk (rows, indexes, TOAST, free space); `data` \
             counts the {:.1} MB of rows streamed (COPY text, no indexes: they are rebuilt), after \
             the {} rows the copy rules leave out (logs, sessions, caches).",
            disk_bytes as f64 / 1048576.0,
            data.bytes as f64 / 1048576.0,
            data.rows_dropped,
        ));
        let columns = anonymized_columns(data);
        if !columns.is_empty() {
            notes.push(format!("anonymized columns ({}):", columns.len()));
            let mut by_table: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
            for (table, column) in &columns {
                by_table.entry(table).or_default().push(column);
            }
            for (table, columns) in by_table {
                notes.push(format!("  {table}: {}", columns.join(", ")));
            }
        }
    }
    notes.join("\n")
}

/// (table, column) of every column whose values were replaced, from the transform report.
fn anonymized_columns(data: &lifecycle::DataSummary) -> Vec<(String, String)> {
    let mut columns: Vec<(String, String)> = data
        .transform_report
        .iter()
        .flat_map(|report| report.tables.iter())
        .flat_map(|table| {
            table
                .columns
                .iter()
                .filter(|c| c.anonymized > 0)
                .map(|c| (table.table.clone(), c.column.clone()))
        })
        .collect();
    columns.sort();
    columns
}

/// The demo's production database and what it took to make it.
struct Production {
    url: DbUrl,
    disk_bytes: u64,
    /// `None`: reused from an earlier run.
    generated_seconds: Option<f64>,
}

/// The demo production database: generated once, reused when it already has data.
async fn ensure_production(server: &DbUrl, size: u64) -> anyhow::Result<Production> {
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
        return Ok(Production {
            disk_bytes: database_bytes(&admin).await?,
            url,
            generated_seconds: None,
        });
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
    Ok(Production {
        disk_bytes: database_bytes(&admin).await?,
        url,
        generated_seconds: Some(report.seconds),
    })
}

async fn database_bytes(admin: &tokio_postgres::Client) -> anyhow::Result<u64> {
    let row = admin
        .query_one("SELECT pg_database_size($1)", &[&PRODUCTION_DB])
        .await?;
    Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
}
