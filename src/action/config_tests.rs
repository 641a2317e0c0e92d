use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// What the runner passes when only `railway_token` is given: every declared input, the ones
/// without a default as the empty string.
fn runner_env() -> HashMap<String, String> {
    env(&[
        ("INPUT_RAILWAY_TOKEN", "rw-token-123"),
        ("INPUT_RAILWAY_PROJECT_ID", ""),
        ("INPUT_SOURCE_ENVIRONMENT", "production"),
        ("INPUT_ENVIRONMENT_PREFIX", "pr-"),
        ("INPUT_SOURCE_DATABASE_URL", ""),
        ("INPUT_ANONYMIZE", "true"),
        ("INPUT_TTL", "7d"),
        ("INPUT_PR_NUMBER", ""),
        ("INPUT_KEEP_USERS", ""),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_REPOSITORY", "octo-org/octo-repo"),
        ("GITHUB_RUN_ID", "99"),
        ("GITHUB_TOKEN", "not-an-input"),
        ("PATH", "/usr/bin"),
    ])
}

fn with(mut base: HashMap<String, String>, key: &str, value: &str) -> HashMap<String, String> {
    base.insert(key.to_owned(), value.to_owned());
    base
}

#[test]
fn defaults_apply_and_empty_strings_mean_unset() {
    let cfg = ActionConfig::from_env(&runner_env()).unwrap();
    assert_eq!(cfg.source_environment, "production");
    assert_eq!(cfg.environment_prefix, "pr-");
    assert!(cfg.anonymize);
    assert_eq!(cfg.ttl, Duration::from_secs(7 * 86_400));
    assert_eq!(cfg.deploy_timeout, Duration::from_secs(900));
    assert!(cfg.wait_for_deploy);
    assert_eq!(cfg.pr_number, None);
    assert!(cfg.railway_project_id.is_none());
    assert!(cfg.source_database_url.is_none());
    assert!(cfg.keep_users.is_empty());
    assert_eq!(cfg.operation, OperationInput::Auto);
    assert_eq!(cfg.github_environment, DEFAULT_GITHUB_ENVIRONMENT);
    assert_eq!(cfg.github.api_url, "https://api.github.com");
    assert_eq!(
        cfg.github.run_url().as_deref(),
        Some("https://github.com/octo-org/octo-repo/actions/runs/99")
    );
    assert_eq!(cfg.environment_name(12), "pr-12");
}

#[test]
fn a_missing_or_empty_railway_token_names_the_input_and_the_fix() {
    for value in [None, Some(""), Some("   ")] {
        let mut e = runner_env();
        match value {
            Some(v) => e.insert("INPUT_RAILWAY_TOKEN".to_owned(), v.to_owned()),
            None => e.remove("INPUT_RAILWAY_TOKEN"),
        };
        let cfg = ActionConfig::from_env(&e).unwrap();
        let err = cfg.require_railway_token().unwrap_err().to_string();
        assert!(err.contains("`railway_token` input is required"), "{err}");
        assert!(err.contains("secrets.RAILWAY_TOKEN"), "{err}");
    }
}

#[test]
fn invalid_values_get_specific_errors() {
    let cases = [
        ("INPUT_ANONYMIZE", "maybe", "`anonymize` input is invalid"),
        ("INPUT_WAIT_FOR_DEPLOY", "sure", "`wait_for_deploy`"),
        ("INPUT_TTL", "a week", "`ttl` input is invalid"),
        ("INPUT_DEPLOY_TIMEOUT", "10x", "`deploy_timeout`"),
        ("INPUT_PR_NUMBER", "abc", "`pr_number` input is invalid"),
        ("INPUT_OPEN_PRS", "1, 2, x", "`open_prs`"),
        ("INPUT_OPERATION", "deploy", "`operation`"),
        ("INPUT_ENVIRONMENT_PREFIX", "PR ", "`environment_prefix`"),
        ("INPUT_SITE_URL", "www.example.com", "`site_url`"),
        (
            "INPUT_SOURCE_DATABASE_URL",
            "postgres://u:pw@h:5432",
            "names no database",
        ),
        ("GITHUB_REPOSITORY", "just-a-name", "GITHUB_REPOSITORY"),
        ("INPUT_JOBS", "0", "`jobs` input is invalid"),
        ("INPUT_APP_VARS", "FOO", "`app_vars` input is invalid"),
        (
            "INPUT_STAGING_PASSWORD",
            "pw",
            "`staging_password` input is invalid",
        ),
        (
            "INPUT_KEEP_USER_DATA",
            "true",
            "`keep_user_data` input is invalid",
        ),
    ];
    for (key, value, expected) in cases {
        let err = ActionConfig::from_env(&with(runner_env(), key, value))
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{key}={value}: {err}");
    }
}

#[test]
fn secret_inputs_never_appear_in_errors_or_debug() {
    let e = with(
        runner_env(),
        "INPUT_SOURCE_DATABASE_URL",
        "postgres://wp:hunter2-db@db.example:5432",
    );
    let err = ActionConfig::from_env(&e).unwrap_err().to_string();
    assert!(!err.contains("hunter2-db"), "{err}");
    let e = with(
        with(
            runner_env(),
            "INPUT_SOURCE_DATABASE_URL",
            "postgres://wp:hunter2-db@db.example:5432/wp",
        ),
        "INPUT_STAGING_PASSWORD",
        "pa55-staging",
    );
    let e = with(e, "INPUT_KEEP_USERS", "admin");
    let cfg = ActionConfig::from_env(&e).unwrap();
    let debug = format!("{cfg:?}");
    for secret in ["hunter2-db", "pa55-staging", "rw-token-123"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
        assert!(
            cfg.secret_values().iter().any(|s| s.contains(secret)),
            "{secret} is not masked"
        );
    }
}

#[test]
fn values_parse_into_types() {
    let mut e = runner_env();
    for (k, v) in [
        (
            "INPUT_KEEP_USERS",
            "admin, editor@example.com\nshop-manager",
        ),
        ("INPUT_TTL", "1d12h"),
        ("INPUT_DEPLOY_TIMEOUT", "600"),
        ("INPUT_ANONYMIZE", "False"),
        ("INPUT_PR_NUMBER", "#42"),
        ("INPUT_OPEN_PRS", "3\n5 8,13"),
        ("INPUT_OPERATION", "Reap"),
        ("GITHUB_API_URL", "https://ghe.example/api/v3/"),
    ] {
        e.insert(k.to_owned(), v.to_owned());
    }
    let cfg = ActionConfig::from_env(&e).unwrap();
    assert_eq!(
        cfg.keep_users,
        ["admin", "editor@example.com", "shop-manager"]
    );
    assert_eq!(cfg.ttl, Duration::from_secs(36 * 3600));
    assert_eq!(cfg.deploy_timeout, Duration::from_secs(600));
    assert!(!cfg.anonymize);
    assert_eq!(cfg.pr_number, Some(42));
    assert_eq!(cfg.open_prs, Some(vec![3, 5, 8, 13]));
    assert_eq!(cfg.operation, OperationInput::Reap);
    assert_eq!(cfg.github.api_url, "https://ghe.example/api/v3");
}

#[test]
fn the_instance_key_separates_setups_and_is_stable() {
    let a = ActionConfig::from_env(&runner_env()).unwrap();
    let b = ActionConfig::from_env(&with(runner_env(), "INPUT_RAILWAY_PROJECT_ID", "p-2")).unwrap();
    assert_eq!(a.instance_key(), a.clone().instance_key());
    assert_ne!(a.instance_key(), b.instance_key());
    assert_eq!(a.instance_key().len(), 12);
}

#[test]
fn durations_parse() {
    assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
    assert_eq!(parse_duration("2w"), Some(Duration::from_secs(14 * 86_400)));
    assert_eq!(parse_duration("7"), Some(Duration::from_secs(7)));
    assert_eq!(parse_duration("7d3"), None);
    assert_eq!(parse_duration("d"), None);
    assert_eq!(parse_duration(""), None);
}

#[test]
fn an_unknown_input_is_a_warning_not_a_failure() {
    let cfg = ActionConfig::from_env(&with(runner_env(), "INPUT_RAILWAY_TOKNE", "x")).unwrap();
    assert_eq!(cfg.unknown_inputs, vec!["railway_tokne".to_owned()]);
    assert!(
        ActionConfig::from_env(&runner_env())
            .unwrap()
            .unknown_inputs
            .is_empty()
    );
}

#[test]
fn every_input_of_action_yml_is_known() {
    // Each declared input given a value: none may be reported as unknown, and an undeclared
    // one is.
    let yml = include_str!("../../action.yml");
    let inputs: Vec<&str> = yml
        .split("\noutputs:")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| {
            let name = l.strip_prefix("  ")?.strip_suffix(':')?;
            (!name.starts_with(' ')).then_some(name)
        })
        .collect();
    assert!(inputs.len() > 30, "parsed {inputs:?} from action.yml");
    let raw = |extra: Option<&str>| -> RawInputs {
        let vars = inputs.iter().copied().chain(extra).map(|name| {
            (
                format!("INPUT_{}", name.to_ascii_uppercase()),
                "x".to_owned(),
            )
        });
        envy::prefixed("INPUT_").from_iter(vars).unwrap()
    };
    assert!(raw(None).unknown.is_empty(), "{:?}", raw(None).unknown);
    assert_eq!(
        raw(Some("railway_tokne"))
            .unknown
            .into_keys()
            .collect::<Vec<_>>(),
        vec!["railway_tokne".to_owned()]
    );
}

#[test]
fn data_from_and_base_max_age_reach_the_lifecycle_settings() {
    let cfg = ActionConfig::from_env(&runner_env()).unwrap();
    assert_eq!(cfg.data_from, DataFrom::Auto);
    assert_eq!(cfg.base_max_age, Duration::from_secs(86_400));
    let mut e = with(runner_env(), "INPUT_DATA_FROM", " Base ");
    e.insert("INPUT_BASE_MAX_AGE".to_owned(), "2d".to_owned());
    let cfg = ActionConfig::from_env(&e).unwrap();
    let ds = crate::action::wire::setup(&cfg)
        .lifecycle_config()
        .data_source;
    assert_eq!(ds.from, DataFrom::Base);
    assert_eq!(ds.max_age, Duration::from_secs(2 * 86_400));
    assert_eq!(ds.base_name, crate::platform::railway::DEFAULT_BASE_NAME);
    let cfg = ActionConfig::from_env(&with(runner_env(), "INPUT_DATA_FROM", "production")).unwrap();
    assert_eq!(cfg.data_from, DataFrom::Production);
}

#[test]
fn a_bad_data_from_or_base_max_age_names_the_input_and_the_choices() {
    let err = ActionConfig::from_env(&with(runner_env(), "INPUT_DATA_FROM", "snapshot"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("`data_from` input is invalid"), "{err}");
    assert!(err.contains("base, production, auto"), "{err}");
    let err = ActionConfig::from_env(&with(runner_env(), "INPUT_BASE_MAX_AGE", "a day"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("`base_max_age` input is invalid"), "{err}");
}

#[test]
fn base_refresh_is_an_operation() {
    let e = with(runner_env(), "INPUT_OPERATION", "base-refresh");
    let cfg = ActionConfig::from_env(&e).unwrap();
    assert_eq!(cfg.operation, OperationInput::BaseRefresh);
    let err = ActionConfig::from_env(&with(runner_env(), "INPUT_OPERATION", "base"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("base-refresh"), "{err}");
}

#[test]
fn the_copy_placement_defaults_to_the_runner_and_refuses_unknown_values() {
    use crate::lifecycle::copy_in::{CopyIn, DEFAULT_COPY_IMAGE};
    let cfg = ActionConfig::from_env(&runner_env()).unwrap();
    assert_eq!(cfg.copy_in, CopyIn::Runner);
    let railway = with(runner_env(), "INPUT_COPY_IN", "railway");
    assert_eq!(
        ActionConfig::from_env(&railway).unwrap().copy_in,
        CopyIn::Railway {
            image: DEFAULT_COPY_IMAGE.to_owned()
        }
    );
    let wrong = with(runner_env(), "INPUT_COPY_IN", "cloud");
    let err = ActionConfig::from_env(&wrong).unwrap_err().to_string();
    assert!(err.contains("copy_in") && err.contains("railway"), "{err}");
    let image_without_railway = with(runner_env(), "INPUT_COPY_IMAGE", "wpstage:dev");
    let err = ActionConfig::from_env(&image_without_railway)
        .unwrap_err()
        .to_string();
    assert!(err.contains("copy_in"), "{err}");
}
