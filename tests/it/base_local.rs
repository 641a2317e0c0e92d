//! The base snapshot on the local platform: `base refresh` reads production once, PR databases
//! are cloned from it and rewritten in place, and production is not read again.

use std::time::Duration;

use secrecy::SecretString;
use wpstage::lifecycle::base::{self, DataFrom, DataSource};
use wpstage::lifecycle::{self, LifecycleConfig};
use wpstage::platform::local::LocalPlatform;
use wpstage::postgres::DbUrl;

use crate::lifecycle_local::up_req;
use crate::support::{SITE_URL, client, clusters, fresh_db, strings, table_digests};

const KEY: &str = "base-test anonymization key, long enough to be recognisable";

/// A production database of its own (the tests drop it), generated like the shared one.
pub async fn own_source(name: &str) -> DbUrl {
    let url = fresh_db(&clusters().prod, name).await;
    let spec = wpstage::generate::GenerateSpec {
        target_bytes: 10_000_000,
        site_url: SITE_URL.to_owned(),
        seed: 11,
        table_prefix: "wp_".to_owned(),
    };
    wpstage::generate_db::generate(&url, &spec, 2)
        .await
        .unwrap();
    url
}

fn setup(source: &DbUrl, tag: &str, from: DataFrom) -> (LocalPlatform, LifecycleConfig) {
    let p = LocalPlatform {
        server: clusters().staging.url("postgres"),
        source: source.clone(),
        url_template: "https://pr-{n}.staging.example".to_owned(),
    };
    let mut cfg = LifecycleConfig {
        prefix: format!("{tag}-pr-"),
        jobs: 2,
        progress_every: Duration::ZERO,
        data_source: DataSource {
            from,
            // Not the default name: other tests in this process use `auto` with the default.
            base_name: format!("{tag}_base"),
            max_age: Duration::from_secs(3600),
        },
        ..LifecycleConfig::default()
    };
    cfg.transforms.key = Some(SecretString::from(KEY.to_owned()));
    (p, cfg)
}

async fn base_comment(name: &str) -> Option<String> {
    client(&clusters().staging.url("postgres"))
        .await
        .query_one(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await
        .unwrap()
        .get(0)
}

async fn home(db: &DbUrl) -> Vec<String> {
    strings(
        db,
        "SELECT option_value FROM wp_options WHERE option_name IN ('home', 'siteurl')",
    )
    .await
}

/// Adds to the base a table the rewrite cannot write back: its check refuses any other host.
async fn add_guard(base: &str, table: &str, rows: u32) {
    client(&clusters().staging.url(base))
        .await
        .batch_execute(&format!(
            "CREATE TABLE {table} (id int PRIMARY KEY, \
               link text CHECK (link LIKE '%client-site.example%')); \
             INSERT INTO {table} \
               SELECT i, '{SITE_URL}/page/' || i FROM generate_series(1, {rows}) AS i"
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_pr_database_cloned_from_the_base_equals_one_streamed_from_production() {
    let source = own_source("base_eq_src").await;
    // A full copy matches bare host columns (multisite `domain`) whatever their case; the
    // clone's row filter must find them too.
    client(&source)
        .await
        .batch_execute("UPDATE wp_blogs SET domain = upper(domain) WHERE blog_id = 2")
        .await
        .unwrap();
    assert_eq!(
        strings(&source, "SELECT domain FROM wp_blogs WHERE blog_id = 2").await,
        ["WWW.CLIENT-SITE.EXAMPLE"]
    );
    let (p, mut cfg) = setup(&source, "baseeq", DataFrom::Production);
    let info = base::refresh_base(&cfg, &source, &p.server).await.unwrap();
    assert_eq!(info.site_url, SITE_URL);
    // The base records when and with which key it was made, never the key itself.
    let comment = base_comment("baseeq_base").await.unwrap();
    let fingerprint = base::key_fingerprint(cfg.transforms.key.as_ref());
    assert!(comment.contains(&format!("key={fingerprint}")), "{comment}");
    assert!(comment.contains(&format!("snapshot={}", info.snapshot_time)));
    assert!(!comment.contains("anonymization key"), "{comment}");
    // The base is anonymized: no production e-mail address is in it.
    let base_db = clusters().staging.url("baseeq_base");
    let prod_emails = strings(&source, "SELECT user_email FROM wp_users").await;
    let base_emails = strings(&base_db, "SELECT user_email FROM wp_users").await;
    assert!(!prod_emails.is_empty() && !base_emails.is_empty());
    assert!(
        base_emails.iter().all(|e| !prod_emails.contains(e)),
        "{base_emails:?}"
    );
    assert_eq!(home(&base_db).await, vec![SITE_URL.to_owned(); 2]);

    // The same PR made both ways holds the same rows.
    let streamed = lifecycle::up(&p, &cfg, &up_req(1)).await.unwrap();
    assert_eq!(streamed.data.as_ref().unwrap().base, None);
    let env_db = clusters().staging.url("baseeq-pr-1");
    let from_production = table_digests(&env_db).await;
    cfg.data_source.from = DataFrom::Base;
    let cloned = lifecycle::refresh(&p, &cfg, 1).await.unwrap();
    let data = cloned.data.as_ref().unwrap();
    assert_eq!(data.base.as_deref(), Some("baseeq_base"), "{data:?}");
    assert_eq!(data.snapshot_time, info.snapshot_time);
    assert!(data.anonymized && data.url_replacements > 0, "{data:?}");
    assert!(data.origin().starts_with("base snapshot baseeq_base ("));
    let from_base = table_digests(&env_db).await;
    let differ: Vec<_> = from_production
        .iter()
        .zip(&from_base)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.0.clone())
        .collect();
    assert!(differ.is_empty(), "tables that differ: {differ:?}");
    assert_eq!(from_production.len(), from_base.len());
    assert!(wpstage::lifecycle::data::is_synced(&env_db).await.unwrap());
    // The environment keeps wpstage's marker, so `down` still recognises it.
    let comment = base_comment("baseeq-pr-1").await.unwrap();
    assert!(comment.starts_with("wpstage:managed pr=1"), "{comment}");
    // The base itself is untouched by the clone's rewrite.
    assert_eq!(home(&base_db).await, vec![SITE_URL.to_owned(); 2]);
    lifecycle::down(&p, &cfg, 1).await.unwrap();
}

#[tokio::test]
async fn ten_concurrent_ups_from_a_fresh_base_never_read_production() {
    let source = own_source("base_ten_src").await;
    let (p, cfg) = setup(&source, "baseten", DataFrom::Base);
    let info = base::refresh_base(&cfg, &source, &p.server).await.unwrap();
    // Production is gone: any read of it would fail the `up` that tried.
    let admin = client(&clusters().prod.url("postgres")).await;
    admin
        .batch_execute(&format!(
            "DROP DATABASE \"{}\" WITH (FORCE)",
            source.dbname()
        ))
        .await
        .unwrap();
    let ups = (1..=10u64).map(|pr| {
        let (p, cfg) = (&p, &cfg);
        async move { lifecycle::up(p, cfg, &up_req(pr)).await }
    });
    let outcomes = futures_util::future::join_all(ups).await;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        let pr = i + 1;
        let outcome = outcome.unwrap_or_else(|e| panic!("up of PR {pr} failed: {e:#}"));
        let data = outcome.data.expect("a fresh environment gets data");
        assert_eq!(data.base.as_deref(), Some("baseten_base"));
        assert_eq!(data.snapshot_time, info.snapshot_time);
        let env_db = clusters().staging.url(&format!("baseten-pr-{pr}"));
        assert_eq!(
            home(&env_db).await,
            vec![format!("https://pr-{pr}.staging.example"); 2]
        );
    }
    for pr in 1..=10 {
        lifecycle::down(&p, &cfg, pr).await.unwrap();
    }
}

#[tokio::test]
async fn auto_falls_back_to_production_and_base_refuses_what_is_not_a_base() {
    let source = crate::support::wordpress_source().await;
    // No base of that name: auto streams production, base is an error that says what to do.
    let (p, mut cfg) = setup(&source, "baseauto", DataFrom::Auto);
    let outcome = lifecycle::up(&p, &cfg, &up_req(3)).await.unwrap();
    assert_eq!(outcome.data.unwrap().base, None);
    cfg.data_source.from = DataFrom::Base;
    let err = lifecycle::refresh(&p, &cfg, 3).await.unwrap_err();
    assert!(
        format!("{err:#}").contains("wpstage base refresh"),
        "{err:#}"
    );
    // A database of the base's name that wpstage did not make is neither used nor replaced.
    let admin = client(&clusters().staging.url("postgres")).await;
    admin
        .batch_execute("CREATE DATABASE baseauto_base")
        .await
        .unwrap();
    let err = lifecycle::refresh(&p, &cfg, 3).await.unwrap_err();
    assert!(
        format!("{err:#}").contains("not a base snapshot"),
        "{err:#}"
    );
    let err = base::refresh_base(&cfg, &source, &p.server)
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("not a base snapshot"),
        "{err:#}"
    );
    assert_eq!(base_comment("baseauto_base").await, None);
    // A base older than --base-max-age: auto copies production and says why.
    admin
        .batch_execute("DROP DATABASE baseauto_base")
        .await
        .unwrap();
    base::refresh_base(&cfg, &source, &p.server).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    cfg.data_source.from = DataFrom::Auto;
    cfg.data_source.max_age = Duration::ZERO;
    let outcome = lifecycle::refresh(&p, &cfg, 3).await.unwrap();
    assert_eq!(outcome.data.as_ref().unwrap().base, None);
    assert!(
        outcome
            .warnings
            .iter()
            .any(|w| w.contains("--base-max-age")),
        "{:?}",
        outcome.warnings
    );
    lifecycle::down(&p, &cfg, 3).await.unwrap();
}

#[tokio::test]
async fn a_failed_rewrite_leaves_the_environment_as_it_was() {
    let source = crate::support::wordpress_source().await;
    let (p, mut cfg) = setup(&source, "basefail", DataFrom::Production);
    lifecycle::up(&p, &cfg, &up_req(5)).await.unwrap();
    let env_db = clusters().staging.url("basefail-pr-5");
    let before = table_digests(&env_db).await;
    base::refresh_base(&cfg, &source, &p.server).await.unwrap();
    // The smallest table, rewritten last: the other tables' rows are rewritten before it fails.
    add_guard("basefail_base", "wp_zz_guard", 1).await;
    cfg.data_source.from = DataFrom::Base;
    let err = lifecycle::refresh(&p, &cfg, 5).await.unwrap_err();
    assert!(format!("{err:#}").contains("wp_zz_guard"), "{err:#}");
    assert_eq!(table_digests(&env_db).await, before);
    assert!(wpstage::lifecycle::data::is_synced(&env_db).await.unwrap());
    let leftovers = strings(
        &clusters().staging.url("postgres"),
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'basefail-pr-5%'",
    )
    .await;
    assert_eq!(leftovers, vec!["basefail-pr-5".to_owned()]);
    lifecycle::down(&p, &cfg, 5).await.unwrap();
}

#[tokio::test]
async fn a_failure_in_the_parallel_rewrite_leaves_no_database_up_would_take_for_finished() {
    let source = crate::support::wordpress_source().await;
    let (p, mut cfg) = setup(&source, "basemid", DataFrom::Base);
    base::refresh_base(&cfg, &source, &p.server).await.unwrap();
    // Large enough to be rewritten while the other sessions still work on theirs.
    add_guard("basemid_base", "wp_aa_guard", 20_000).await;
    cfg.jobs = 3;
    let err = lifecycle::up(&p, &cfg, &up_req(7)).await.unwrap_err();
    assert!(format!("{err:#}").contains("wp_aa_guard"), "{err:#}");
    let leftovers = strings(
        &clusters().staging.url("postgres"),
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'basemid-pr-7%'",
    )
    .await;
    assert_eq!(leftovers, Vec::<String>::new());
    let admin = client(&clusters().staging.url("postgres")).await;
    assert!(
        base::find_base(&admin, "basemid_base")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn the_binary_refreshes_the_base_and_up_reports_it() {
    let source = crate::support::wordpress_source().await;
    let server = clusters().staging.url("postgres");
    let common = [
        "--platform",
        "local",
        "--prefix",
        "basecli-pr-",
        "--base-name",
        "basecli_base",
        "--jobs",
        "2",
        "--report",
        "json",
    ];
    let env = [
        ("WPSTAGE_SOURCE_URL", source.expose()),
        ("WPSTAGE_LOCAL_SERVER_URL", server.expose()),
        ("WPSTAGE_ANONYMIZE_KEY", KEY),
    ];
    let mut args = vec!["base", "refresh"];
    args.extend(common);
    let (code, stdout, stderr) = crate::support::run_cli(&args, &env);
    assert_eq!(code, 0, "{stderr}");
    let refreshed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(refreshed["base"], "basecli_base");
    assert_eq!(
        refreshed["key_fingerprint"],
        base::key_fingerprint(Some(&SecretString::from(KEY.to_owned())))
    );
    assert!(!stdout.contains(KEY) && !stderr.contains(KEY));
    let mut args = vec!["up", "--pr", "9", "--sha", "abc", "--data-from", "base"];
    args.extend(common);
    let (code, stdout, stderr) = crate::support::run_cli(&args, &env);
    assert_eq!(code, 0, "{stderr}");
    let outcome: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(outcome["data"]["base"], "basecli_base", "{stdout}");
    assert_eq!(outcome["data"]["snapshot_time"], refreshed["snapshot_time"]);
    // On Railway the base needs the project: a clear error before any request.
    let (code, _, stderr) = crate::support::run_cli(
        &["base", "refresh", "--platform", "railway"],
        &[("RAILWAY_API_TOKEN", "t")],
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("Railway needs the project id"), "{stderr}");
    let mut args = vec!["down", "--pr", "9"];
    args.extend(common);
    assert_eq!(crate::support::run_cli(&args, &env).0, 0);
}

#[tokio::test]
async fn a_table_whose_rows_mostly_change_is_refilled_in_place_keeping_what_it_is() {
    let db = fresh_db(&clusters().staging, "refill_db").await;
    let c = client(&db).await;
    c.batch_execute(&format!(
        "CREATE TABLE wp_options (option_id bigserial PRIMARY KEY, option_name text UNIQUE, \
           option_value text, autoload text);
         INSERT INTO wp_options (option_name, option_value, autoload) VALUES \
           ('siteurl', '{SITE_URL}', 'yes'), ('home', '{SITE_URL}', 'yes');
         CREATE TABLE pages (id bigserial PRIMARY KEY, url text, title text);
         CREATE INDEX pages_title ON pages (title);
         INSERT INTO pages (url, title) SELECT \
           CASE WHEN g % 10 = 0 THEN 'https://elsewhere.example/' || g \
                ELSE '{SITE_URL}/page-' || g END, 'title ' || g \
           FROM generate_series(1, 200) g;
         UPDATE pages SET title = repeat('a long, compressible title ', 400) WHERE id = 1;
         CREATE TABLE parents (id bigint PRIMARY KEY, link text);
         INSERT INTO parents SELECT g, '{SITE_URL}/p/' || g FROM generate_series(1, 10) g;
         CREATE TABLE kids (id bigint PRIMARY KEY, parent bigint REFERENCES parents (id));
         INSERT INTO kids SELECT g, g FROM generate_series(1, 10) g;"
    ))
    .await
    .unwrap();
    let oid = |t: &'static str| {
        let c = &c;
        async move {
            c.query_one(&format!("SELECT '{t}'::regclass::oid::int8"), &[])
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    let pages_oid = oid("pages").await;
    let compression = || async {
        strings(
            &db,
            "SELECT pg_column_compression(title) FROM pages WHERE id = 1",
        )
        .await
    };
    assert_eq!(compression().await, ["pglz"]);
    let index_defs = || async {
        strings(
            &db,
            "SELECT pg_get_indexdef(indexrelid) || ' valid=' || indisvalid FROM pg_index \
             WHERE indrelid = 'pages'::regclass ORDER BY 1",
        )
        .await
    };
    let indexes_before = index_defs().await;
    let title_index = oid("pages_title").await;
    let untouched = strings(
        &db,
        "SELECT url || title FROM pages WHERE id % 10 = 0 ORDER BY id",
    )
    .await;
    let settings = wpstage::lifecycle::TransformSettings {
        anonymize: false,
        ..Default::default()
    };
    let preview = "https://pr-3.staging.example";
    let stats = base::rewrite::rewrite_in_place(&settings, &db, SITE_URL, preview, "now", 2)
        .await
        .unwrap();
    // pages (180 of 200 rows change) and the options are refilled; parents, which kids
    // reference, is updated (TRUNCATE would refuse it).
    assert_eq!(stats.tables_refilled, 2, "{stats:?}");
    let host = SITE_URL.split("://").nth(1).unwrap();
    for table in ["pages", "parents", "wp_options"] {
        let left = strings(
            &db,
            &format!("SELECT t::text FROM {table} t WHERE t::text LIKE '%{host}%'"),
        )
        .await;
        assert!(left.is_empty(), "{table} still holds the host: {left:?}");
    }
    assert_eq!(
        strings(
            &db,
            "SELECT url || title FROM pages WHERE id % 10 = 0 ORDER BY id"
        )
        .await,
        untouched
    );
    let row = c
        .query_one(
            "SELECT (SELECT count(*) FROM pages), (SELECT count(*) FROM pg_index \
             WHERE indrelid = 'pages'::regclass), \
             nextval(pg_get_serial_sequence('pages', 'id')), (SELECT count(*) FROM kids)",
            &[],
        )
        .await
        .unwrap();
    let (rows, indexes, next, kids): (i64, i64, i64, i64) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!((rows, indexes, kids), (200, 2, 10));
    assert!(next > 200, "the sequence went back to {next}");
    assert_eq!(
        oid("pages").await,
        pages_oid,
        "pages was replaced, not refilled"
    );
    assert!(strings(&db, "SELECT url FROM pages WHERE id = 1").await[0].starts_with(preview));
    // Rewritten rows are written with the loading settings of a full copy: lz4, cheaper to
    // compress than the default pglz (Debian's PostgreSQL is built with it).
    assert_eq!(compression().await, ["lz4"]);
    // The secondary index was dropped for the refill and built again, the same as before.
    assert_eq!(index_defs().await, indexes_before);
    assert_ne!(
        oid("pages_title").await,
        title_index,
        "the index was not rebuilt"
    );
    assert_eq!(
        strings(&db, "SELECT id::text FROM pages WHERE title = 'title 7'").await,
        ["7"]
    );
}
