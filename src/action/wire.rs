//! The production [`Lifecycle`]: the Railway platform and the lifecycle configuration built from
//! the action's inputs.

use std::sync::Arc;

use anyhow::Context as _;

use super::commands::Secrets;
use super::config::ActionConfig;
use super::seam::{Lifecycle, ReapRequest, UpRequest};
use crate::lifecycle::{self, LifecycleConfig, Outcome, TransformSettings};
use crate::platform::SecretSink;
use crate::platform::railway::{RailwayConfig, RailwayPlatform};
use crate::railway::{RailwayClient, Url};

/// Where the Railway API is; tests point a debug build at the simulator with
/// `WPSTAGE_RAILWAY_ENDPOINT` (a release build only with the `sim-endpoint` feature, which the
/// container tests use). A shipped release build always talks to Railway.
fn endpoint(env_override: Option<&str>) -> anyhow::Result<Option<Url>> {
    if !cfg!(any(debug_assertions, feature = "sim-endpoint")) {
        return Ok(None);
    }
    env_override
        .filter(|u| !u.is_empty())
        .map(|u| Url::parse(u).context("WPSTAGE_RAILWAY_ENDPOINT is not a URL"))
        .transpose()
}

/// The lifecycle that talks to Railway.
pub struct RailwayLifecycle {
    platform: RailwayPlatform,
    cfg: LifecycleConfig,
}

/// Builds the production lifecycle from the validated configuration.
pub fn connect(cfg: &ActionConfig, secrets: Secrets) -> anyhow::Result<RailwayLifecycle> {
    let token = cfg.require_railway_token()?;
    let project = cfg.railway_project_id.clone().context(
        "the `railway_project_id` input is required: copy the project id from the Railway \
         dashboard (Project Settings → General) into the workflow's `with:`",
    )?;
    let client = RailwayClient::new(token.clone(), endpoint(cfg.railway_endpoint.as_deref())?)?;
    let mut rc = RailwayConfig::new(project);
    rc.source_environment = cfg.source_environment.clone();
    rc.app_service = cfg.app_service.clone();
    rc.database_service = cfg.database_service.clone();
    rc.source_database_url = cfg.source_database_url.clone();
    let sink = secrets.clone();
    rc.secrets = SecretSink::new(Arc::new(move |s: &str| sink.add(s)));
    let platform = RailwayPlatform::new(client, rc);
    let lc = LifecycleConfig {
        prefix: cfg.environment_prefix.clone(),
        site_url: cfg.site_url.clone(),
        transforms: TransformSettings {
            anonymize: cfg.anonymize,
            key: cfg.anonymize_key.clone(),
            rules_file: cfg.rules_file.clone(),
            keep_users: cfg.keep_users.clone(),
            staging_password: cfg.staging_password.clone(),
            ..TransformSettings::default()
        },
        wait_for_deploy: cfg.wait_for_deploy,
        deploy_timeout: cfg.deploy_timeout,
        ttl: cfg.ttl,
        ..LifecycleConfig::default()
    };
    Ok(RailwayLifecycle { platform, cfg: lc })
}

impl Lifecycle for RailwayLifecycle {
    async fn up(&self, req: &UpRequest) -> anyhow::Result<Outcome> {
        lifecycle::up(&self.platform, &self.cfg, req).await
    }
    async fn down(&self, pr: u64) -> anyhow::Result<Outcome> {
        lifecycle::down(&self.platform, &self.cfg, pr).await
    }
    async fn refresh(&self, pr: u64) -> anyhow::Result<Outcome> {
        lifecycle::refresh(&self.platform, &self.cfg, pr).await
    }
    async fn reap(&self, req: &ReapRequest) -> anyhow::Result<Outcome> {
        lifecycle::reap(&self.platform, &self.cfg, req).await
    }
}
