//! The source is recognised however the target URL reaches it, and is never written.

use wpstage::postgres::{DbUrl, connect_source};
use wpstage::sync::sync;

use crate::support::{client, clusters, fresh_db, table_digests};
use crate::support_s1::{aliases, forwarder, via};
use crate::sync_fidelity::options;

async fn small_source(name: &str) -> DbUrl {
    let source = fresh_db(&clusters().prod, name).await;
    client(&source)
        .await
        .batch_execute(
            "CREATE TABLE wp_options (option_id bigserial PRIMARY KEY, option_value text);
             CREATE TABLE wp_posts (id bigserial PRIMARY KEY, post_title text);
             INSERT INTO wp_options (option_value) SELECT 'v' || g FROM generate_series(1, 50) g;
             INSERT INTO wp_posts (post_title) SELECT 't' || g FROM generate_series(1, 50) g;",
        )
        .await
        .unwrap();
    source
}

async fn helpers_of(db: &str) -> Vec<String> {
    let admin = client(&clusters().prod.url("postgres")).await;
    admin
        .query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE $1 || '\\_\\_wpstage%'",
            &[&db],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn assert_refused(source: &DbUrl, target: DbUrl, how: &str) {
    let before = table_digests(source).await;
    let err = sync(&options(source, &target), None)
        .await
        .expect_err(&format!(
            "syncing the source into itself via {how} was not refused"
        ));
    let text = format!("{err:#}");
    assert!(text.contains("is the source database"), "{how}: {text}");
    assert!(text.contains("nothing was changed"), "{how}: {text}");
    assert_eq!(
        table_digests(source).await,
        before,
        "{how}: the source changed"
    );
    assert!(
        helpers_of(source.dbname()).await.is_empty(),
        "{how}: a helper database was created beside the source"
    );
}

#[tokio::test]
async fn the_source_reached_through_a_socket_or_another_host_name_is_refused() {
    let source = small_source("ident_alias_src").await;
    for (how, url) in aliases(&clusters().prod, source.dbname()) {
        let target = DbUrl::parse(&url, "target").unwrap();
        assert_refused(&source, target, how).await;
    }
}

#[tokio::test]
async fn the_source_behind_a_tcp_proxy_on_ipv6_loopback_is_refused() {
    let source = small_source("ident_proxy_src").await;
    let upstream = format!("127.0.0.1:{}", clusters().prod.port());
    let port = forwarder("[::1]:0", upstream).await;
    assert_refused(&source, via(&source, "::1", port), "a proxy on ::1").await;
}

#[tokio::test]
async fn another_database_on_the_same_server_is_not_mistaken_for_the_source() {
    let source = small_source("ident_same_server_src").await;
    let target = fresh_db(&clusters().prod, "ident_same_server_dst").await;
    sync(&options(&source, &target), None).await.unwrap();
    assert_eq!(table_digests(&target).await, table_digests(&source).await);
}

#[tokio::test]
async fn source_sessions_cannot_write() {
    let source = small_source("ident_readonly_src").await;
    let session = connect_source(&source, "wpstage-test").await.unwrap();
    let err = session
        .batch_execute("INSERT INTO wp_posts (post_title) VALUES ('x')")
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&tokio_postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION),
        "{err}"
    );
}

/// Each table (`schema.table`, default column) whose column default draws from a sequence.
async fn sequence_defaults(url: &DbUrl) -> Vec<(String, String)> {
    client(url)
        .await
        .query(
            "SELECT a.adrelid::regclass::text, quote_ident(c.attname) FROM pg_attrdef a \
             JOIN pg_attribute c ON c.attrelid = a.adrelid AND c.attnum = a.adnum \
             WHERE pg_get_expr(a.adbin, a.adrelid) LIKE 'nextval(%' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn inserts_on_staging_get_the_ids_production_would_give() {
    let source = fresh_db(&clusters().prod, "seq_src").await;
    client(&source)
        .await
        .batch_execute(
            "CREATE TABLE used (id bigserial PRIMARY KEY, v text);
             INSERT INTO used (v) SELECT 'x' FROM generate_series(1, 30);
             DELETE FROM used WHERE id > 20;
             CREATE TABLE never_used (id serial PRIMARY KEY, v text);
             CREATE TABLE reset (id serial PRIMARY KEY, v text);
             SELECT setval('reset_id_seq', 100, false);",
        )
        .await
        .unwrap();
    let target = fresh_db(&clusters().staging, "seq_dst").await;
    sync(&options(&source, &target), None).await.unwrap();
    let defaults = sequence_defaults(&target).await;
    assert_eq!(defaults.len(), 3, "{defaults:?}");
    let (src, dst) = (client(&source).await, client(&target).await);
    for (table, column) in defaults {
        let insert = format!("INSERT INTO {table} DEFAULT VALUES RETURNING {column}::int8");
        let staging: i64 = dst.query_one(&insert, &[]).await.unwrap().get(0);
        let production: i64 = src.query_one(&insert, &[]).await.unwrap().get(0);
        assert_eq!(staging, production, "{table}: staging hands out another id");
    }
}

#[tokio::test]
async fn an_empty_source_over_a_wordpress_target_is_refused_unless_allowed() {
    let source = fresh_db(&clusters().prod, "empty_src").await;
    let target = fresh_db(&clusters().staging, "empty_dst").await;
    client(&target)
        .await
        .batch_execute(
            "CREATE TABLE wp_options (id int); CREATE TABLE wp_posts (id int);
             INSERT INTO wp_posts VALUES (1);",
        )
        .await
        .unwrap();
    let before = table_digests(&target).await;
    let err = sync(&options(&source, &target), None).await.unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("has no tables"), "{text}");
    assert!(text.contains(target.dbname()), "{text}");
    assert!(text.contains(source.dbname()), "{text}");
    assert!(text.contains("--allow-empty-source"), "{text}");
    assert_eq!(table_digests(&target).await, before, "the target changed");
    let guards = wpstage::sync::Guards {
        allow_empty_source: true,
    };
    wpstage::sync::sync_with(&options(&source, &target), None, guards)
        .await
        .unwrap();
    assert!(table_digests(&target).await.is_empty());
}
