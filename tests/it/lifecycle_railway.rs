//! The lifecycle (`up`, `down`, `refresh`, `reap`) on the Railway platform, end to end against
//! the simulated Railway API and real PostgreSQL: production is the generated WordPress database,
//! every PR environment's Postgres service is a real database on the staging cluster.
//! Failure injection and concurrency live in `lifecycle_railway_faults`.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use wpstage::lifecycle::{self, Failure, LifecycleConfig, Outcome, ReapRequest, UpRequest};
use wpstage::platform::railway::{PollPolicy, RailwayConfig, RailwayPlatform};
use wpstage::postgres::DbUrl;

use crate::railway_sim::{Recorded, Seed, Sim, SimOptions};
use crate::support::{SITE_URL, client, clusters, strings, table_digests, wordpress_source};

/// A simulated Railway project whose production database is the generated WordPress site.
pub struct Rig {
    pub sim: Sim,
    pub seed: Seed,
    pub prod: DbUrl,
}

impl Rig {
    pub async fn start(options: SimOptions) -> Rig {
        let sim = Sim::start(options).await;
        let prod = wordpress_source().await;
        let seed = sim.seed_production(&prod);
        Rig { sim, seed, prod }
    }

    /// A platform as one `wpstage` process would hold it (own client, own counters).
    pub fn platform(&self) -> RailwayPlatform {
        self.platform_with(|_| {})
    }

    pub fn platform_with(&self, tweak: impl FnOnce(&mut RailwayConfig)) -> RailwayPlatform {
        let mut config = RailwayConfig::new(self.seed.project_id.clone());
        config.poll = PollPolicy {
            initial: Duration::from_millis(2),
            max: Duration::from_millis(10),
        };
        config.database_timeout = Duration::from_secs(20);
        config.tcp_proxy_timeout = Duration::from_secs(2);
        tweak(&mut config);
        RailwayPlatform::new(self.sim.client(), config)
    }

    /// How many environments of that name exist.
    pub fn envs_named(&self, name: &str) -> usize {
        self.sim
            .state()
            .envs
            .iter()
            .filter(|e| e.name == name)
            .count()
    }
}

pub fn cfg() -> LifecycleConfig {
    LifecycleConfig {
        jobs: 2,
        progress_every: Duration::ZERO,
        deploy_timeout: Duration::from_secs(20),
        ..LifecycleConfig::default()
    }
}

pub fn up_req(pr: u64, sha: &str) -> UpRequest {
    UpRequest {
        pr,
        sha: sha.to_owned(),
        branch: Some(format!("feature/pr-{pr}")),
        refresh_data: false,
        keep_on_failure: false,
    }
}

pub fn failure(err: &anyhow::Error) -> &Failure {
    err.downcast_ref::<Failure>()
        .unwrap_or_else(|| panic!("not a lifecycle Failure: {err:#}"))
}

/// Requests in `recorded` that the client counts as calls: everything but deployment polls and
/// the TCP proxy polls that follow a proxy request (`PatchEnvironment`).
pub fn calls_in(recorded: &[Recorded]) -> u64 {
    let mut proxy_requested = false;
    let mut calls = 0;
    for r in recorded {
        match r.operation.as_str() {
            "Deployment" => {}
            "TcpProxies" if proxy_requested => {}
            op => {
                proxy_requested |= op == "PatchEnvironment";
                calls += 1;
            }
        }
    }
    calls
}

/// `home` and `siteurl` of a WordPress database.
pub async fn site_urls(db: &DbUrl) -> Vec<String> {
    strings(
        db,
        "SELECT option_value FROM wp_options WHERE option_name IN ('home', 'siteurl')",
    )
    .await
}

pub async fn emails(db: &DbUrl) -> BTreeSet<String> {
    strings(db, "SELECT user_email FROM wp_users")
        .await
        .into_iter()
        .collect()
}

/// Asserts that `outcome`'s environment holds an anonymized copy of production for its preview.
pub async fn assert_fresh_copy(rig: &Rig, outcome: &Outcome) {
    let preview = outcome.preview_url.clone().expect("a preview URL");
    assert!(
        preview.starts_with("https://") && preview.ends_with(".up.railway.app"),
        "{preview}"
    );
    let db = rig
        .sim
        .database(&outcome.environment_name)
        .expect("the environment has a database");
    assert_ne!(db.dbname(), rig.prod.dbname());
    assert_eq!(site_urls(&db).await, vec![preview; 2]);
    let prod_emails = emails(&rig.prod).await;
    let staged = emails(&db).await;
    assert!(prod_emails.len() > 5, "{prod_emails:?}");
    assert_eq!(staged.len(), prod_emails.len(), "every user is copied");
    assert!(
        staged.is_disjoint(&prod_emails),
        "production emails reached staging: {:?}",
        staged.intersection(&prod_emails).collect::<Vec<_>>()
    );
    let data = outcome.data.as_ref().expect("data was copied");
    assert!(
        data.anonymized && data.anonymized_values > 0 && data.rows > 500,
        "{data:?}"
    );
    assert!(data.url_replacements > 0, "{data:?}");
}

#[tokio::test]
async fn up_fresh_copies_production_and_a_rerun_only_deploys_the_new_sha() {
    let rig = Rig::start(SimOptions::default()).await;
    let platform = rig.platform();
    let first = lifecycle::up(&platform, &cfg(), &up_req(7, "aaaa111"))
        .await
        .unwrap();
    assert!(first.created, "{first:?}");
    assert_eq!(first.environment_name, "pr-7");
    assert_eq!(first.environment_id, rig.sim.env_id("pr-7"));
    assert_fresh_copy(&rig, &first).await;
    let deployment = first.deployment.as_ref().unwrap();
    assert_eq!(deployment.status, "SUCCESS");
    assert_eq!(
        rig.sim.deployment(&deployment.id).commit_sha.as_deref(),
        Some("aaaa111")
    );
    // The request budget, from the simulator's recording and from the Outcome.
    let recorded = rig.sim.requests();
    let calls = calls_in(&recorded);
    eprintln!(
        "fresh up: {calls} calls + {} polls: {:?}",
        first.api_polls,
        rig.sim.operations()
    );
    assert!(calls <= 40, "{calls} calls");
    assert_eq!(calls, first.api_calls);
    assert_eq!(first.api_calls + first.api_polls, recorded.len() as u64);
    assert_eq!(rig.sim.count("CreateEnvironment"), 1);

    // New commits: same environment, no data copy, the new SHA deployed.
    let db = rig.sim.database("pr-7").unwrap();
    client(&db)
        .await
        .batch_execute("CREATE TABLE staging_marker (x int); INSERT INTO staging_marker VALUES (1)")
        .await
        .unwrap();
    let before = table_digests(&db).await;
    let again = rig.platform();
    let second = lifecycle::up(&again, &cfg(), &up_req(7, "bbbb222"))
        .await
        .unwrap();
    assert!(!second.created && second.data.is_none(), "{second:?}");
    assert_eq!(second.environment_id, first.environment_id);
    assert_eq!(second.preview_url, first.preview_url);
    assert_eq!(rig.envs_named("pr-7"), 1);
    assert_eq!(rig.sim.count("CreateEnvironment"), 1);
    assert_eq!(table_digests(&db).await, before, "data was copied again");
    let deployment = second.deployment.as_ref().unwrap();
    assert_ne!(
        Some(deployment.id.as_str()),
        first.deployment.as_ref().map(|d| d.id.as_str())
    );
    assert_eq!(
        rig.sim.deployment(&deployment.id).commit_sha.as_deref(),
        Some("bbbb222")
    );
    let rerun = &rig.sim.requests()[recorded.len()..];
    let calls = calls_in(rerun);
    eprintln!("rerun up: {calls} calls + {} polls", second.api_polls);
    assert!(
        calls <= 40 && calls == second.api_calls,
        "{calls} vs {second:?}"
    );
    assert_eq!(second.api_calls + second.api_polls, rerun.len() as u64);
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_old_data_and_a_good_one_replaces_it() {
    let rig = Rig::start(SimOptions::default()).await;
    let platform = rig.platform();
    lifecycle::up(&platform, &cfg(), &up_req(5, "c0ffee"))
        .await
        .unwrap();
    let db = rig.sim.database("pr-5").unwrap();
    client(&db)
        .await
        .batch_execute("CREATE TABLE staging_marker (x int)")
        .await
        .unwrap();
    let before = table_digests(&db).await;

    // Production unreachable in the middle of the refresh (site URL known, so the copy itself
    // is what fails).
    let gone = clusters().prod.url("no_such_production_db");
    let broken = rig.platform_with(|c| c.source_database_url = Some(gone));
    let broken_cfg = LifecycleConfig {
        site_url: Some(SITE_URL.to_owned()),
        ..cfg()
    };
    let err = lifecycle::refresh(&broken, &broken_cfg, 5)
        .await
        .unwrap_err();
    let f = failure(&err);
    assert_eq!(f.step, "data copy", "{err:#}");
    assert!(!f.rolled_back);
    assert_eq!(table_digests(&db).await, before, "staging lost its data");
    assert!(rig.sim.env_id("pr-5").is_some());

    let refreshed = lifecycle::refresh(&platform, &cfg(), 5).await.unwrap();
    assert!(refreshed.data.is_some(), "{refreshed:?}");
    let after = table_digests(&db).await;
    assert!(
        !after.iter().any(|(t, _, _)| t == "public.staging_marker"),
        "the refresh did not replace the data"
    );
    assert_fresh_copy(&rig, &refreshed).await;
}

#[tokio::test]
async fn down_twice_deletes_then_reports_already_gone() {
    let rig = Rig::start(SimOptions::default()).await;
    let platform = rig.platform();
    lifecycle::up(&platform, &cfg(), &up_req(6, "d00d"))
        .await
        .unwrap();
    let id = rig.sim.env_id("pr-6").unwrap();
    let first = lifecycle::down(&platform, &cfg(), 6).await.unwrap();
    assert!(first.deleted);
    assert_eq!(first.environment_id.as_deref(), Some(id.as_str()));
    assert_eq!(rig.sim.env_id("pr-6"), None);
    let second = lifecycle::down(&platform, &cfg(), 6).await.unwrap();
    assert!(!second.deleted, "{second:?}");
    assert_eq!(rig.sim.count("DeleteEnvironment"), 1);
    // The production environment is untouched.
    assert!(rig.sim.env_id("production").is_some());
}

#[tokio::test]
async fn reap_pages_through_every_environment_and_deletes_only_its_own() {
    let rig = Rig::start(SimOptions {
        page_size: 2,
        ..SimOptions::default()
    })
    .await;
    let project = rig.seed.project_id.clone();
    let now = SystemTime::now();
    let old = now - Duration::from_secs(10 * 86_400);
    // wpstage's: old ones, recent ones of closed PRs, recent ones of open PRs.
    for pr in 1..=4 {
        rig.sim
            .add_environment(&project, &format!("pr-{pr}"), true, Some(pr), old);
    }
    for pr in 5..=7 {
        rig.sim
            .add_environment(&project, &format!("pr-{pr}"), true, Some(pr), now);
    }
    // Not wpstage's: unmarked look-alikes (old, ephemeral, our prefix) and a long-lived one.
    rig.sim.add_environment(&project, "pr-90", true, None, old);
    rig.sim.add_environment(&project, "pr-91", false, None, old);
    rig.sim
        .add_environment(&project, "staging", false, None, old);
    let req = ReapRequest {
        max_age: Duration::from_secs(7 * 86_400),
        open_prs: Some(vec![2, 6, 7]),
        dry_run: true,
    };
    let platform = rig.platform();
    let dry = lifecycle::reap(&platform, &cfg(), &req).await.unwrap();
    let mut expected = vec!["pr-1", "pr-2", "pr-3", "pr-4", "pr-5"];
    let mut listed = dry.reaped.clone();
    listed.sort();
    assert_eq!(listed, expected);
    assert_eq!(
        rig.sim.count("DeleteEnvironment"),
        0,
        "a dry run deletes nothing"
    );

    let done = lifecycle::reap(
        &platform,
        &cfg(),
        &ReapRequest {
            dry_run: false,
            ..req
        },
    )
    .await
    .unwrap();
    let mut reaped = done.reaped.clone();
    reaped.sort();
    assert_eq!(reaped, expected);
    let mut left: Vec<String> = rig
        .sim
        .state()
        .envs
        .iter()
        .map(|e| e.name.clone())
        .collect();
    left.sort();
    expected = vec!["pr-6", "pr-7", "pr-90", "pr-91", "production", "staging"];
    assert_eq!(left, expected);
    // 11 environments in pages of 2: every page was read, twice (dry run and real run).
    assert!(
        rig.sim.count("ListEnvironments") >= 12,
        "{:?}",
        rig.sim.operations()
    );
}
