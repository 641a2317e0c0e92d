//! No secret value leaves the action except inside `::add-mask::` commands, which come first.
//! Every byte is captured: stdout (workflow commands), the mask sink, `$GITHUB_OUTPUT`, the step
//! summary, every request body sent to (simulated) GitHub, and, for the real binary, stderr.

use std::process::{Command, ExitCode};

use serde_json::json;
use wpstage::action::scripted::Scripted;

use crate::action_github::{Harness, SECRETS, fixture};
use crate::fake_github::OWNER_REPO;

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        for line in text.lines() {
            assert!(
                !line.contains(secret) || line.starts_with("::add-mask::"),
                "{what} leaks {secret:?}: {line}"
            );
        }
    }
}

#[tokio::test]
async fn no_secret_in_stdout_outputs_summary_or_anything_sent_to_github() {
    let mut payload = fixture("pull_request.opened");
    payload["pull_request"]["head"]["repo"]["full_name"] = json!(OWNER_REPO);
    payload["pull_request"]["base"]["repo"]["full_name"] = json!(OWNER_REPO);
    // A success, then a failure whose error text quotes secrets (as a careless error might).
    for failing in [false, true] {
        let mut h = Harness::new().await;
        if failing {
            let leak = format!("could not connect to {} with {}", SECRETS[2], SECRETS[0]);
            h.scripted = Scripted::failing("copy production data", Some(&leak));
        }
        let ran = h.run(h.env("pull_request", &payload)).await;
        let expected = if failing {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
        assert_eq!(ran.code, expected, "{}", ran.stdout);
        // Every secret was masked before anything was printed.
        for secret in SECRETS {
            assert!(
                ran.masks
                    .iter()
                    .any(|m| m == &format!("::add-mask::{secret}")),
                "{secret} not masked: {:?}",
                ran.masks
            );
        }
        assert_clean("stdout", &ran.stdout);
        assert_clean("$GITHUB_OUTPUT", &h.file("output"));
        assert_clean("step summary", &h.file("summary"));
        let sent = h.gh.transcript().await;
        assert!(sent.contains("/issues/2/comments"), "{sent}");
        assert_clean("requests to GitHub", &sent);
        assert!(!h.file("summary").is_empty());
    }
}

/// The real binary, as the container runs it: everything on stdout and stderr is captured.
/// The lifecycle is not wired in this build, so the run stops at building it; the dispatch run
/// reads the PR from the simulated GitHub first.
#[tokio::test]
async fn the_binary_masks_first_and_prints_no_secret_on_stdout_or_stderr() {
    let h = Harness::new().await;
    let mut pr = fixture("pull_request.opened")["pull_request"].clone();
    pr["state"] = json!("closed");
    h.gh.add_pull(pr);
    let mut dispatch = fixture("workflow_dispatch");
    dispatch["inputs"] = json!({"pr_number": "2"});
    for (event, payload) in [
        ("workflow_dispatch", dispatch),
        ("pull_request", fixture("pull_request.opened")),
    ] {
        let env = h.env(event, &payload);
        let out = Command::new(env!("CARGO_BIN_EXE_wpstage"))
            .arg("action")
            .env_clear()
            .envs(env)
            .env("RUST_LOG", "debug")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
        assert!(stdout.contains("::error"), "{stdout}");
        let first_other = stdout
            .lines()
            .position(|l| !l.starts_with("::add-mask::"))
            .unwrap();
        assert!(
            first_other >= SECRETS.len(),
            "masks must come first:\n{stdout}"
        );
        assert_clean("binary stdout", &stdout);
        assert_clean("binary stderr", &stderr);
    }
    assert_clean("requests to GitHub", &h.gh.transcript().await);
}
