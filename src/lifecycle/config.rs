//! Settings of the lifecycle, validated once by the adapter that builds them (CLI or Action).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub use crate::transform::TransformSettings;

/// Everything `up`, `down`, `refresh` and `reap` need besides the platform.
#[derive(Debug, Clone)]
pub struct LifecycleConfig {
    /// Environment names are `<prefix><pr>`, e.g. `pr-42`.
    pub prefix: String,
    /// The production site URL; read from the source's `home` option when `None`.
    pub site_url: Option<String>,
    pub jobs: usize,
    pub pg_dump: Option<PathBuf>,
    pub progress_every: Duration,
    pub transforms: TransformSettings,
    /// Extra app variables set on every PR environment (besides WP_HOME / WP_SITEURL).
    pub app_vars: BTreeMap<String, String>,
    pub wait_for_deploy: bool,
    pub deploy_timeout: Duration,
    /// How long an environment lives before `reap` removes it.
    pub ttl: Duration,
    /// Production or the base snapshot (`--data-from`).
    pub data_source: super::base::DataSource,
    /// Start the app's deploy before the data copy, guarded by `healthcheck_path`.
    pub overlap_build: bool,
    /// The path that must answer 200 before the PR's app goes live (with `overlap_build`).
    pub healthcheck_path: String,
    /// Where the data copy runs (`--copy-in`).
    pub copy_in: super::copy_in::CopyIn,
}

/// The healthcheck path used with `--overlap-build` unless the user gives one: WordPress's login
/// page answers 200 only once the site is installed.
pub const DEFAULT_HEALTHCHECK_PATH: &str = "/wp-login.php";

impl Default for LifecycleConfig {
    fn default() -> Self {
        Self {
            prefix: "pr-".to_owned(),
            site_url: None,
            jobs: default_jobs(),
            pg_dump: None,
            progress_every: Duration::from_secs(5),
            transforms: TransformSettings::default(),
            app_vars: BTreeMap::new(),
            wait_for_deploy: true,
            deploy_timeout: Duration::from_secs(900),
            ttl: Duration::from_secs(7 * 24 * 3600),
            data_source: super::base::DataSource::default(),
            overlap_build: false,
            healthcheck_path: DEFAULT_HEALTHCHECK_PATH.to_owned(),
            copy_in: super::copy_in::CopyIn::default(),
        }
    }
}

/// Worker count when none is given: the cores, at least two (one side waits on the other).
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(2)
        .clamp(2, 8)
}

impl LifecycleConfig {
    pub fn environment_name(&self, pr: u64) -> String {
        format!("{}{pr}", self.prefix)
    }
}
