//! `wpstage action` against the simulated GitHub ([`FakeGitHub`]): the sticky comment,
//! deployments, dispatch, forks, GitHub outages and secrets. Railway is stood in for by the
//! scripted lifecycle (`wpstage::action::scripted`, behind the `test-support` feature).

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wpstage::action::commands::Secrets;
use wpstage::action::scripted::{Call, Scripted};
use wpstage::action::{self, config::ActionConfig};
use wpstage::github::{self, GitHub, Written};

use crate::fake_github::{FakeGitHub, OWNER_REPO, PAGE_SIZE};

pub const SECRETS: [&str; 6] = [
    "rw-SECRET-1a2b",
    "gh-SECRET-3c4d",
    "postgres://wp:db-SECRET-5e6f@db.internal:5432/wordpress",
    "db-SECRET-5e6f",
    "anon-SECRET-7a8b",
    "stage-SECRET-9c0d",
];
const HEAD_SHA: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

pub fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/github/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The PR event payload with the base and head repository set to the test repository.
fn pr_event(action: &str) -> Value {
    let mut payload = fixture("pull_request.opened");
    payload["action"] = json!(action);
    payload["pull_request"]["head"]["repo"]["full_name"] = json!(OWNER_REPO);
    payload["pull_request"]["base"]["repo"]["full_name"] = json!(OWNER_REPO);
    if action == "closed" {
        payload["pull_request"]["state"] = json!("closed");
    }
    payload
}

pub struct Harness {
    pub gh: FakeGitHub,
    pub dir: tempfile::TempDir,
    pub scripted: Scripted,
}

pub struct Ran {
    pub code: ExitCode,
    pub stdout: String,
    pub masks: Vec<String>,
}

impl Harness {
    pub async fn new() -> Self {
        Self {
            gh: FakeGitHub::start().await,
            dir: tempfile::tempdir().unwrap(),
            scripted: Scripted::default(),
        }
    }

    pub fn env(&self, event: &str, payload: &Value) -> HashMap<String, String> {
        let event_path = self.dir.path().join("event.json");
        std::fs::write(&event_path, payload.to_string()).unwrap();
        let d = |name: &str| self.dir.path().join(name).display().to_string();
        [
            ("GITHUB_EVENT_NAME", event.to_owned()),
            ("GITHUB_EVENT_PATH", event_path.display().to_string()),
            ("GITHUB_REPOSITORY", OWNER_REPO.to_owned()),
            ("GITHUB_API_URL", self.gh.uri()),
            ("GITHUB_SERVER_URL", "https://github.com".to_owned()),
            ("GITHUB_RUN_ID", "4242".to_owned()),
            ("GITHUB_OUTPUT", d("output")),
            ("GITHUB_STEP_SUMMARY", d("summary")),
            ("INPUT_RAILWAY_TOKEN", SECRETS[0].to_owned()),
            ("INPUT_GITHUB_TOKEN", SECRETS[1].to_owned()),
            ("INPUT_SOURCE_DATABASE_URL", SECRETS[2].to_owned()),
            ("INPUT_ANONYMIZE_KEY", SECRETS[4].to_owned()),
            ("INPUT_STAGING_PASSWORD", SECRETS[5].to_owned()),
            ("INPUT_KEEP_USERS", "admin".to_owned()),
            ("INPUT_RAILWAY_PROJECT_ID", "proj-1".to_owned()),
            ("INPUT_PR_NUMBER", String::new()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    pub async fn run(&self, env: HashMap<String, String>) -> Ran {
        let masks = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&masks);
        let secrets = Secrets::new(Arc::new(move |l: &str| {
            sink.lock().unwrap().push(l.to_owned())
        }));
        let mut out = Vec::new();
        let lc = self.scripted.clone();
        let code = action::run_with(env, &mut out, secrets, move |_, _| Ok(lc))
            .await
            .unwrap();
        let masks = masks.lock().unwrap().clone();
        Ran {
            code,
            stdout: String::from_utf8(out).unwrap(),
            masks,
        }
    }

    pub fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    fn marker(&self) -> String {
        let env = self.env("pull_request", &json!({}));
        github::marker(&ActionConfig::from_env(&env).unwrap().instance_key())
    }

    fn ours(&self) -> Vec<Value> {
        let marker = self.marker();
        self.gh
            .comments()
            .into_iter()
            .filter(|c| c["body"].as_str().unwrap().starts_with(&marker))
            .collect()
    }
}

fn output(text: &str, name: &str) -> Option<String> {
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(delim) = line.strip_prefix(&format!("{name}<<")) {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delim).collect();
            return Some(value.join("\n"));
        }
    }
    None
}

#[tokio::test]
async fn opened_then_synchronize_keeps_exactly_one_comment_and_deploys_the_head_sha() {
    let h = Harness::new().await;
    let ran = h.run(h.env("pull_request", &pr_event("opened"))).await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.stdout);
    let ours = h.ours();
    assert_eq!(ours.len(), 1);
    let body = ours[0]["body"].as_str().unwrap();
    assert!(body.contains("Staging is ready for PR #2"), "{body}");
    assert!(body.contains("https://wp-pr-2.up.railway.app"), "{body}");
    let writes = h.gh.writes().await;
    let creates = writes
        .iter()
        .filter(|(m, p)| m == "POST" && p.ends_with("/issues/2/comments"));
    assert_eq!(creates.count(), 1, "{writes:?}");
    // The deployment: on the head SHA (not GITHUB_SHA), in_progress then success with URLs.
    let deployment =
        h.gh.requests()
            .await
            .into_iter()
            .find(|r| r.method.as_str() == "POST" && r.url.path().ends_with("/deployments"));
    let deployment: Value = deployment.unwrap().body_json().unwrap();
    assert_eq!(deployment["ref"], HEAD_SHA);
    assert_eq!(deployment["auto_merge"], false);
    assert_eq!(deployment["required_contexts"], json!([]));
    assert_eq!(deployment["transient_environment"], true);
    assert_eq!(deployment["production_environment"], false);
    assert_eq!(deployment["environment"], "wpstage-preview");
    let states: Vec<Value> = h.gh.statuses().into_iter().map(|(_, s)| s).collect();
    assert_eq!(states.len(), 2);
    assert_eq!(states[0]["state"], "in_progress");
    assert_eq!(states[1]["state"], "success");
    assert_eq!(
        states[1]["environment_url"],
        "https://wp-pr-2.up.railway.app"
    );
    assert_eq!(
        states[1]["log_url"],
        "https://github.com/octo-org/octo-repo/actions/runs/4242"
    );
    let outputs = h.file("output");
    assert_eq!(
        output(&outputs, "preview_url").as_deref(),
        Some("https://wp-pr-2.up.railway.app")
    );
    assert_eq!(output(&outputs, "operation").as_deref(), Some("up"));
    assert_eq!(
        output(&outputs, "comment_id"),
        Some(ours[0]["id"].to_string())
    );
    assert!(h.file("summary").contains("Staging is ready"));

    // synchronize: the same comment is edited, never a second one; the in_progress status keeps
    // the preview URL from the last run.
    let mut sync = pr_event("synchronize");
    sync["pull_request"]["head"]["sha"] = json!("1111111111111111111111111111111111111111");
    let ran = h.run(h.env("pull_request", &sync)).await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.stdout);
    assert_eq!(h.ours().len(), 1);
    assert!(h.ours()[0]["body"].as_str().unwrap().contains("`1111111`"));
    let writes = h.gh.writes().await;
    let creates = writes
        .iter()
        .filter(|(m, p)| m == "POST" && p.ends_with("/issues/2/comments"));
    assert_eq!(creates.count(), 1, "{writes:?}");
    assert!(writes.iter().any(|(m, _)| m == "PATCH"), "{writes:?}");
    let states: Vec<Value> = h.gh.statuses().into_iter().map(|(_, s)| s).collect();
    assert_eq!(states[2]["state"], "in_progress");
    assert_eq!(
        states[2]["environment_url"],
        "https://wp-pr-2.up.railway.app"
    );
    assert_eq!(
        h.scripted.calls().len(),
        2,
        "one up per run: {:?}",
        h.scripted.calls()
    );
}

#[tokio::test]
async fn the_marker_is_found_on_a_later_page() {
    let h = Harness::new().await;
    let marker = h.marker();
    for i in 0..PAGE_SIZE + 1 {
        h.gh.add_comment(2, &format!("review comment {i}"), "octocat");
    }
    // Another wpstage instance's comment must not be taken for ours.
    h.gh.add_comment(
        2,
        "<!-- wpstage:ffffffffffff -->\nother app",
        "github-actions[bot]",
    );
    let id =
        h.gh.add_comment(2, &format!("{marker}\nold body"), "github-actions[bot]");
    let ran = h.run(h.env("pull_request", &pr_event("synchronize"))).await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.stdout);
    let ours = h.ours();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0]["id"], id);
    let pages: Vec<String> =
        h.gh.requests()
            .await
            .into_iter()
            .filter(|r| r.method.as_str() == "GET" && r.url.path().ends_with("/comments"))
            .map(|r| r.url.query().unwrap_or_default().to_owned())
            .collect();
    assert!(pages.iter().any(|q| q.contains("page=3")), "{pages:?}");
    let writes = h.gh.writes().await;
    assert!(
        !writes
            .iter()
            .any(|(m, p)| m == "POST" && p.ends_with("/comments")),
        "{writes:?}"
    );
}

#[tokio::test]
async fn a_comment_with_our_marker_by_someone_else_is_never_edited() {
    let h = Harness::new().await;
    let marker = h.marker();
    // Anyone can paste the marker (e.g. quoting our comment): only the token's own comment is ours.
    let theirs =
        h.gh.add_comment(2, &format!("{marker}\nquoted by a reviewer"), "octocat");
    let ran = h.run(h.env("pull_request", &pr_event("synchronize"))).await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.stdout);
    let comments = h.gh.comments();
    let quoted = comments.iter().find(|c| c["id"] == theirs).unwrap();
    assert_eq!(quoted["body"], format!("{marker}\nquoted by a reviewer"));
    let ours: Vec<&Value> = comments
        .iter()
        .filter(|c| c["user"]["login"] == "github-actions[bot]")
        .collect();
    assert_eq!(ours.len(), 1, "{comments:?}");
    assert!(ours[0]["body"].as_str().unwrap().starts_with(&marker));
    let writes = h.gh.writes().await;
    assert!(
        !writes
            .iter()
            .any(|(_, p)| p.ends_with(&format!("/comments/{theirs}"))),
        "{writes:?}"
    );
}

#[tokio::test]
async fn an_unchanged_body_is_not_written_again() {
    let h = Harness::new().await;
    let token = secrecy::SecretString::from(SECRETS[1].to_owned());
    let (owner, repo) = OWNER_REPO.split_once('/').unwrap();
    let client = GitHub::new(&h.gh.uri(), &token, owner, repo).unwrap();
    let marker = github::marker("k1");
    let body = format!("{marker}\nhello");
    let (_, first) = client
        .upsert_comment(2, &marker, &body, true)
        .await
        .unwrap();
    let (_, second) = client
        .upsert_comment(2, &marker, &body, true)
        .await
        .unwrap();
    let (_, absent) = client
        .upsert_comment(3, &marker, &body, false)
        .await
        .unwrap();
    assert_eq!(
        (first, second, absent),
        (Written::Created, Written::Unchanged, Written::Absent)
    );
    assert_eq!(h.gh.writes().await.len(), 1);

    // The same holds for a whole run: closing twice edits the comment once.
    let ran = h.run(h.env("pull_request", &pr_event("closed"))).await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.stdout);
    let before = h.gh.writes().await.len();
    let ran = h.run(h.env("pull_request", &pr_event("closed"))).await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.stdout);
    assert!(
        ran.stdout.contains("PR comment: absent") || ran.stdout.contains("PR comment: unchanged")
    );
    assert_eq!(h.gh.writes().await.len(), before);
}

#[tokio::test]
async fn closed_merged_or_not_tears_down_and_deactivates_the_prs_deployments() {
    for merged in [false, true] {
        let h = Harness::new().await;
        let key = ActionConfig::from_env(&h.env("pull_request", &json!({})))
            .unwrap()
            .instance_key();
        h.gh.add_comment(2, &format!("{}\nready", h.marker()), "github-actions[bot]");
        h.gh.add_deployment(
            11,
            json!({"wpstage": {"pr": 2, "instance": key}}),
            "success",
        );
        h.gh.add_deployment(
            12,
            json!({"wpstage": {"pr": 2, "instance": key}}),
            "inactive",
        );
        h.gh.add_deployment(
            13,
            json!({"wpstage": {"pr": 7, "instance": key}}),
            "success",
        );
        h.gh.add_deployment(
            14,
            json!({"wpstage": {"pr": 2, "instance": "other"}}),
            "success",
        );
        let mut event = pr_event("closed");
        event["pull_request"]["merged"] = json!(merged);
        let ran = h.run(h.env("pull_request", &event)).await;
        assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.stdout);
        assert_eq!(h.scripted.calls(), [Call::Down(2)]);
        let body = h.ours()[0]["body"].as_str().unwrap().to_owned();
        assert!(body.contains("Staging removed"), "{body}");
        let posted: Vec<(u64, String)> =
            h.gh.statuses()
                .into_iter()
                .skip(4)
                .map(|(id, s)| (id, s["state"].as_str().unwrap().to_owned()))
                .collect();
        assert_eq!(posted, [(11, "inactive".to_owned())]);
        assert_eq!(
            output(&h.file("output"), "operation").as_deref(),
            Some("down")
        );
    }
}

#[tokio::test]
async fn a_fork_makes_no_github_call_and_no_railway_call() {
    let h = Harness::new().await;
    let mut event = pr_event("opened");
    event["pull_request"]["head"]["repo"]["full_name"] = json!("mallory/octo-repo");
    let ran = h.run(h.env("pull_request", &event)).await;
    assert_eq!(ran.code, ExitCode::SUCCESS);
    assert!(ran.stdout.contains("::notice"), "{}", ran.stdout);
    assert!(h.gh.requests().await.is_empty());
    assert!(h.scripted.calls().is_empty());
    assert_eq!(
        output(&h.file("output"), "operation").as_deref(),
        Some("skip")
    );
}

#[tokio::test]
async fn a_github_outage_on_the_comment_is_reported_and_the_next_run_repairs_it() {
    let h = Harness::new().await;
    h.gh.state.comments_down.store(true, Ordering::SeqCst);
    let ran = h.run(h.env("pull_request", &pr_event("opened"))).await;
    assert_eq!(ran.code, ExitCode::FAILURE);
    assert!(
        ran.stdout.contains(
            "::error title=wpstage%3A GitHub API::GitHub API: creating the PR comment failed (502"
        ),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("the staging environment is fine"),
        "{}",
        ran.stdout
    );
    // The outcome stands: Railway ran once, outputs and the deployment say so.
    assert_eq!(h.scripted.calls().len(), 1);
    assert_eq!(
        output(&h.file("output"), "preview_url").as_deref(),
        Some("https://wp-pr-2.up.railway.app")
    );
    assert_eq!(h.gh.statuses().last().unwrap().1["state"], "success");
    assert!(h.ours().is_empty());

    h.gh.state.comments_down.store(false, Ordering::SeqCst);
    let ran = h.run(h.env("pull_request", &pr_event("synchronize"))).await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.stdout);
    assert_eq!(h.ours().len(), 1);
    assert!(
        h.ours()[0]["body"]
            .as_str()
            .unwrap()
            .contains("Staging is ready")
    );
}

fn pull(state: &str) -> Value {
    let mut pr = pr_event("opened")["pull_request"].clone();
    pr["state"] = json!(state);
    pr
}

#[tokio::test]
async fn dispatch_refreshes_an_open_pr_and_refuses_a_closed_one() {
    let h = Harness::new().await;
    h.gh.add_pull(pull("open"));
    let mut dispatch = fixture("workflow_dispatch");
    dispatch["inputs"] = json!({"pr_number": "2"});
    let ran = h.run(h.env("workflow_dispatch", &dispatch)).await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.stdout);
    assert_eq!(h.scripted.calls(), [Call::Refresh(2)]);
    assert!(
        h.ours()[0]["body"]
            .as_str()
            .unwrap()
            .contains("Staging data refreshed")
    );
    assert!(
        !h.gh
            .writes()
            .await
            .iter()
            .any(|(_, p)| p.ends_with("/deployments"))
    );

    let h = Harness::new().await;
    h.gh.add_pull(pull("closed"));
    let ran = h.run(h.env("workflow_dispatch", &dispatch)).await;
    assert_eq!(ran.code, ExitCode::FAILURE);
    assert!(ran.stdout.contains("PR #2 is closed"), "{}", ran.stdout);
    assert!(h.scripted.calls().is_empty());
    assert!(h.gh.writes().await.is_empty());
}

#[tokio::test]
async fn a_failed_up_marks_the_comment_and_the_deployment_failed() {
    let mut h = Harness::new().await;
    h.scripted = Scripted::failing("copy production data", Some("boom"));
    let ran = h.run(h.env("pull_request", &pr_event("opened"))).await;
    assert_eq!(ran.code, ExitCode::FAILURE);
    assert!(
        ran.stdout.contains("::error title=wpstage up failed::boom"),
        "{}",
        ran.stdout
    );
    let body = h.ours()[0]["body"].as_str().unwrap().to_owned();
    assert!(body.contains("**copy production data**"), "{body}");
    let last = h.gh.statuses().last().unwrap().1.clone();
    assert_eq!(last["state"], "failure");
    assert_eq!(
        last["log_url"],
        "https://github.com/octo-org/octo-repo/actions/runs/4242"
    );
}

#[tokio::test]
async fn scheduled_reap_passes_the_open_prs_and_the_ttl() {
    let h = Harness::new().await;
    h.gh.add_pull(pull("open"));
    let mut env = h.env("schedule", &json!({"schedule": "17 3 * * *"}));
    env.insert("INPUT_TTL".to_owned(), "2d".to_owned());
    let ran = h.run(env).await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.stdout);
    match &h.scripted.calls()[..] {
        [Call::Reap(req)] => {
            assert_eq!(req.open_prs, Some(vec![2]));
            assert_eq!(req.max_age, std::time::Duration::from_secs(2 * 86_400));
        }
        other => panic!("{other:?}"),
    }
    assert!(h.file("summary").contains("`pr-3`"));
    assert!(h.gh.writes().await.is_empty());
}
