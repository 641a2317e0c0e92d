//! Runs that meet on the local platform: two `up` for the same PR at once, and `reap` finding
//! the helper databases interrupted runs left beside their targets.

use std::time::Duration;

use wpstage::lifecycle::{self, ReapRequest};
use wpstage::platform::Platform;
use wpstage::sync::fault_hook::Phase;
use wpstage::sync::helpers::{HELPER_LOCK_KEY, TARGET_LOCK_KEY, side_name};

use crate::faults::harness::{Running, small_source};
use crate::lifecycle_local::{database_exists, platform, up_req};
use crate::support::{client, clusters, table_digests, wordpress_source};

/// Rows per table of `url`, for the tables every copy carries whole.
async fn core_counts(url: &wpstage::postgres::DbUrl) -> Vec<(String, i64)> {
    table_digests(url)
        .await
        .into_iter()
        .filter(|(t, _, _)| {
            // (Anonymization drops users' session tokens from usermeta.)
            ["posts", "postmeta", "users", "terms"]
                .iter()
                .any(|core| *t == format!("public.wp_{core}"))
        })
        .map(|(t, n, _)| (t, n))
        .collect()
}

#[tokio::test]
async fn two_ups_for_one_pr_at_once_leave_one_complete_copy() {
    let source = wordpress_source().await;
    let (p, cfg) = platform(source.clone(), "twin");
    let req = up_req(4);
    let (a, b) = tokio::join!(lifecycle::up(&p, &cfg, &req), lifecycle::up(&p, &cfg, &req));
    let winner = match (a, b) {
        // One after the other: the second reused the first one's environment.
        (Ok(first), Ok(second)) => {
            assert!(first.created != second.created, "{first:?} {second:?}");
            if first.created { first } else { second }
        }
        (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => {
            let said = format!("{lost:#}");
            assert!(
                said.contains("another")
                    && said.contains("in progress")
                    && said.contains("nothing was changed"),
                "the loser must say another run is in progress: {said}"
            );
            assert!(
                !said.contains("pg_database") && !said.contains("previous state"),
                "{said}"
            );
            won
        }
        (Err(a), Err(b)) => panic!("both runs failed:\n{a:#}\n{b:#}"),
    };
    assert!(winner.created, "{winner:?}");
    let data = winner.data.as_ref().expect("the winner copied data");
    let staging = clusters().staging.url("twin-pr-4");
    assert!(lifecycle::data::is_synced(&staging).await.unwrap());
    let rows: i64 = table_digests(&staging).await.iter().map(|t| t.1).sum();
    assert_eq!(
        u64::try_from(rows).unwrap(),
        data.rows,
        "not the winner's copy"
    );
    let copied = core_counts(&staging).await;
    assert_eq!(copied.len(), 4, "{copied:?}");
    assert_eq!(copied, core_counts(&source).await, "an incomplete copy");
    // A later run for the PR works normally.
    let again = lifecycle::up(&p, &cfg, &up_req(4)).await.unwrap();
    assert!(!again.created && again.data.is_none(), "{again:?}");
    lifecycle::down(&p, &cfg, 4).await.unwrap();
}

/// Creates database `name` on the staging cluster holding one table, as a copy left half-way.
async fn leftover(name: &str) {
    let admin = client(&clusters().staging.url("postgres")).await;
    for sql in ["DROP DATABASE IF EXISTS", "CREATE DATABASE"] {
        admin
            .batch_execute(&format!("{sql} \"{name}\""))
            .await
            .unwrap();
    }
    client(&clusters().staging.url(name))
        .await
        .batch_execute("CREATE TABLE wp_posts (id int); INSERT INTO wp_posts VALUES (1)")
        .await
        .unwrap();
}

/// A session on the staging cluster holding the advisory lock `key` (SQL, `$1`: `name`).
async fn hold_lock(key: &str, name: &str) -> tokio_postgres::Client {
    let session = client(&clusters().staging.url("postgres")).await;
    session
        .query_one(&format!("SELECT pg_advisory_lock({key})"), &[&name])
        .await
        .unwrap();
    session
}

fn reap_req(dry_run: bool) -> ReapRequest {
    ReapRequest {
        max_age: Duration::from_secs(3600),
        open_prs: None,
        dry_run,
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn reap_removes_leftover_helpers_but_never_one_in_use() {
    let (p, cfg) = platform(wordpress_source().await, "stale");
    p.create_environment(&cfg.environment_name(1), 1)
        .await
        .unwrap();
    // Left by interrupted runs: beside a live environment, and beside a long-named target that
    // is gone (its helper's name was cut and hashed).
    let short = "stale-pr-1__wpstage_next".to_owned();
    let long = side_name(&format!("stale-pr-{}", "x".repeat(60)), "old");
    assert!(long.len() <= 63 && long.starts_with("stale-pr-"), "{long}");
    // In use: a sync holds the lock of the target, or of the helper itself.
    let by_target = "stale-pr-2__wpstage_next".to_owned();
    let by_helper = "stale-pr-3__wpstage_old".to_owned();
    // Another prefix's: not this reaper's business.
    let foreign = "stranger-pr-1__wpstage_next".to_owned();
    for db in [&short, &long, &by_target, &by_helper, &foreign] {
        leftover(db).await;
    }
    let target_lock = hold_lock(TARGET_LOCK_KEY, "stale-pr-2").await;
    let helper_lock = hold_lock(HELPER_LOCK_KEY, &by_helper).await;
    let stale = sorted(vec![short.clone(), long.clone()]);

    let dry = lifecycle::reap(&p, &cfg, &reap_req(true)).await.unwrap();
    assert_eq!(sorted(dry.reaped_helpers.clone()), stale, "{dry:?}");
    let json = serde_json::to_value(&dry).unwrap();
    assert_eq!(
        json["reaped_helpers"].as_array().unwrap().len(),
        2,
        "{json}"
    );
    assert!(
        wpstage::report::outcome_text(&dry).contains(&format!("would remove {short}")),
        "{}",
        wpstage::report::outcome_text(&dry)
    );
    for db in [&short, &long, &by_target, &by_helper, &foreign] {
        assert!(database_exists(db).await, "the dry run dropped {db}");
    }

    let real = lifecycle::reap(&p, &cfg, &reap_req(false)).await.unwrap();
    assert_eq!(sorted(real.reaped_helpers.clone()), stale, "{real:?}");
    assert!(real.reaped.is_empty(), "{real:?}");
    for db in [&by_target, &by_helper] {
        assert!(database_exists(db).await, "{db} was dropped while in use");
        assert!(
            real.warnings
                .iter()
                .any(|w| w.contains(db.as_str()) && w.contains("in use")),
            "{real:?}"
        );
    }
    assert!(!database_exists(&short).await && !database_exists(&long).await);
    assert!(database_exists(&foreign).await && database_exists("stale-pr-1").await);
    let json = serde_json::to_value(&real).unwrap();
    assert!(json["reaped_helpers"].to_string().contains(&long), "{json}");

    // Once their runs are gone, they are leftovers too.
    drop((target_lock, helper_lock));
    let mut later = Vec::new();
    for _ in 0..50 {
        let o = lifecycle::reap(&p, &cfg, &reap_req(false)).await.unwrap();
        later.extend(o.reaped_helpers);
        if later.len() >= 2 {
            break;
        }
        // The sessions holding the locks end a moment after they were dropped.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sorted(later), sorted(vec![by_target, by_helper]));
    let admin = client(&clusters().staging.url("postgres")).await;
    admin
        .batch_execute(&format!("DROP DATABASE \"{foreign}\""))
        .await
        .unwrap();
    lifecycle::down(&p, &cfg, 1).await.unwrap();
}

#[tokio::test]
async fn reap_leaves_the_helper_of_a_paused_sync_alone() {
    let (p, cfg) = platform(wordpress_source().await, "busy");
    let env = p
        .create_environment(&cfg.environment_name(5), 5)
        .await
        .unwrap();
    let source = small_source().await;
    let target = clusters().staging.url(&env.name);
    let args: Vec<String> = [
        "sync",
        "--source",
        source.expose(),
        "--target",
        target.expose(),
        "--anonymize-key",
        "reap-test-key",
        "--jobs",
        "2",
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .collect();
    let mut run = Running::start(&args, Some(Phase::Copy));
    run.wait_paused(Phase::Copy);
    let helper = side_name(&env.name, "next");
    assert!(
        database_exists(&helper).await,
        "the paused run builds in {helper}"
    );
    let reaped = lifecycle::reap(&p, &cfg, &reap_req(false)).await.unwrap();
    assert!(reaped.reaped_helpers.is_empty(), "{reaped:?}");
    assert!(
        database_exists(&helper).await,
        "reap dropped the build of a running sync"
    );
    run.resume();
    let done = run.finish();
    assert_eq!(done.code, Some(0), "the sync failed: {}", done.stderr);
    assert!(!database_exists(&helper).await);
    assert!(
        !table_digests(&target).await.is_empty(),
        "the copy is missing"
    );
    lifecycle::down(&p, &cfg, 5).await.unwrap();
}

#[tokio::test]
async fn down_waits_for_a_run_on_the_environment_then_deletes_it() {
    let (p, cfg) = platform(wordpress_source().await, "waitdown");
    let name = cfg.environment_name(6);
    p.create_environment(&name, 6).await.unwrap();
    // What a running `up` or `refresh` holds.
    let held = p.lock_environment(&name).await.unwrap();
    let the_run = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(
            database_exists(&name).await,
            "down deleted the environment while a run was on it"
        );
        held.release().await;
    };
    let (outcome, ()) = tokio::join!(lifecycle::down(&p, &cfg, 6), the_run);
    let outcome = outcome.unwrap();
    assert!(outcome.deleted, "{outcome:?}");
    assert!(!database_exists(&name).await);
}

#[tokio::test]
async fn down_gives_up_after_its_wait_and_deletes_nothing() {
    let (p, cfg) = platform(wordpress_source().await, "busydown");
    let name = cfg.environment_name(7);
    p.create_environment(&name, 7).await.unwrap();
    let held = p.lock_environment(&name).await.unwrap();
    let err = lifecycle::down_waiting(&p, &cfg, 7, Duration::from_secs(1))
        .await
        .unwrap_err();
    let said = format!("{err:#}");
    assert!(
        said.contains("in progress") && said.contains("nothing was deleted"),
        "{said}"
    );
    assert!(database_exists(&name).await, "the environment is gone");
    held.release().await;
    assert!(lifecycle::down(&p, &cfg, 7).await.unwrap().deleted);
}
