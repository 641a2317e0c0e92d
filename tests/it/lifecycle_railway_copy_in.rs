//! `up --copy-in railway`: the copy runs inside the PR environment as a one-off service of
//! wpstage's image, which the simulated Railway runs for real (the wpstage binary under test,
//! with the service's rendered variables as its environment). Production sits behind a relay
//! that tells whether this process (the orchestrating wpstage) or another one connected.

use std::sync::atomic::Ordering;

use wpstage::lifecycle::copy_in::CopyIn;
use wpstage::lifecycle::{self, LifecycleConfig};
use wpstage::platform::copy_job::{REPORT_MARKER, TARGET_URL_VAR};
use wpstage::postgres::DbUrl;

use crate::copy_in_relay::Relay;
use crate::lifecycle_railway::{Rig, assert_fresh_copy, cfg, failure, up_req};
use crate::railway_sim::{Sim, SimOptions};
use crate::support::{client, clusters, fresh_db, strings};

/// The image the simulator runs as wpstage (any `…/wpstage:<tag>`).
const IMAGE: &str = "wpstage:sim";

fn railway_cfg() -> LifecycleConfig {
    LifecycleConfig {
        copy_in: CopyIn::Railway {
            image: IMAGE.to_owned(),
        },
        ..cfg()
    }
}

/// Puts production's public endpoint (its TCP proxy) behind a relay.
async fn relay_production(rig: &Rig) -> Relay {
    let relay = Relay::start(rig.prod.host_port()).await;
    let mut st = rig.sim.state();
    let proxy = st
        .instances
        .iter_mut()
        .find(|i| i.env_id == rig.seed.production_id && i.service_id == rig.seed.db_service_id)
        .and_then(|i| i.tcp_proxy.as_mut())
        .expect("production's database has a TCP proxy");
    proxy.domain = "127.0.0.1".to_owned();
    proxy.port = relay.port;
    relay
}

/// Rows per user table, by name.
async fn row_counts(db: &DbUrl) -> Vec<(String, i64)> {
    let c = client(db).await;
    let tables = strings(
        db,
        "SELECT quote_ident(schemaname) || '.' || quote_ident(relname) FROM pg_stat_user_tables \
         ORDER BY 1",
    )
    .await;
    let mut out = Vec::new();
    for t in tables {
        let n: i64 = c
            .query_one(&format!("SELECT count(*) FROM {t}"), &[])
            .await
            .unwrap()
            .get(0);
        out.push((t, n));
    }
    out
}

#[tokio::test]
async fn up_with_the_copy_inside_fills_the_pr_database_and_removes_the_copy_service() {
    let rig = Rig::start(SimOptions::default()).await;
    let relay = relay_production(&rig).await;
    let platform = rig.platform();
    let outcome = lifecycle::up(&platform, &railway_cfg(), &up_req(31, "c0ffee1"))
        .await
        .unwrap();
    assert_fresh_copy(&rig, &outcome).await;
    let db = rig.sim.database("pr-31").unwrap();
    let staged = row_counts(&db).await;
    let data = outcome.data.as_ref().unwrap();
    let total = |counts: &[(String, i64)]| counts.iter().map(|(_, n)| *n as u64).sum::<u64>();
    assert_eq!(total(&staged), data.rows, "the report's rows: {staged:?}");
    // Production rows arrive as through the runner: all, but for what the transforms drop or
    // exclude (sessions, API keys, spam). Checked against a runner copy below.
    let production = row_counts(&rig.prod).await;
    for ((table, rows), (prod_table, prod)) in staged.iter().zip(&production) {
        assert_eq!(table, prod_table);
        if table.ends_with("_users") || table.ends_with("_posts") || table.ends_with("_orders") {
            assert_eq!(rows, prod, "{table}");
        }
    }

    // One run of wpstage's image, in the PR environment, finished and then removed.
    let runs = rig.sim.copy_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    assert_eq!(run.environment, "pr-31");
    assert_eq!(run.exit_code, Some(0));
    assert_eq!(run.restart_policy.as_deref(), Some("NEVER"));
    assert_eq!(run.variables[TARGET_URL_VAR], "${{Postgres.DATABASE_URL}}");
    let password = rig.prod.password().unwrap();
    assert!(
        !run.start_command.contains(&password),
        "a secret on the command line"
    );
    let log = rig.sim.deployment_log(&run.deployment);
    assert!(log.iter().any(|l| l.starts_with(REPORT_MARKER)), "{log:?}");
    assert!(
        log.iter().all(|l| !l.contains(&password)),
        "the copy printed production's password"
    );
    assert!(
        !rig.sim.service_names("pr-31").contains(&run.service),
        "the copy service is still there"
    );
    assert_eq!(rig.sim.count("ServiceDelete"), 1);
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);

    // Production was read by the copy service only, never by this process.
    assert_eq!(relay.who.this_process.load(Ordering::SeqCst), 0);
    assert_eq!(relay.who.unknown.load(Ordering::SeqCst), 0);
    assert!(relay.who.others.load(Ordering::SeqCst) > 0);

    // The same up with the copy on the runner: the same rows, and the relay sees this process.
    let runner = lifecycle::up(&rig.platform(), &cfg(), &up_req(33, "c0ffee3"))
        .await
        .unwrap();
    assert_eq!(runner.data.as_ref().unwrap().rows, data.rows);
    assert_eq!(
        row_counts(&rig.sim.database("pr-33").unwrap()).await,
        staged
    );
    // (Its pg_dump for the schema is another process too: only this process's count tells.)
    assert!(relay.who.this_process.load(Ordering::SeqCst) > 0);
}

#[tokio::test]
async fn a_failing_copy_inside_fails_up_with_its_message_and_rolls_back() {
    let rig = Rig::start(SimOptions::default()).await;
    let rules = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(rules.path(), "tables: [unclosed\n").unwrap();
    let mut cfg = railway_cfg();
    cfg.transforms.rules_file = Some(rules.path().to_owned());
    let err = lifecycle::up(&rig.platform(), &cfg, &up_req(32, "c0ffee2"))
        .await
        .unwrap_err();
    let f = failure(&err);
    assert_eq!(f.step, "data copy", "{err:#}");
    let message = format!("{err:#}");
    assert!(
        message.contains("the data copy inside the environment failed")
            && message.contains("rules file")
            && message.contains("was removed"),
        "{message}"
    );
    assert!(f.rolled_back, "{message}");
    assert_eq!(rig.envs_named("pr-32"), 0);
    let runs = rig.sim.copy_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].exit_code, Some(1));
    assert_eq!(rig.sim.count("ServiceDelete"), 1);
    assert_eq!(rig.sim.state().deleted_services.len(), 1);
}

/// `wpstage up --copy-in railway` (the real binary) told to stop while the copy runs: it
/// removes the copy service, rolls the new environment back and fails.
#[tokio::test]
async fn a_cancelled_up_removes_the_copy_service_and_the_environment() {
    // A production of its own: the lock below would hold back every other test's copy of a
    // shared one (and, queued behind their snapshots, deadlock with them).
    let sim = Sim::start(SimOptions {
        instant_deploys: true,
        ..SimOptions::default()
    })
    .await;
    let prod = fresh_db(&clusters().prod, "copy_cancel").await;
    client(&prod)
        .await
        .batch_execute(
            "CREATE TABLE wp_options (option_id serial PRIMARY KEY, option_name text, \
               option_value text); \
             INSERT INTO wp_options (option_name, option_value) \
               VALUES ('home', 'https://shop.example'), ('siteurl', 'https://shop.example'); \
             CREATE TABLE wp_posts (id int PRIMARY KEY, guid text); \
             INSERT INTO wp_posts VALUES (1, 'https://shop.example/?p=1')",
        )
        .await
        .unwrap();
    let seed = sim.seed_production(&prod);
    let rig = Rig { sim, seed, prod };
    // Holds the copy back: its schema dump waits for this lock.
    let locker = client(&rig.prod).await;
    locker
        .batch_execute(
            "SET lock_timeout = '10s'; BEGIN; LOCK TABLE wp_posts IN ACCESS EXCLUSIVE MODE",
        )
        .await
        .unwrap();
    let mut up = tokio::process::Command::new(env!("CARGO_BIN_EXE_wpstage"))
        .args([
            "up",
            "--platform",
            "railway",
            "--pr",
            "34",
            "--sha",
            "c0ffee4",
            "--jobs",
            "2",
            "--copy-in",
            "railway",
            "--copy-image",
            IMAGE,
        ])
        .env("RAILWAY_API_TOKEN", crate::railway_sim::ACCOUNT_TOKEN)
        .env("RAILWAY_PROJECT_ID", &rig.seed.project_id)
        .env("WPSTAGE_RAILWAY_ENDPOINT", rig.sim.endpoint.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while rig.sim.copy_runs().is_empty() {
        assert!(started.elapsed().as_secs() < 60, "the copy never started");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Into its wait for the copy's log.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let pid = up.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        let status = up.wait().await.unwrap();
        let mut stderr = String::new();
        if let Some(mut e) = up.stderr.take() {
            tokio::io::AsyncReadExt::read_to_string(&mut e, &mut stderr)
                .await
                .unwrap();
        }
        (status, stderr)
    })
    .await
    .expect("up ends after SIGTERM");
    locker.batch_execute("ROLLBACK").await.unwrap();
    let (status, stderr) = output;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cancelled (SIGTERM)"), "{stderr}");
    assert!(stderr.contains("was removed"), "{stderr}");
    assert_eq!(rig.sim.count("ServiceDelete"), 1);
    assert_eq!(rig.envs_named("pr-34"), 0, "{stderr}");
}

#[tokio::test]
async fn refresh_with_the_copy_inside_replaces_the_pr_data() {
    let rig = Rig::start(SimOptions::default()).await;
    lifecycle::up(&rig.platform(), &cfg(), &up_req(35, "c0ffee5"))
        .await
        .unwrap();
    let db = rig.sim.database("pr-35").unwrap();
    client(&db)
        .await
        .batch_execute("DELETE FROM wp_users")
        .await
        .unwrap();
    let outcome = lifecycle::refresh(&rig.platform(), &railway_cfg(), 35)
        .await
        .unwrap();
    assert_fresh_copy(&rig, &outcome).await;
    let runs = rig.sim.copy_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(
        (runs[0].environment.as_str(), runs[0].exit_code),
        ("pr-35", Some(0))
    );
    assert!(!rig.sim.service_names("pr-35").contains(&runs[0].service));
}
