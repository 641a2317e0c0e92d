//! The one builder of the lifecycle set-up (Railway platform and [`LifecycleConfig`]) that both
//! front ends use: the CLI (`wpstage up|down|refresh|reap`) and the GitHub Action. Each front end
//! fills a [`Setup`] from its own inputs, naming every field (no `..Default`), so a setting added
//! here is a compile error in a front end that forgets it rather than a silent default.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use secrecy::SecretString;

use crate::lifecycle::base::DataSource;
use crate::lifecycle::{
    DEFAULT_HEALTHCHECK_PATH, LifecycleConfig, TransformSettings, default_jobs,
};
use crate::platform::SecretSink;
use crate::platform::railway::{RailwayConfig, RailwayPlatform};
use crate::postgres::DbUrl;
use crate::railway::{RailwayClient, Url};

/// Where production is and which Railway project PR environments live in.
#[derive(Debug, Clone)]
pub struct RailwaySetup {
    pub token: Option<SecretString>,
    pub project_id: Option<String>,
    pub source_environment: String,
    pub app_service: Option<String>,
    pub database_service: Option<String>,
    pub source_database_url: Option<DbUrl>,
    /// An image the user's workflow built for the PR: the app is deployed from it.
    pub app_image: Option<String>,
    /// Debug builds only: the Railway API endpoint (the test simulator). Ignored by release
    /// builds, which always talk to Railway.
    pub endpoint: Option<String>,
}

/// Every lifecycle setting a front end can give.
#[derive(Debug, Clone)]
pub struct Setup {
    pub railway: RailwaySetup,
    pub prefix: String,
    pub site_url: Option<String>,
    /// `None`: [`default_jobs`].
    pub jobs: Option<usize>,
    pub pg_dump: Option<PathBuf>,
    pub transforms: TransformSettings,
    pub app_vars: BTreeMap<String, String>,
    pub wait_for_deploy: bool,
    pub deploy_timeout: Duration,
    pub ttl: Duration,
    /// Where the data comes from (a base snapshot or production).
    pub data_source: DataSource,
    /// `up`: start the app's deploy before the data copy, guarded by a healthcheck.
    pub overlap_build: bool,
    /// The healthcheck path for `overlap_build`; `None`: [`DEFAULT_HEALTHCHECK_PATH`].
    pub healthcheck_path: Option<String>,
    /// Where the data copy runs (`--copy-in` / `copy_in`).
    pub copy_in: crate::lifecycle::copy_in::CopyIn,
}

impl Setup {
    /// The lifecycle configuration these settings describe.
    pub fn lifecycle_config(&self) -> LifecycleConfig {
        LifecycleConfig {
            prefix: self.prefix.clone(),
            site_url: self.site_url.clone(),
            jobs: self.jobs.unwrap_or_else(default_jobs).max(1),
            pg_dump: self.pg_dump.clone(),
            transforms: self.transforms.clone(),
            app_vars: self.app_vars.clone(),
            wait_for_deploy: self.wait_for_deploy,
            deploy_timeout: self.deploy_timeout,
            ttl: self.ttl,
            data_source: self.data_source.clone(),
            overlap_build: self.overlap_build,
            healthcheck_path: self
                .healthcheck_path
                .clone()
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| DEFAULT_HEALTHCHECK_PATH.to_owned()),
            copy_in: self.copy_in.clone(),
            ..LifecycleConfig::default()
        }
    }

    /// The Railway platform, telling `secrets` every credential it reads.
    pub fn railway_platform(&self, secrets: SecretSink) -> anyhow::Result<RailwayPlatform> {
        let r = &self.railway;
        let token = r.token.clone().context(
            "Railway needs an account or workspace token (a project token cannot create \
             environments): create one in Railway's Account Settings → Tokens and pass it as \
             `railway_token` (Action) or --railway-token / RAILWAY_API_TOKEN (CLI)",
        )?;
        let project = r.project_id.clone().filter(|p| !p.is_empty()).context(
            "Railway needs the project id: copy it from the Railway dashboard (Project Settings → \
             General) into `railway_project_id` (Action) or --project-id / RAILWAY_PROJECT_ID (CLI)",
        )?;
        let client = RailwayClient::new(token, endpoint(r.endpoint.as_deref())?)?;
        let mut rc = RailwayConfig::new(project);
        rc.source_environment = r.source_environment.clone();
        rc.app_service = r.app_service.clone();
        rc.database_service = r.database_service.clone();
        rc.source_database_url = r.source_database_url.clone();
        rc.app_image = r.app_image.clone().filter(|i| !i.is_empty());
        rc.secrets = secrets;
        Ok(RailwayPlatform::new(client, rc))
    }
}

/// Debug builds only: tests point the client at the simulated Railway API.
fn endpoint(over: Option<&str>) -> anyhow::Result<Option<Url>> {
    if !cfg!(any(debug_assertions, feature = "sim-endpoint")) {
        return Ok(None);
    }
    over.filter(|u| !u.is_empty())
        .map(|u| Url::parse(u).context("WPSTAGE_RAILWAY_ENDPOINT is not a URL"))
        .transpose()
}
