//! Bad flags are usage errors (exit 2) that say why, found by running the binary; `--help` shows
//! what the flags mean.

use std::process::{Command, Output};

fn wpstage(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wpstage"))
        .args(args)
        .env_remove("RAILWAY_PROJECT_ID")
        .env_remove("WPSTAGE_PG_DUMP")
        .env_remove("WPSTAGE_STAGING_PASSWORD")
        .env_remove("RAILWAY_API_TOKEN")
        .output()
        .expect("run wpstage")
}

fn usage_error(args: &[&str], why: &str) {
    let out = wpstage(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.contains(why),
        "{args:?} should say {why:?}: {stderr}"
    );
}

const LOCAL: [&str; 5] = [
    "--platform",
    "local",
    "--server",
    "postgres://u@127.0.0.1:1/x",
    "--source-database-url=postgres://u@127.0.0.1:1/y",
];

#[test]
fn pr_zero_is_a_usage_error() {
    for cmd in ["up", "down", "refresh"] {
        let mut args = vec![cmd, "--pr", "0", "--sha", "abc"];
        if cmd != "up" {
            args.truncate(3);
        }
        args.extend(LOCAL);
        usage_error(&args, "PR number");
    }
}

#[test]
fn a_url_template_without_n_is_a_usage_error() {
    let mut args = vec![
        "down",
        "--pr",
        "3",
        "--url-template",
        "https://staging.example",
    ];
    args.extend(LOCAL);
    usage_error(&args, "has no {n}");
}

#[test]
fn a_staging_password_without_a_kept_user_is_a_usage_error() {
    let mut args = vec![
        "up",
        "--pr",
        "3",
        "--sha",
        "abc",
        "--staging-password",
        "pw-x",
    ];
    args.extend(LOCAL);
    usage_error(&args, "--keep-user");
    let out = wpstage(&args);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("pw-x"));
}

#[test]
fn help_shows_n_literally_and_no_empty_env_values() {
    // An empty variable must not show as `[env: X=]`.
    let out = Command::new(env!("CARGO_BIN_EXE_wpstage"))
        .args(["up", "--help"])
        .env("RAILWAY_PROJECT_ID", "")
        .env("WPSTAGE_PG_DUMP", "")
        .output()
        .expect("run wpstage");
    assert_eq!(out.status.code(), Some(0));
    // What a terminal shows: the invisible word joiner that keeps clap off `{n}` is not seen.
    let help = String::from_utf8_lossy(&out.stdout).replace('\u{2060}', "");
    assert!(
        help.contains("{n} is the PR number"),
        "the url template help lost its {{n}}: {help}"
    );
    assert!(!help.contains("=]"), "an empty [env: X=] in: {help}");
    assert!(help.contains("[env: RAILWAY_PROJECT_ID]"), "{help}");
}

#[test]
fn the_copy_inside_the_environment_is_refused_on_the_local_platform_before_anything_runs() {
    let mut args = vec!["up", "--pr", "7", "--sha", "abc", "--copy-in", "railway"];
    args.extend(LOCAL);
    let out = wpstage(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--copy-in railway") && stderr.contains("--platform local"),
        "{stderr}"
    );
    // Refused before connecting anywhere: the unreachable server is never mentioned.
    assert!(!stderr.contains("127.0.0.1"), "{stderr}");
    usage_error(
        &["up", "--pr", "7", "--sha", "abc", "--copy-in", "cloud"],
        "possible values: runner, railway",
    );
}
