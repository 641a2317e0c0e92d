//! The PR environment's database service: fresh credentials before its first deploy, a TCP
//! proxy, a running deployment, and a public URL wpstage can reach.
//!
//! A duplicated environment copies production's variables, `POSTGRES_PASSWORD` included, and
//! the Postgres image initialises its empty volume with the password its first deployment
//! sees. So the PR database gets a password of its own before that deployment; a database
//! already initialised keeps the one its volume holds.

use std::time::{Duration, Instant};

use secrecy::ExposeSecret as _;
use tracing::{info, warn};

use super::{EnvRef, RailwayPlatform, RailwayPlatformError, ServiceRef, db_vars, wait};
use crate::postgres::DbUrl;
use crate::railway::{DeploymentStatus, ServiceInstance};

impl RailwayPlatform {
    /// The database of `env`, with its own credentials, deployed and reachable from here.
    pub(super) async fn prepare_staging_database(&self, env: &EnvRef) -> anyhow::Result<DbUrl> {
        let db = self.roles().await?.database;
        let start = Instant::now();
        let instance = self.instance(env, &db).await?;
        let never_deployed = instance
            .latest_deployment
            .as_ref()
            .is_none_or(|d| d.status == DeploymentStatus::Skipped);
        if never_deployed {
            // Before anything can deploy it (the proxy patch included): the first deployment
            // initialises the volume with whatever POSTGRES_PASSWORD it sees. Once it has run
            // (a rerun, a refresh), the volume keeps its password and changing the variable
            // would only lock wpstage and the app out, so an initialised database is left as
            // it is.
            self.fresh_credentials(env, &db).await?;
        }
        // The proxy first, so that the deployment already sees it.
        let proxy = self.ensure_tcp_proxy(env, &db).await?;
        self.ensure_deployed(env, &db, self.config.database_timeout)
            .await?;
        let url = self
            .public_url(
                env,
                &db,
                Some(proxy),
                "rerun; if it persists, look at the service's variables",
            )
            .await?;
        self.wait_reachable(&url).await?;
        info!(environment = %env.name, waited = ?start.elapsed(), "staging database ready");
        Ok(url)
    }

    async fn instance(
        &self,
        env: &EnvRef,
        service: &ServiceRef,
    ) -> Result<ServiceInstance, RailwayPlatformError> {
        self.client
            .service_instances(self.project(), &env.id)
            .await?
            .into_iter()
            .find(|s| s.service_id == service.id)
            .ok_or_else(|| RailwayPlatformError::ServiceMissing {
                service: service.name.clone(),
                environment: env.name.clone(),
            })
    }

    /// Gives the database service of `env` a new random password (one upsert, no deploy):
    /// `POSTGRES_PASSWORD`, and every written-out copy of the inherited one. The user name is
    /// kept. The password is handed to the secret sink before it is sent anywhere.
    async fn fresh_credentials(
        &self,
        env: &EnvRef,
        db: &ServiceRef,
    ) -> Result<(), RailwayPlatformError> {
        let raw = self.service_vars(&env.id, &db.id, true).await?;
        let mut inherited = db_vars::Passwords::default();
        for name in ["POSTGRES_PASSWORD", "PGPASSWORD"] {
            if let Some(v) = raw.expose(name).filter(|v| !v.contains("${{")) {
                inherited.insert(v);
            }
        }
        inherited.extend(&self.production_fingerprints().await?.passwords);
        let password = db_vars::new_password();
        self.config.secrets.secret(password.expose_secret());
        let changes = db_vars::rotated(&raw, &inherited, &password);
        info!(
            service = %db.name,
            environment = %env.name,
            variables = ?changes.names().collect::<Vec<_>>(),
            "giving the PR database its own password before its first deploy"
        );
        self.client
            .upsert_variables(self.project(), &env.id, Some(&db.id), &changes, true)
            .await?;
        Ok(())
    }

    /// A deployment of `service` that is running, deploying the service if needed.
    async fn ensure_deployed(
        &self,
        env: &EnvRef,
        service: &ServiceRef,
        timeout: Duration,
    ) -> Result<(), RailwayPlatformError> {
        let instance = self.instance(env, service).await?;
        let deployment_id = match &instance.latest_deployment {
            Some(d) if d.status.is_ok() => return Ok(()),
            Some(d) if !d.status.is_failed() => d.id.clone(),
            _ => {
                self.client
                    .deploy_service(&env.id, &service.id, None)
                    .await?
            }
        };
        wait::deployment(
            &self.client,
            &self.config.poll,
            &deployment_id,
            &service.name,
            timeout,
        )
        .await
        .map(|_| ())
    }

    /// The service's live TCP proxy endpoint `(domain, port)`, asking for one if there is none.
    async fn ensure_tcp_proxy(
        &self,
        env: &EnvRef,
        service: &ServiceRef,
    ) -> Result<(String, i64), RailwayPlatformError> {
        let live = |proxies: Vec<crate::railway::TcpProxy>| {
            proxies
                .into_iter()
                .find(|p| p.is_live())
                .map(|p| (p.domain, p.proxy_port))
        };
        if let Some(found) = live(self.client.tcp_proxies(&env.id, &service.id, false).await?) {
            return Ok(found);
        }
        info!(service = %service.name, environment = %env.name, "adding a TCP proxy");
        self.client
            .request_tcp_proxy(&env.id, &service.id, 5432)
            .await?;
        let start = Instant::now();
        let mut delay = Duration::from_millis(250).min(self.config.poll.initial);
        loop {
            if let Some(found) = live(self.client.tcp_proxies(&env.id, &service.id, true).await?) {
                return Ok(found);
            }
            if start.elapsed() + delay > self.config.tcp_proxy_timeout {
                return Err(RailwayPlatformError::NoTcpProxy {
                    service: service.name.clone(),
                    environment: env.name.clone(),
                    waited: start.elapsed(),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(self.config.poll.max);
        }
    }

    /// The public URL of `service` in `env`: `DATABASE_PUBLIC_URL`, else built from the TCP
    /// proxy and the PG* variables.
    pub(super) async fn public_url(
        &self,
        env: &EnvRef,
        service: &ServiceRef,
        proxy: Option<(String, i64)>,
        hint: &'static str,
    ) -> Result<DbUrl, RailwayPlatformError> {
        let vars = self.service_vars(&env.id, &service.id, false).await?;
        let no_url = || RailwayPlatformError::NoPublicUrl {
            service: service.name.clone(),
            environment: env.name.clone(),
            hint,
        };
        if let Some(url) = vars
            .expose("DATABASE_PUBLIC_URL")
            .filter(|u| !u.trim().is_empty())
            .and_then(|u| DbUrl::parse(u, "Railway database").ok())
        {
            self.config.secrets.database_url(&url);
            return Ok(url);
        }
        let proxy = match proxy {
            Some(p) => p,
            None => self
                .client
                .tcp_proxies(&env.id, &service.id, false)
                .await?
                .into_iter()
                .find(|p| p.is_live())
                .map(|p| (p.domain, p.proxy_port))
                .ok_or_else(no_url)?,
        };
        let get = |a: &str, b: &str| {
            vars.expose(a)
                .or_else(|| vars.expose(b))
                .filter(|v| !v.is_empty())
        };
        let user = get("PGUSER", "POSTGRES_USER").unwrap_or("postgres");
        let password = get("PGPASSWORD", "POSTGRES_PASSWORD").ok_or_else(no_url)?;
        let database = get("PGDATABASE", "POSTGRES_DB").unwrap_or("railway");
        let port = u16::try_from(proxy.1).map_err(|_| no_url())?;
        let url = DbUrl::from_parts(&proxy.0, port, user, password, database);
        self.config.secrets.database_url(&url);
        Ok(url)
    }

    /// Connects until the server answers (a fresh deployment may still be starting).
    async fn wait_reachable(&self, url: &DbUrl) -> anyhow::Result<()> {
        let start = Instant::now();
        let mut delay = self.config.poll.initial;
        loop {
            match crate::postgres::connect(url, crate::postgres::Side::Target).await {
                Ok(_) => return Ok(()),
                Err(e) if start.elapsed() + delay > self.config.database_timeout => {
                    return Err(anyhow::Error::new(e).context(format!(
                        "the staging database {url} did not accept connections within {:?}",
                        self.config.database_timeout
                    )));
                }
                Err(e) => warn!("staging database not reachable yet ({e}); retrying"),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(self.config.poll.max);
        }
    }
}
