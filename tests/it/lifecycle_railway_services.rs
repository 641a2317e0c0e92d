//! Services beside the app and its database (issue 10, item 8): `skipInitialDeploys` leaves
//! every copied service undeployed, so `up` deploys those production runs, after the data copy,
//! and says which run.

use wpstage::lifecycle;

use crate::lifecycle_railway::{Rig, cfg, failure, up_req};
use crate::railway_sim::{APP_REPO, SimOptions};

struct Extra {
    redis: String,
    worker: String,
    crashed: String,
    never: String,
}

fn add_services(rig: &Rig) -> Extra {
    let sim = &rig.sim;
    let seed = &rig.seed;
    Extra {
        redis: sim.add_production_service(seed, "Redis", Some("redis:7"), None, Some("SUCCESS")),
        worker: sim.add_production_service(seed, "worker", None, Some(APP_REPO), Some("SUCCESS")),
        crashed: sim.add_production_service(
            seed,
            "cron",
            Some("acme/cron:1"),
            None,
            Some("CRASHED"),
        ),
        never: sim.add_production_service(seed, "spare", Some("busybox"), None, None),
    }
}

#[tokio::test]
async fn up_deploys_every_service_production_runs_and_says_which_run() {
    let rig = Rig::start(SimOptions::default()).await;
    let extra = add_services(&rig);
    let outcome = lifecycle::up(&rig.platform(), &cfg(), &up_req(21, "sha21"))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));

    let redis = rig
        .sim
        .latest_deployment("pr-21", &extra.redis)
        .expect("Redis was deployed");
    assert_eq!(redis.status(), "SUCCESS");
    assert_eq!(
        redis.commit_sha, None,
        "an image service has no commit to build"
    );
    let worker = rig
        .sim
        .latest_deployment("pr-21", &extra.worker)
        .expect("the worker was deployed");
    assert_eq!(worker.status(), "SUCCESS");
    assert_eq!(
        worker.commit_sha.as_deref(),
        Some("sha21"),
        "a service built from the app's repository runs the PR's code"
    );
    assert!(
        rig.sim.latest_deployment("pr-21", &extra.crashed).is_none(),
        "a service crashed in production stays as production has it"
    );
    assert!(rig.sim.latest_deployment("pr-21", &extra.never).is_none());

    let deployment = outcome.deployment.clone().unwrap();
    let running: Vec<(&str, &str)> = deployment
        .services
        .iter()
        .map(|s| (s.name.as_str(), s.status.as_str()))
        .collect();
    assert_eq!(running, [("Redis", "SUCCESS"), ("worker", "SUCCESS")]);
    assert!(
        outcome.fidelity.iter().all(|i| i.kind != "deployment"),
        "{:?}",
        outcome.fidelity
    );
    // The 40-call budget of a fresh up (lifecycle_railway) covers the app and its database;
    // each further service costs fidelity two variable reads (production, PR), and the
    // companions one listing of the PR environment plus a deploy each that production runs.
    let budget = 40 + 2 * 4 + 1 + 2;
    assert!(outcome.api_calls <= budget, "{} calls", outcome.api_calls);

    // The deploys came after the data copy: the worker never ran against an empty database.
    let ops = rig.sim.operations();
    let deploys: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, o)| o.as_str() == "DeployServiceInstance")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        deploys.len(),
        4,
        "Postgres, the app, Redis, the worker: {ops:?}"
    );
    let app_vars = ops.iter().rposition(|o| o == "UpsertVariables").unwrap();
    assert!(deploys[1..].iter().all(|d| *d > app_vars), "{ops:?}");
}

#[tokio::test]
async fn a_service_that_does_not_come_up_fails_up_and_rolls_back() {
    let rig = Rig::start(SimOptions::default()).await;
    add_services(&rig);
    rig.sim.set_deploy_outcome("Redis", "CRASHED");
    let err = lifecycle::up(&rig.platform(), &cfg(), &up_req(22, "sha22"))
        .await
        .expect_err("Redis crashed");
    let f = failure(&err);
    assert_eq!(f.step, "deploy", "{err:#}");
    assert!(f.rolled_back);
    assert!(format!("{err:#}").contains("Redis"), "{err:#}");
    assert!(rig.sim.env_id("pr-22").is_none());
}

#[tokio::test]
async fn no_wait_triggers_the_services_too() {
    let rig = Rig::start(SimOptions::default()).await;
    let extra = add_services(&rig);
    let no_wait = wpstage::lifecycle::LifecycleConfig {
        wait_for_deploy: false,
        ..cfg()
    };
    let outcome = lifecycle::up(&rig.platform(), &no_wait, &up_req(23, "sha23"))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let services = outcome.deployment.unwrap().services;
    let names: Vec<(&str, &str)> = services
        .iter()
        .map(|s| (s.name.as_str(), s.status.as_str()))
        .collect();
    assert_eq!(names, [("Redis", "TRIGGERED"), ("worker", "TRIGGERED")]);
    assert!(rig.sim.latest_deployment("pr-23", &extra.redis).is_some());
    assert!(
        outcome.fidelity.iter().all(|i| i.kind != "deployment"),
        "a service on its way counts as running: {:?}",
        outcome.fidelity
    );
}
