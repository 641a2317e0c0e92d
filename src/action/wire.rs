//! The production [`Lifecycle`]: the Railway platform and the lifecycle configuration built from
//! the action's inputs.

use std::sync::Arc;

use super::commands::Secrets;
use super::config::ActionConfig;
use super::seam::{Lifecycle, ReapRequest, UpRequest};
use crate::lifecycle::base::{BaseInfo, DataSource};
use crate::lifecycle::{self, LifecycleConfig, Outcome, TransformSettings};
use crate::platform::SecretSink;
use crate::platform::railway::RailwayPlatform;
use crate::setup::{RailwaySetup, Setup};

/// The lifecycle that talks to Railway.
pub struct RailwayLifecycle {
    platform: RailwayPlatform,
    cfg: LifecycleConfig,
}

/// Every lifecycle setting the action's inputs give, for the shared builder.
pub fn setup(cfg: &ActionConfig) -> Setup {
    Setup {
        railway: RailwaySetup {
            token: cfg.railway_token.clone(),
            project_id: cfg.railway_project_id.clone(),
            source_environment: cfg.source_environment.clone(),
            app_service: cfg.app_service.clone(),
            database_service: cfg.database_service.clone(),
            source_database_url: cfg.source_database_url.clone(),
            app_image: cfg.app_image.clone(),
            endpoint: cfg.railway_endpoint.clone(),
        },
        prefix: cfg.environment_prefix.clone(),
        site_url: cfg.site_url.clone(),
        jobs: cfg.jobs,
        pg_dump: cfg.pg_dump.clone(),
        transforms: TransformSettings {
            anonymize: cfg.anonymize,
            key: cfg.anonymize_key.clone(),
            rules_file: cfg.rules_file.clone(),
            keep_users: cfg.keep_users.clone(),
            staging_password: cfg.staging_password.clone(),
            keep_user_data: cfg.keep_user_data,
            rewrite_guid: cfg.rewrite_guid,
            uploads_url: cfg.uploads_url.clone(),
            rewrite_uploads: cfg.rewrite_uploads,
            keep_blog_public: cfg.keep_blog_public,
            strict: cfg.strict,
        },
        app_vars: cfg.app_vars.clone(),
        wait_for_deploy: cfg.wait_for_deploy,
        deploy_timeout: cfg.deploy_timeout,
        ttl: cfg.ttl,
        data_source: DataSource {
            from: cfg.data_from,
            base_name: crate::platform::railway::DEFAULT_BASE_NAME.to_owned(),
            max_age: cfg.base_max_age,
        },
        overlap_build: cfg.overlap_build,
        healthcheck_path: cfg.healthcheck_path.clone(),
        copy_in: cfg.copy_in.clone(),
    }
}

/// Builds the production lifecycle from the validated configuration.
pub fn connect(cfg: &ActionConfig, secrets: Secrets) -> anyhow::Result<RailwayLifecycle> {
    cfg.require_railway_token()?;
    let setup = setup(cfg);
    let sink = SecretSink::new(Arc::new(move |s: &str| secrets.add(s)));
    Ok(RailwayLifecycle {
        platform: setup.railway_platform(sink)?,
        cfg: setup.lifecycle_config(),
    })
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
    async fn base_refresh(&self) -> anyhow::Result<BaseInfo> {
        lifecycle::base::refresh_apart(&self.platform, &self.cfg).await
    }
}
