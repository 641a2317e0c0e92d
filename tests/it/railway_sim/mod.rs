//! A simulated Railway backboard for tests: a loopback HTTP server that answers the GraphQL
//! operations wpstage sends with real (in-memory) state, rejects every document that does not
//! validate against Railway's schema, records every request, injects faults on demand, and backs
//! each environment's Postgres service with a real database on the test clusters.
//!
//! ```ignore
//! let sim = Sim::start(SimOptions::default()).await;
//! let seed = sim.seed_production(&prod_db);           // project + production env
//! sim.fail(Some("Project"), Fault::TooManyRequests { retry_after_secs: 1 });
//! let client = sim.client();                          // account token, tiny retry delays
//! assert_eq!(sim.count("Project"), 2);
//! ```

mod duplicate;
pub mod exec;
mod health;
pub mod one_off;
mod render;
pub mod schema;
mod server;
mod services;
pub mod state;
mod triggers;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use secrecy::SecretString;
use wpstage::postgres::DbUrl;
use wpstage::railway::{RailwayClient, RetryPolicy, Url};

pub use state::{Backing, Caller, SimEnv, SimInstance, SimProxy, State};

/// The repository the seeded app service is built from.
pub const APP_REPO: &str = "acme/shop";

/// The account token the simulator accepts.
pub const ACCOUNT_TOKEN: &str = "sim-account-token";

/// One request as the simulator received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub operation: String,
    pub variables: Value,
    pub authorization: Option<String>,
    pub project_access_token: Option<String>,
}

/// A failure to inject into the next matching request.
#[derive(Debug, Clone)]
pub enum Fault {
    TooManyRequests {
        retry_after_secs: u64,
    },
    ServerError,
    Html,
    /// Answer normally, after this delay.
    Slow(Duration),
    /// HTTP 200, `data: null`, this error message.
    GraphqlError(String),
    /// HTTP 200 with the normal `data` and also this error.
    ErrorsWithData(String),
    /// HTTP 200, `{"data": null}` and no errors.
    DataNull,
}

#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Largest page any connection returns (small values exercise pagination).
    pub page_size: usize,
    pub copy_tcp_proxies: bool,
    /// Deployments are created finished (their final status on the first poll), for end-to-end
    /// tests that run with the production poll policy.
    pub instant_deploys: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            page_size: 100,
            copy_tcp_proxies: false,
            instant_deploys: false,
        }
    }
}

/// What `seed_production` made.
#[derive(Debug, Clone)]
pub struct Seed {
    pub project_id: String,
    pub production_id: String,
    pub app_service_id: String,
    pub db_service_id: String,
}

/// A fault waiting for its request: the `skip` next matching requests pass untouched.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) operation: Option<String>,
    pub(crate) skip: usize,
    pub(crate) fault: Fault,
}

pub(crate) struct Inner {
    pub(crate) state: Mutex<State>,
    pub(crate) faults: Mutex<Vec<Pending>>,
    pub(crate) requests: Mutex<Vec<Recorded>>,
    /// Requests the token spent elsewhere this hour (other runs, the dashboard).
    pub(crate) spent_elsewhere: std::sync::atomic::AtomicU64,
    /// When this hour's budget window resets.
    pub(crate) window_resets: std::time::SystemTime,
}

/// A running simulated Railway; stops when dropped.
pub struct Sim {
    pub endpoint: Url,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
    prober: tokio::task::JoinHandle<()>,
}

impl Sim {
    /// Spends `n` of the token's hourly budget as other runs would.
    pub fn spend_rate_budget(&self, n: u64) {
        self.inner
            .spent_elsewhere
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.task.abort();
        self.prober.abort();
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Retry delays short enough for tests.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        budget: Duration::from_secs(5),
        max_retry_after: Duration::from_millis(50),
        request_timeout: Duration::from_secs(2),
        // Each simulated duplicate creates a real database; on a loaded machine ten at once
        // can take longer than 10 s (an unclear answer the concurrency test does not test).
        create_timeout: Duration::from_secs(30),
    }
}

impl Sim {
    pub async fn start(options: SimOptions) -> Sim {
        let state = State {
            page_size: options.page_size,
            copy_tcp_proxies: options.copy_tcp_proxies,
            instant_deploys: options.instant_deploys,
            ..State::default()
        };
        let inner = Arc::new(Inner {
            state: Mutex::new(state),
            faults: Mutex::default(),
            requests: Mutex::default(),
            spent_elsewhere: std::sync::atomic::AtomicU64::new(0),
            window_resets: std::time::SystemTime::now() + std::time::Duration::from_secs(3600),
        });
        let app = axum::Router::new()
            .route("/graphql/v2", axum::routing::post(server::handle))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        let endpoint = Url::parse(&format!("http://{addr}/graphql/v2")).unwrap();
        let prober = tokio::spawn(health::probe_forever(inner.clone()));
        Sim {
            endpoint,
            inner,
            task,
            prober,
        }
    }

    /// A client with the account token and fast retries.
    pub fn client(&self) -> RailwayClient {
        self.client_with_token(ACCOUNT_TOKEN)
    }

    pub fn client_with_token(&self, token: &str) -> RailwayClient {
        RailwayClient::new(
            SecretString::from(token.to_owned()),
            Some(self.endpoint.clone()),
        )
        .unwrap()
        .with_retry(fast_retry())
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.inner.state)
    }

    /// A project with a `production` environment: a WordPress app (built from [`APP_REPO`],
    /// deployed on pushes to `main`; a Railway domain on port 80, a volume) and a Postgres service whose `DATABASE_PUBLIC_URL` (TCP proxy present,
    /// deployed) points at `prod_db`.
    pub fn seed_production(&self, prod_db: &DbUrl) -> Seed {
        let mut st = self.state();
        let project = st.id("project");
        let env = st.id("env");
        st.projects
            .insert(project.clone(), ("wordpress-shop".to_owned(), env.clone()));
        st.envs.push(SimEnv {
            id: env.clone(),
            project_id: project.clone(),
            name: "production".into(),
            created_at: SystemTime::now(),
            ephemeral: false,
            source: None,
            shared: BTreeMap::new(),
        });
        let backing = backing_of(prod_db);
        let (db_svc, app_svc) = (st.id("svc"), st.id("svc"));
        let mut pg_vars: BTreeMap<String, String> = [
            ("POSTGRES_USER", backing.user.as_str()), ("POSTGRES_PASSWORD", backing.password.as_str()),
            ("POSTGRES_DB", backing.database.as_str()), ("PGUSER", "${{POSTGRES_USER}}"),
            ("PGPASSWORD", "${{POSTGRES_PASSWORD}}"), ("PGDATABASE", "${{POSTGRES_DB}}"),
            ("PGHOST", "${{RAILWAY_PRIVATE_DOMAIN}}"), ("PGPORT", "5432"),
            ("PGDATA", "/var/lib/postgresql/data/pgdata"),
            ("DATABASE_URL", "postgresql://${{PGUSER}}:${{POSTGRES_PASSWORD}}@${{RAILWAY_PRIVATE_DOMAIN}}:5432/${{PGDATABASE}}"),
            ("DATABASE_PUBLIC_URL", "postgresql://${{PGUSER}}:${{POSTGRES_PASSWORD}}@${{RAILWAY_TCP_PROXY_DOMAIN}}:${{RAILWAY_TCP_PROXY_PORT}}/${{PGDATABASE}}"),
        ].into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        pg_vars.insert("RAILWAY_DEPLOYMENT_DRAINING_SECONDS".into(), "60".into());
        let (db_dep, app_dep) = (st.id("dep"), st.id("dep"));
        let (db_si, app_si, proxy, domain) =
            (st.id("si"), st.id("si"), st.id("proxy"), st.id("domain"));
        let vols = [(st.id("vi"), st.id("vol")), (st.id("vi"), st.id("vol"))];
        let custom = st.id("cd");
        st.instances.push(SimInstance {
            id: db_si.clone(),
            env_id: env.clone(),
            service_id: db_svc.clone(),
            service_name: "Postgres".into(),
            image: Some("ghcr.io/railwayapp-templates/postgres-ssl:17".into()),
            repo: None,
            branch: None,
            vars: pg_vars,
            service_domains: vec![],
            custom_domains: vec![],
            tcp_proxy: Some(SimProxy {
                id: proxy,
                domain: backing.host.clone(),
                port: backing.port,
                app_port: 5432,
            }),
            volumes: vec![(
                vols[0].0.clone(),
                vols[0].1.clone(),
                "postgres-volume".into(),
                "/var/lib/postgresql/data".into(),
            )],
            latest: Some(db_dep.clone()),
            backing: Some(backing),
            healthcheck: None,
        });
        let app_vars = [
            ("WORDPRESS_DB_HOST", "${{Postgres.PGHOST}}"),
            ("WORDPRESS_DB_USER", "${{Postgres.PGUSER}}"),
            ("WORDPRESS_DB_PASSWORD", "${{Postgres.PGPASSWORD}}"),
            ("WORDPRESS_DB_NAME", "${{Postgres.PGDATABASE}}"),
            ("WP_HOME", "https://shop.example"),
            ("WP_SITEURL", "https://shop.example"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        st.instances.push(SimInstance {
            id: app_si.clone(),
            env_id: env.clone(),
            service_id: app_svc.clone(),
            service_name: "wordpress".into(),
            image: None,
            repo: Some(APP_REPO.into()),
            branch: Some("main".into()),
            vars: app_vars,
            service_domains: vec![(
                domain,
                "wordpress-production.up.railway.app".into(),
                Some(80),
            )],
            custom_domains: vec![(custom, "shop.example".into())],
            tcp_proxy: None,
            volumes: vec![(
                vols[1].0.clone(),
                vols[1].1.clone(),
                "wp-content".into(),
                "/var/www/html/wp-content".into(),
            )],
            latest: Some(app_dep.clone()),
            backing: None,
            healthcheck: None,
        });
        for (dep, si) in [(db_dep, db_si), (app_dep, app_si)] {
            st.deployments.insert(
                dep.clone(),
                state::SimDeployment::new(&dep, &si, state::STEPS.len(), "SUCCESS"),
            );
        }
        Seed {
            project_id: project,
            production_id: env,
            app_service_id: app_svc,
            db_service_id: db_svc,
        }
    }

    /// Adds a bare environment (for listing and pagination tests); `pr` marks it as wpstage's.
    pub fn add_environment(
        &self,
        project: &str,
        name: &str,
        ephemeral: bool,
        pr: Option<u64>,
        created_at: SystemTime,
    ) -> String {
        let mut st = self.state();
        let id = st.id("env");
        let mut shared = BTreeMap::new();
        if let Some(pr) = pr {
            shared.insert("WPSTAGE_MANAGED".to_owned(), "true".to_owned());
            shared.insert("WPSTAGE_PR".to_owned(), pr.to_string());
            shared.insert(
                "WPSTAGE_CREATED_AT".to_owned(),
                humantime::format_rfc3339_seconds(created_at).to_string(),
            );
        }
        st.envs.push(SimEnv {
            id: id.clone(),
            project_id: project.to_owned(),
            name: name.to_owned(),
            created_at,
            ephemeral,
            source: None,
            shared,
        });
        id
    }

    /// Makes the app service of every environment an image service (e.g. `wordpress:6`): no
    /// connected repository, nothing to build.
    pub fn make_app_image(&self, seed: &Seed, image: &str) {
        let mut st = self.state();
        for inst in st
            .instances
            .iter_mut()
            .filter(|i| i.service_id == seed.app_service_id)
        {
            inst.repo = None;
            inst.branch = None;
            inst.image = Some(image.to_owned());
        }
    }

    /// A push to `branch` of `repo`; returns the names of the environments it redeployed.
    pub fn push(&self, repo: &str, branch: &str, sha: &str) -> Vec<String> {
        let mut st = self.state();
        let ids = st.push(repo, branch, sha);
        ids.iter()
            .filter_map(|id| st.env(id).ok().map(|e| e.name.clone()))
            .collect()
    }

    /// The app instance of environment `name` (source, domains, variables, latest deployment).
    pub fn app_instance(&self, seed: &Seed, name: &str) -> Option<SimInstance> {
        instance_in(&self.state(), name, &seed.app_service_id).cloned()
    }

    /// The variables of `service_id` in environment `name` as Railway renders them there.
    pub fn rendered_vars(&self, name: &str, service_id: &str) -> Option<BTreeMap<String, String>> {
        let st = self.state();
        Some(st.rendered(instance_in(&st, name, service_id)?))
    }

    /// A project token scoped to `environment`.
    pub fn add_project_token(&self, token: &str, project: &str, environment: &str) {
        self.state().project_tokens.insert(
            token.to_owned(),
            (project.to_owned(), environment.to_owned()),
        );
    }

    /// Injects `fault` into the next request for `operation` (any operation when `None`).
    pub fn fail(&self, operation: Option<&str>, fault: Fault) {
        self.fail_after(operation, 0, fault);
    }

    /// Injects `fault` into the request for `operation` that follows the next `skip` ones.
    pub fn fail_after(&self, operation: Option<&str>, skip: usize, fault: Fault) {
        lock(&self.inner.faults).push(Pending {
            operation: operation.map(str::to_owned),
            skip,
            fault,
        });
    }

    /// A counter of the requests received so far, usable from any thread (e.g. to note when a
    /// callback ran relative to the simulated API traffic).
    pub fn request_counter(&self) -> impl Fn() -> usize + Send + Sync + 'static {
        let inner = Arc::clone(&self.inner);
        move || lock(&inner.requests).len()
    }

    /// Faults not yet delivered.
    pub fn pending_faults(&self) -> usize {
        lock(&self.inner.faults).len()
    }

    /// Drops every fault not yet delivered.
    pub fn clear_faults(&self) {
        lock(&self.inner.faults).clear();
    }

    /// The real database behind the Postgres service of environment `name`, with the
    /// credentials its data directory was initialised with (empty before its first deploy).
    pub fn database(&self, name: &str) -> Option<DbUrl> {
        let st = self.state();
        let env = st.envs.iter().find(|e| e.name == name)?;
        let b = st
            .instances
            .iter()
            .filter(|i| i.env_id == env.id)
            .find_map(|i| i.backing.clone())?;
        Some(DbUrl::from_parts(
            &b.host,
            b.port,
            &b.user,
            &b.password,
            &b.database,
        ))
    }

    /// Deployments of `service` created from now on end in `status` (e.g. `FAILED`).
    pub fn set_deploy_outcome(&self, service: &str, status: &str) {
        self.state()
            .deploy_outcomes
            .insert(service.to_owned(), status.to_owned());
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.inner.requests).clone()
    }

    pub fn operations(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.operation).collect()
    }

    pub fn count(&self, operation: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.operation == operation)
            .count()
    }

    /// A deployment as the simulator holds it (status, commit).
    pub fn deployment(&self, id: &str) -> state::SimDeployment {
        self.state().deployments.get(id).cloned().unwrap()
    }

    pub fn env_id(&self, name: &str) -> Option<String> {
        self.state()
            .envs
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.id.clone())
    }
}

pub(crate) fn backing_of(url: &DbUrl) -> Backing {
    let hp = url.host_port();
    let (host, port) = hp.rsplit_once(':').unwrap();
    Backing {
        host: host.to_owned(),
        port: port.parse().unwrap(),
        user: url.user().to_owned(),
        password: url.password().unwrap_or_default(),
        database: url.dbname().to_owned(),
        initialised: true,
    }
}

/// The instance of `service_id` in the environment called `name`.
pub(crate) fn instance_in<'a>(
    st: &'a State,
    name: &str,
    service_id: &str,
) -> Option<&'a SimInstance> {
    let env = &st.envs.iter().find(|e| e.name == name)?.id;
    st.instances
        .iter()
        .find(|i| &i.env_id == env && i.service_id == service_id)
}
