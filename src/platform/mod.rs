//! Where staging environments live. The lifecycle is written once against [`Platform`];
//! `railway` is the product, `local` keeps environments as databases on a server you own.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, SystemTime};

pub mod copy_job;
mod deployment;
pub mod railway;

pub use deployment::{DeploymentSummary, FidelityIssue, ServiceDeployment};

use crate::postgres::DbUrl;

pub mod local;
pub mod local_template;

/// An environment the lifecycle works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRef {
    pub id: String,
    pub name: String,
}

/// An environment wpstage manages, as listed for the reaper.
#[derive(Debug, Clone)]
pub struct EnvInfo {
    pub env: EnvRef,
    pub pr: Option<u64>,
    pub created_at: Option<SystemTime>,
}

/// Receives every credential a platform derives (database URLs, passwords) the moment it is
/// read, so that an adapter can mask it (`::add-mask::`) before anything could print it.
#[derive(Clone, Default)]
pub struct SecretSink(Option<SecretFn>);

/// What a [`SecretSink`] calls with each credential.
pub type SecretFn = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

impl SecretSink {
    pub fn new(f: SecretFn) -> Self {
        Self(Some(f))
    }

    /// Hands a bare credential (a generated password) to the sink.
    pub fn secret(&self, value: &str) {
        if let (Some(f), false) = (&self.0, value.is_empty()) {
            f(value);
        }
    }

    /// Hands a database URL and its password to the sink.
    pub fn database_url(&self, url: &DbUrl) {
        if let Some(f) = &self.0 {
            f(url.expose());
            if let Some(pw) = url.password() {
                f(&pw);
            }
        }
    }
}

impl std::fmt::Debug for SecretSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "SecretSink(set)"
        } else {
            "SecretSink(none)"
        })
    }
}

/// Counters of API use, for the Outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiUse {
    pub calls: u64,
    pub polls: u64,
}

/// Another wpstage run holds the environment (see [`Platform::lock_environment`]).
#[derive(Debug, thiserror::Error)]
#[error(
    "another wpstage run for environment {name} is in progress; rerun when it has finished \
     (staging then holds that run's complete copy)"
)]
pub struct RunInProgress {
    pub name: String,
}

/// Keeps other wpstage runs off one environment while it is held; see
/// [`Platform::lock_environment`]. Dropping it releases it too (when its session closes);
/// [`RunLock::release`] does so at once.
#[derive(Default)]
pub struct RunLock {
    held: Option<HeldLock>,
}

/// A session holding a lock, and the statement that releases it (`$1`: the environment).
struct HeldLock {
    session: tokio_postgres::Client,
    unlock: String,
    name: String,
}

impl RunLock {
    /// A lock that keeps nothing off (a platform without a place to hold one).
    pub fn none() -> Self {
        Self::default()
    }

    /// A lock on environment `name` held by `session`; `unlock` releases it (`$1`: `name`).
    pub fn session(session: tokio_postgres::Client, unlock: String, name: &str) -> Self {
        Self {
            held: Some(HeldLock {
                session,
                unlock,
                name: name.to_owned(),
            }),
        }
    }

    /// Lets other runs in now.
    pub async fn release(self) {
        if let Some(held) = self.held
            && let Err(e) = held.session.query(&held.unlock, &[&held.name]).await
        {
            // The lock ends with the session, which closes now.
            tracing::debug!(error = %e, "releasing the lock on {}", held.name);
        }
    }
}

impl std::fmt::Debug for RunLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.held {
            Some(held) => write!(f, "RunLock({})", held.name),
            None => f.write_str("RunLock(none)"),
        }
    }
}

/// An app deploy started before the data copy (`--overlap-build`): the platform makes it live
/// only once its healthcheck answers 200, which WordPress does only on an installed site.
#[derive(Debug, Clone)]
pub struct GuardedDeploy {
    pub id: String,
    pub service: String,
    pub began: std::time::Instant,
    pub warnings: Vec<String>,
}

/// A place to create per-PR staging environments.
pub trait Platform: Send + Sync {
    /// `railway` or `local`.
    fn name(&self) -> &'static str;

    /// The environment called `name`. An environment of that name that wpstage did not create
    /// is an error: wpstage never adopts, changes or deletes what it did not make.
    fn find_environment(
        &self,
        name: &str,
    ) -> impl Future<Output = anyhow::Result<Option<EnvRef>>> + Send;

    /// Creates the environment for `pr`, marked as wpstage's.
    fn create_environment(
        &self,
        name: &str,
        pr: u64,
    ) -> impl Future<Output = anyhow::Result<EnvRef>> + Send;

    /// Deletes an environment wpstage created; `Ok(false)` when it was already gone.
    fn delete_environment(&self, env: &EnvRef)
    -> impl Future<Output = anyhow::Result<bool>> + Send;

    /// Every environment wpstage manages (all pages).
    fn list_environments(&self) -> impl Future<Output = anyhow::Result<Vec<EnvInfo>>> + Send;

    /// The public URL of the environment's app, created if missing.
    fn preview_url(&self, env: &EnvRef) -> impl Future<Output = anyhow::Result<String>> + Send;

    /// The production database.
    fn source_database(&self) -> impl Future<Output = anyhow::Result<DbUrl>> + Send;

    /// The environment's database, deployed and reachable from here.
    fn staging_database(&self, env: &EnvRef) -> impl Future<Output = anyhow::Result<DbUrl>> + Send;

    /// Sets app variables (WP_HOME, WP_SITEURL, user overrides) without deploying.
    fn configure_app(
        &self,
        env: &EnvRef,
        vars: &BTreeMap<String, String>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Deploys `sha` to the app service(s) and waits up to `timeout` for the result.
    fn deploy_app(
        &self,
        env: &EnvRef,
        sha: &str,
        timeout: Duration,
    ) -> impl Future<Output = anyhow::Result<DeploymentSummary>> + Send;

    /// Starts deploying `sha` to the app and returns without waiting for the result
    /// (`--no-wait`). A platform whose deploys are instant just deploys.
    fn trigger_app(
        &self,
        env: &EnvRef,
        sha: &str,
    ) -> impl Future<Output = anyhow::Result<DeploymentSummary>> + Send {
        self.deploy_app(env, sha, Duration::ZERO)
    }

    /// Starts deploying `sha` to the app with `healthcheck` guarding it (kept waiting for up to
    /// `timeout`), so that it can build while the data is copied. `Ok(None)`: the platform cannot
    /// guard a deploy; the caller deploys after the copy instead.
    fn start_guarded_deploy(
        &self,
        _env: &EnvRef,
        _sha: &str,
        _healthcheck: &str,
        _timeout: Duration,
    ) -> impl Future<Output = anyhow::Result<Option<GuardedDeploy>>> + Send {
        async { Ok(None) }
    }

    /// After the copy: deploys the services beside the app and, when `wait`, waits for them and
    /// for `deploy` until `timeout` after it began.
    fn finish_guarded_deploy(
        &self,
        _env: &EnvRef,
        _sha: &str,
        _deploy: GuardedDeploy,
        _wait: bool,
        _timeout: Duration,
    ) -> impl Future<Output = anyhow::Result<DeploymentSummary>> + Send {
        async { anyhow::bail!("this platform cannot deploy while copying; drop --overlap-build") }
    }

    /// Points the environment's app at what the PR builds (its `branch`, or a prebuilt image)
    /// so that nothing but wpstage deploys production's code into it. Returns warnings.
    fn prepare_app(
        &self,
        _env: &EnvRef,
        _branch: Option<&str>,
    ) -> impl Future<Output = anyhow::Result<Vec<String>>> + Send {
        async { Ok(Vec::new()) }
    }

    /// The source environment's unrendered value of app variable `name` (`None`: not set, or
    /// the platform has no app variables).
    fn source_app_variable(
        &self,
        _name: &str,
    ) -> impl Future<Output = anyhow::Result<Option<String>>> + Send {
        async { Ok(None) }
    }

    /// Checks that the app of `env` reaches the environment's own database, not production's
    /// (its database variables as the platform renders them for `env`).
    fn check_app_database(&self, _env: &EnvRef) -> impl Future<Output = anyhow::Result<()>> + Send {
        async { Ok(()) }
    }

    /// Environments that look like leftovers of a cancelled run (made by wpstage's naming but
    /// never marked), for `reap` to name; never deleted automatically.
    fn unmarked_candidates(&self) -> impl Future<Output = anyhow::Result<Vec<EnvRef>>> + Send {
        async { Ok(Vec::new()) }
    }

    /// Keeps other wpstage runs off environment `name` (`up`, `refresh`) until the returned lock
    /// is released or dropped. Fails with [`RunInProgress`] when another run holds it. A
    /// platform without a place to hold such a lock returns [`RunLock::none`].
    fn lock_environment(
        &self,
        _name: &str,
    ) -> impl Future<Output = anyhow::Result<RunLock>> + Send {
        async { Ok(RunLock::none()) }
    }

    /// Helper databases (`…__wpstage_next`, `…__wpstage_old`) that interrupted copies into
    /// environments named `prefix…` left behind and that no run is using: removed unless
    /// `dry_run`. Helpers a run is using are listed apart and never touched.
    fn reap_helpers(
        &self,
        _prefix: &str,
        _dry_run: bool,
    ) -> impl Future<Output = anyhow::Result<crate::sync::helpers::Sweep>> + Send {
        async { Ok(crate::sync::helpers::Sweep::default()) }
    }

    /// Differences between the environment and its source other than the intended overrides.
    fn fidelity(
        &self,
        env: &EnvRef,
        overrides: &[String],
    ) -> impl Future<Output = anyhow::Result<Vec<FidelityIssue>>> + Send;

    /// API requests so far.
    fn api_use(&self) -> ApiUse;

    /// Where the base snapshot `name` lives, for `up` and `refresh` to read it.
    fn base_home(&self, _name: &str) -> impl Future<Output = anyhow::Result<BaseHome>> + Send {
        async { Ok(BaseHome::StagingServer) }
    }

    /// The database to build the base snapshot `name` in, made ready (Railway: an environment of
    /// its own holding only the database service, created if missing). `None`: the platform
    /// keeps the base on the staging server beside the PR databases.
    fn prepare_base_database(
        &self,
        _name: &str,
    ) -> impl Future<Output = anyhow::Result<Option<DbUrl>>> + Send {
        async { Ok(None) }
    }

    /// Runs the data copy `job` inside `env` (`--copy-in railway`), next to its database, and
    /// returns its report. The platform removes whatever it created for the job, whatever the
    /// result.
    fn run_copy_job(
        &self,
        _env: &EnvRef,
        _job: &copy_job::CopyJob,
    ) -> impl Future<Output = anyhow::Result<copy_job::CopyRun>> + Send {
        let name = self.name();
        async move {
            anyhow::bail!(
                "the {name} platform cannot run the data copy inside the environment; use \
                 --copy-in runner"
            )
        }
    }
}

/// Where a platform keeps the base snapshot.
#[derive(Debug, Clone)]
pub enum BaseHome {
    /// A database of the base's name on the staging server, cloned as a template (local).
    StagingServer,
    /// A database apart from the PR databases' servers (Railway: the base environment's own),
    /// streamed into each PR database; `None` when there is none yet.
    Apart(Option<Box<DbUrl>>),
}
