//! `up --overlap-build` on the simulated Railway with real data: the app's deploy starts before
//! the data copy, builds while the data is copied, and goes live only once its healthcheck
//! answers 200, which the simulator (like WordPress) gives only on an installed site.

use std::time::{Duration, Instant};

use wpstage::lifecycle::{self, LifecycleConfig};
use wpstage::platform::railway::PollPolicy;

use crate::lifecycle_railway::{Rig, assert_fresh_copy, cfg, failure, up_req};
use crate::railway_sim::SimOptions;
use crate::support::{SITE_URL, clusters};

fn overlapped() -> LifecycleConfig {
    LifecycleConfig {
        overlap_build: true,
        ..cfg()
    }
}

/// The operations sent, without the deployment polls.
fn calls(rig: &Rig) -> Vec<String> {
    rig.sim
        .operations()
        .into_iter()
        .filter(|o| o != "Deployment")
        .collect()
}

fn position(ops: &[impl AsRef<str> + std::fmt::Debug], op: &str) -> usize {
    ops.iter()
        .position(|o| o.as_ref() == op)
        .unwrap_or_else(|| panic!("no {op} in {ops:?}"))
}

#[tokio::test]
async fn overlap_build_deploys_before_the_copy_and_goes_live_only_with_the_site() {
    let rig = Rig::start(SimOptions::default()).await;
    rig.sim.set_build_time(Duration::from_millis(20));
    let outcome = lifecycle::up(&rig.platform(), &overlapped(), &up_req(31, "0ver1ap"))
        .await
        .unwrap();
    assert_fresh_copy(&rig, &outcome).await;
    let deployment = outcome.deployment.as_ref().unwrap();
    assert_eq!(deployment.status, "SUCCESS");
    // The PR environment's instance got our healthcheck; production's kept none.
    assert_eq!(
        rig.sim.healthcheck("pr-31", &rig.seed.app_service_id),
        Some(("/wp-login.php".to_owned(), 20))
    );
    assert_eq!(
        rig.sim.healthcheck("production", &rig.seed.app_service_id),
        None
    );
    let ops = calls(&rig);
    assert_eq!(ops, overlapped_up());
    let set = position(&ops, "UpdateServiceInstance");
    let deploy = ops
        .iter()
        .enumerate()
        .filter(|(_, o)| *o == "DeployServiceInstance")
        .map(|(i, _)| i)
        .nth(1)
        .expect("the app's deploy (after the database's)");
    assert!(set < deploy, "{ops:?}");
    let d = rig.sim.deployment(&deployment.id);
    let live = d.live_at.expect("went live");
    let probes: Vec<u16> = d.probes.iter().map(|p| p.1).collect();
    eprintln!("healthcheck answers: {probes:?}");
    // Built and checked while the database was still empty: it overlapped the copy, and it
    // stayed DEPLOYING (302) until the copied site was there.
    assert_eq!(probes.first(), Some(&302), "{probes:?}");
    assert_eq!(probes.last(), Some(&200), "{probes:?}");
    assert!(
        d.probes.iter().all(|(t, code)| *code != 200 || *t >= live),
        "{probes:?}"
    );
    assert!(d.started < live);
}

#[tokio::test]
async fn a_copy_failing_after_the_overlapped_deploy_started_rolls_back() {
    let rig = Rig::start(SimOptions::default()).await;
    rig.sim.set_build_time(Duration::from_millis(20));
    let mut life = overlapped();
    life.site_url = Some(SITE_URL.to_owned());
    let gone = clusters().prod.url("no_such_production_db");
    let platform = rig.platform_with(|c| c.source_database_url = Some(gone));
    let err = lifecycle::up(&platform, &life, &up_req(32, "0ver1ap"))
        .await
        .unwrap_err();
    let f = failure(&err);
    assert_eq!(f.step, "data copy", "{err:#}");
    assert!(f.outcome.created && f.rolled_back, "{err:#}");
    assert_eq!(rig.sim.env_id("pr-32"), None, "environment left behind");
    assert_eq!(rig.sim.count("DeleteEnvironment"), 1);
    // The deploy had started; nothing of it ever went live.
    let ops = calls(&rig);
    assert!(position(&ops, "UpdateServiceInstance") < ops.len());
    let st = rig.sim.state();
    assert!(
        st.deployments.values().all(|d| d.live_at.is_none()),
        "a deployment went live"
    );
}

#[tokio::test]
async fn without_the_flag_up_sends_what_it_always_sent() {
    let plain = Rig::start(SimOptions::default()).await;
    lifecycle::up(&plain.platform(), &cfg(), &up_req(33, "p1a1n"))
        .await
        .unwrap();
    let ops = calls(&plain);
    eprintln!("plain up: {ops:?}");
    assert!(
        !ops.iter()
            .any(|o| o == "UpdateServiceInstance" || o == "ServiceInstanceHealthcheck"),
        "{ops:?}"
    );
    assert_eq!(ops, PLAIN_UP, "the request sequence of a plain up changed");
}

/// A fresh `up` without `--overlap-build` (deployment polls left out), as it was before the
/// flag existed: environment, domain, database (its deploy), the copy's lookups (the base
/// snapshot's environment for `--data-from auto`, then production), app variables, source, the
/// app's deploy, then the fidelity check.
const PLAIN_UP: &[&str] = &[
    "ListEnvironments",
    "CreateEnvironment",
    "UpsertVariables",
    "EnvironmentServices",
    "Variables",
    "ServiceDomains",
    "ServiceDomains",
    "CreateServiceDomain",
    "EnvironmentServices",
    "Variables",
    "Variables",
    "Variables",
    "UpsertVariables",
    "TcpProxies",
    "PatchEnvironment",
    "TcpProxies",
    "EnvironmentServices",
    "DeployServiceInstance",
    "Variables",
    "ListEnvironments",
    "Variables",
    "Variables",
    "UpsertVariables",
    "Project",
    "PatchEnvironment",
    "Variables",
    "DeployServiceInstance",
    "EnvironmentServices",
    "EnvironmentVolumes",
    "Variables",
    "Variables",
    "Variables",
    "EnvironmentServices",
    "EnvironmentVolumes",
    "Variables",
    "Variables",
    "Variables",
];

/// [`PLAIN_UP`] as `--overlap-build` sends it: the app's healthcheck is read and set and its
/// deploy started before the copy's lookups (the base's `ListEnvironments` and production's
/// `Variables` after the database's deploy and its public URL).
fn overlapped_up() -> Vec<&'static str> {
    let mut ops = PLAIN_UP.to_vec();
    let db_deploy = position(&ops, "DeployServiceInstance");
    let lookup: Vec<&str> = ops.drain(db_deploy + 2..db_deploy + 4).collect();
    let app_deploy = ops
        .iter()
        .rposition(|o| *o == "DeployServiceInstance")
        .unwrap();
    ops.splice(
        app_deploy..app_deploy,
        ["ServiceInstanceHealthcheck", "UpdateServiceInstance"],
    );
    ops.splice(app_deploy + 3..app_deploy + 3, lookup);
    ops
}

/// Not a test: prints time to a preview with a simulated 60 s build, with and without
/// `--overlap-build` (see bench/README.md). `cargo test --test it -- --ignored --nocapture
/// time_to_preview`.
#[tokio::test]
#[ignore = "a measurement; takes two simulated builds"]
async fn time_to_preview_with_and_without_overlap() {
    let build = std::env::var("WPSTAGE_BENCH_BUILD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_secs(60), Duration::from_secs);
    let mut times = Vec::new();
    for (pr, overlap) in [(41, false), (42, true)] {
        let rig = Rig::start(SimOptions::default()).await;
        rig.sim.set_build_time(build);
        let life = LifecycleConfig {
            overlap_build: overlap,
            deploy_timeout: build * 3,
            ..cfg()
        };
        let began = Instant::now();
        // Polls as a real run would space them (not the tests' 2-10 ms, whose CPU load on a
        // 60 s wait would be what is measured).
        let platform = rig.platform_with(|c| {
            c.poll = PollPolicy {
                initial: Duration::from_millis(250),
                max: Duration::from_millis(500),
            }
        });
        let outcome = lifecycle::up(&platform, &life, &up_req(pr, "be4c4"))
            .await
            .unwrap();
        times.push(began.elapsed());
        let copy = outcome
            .phases
            .iter()
            .find(|p| p.phase == "data copy")
            .map(|p| p.seconds);
        eprintln!(
            "overlap_build={overlap}: copy {copy:?} s, phases {:?}",
            outcome.phases
        );
    }
    println!(
        "build {:.0} s: time to preview {:.1} s sequential, {:.1} s overlapped, ratio {:.2}",
        build.as_secs_f64(),
        times[0].as_secs_f64(),
        times[1].as_secs_f64(),
        times[1].as_secs_f64() / times[0].as_secs_f64()
    );
}

#[tokio::test]
async fn the_simulated_healthcheck_fails_a_deploy_whose_database_stays_empty() {
    let rig = Rig::start(SimOptions::default()).await;
    let client = rig.sim.client();
    let env = client
        .create_environment(&rig.seed.project_id, "pr-34", &rig.seed.production_id)
        .await
        .unwrap();
    let app = &rig.seed.app_service_id;
    client
        .set_healthcheck(&env.id, app, "/wp-login.php", 1)
        .await
        .unwrap();
    assert_eq!(
        rig.sim.healthcheck("production", app),
        None,
        "a fork's update reached production"
    );
    let id = client
        .deploy_service(&env.id, app, Some("3mpty"))
        .await
        .unwrap();
    let began = Instant::now();
    let status = loop {
        let d = client.deployment(&id).await.unwrap();
        if d.status.is_ok() || d.status.is_failed() {
            break d.status;
        }
        assert!(
            began.elapsed() < Duration::from_secs(20),
            "still {:?}",
            d.status
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.is_failed(), "{status:?}");
    let d = rig.sim.deployment(&id);
    assert!(d.live_at.is_none());
    assert!(
        !d.probes.is_empty() && d.probes.iter().all(|p| p.1 == 302),
        "{:?}",
        d.probes
    );
}
