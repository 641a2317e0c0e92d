//! Built-in plugin rules: a source holding every plugin fixture (shaped after each plugin's
//! public schema) goes through a default `sync`; a dump of staging must hold none of the
//! originals a fixture names or contains (emails, IPs, phones, names, addresses), the plugin's
//! rows must still be there, and the production host must be rewritten everywhere but in
//! uploads URLs (which stay on production by default).

use std::sync::Arc;

use secrecy::SecretString;
use tokio::sync::OnceCell;
use wpstage::lifecycle::TransformSettings;
use wpstage::postgres::DbUrl;
use wpstage::sync::{SyncReport, Transforms, sync};
use wpstage::transform::{PiiKind, looks_like_pii};

use crate::support::{client, clusters, fresh_db, pg_dump_path};

const PROD: &str = "https://shop.prod-site.example";
const PROD_HOST: &str = "shop.prod-site.example";
const PREVIEW: &str = "https://pr-7.up.railway.app";

const CORE: &str = include_str!("../fixtures/plugins/core.sql");

/// Every plugin fixture, by name.
pub const FIXTURES: &[(&str, &str)] = &[
    (
        "gravity_forms",
        include_str!("../fixtures/plugins/gravity_forms.sql"),
    ),
    ("wpforms", include_str!("../fixtures/plugins/wpforms.sql")),
    ("flamingo", include_str!("../fixtures/plugins/flamingo.sql")),
    (
        "ninja_forms",
        include_str!("../fixtures/plugins/ninja_forms.sql"),
    ),
    (
        "formidable",
        include_str!("../fixtures/plugins/formidable.sql"),
    ),
    (
        "fluent_forms",
        include_str!("../fixtures/plugins/fluent_forms.sql"),
    ),
    (
        "elementor",
        include_str!("../fixtures/plugins/elementor.sql"),
    ),
    ("mailpoet", include_str!("../fixtures/plugins/mailpoet.sql")),
    (
        "newsletter",
        include_str!("../fixtures/plugins/newsletter.sql"),
    ),
    ("edd", include_str!("../fixtures/plugins/edd.sql")),
    (
        "wc_subscriptions",
        include_str!("../fixtures/plugins/wc_subscriptions.sql"),
    ),
    (
        "memberpress",
        include_str!("../fixtures/plugins/memberpress.sql"),
    ),
    (
        "learndash",
        include_str!("../fixtures/plugins/learndash.sql"),
    ),
    (
        "buddypress_bbpress",
        include_str!("../fixtures/plugins/buddypress_bbpress.sql"),
    ),
    ("jetpack", include_str!("../fixtures/plugins/jetpack.sql")),
    (
        "wp_statistics",
        include_str!("../fixtures/plugins/wp_statistics.sql"),
    ),
    (
        "koko_analytics",
        include_str!("../fixtures/plugins/koko_analytics.sql"),
    ),
    (
        "rank_math",
        include_str!("../fixtures/plugins/rank_math.sql"),
    ),
    ("yoast", include_str!("../fixtures/plugins/yoast.sql")),
];

struct Synced {
    source: DbUrl,
    target: DbUrl,
    source_dump: String,
    staging_dump: String,
    report: SyncReport,
}

fn dump(url: &DbUrl) -> String {
    let out = std::process::Command::new(pg_dump_path())
        .args(["--data-only", "--no-owner"])
        .envs(url.libpq_env())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn synced() -> &'static Synced {
    static SYNCED: OnceCell<Synced> = OnceCell::const_new();
    SYNCED
        .get_or_init(|| async {
            let source = fresh_db(&clusters().prod, "plugins_src").await;
            let c = client(&source).await;
            c.batch_execute(CORE).await.unwrap();
            for (name, sql) in FIXTURES {
                c.batch_execute(sql)
                    .await
                    .unwrap_or_else(|e| panic!("loading fixture {name}: {e}"));
            }
            let target = fresh_db(&clusters().staging, "plugins_stg").await;
            let settings = TransformSettings {
                key: Some(SecretString::from("plugin-test-key")),
                ..TransformSettings::default()
            };
            let t = wpstage::pipeline::build(&settings, &[(PROD.to_owned(), PREVIEW.to_owned())])
                .unwrap();
            let opts = wpstage::sync::SyncOptions {
                waste: Default::default(),
                ..crate::sync_fidelity::options(&source, &target)
            };
            let report = sync(&opts, Some(t as Arc<dyn Transforms>)).await.unwrap();
            Synced {
                source_dump: dump(&source),
                staging_dump: dump(&target),
                source,
                target,
                report,
            }
        })
        .await
}

/// The originals of a fixture: what its `-- originals:` line names, and every email and IP
/// address written in it.
pub fn originals(sql: &str) -> Vec<String> {
    let mut out: Vec<String> = sql
        .lines()
        .find_map(|l| l.strip_prefix("-- originals:"))
        .unwrap_or("")
        .split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let is_token = |c: char| c.is_ascii_alphanumeric() || ".@_%+-:".contains(c);
    for token in sql.split(|c: char| !is_token(c)) {
        let token = token.trim_matches(|c| c == '.' || c == ':');
        if matches!(looks_like_pii(token), Some(PiiKind::Email | PiiKind::Ip)) {
            out.push(token.to_owned());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Tables a fixture creates (`CREATE TABLE wp_x`).
fn created_tables(sql: &str) -> Vec<String> {
    sql.split("CREATE TABLE ")
        .skip(1)
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

async fn count(url: &DbUrl, table: &str) -> i64 {
    client(url)
        .await
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0)
}

/// Rows of `table` that the copy was meant to leave out (dropped by a rule or excluded).
fn emptied_on_purpose(report: &SyncReport, table: &str) -> bool {
    report
        .tables
        .iter()
        .any(|t| t.table.ends_with(&format!(".{table}")) && t.rows_dropped > 0 && t.rows == 0)
        || report
            .excluded
            .iter()
            .any(|e| e.table.ends_with(&format!(".{table}")))
}

async fn check_plugin(name: &str) {
    let sql = FIXTURES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .unwrap();
    let s = synced().await;
    let originals = originals(sql);
    let lower = s.staging_dump.to_lowercase();
    for o in &originals {
        assert!(
            s.source_dump.contains(o.as_str()),
            "{name}: fixture original {o:?} is not in the source (the check could not fail)"
        );
        assert!(
            !lower.contains(&o.to_lowercase()),
            "{name}: original {o:?} reached staging"
        );
    }
    for table in created_tables(sql) {
        let (before, after) = (
            count(&s.source, &table).await,
            count(&s.target, &table).await,
        );
        assert!(
            before == after || emptied_on_purpose(&s.report, &table),
            "{name}: {table} had {before} rows and has {after} in staging"
        );
    }
}

macro_rules! plugin_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                check_plugin(stringify!($name)).await;
            }
        )*
    };
}

plugin_tests!(
    gravity_forms,
    wpforms,
    flamingo,
    ninja_forms,
    formidable,
    fluent_forms,
    elementor,
    mailpoet,
    newsletter,
    edd,
    wc_subscriptions,
    memberpress,
    learndash,
    buddypress_bbpress,
    jetpack,
    wp_statistics,
    koko_analytics,
    rank_math,
    yoast,
);

/// Uploads URLs stay on production by default; every other mention of its host is rewritten.
#[tokio::test]
async fn production_host_is_left_only_in_uploads_urls() {
    let s = synced().await;
    assert!(s.source_dump.contains(PROD_HOST));
    for line in s.staging_dump.lines() {
        let stray = line.match_indices(PROD_HOST).any(|(i, _)| {
            let rest = line[i + PROD_HOST.len()..].replace("\\\\/", "/");
            !rest.starts_with("/wp-content/uploads")
        });
        assert!(!stray, "the production host is still in staging: {line}");
    }
}

#[tokio::test]
async fn url_tables_point_at_the_preview() {
    let s = synced().await;
    let c = client(&s.target).await;
    for sql in [
        "SELECT permalink FROM wp_yoast_indexable",
        "SELECT url FROM wp_yoast_seo_links",
        "SELECT url_to FROM wp_rank_math_redirections",
        "SELECT url FROM wp_koko_analytics_referrer_urls WHERE url LIKE '%/blog/'",
    ] {
        let v: String = c.query_one(sql, &[]).await.unwrap().get(0);
        assert!(v.starts_with(PREVIEW), "{sql}: {v}");
    }
    let hash: Option<String> = c
        .query_one("SELECT permalink_hash FROM wp_yoast_indexable", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        hash, None,
        "a stale permalink hash would point Yoast at production's URL"
    );
}

#[test]
fn originals_include_addresses_written_anywhere() {
    let got = originals(
        "-- originals: Ann|Bo\nINSERT ... ('ann@x-prod.example', '81.2.69.1', '2024-01-01')",
    );
    assert_eq!(got, ["81.2.69.1", "Ann", "Bo", "ann@x-prod.example"]);
}
