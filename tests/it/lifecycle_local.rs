//! The lifecycle on the local platform: environments are databases on the staging cluster.

use std::time::Duration;

use wpstage::lifecycle::{self, Failure, LifecycleConfig, ReapRequest, UpRequest};
use wpstage::platform::Platform;
use wpstage::platform::local::LocalPlatform;

use crate::support::{
    as_new_role, client, clusters, fresh_db, strings, table_digests, wordpress_source,
};

pub(crate) fn platform(
    source: wpstage::postgres::DbUrl,
    prefix_tag: &str,
) -> (LocalPlatform, LifecycleConfig) {
    let p = LocalPlatform {
        server: clusters().staging.url("postgres"),
        source,
        url_template: "https://pr-{n}.staging.example".to_owned(),
    };
    let cfg = LifecycleConfig {
        prefix: format!("{prefix_tag}-pr-"),
        jobs: 2,
        progress_every: Duration::ZERO,
        ..LifecycleConfig::default()
    };
    (p, cfg)
}

pub(crate) fn up_req(pr: u64) -> UpRequest {
    UpRequest {
        pr,
        sha: "abc123".to_owned(),
        branch: None,
        refresh_data: false,
        keep_on_failure: false,
    }
}

pub(crate) async fn database_exists(name: &str) -> bool {
    let admin = client(&clusters().staging.url("postgres")).await;
    admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn up_creates_then_reuses_and_down_is_idempotent() {
    let (p, cfg) = platform(wordpress_source().await, "life");
    let first = lifecycle::up(&p, &cfg, &up_req(7)).await.unwrap();
    assert!(first.created);
    assert_eq!(
        first.preview_url.as_deref(),
        Some("https://pr-7.staging.example")
    );
    let data = first.data.as_ref().expect("a fresh environment gets data");
    assert!(
        data.rows > 500 && data.anonymized && data.anonymized_values > 0,
        "{data:?}"
    );
    let env_db = clusters().staging.url("life-pr-7");
    let home = strings(
        &env_db,
        "SELECT option_value FROM wp_options WHERE option_name IN ('home', 'siteurl')",
    )
    .await;
    assert_eq!(home, vec!["https://pr-7.staging.example".to_owned(); 2]);
    // New commits: the environment is reused and its data is not copied again.
    let marker = client(&env_db).await;
    marker
        .batch_execute("CREATE TABLE staging_only (x int)")
        .await
        .unwrap();
    let second = lifecycle::up(&p, &cfg, &up_req(7)).await.unwrap();
    assert!(!second.created && second.data.is_none(), "{second:?}");
    assert!(
        table_digests(&env_db)
            .await
            .iter()
            .any(|(t, _, _)| t == "public.staging_only")
    );
    let down = lifecycle::down(&p, &cfg, 7).await.unwrap();
    assert!(down.deleted);
    assert!(!database_exists("life-pr-7").await);
    let again = lifecycle::down(&p, &cfg, 7).await.unwrap();
    assert!(!again.deleted, "already gone is success");
}

#[tokio::test]
async fn a_failed_fresh_up_rolls_back_what_it_created() {
    let missing = clusters().prod.url("no_such_production_db");
    let (p, cfg) = platform(missing, "rollback");
    let err = lifecycle::up(&p, &cfg, &up_req(3)).await.unwrap_err();
    let failure = err.downcast_ref::<Failure>().expect("a lifecycle Failure");
    assert!(failure.rolled_back && failure.outcome.created, "{failure}");
    assert!(
        failure
            .to_string()
            .contains("failed at step `source database`")
            || failure.to_string().contains("site url"),
        "{failure}"
    );
    assert!(
        !database_exists("rollback-pr-3").await,
        "the environment was left behind"
    );
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_old_data() {
    let (p, cfg) = platform(wordpress_source().await, "refresh");
    lifecycle::up(&p, &cfg, &up_req(5)).await.unwrap();
    let env_db = clusters().staging.url("refresh-pr-5");
    let before = table_digests(&env_db).await;
    let broken = LocalPlatform {
        source: clusters().prod.url("gone_db"),
        ..p.clone()
    };
    let err = lifecycle::refresh(&broken, &cfg, 5).await.unwrap_err();
    assert!(err.downcast_ref::<Failure>().is_some(), "{err:#}");
    assert_eq!(
        table_digests(&env_db).await,
        before,
        "staging lost its data"
    );
    let ok = lifecycle::refresh(&p, &cfg, 5).await.unwrap();
    assert!(ok.data.is_some());
    let missing = lifecycle::refresh(&p, &cfg, 99).await.unwrap_err();
    assert!(
        format!("{missing:#}").contains("bring it up first"),
        "{missing:#}"
    );
    lifecycle::down(&p, &cfg, 5).await.unwrap();
}

#[tokio::test]
async fn reap_deletes_only_stale_environments_it_created() {
    let source = fresh_db(&clusters().prod, "reap_src").await;
    client(&source)
        .await
        .batch_execute("CREATE TABLE wp_options (option_id bigserial PRIMARY KEY, option_name text, option_value text); INSERT INTO wp_options (option_name, option_value) VALUES ('home', 'https://www.reap.example')")
        .await
        .unwrap();
    let (p, cfg) = platform(source, "reap");
    for pr in [1, 2, 3] {
        p.create_environment(&cfg.environment_name(pr), pr)
            .await
            .unwrap();
    }
    // Somebody else's database with a matching name is never touched.
    client(&clusters().staging.url("postgres"))
        .await
        .batch_execute("CREATE DATABASE \"reap-pr-9\"")
        .await
        .unwrap();
    let dry = ReapRequest {
        max_age: Duration::from_secs(3600),
        open_prs: Some(vec![2]),
        dry_run: true,
    };
    let listed = lifecycle::reap(&p, &cfg, &dry).await.unwrap();
    assert_eq!(
        listed.reaped,
        vec!["reap-pr-1".to_owned(), "reap-pr-3".to_owned()]
    );
    assert!(
        database_exists("reap-pr-1").await,
        "a dry run deleted something"
    );
    let real = ReapRequest {
        dry_run: false,
        ..dry
    };
    lifecycle::reap(&p, &cfg, &real).await.unwrap();
    assert!(!database_exists("reap-pr-1").await && !database_exists("reap-pr-3").await);
    assert!(database_exists("reap-pr-2").await && database_exists("reap-pr-9").await);
    let refused = lifecycle::up(&p, &cfg, &up_req(9)).await.unwrap_err();
    assert!(
        format!("{refused:#}").contains("was not created by wpstage"),
        "{refused:#}"
    );
    let by_age = ReapRequest {
        max_age: Duration::ZERO,
        open_prs: None,
        dry_run: false,
    };
    // Markers keep whole seconds: wait until reap-pr-2's is in the past, as reap sees it.
    let listing = ReapRequest {
        dry_run: true,
        ..by_age.clone()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while lifecycle::reap(&p, &cfg, &listing)
        .await
        .unwrap()
        .reaped
        .is_empty()
    {
        assert!(std::time::Instant::now() < deadline, "reap-pr-2 never aged");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let aged = lifecycle::reap(&p, &cfg, &by_age).await.unwrap();
    assert_eq!(aged.reaped, vec!["reap-pr-2".to_owned()]);
    assert!(database_exists("reap-pr-9").await);
}

#[tokio::test]
async fn ten_concurrent_ups_each_get_their_own_environment() {
    let (p, cfg) = platform(wordpress_source().await, "many");
    let runs = (1..=10u64).map(|pr| {
        let (p, cfg) = (p.clone(), cfg.clone());
        async move { lifecycle::up(&p, &cfg, &up_req(pr)).await }
    });
    let outcomes = futures_util::future::join_all(runs).await;
    for (i, o) in outcomes.into_iter().enumerate() {
        let o = o.unwrap_or_else(|e| panic!("up #{} failed: {e:#}", i + 1));
        assert!(o.created);
        let db = clusters().staging.url(&o.environment_name);
        let home = strings(
            &db,
            "SELECT option_value FROM wp_options WHERE option_name = 'home'",
        )
        .await;
        assert_eq!(
            home,
            vec![format!("https://pr-{}.staging.example", i + 1)],
            "cross-talk between environments"
        );
    }
    for pr in 1..=10 {
        lifecycle::down(&p, &cfg, pr).await.unwrap();
    }
}

#[tokio::test]
async fn an_interrupted_first_copy_is_redone_by_the_next_up() {
    let (p, cfg) = platform(wordpress_source().await, "resume");
    // A cancelled first run: the environment exists and holds some tables, but no finished copy.
    p.create_environment(&cfg.environment_name(8), 8)
        .await
        .unwrap();
    let env_db = clusters().staging.url("resume-pr-8");
    client(&env_db)
        .await
        .batch_execute("CREATE TABLE wp_options (option_id int); INSERT INTO wp_options VALUES (1)")
        .await
        .unwrap();
    let up = lifecycle::up(&p, &cfg, &up_req(8)).await.unwrap();
    assert!(
        !up.created && up.data.is_some(),
        "the half-written copy must be replaced: {up:?}"
    );
    let home = strings(
        &env_db,
        "SELECT option_value FROM wp_options WHERE option_name = 'home'",
    )
    .await;
    assert_eq!(home, vec!["https://pr-8.staging.example".to_owned()]);
    // Once finished, a rerun keeps the data.
    let again = lifecycle::up(&p, &cfg, &up_req(8)).await.unwrap();
    assert!(again.data.is_none(), "{again:?}");
    lifecycle::down(&p, &cfg, 8).await.unwrap();
}

/// A source with one `wp_options` table whose option_value column is of type `ty` and whose
/// `home` and `siteurl` rows hold `home` (an SQL expression).
async fn options_source(tag: &str, ty: &str, home: &str) -> wpstage::postgres::DbUrl {
    let url = fresh_db(&clusters().prod, tag).await;
    client(&url)
        .await
        .batch_execute(&format!(
            "CREATE TABLE wp_options (option_id bigserial PRIMARY KEY, \
               option_name varchar(191) NOT NULL, option_value {ty}); \
             INSERT INTO wp_options (option_name, option_value) \
               VALUES ('siteurl', {home}), ('home', {home});"
        ))
        .await
        .unwrap();
    url
}

async fn site_url_error(source: &wpstage::postgres::DbUrl) -> String {
    let err = lifecycle::data::production_site_url(&LifecycleConfig::default(), source)
        .await
        .expect_err("the source holds no usable site URL");
    format!("{err:#}")
}

#[tokio::test]
async fn the_site_url_is_the_home_option_of_the_wordpress_options_table() {
    let source = options_source("home_ok", "text", "'https://shop.example/'").await;
    // A shorter `options` table of another application is not WordPress's: it is passed over.
    client(&source)
        .await
        .batch_execute(
            "CREATE SCHEMA app; CREATE TABLE app.options (id int, value text); \
             INSERT INTO app.options VALUES (1, 'x');",
        )
        .await
        .unwrap();
    let url = lifecycle::data::production_site_url(&LifecycleConfig::default(), &source)
        .await
        .unwrap();
    assert_eq!(url, "https://shop.example");
}

#[tokio::test]
async fn a_null_home_option_is_named_with_what_to_do() {
    let source = options_source("home_null", "text", "NULL").await;
    let msg = site_url_error(&source).await;
    for part in ["public.wp_options", "`home`", "NULL", "--site-url"] {
        assert!(msg.contains(part), "{part:?} missing from: {msg}");
    }
}

#[tokio::test]
async fn a_home_option_that_is_not_text_is_named_with_what_to_do() {
    let source = options_source("home_bytea", "bytea", "'https://shop.example'::bytea").await;
    let msg = site_url_error(&source).await;
    for part in ["public.wp_options", "bytea", "--site-url"] {
        assert!(msg.contains(part), "{part:?} missing from: {msg}");
    }
}

#[tokio::test]
async fn an_unreadable_options_table_is_reported_not_skipped() {
    let source = options_source("home_denied", "text", "'https://shop.example'").await;
    let reader = as_new_role(&source, "reader-pw-41", "", "").await;
    let msg = site_url_error(&reader).await;
    for part in ["wp_options", "permission", "SELECT"] {
        assert!(msg.contains(part), "{part:?} missing from: {msg}");
    }
}

/// The site URL is read in a read-only session, like every other read of production: a read
/// that would make the source write (here a row-security policy calling a writing function) is
/// refused, and production keeps no trace of it.
#[tokio::test]
async fn the_site_url_is_read_without_ever_writing_to_production() {
    let source = options_source("home_ro", "text", "'https://shop.example/'").await;
    client(&source)
        .await
        .batch_execute(
            "CREATE TABLE audit (at timestamptz DEFAULT now()); \
             CREATE FUNCTION audited() RETURNS boolean LANGUAGE plpgsql VOLATILE AS \
               $$ BEGIN INSERT INTO audit DEFAULT VALUES; RETURN true; END $$; \
             ALTER TABLE wp_options ENABLE ROW LEVEL SECURITY; \
             CREATE POLICY seen ON wp_options USING (audited());",
        )
        .await
        .unwrap();
    let reader = as_new_role(
        &source,
        "reader-pw-5",
        "",
        "GRANT SELECT ON wp_options TO {role}; GRANT INSERT ON audit TO {role};",
    )
    .await;
    let read = lifecycle::data::production_site_url(&LifecycleConfig::default(), &reader).await;
    let writes = strings(&source, "SELECT count(*)::text FROM audit").await;
    assert_eq!(
        writes,
        ["0"],
        "the read wrote to production (result: {read:?})"
    );
}
