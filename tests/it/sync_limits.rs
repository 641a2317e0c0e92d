//! What the servers can give: connection slots and encodings. `--jobs` beyond production's
//! free connections is lowered instead of failing half-way, "too many clients" is reported as
//! that, and bytes a SQL_ASCII source holds that the target refuses are named by table, column
//! and row key.

use wpstage::postgres::DbUrl;

use crate::support::{as_new_role, client, clusters, fresh_db, run_cli, table_digests};
use crate::sync_fidelity::TRICKY_SCHEMA;

/// A source database with data, read through a new login role limited to `limit` connections.
async fn limited_source(name: &str, limit: u32) -> DbUrl {
    let owner = fresh_db(&clusters().prod, name).await;
    let db = client(&owner).await;
    db.batch_execute(TRICKY_SCHEMA).await.unwrap();
    as_new_role(
        &owner,
        "limited-Secret-91",
        &format!("CONNECTION LIMIT {limit}"),
        "GRANT pg_read_all_data TO {role};",
    )
    .await
}

/// `wpstage sync` from `source` to `target` without anonymization (these tables hold no one).
fn sync_cli(source: &DbUrl, target: &DbUrl, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "sync",
        "--source",
        source.expose(),
        "--target",
        target.expose(),
        "--no-anonymize",
    ];
    args.extend_from_slice(extra);
    run_cli(&args, &[])
}

#[tokio::test]
async fn jobs_beyond_the_sources_free_connections_are_lowered_and_the_copy_completes() {
    let source = limited_source("slots_src", 5).await;
    let target = fresh_db(&clusters().staging, "slots_dst").await;
    let (code, stdout, stderr) = sync_cli(&source, &target, &["--jobs", "100000"]);
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    let said = format!("{stdout}{stderr}");
    // Five for the role: the snapshot and the identity session leave three for workers.
    assert!(
        said.contains("--jobs 100000 was lowered to 3"),
        "no warning about the lowered --jobs:\n{said}"
    );
    assert!(
        !said.contains("limited-Secret-91"),
        "a secret leaked:\n{said}"
    );
    assert_eq!(table_digests(&source).await, table_digests(&target).await);
}

#[tokio::test]
async fn a_source_without_a_free_connection_is_reported_as_too_many_clients() {
    let source = limited_source("noslot_src", 1).await;
    let target = fresh_db(&clusters().staging, "noslot_dst").await;
    let before = table_digests(&target).await;
    let (code, stdout, stderr) = sync_cli(&source, &target, &[]);
    assert_eq!(code, 1, "stdout: {stdout}\nstderr: {stderr}");
    assert!(stderr.contains("The source database"), "{stderr}");
    assert!(stderr.contains("too many clients"), "{stderr}");
    assert!(stderr.contains("CONNECTION LIMIT"), "{stderr}");
    assert!(!stderr.contains("could not be reached"), "{stderr}");
    assert_eq!(table_digests(&target).await, before);
}

#[tokio::test]
async fn bytes_a_sql_ascii_source_holds_that_utf8_refuses_are_named() {
    let admin = client(&clusters().prod.url("postgres")).await;
    let name = "ascii_src_enc";
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .unwrap();
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' \
             TEMPLATE template0"
        ))
        .await
        .unwrap();
    let source = clusters().prod.url(name);
    client(&source)
        .await
        .batch_execute(
            "CREATE TABLE wp_posts (\"ID\" bigint PRIMARY KEY, post_title text, post_content text); \
             INSERT INTO wp_posts VALUES (1, 'plain', 'fine'), (42, E'Caf\\351 Noir', 'menu');",
        )
        .await
        .unwrap();
    let target = fresh_db(&clusters().staging, "ascii_dst").await;
    client(&target)
        .await
        .batch_execute("CREATE TABLE kept (id int); INSERT INTO kept VALUES (7);")
        .await
        .unwrap();
    let before = table_digests(&target).await;
    let (code, stdout, stderr) = sync_cli(&source, &target, &[]);
    assert_eq!(code, 1, "stdout: {stdout}\nstderr: {stderr}");
    for expected in [
        "The source database",
        "wp_posts",
        "column post_title",
        "ID=42",
        "0xE9",
        "SQL_ASCII",
        "ENCODING 'UTF8'",
    ] {
        assert!(
            stderr.contains(expected),
            "stderr lacks {expected:?}:\n{stderr}"
        );
    }
    assert_eq!(table_digests(&target).await, before, "the target changed");
}
