//! The action's configuration: the `INPUT_*` variables the runner sets from `with:` (snake_case
//! names, read with `envy`) and the `GITHUB_*` context, validated once into [`ActionConfig`].
//!
//! The runner passes every declared input, as the empty string when it has no default and none
//! was given, and does not enforce `required`: empty means unset here, and required inputs are
//! checked with errors that say which input to set. The environment is an argument (the binary
//! passes `std::env::vars()`), so nothing below reads the process environment.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};

pub use super::inputs::parse_duration;
use super::inputs::{
    app_vars, boolean, data_from, duration, jobs, list, open_prs, operation, secret, trimmed,
};
use crate::event::{OperationInput, parse_pr_number};
use crate::lifecycle::base::DataFrom;
use crate::postgres::DbUrl;

/// The GitHub environment (deployments) used for every PR unless `github_environment` is set.
pub const DEFAULT_GITHUB_ENVIRONMENT: &str = "wpstage-preview";

/// Inputs whose values are secrets, as the runner names their variables. They are masked
/// straight from the raw environment, before the configuration is even parsed.
pub const SECRET_INPUTS: [&str; 5] = [
    "INPUT_RAILWAY_TOKEN",
    "INPUT_GITHUB_TOKEN",
    "INPUT_SOURCE_DATABASE_URL",
    "INPUT_ANONYMIZE_KEY",
    "INPUT_STAGING_PASSWORD",
];

/// Why the configuration was rejected. Secret values never appear in these messages.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the `{input}` input is required: {hint}")]
    Missing {
        input: &'static str,
        hint: &'static str,
    },
    #[error("the `{input}` input is invalid: {hint}")]
    Invalid { input: &'static str, hint: String },
    #[error("{0}; the action's inputs are listed in action.yml (snake_case names)")]
    Inputs(String),
    #[error("the runner variable {name} is {problem}; {hint}")]
    Runner {
        name: &'static str,
        problem: &'static str,
        hint: &'static str,
    },
    #[error(transparent)]
    Url(#[from] crate::postgres::UrlError),
}

#[derive(Debug, Default, Deserialize)]
struct RawInputs {
    railway_token: Option<String>,
    railway_project_id: Option<String>,
    source_environment: Option<String>,
    environment_prefix: Option<String>,
    app_service: Option<String>,
    database_service: Option<String>,
    source_database_url: Option<String>,
    site_url: Option<String>,
    anonymize: Option<String>,
    anonymize_key: Option<String>,
    rules_file: Option<String>,
    keep_users: Option<String>,
    staging_password: Option<String>,
    keep_user_data: Option<String>,
    ttl: Option<String>,
    require_label: Option<String>,
    github_token: Option<String>,
    pr_number: Option<String>,
    wait_for_deploy: Option<String>,
    deploy_timeout: Option<String>,
    overlap_build: Option<String>,
    healthcheck_path: Option<String>,
    operation: Option<String>,
    head_sha: Option<String>,
    head_ref: Option<String>,
    open_prs: Option<String>,
    github_environment: Option<String>,
    refresh_workflow: Option<String>,
    jobs: Option<String>,
    pg_dump: Option<String>,
    app_image: Option<String>,
    app_vars: Option<String>,
    rewrite_guid: Option<String>,
    uploads_url: Option<String>,
    rewrite_uploads: Option<String>,
    keep_blog_public: Option<String>,
    strict: Option<String>,
    data_from: Option<String>,
    base_max_age: Option<String>,
    copy_in: Option<String>,
    copy_image: Option<String>,
    /// Inputs action.yml does not declare: the runner warns about them and runs anyway, and so
    /// does wpstage (e.g. a `with:` key a newer version added).
    #[serde(flatten)]
    unknown: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct RawGithub {
    event_name: Option<String>,
    event_path: Option<String>,
    repository: Option<String>,
    api_url: Option<String>,
    server_url: Option<String>,
    run_id: Option<String>,
    output: Option<String>,
    step_summary: Option<String>,
}

/// The `GITHUB_*` context of the run.
#[derive(Debug, Clone)]
pub struct GithubContext {
    pub event_name: Option<String>,
    pub event_path: Option<PathBuf>,
    /// `owner/repo`.
    pub repository: Option<String>,
    pub api_url: String,
    pub server_url: String,
    pub run_id: Option<String>,
    pub output: Option<PathBuf>,
    pub step_summary: Option<PathBuf>,
}

impl GithubContext {
    /// `(owner, repo)` of `GITHUB_REPOSITORY`.
    pub fn owner_repo(&self) -> Option<(&str, &str)> {
        self.repository.as_deref().and_then(|r| r.split_once('/'))
    }

    /// The link to this run's log.
    pub fn run_url(&self) -> Option<String> {
        Some(format!(
            "{}/{}/actions/runs/{}",
            self.server_url,
            self.repository.as_deref()?,
            self.run_id.as_deref()?
        ))
    }

    pub fn pr_url(&self, pr: u64) -> Option<String> {
        Some(format!(
            "{}/{}/pull/{pr}",
            self.server_url,
            self.repository.as_deref()?
        ))
    }
}

/// Everything the action was given, validated. `Debug` shows no secret (they are
/// `SecretString`/`DbUrl`, both redacted).
#[derive(Debug, Clone)]
pub struct ActionConfig {
    pub railway_token: Option<SecretString>,
    pub railway_project_id: Option<String>,
    pub source_environment: String,
    pub environment_prefix: String,
    pub app_service: Option<String>,
    pub database_service: Option<String>,
    pub source_database_url: Option<DbUrl>,
    /// The production site URL; empty: read from WordPress' `home` option.
    pub site_url: Option<String>,
    pub anonymize: bool,
    pub anonymize_key: Option<SecretString>,
    pub rules_file: Option<PathBuf>,
    pub keep_users: Vec<String>,
    pub staging_password: Option<SecretString>,
    /// Kept users keep their contact data too (phone, address, billing and shipping meta).
    pub keep_user_data: bool,
    pub ttl: Duration,
    pub require_label: Option<String>,
    pub github_token: Option<SecretString>,
    pub pr_number: Option<u64>,
    pub wait_for_deploy: bool,
    pub deploy_timeout: Duration,
    /// `up`: build the app while the data is copied (see the CLI's `--overlap-build`).
    pub overlap_build: bool,
    pub healthcheck_path: Option<String>,
    pub operation: OperationInput,
    pub head_sha: Option<String>,
    pub head_ref: Option<String>,
    /// `reap`: the open PRs (else asked from GitHub, else only the TTL applies).
    pub open_prs: Option<Vec<u64>>,
    pub github_environment: String,
    /// The workflow file that refreshes data (`workflow_dispatch`), for the comment's link.
    pub refresh_workflow: String,
    pub github: GithubContext,
    /// Debug builds only: the Railway API endpoint (the test simulator), from
    /// `WPSTAGE_RAILWAY_ENDPOINT`.
    pub railway_endpoint: Option<String>,
    /// An image the user's workflow built for the PR, deployed instead of the app's source.
    pub app_image: Option<String>,
    /// Parallel COPY workers (`None`: by the cores).
    pub jobs: Option<usize>,
    /// The pg_dump binary for the schema (`None`: the newest installed).
    pub pg_dump: Option<PathBuf>,
    /// Extra app variables set on every PR environment.
    pub app_vars: BTreeMap<String, String>,
    /// Rewrite `posts.guid` too.
    pub rewrite_guid: bool,
    /// The media base URL staging's `upload_url_path` and uploads URLs point at (instead of
    /// production's uploads).
    pub uploads_url: Option<String>,
    /// Rewrite uploads URLs like any other URL.
    pub rewrite_uploads: bool,
    /// Keep `blog_public` as in production.
    pub keep_blog_public: bool,
    /// Fail when uncovered text columns look like personal data.
    pub strict: bool,
    /// `with:` keys action.yml does not declare, to be warned about.
    pub unknown_inputs: Vec<String>,
    /// Where PR data comes from: the base snapshot, production, or `auto`.
    pub data_from: DataFrom,
    /// With `auto`, an older base snapshot is not used.
    pub base_max_age: Duration,
    /// Where the data copy runs (`copy_in`, with `copy_image`).
    pub copy_in: crate::lifecycle::copy_in::CopyIn,
}

impl ActionConfig {
    /// Reads and validates the configuration from an environment map.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let vars = || {
            env.iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| (k.clone(), v.clone()))
        };
        let raw: RawInputs = envy::prefixed("INPUT_")
            .from_iter(vars())
            .map_err(|e| ConfigError::Inputs(format!("reading the INPUT_* variables: {e}")))?;
        let gh: RawGithub = envy::prefixed("GITHUB_")
            .from_iter(vars())
            .map_err(|e| ConfigError::Inputs(format!("reading the GITHUB_* variables: {e}")))?;
        let mut cfg = Self::validate(raw, gh)?;
        cfg.railway_endpoint = env.get("WPSTAGE_RAILWAY_ENDPOINT").cloned();
        Ok(cfg)
    }

    fn validate(raw: RawInputs, gh: RawGithub) -> Result<Self, ConfigError> {
        let prefix = trimmed(raw.environment_prefix).unwrap_or_else(|| "pr-".to_owned());
        if prefix.len() > 24
            || !prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(ConfigError::Invalid {
                input: "environment_prefix",
                hint: "use up to 24 lowercase letters, digits, `-` or `_`, e.g. `pr-`".to_owned(),
            });
        }
        let source_database_url = match secret(raw.source_database_url) {
            Some(url) => Some(DbUrl::parse(url.expose_secret(), "source_database_url")?),
            None => None,
        };
        let staging_password = secret(raw.staging_password);
        let keep_users = list(raw.keep_users.as_deref());
        if staging_password.is_some() && keep_users.is_empty() {
            return Err(ConfigError::Invalid {
                input: "staging_password",
                hint: "it is the password of the users kept by `keep_users`, and none is kept; \
                       add `keep_users` (logins or e-mails) or remove `staging_password`"
                    .to_owned(),
            });
        }
        if trimmed(raw.uploads_url.clone()).is_some()
            && boolean("rewrite_uploads", raw.rewrite_uploads.clone(), false)?
        {
            return Err(ConfigError::Invalid {
                input: "rewrite_uploads",
                hint: "it contradicts `uploads_url` (uploads either go to that URL or to the \
                       preview); set only one of them"
                    .to_owned(),
            });
        }
        let keep_user_data = boolean("keep_user_data", raw.keep_user_data.clone(), false)?;
        if keep_user_data && keep_users.is_empty() {
            return Err(ConfigError::Invalid {
                input: "keep_user_data",
                hint: "it keeps the contact data of the users kept by `keep_users`, and none is \
                       kept; add `keep_users` or remove `keep_user_data`"
                    .to_owned(),
            });
        }
        let site_url = trimmed(raw.site_url);
        if let Some(url) = &site_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(ConfigError::Invalid {
                input: "site_url",
                hint: format!("{url:?} is not a URL; write it as https://www.example.com"),
            });
        }
        let repository = trimmed(gh.repository);
        if let Some(r) = &repository
            && r.split('/').filter(|p| !p.is_empty()).count() != 2
        {
            return Err(ConfigError::Runner {
                name: "GITHUB_REPOSITORY",
                problem: "not `owner/repo`",
                hint: "outside GitHub Actions, set it to owner/repo or leave it unset",
            });
        }
        Ok(Self {
            railway_token: secret(raw.railway_token),
            railway_project_id: trimmed(raw.railway_project_id),
            source_environment: trimmed(raw.source_environment)
                .unwrap_or_else(|| "production".to_owned()),
            environment_prefix: prefix,
            app_service: trimmed(raw.app_service),
            database_service: trimmed(raw.database_service),
            source_database_url,
            site_url,
            anonymize: boolean("anonymize", raw.anonymize, true)?,
            anonymize_key: secret(raw.anonymize_key),
            rules_file: trimmed(raw.rules_file).map(PathBuf::from),
            keep_users,
            staging_password,
            ttl: duration("ttl", raw.ttl, Duration::from_secs(7 * 86_400))?,
            require_label: trimmed(raw.require_label),
            github_token: secret(raw.github_token),
            pr_number: trimmed(raw.pr_number)
                .map(|v| parse_pr_number(&v))
                .transpose()
                .map_err(|e| ConfigError::Invalid {
                    input: "pr_number",
                    hint: e.to_string(),
                })?,
            wait_for_deploy: boolean("wait_for_deploy", raw.wait_for_deploy, true)?,
            overlap_build: boolean("overlap_build", raw.overlap_build, false)?,
            healthcheck_path: trimmed(raw.healthcheck_path),
            deploy_timeout: duration(
                "deploy_timeout",
                raw.deploy_timeout,
                Duration::from_secs(15 * 60),
            )?,
            operation: operation(raw.operation)?,
            head_sha: trimmed(raw.head_sha),
            head_ref: trimmed(raw.head_ref),
            open_prs: open_prs(raw.open_prs.as_deref())?,
            github_environment: trimmed(raw.github_environment)
                .unwrap_or_else(|| DEFAULT_GITHUB_ENVIRONMENT.to_owned()),
            refresh_workflow: trimmed(raw.refresh_workflow)
                .unwrap_or_else(|| "refresh.yml".to_owned()),
            github: GithubContext {
                event_name: trimmed(gh.event_name),
                event_path: trimmed(gh.event_path).map(PathBuf::from),
                repository,
                api_url: trimmed(gh.api_url)
                    .unwrap_or_else(|| "https://api.github.com".to_owned())
                    .trim_end_matches('/')
                    .to_owned(),
                server_url: trimmed(gh.server_url)
                    .unwrap_or_else(|| "https://github.com".to_owned())
                    .trim_end_matches('/')
                    .to_owned(),
                run_id: trimmed(gh.run_id),
                output: trimmed(gh.output).map(PathBuf::from),
                step_summary: trimmed(gh.step_summary).map(PathBuf::from),
            },
            railway_endpoint: None,
            jobs: jobs(raw.jobs)?,
            pg_dump: trimmed(raw.pg_dump).map(PathBuf::from),
            app_image: trimmed(raw.app_image),
            app_vars: app_vars(raw.app_vars.as_deref())?,
            keep_user_data,
            rewrite_guid: boolean("rewrite_guid", raw.rewrite_guid, false)?,
            uploads_url: trimmed(raw.uploads_url),
            rewrite_uploads: boolean("rewrite_uploads", raw.rewrite_uploads, false)?,
            keep_blog_public: boolean("keep_blog_public", raw.keep_blog_public, false)?,
            strict: boolean("strict", raw.strict, false)?,
            unknown_inputs: raw.unknown.into_keys().collect(),
            data_from: data_from(raw.data_from)?,
            base_max_age: duration(
                "base_max_age",
                raw.base_max_age,
                Duration::from_secs(86_400),
            )?,
            copy_in: crate::lifecycle::copy_in::CopyIn::parse(
                raw.copy_in.as_deref().unwrap_or_default(),
                raw.copy_image.as_deref(),
            )
            .map_err(|hint| ConfigError::Invalid {
                input: "copy_in",
                hint,
            })?,
        })
    }

    /// The Railway token, or the error that says how to provide it.
    pub fn require_railway_token(&self) -> Result<&SecretString, ConfigError> {
        self.railway_token.as_ref().ok_or(ConfigError::Missing {
            input: "railway_token",
            hint: "create a Railway account or workspace token (Account Settings → Tokens; a \
                   project token cannot create environments), store it as the RAILWAY_TOKEN \
                   secret and pass `railway_token: ${{ secrets.RAILWAY_TOKEN }}`",
        })
    }

    /// The Railway environment of a PR: `<environment_prefix><number>`.
    pub fn environment_name(&self, pr: u64) -> String {
        format!("{}{pr}", self.environment_prefix)
    }

    /// A short key that tells this instance (project, source environment, prefix) apart from
    /// another wpstage setup in the same repository; part of the sticky comment's marker.
    pub fn instance_key(&self) -> String {
        let mut hash = Sha256::new();
        hash.update(self.railway_project_id.as_deref().unwrap_or("-"));
        hash.update([0]);
        hash.update(&self.source_environment);
        hash.update([0]);
        hash.update(&self.environment_prefix);
        hex::encode(&hash.finalize()[..6])
    }

    /// Every secret value, for `::add-mask::` and for redaction.
    pub fn secret_values(&self) -> Vec<String> {
        let mut out: Vec<String> = [
            &self.railway_token,
            &self.github_token,
            &self.anonymize_key,
            &self.staging_password,
        ]
        .into_iter()
        .flatten()
        .map(|s| s.expose_secret().to_owned())
        .collect();
        if let Some(url) = &self.source_database_url {
            out.push(url.expose().to_owned());
            out.extend(url.password());
        }
        out.retain(|s| !s.is_empty());
        out
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
