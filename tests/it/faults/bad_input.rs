//! Bad input to the lifecycle CLI (issue 8 item 10): a usage error (exit 2) that says why, and
//! nothing done. Ignored until the validations of item 10 land (engineer G's branch).

use crate::support::run_cli;

fn local(extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "--platform",
        "local",
        "--source-database-url",
        "postgres://u:bad-input-pw@127.0.0.1:1/prod",
        "--server",
        "postgres://u:bad-input-pw@127.0.0.1:1/postgres",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    a.extend(extra.iter().map(|s| (*s).to_owned()));
    a
}

fn assert_usage_error(args: &[String], says: &[&str]) {
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = run_cli(&argv, &[]);
    assert_eq!(
        code, 2,
        "expected a usage error; stdout: {stdout}\nstderr: {stderr}"
    );
    for s in says {
        assert!(stderr.contains(s), "stderr lacks {s:?}:\n{stderr}");
    }
    assert!(!stderr.contains("bad-input-pw"), "a password was printed");
}

#[test]
fn pr_zero_is_a_usage_error() {
    let mut args = vec!["up".to_owned()];
    args.extend(local(&["--pr", "0", "--sha", "abc123"]));
    assert_usage_error(&args, &["--pr"]);
}

#[test]
fn a_url_template_without_the_pr_number_is_a_usage_error() {
    let mut args = vec!["up".to_owned()];
    args.extend(local(&[
        "--pr",
        "3",
        "--sha",
        "abc123",
        "--url-template",
        "https://staging.example",
    ]));
    assert_usage_error(&args, &["--url-template", "{n}"]);
}

#[test]
fn a_staging_password_without_a_kept_user_is_a_usage_error() {
    let mut args = vec!["refresh".to_owned()];
    args.extend(local(&[
        "--pr",
        "3",
        "--staging-password",
        "s3cret-staging",
    ]));
    assert_usage_error(&args, &["--staging-password", "--keep-user"]);
}

#[test]
fn a_url_rewritten_to_itself_is_a_usage_error() {
    let args: Vec<String> = [
        "sync",
        "--source",
        "postgres://u:bad-input-pw@127.0.0.1:1/prod",
        "--target",
        "postgres://u:bad-input-pw@127.0.0.1:1/staging",
        "--rewrite-url",
        "https://a.example=https://a.example",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_usage_error(&args, &["--rewrite-url"]);
}
