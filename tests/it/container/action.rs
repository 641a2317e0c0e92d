//! The image as a GitHub Action: fork skip, `up` with a data copy, `refresh`, `down`, a failing
//! `up`, and a non-root container facing a workspace owned by someone else.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::runner::{Job, input_variable};
use super::{Docker, Finished, RunSpec, chown};
use crate::action_e2e::{E2e, GITHUB_TOKEN, event, output};
use crate::lifecycle_railway::{emails, site_urls};
use crate::support::clusters;

/// A GitHub job around the simulated Railway and GitHub: the caller's `with:` and the context.
struct Rig {
    e: E2e,
    docker: Docker,
    job: Job,
}

impl Rig {
    async fn start() -> Rig {
        Rig {
            e: E2e::start().await,
            docker: Docker::from_env(),
            job: Job::new(),
        }
    }

    /// The step for `event_name`: the inputs the in-process end-to-end tests use, except
    /// `github_token`, left to its action.yml default (`${{ github.token }}`).
    fn step(&mut self, event_name: &str, payload: &Value, extra: &[(&str, &str)]) -> RunSpec {
        let env = self.e.env(event_name, payload);
        let mut with = BTreeMap::new();
        let mut context = BTreeMap::new();
        for (k, v) in env {
            if let Some(name) = k.strip_prefix("INPUT_") {
                if name != "GITHUB_TOKEN" {
                    with.insert(name.to_lowercase(), v);
                }
            } else if !matches!(
                k.as_str(),
                "GITHUB_EVENT_PATH" | "GITHUB_OUTPUT" | "GITHUB_STEP_SUMMARY"
            ) {
                context.insert(k, v);
            }
        }
        context.insert("GITHUB_TOKEN".to_owned(), GITHUB_TOKEN.to_owned());
        for (k, v) in extra {
            with.insert((*k).to_owned(), (*v).to_owned());
        }
        self.job.step(&context, &with, payload)
    }

    async fn run(&mut self, event_name: &str, payload: &Value) -> Finished {
        let spec = self.step(event_name, payload, &[]);
        self.docker.run(&spec).await
    }

    fn outputs(&self) -> String {
        self.job.file("set_output")
    }

    fn ours(&self) -> Vec<Value> {
        self.e.ours()
    }
}

/// Secrets a run may know: the inputs and the database passwords the simulated Railway hands out.
fn secrets(r: &Rig) -> Vec<(&'static str, String)> {
    vec![
        (
            "Railway token",
            crate::railway_sim::ACCOUNT_TOKEN.to_owned(),
        ),
        ("GitHub token", GITHUB_TOKEN.to_owned()),
        ("anonymize key", crate::action_e2e::ANONYMIZE_KEY.to_owned()),
        (
            "production database password",
            r.e.rig.prod.password().unwrap(),
        ),
        (
            "staging database password",
            clusters().staging.url("x").password().unwrap(),
        ),
    ]
}

/// No secret in the container's stdout except on an `::add-mask::` line that comes before any
/// other line holding it, none on stderr, in the outputs, the summary or what GitHub received.
async fn assert_masked(r: &Rig, ran: &Finished) {
    let all = secrets(r);
    for (name, secret) in &all {
        let first = ran.stdout.lines().find(|l| l.contains(secret.as_str()));
        if let Some(first) = first {
            assert!(
                first.starts_with("::add-mask::"),
                "the {name} was printed before its mask: {first}"
            );
        }
        for line in ran.stdout.lines() {
            assert!(
                !line.contains(secret.as_str()) || line.starts_with("::add-mask::"),
                "stdout leaks the {name}: {line}"
            );
        }
        for (what, text) in [
            ("stderr", ran.stderr.clone()),
            ("$GITHUB_OUTPUT", r.outputs()),
            ("step summary", r.job.file("step_summary")),
            ("requests to GitHub", r.e.gh.transcript().await),
        ] {
            assert!(!text.contains(secret.as_str()), "{what} leaks the {name}");
        }
    }
    // The inputs are masked in every run that reads them.
    for (name, secret) in &all[..3] {
        assert!(
            ran.stdout
                .lines()
                .any(|l| l == format!("::add-mask::{secret}")),
            "the {name} input was not masked\n{}",
            ran.both()
        );
    }
}

#[tokio::test]
#[ignore = "needs docker and the image: run .ci/image"]
async fn container_skips_a_fork_pr_with_a_notice_and_passes_dashed_inputs() {
    let mut r = Rig::start().await;
    let mut opened = event("pull_request.opened");
    opened["pull_request"]["head"]["repo"]["full_name"] = json!("mallory/octo-repo");
    let spec = r.step("pull_request", &opened, &[]);
    let ran = r.docker.run(&spec).await;
    assert_eq!(ran.code, Some(0), "{}", ran.both());
    assert!(ran.stdout.contains("::notice"), "{}", ran.both());
    assert_eq!(output(&r.outputs(), "operation").as_deref(), Some("skip"));
    assert!(r.e.rig.sim.requests().is_empty());
    assert!(r.e.gh.writes().await.is_empty());
    assert_masked(&r, &ran).await;

    // The container receives every declared input, empty ones included, and an input with a
    // dash under its dashed name, as the runner passes an undeclared `with:` key (after a
    // warning). Whether wpstage accepts such a key is the config's concern (issue 10, item 12).
    let spec = r.step("pull_request", &opened, &[("extra-option", "dashed")]);
    assert_eq!(spec.env[&input_variable("extra-option")], "dashed");
    let env = r
        .docker
        .run(&RunSpec {
            entrypoint: Some("/usr/bin/env".to_owned()),
            args: vec![],
            ..spec
        })
        .await;
    assert_eq!(env.code, Some(0), "{}", env.both());
    assert!(env.stdout.lines().any(|l| l == "INPUT_EXTRA-OPTION=dashed"));
    assert!(env.stdout.lines().any(|l| l == "INPUT_HEAD_SHA="));
    assert!(
        env.stdout
            .lines()
            .any(|l| l == format!("INPUT_GITHUB_TOKEN={GITHUB_TOKEN}")),
        "github_token's default `${{{{ github.token }}}}` was not applied"
    );
}

#[tokio::test]
#[ignore = "needs docker and the image: run .ci/image"]
async fn container_up_copies_data_then_refresh_and_down_as_on_a_runner() {
    let mut r = Rig::start().await;
    // up (opened): environment created, data copied, outputs, summary, sticky comment.
    let ran = r.run("pull_request", &event("pull_request.opened")).await;
    assert_eq!(ran.code, Some(0), "{}", ran.both());
    let outputs = r.outputs();
    let preview = output(&outputs, "preview_url").unwrap();
    assert!(preview.ends_with(".up.railway.app"), "{preview}");
    assert_eq!(output(&outputs, "operation").as_deref(), Some("up"));
    assert_eq!(output(&outputs, "created").as_deref(), Some("true"));
    assert_eq!(
        output(&outputs, "environment_id"),
        r.e.rig.sim.env_id("pr-2")
    );
    let rows: u64 = output(&outputs, "rows_copied").unwrap().parse().unwrap();
    assert!(rows > 500, "{rows}");
    assert_eq!(site_urls(&r.e.staging_db()).await, vec![preview.clone(); 2]);
    let staging_emails = emails(&r.e.staging_db()).await;
    assert!(staging_emails.is_disjoint(&emails(&r.e.rig.prod).await));
    assert!(r.job.file("step_summary").contains(&preview));
    let ours = r.ours();
    assert_eq!(ours.len(), 1);
    let body = ours[0]["body"].as_str().unwrap();
    assert!(body.contains("Staging is ready for PR #2") && body.contains(&preview));
    assert_eq!(r.e.states(), ["in_progress", "success"]);
    assert_masked(&r, &ran).await;

    // refresh (workflow_dispatch): the data copied again over a staging-only table.
    r.e.mark_staging().await;
    r.e.gh
        .add_pull(event("pull_request.opened")["pull_request"].clone());
    let mut dispatch = event("workflow_dispatch");
    dispatch["inputs"] = json!({"pr_number": "2"});
    let ran = r.run("workflow_dispatch", &dispatch).await;
    assert_eq!(ran.code, Some(0), "{}", ran.both());
    assert!(
        !r.e.marker_survives().await,
        "refresh did not copy the data"
    );
    assert_eq!(
        output(&r.outputs(), "operation").as_deref(),
        Some("refresh")
    );
    assert_eq!(r.ours().len(), 1);
    assert!(
        r.ours()[0]["body"]
            .as_str()
            .unwrap()
            .contains("Staging data refreshed")
    );
    assert_masked(&r, &ran).await;

    // down (closed): the environment deleted, the comment edited, the deployment inactive.
    let ran = r.run("pull_request", &event("pull_request.closed")).await;
    assert_eq!(ran.code, Some(0), "{}", ran.both());
    assert_eq!(r.e.rig.sim.env_id("pr-2"), None);
    assert_eq!(output(&r.outputs(), "operation").as_deref(), Some("down"));
    assert_eq!(r.ours().len(), 1);
    assert!(
        r.ours()[0]["body"]
            .as_str()
            .unwrap()
            .contains("Staging removed")
    );
    assert_eq!(r.e.states().last().map(String::as_str), Some("inactive"));
    assert!(!r.job.file("step_summary").is_empty());
    assert_masked(&r, &ran).await;
}

#[tokio::test]
#[ignore = "needs docker and the image: run .ci/image"]
async fn container_failing_up_exits_non_zero_reports_and_rolls_back() {
    let mut r = Rig::start().await;
    r.e.rig.sim.set_deploy_outcome("wordpress", "FAILED");
    let ran = r.run("pull_request", &event("pull_request.opened")).await;
    assert_eq!(ran.code, Some(1), "{}", ran.both());
    assert!(ran.stdout.contains("::error"), "{}", ran.both());
    assert!(!ran.both().contains("panicked"), "{}", ran.both());
    // It got as far as the deploy; what this run created is gone again; the comment and the
    // deployment say it failed.
    assert_eq!(r.e.rig.sim.count("CreateEnvironment"), 1, "{}", ran.both());
    assert!(r.e.rig.sim.count("DeployServiceInstance") >= 1);
    assert_eq!(r.e.rig.sim.env_id("pr-2"), None);
    let ours = r.ours();
    assert_eq!(ours.len(), 1);
    let body = ours[0]["body"].as_str().unwrap();
    assert!(body.contains("Staging failed for PR #2"), "{body}");
    assert_eq!(r.e.states().last().map(String::as_str), Some("failure"));
    assert!(!r.job.file("step_summary").is_empty());
    assert_masked(&r, &ran).await;
}

#[tokio::test]
#[ignore = "needs docker and the image: run .ci/image"]
async fn container_as_a_non_root_user_on_a_foreign_workspace_says_what_to_do() {
    let mut r = Rig::start().await;
    // As on a self-hosted runner whose files belong to the runner's user (here uid 4321) while
    // the container runs as another non-root uid: the file commands are not writable.
    let spec = r.step("pull_request", &event("pull_request.opened"), &[]);
    for dir in ["home", "workflow", "file_commands", "workspace"] {
        let path = r.job.dir(dir);
        for entry in std::fs::read_dir(&path).unwrap() {
            chown(&entry.unwrap().path(), 4321, 4321);
        }
        chown(&path, 4321, 4321);
    }
    let ran = r
        .docker
        .run(&RunSpec {
            user: Some("1234:1234".to_owned()),
            ..spec
        })
        .await;
    let both = ran.both();
    assert_eq!(ran.code, Some(1), "{both}");
    assert!(!both.contains("panicked"), "{both}");
    assert!(both.contains("GITHUB_OUTPUT"), "{both}");
    assert!(both.contains("uid 1234"), "{both}");
    assert!(both.contains("root"), "{both}");
    // Refused before touching anything: no Railway call, no GitHub write.
    assert!(
        r.e.rig.sim.requests().is_empty(),
        "{:?}",
        r.e.rig.sim.operations()
    );
    assert!(r.e.gh.writes().await.is_empty());
}
