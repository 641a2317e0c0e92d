//! Orchestration without GitHub (no token): the scripted lifecycle stands in for Railway.

use std::sync::{Arc, Mutex};

use super::scripted::{Call, Scripted};
use super::*;

fn base_env(extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("INPUT_RAILWAY_TOKEN", "rw-secret-token"),
        ("INPUT_GITHUB_TOKEN", ""),
        ("INPUT_SOURCE_ENVIRONMENT", "production"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    env
}

struct Captured {
    code: ExitCode,
    stdout: String,
    masks: Vec<String>,
    made: bool,
}

async fn run_scripted(env: HashMap<String, String>, scripted: &Scripted) -> Captured {
    let masks = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&masks);
    let secrets = Secrets::new(Arc::new(move |l: &str| {
        sink.lock().unwrap().push(l.to_owned())
    }));
    let mut out = Vec::new();
    let made = Arc::new(Mutex::new(false));
    let made_flag = Arc::clone(&made);
    let lc = scripted.clone();
    let code = run_with(env, &mut out, secrets, move |_cfg, _secrets| {
        *made_flag.lock().unwrap() = true;
        Ok(lc)
    })
    .await
    .unwrap();
    let masks = masks.lock().unwrap().clone();
    let made = *made.lock().unwrap();
    Captured {
        code,
        stdout: String::from_utf8(out).unwrap(),
        masks,
        made,
    }
}

fn fork_event(dir: &std::path::Path) -> String {
    let path = format!(
        "{}/tests/fixtures/github/pull_request.opened.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut payload: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    payload["pull_request"]["head"]["repo"]["full_name"] = serde_json::json!("mallory/fork");
    let file = dir.join("event.json");
    std::fs::write(&file, payload.to_string()).unwrap();
    file.display().to_string()
}

#[tokio::test]
async fn an_invalid_input_fails_with_a_specific_error_and_masks_first() {
    let scripted = Scripted::default();
    let got = run_scripted(base_env(&[("INPUT_TTL", "forever")]), &scripted).await;
    assert_eq!(got.code, ExitCode::FAILURE);
    assert!(
        got.stdout
            .starts_with("::error title=wpstage%3A configuration::the `ttl` input")
    );
    assert_eq!(got.masks, ["::add-mask::rw-secret-token"]);
    assert!(!got.made);
}

#[tokio::test]
async fn a_fork_is_skipped_without_building_the_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let event = fork_event(dir.path());
    let scripted = Scripted::default();
    let got = run_scripted(
        base_env(&[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", &event),
        ]),
        &scripted,
    )
    .await;
    assert_eq!(got.code, ExitCode::SUCCESS);
    assert!(
        got.stdout
            .contains("::notice title=wpstage%3A nothing to do::PR #2 comes from a fork")
    );
    assert!(!got.made);
    assert!(scripted.calls().is_empty());
}

#[tokio::test]
async fn without_an_event_the_operation_input_is_asked_for() {
    let got = run_scripted(base_env(&[]), &Scripted::default()).await;
    assert_eq!(got.code, ExitCode::FAILURE);
    assert!(
        got.stdout.contains("set the `operation` input"),
        "{}",
        got.stdout
    );
}

#[tokio::test]
async fn kestra_style_up_runs_the_lifecycle_and_prints_outputs() {
    let scripted = Scripted::default();
    let got = run_scripted(
        base_env(&[
            ("INPUT_OPERATION", "up"),
            ("INPUT_PR_NUMBER", "5"),
            ("INPUT_HEAD_SHA", "abc1234def"),
        ]),
        &scripted,
    )
    .await;
    assert_eq!(got.code, ExitCode::SUCCESS, "{}", got.stdout);
    assert_eq!(
        scripted.calls(),
        [Call::Up(seam::UpRequest {
            pr: 5,
            sha: "abc1234def".to_owned(),
            branch: None,
            refresh_data: false,
            keep_on_failure: false,
        })]
    );
    assert!(
        got.stdout.contains("::group::wpstage up: pr-5"),
        "{}",
        got.stdout
    );
    let kestra = got
        .stdout
        .lines()
        .find(|l| l.starts_with(r#"::{"outputs":"#))
        .unwrap();
    assert!(kestra.contains(r#""operation":"up""#), "{kestra}");
    assert!(
        kestra.contains(r#""preview_url":"https://wp-pr-5.up.railway.app""#),
        "{kestra}"
    );
    assert!(!got.stdout.contains("rw-secret-token"));
}

#[tokio::test]
async fn a_failed_lifecycle_is_an_error_with_the_step_and_no_secret() {
    let scripted = Scripted::failing(
        "copy production data",
        Some("connecting with rw-secret-token failed"),
    );
    let got = run_scripted(
        base_env(&[("INPUT_OPERATION", "refresh"), ("INPUT_PR_NUMBER", "5")]),
        &scripted,
    )
    .await;
    assert_eq!(got.code, ExitCode::FAILURE);
    assert!(
        got.stdout
            .contains("::error title=wpstage refresh failed::connecting with *** failed")
    );
    assert!(!got.stdout.contains("rw-secret-token"));
}

#[tokio::test]
async fn reap_without_github_warns_that_only_the_ttl_applies() {
    let scripted = Scripted::default();
    let got = run_scripted(
        base_env(&[("INPUT_OPERATION", "reap"), ("INPUT_TTL", "3d")]),
        &scripted,
    )
    .await;
    assert_eq!(got.code, ExitCode::SUCCESS, "{}", got.stdout);
    assert!(got.stdout.contains("only environments older than `ttl`"));
    assert_eq!(
        scripted.calls(),
        [Call::Reap(seam::ReapRequest {
            max_age: std::time::Duration::from_secs(3 * 86_400),
            open_prs: None,
            dry_run: false,
        })]
    );
}

#[tokio::test]
async fn base_refresh_runs_without_a_pr_and_reports_the_snapshot() {
    let scripted = Scripted::default();
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let got = run_scripted(
        base_env(&[
            ("INPUT_OPERATION", "base-refresh"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ]),
        &scripted,
    )
    .await;
    assert_eq!(got.code, ExitCode::SUCCESS, "{}", got.stdout);
    assert_eq!(scripted.calls(), [Call::BaseRefresh]);
    let kestra = got
        .stdout
        .lines()
        .find(|l| l.starts_with(r#"::{"outputs":"#))
        .unwrap();
    assert!(kestra.contains(r#""operation":"base-refresh""#), "{kestra}");
    assert!(kestra.contains(r#""rows_copied":"1284517""#), "{kestra}");
    assert!(
        kestra.contains(r#""environment_name":"wpstage-base""#),
        "{kestra}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("`wpstage-base` now holds production as of 2026-11-27T03:00:12Z"));
    assert!(md.contains("fingerprint `8c1f0e2d4b6a7788`"), "{md}");

    let failing = Scripted::failing("copy", None);
    let got = run_scripted(base_env(&[("INPUT_OPERATION", "base-refresh")]), &failing).await;
    assert_eq!(got.code, ExitCode::FAILURE);
    assert!(
        got.stdout
            .contains("::error title=wpstage base refresh failed::")
    );
}
