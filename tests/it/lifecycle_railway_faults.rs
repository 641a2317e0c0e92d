//! The Railway lifecycle when things go wrong, against the simulated Railway and real
//! PostgreSQL: a failure at each step of a fresh `up` (rolled back, step named, rerun works),
//! transient API faults, a project token, unknown service names, and ten concurrent `up`s.

use std::collections::BTreeSet;

use wpstage::lifecycle::{self, LifecycleConfig};

use crate::lifecycle_railway::{Rig, assert_fresh_copy, calls_in, cfg, failure, up_req};
use crate::railway_sim::{Fault, SimOptions};
use crate::support::{SITE_URL, clusters};

/// Breaks one step of a fresh `up` of PR `pr`, checks the failure names `step` and leaves no
/// environment behind, then repairs the cause and checks that a rerun succeeds.
async fn fails_at(step: &str, pr: u64) {
    let rig = Rig::start(SimOptions::default()).await;
    let name = format!("pr-{pr}");
    let mut life = cfg();
    let platform = match step {
        "create environment" => {
            rig.sim.fail(
                Some("CreateEnvironment"),
                Fault::GraphqlError("Environment limit reached for this plan".into()),
            );
            rig.platform()
        }
        "staging database" => {
            rig.sim.set_deploy_outcome("Postgres", "FAILED");
            rig.platform()
        }
        "data copy" => {
            life.site_url = Some(SITE_URL.to_owned());
            let gone = clusters().prod.url("no_such_production_db");
            rig.platform_with(|c| c.source_database_url = Some(gone))
        }
        "app variables" => {
            // The first upsert marks the new environment as wpstage's, the second gives its
            // database its own password, the third sets WP_HOME.
            rig.sim.fail_after(
                Some("UpsertVariables"),
                2,
                Fault::GraphqlError("Invalid variable name".into()),
            );
            rig.platform()
        }
        "deploy" => {
            rig.sim.set_deploy_outcome("wordpress", "CRASHED");
            rig.platform()
        }
        other => panic!("no way to break {other}"),
    };
    let err = lifecycle::up(&platform, &life, &up_req(pr, "5eed"))
        .await
        .unwrap_err();
    let f = failure(&err);
    assert_eq!(f.step, step, "{err:#}");
    let created = step != "create environment";
    assert_eq!(f.outcome.created, created, "{err:#}");
    assert_eq!(f.rolled_back, created, "{err:#}");
    assert!(
        err.to_string()
            .contains(&format!("failed at step `{step}`")),
        "{err}"
    );
    assert_eq!(
        rig.sim.env_id(&name),
        None,
        "{step}: environment left behind"
    );
    assert!(f.outcome.warnings.is_empty(), "{:?}", f.outcome.warnings);
    assert_eq!(rig.sim.count("DeleteEnvironment"), usize::from(created));

    // Repaired, a rerun brings the environment up from scratch.
    rig.sim.clear_faults();
    rig.sim.state().deploy_outcomes.clear();
    let outcome = lifecycle::up(&rig.platform(), &cfg(), &up_req(pr, "5eed"))
        .await
        .unwrap_or_else(|e| panic!("rerun after a failed {step}: {e:#}"));
    assert!(outcome.created);
    assert_fresh_copy(&rig, &outcome).await;
}

#[tokio::test]
async fn up_failing_to_create_the_environment_leaves_nothing() {
    fails_at("create environment", 21).await;
}

#[tokio::test]
async fn up_failing_to_deploy_the_database_rolls_back() {
    fails_at("staging database", 22).await;
}

#[tokio::test]
async fn up_failing_to_copy_data_rolls_back() {
    fails_at("data copy", 23).await;
}

#[tokio::test]
async fn up_failing_to_configure_the_app_rolls_back() {
    fails_at("app variables", 24).await;
}

#[tokio::test]
async fn up_failing_to_deploy_the_app_rolls_back() {
    fails_at("deploy", 25).await;
}

#[tokio::test]
async fn keep_on_failure_keeps_the_environment() {
    let rig = Rig::start(SimOptions::default()).await;
    rig.sim.set_deploy_outcome("wordpress", "FAILED");
    let req = wpstage::lifecycle::UpRequest {
        keep_on_failure: true,
        ..up_req(26, "5eed")
    };
    let err = lifecycle::up(&rig.platform(), &cfg(), &req)
        .await
        .unwrap_err();
    let f = failure(&err);
    assert!(f.outcome.created && !f.rolled_back, "{err:#}");
    assert!(rig.sim.env_id("pr-26").is_some());
}

#[tokio::test]
async fn up_recovers_from_rate_limits_server_errors_and_html_pages() {
    let rig = Rig::start(SimOptions::default()).await;
    let s = &rig.sim;
    s.fail(
        Some("ListEnvironments"),
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    s.fail(
        Some("CreateEnvironment"),
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    s.fail(Some("Variables"), Fault::ServerError);
    s.fail(Some("EnvironmentServices"), Fault::Html);
    s.fail(Some("TcpProxies"), Fault::ServerError);
    s.fail(Some("Deployment"), Fault::Html);
    s.fail(Some("UpsertVariables"), Fault::ServerError);
    s.fail(
        Some("ServiceDomains"),
        Fault::GraphqlError("Internal Server Error".into()),
    );
    let outcome = lifecycle::up(&rig.platform(), &cfg(), &up_req(31, "fa11"))
        .await
        .unwrap();
    assert!(outcome.created);
    assert_fresh_copy(&rig, &outcome).await;
    assert_eq!(s.pending_faults(), 0, "every fault was delivered");
    assert_eq!(rig.envs_named("pr-31"), 1);
    assert_eq!(s.count("CreateEnvironment"), 2, "the 429 was retried once");
    let recorded = s.requests();
    assert_eq!(outcome.api_calls + outcome.api_polls, recorded.len() as u64);
    assert_eq!(calls_in(&recorded), outcome.api_calls);
}

#[tokio::test]
async fn a_project_token_is_refused_with_an_explanation() {
    let rig = Rig::start(SimOptions::default()).await;
    let production = rig.sim.env_id("production").unwrap();
    rig.sim
        .add_project_token("sim-project-token", &rig.seed.project_id, &production);
    let config = rig.platform().config().clone();
    let platform = wpstage::platform::railway::RailwayPlatform::new(
        rig.sim.client_with_token("sim-project-token"),
        config,
    );
    let err = lifecycle::up(&platform, &cfg(), &up_req(32, "abc"))
        .await
        .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("project token") && text.contains("account token"),
        "{text}"
    );
    assert!(!text.contains("sim-project-token"), "{text}");
    assert_eq!(failure(&err).step, "find environment");
    assert_eq!(rig.sim.count("CreateEnvironment"), 0);
    assert_eq!(rig.envs_named("pr-32"), 0);
}

#[tokio::test]
async fn unknown_service_names_list_what_exists_and_roll_back() {
    let rig = Rig::start(SimOptions::default()).await;
    for (app, db) in [(Some("web"), None), (None, Some("mysql"))] {
        let platform = rig.platform_with(|c| {
            c.app_service = app.map(str::to_owned);
            c.database_service = db.map(str::to_owned);
        });
        let err = lifecycle::up(&platform, &cfg(), &up_req(33, "abc"))
            .await
            .unwrap_err();
        let text = format!("{err:#}");
        let wanted = format!("\"{}\"", app.or(db).unwrap());
        assert!(
            text.contains(&wanted) && text.contains("Postgres, wordpress"),
            "{text}"
        );
        assert!(failure(&err).rolled_back, "{text}");
        assert_eq!(rig.sim.env_id("pr-33"), None);
    }
}

#[tokio::test]
async fn ten_concurrent_ups_each_get_their_own_environment_and_data() {
    let rig = Rig::start(SimOptions::default()).await;
    let life = LifecycleConfig { jobs: 1, ..cfg() };
    let prs: Vec<u64> = (100..110).collect();
    let runs = prs.iter().map(|&pr| {
        let platform = rig.platform();
        let life = life.clone();
        async move {
            let outcome = lifecycle::up(&platform, &life, &up_req(pr, &format!("sha{pr}"))).await;
            (pr, outcome)
        }
    });
    let started = std::time::Instant::now();
    let results = futures_util::future::join_all(runs).await;
    eprintln!("10 concurrent ups: {:?}", started.elapsed());
    let mut previews = BTreeSet::new();
    let mut databases = BTreeSet::new();
    let mut total = 0;
    for (pr, outcome) in results {
        let outcome = outcome.unwrap_or_else(|e| panic!("PR {pr}: {e:#}"));
        assert!(outcome.created && outcome.environment_name == format!("pr-{pr}"));
        assert!(
            outcome.api_calls <= 40,
            "PR {pr}: {} calls",
            outcome.api_calls
        );
        total += outcome.api_calls + outcome.api_polls;
        assert_fresh_copy(&rig, &outcome).await;
        let deployment = outcome.deployment.as_ref().unwrap();
        assert_eq!(
            rig.sim.deployment(&deployment.id).commit_sha,
            Some(format!("sha{pr}"))
        );
        previews.insert(outcome.preview_url.clone().unwrap());
        databases.insert(
            rig.sim
                .database(&outcome.environment_name)
                .unwrap()
                .dbname()
                .to_owned(),
        );
    }
    assert_eq!(previews.len(), 10, "{previews:?}");
    assert_eq!(databases.len(), 10, "{databases:?}");
    assert_eq!(
        total,
        rig.sim.requests().len() as u64,
        "requests were counted per run"
    );
    assert_eq!(rig.sim.count("CreateEnvironment"), 10);
}
