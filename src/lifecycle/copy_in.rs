//! `--copy-in`: where the data copy runs. `runner` (the default) streams production through the
//! machine running wpstage; `railway` runs the same copy as a one-off job inside the PR
//! environment (see [`Platform::run_copy_job`]), so that the bytes never cross the runner's
//! link. Both fill the same [`DataSummary`].
//!
//! The job is this binary (`wpstage copy-in`, hidden), configured through variables only: the
//! settings below, the secrets (anonymization key, staging password) as their own variables,
//! and the two database URLs the platform adds. Nothing secret is on its command line.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use super::base::BaseInfo;
use super::config::LifecycleConfig;
use super::data;
use super::outcome::DataSummary;
use crate::platform::copy_job::{CopyJob, SOURCE_URL_VAR, TARGET_URL_VAR};
use crate::platform::{EnvRef, Platform};
use crate::postgres::DbUrl;

/// Where the data copy runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CopyIn {
    /// Here: production → this machine → the PR database, over both public URLs.
    #[default]
    Runner,
    /// In a one-off service inside the PR environment, started from `image`.
    Railway { image: String },
}

impl CopyIn {
    /// `--copy-in` (`runner` or `railway`) with `--copy-image` (`None` or empty: the default).
    pub fn parse(placement: &str, image: Option<&str>) -> Result<Self, String> {
        let image = image.map(str::trim).filter(|i| !i.is_empty());
        match placement.trim() {
            "" | "runner" if image.is_none() => Ok(Self::Runner),
            "" | "runner" => Err(
                "a copy image is used with `railway` placement only; drop it \
                 or set the placement to railway"
                    .to_owned(),
            ),
            "railway" => Ok(Self::Railway {
                image: image.unwrap_or(DEFAULT_COPY_IMAGE).to_owned(),
            }),
            other => Err(format!(
                "{other:?} is not a copy placement; use `runner` (copy through this machine) or \
                 `railway` (copy inside the PR environment)"
            )),
        }
    }
}

/// The image `--copy-in railway` starts unless told otherwise: this release's published image,
/// the one `action.yml` runs (a test keeps the two equal).
pub const DEFAULT_COPY_IMAGE: &str = concat!("ghcr.io/OWNER/wpstage:", env!("CARGO_PKG_VERSION"));

/// What the job's container runs: the binary where the image puts it. Railway runs a start
/// command of an image service in exec form in place of the image's ENTRYPOINT (its docs, "Set a
/// Start Command"), so no shell and no `action` entrypoint in front of it.
pub const JOB_COMMAND: &str = "/usr/local/bin/wpstage copy-in";

/// How long the job may run before `up` gives up on it.
pub const JOB_TIMEOUT: Duration = Duration::from_secs(3 * 3600);

const PREVIEW_VAR: &str = "WPSTAGE_COPY_PREVIEW_URL";
const SITE_VAR: &str = "WPSTAGE_COPY_SITE_URL";
const JOBS_VAR: &str = "WPSTAGE_COPY_JOBS";
const SETTINGS_VAR: &str = "WPSTAGE_COPY_SETTINGS";
const RULES_VAR: &str = "WPSTAGE_COPY_RULES";
const KEY_VAR: &str = "WPSTAGE_ANONYMIZE_KEY";
const PASSWORD_VAR: &str = "WPSTAGE_STAGING_PASSWORD";

/// The transform settings that are not secret, as the job receives them.
#[derive(Debug, Default, Serialize, Deserialize)]
struct JobSettings {
    anonymize: bool,
    keep_users: Vec<String>,
    keep_user_data: bool,
    rewrite_guid: bool,
    uploads_url: Option<String>,
    rewrite_uploads: bool,
    keep_blog_public: bool,
    strict: bool,
}

/// With `--copy-in railway`: copies production inside `env` and returns what it copied. `None`
/// with `--copy-in runner`.
pub(super) async fn copy_inside(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    env: &EnvRef,
    preview: &str,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Option<DataSummary>> {
    run_inside(platform, cfg, env, None, preview, warnings).await
}

/// With `--copy-in railway`: copies the base snapshot at `url` inside `env` with only the URL
/// rewrite (the base is anonymized already), so the base's bytes stay in the region too.
/// `None` with `--copy-in runner`.
pub(super) async fn copy_base_inside(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    env: &EnvRef,
    (url, base): (&DbUrl, &BaseInfo),
    preview: &str,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Option<DataSummary>> {
    let from_base = LifecycleConfig {
        site_url: Some(base.site_url.clone()),
        transforms: super::base::rewrite::url_only(&cfg.transforms),
        ..cfg.clone()
    };
    let copied = run_inside(platform, &from_base, env, Some(url), preview, warnings).await?;
    Ok(copied.map(|summary| base.stamp(summary)))
}

/// Runs the copy job in `env`, reading `source` (`None`: production).
async fn run_inside(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    env: &EnvRef,
    source: Option<&DbUrl>,
    preview: &str,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Option<DataSummary>> {
    let CopyIn::Railway { image } = &cfg.copy_in else {
        return Ok(None);
    };
    let job = CopyJob {
        image: image.clone(),
        command: JOB_COMMAND.to_owned(),
        variables: job_variables(cfg, preview)?,
        timeout: JOB_TIMEOUT,
        source: source.cloned(),
    };
    let what = if source.is_some() {
        "the base snapshot"
    } else {
        "production"
    };
    tracing::info!(environment = %env.name, image = %image, "copying {what} inside the environment");
    let run = platform.run_copy_job(env, &job).await?;
    warnings.extend(run.warnings);
    let summary: DataSummary = serde_json::from_str(&run.report)
        .context("reading the report of the copy inside the environment")?;
    Ok(Some(summary))
}

/// The job's variables for a copy into an environment whose preview is `preview`.
fn job_variables(cfg: &LifecycleConfig, preview: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let t = &cfg.transforms;
    let settings = JobSettings {
        anonymize: t.anonymize,
        keep_users: t.keep_users.clone(),
        keep_user_data: t.keep_user_data,
        rewrite_guid: t.rewrite_guid,
        uploads_url: t.uploads_url.clone(),
        rewrite_uploads: t.rewrite_uploads,
        keep_blog_public: t.keep_blog_public,
        strict: t.strict,
    };
    let mut vars = BTreeMap::new();
    vars.insert(PREVIEW_VAR.to_owned(), preview.to_owned());
    vars.insert(JOBS_VAR.to_owned(), cfg.jobs.to_string());
    vars.insert(SETTINGS_VAR.to_owned(), serde_json::to_string(&settings)?);
    if let Some(site) = &cfg.site_url {
        vars.insert(SITE_VAR.to_owned(), site.clone());
    }
    if let Some(path) = &t.rules_file {
        let rules = std::fs::read_to_string(path)
            .with_context(|| format!("reading the rules file {}", path.display()))?;
        vars.insert(RULES_VAR.to_owned(), rules);
    }
    for (name, secret) in [(KEY_VAR, &t.key), (PASSWORD_VAR, &t.staging_password)] {
        if let Some(s) = secret.as_ref().filter(|s| !s.expose_secret().is_empty()) {
            vars.insert(name.to_owned(), s.expose_secret().to_owned());
        }
    }
    Ok(vars)
}

/// The job itself (`wpstage copy-in`, inside the environment): copies production into the PR
/// database as `vars` say and returns the report line's JSON.
pub async fn run_job(vars: &BTreeMap<String, String>) -> anyhow::Result<String> {
    let get = |name: &str| {
        vars.get(name)
            .filter(|v| !v.is_empty())
            .with_context(|| format!("the copy job has no {name} variable; it is started by `wpstage up --copy-in railway`, not by hand"))
    };
    let source = DbUrl::parse(get(SOURCE_URL_VAR)?, "source")?;
    let target = DbUrl::parse(get(TARGET_URL_VAR)?, "staging")?;
    let preview = get(PREVIEW_VAR)?.clone();
    let settings: JobSettings = serde_json::from_str(get(SETTINGS_VAR)?)
        .with_context(|| format!("reading {SETTINGS_VAR}"))?;
    let rules_file = match vars.get(RULES_VAR) {
        Some(text) => {
            let path =
                std::env::temp_dir().join(format!("wpstage-rules-{}.yml", std::process::id()));
            std::fs::write(&path, text).context("writing the rules file")?;
            Some(path)
        }
        None => None,
    };
    let secret = |name: &str| {
        vars.get(name)
            .filter(|v| !v.is_empty())
            .map(|v| SecretString::from(v.clone()))
    };
    let mut cfg = LifecycleConfig {
        site_url: vars.get(SITE_VAR).cloned(),
        progress_every: Duration::from_secs(5),
        ..LifecycleConfig::default()
    };
    if let Some(jobs) = vars.get(JOBS_VAR).and_then(|j| j.parse().ok()) {
        cfg.jobs = jobs;
    }
    let t = &mut cfg.transforms;
    t.anonymize = settings.anonymize;
    t.key = secret(KEY_VAR);
    t.staging_password = secret(PASSWORD_VAR);
    t.rules_file = rules_file.clone();
    t.keep_users = settings.keep_users;
    t.keep_user_data = settings.keep_user_data;
    t.rewrite_guid = settings.rewrite_guid;
    t.uploads_url = settings.uploads_url;
    t.rewrite_uploads = settings.rewrite_uploads;
    t.keep_blog_public = settings.keep_blog_public;
    t.strict = settings.strict;
    let copied = async {
        let site = data::production_site_url(&cfg, &source).await?;
        data::copy(&cfg, &source, &target, &site, &preview).await
    }
    .await;
    remove_rules(rules_file);
    let (_, summary) = copied?;
    // The per-table transform report stays in this log; the report line carries the numbers.
    if let Some(report) = &summary.transform_report {
        tracing::info!(report = %serde_json::to_string(report)?, "transform report");
    }
    let summary = DataSummary {
        transform_report: None,
        ..summary
    };
    Ok(serde_json::to_string(&summary)?)
}

fn remove_rules(path: Option<PathBuf>) {
    if let Some(path) = path
        && let Err(e) = std::fs::remove_file(&path)
    {
        tracing::debug!("removing {}: {e}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_image_is_the_one_action_yml_runs() {
        let action = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml"))
            .expect("action.yml");
        let image = action
            .lines()
            .find_map(|l| l.trim().strip_prefix("image: docker://"))
            .expect("action.yml runs a docker:// image");
        assert_eq!(image, DEFAULT_COPY_IMAGE);
    }

    #[test]
    fn placements_parse_with_their_image() {
        assert_eq!(CopyIn::parse("runner", None), Ok(CopyIn::Runner));
        assert_eq!(CopyIn::parse("", Some(" ")), Ok(CopyIn::Runner));
        assert_eq!(
            CopyIn::parse("railway", None),
            Ok(CopyIn::Railway {
                image: DEFAULT_COPY_IMAGE.to_owned()
            })
        );
        assert_eq!(
            CopyIn::parse("railway", Some("wpstage:dev")),
            Ok(CopyIn::Railway {
                image: "wpstage:dev".to_owned()
            })
        );
        assert!(CopyIn::parse("runner", Some("wpstage:dev")).is_err());
        assert!(
            CopyIn::parse("cloud", None)
                .unwrap_err()
                .contains("railway")
        );
    }

    #[test]
    fn the_job_command_is_where_the_image_puts_the_binary() {
        let dockerfile =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile"))
                .expect("Dockerfile");
        let binary = JOB_COMMAND.split_whitespace().next().unwrap();
        assert!(
            dockerfile
                .lines()
                .any(|l| l.starts_with("COPY") && l.trim_end().ends_with(&format!(" {binary}"))),
            "the Dockerfile copies no binary to {binary}"
        );
    }

    #[tokio::test]
    async fn the_job_variables_carry_the_settings_and_the_secrets_apart() {
        let mut cfg = LifecycleConfig {
            site_url: Some("https://shop.example".to_owned()),
            jobs: 3,
            ..LifecycleConfig::default()
        };
        cfg.transforms.key = Some(SecretString::from("k3y".to_owned()));
        cfg.transforms.keep_users = vec!["admin".to_owned()];
        let vars = job_variables(&cfg, "https://pr-7.up.railway.app").unwrap();
        assert_eq!(vars[KEY_VAR], "k3y");
        assert!(
            !vars[SETTINGS_VAR].contains("k3y"),
            "{}",
            vars[SETTINGS_VAR]
        );
        assert_eq!(vars[JOBS_VAR], "3");
        assert_eq!(vars[SITE_VAR], "https://shop.example");
        assert!(!vars.contains_key(PASSWORD_VAR));
        // Without the URLs the platform adds, the job refuses to start and says why.
        let err = run_job(&vars).await.unwrap_err();
        assert!(format!("{err:#}").contains(SOURCE_URL_VAR), "{err:#}");
    }
}
