//! Consistency and atomicity: concurrent writes never show up half-way, and an interrupted copy
//! leaves the target exactly as it was.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wpstage::postgres::{PgError, PgErrorKind, Side};
use wpstage::sync::helpers::helper_names;
use wpstage::sync::sync;

use crate::support::{client, clusters, fresh_db, table_digests};
use crate::support_s1::strict_cluster;
use crate::sync_fidelity::options;

#[tokio::test]
async fn writes_during_the_copy_never_show_up_half_way() {
    let c = clusters();
    let source = fresh_db(&c.prod, "writer_src").await;
    client(&source)
        .await
        .batch_execute(
            "CREATE TABLE pay (id bigint PRIMARY KEY, filler text);
             CREATE TABLE ledger (id bigint PRIMARY KEY, filler text);
             CREATE TABLE bulk (id bigserial PRIMARY KEY, filler text);
             INSERT INTO bulk (filler) SELECT repeat(md5(g::text), 20) FROM generate_series(1, 60000) g;
             INSERT INTO pay SELECT g, 'x' FROM generate_series(1, 100) g;
             INSERT INTO ledger SELECT g, 'x' FROM generate_series(1, 100) g;",
        )
        .await
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = Arc::clone(&stop);
        let source = source.clone();
        tokio::spawn(async move {
            let w = client(&source).await;
            let mut id = 1000i64;
            while !stop.load(Ordering::Relaxed) {
                id += 1;
                // One transaction, two tables: a consistent copy has both rows or neither.
                w.batch_execute(&format!(
                    "BEGIN; INSERT INTO pay VALUES ({id}, 'p'); SELECT pg_sleep(0.002); \
                     INSERT INTO ledger VALUES ({id}, 'l'); COMMIT;"
                ))
                .await
                .unwrap();
            }
            id
        })
    };
    // The copy starts once the writer has committed (it keeps writing during the copy).
    let watch = client(&source).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while watch
        .query_one("SELECT count(*) FROM pay WHERE id > 1000", &[])
        .await
        .unwrap()
        .get::<_, i64>(0)
        == 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the writer never wrote"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let target = fresh_db(&c.staging, "writer_dst").await;
    let mut opts = options(&source, &target);
    opts.jobs = 3;
    sync(&opts, None).await.unwrap();
    stop.store(true, Ordering::Relaxed);
    let last_id = writer.await.unwrap();
    let t = client(&target).await;
    let pay: Vec<i64> = t
        .query("SELECT id FROM pay ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let ledger: Vec<i64> = t
        .query("SELECT id FROM ledger ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(pay, ledger, "the copy mixes two points in time");
    assert!(
        *pay.last().unwrap() < last_id,
        "writes after the snapshot leaked into the copy"
    );
}

/// Ends every target session that is running a COPY into `db`, as soon as one shows up.
async fn cut_target_copy(admin_url: wpstage::postgres::DbUrl, db_like: String) -> bool {
    let admin = client(&admin_url).await;
    for _ in 0..2000 {
        let rows = admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname LIKE $1 AND query LIKE 'COPY % FROM STDIN%' AND state = 'active'",
                &[&db_like],
            )
            .await
            .unwrap();
        if !rows.is_empty() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

async fn big_source(name: &str) -> wpstage::postgres::DbUrl {
    let source = fresh_db(&clusters().prod, name).await;
    client(&source)
        .await
        .batch_execute(
            "CREATE TABLE big (id bigserial PRIMARY KEY, filler text);
             INSERT INTO big (filler) SELECT repeat(md5(g::text), 30) FROM generate_series(1, 150000) g;
             CREATE INDEX big_filler ON big (filler);",
        )
        .await
        .unwrap();
    source
}

fn cause(err: &anyhow::Error) -> &PgError {
    err.chain()
        .find_map(|e| e.downcast_ref::<PgError>())
        .expect("a PgError cause")
}

#[tokio::test]
async fn a_cut_connection_mid_copy_keeps_the_old_target() {
    let c = clusters();
    let source = big_source("cut_src").await;
    let target = fresh_db(&c.staging, "cut_dst").await;
    client(&target)
        .await
        .batch_execute(
            "CREATE TABLE keep_me (id int); INSERT INTO keep_me SELECT generate_series(1, 42)",
        )
        .await
        .unwrap();
    let before = table_digests(&target).await;
    let cutter = tokio::spawn(cut_target_copy(
        c.staging.url("postgres"),
        format!("{}%", target.dbname()),
    ));
    let err = sync(&options(&source, &target), None).await.unwrap_err();
    assert!(cutter.await.unwrap(), "the COPY was never seen");
    let pg = cause(&err);
    assert_eq!(pg.side, Side::Target);
    assert_eq!(pg.kind, PgErrorKind::ConnectionLost, "{err:#}");
    assert!(
        format!("{err:#}").contains("target was left as it was"),
        "{err:#}"
    );
    assert_eq!(
        table_digests(&target).await,
        before,
        "the old target changed"
    );
    assert_no_helpers(&target).await;
}

/// No helper database of `target` is left on its server.
async fn assert_no_helpers(target: &wpstage::postgres::DbUrl) {
    let admin = client(&target.with_dbname("postgres")).await;
    for name in helper_names(target.dbname()) {
        let left = admin
            .query("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .await
            .unwrap();
        assert!(
            left.is_empty(),
            "the unfinished copy {name} was left behind"
        );
    }
}

#[tokio::test]
async fn a_cut_connection_into_an_empty_target_leaves_it_empty() {
    let c = clusters();
    let source = big_source("cutempty_src").await;
    let target = fresh_db(&c.staging, "cutempty_dst").await;
    let cutter = tokio::spawn(cut_target_copy(
        c.staging.url("postgres"),
        format!("{}%", target.dbname()),
    ));
    let err = sync(&options(&source, &target), None).await.unwrap_err();
    assert!(cutter.await.unwrap(), "the COPY was never seen");
    assert_eq!(cause(&err).side, Side::Target, "{err:#}");
    assert_no_helpers(&target).await;
    assert!(
        table_digests(&target).await.is_empty(),
        "partial tables were left in the target"
    );
    let t = client(&target).await;
    let seqs: i64 = t
        .query_one("SELECT count(*) FROM pg_sequences", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(seqs, 0);
}

#[tokio::test]
async fn a_full_disk_on_the_target_is_reported_and_nothing_is_kept() {
    // A 40 MB tmpfs tablespace stands for a full staging volume: room for the target and the
    // catalog of the copy built beside it, not for its rows (needs root, as CI runs).
    assert!(
        nix::unistd::geteuid().is_root(),
        "this test mounts a tmpfs and must run as root (as CI does)"
    );
    let c = clusters();
    let source = big_source("full_src").await;
    let mount = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=40M"])
        .arg("tmpfs")
        .arg(mount.path())
        .status()
        .unwrap();
    assert!(status.success(), "mount tmpfs failed");
    let unmount = scopeguard(mount.path().to_path_buf());
    let space = mount.path().join("ts");
    std::fs::create_dir(&space).unwrap();
    let owner = nix::unistd::User::from_name("postgres")
        .unwrap()
        .expect("postgres OS user");
    nix::unistd::chown(&space, Some(owner.uid), Some(owner.gid)).unwrap();
    let admin = client(&c.staging.url("postgres")).await;
    admin
        .batch_execute(&format!(
            "CREATE TABLESPACE small LOCATION '{}'",
            space.display()
        ))
        .await
        .unwrap();
    admin
        .batch_execute("CREATE DATABASE full_dst TABLESPACE small")
        .await
        .unwrap();
    let target = c.staging.url("full_dst");
    let err = sync(&options(&source, &target), None).await.unwrap_err();
    let pg = cause(&err);
    assert_eq!(
        (pg.side, pg.kind.clone()),
        (Side::Target, PgErrorKind::DiskFull),
        "{err:#}"
    );
    assert!(
        format!("{err:#}").contains("Free space or enlarge the target volume"),
        "{err:#}"
    );
    assert!(
        table_digests(&target).await.is_empty(),
        "partial tables were left in the target"
    );
    assert_no_helpers(&target).await;
    admin
        .batch_execute("DROP DATABASE full_dst WITH (FORCE)")
        .await
        .unwrap();
    admin.batch_execute("DROP TABLESPACE small").await.unwrap();
    drop(unmount);
}

struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let status = std::process::Command::new("umount").arg(&self.0).status();
        assert!(matches!(status, Ok(s) if s.success()), "umount failed");
    }
}

fn scopeguard(path: std::path::PathBuf) -> Unmount {
    Unmount(path)
}

/// Ends the session holding the sync lock of target database `db` as soon as a COPY into the
/// copy built beside it runs.
async fn cut_lock_session(admin_url: wpstage::postgres::DbUrl, db: String) -> bool {
    let admin = client(&admin_url).await;
    let next = helper_names(&db)[0].clone();
    for _ in 0..2000 {
        let copying: bool = admin
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = $1 \
                 AND query LIKE 'COPY % FROM STDIN%' AND state = 'active')",
                &[&next],
            )
            .await
            .unwrap()
            .get(0);
        if copying {
            let ended = admin
                .query(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' \
                     AND objsubid = 1 \
                     AND objid::int8 = (hashtext('wpstage-sync:' || $1)::int8 & 4294967295)",
                    &[&db],
                )
                .await
                .unwrap();
            return !ended.is_empty();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

#[tokio::test]
async fn a_run_that_loses_its_lock_stops_before_the_swap() {
    let c = clusters();
    let source = big_source("lostlock_src").await;
    let target = fresh_db(&c.staging, "lostlock_dst").await;
    client(&target)
        .await
        .batch_execute("CREATE TABLE keep_me (id int); INSERT INTO keep_me VALUES (7)")
        .await
        .unwrap();
    let before = table_digests(&target).await;
    let cutter = tokio::spawn(cut_lock_session(
        c.staging.url("postgres"),
        target.dbname().to_owned(),
    ));
    let err = sync(&options(&source, &target), None).await.unwrap_err();
    assert!(cutter.await.unwrap(), "the lock session was never ended");
    let text = format!("{err:#}");
    assert!(text.contains("lost the session holding its lock"), "{text}");
    assert!(text.contains("not swapped in"), "{text}");
    assert_eq!(
        table_digests(&target).await,
        before,
        "the old target changed"
    );
    assert_no_helpers(&target).await;
}

#[tokio::test]
async fn server_side_timeouts_do_not_end_a_run() {
    // Every session of this cluster ends after 300 ms idle, idle in a transaction, running one
    // statement or waiting for a lock — unless it switches these off, as wpstage's do.
    let strict = strict_cluster();
    let source = fresh_db(strict, "strict_src").await;
    client(&source)
        .await
        .batch_execute(
            "CREATE TABLE wp_options (id bigserial PRIMARY KEY, v text);
             CREATE TABLE wp_posts (id bigserial PRIMARY KEY, filler text);
             INSERT INTO wp_options (v) VALUES ('siteurl');
             INSERT INTO wp_posts (filler) SELECT repeat(md5(g::text), 20) FROM generate_series(1, 60000) g;",
        )
        .await
        .unwrap();
    for name in ["strict_empty_dst", "strict_full_dst"] {
        let target = fresh_db(strict, name).await;
        if name == "strict_full_dst" {
            client(&target)
                .await
                .batch_execute("CREATE TABLE old (id int)")
                .await
                .unwrap();
        }
        let report = sync(&options(&source, &target), None)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert_eq!(report.rows, 60001, "{name}");
        assert_eq!(table_digests(&target).await, table_digests(&source).await);
    }
}
