//! Opt-in live check against a real Railway project, for maintainers with an account.
//!
//! Needs `WPSTAGE_LIVE_RAILWAY_TOKEN` (account or workspace token), `WPSTAGE_LIVE_RAILWAY_PROJECT`
//! (a throwaway project whose `production` environment runs WordPress and PostgreSQL with a TCP
//! proxy) and `WPSTAGE_LIVE_SHA` (a commit of the app's repository). Run it with
//! `cargo test --test live -- --ignored`; it is ignored otherwise and never runs in CI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("the live check needs {name}; see the file's doc comment"))
}

fn wpstage(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_wpstage"))
        .args(args)
        .args(["--platform", "railway", "--report", "json"])
        .env("RAILWAY_API_TOKEN", env("WPSTAGE_LIVE_RAILWAY_TOKEN"))
        .env("RAILWAY_PROJECT_ID", env("WPSTAGE_LIVE_RAILWAY_PROJECT"))
        .env_remove("WPSTAGE_RAILWAY_ENDPOINT")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "wpstage {args:?} failed:\n{stderr}");
    assert!(
        !stderr.contains(&env("WPSTAGE_LIVE_RAILWAY_TOKEN")),
        "the token leaked"
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[ignore = "live Railway check: needs an account (see the file's doc comment)"]
fn up_and_down_on_a_real_railway_project() {
    let sha = env("WPSTAGE_LIVE_SHA");
    let up = wpstage(&["up", "--pr", "999999", "--sha", &sha]);
    assert_eq!(up["created"], true, "{up}");
    let preview = up["preview_url"].as_str().unwrap();
    assert!(preview.starts_with("https://"), "{up}");
    assert!(up["data"]["rows"].as_u64().unwrap() > 0, "{up}");
    let down = wpstage(&["down", "--pr", "999999"]);
    assert_eq!(down["deleted"], true, "{down}");
}
