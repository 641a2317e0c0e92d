//! `RailwayPlatform` against the simulated Railway and real PostgreSQL: find/create/delete,
//! markers, the staging database, deploys, the preview URL, fidelity and request counts.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use wpstage::platform::railway::{PollPolicy, RailwayConfig, RailwayPlatform};
use wpstage::platform::{EnvRef, Platform};
use wpstage::postgres::DbUrl;

use crate::railway_sim::{Seed, Sim, SimOptions};
use crate::support::{client, clusters, fresh_db};

async fn platform(options: SimOptions) -> (Sim, Seed, RailwayPlatform, DbUrl) {
    let sim = Sim::start(options).await;
    let prod = fresh_db(&clusters().prod, "sim_prod").await;
    client(&prod)
        .await
        .batch_execute("CREATE TABLE wp_options (option_name text, option_value text); INSERT INTO wp_options VALUES ('siteurl', 'https://shop.example')")
        .await
        .unwrap();
    let seed = sim.seed_production(&prod);
    let mut config = RailwayConfig::new(seed.project_id.clone());
    config.poll = PollPolicy {
        initial: Duration::from_millis(2),
        max: Duration::from_millis(10),
    };
    config.database_timeout = Duration::from_secs(10);
    config.tcp_proxy_timeout = Duration::from_secs(2);
    let platform = RailwayPlatform::new(sim.client(), config);
    (sim, seed, platform, prod)
}

#[tokio::test]
async fn find_create_and_delete_an_environment() {
    let (sim, _seed, platform, _) = platform(SimOptions::default()).await;
    assert_eq!(platform.find_environment("pr-7").await.unwrap(), None);
    let env = platform.create_environment("pr-7", 7).await.unwrap();
    assert_eq!(
        platform.find_environment("pr-7").await.unwrap(),
        Some(env.clone())
    );

    let create = sim
        .requests()
        .into_iter()
        .find(|r| r.operation == "CreateEnvironment")
        .unwrap();
    let input = &create.variables["input"];
    assert_eq!(input["ephemeral"], true);
    assert_eq!(input["skipInitialDeploys"], true);
    assert_eq!(input["applyChangesInBackground"], false);
    assert_eq!(
        input["sourceEnvironmentId"].as_str(),
        sim.env_id("production").as_deref()
    );

    let listed = platform.list_environments().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].pr, Some(7));
    assert!(listed[0].created_at.is_some());

    assert!(platform.delete_environment(&env).await.unwrap());
    assert!(
        !platform.delete_environment(&env).await.unwrap(),
        "already gone is Ok(false)"
    );
    assert_eq!(sim.env_id("pr-7"), None);
}

#[tokio::test]
async fn an_environment_wpstage_did_not_create_is_refused() {
    let (sim, seed, platform, _) = platform(SimOptions::default()).await;
    let id = sim.add_environment(&seed.project_id, "pr-8", true, None, SystemTime::now());
    let err = platform.find_environment("pr-8").await.unwrap_err();
    assert!(
        err.to_string().contains("not created by wpstage"),
        "{err:#}"
    );
    let env = EnvRef {
        id,
        name: "pr-8".into(),
    };
    assert!(platform.delete_environment(&env).await.is_err());
    assert!(sim.env_id("pr-8").is_some(), "never deleted");
}

#[tokio::test]
async fn only_marked_environments_are_listed_across_pages() {
    let (sim, seed, platform, _) = platform(SimOptions {
        page_size: 2,
        ..SimOptions::default()
    })
    .await;
    let old = SystemTime::now() - Duration::from_secs(86_400 * 9);
    for n in 0..5 {
        sim.add_environment(&seed.project_id, &format!("pr-{n}"), true, Some(n), old);
        sim.add_environment(
            &seed.project_id,
            &format!("feature-{n}"),
            n % 2 == 0,
            None,
            old,
        );
    }
    let listed = platform.list_environments().await.unwrap();
    let mut prs: Vec<u64> = listed.iter().filter_map(|e| e.pr).collect();
    prs.sort_unstable();
    assert_eq!(prs, [0, 1, 2, 3, 4]);
    assert!(listed.iter().all(|e| {
        e.created_at
            .is_some_and(|t| t <= SystemTime::now() - Duration::from_secs(86_400 * 8))
    }));
    assert!(sim.count("ListEnvironments") >= 6);
}

#[tokio::test]
async fn staging_database_is_a_real_database_and_source_is_production() {
    let (sim, _seed, platform, prod) = platform(SimOptions::default()).await;
    let env = platform.create_environment("pr-9", 9).await.unwrap();
    let staging = platform.staging_database(&env).await.unwrap();
    assert_ne!(staging.dbname(), prod.dbname());
    let c = client(&staging).await;
    c.batch_execute("CREATE TABLE probe (x int)").await.unwrap();
    assert_eq!(
        sim.count("PatchEnvironment"),
        1,
        "a TCP proxy was requested"
    );
    assert!(
        sim.operations()
            .contains(&"DeployServiceInstance".to_owned())
    );

    let source = platform.source_database().await.unwrap();
    assert_eq!(source.dbname(), prod.dbname());
    let row = client(&source)
        .await
        .query_one("SELECT option_value FROM wp_options", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "https://shop.example");

    // Rerun: the proxy and the deployment are reused.
    platform.staging_database(&env).await.unwrap();
    assert_eq!(sim.count("PatchEnvironment"), 1);
    assert_eq!(sim.count("DeployServiceInstance"), 1);
}

#[tokio::test]
async fn deploy_app_waits_for_success_and_reports_failure() {
    let (sim, seed, platform, _) = platform(SimOptions::default()).await;
    let env = platform.create_environment("pr-10", 10).await.unwrap();
    let vars = BTreeMap::from([("WP_HOME".to_owned(), "https://x.example".to_owned())]);
    platform.configure_app(&env, &vars).await.unwrap();
    let upsert = sim
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.operation == "UpsertVariables")
        .unwrap();
    assert_eq!(upsert.variables["input"]["skipDeploys"], true);
    assert_eq!(
        upsert.variables["input"]["serviceId"].as_str(),
        Some(seed.app_service_id.as_str())
    );

    let done = platform
        .deploy_app(&env, "abc123", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(done.status, "SUCCESS");
    assert_eq!(done.sha, "abc123");
    let deploy = sim
        .requests()
        .into_iter()
        .find(|r| r.operation == "DeployServiceInstance")
        .unwrap();
    assert_eq!(deploy.variables["commitSha"], "abc123");
    let recorded = sim.deployment(&done.id);
    assert_eq!(recorded.commit_sha.as_deref(), Some("abc123"));
    assert_eq!(recorded.status(), "SUCCESS");
    assert!(
        platform.api_use().polls >= 3,
        "QUEUED → BUILDING → DEPLOYING → SUCCESS"
    );

    sim.set_deploy_outcome("wordpress", "FAILED");
    let err = platform
        .deploy_app(&env, "def456", Duration::from_secs(5))
        .await
        .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("ended FAILED") && text.contains("dep-"),
        "{text}"
    );
    sim.set_deploy_outcome("wordpress", "CRASHED");
    let err = platform
        .deploy_app(&env, "def456", Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("CRASHED"));
}

#[tokio::test]
async fn preview_url_creates_a_domain_once() {
    let (sim, _seed, platform, _) = platform(SimOptions::default()).await;
    let env = platform.create_environment("pr-11", 11).await.unwrap();
    let url = platform.preview_url(&env).await.unwrap();
    assert!(
        url.starts_with("https://") && url.ends_with(".up.railway.app"),
        "{url}"
    );
    assert_eq!(platform.preview_url(&env).await.unwrap(), url);
    assert_eq!(sim.count("CreateServiceDomain"), 1);
}

#[tokio::test]
async fn fidelity_flags_an_extra_variable_name_but_not_the_overrides() {
    let (_sim, _seed, platform, _) = platform(SimOptions::default()).await;
    let env = platform.create_environment("pr-12", 12).await.unwrap();
    platform.preview_url(&env).await.unwrap();
    let vars = BTreeMap::from([
        ("WP_HOME".to_owned(), "https://pr.example".to_owned()),
        ("DEBUG_SECRET_FLAG".to_owned(), "s3cr3t-value".to_owned()),
    ]);
    platform.configure_app(&env, &vars).await.unwrap();
    let issues = platform
        .fidelity(&env, &["WP_HOME".to_owned()])
        .await
        .unwrap();
    let details: Vec<&str> = issues.iter().map(|i| i.detail.as_str()).collect();
    assert!(
        details.iter().any(|d| d.contains("DEBUG_SECRET_FLAG")),
        "{details:?}"
    );
    assert!(
        !details
            .iter()
            .any(|d| d.contains("WP_HOME") || d.contains("s3cr3t")),
        "{details:?}"
    );
    // Custom domains are not copied by Railway: reported, as a domain difference.
    assert!(
        issues
            .iter()
            .any(|i| i.kind == "domain" && i.detail.contains("shop.example")),
        "{details:?}"
    );
    assert!(
        !issues
            .iter()
            .any(|i| i.kind == "service" || i.kind == "volume"),
        "{details:?}"
    );
}

#[tokio::test]
async fn a_typical_up_sequence_stays_within_the_request_budget() {
    let (sim, _seed, platform, _) = platform(SimOptions::default()).await;
    let name = "pr-13";
    assert!(platform.find_environment(name).await.unwrap().is_none());
    let env = platform.create_environment(name, 13).await.unwrap();
    platform.staging_database(&env).await.unwrap();
    platform.source_database().await.unwrap();
    let url = platform.preview_url(&env).await.unwrap();
    let vars = BTreeMap::from([
        ("WP_HOME".to_owned(), url.clone()),
        ("WP_SITEURL".to_owned(), url),
    ]);
    platform.configure_app(&env, &vars).await.unwrap();
    platform
        .deploy_app(&env, "abc", Duration::from_secs(5))
        .await
        .unwrap();
    let before_fidelity = platform.api_use();
    platform
        .fidelity(&env, &["WP_HOME".to_owned(), "WP_SITEURL".to_owned()])
        .await
        .unwrap();
    let total = platform.api_use();
    eprintln!(
        "up: {before_fidelity:?} before fidelity, {total:?} with it; ops: {:?}",
        sim.operations()
    );
    assert!(total.calls <= 40, "{total:?}");
    assert_eq!(total.calls + total.polls, sim.requests().len() as u64);
}

#[tokio::test]
async fn unknown_service_names_list_what_exists() {
    let (_sim, seed, _platform, _) = platform(SimOptions::default()).await;
    let sim2 = _sim;
    let mut config = RailwayConfig::new(seed.project_id.clone());
    config.app_service = Some("web".to_owned());
    let platform = RailwayPlatform::new(sim2.client(), config);
    let env = EnvRef {
        id: sim2.env_id("production").unwrap(),
        name: "production".into(),
    };
    let err = platform.preview_url(&env).await.unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("\"web\"") && text.contains("Postgres, wordpress"),
        "{text}"
    );
}
