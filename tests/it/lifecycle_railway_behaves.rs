//! Railway as it behaves (issue 10, items 3–10): the simulator models what Railway does with a
//! commit SHA on an image service, a push to the production branch, a domain without a port, an
//! environment left unmarked by a cancelled run, and Bedrock's `WP_SITEURL`.

use std::time::{Duration, SystemTime};

use wpstage::lifecycle::{self, LifecycleConfig, ReapRequest, UpRequest};

use crate::lifecycle_railway::{Rig, assert_fresh_copy, cfg, failure, up_req};
use crate::railway_sim::{APP_REPO, SimOptions};

/// Sets (or, with `None`, removes) a variable of production's app service.
pub fn set_production_app_var(rig: &Rig, name: &str, value: Option<&str>) {
    let mut st = rig.sim.state();
    let prod = rig.seed.production_id.clone();
    let app = rig.seed.app_service_id.clone();
    let inst = st
        .instances
        .iter_mut()
        .find(|i| i.env_id == prod && i.service_id == app)
        .unwrap();
    match value {
        Some(v) => inst.vars.insert(name.to_owned(), v.to_owned()),
        None => inst.vars.remove(name),
    };
}

#[tokio::test]
async fn no_wait_returns_once_the_deploy_is_triggered_and_keeps_the_environment() {
    let rig = Rig::start(SimOptions::default()).await;
    let no_wait = LifecycleConfig {
        wait_for_deploy: false,
        ..cfg()
    };
    let outcome = lifecycle::up(&rig.platform(), &no_wait, &up_req(3, "feed01"))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert!(outcome.created);
    assert!(rig.sim.env_id("pr-3").is_some(), "the environment was kept");
    assert_fresh_copy(&rig, &outcome).await;
    let deployment = outcome.deployment.expect("the deploy was triggered");
    let sim = rig.sim.deployment(&deployment.id);
    assert_eq!(sim.step, 0, "the app deployment was never polled");
    assert_eq!(deployment.status, "TRIGGERED");
}

#[tokio::test]
async fn an_image_app_deploys_without_a_commit_and_app_image_replaces_its_image() {
    let rig = Rig::start(SimOptions::default()).await;
    rig.sim.make_app_image(&rig.seed, "wordpress:6");
    let outcome = lifecycle::up(&rig.platform(), &cfg(), &up_req(8, "abc8"))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let deployment = outcome.deployment.unwrap();
    assert_eq!(deployment.status, "SUCCESS");
    assert_eq!(rig.sim.deployment(&deployment.id).commit_sha, None);

    let tagged = rig.platform_with(|c| c.app_image = Some("ghcr.io/acme/shop:pr-12".to_owned()));
    lifecycle::up(&tagged, &cfg(), &up_req(12, "abc12"))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let pr = rig.sim.app_instance(&rig.seed, "pr-12").unwrap();
    assert_eq!(pr.image.as_deref(), Some("ghcr.io/acme/shop:pr-12"));
    let prod = rig.sim.app_instance(&rig.seed, "production").unwrap();
    assert_eq!(
        prod.image.as_deref(),
        Some("wordpress:6"),
        "production kept its image"
    );
}

#[tokio::test]
async fn a_repo_app_follows_the_pr_branch_so_a_push_to_main_leaves_it_alone() {
    // The seeded app is built from acme/shop and deploys on pushes to main.
    let rig = Rig::start(SimOptions::default()).await;
    let req = UpRequest {
        branch: Some("feature/cart".to_owned()),
        ..up_req(9, "head9")
    };
    let outcome = lifecycle::up(&rig.platform(), &cfg(), &req)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let deployed = outcome.deployment.unwrap();
    assert_eq!(
        rig.sim.deployment(&deployed.id).commit_sha.as_deref(),
        Some("head9")
    );
    let pr = rig.sim.app_instance(&rig.seed, "pr-9").unwrap();
    assert_eq!(pr.branch.as_deref(), Some("feature/cart"));
    let redeployed = rig.sim.push(APP_REPO, "main", "merge1");
    assert_eq!(redeployed, vec!["production".to_owned()]);
    let after = rig.sim.app_instance(&rig.seed, "pr-9").unwrap();
    assert_eq!(after.latest.as_deref(), Some(deployed.id.as_str()));
}

#[tokio::test]
async fn the_preview_domain_targets_the_port_production_serves_on() {
    let rig = Rig::start(SimOptions::default()).await;
    lifecycle::up(&rig.platform(), &cfg(), &up_req(13, "d13"))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let pr = rig.sim.app_instance(&rig.seed, "pr-13").unwrap();
    let ports: Vec<Option<i64>> = pr.service_domains.iter().map(|d| d.2).collect();
    assert_eq!(ports, vec![Some(80)]);
}

#[tokio::test]
async fn wp_siteurl_is_overridden_only_when_production_sets_it_keeping_its_path() {
    let rig = Rig::start(SimOptions::default()).await;
    // Bedrock: WordPress lives under /wp.
    set_production_app_var(&rig, "WP_SITEURL", Some("https://shop.example/wp"));
    let outcome = lifecycle::up(&rig.platform(), &cfg(), &up_req(14, "e14"))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let preview = outcome.preview_url.unwrap();
    let vars = rig.sim.app_instance(&rig.seed, "pr-14").unwrap().vars;
    assert_eq!(vars.get("WP_HOME"), Some(&preview));
    assert_eq!(vars.get("WP_SITEURL"), Some(&format!("{preview}/wp")));

    // A reference to WP_HOME follows the new WP_HOME by itself: left as it is.
    set_production_app_var(&rig, "WP_SITEURL", Some("${{WP_HOME}}/wp"));
    lifecycle::up(&rig.platform(), &cfg(), &up_req(15, "e15"))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let vars = rig.sim.app_instance(&rig.seed, "pr-15").unwrap().vars;
    assert_eq!(
        vars.get("WP_SITEURL").map(String::as_str),
        Some("${{WP_HOME}}/wp")
    );

    // Not set in production: not set in staging either.
    set_production_app_var(&rig, "WP_SITEURL", None);
    lifecycle::up(&rig.platform(), &cfg(), &up_req(16, "e16"))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let vars = rig.sim.app_instance(&rig.seed, "pr-16").unwrap().vars;
    assert_eq!(vars.get("WP_SITEURL"), None);
}

/// What a run cancelled right after `environmentCreate` leaves: an ephemeral duplicate of
/// production named `pr-<pr>` without wpstage's marker, created `age` ago.
async fn leave_unmarked(rig: &Rig, pr: u64, age: Duration) -> String {
    let env = rig
        .sim
        .client()
        .create_environment(
            &rig.seed.project_id,
            &format!("pr-{pr}"),
            &rig.seed.production_id,
        )
        .await
        .unwrap();
    let mut st = rig.sim.state();
    let e = st.envs.iter_mut().find(|e| e.id == env.id).unwrap();
    e.created_at = SystemTime::now() - age;
    env.id
}

#[tokio::test]
async fn an_unmarked_leftover_of_a_cancelled_run_is_adopted_but_a_fresh_one_is_not() {
    let rig = Rig::start(SimOptions::default()).await;
    let leftover = leave_unmarked(&rig, 21, Duration::from_secs(600)).await;
    let outcome = lifecycle::up(&rig.platform(), &cfg(), &up_req(21, "f21"))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(outcome.environment_id.as_deref(), Some(leftover.as_str()));
    assert!(
        !outcome.created,
        "an adopted environment is not this run's to roll back"
    );
    assert_fresh_copy(&rig, &outcome).await;
    let marked = rig.sim.state().env(&leftover).unwrap().shared.clone();
    assert_eq!(
        marked.get("WPSTAGE_MANAGED").map(String::as_str),
        Some("true")
    );
    assert_eq!(marked.get("WPSTAGE_PR").map(String::as_str), Some("21"));

    // Seconds old: a concurrent run may be about to mark it. Refused, and left alone.
    let fresh = leave_unmarked(&rig, 22, Duration::from_secs(5)).await;
    let err = lifecycle::up(&rig.platform(), &cfg(), &up_req(22, "f22"))
        .await
        .unwrap_err();
    assert_eq!(failure(&err).step, "find environment", "{err:#}");
    assert!(format!("{err:#}").contains("concurrent"), "{err:#}");
    assert!(rig.sim.state().env(&fresh).unwrap().shared.is_empty());

    // `reap` names unmarked candidates and deletes none of them.
    let reap = lifecycle::reap(
        &rig.platform(),
        &cfg(),
        &ReapRequest {
            max_age: Duration::from_secs(3600),
            open_prs: Some(vec![]),
            dry_run: false,
        },
    )
    .await
    .unwrap();
    assert!(
        reap.warnings.iter().any(|w| w.contains("pr-22")),
        "{:?}",
        reap.warnings
    );
    assert!(rig.sim.env_id("pr-22").is_some());
}

#[tokio::test]
async fn railway_pr_environments_being_on_is_warned_about() {
    let rig = Rig::start(SimOptions::default()).await;
    rig.sim.state().pr_deploys = true;
    let outcome = lifecycle::up(&rig.platform(), &cfg(), &up_req(17, "g17"))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert!(
        outcome
            .warnings
            .iter()
            .any(|w| w.contains("two environments")),
        "{:?}",
        outcome.warnings
    );
}
