//! Every lifecycle setting reaches the lifecycle, from the CLI and from the Action alike.

use std::collections::HashMap;
use std::time::Duration;

use clap::Parser as _;
use secrecy::ExposeSecret as _;

use super::super::{Cli, Command};
use crate::action::config::ActionConfig;
use crate::action::wire;
use crate::lifecycle::base::DataFrom;
use crate::lifecycle::{LifecycleConfig, TransformSettings};
use crate::setup::{RailwaySetup, Setup};

/// Every field of what the lifecycle and the platform receive, as text. Destructured without
/// `..`: a new field is a compile error here until this test checks it.
fn facts(setup: &Setup) -> Vec<String> {
    let LifecycleConfig {
        prefix,
        site_url,
        jobs,
        pg_dump,
        progress_every: _, // not a user setting
        transforms,
        app_vars,
        wait_for_deploy,
        deploy_timeout,
        ttl,
        data_source,
        overlap_build,
        healthcheck_path,
        copy_in,
    } = setup.lifecycle_config();
    let TransformSettings {
        anonymize,
        key,
        rules_file,
        keep_users,
        staging_password,
        keep_user_data,
        rewrite_guid,
        uploads_url,
        rewrite_uploads,
        keep_blog_public,
        strict,
    } = transforms;
    let RailwaySetup {
        token,
        project_id,
        source_environment,
        app_service,
        database_service,
        source_database_url,
        app_image,
        endpoint,
    } = &setup.railway;
    let secret = |s: Option<&secrecy::SecretString>| s.map(|s| s.expose_secret().to_owned());
    vec![
        format!("prefix={prefix}"),
        format!("site_url={site_url:?}"),
        format!("jobs={jobs}"),
        format!("pg_dump={pg_dump:?}"),
        format!("anonymize={anonymize}"),
        format!("key={:?}", secret(key.as_ref())),
        format!("rules_file={rules_file:?}"),
        format!("keep_users={keep_users:?}"),
        format!("staging_password={:?}", secret(staging_password.as_ref())),
        format!("keep_user_data={keep_user_data}"),
        format!("rewrite_guid={rewrite_guid}"),
        format!("uploads_url={uploads_url:?}"),
        format!("rewrite_uploads={rewrite_uploads}"),
        format!("keep_blog_public={keep_blog_public}"),
        format!("strict={strict}"),
        format!("app_vars={app_vars:?}"),
        format!("wait_for_deploy={wait_for_deploy}"),
        format!("deploy_timeout={deploy_timeout:?}"),
        format!("ttl={ttl:?}"),
        format!("overlap_build={overlap_build}"),
        format!("healthcheck_path={healthcheck_path}"),
        format!("token={:?}", secret(token.as_ref())),
        format!("project_id={project_id:?}"),
        format!("source_environment={source_environment}"),
        format!("app_service={app_service:?}"),
        format!("database_service={database_service:?}"),
        format!(
            "source_database_url={:?}",
            source_database_url.as_ref().map(|u| u.expose().to_owned())
        ),
        format!("endpoint_given={}", endpoint.is_some()),
        format!("app_image={app_image:?}"),
        // The Action has no base snapshot input yet (Railway keeps no base): it always gets the
        // default, which `the_cli_passes_the_data_source` checks for the CLI.
        format!("data_source_default={}", data_source.from == DataFrom::Auto),
        format!("copy_in={copy_in:?}"),
    ]
}

/// The same non-default value for every setting; defaults would hide a dropped setting.
fn expected(uploads_url: Option<&str>, rewrite_uploads: bool) -> Vec<String> {
    vec![
        "prefix=qa-".to_owned(),
        "site_url=Some(\"https://shop.example\")".to_owned(),
        "jobs=5".to_owned(),
        "pg_dump=Some(\"/opt/pg16/bin/pg_dump\")".to_owned(),
        "anonymize=false".to_owned(),
        "key=Some(\"k3y\")".to_owned(),
        "rules_file=Some(\"rules.yml\")".to_owned(),
        "keep_users=[\"admin\", \"ops\"]".to_owned(),
        "staging_password=Some(\"pa55\")".to_owned(),
        "keep_user_data=true".to_owned(),
        "rewrite_guid=true".to_owned(),
        format!("uploads_url={:?}", uploads_url.map(str::to_owned)),
        format!("rewrite_uploads={rewrite_uploads}"),
        "keep_blog_public=true".to_owned(),
        "strict=true".to_owned(),
        "app_vars={\"FOO\": \"bar\", \"WP_DEBUG\": \"1\"}".to_owned(),
        "wait_for_deploy=false".to_owned(),
        format!("deploy_timeout={:?}", Duration::from_secs(180)),
        format!("ttl={:?}", Duration::from_secs(2 * 86_400)),
        "overlap_build=true".to_owned(),
        "healthcheck_path=/healthz".to_owned(),
        "token=Some(\"rw-tok\")".to_owned(),
        "project_id=Some(\"proj-1\")".to_owned(),
        "source_environment=live".to_owned(),
        "app_service=Some(\"web\")".to_owned(),
        "database_service=Some(\"db\")".to_owned(),
        "source_database_url=Some(\"postgres://u:p@db.example:5432/wp\")".to_owned(),
        "endpoint_given=true".to_owned(),
        "app_image=Some(\"ghcr.io/acme/site:pr-7\")".to_owned(),
        "data_source_default=true".to_owned(),
        "copy_in=Railway { image: \"wpstage:dev\" }".to_owned(),
    ]
}

fn cli_setup(extra: &[&str]) -> Setup {
    let mut argv = vec![
        "wpstage",
        "up",
        "--pr",
        "7",
        "--sha",
        "abc123",
        "--prefix",
        "qa-",
        "--site-url",
        "https://shop.example",
        "--jobs",
        "5",
        "--pg-dump",
        "/opt/pg16/bin/pg_dump",
        "--app-var",
        "FOO=bar",
        "--app-var",
        "WP_DEBUG=1",
        "--no-wait",
        "--deploy-timeout",
        "3m",
        "--ttl",
        "2d",
        "--overlap-build",
        "--healthcheck-path",
        "/healthz",
        "--railway-token",
        "rw-tok",
        "--project-id",
        "proj-1",
        "--source-environment",
        "live",
        "--app-service",
        "web",
        "--database-service",
        "db",
        "--source-database-url",
        "postgres://u:p@db.example:5432/wp",
        "--no-anonymize",
        "--anonymize-key",
        "k3y",
        "--rules",
        "rules.yml",
        "--keep-user",
        "admin",
        "--keep-user",
        "ops",
        "--staging-password",
        "pa55",
        "--keep-user-data",
        "--rewrite-guid",
        "--keep-blog-public",
        "--strict",
        "--app-image",
        "ghcr.io/acme/site:pr-7",
        "--copy-in",
        "railway",
        "--copy-image",
        "wpstage:dev",
    ];
    argv.extend_from_slice(extra);
    let Command::Up(args) = Cli::try_parse_from(argv).expect("valid flags").command else {
        panic!("not the up command");
    };
    let mut setup = super::setup(&args.platform, &args.lifecycle).expect("setup");
    // The endpoint comes from the process environment, which a test must not set.
    setup.railway.endpoint = Some("http://127.0.0.1:1/graphql".to_owned());
    setup
}

fn action_setup(extra: &[(&str, &str)]) -> Setup {
    let mut env: HashMap<String, String> = [
        ("INPUT_ENVIRONMENT_PREFIX", "qa-"),
        ("INPUT_SITE_URL", "https://shop.example"),
        ("INPUT_JOBS", "5"),
        ("INPUT_PG_DUMP", "/opt/pg16/bin/pg_dump"),
        ("INPUT_APP_VARS", "FOO=bar\nWP_DEBUG=1\n"),
        ("INPUT_WAIT_FOR_DEPLOY", "false"),
        ("INPUT_DEPLOY_TIMEOUT", "3m"),
        ("INPUT_TTL", "2d"),
        ("INPUT_OVERLAP_BUILD", "true"),
        ("INPUT_HEALTHCHECK_PATH", "/healthz"),
        ("INPUT_RAILWAY_TOKEN", "rw-tok"),
        ("INPUT_RAILWAY_PROJECT_ID", "proj-1"),
        ("INPUT_SOURCE_ENVIRONMENT", "live"),
        ("INPUT_APP_SERVICE", "web"),
        ("INPUT_DATABASE_SERVICE", "db"),
        (
            "INPUT_SOURCE_DATABASE_URL",
            "postgres://u:p@db.example:5432/wp",
        ),
        ("INPUT_ANONYMIZE", "false"),
        ("INPUT_ANONYMIZE_KEY", "k3y"),
        ("INPUT_RULES_FILE", "rules.yml"),
        ("INPUT_KEEP_USERS", "admin, ops"),
        ("INPUT_STAGING_PASSWORD", "pa55"),
        ("INPUT_KEEP_USER_DATA", "true"),
        ("INPUT_REWRITE_GUID", "true"),
        ("INPUT_KEEP_BLOG_PUBLIC", "true"),
        ("INPUT_STRICT", "true"),
        ("INPUT_APP_IMAGE", "ghcr.io/acme/site:pr-7"),
        ("INPUT_COPY_IN", "railway"),
        ("INPUT_COPY_IMAGE", "wpstage:dev"),
        ("WPSTAGE_RAILWAY_ENDPOINT", "http://127.0.0.1:1/graphql"),
    ]
    .into_iter()
    .chain(extra.iter().copied())
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.insert("INPUT_OPERATION".to_owned(), "up".to_owned());
    wire::setup(&ActionConfig::from_env(&env).expect("valid inputs"))
}

#[test]
fn every_lifecycle_setting_reaches_the_lifecycle_from_the_cli() {
    assert_eq!(facts(&cli_setup(&[])), expected(None, false));
    let uploads = cli_setup(&["--uploads-url", "https://cdn.example/up"]);
    assert_eq!(
        facts(&uploads),
        expected(Some("https://cdn.example/up"), false)
    );
    assert_eq!(
        facts(&cli_setup(&["--rewrite-uploads"])),
        expected(None, true)
    );
}

#[test]
fn every_lifecycle_setting_reaches_the_lifecycle_from_the_action() {
    assert_eq!(facts(&action_setup(&[])), expected(None, false));
    let uploads = action_setup(&[("INPUT_UPLOADS_URL", "https://cdn.example/up")]);
    assert_eq!(
        facts(&uploads),
        expected(Some("https://cdn.example/up"), false)
    );
    let rewrite = action_setup(&[("INPUT_REWRITE_UPLOADS", "true")]);
    assert_eq!(facts(&rewrite), expected(None, true));
}

#[test]
fn both_front_ends_build_the_same_railway_platform_settings() {
    // The builder is shared: the same settings give the same platform, or the same refusal.
    let mut no_token = action_setup(&[]);
    no_token.railway.token = None;
    let err = no_token
        .railway_platform(crate::platform::SecretSink::default())
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("railway_token") && err.contains("--railway-token"),
        "{err}"
    );
    assert!(cli_setup(&[]).railway_platform(Default::default()).is_ok());
    assert!(
        action_setup(&[])
            .railway_platform(Default::default())
            .is_ok()
    );
}

#[test]
fn the_cli_passes_the_data_source() {
    let setup = cli_setup(&[
        "--data-from",
        "production",
        "--base-max-age",
        "2h",
        "--base-name",
        "qa_base",
    ]);
    let source = setup.lifecycle_config().data_source;
    assert_eq!(source.from, DataFrom::Production);
    assert_eq!(source.max_age, Duration::from_secs(7200));
    assert_eq!(source.base_name, "qa_base");
}
