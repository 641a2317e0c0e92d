//! The base snapshot on Railway, against the simulated Railway API and real PostgreSQL:
//! `base refresh` builds it in an environment of its own that holds only the database, PR
//! databases are streamed from it without reading production, and no PR operation touches it.

use std::time::Duration;

use secrecy::SecretString;
use wpstage::lifecycle::base::{self, DataFrom, DataSource};
use wpstage::lifecycle::copy_in::CopyIn;
use wpstage::lifecycle::{self, LifecycleConfig, ReapRequest};
use wpstage::platform::copy_job::SOURCE_URL_VAR;
use wpstage::platform::{EnvRef, Platform};
use wpstage::postgres::DbUrl;

use crate::base_local::own_source;
use crate::lifecycle_railway::{Rig, cfg, emails, failure, site_urls, up_req};
use crate::railway_sim::{APP_REPO, Sim, SimOptions};
use crate::support::{SITE_URL, client, clusters, strings};

const KEY: &str = "railway base-test anonymization key, long enough to recognise";
const BASE: &str = "wpstage-base";

/// PR environments named `wpstage-N`: the base's name starts with the prefix too, so only its
/// marker keeps `reap` off it.
fn base_cfg(from: DataFrom) -> LifecycleConfig {
    let mut c = LifecycleConfig {
        prefix: "wpstage-".to_owned(),
        data_source: DataSource {
            from,
            base_name: BASE.to_owned(),
            max_age: Duration::from_secs(3600),
        },
        ..cfg()
    };
    c.transforms.key = Some(SecretString::from(KEY.to_owned()));
    c
}

/// Row counts of every table.
async fn row_counts(db: &DbUrl) -> Vec<(String, i64)> {
    crate::support::table_digests(db)
        .await
        .into_iter()
        .map(|(t, n, _)| (t, n))
        .collect()
}

/// Drops production's database: any later read of it fails.
async fn drop_production(rig: &Rig) {
    client(&clusters().prod.url("postgres"))
        .await
        .batch_execute(&format!(
            "DROP DATABASE \"{}\" WITH (FORCE)",
            rig.prod.dbname()
        ))
        .await
        .unwrap();
}

/// The comment on the database `db` names (the base's facts).
async fn comment_of(db: &DbUrl) -> Option<String> {
    client(db)
        .await
        .query_one(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database \
             WHERE datname = current_database()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn the_base_lives_in_a_database_only_environment_and_up_reads_it_not_production() {
    let prod = own_source("base_rw_src").await;
    let sim = Sim::start(SimOptions::default()).await;
    let seed = sim.seed_production(&prod);
    sim.add_production_service(&seed, "redis", Some("redis:7"), None, Some("SUCCESS"));
    let rig = Rig { sim, seed, prod };
    let platform = rig.platform();
    let cfg = base_cfg(DataFrom::Base);

    let started = std::time::Instant::now();
    let info = base::refresh_apart(&platform, &cfg).await.unwrap();
    // Reported for the record (simulated Railway, 10 MB site), not asserted.
    eprintln!("railway base refresh: {:?}", started.elapsed());
    assert_eq!(
        (info.name.as_str(), info.site_url.as_str()),
        (BASE, SITE_URL)
    );
    {
        let st = rig.sim.state();
        let env = st
            .envs
            .iter()
            .find(|e| e.name == BASE)
            .expect("the base env");
        assert!(!env.ephemeral, "the base environment is a lasting one");
        assert_eq!(
            env.shared.get("WPSTAGE_BASE").map(String::as_str),
            Some("true")
        );
        assert!(
            !env.shared.contains_key("WPSTAGE_MANAGED"),
            "{:?}",
            env.shared
        );
        let services: Vec<&str> = st
            .instances
            .iter()
            .filter(|i| i.env_id == env.id)
            .map(|i| i.service_name.as_str())
            .collect();
        assert_eq!(services, ["Postgres"], "only the database stays");
        // Production keeps every service.
        let prod_services = st
            .instances
            .iter()
            .filter(|i| i.env_id == rig.seed.production_id)
            .count();
        assert_eq!(prod_services, 3);
    }
    // A push to production's branch deploys nothing in the base environment.
    assert!(
        !rig.sim
            .push(APP_REPO, "main", "cafe123")
            .contains(&BASE.to_owned())
    );
    let base_db = rig.sim.database(BASE).unwrap();
    let comment = comment_of(&base_db).await.unwrap();
    let fingerprint = base::key_fingerprint(cfg.transforms.key.as_ref());
    assert!(comment.starts_with("wpstage:base "), "{comment}");
    assert!(comment.contains(&format!("key={fingerprint}")), "{comment}");
    assert!(comment.contains(&format!("snapshot={}", info.snapshot_time)));
    assert!(!comment.contains("anonymization key"), "{comment}");
    let prod_emails = emails(&rig.prod).await;
    let base_emails = emails(&base_db).await;
    assert!(base_emails.len() > 5 && base_emails.is_disjoint(&prod_emails));
    assert_eq!(site_urls(&base_db).await, vec![SITE_URL.to_owned(); 2]);

    // A refresh that fails half-way leaves the previous base as it was, and no helper behind.
    let mut broken = cfg.clone();
    broken.transforms.rules_file = Some("/nonexistent/wpstage-rules.yml".into());
    let before = row_counts(&base_db).await;
    let err = base::refresh_apart(&platform, &broken).await.unwrap_err();
    assert!(format!("{err:#}").contains("rules file"), "{err:#}");
    assert_eq!(comment_of(&base_db).await, Some(comment.clone()));
    assert_eq!(row_counts(&base_db).await, before);
    let building = strings(
        &base_db,
        "SELECT datname::text FROM pg_database WHERE datname LIKE '%\\_building'",
    )
    .await;
    assert!(
        !building.contains(&format!("{}_building", base_db.dbname())),
        "{building:?}"
    );

    // Production is gone: any read of it would fail the `up`.
    drop_production(&rig).await;
    let started = std::time::Instant::now();
    let outcome = lifecycle::up(&platform, &cfg, &up_req(3, "abc1234"))
        .await
        .unwrap_or_else(|e| panic!("up from the base failed: {e:#}"));
    eprintln!(
        "up from the base: {:?} {:?}",
        started.elapsed(),
        outcome.phases
    );
    let data = outcome.data.as_ref().expect("data was copied");
    assert_eq!(data.base.as_deref(), Some(BASE), "{data:?}");
    assert_eq!(data.snapshot_time, info.snapshot_time);
    assert!(data.anonymized && data.url_replacements > 0, "{data:?}");
    assert!(data.origin().starts_with("base snapshot wpstage-base ("));
    let pr_db = rig.sim.database("wpstage-3").unwrap();
    let preview = outcome.preview_url.clone().unwrap();
    assert_eq!(site_urls(&pr_db).await, vec![preview; 2]);
    assert_eq!(
        emails(&pr_db).await,
        base_emails,
        "the base's pseudonyms, as they are"
    );
    assert_eq!(row_counts(&pr_db).await, row_counts(&base_db).await);
    assert!(wpstage::lifecycle::data::is_synced(&pr_db).await.unwrap());
    // The base itself keeps production's URL.
    assert_eq!(site_urls(&base_db).await, vec![SITE_URL.to_owned(); 2]);

    // No PR operation touches the base environment.
    let base_env = EnvRef {
        id: rig.sim.env_id(BASE).unwrap(),
        name: BASE.to_owned(),
    };
    let err = platform.delete_environment(&base_env).await.unwrap_err();
    assert!(
        format!("{err:#}").contains("not created by wpstage"),
        "{err:#}"
    );
    let reaped = lifecycle::reap(
        &platform,
        &cfg,
        &ReapRequest {
            max_age: Duration::ZERO,
            open_prs: Some(vec![]),
            dry_run: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(reaped.reaped, ["wpstage-3"], "{reaped:?}");
    assert!(rig.sim.env_id(BASE).is_some(), "reap left the base alone");
    assert!(
        reaped.warnings.iter().all(|w| !w.contains(BASE)),
        "{:?}",
        reaped.warnings
    );
    assert_eq!(comment_of(&base_db).await, Some(comment));
}

#[tokio::test]
async fn data_from_base_without_a_base_fails_naming_base_refresh_and_leaves_nothing() {
    let rig = Rig::start(SimOptions::default()).await;
    let platform = rig.platform();
    let err = lifecycle::up(&platform, &base_cfg(DataFrom::Base), &up_req(4, "abc1234"))
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("wpstage base refresh"),
        "{err:#}"
    );
    let f = failure(&err);
    assert!(f.outcome.created && f.rolled_back, "{err:#}");
    assert_eq!(rig.envs_named("wpstage-4"), 0);
    assert_eq!(rig.envs_named(BASE), 0, "nothing made a base environment");

    // `auto` without a base copies production, and says nothing about a base.
    let started = std::time::Instant::now();
    let outcome = lifecycle::up(&platform, &base_cfg(DataFrom::Auto), &up_req(4, "abc1234"))
        .await
        .unwrap();
    eprintln!(
        "up from production: {:?} {:?}",
        started.elapsed(),
        outcome.phases
    );
    let data = outcome.data.as_ref().unwrap();
    assert_eq!(data.base, None);
    assert!(data.anonymized_values > 0, "{data:?}");
    assert!(
        outcome.warnings.iter().all(|w| !w.contains("base")),
        "{:?}",
        outcome.warnings
    );

    // An environment of the base's name that wpstage did not make is refused, never used.
    rig.sim.add_environment(
        &rig.seed.project_id,
        BASE,
        false,
        None,
        std::time::SystemTime::now(),
    );
    let err = base::refresh_apart(&platform, &base_cfg(DataFrom::Base))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("WPSTAGE_BASE=true"), "{err:#}");
    let err = lifecycle::refresh(&platform, &base_cfg(DataFrom::Base), 4)
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("WPSTAGE_BASE=true"), "{err:#}");
}

/// The binary run with the flags of `line` (separated by single spaces).
async fn cli(rig: &Rig, line: &str) -> (i32, String, String) {
    let args: Vec<&str> = line.split(' ').collect();
    crate::cli_railway::cli(rig, &args).await
}

#[tokio::test]
async fn the_binary_refreshes_the_railway_base_and_up_reports_it() {
    let rig = Rig::start(SimOptions {
        instant_deploys: true,
        ..SimOptions::default()
    })
    .await;
    let mut reports = Vec::new();
    for line in [
        "base refresh --platform railway --report json --jobs 2",
        "up --platform railway --pr 8 --sha abc8888 --data-from base --report json --jobs 2",
    ] {
        let (code, stdout, stderr) = cli(&rig, line).await;
        assert_eq!(code, 0, "{line}: {stdout}\n{stderr}");
        reports.push(serde_json::from_str::<serde_json::Value>(&stdout).unwrap());
    }
    let (refreshed, outcome) = (&reports[0], &reports[1]);
    assert_eq!(refreshed["base"], BASE, "the Railway default name");
    assert_eq!(refreshed["key_fingerprint"], "random");
    assert_eq!(outcome["data"]["base"], BASE, "{outcome}");
    assert_eq!(outcome["data"]["snapshot_time"], refreshed["snapshot_time"]);
    let db = rig.sim.database("pr-8").unwrap();
    assert_eq!(
        site_urls(&db).await,
        vec![outcome["preview_url"].as_str().unwrap().to_owned(); 2]
    );
}

#[tokio::test]
async fn the_action_refreshes_the_base_and_a_pr_comment_says_its_data_comes_from_it() {
    let e = crate::action_e2e::E2e::start().await;
    let mut env = e.env("schedule", &serde_json::json!({}));
    env.insert("INPUT_OPERATION".to_owned(), "base-refresh".to_owned());
    let ran = e.run(env).await;
    assert_eq!(ran.code, std::process::ExitCode::SUCCESS, "{}", ran.log);
    let outputs = e.file("output");
    let output = |name| crate::action_e2e::output(&outputs, name);
    assert_eq!(output("operation").as_deref(), Some("base-refresh"));
    assert_eq!(output("environment_name").as_deref(), Some(BASE));
    assert!(output("rows_copied").unwrap().parse::<u64>().unwrap() > 500);
    assert!(e.file("summary").contains("now holds production as of"));
    assert!(
        e.gh.comments().is_empty(),
        "a base refresh comments nowhere"
    );

    let mut env = e.env(
        "pull_request",
        &crate::action_e2e::event("pull_request.opened"),
    );
    env.insert("INPUT_DATA_FROM".to_owned(), "base".to_owned());
    let ran = e.run(env).await;
    assert_eq!(ran.code, std::process::ExitCode::SUCCESS, "{}", ran.log);
    let ours = e.ours();
    let body = ours[0]["body"].as_str().unwrap();
    // Its age in minutes ("under a minute" on a quick machine).
    let data = body
        .lines()
        .find(|l| l.starts_with("| **Data** |"))
        .unwrap_or_default();
    assert!(
        data.starts_with("| **Data** | base snapshot wpstage-base (") && data.contains(" old) of "),
        "{body}"
    );
    assert!(
        body.contains("anonymized once, when the base snapshot"),
        "{body}"
    );
    assert!(
        emails(&e.staging_db())
            .await
            .is_disjoint(&emails(&e.rig.prod).await)
    );
}

#[tokio::test]
async fn up_from_the_base_with_the_copy_inside_reads_the_base_inside_the_environment() {
    let prod = own_source("base_rw_inside_src").await;
    let sim = Sim::start(SimOptions::default()).await;
    let seed = sim.seed_production(&prod);
    let rig = Rig { sim, seed, prod };
    let platform = rig.platform();
    let mut cfg = base_cfg(DataFrom::Base);
    let info = base::refresh_apart(&platform, &cfg).await.unwrap();
    let base_db = rig.sim.database(BASE).unwrap();
    let base_emails = emails(&base_db).await;
    drop_production(&rig).await;

    cfg.copy_in = CopyIn::Railway {
        image: "wpstage:sim".to_owned(),
    };
    let outcome = lifecycle::up(&platform, &cfg, &up_req(5, "abc1234"))
        .await
        .unwrap_or_else(|e| panic!("up from the base, copied inside, failed: {e:#}"));
    let data = outcome.data.as_ref().expect("data was copied");
    assert_eq!(data.base.as_deref(), Some(BASE), "{data:?}");
    assert_eq!(data.snapshot_time, info.snapshot_time);
    assert!(data.anonymized && data.url_replacements > 0, "{data:?}");
    // One job ran in the PR environment and read the base's database, not production's.
    let runs = rig.sim.copy_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(
        (runs[0].environment.as_str(), runs[0].exit_code),
        ("wpstage-5", Some(0))
    );
    let source = DbUrl::parse(&runs[0].variables[SOURCE_URL_VAR], "source").unwrap();
    assert_eq!(source.dbname(), base_db.dbname());
    assert!(
        runs[0].variables.values().all(|v| !v.contains(KEY)),
        "a copy from the base needs no anonymization key"
    );
    let pr_db = rig.sim.database("wpstage-5").unwrap();
    let preview = outcome.preview_url.clone().unwrap();
    assert_eq!(site_urls(&pr_db).await, vec![preview; 2]);
    assert_eq!(emails(&pr_db).await, base_emails);
    assert_eq!(row_counts(&pr_db).await, row_counts(&base_db).await);
    assert!(
        !rig.sim
            .service_names("wpstage-5")
            .contains(&runs[0].service),
        "the copy service is still there"
    );
}
