//! The real binary: `wpstage up|down --platform railway` against the simulated Railway API and
//! real PostgreSQL, with the JSON Outcome on stdout and no secret on stdout or stderr.

use serde_json::Value;

use crate::lifecycle_railway::{Rig, calls_in, site_urls};
use crate::railway_sim::{ACCOUNT_TOKEN, SimOptions};
use crate::support::{clusters, run_cli};

pub async fn cli(rig: &Rig, args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let env = [
        ("RAILWAY_API_TOKEN", ACCOUNT_TOKEN.to_owned()),
        ("RAILWAY_PROJECT_ID", rig.seed.project_id.clone()),
        ("WPSTAGE_RAILWAY_ENDPOINT", rig.sim.endpoint.to_string()),
        ("RUST_LOG", "debug".to_owned()),
    ];
    // The simulator answers on this runtime: run the blocking child elsewhere.
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_cli(&args, &env)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_binary_brings_a_pr_up_on_railway_and_prints_the_outcome_as_json() {
    let rig = Rig::start(SimOptions {
        instant_deploys: true,
        ..SimOptions::default()
    })
    .await;
    let (code, stdout, stderr) = cli(
        &rig,
        &[
            "up",
            "--platform",
            "railway",
            "--pr",
            "41",
            "--sha",
            "abc4141",
            "--report",
            "json",
            "--jobs",
            "2",
        ],
    )
    .await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let outcome: Value = serde_json::from_str(&stdout).unwrap();
    // Reported for BENCHMARKS.md (orchestration beyond the data copy), not asserted.
    eprintln!(
        "up phases (simulated Railway, instant deploys): {}",
        outcome["phases"]
    );
    assert_eq!(outcome["operation"], "up");
    assert_eq!(outcome["platform"], "railway");
    assert_eq!(outcome["environment_name"], "pr-41");
    assert_eq!(outcome["created"], true);
    assert_eq!(
        outcome["environment_id"].as_str(),
        rig.sim.env_id("pr-41").as_deref()
    );
    assert_eq!(outcome["deployment"]["sha"], "abc4141");
    assert_eq!(outcome["deployment"]["status"], "SUCCESS");
    assert!(outcome["data"]["rows"].as_u64().unwrap() > 500, "{outcome}");
    let preview = outcome["preview_url"].as_str().unwrap().to_owned();
    let db = rig.sim.database("pr-41").unwrap();
    assert_eq!(site_urls(&db).await, vec![preview; 2]);
    let recorded = rig.sim.requests();
    let calls = outcome["api_calls"].as_u64().unwrap();
    assert!(calls <= 40, "{calls}");
    assert_eq!(calls, calls_in(&recorded));
    assert_eq!(
        calls + outcome["api_polls"].as_u64().unwrap(),
        recorded.len() as u64
    );

    let (code, down_out, down_err) = cli(
        &rig,
        &[
            "down",
            "--platform",
            "railway",
            "--pr",
            "41",
            "--report",
            "json",
        ],
    )
    .await;
    assert_eq!(code, 0, "{down_out}\n{down_err}");
    let down: Value = serde_json::from_str(&down_out).unwrap();
    assert_eq!(down["deleted"], true);
    assert_eq!(rig.sim.env_id("pr-41"), None);

    let secrets = [
        ("Railway token", ACCOUNT_TOKEN.to_owned()),
        ("staging database password", db.password().unwrap()),
        ("production database password", rig.prod.password().unwrap()),
        (
            "staging cluster password",
            clusters().staging.url("x").password().unwrap(),
        ),
    ];
    assert!(
        stderr.contains("DEBUG") || stderr.contains("INFO"),
        "logs were captured: {stderr}"
    );
    for (what, secret) in &secrets {
        for (stream, text) in [
            ("stdout", &stdout),
            ("stderr", &stderr),
            ("down stdout", &down_out),
            ("down stderr", &down_err),
        ] {
            assert!(!text.contains(secret.as_str()), "{stream} holds the {what}");
        }
    }
}
