//! Every failure names the side, the cause and the fix, exits non-zero and leaks no secret.

use crate::support::{client, clusters, fresh_db, run_cli, table_digests};
use crate::sync_fidelity::TRICKY_SCHEMA;

fn assert_fails(
    args: &[&str],
    env: &[(&str, &str)],
    expected: &[&str],
    secrets: &[&str],
) -> String {
    let (code, stdout, stderr) = run_cli(args, env);
    assert_eq!(
        code, 1,
        "expected failure; stdout: {stdout}\nstderr: {stderr}"
    );
    for e in expected {
        assert!(stderr.contains(e), "stderr lacks {e:?}:\n{stderr}");
    }
    for s in secrets {
        assert!(
            !stderr.contains(s) && !stdout.contains(s),
            "a secret leaked:\n{stderr}"
        );
    }
    stderr
}

async fn source_with_data(name: &str) -> wpstage::postgres::DbUrl {
    let source = fresh_db(&clusters().prod, name).await;
    client(&source)
        .await
        .batch_execute(TRICKY_SCHEMA)
        .await
        .unwrap();
    source
}

#[tokio::test]
async fn unreachable_source_host() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let src = format!("postgres://u:hunter2secret@127.0.0.1:{port}/wp");
    let dst = fresh_db(&clusters().staging, "unreach_dst").await;
    assert_fails(
        &["sync", "--source", &src, "--target", dst.expose()],
        &[],
        &[
            "source database (127.0.0.1:",
            "could not be reached",
            "Check the source host and port",
        ],
        &["hunter2secret", &dst.password().unwrap()],
    );
}

#[tokio::test]
async fn bad_credentials_on_the_target() {
    let source = source_with_data("badpw_src").await;
    let dst = fresh_db(&clusters().staging, "badpw_dst").await;
    let wrong = format!(
        "postgres://postgres:wrong-pass-123@127.0.0.1:{}/{}",
        clusters().staging.port(),
        dst.dbname()
    );
    assert_fails(
        &["sync", "--source", source.expose(), "--target", &wrong],
        &[],
        &[
            "The target database",
            "rejected the credentials",
            "user name and password",
        ],
        &["wrong-pass-123", &source.password().unwrap()],
    );
}

#[tokio::test]
async fn missing_source_database() {
    let dst = fresh_db(&clusters().staging, "nodb_dst").await;
    let src = clusters().prod.url("no_such_database");
    assert_fails(
        &["sync", "--source", src.expose(), "--target", dst.expose()],
        &[],
        &["The source database", "does not exist", "Create it first"],
        &[&src.password().unwrap()],
    );
}

#[tokio::test]
async fn missing_or_too_old_pg_dump() {
    let source = source_with_data("pgdump_src").await;
    let dst = fresh_db(&clusters().staging, "pgdump_dst").await;
    let secrets = [source.password().unwrap(), dst.password().unwrap()];
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_fails(
        &[
            "sync",
            "--source",
            source.expose(),
            "--target",
            dst.expose(),
            "--pg-dump",
            "/nonexistent/pg_dump",
        ],
        &[],
        &["pg_dump at /nonexistent/pg_dump could not be run"],
        &secrets,
    );
    let source_major: i32 = client(&source)
        .await
        .query_one(
            "SELECT current_setting('server_version_num')::int / 10000",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    // An old client: a stand-in binary that reports version 9.6.
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("pg_dump");
    std::fs::write(&old, "#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n").unwrap();
    std::fs::set_permissions(&old, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    assert_fails(
        &[
            "sync",
            "--source",
            source.expose(),
            "--target",
            dst.expose(),
            "--pg-dump",
            old.to_str().unwrap(),
        ],
        &[],
        &[
            &format!("is version 9, but the source server is PostgreSQL {source_major}"),
            "cannot read a server newer",
        ],
        &secrets,
    );
    assert!(
        table_digests(&dst).await.is_empty(),
        "nothing may be written before the checks pass"
    );
}

#[tokio::test]
async fn permission_denied_on_the_target() {
    let source = source_with_data("perm_src").await;
    let dst = fresh_db(&clusters().staging, "perm_dst").await;
    let admin = client(&dst).await;
    admin
        .batch_execute(
            "DO $$ BEGIN CREATE ROLE limited LOGIN PASSWORD 'limited-pw-77'; \
             EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
        )
        .await
        .unwrap();
    // The copy is built in a database beside the target: a role without CREATEDB is refused.
    let limited = format!(
        "postgres://limited:limited-pw-77@127.0.0.1:{}/{}",
        clusters().staging.port(),
        dst.dbname()
    );
    assert_fails(
        &["sync", "--source", source.expose(), "--target", &limited],
        &[],
        &[
            "The target database",
            "permission was denied",
            "target was left as it was",
        ],
        &["limited-pw-77", &source.password().unwrap()],
    );
    assert!(table_digests(&dst).await.is_empty());
}

#[test]
fn usage_errors_exit_with_2_and_explain() {
    let (code, _, stderr) = run_cli(&["sync", "--target", "postgres://x@y/z"], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--source"), "{stderr}");
    let (code, _, stderr) = run_cli(
        &[
            "sync",
            "--source",
            "postgres://u:pw123@h:5432",
            "--target",
            "postgres://x@y/z",
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("source database URL names no database"),
        "{stderr}"
    );
    assert!(!stderr.contains("pw123"));
}

#[tokio::test]
async fn a_target_that_is_the_source_is_refused() {
    let source = source_with_data("self_src").await;
    let before = table_digests(&source).await;
    // Another spelling of the same database: `localhost`-style aliases must not fool the check.
    let alias = source.expose().replace("127.0.0.1", "localhost");
    let stderr = assert_fails(
        &["sync", "--source", source.expose(), "--target", &alias],
        &[],
        &["is the source database itself", "nothing was changed"],
        &[&source.password().unwrap()],
    );
    assert!(stderr.contains("target"), "{stderr}");
    assert_eq!(table_digests(&source).await, before, "production changed");
}

#[test]
fn zero_jobs_is_a_usage_error() {
    let (code, _, stderr) = run_cli(
        &[
            "sync",
            "--source",
            "postgres://u@h/a",
            "--target",
            "postgres://u@h/b",
            "--jobs",
            "0",
        ],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("must be at least 1"), "{stderr}");
}
