//! Test harness: one pair of throwaway clusters ("production" and "staging") per test process,
//! a fresh database per test. No test depends on a server that merely happens to be running.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_postgres::Client;
use wpstage::postgres::cluster::{ClusterOptions, TempCluster};
use wpstage::postgres::{DbUrl, Side, connect};

pub struct Clusters {
    pub prod: TempCluster,
    pub staging: TempCluster,
}

/// The process-wide cluster pair. Started from a thread that never exits, because the servers
/// are tied to their parent thread's life (they die with the test process, statics never drop).
pub fn clusters() -> &'static Clusters {
    static CLUSTERS: OnceLock<Clusters> = OnceLock::new();
    CLUSTERS.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let options = ClusterOptions {
                die_with_parent: true,
                ..ClusterOptions::default()
            };
            let pair = TempCluster::start(&options)
                .and_then(|prod| Ok((prod, TempCluster::start(&options)?)));
            tx.send(pair).expect("test harness receiver gone");
            loop {
                std::thread::park();
            }
        });
        let (prod, staging) = rx
            .recv()
            .expect("cluster thread died")
            .expect("start clusters");
        Clusters { prod, staging }
    })
}

/// A new empty database on `cluster`, named after the test.
pub async fn fresh_db(cluster: &TempCluster, name: &str) -> DbUrl {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let db = format!("{name}_{n}");
    let admin = connect(&cluster.url("postgres"), Side::Target)
        .await
        .unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{db}\""))
        .await
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE \"{db}\""))
        .await
        .unwrap();
    cluster.url(&db)
}

pub async fn client(url: &DbUrl) -> Client {
    connect(url, Side::Source).await.unwrap()
}

/// Every user table's content, as a digest per table, order-independent.
pub async fn table_digests(url: &DbUrl) -> Vec<(String, i64, String)> {
    let c = client(url).await;
    let tables = c
        .query(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname !~ '^pg_toast' ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    for row in tables {
        let t: String = row.get(0);
        let r = c
            .query_one(
                &format!(
                    "SELECT count(*), coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x::text)), '') \
                     FROM {t} x"
                ),
                &[],
            )
            .await
            .unwrap();
        out.push((t, r.get(0), r.get(1)));
    }
    out
}

/// `pg_dump --schema-only` of a database, without the lines that differ between any two dumps.
pub fn normalized_schema(url: &DbUrl) -> String {
    stdout_of(
        std::process::Command::new(pg_dump_path())
            .args(["--schema-only", "--no-owner", "--no-privileges"])
            .envs(url.libpq_env()),
        "pg_dump",
    )
    .lines()
    .filter(|l| {
        !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict") && !l.starts_with("--")
    })
    .filter(|l| !l.trim().is_empty())
    .collect::<Vec<_>>()
    .join("\n")
}

/// Runs `cmd` to its end and returns its standard output; fails the test, with `what` and the
/// command's standard error, unless it succeeded.
pub fn stdout_of(cmd: &mut std::process::Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what} did not start: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn pg_dump_path() -> std::path::PathBuf {
    wpstage::postgres::cluster::find_bindir()
        .unwrap()
        .join("pg_dump")
}

/// Runs the real binary with the given args and environment; returns (exit code, stdout, stderr).
pub fn run_cli(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wpstage"))
        .args(args)
        .env_remove("WPSTAGE_SOURCE_URL")
        .env_remove("WPSTAGE_TARGET_URL")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A generated WordPress production database (10 MB, seed 7), made once per test process.
/// Tests only read it.
pub async fn wordpress_source() -> DbUrl {
    static SOURCE: tokio::sync::OnceCell<DbUrl> = tokio::sync::OnceCell::const_new();
    SOURCE
        .get_or_init(|| async {
            let url = fresh_db(&clusters().prod, "wp_source").await;
            let spec = wpstage::generate::GenerateSpec {
                target_bytes: 10 << 20,
                site_url: SITE_URL.to_owned(),
                seed: 7,
                table_prefix: "wp_".to_owned(),
            };
            wpstage::generate_db::generate(&url, &spec, 2)
                .await
                .unwrap();
            url
        })
        .await
        .clone()
}

/// The production site URL of [`wordpress_source`].
pub const SITE_URL: &str = "https://www.client-site.example";

/// The rows of `sql`.
pub async fn rows(url: &DbUrl, sql: &str) -> Vec<tokio_postgres::Row> {
    client(url).await.query(sql, &[]).await.unwrap()
}

/// Every distinct value of `sql`'s first column.
pub async fn strings(url: &DbUrl, sql: &str) -> Vec<String> {
    rows(url, sql)
        .await
        .iter()
        .filter_map(|r| r.get::<_, Option<String>>(0))
        .collect()
}

/// `url` read through a new login role `{database}_reader` with `password`, created on the
/// database's cluster with `options` (e.g. `CONNECTION LIMIT 5`) and then given `grants` (SQL
/// in which `{role}` stands for the role's name).
pub async fn as_new_role(url: &DbUrl, password: &str, options: &str, grants: &str) -> DbUrl {
    let role = format!("{}_reader", url.dbname());
    client(url)
        .await
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN PASSWORD '{password}' {options}; {}",
            grants.replace("{role}", &role)
        ))
        .await
        .unwrap();
    let port = url.config().get_ports().first().copied().unwrap();
    DbUrl::from_parts("127.0.0.1", port, &role, password, url.dbname())
}
