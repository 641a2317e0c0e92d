//! `wpstage demo`, the README's first command: the whole flow on this machine, explained.

use crate::support::run_cli;

#[test]
fn the_demo_brings_up_a_pr_and_explains_what_it_shows() {
    let (code, stdout, stderr) = run_cli(&["demo", "--size", "10MB"], &[]);
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    for expected in [
        // The set-up a PR's run does not have, timed apart from the PR's phases.
        "demo set-up (not part of a PR's run)",
        "start two PostgreSQL clusters",
        "generate production (",
        // The PR's own run and its comment.
        "created environment pr-42 on local",
        "data copy",
        "### ✅ Staging is ready for PR #42",
        // What a newcomer wonders.
        "https://pr-42.staging.example is not served",
        "MB on disk",
        "MB of rows streamed",
        "anonymized columns (",
        "  wp_users: ",
    ] {
        assert!(
            stdout.contains(expected),
            "stdout lacks {expected:?}:\n{stdout}"
        );
    }
    // The anonymized columns are named, never their values.
    let users = stdout
        .lines()
        .find(|l| l.starts_with("  wp_users: "))
        .unwrap_or_default();
    assert!(users.contains("user_email"), "{users}");
    assert!(!users.contains('@'), "{users}");
}

#[test]
fn a_size_the_generator_cannot_make_is_a_usage_error_before_any_work() {
    let (code, stdout, stderr) = run_cli(&["demo", "--size", "4MB"], &[]);
    assert_eq!(code, 2, "stdout: {stdout}\nstderr: {stderr}");
    assert!(stderr.contains("10MB to 5GB"), "{stderr}");
    assert!(!stderr.contains("starting"), "work started: {stderr}");
}
