//! `wpstage action` with the real lifecycle (`action::wire::connect`), end to end: the simulated
//! Railway API (reached through `WPSTAGE_RAILWAY_ENDPOINT`), the simulated GitHub and real
//! PostgreSQL. Each fixture event of tests/fixtures/github/ is run against the test repository.

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wpstage::action::commands::Secrets;
use wpstage::action::{self, config::ActionConfig};
use wpstage::github;
use wpstage::postgres::DbUrl;

use crate::action_github::fixture;
use crate::fake_github::{FakeGitHub, OWNER_REPO};
use crate::lifecycle_railway::{Rig, emails, site_urls};
use crate::railway_sim::{ACCOUNT_TOKEN, SimOptions};
use crate::support::client;

pub const GITHUB_TOKEN: &str = "gh-E2E-SECRET-3c4d";
pub const ANONYMIZE_KEY: &str = "anon-E2E-SECRET-7a8b";
pub const STAGING_PASSWORD: &str = "stage-E2E-SECRET-9c0d";
pub const HEAD_SHA: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

/// Stdout and the mask sink, interleaved in the order they were written (as on a runner, where
/// both go to the process' stdout).
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

pub struct Ran {
    pub code: ExitCode,
    /// Stdout and mask commands, in order.
    pub log: String,
    /// Each `::add-mask::` line with the number of simulated Railway requests made before it.
    pub masks: Vec<(String, usize)>,
}

pub struct E2e {
    pub rig: Rig,
    pub gh: FakeGitHub,
    pub dir: tempfile::TempDir,
}

/// A fixture event, moved to the test repository.
pub fn event(name: &str) -> Value {
    let mut payload = fixture(name);
    if payload.get("pull_request").is_some() {
        payload["pull_request"]["head"]["repo"]["full_name"] = json!(OWNER_REPO);
        payload["pull_request"]["base"]["repo"]["full_name"] = json!(OWNER_REPO);
    }
    payload
}

impl E2e {
    pub async fn start() -> E2e {
        E2e {
            rig: Rig::start(SimOptions {
                instant_deploys: true,
                ..SimOptions::default()
            })
            .await,
            gh: FakeGitHub::start().await,
            dir: tempfile::tempdir().unwrap(),
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
            (
                "GITHUB_SHA",
                "ffffffffffffffffffffffffffffffffffffffff".to_owned(),
            ),
            ("INPUT_RAILWAY_TOKEN", ACCOUNT_TOKEN.to_owned()),
            ("INPUT_RAILWAY_PROJECT_ID", self.rig.seed.project_id.clone()),
            ("INPUT_GITHUB_TOKEN", GITHUB_TOKEN.to_owned()),
            ("INPUT_ANONYMIZE_KEY", ANONYMIZE_KEY.to_owned()),
            ("INPUT_SOURCE_DATABASE_URL", String::new()),
            ("INPUT_DEPLOY_TIMEOUT", "30s".to_owned()),
            (
                "WPSTAGE_RAILWAY_ENDPOINT",
                self.rig.sim.endpoint.to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    pub async fn run(&self, env: HashMap<String, String>) -> Ran {
        let log = Log::default();
        let masks = Arc::new(Mutex::new(Vec::new()));
        let (sink_log, sink_masks) = (log.clone(), Arc::clone(&masks));
        let counter = self.rig.sim.request_counter();
        let secrets = Secrets::new(Arc::new(move |line: &str| {
            writeln!(sink_log.clone(), "{line}").unwrap();
            sink_masks
                .lock()
                .unwrap()
                .push((line.to_owned(), counter()));
        }));
        let mut out = log.clone();
        let code = action::run_with(env, &mut out, secrets, action::wire::connect)
            .await
            .unwrap();
        let masks = masks.lock().unwrap().clone();
        Ran {
            code,
            log: log.text(),
            masks,
        }
    }

    pub fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    /// wpstage's sticky comments on PR 2.
    pub fn ours(&self) -> Vec<Value> {
        let env = self.env("pull_request", &json!({}));
        let marker = github::marker(&ActionConfig::from_env(&env).unwrap().instance_key());
        self.gh
            .comments()
            .into_iter()
            .filter(|c| c["body"].as_str().unwrap().starts_with(&marker))
            .collect()
    }

    pub fn staging_db(&self) -> DbUrl {
        self.rig.sim.database("pr-2").expect("pr-2 has a database")
    }

    /// Adds a table to staging that only a data copy would remove.
    pub async fn mark_staging(&self) {
        client(&self.staging_db())
            .await
            .batch_execute("CREATE TABLE staging_marker (x int)")
            .await
            .unwrap();
    }

    pub async fn marker_survives(&self) -> bool {
        client(&self.staging_db())
            .await
            .query_opt(
                "SELECT 1 FROM pg_class WHERE relname = 'staging_marker' AND relkind = 'r'",
                &[],
            )
            .await
            .unwrap()
            .is_some()
    }

    pub fn states(&self) -> Vec<String> {
        self.gh
            .statuses()
            .into_iter()
            .map(|(_, s)| s["state"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// The value of output `name` as last written to `$GITHUB_OUTPUT` (runs append).
pub fn output(text: &str, name: &str) -> Option<String> {
    let mut lines = text.lines();
    let mut last = None;
    while let Some(line) = lines.next() {
        if let Some(delim) = line.strip_prefix(&format!("{name}<<")) {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delim).collect();
            last = Some(value.join("\n"));
        }
    }
    last
}

async fn comment_posts(e: &E2e) -> usize {
    e.gh.writes()
        .await
        .iter()
        .filter(|(m, p)| m == "POST" && p.ends_with("/issues/2/comments"))
        .count()
}

#[tokio::test]
async fn opened_synchronize_reopened_closed_and_dispatch_run_the_real_lifecycle() {
    let e = E2e::start().await;
    // opened: environment up, data copied, one "ready" comment, deployment success.
    let ran = e
        .run(e.env("pull_request", &event("pull_request.opened")))
        .await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.log);
    let env_id = e.rig.sim.env_id("pr-2").expect("pr-2 was created");
    let outputs = e.file("output");
    let preview = output(&outputs, "preview_url").unwrap();
    assert!(preview.ends_with(".up.railway.app"), "{preview}");
    assert_eq!(output(&outputs, "environment_id"), Some(env_id.clone()));
    assert_eq!(output(&outputs, "created").as_deref(), Some("true"));
    let rows: u64 = output(&outputs, "rows_copied").unwrap().parse().unwrap();
    assert!(rows > 500, "{rows}");
    assert_eq!(site_urls(&e.staging_db()).await, vec![preview.clone(); 2]);
    assert!(
        emails(&e.staging_db())
            .await
            .is_disjoint(&emails(&e.rig.prod).await)
    );
    let ours = e.ours();
    assert_eq!(ours.len(), 1);
    let body = ours[0]["body"].as_str().unwrap();
    assert!(
        body.contains("Staging is ready for PR #2") && body.contains(&preview),
        "{body}"
    );
    assert_eq!(e.states(), ["in_progress", "success"]);
    assert_eq!(e.gh.statuses()[1].1["environment_url"], preview);
    let deploy = e
        .rig
        .sim
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.operation == "DeployServiceInstance")
        .unwrap();
    assert_eq!(
        deploy.variables["commitSha"], HEAD_SHA,
        "the head SHA, not GITHUB_SHA"
    );

    // synchronize: the same comment edited, the new head deployed, the data kept.
    e.mark_staging().await;
    let mut sync = event("pull_request.synchronize");
    sync["pull_request"]["head"]["sha"] = json!("2222222222222222222222222222222222222222");
    let ran = e.run(e.env("pull_request", &sync)).await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.log);
    assert_eq!(e.ours().len(), 1);
    assert_eq!(e.ours()[0]["id"], ours[0]["id"]);
    assert!(e.ours()[0]["body"].as_str().unwrap().contains("`2222222`"));
    assert_eq!(comment_posts(&e).await, 1, "a second comment was created");
    assert!(
        e.marker_survives().await,
        "synchronize copied the data again"
    );
    assert_eq!(e.rig.sim.count("CreateEnvironment"), 1);
    assert_eq!(e.rig.sim.env_id("pr-2").as_deref(), Some(env_id.as_str()));
    let deploy = e
        .rig
        .sim
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.operation == "DeployServiceInstance")
        .unwrap();
    assert_eq!(
        deploy.variables["commitSha"],
        "2222222222222222222222222222222222222222"
    );
    assert_eq!(
        output(&e.file("output"), "created").as_deref(),
        Some("false")
    );

    // reopened (the environment is still there): reused, data kept.
    let ran = e
        .run(e.env("pull_request", &event("pull_request.reopened")))
        .await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.log);
    assert!(e.marker_survives().await);
    assert_eq!(e.ours().len(), 1);

    // workflow_dispatch with pr_number: production copied again, the marker gone.
    e.gh.add_pull(event("pull_request.opened")["pull_request"].clone());
    let mut dispatch = event("workflow_dispatch");
    dispatch["inputs"] = json!({"pr_number": "2"});
    let ran = e.run(e.env("workflow_dispatch", &dispatch)).await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.log);
    assert!(
        !e.marker_survives().await,
        "dispatch did not refresh the data"
    );
    assert_eq!(site_urls(&e.staging_db()).await, vec![preview.clone(); 2]);
    assert!(
        e.ours()[0]["body"]
            .as_str()
            .unwrap()
            .contains("Staging data refreshed")
    );
    assert_eq!(
        output(&e.file("output"), "operation").as_deref(),
        Some("refresh")
    );

    // closed: the environment deleted, the comment says so, the deployment inactive.
    let ran = e
        .run(e.env("pull_request", &event("pull_request.closed")))
        .await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.log);
    assert_eq!(e.rig.sim.env_id("pr-2"), None);
    assert_eq!(e.ours().len(), 1);
    assert!(
        e.ours()[0]["body"]
            .as_str()
            .unwrap()
            .contains("Staging removed")
    );
    assert_eq!(e.states().last().map(String::as_str), Some("inactive"));
    assert_eq!(
        output(&e.file("output"), "operation").as_deref(),
        Some("down")
    );
    assert_eq!(comment_posts(&e).await, 1);
}

#[tokio::test]
async fn closed_merged_tears_down_and_a_second_close_is_a_no_op() {
    let e = E2e::start().await;
    let ran = e
        .run(e.env("pull_request", &event("pull_request.opened")))
        .await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.log);
    let mut closed = event("pull_request.closed");
    closed["pull_request"]["merged"] = json!(true);
    let ran = e.run(e.env("pull_request", &closed)).await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.log);
    assert_eq!(e.rig.sim.env_id("pr-2"), None);
    assert!(
        e.ours()[0]["body"]
            .as_str()
            .unwrap()
            .contains("Staging removed")
    );
    assert_eq!(e.states(), ["in_progress", "success", "inactive"]);
    // Rerun of the close (e.g. the cleanup workflow re-run): already gone is success.
    let writes = e.gh.writes().await.len();
    let ran = e.run(e.env("pull_request", &closed)).await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.log);
    assert_eq!(e.rig.sim.count("DeleteEnvironment"), 1);
    let after = e.gh.writes().await;
    assert_eq!(
        after.len(),
        writes,
        "nothing left to write: {:?}\n{:#?}",
        &after[writes..],
        e.ours()
    );
}

#[tokio::test]
async fn a_fork_makes_no_railway_request_and_no_github_write() {
    let e = E2e::start().await;
    let mut opened = event("pull_request.opened");
    opened["pull_request"]["head"]["repo"]["full_name"] = json!("mallory/octo-repo");
    let ran = e.run(e.env("pull_request", &opened)).await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.log);
    assert!(ran.log.contains("::notice"), "{}", ran.log);
    assert!(
        e.rig.sim.requests().is_empty(),
        "{:?}",
        e.rig.sim.operations()
    );
    assert!(e.gh.writes().await.is_empty());
    assert_eq!(
        output(&e.file("output"), "operation").as_deref(),
        Some("skip")
    );
}

#[tokio::test]
async fn a_github_outage_leaves_the_environment_up_and_the_rerun_repairs_the_comment() {
    let e = E2e::start().await;
    e.gh.state.comments_down.store(true, Ordering::SeqCst);
    let ran = e
        .run(e.env("pull_request", &event("pull_request.opened")))
        .await;
    assert_eq!(ran.code, ExitCode::FAILURE, "{}", ran.log);
    assert!(
        ran.log.contains("::error title=wpstage%3A GitHub API::"),
        "{}",
        ran.log
    );
    // The outcome stands: the environment is up with its data, the deployment succeeded.
    assert!(e.rig.sim.env_id("pr-2").is_some());
    let preview = output(&e.file("output"), "preview_url").unwrap();
    assert_eq!(site_urls(&e.staging_db()).await, vec![preview; 2]);
    assert_eq!(e.states().last().map(String::as_str), Some("success"));
    assert!(e.ours().is_empty());

    e.gh.state.comments_down.store(false, Ordering::SeqCst);
    e.mark_staging().await;
    let ran = e
        .run(e.env("pull_request", &event("pull_request.synchronize")))
        .await;
    assert_eq!(ran.code, ExitCode::SUCCESS, "{}", ran.log);
    assert_eq!(e.ours().len(), 1);
    assert!(
        e.ours()[0]["body"]
            .as_str()
            .unwrap()
            .contains("Staging is ready")
    );
    assert!(
        e.marker_survives().await,
        "the repair copied the data again"
    );
    assert_eq!(e.rig.sim.count("CreateEnvironment"), 1);
}
