//! Simulated environment duplication (`environmentCreate` with `sourceEnvironmentId`): services,
//! variables and volumes are copied; domains are not; TCP proxies only when the simulator is
//! told to. Variables are copied as they are, so a Postgres service inherits the source's
//! `POSTGRES_PASSWORD`; its volume is new and empty: a fresh real database on the staging
//! cluster, initialised (its role created with the password the deployment sees) on the first
//! deploy only. `skipInitialDeploys` leaves every copy without a deployment: Redis, workers and
//! cron services stay down until something deploys them.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::Value;

use super::state::{Backing, SimEnv, SimInstance, State};

impl State {
    pub(super) fn create_env(
        &mut self,
        input: &Value,
        new_db: Option<Backing>,
    ) -> Result<Value, String> {
        let project = input["projectId"].as_str().unwrap_or_default().to_owned();
        let name = input["name"].as_str().unwrap_or_default().to_owned();
        if !self.projects.contains_key(&project) {
            return Err("Project not found".to_owned());
        }
        if self
            .envs
            .iter()
            .any(|e| e.project_id == project && e.name == name)
        {
            return Err(format!("Environment with name {name} already exists"));
        }
        // With `skipInitialDeploys`, no copied service is deployed until it is deployed
        // explicitly (`serviceInstanceDeployV2`); without it, every copy deploys at once.
        let skip_initial_deploys = input["skipInitialDeploys"].as_bool() == Some(true);
        let id = self.id("env");
        let source = input["sourceEnvironmentId"].as_str().map(str::to_owned);
        let shared = match &source {
            Some(s) => self.env(s)?.shared.clone(),
            None => BTreeMap::new(),
        };
        self.envs.push(SimEnv {
            id: id.clone(),
            project_id: project,
            name,
            created_at: SystemTime::now(),
            ephemeral: input["ephemeral"].as_bool() == Some(true),
            source: source.clone(),
            shared,
        });
        let copies: Vec<SimInstance> = self
            .instances
            .iter()
            .filter(|i| Some(&i.env_id) == source.as_ref())
            .cloned()
            .collect();
        for mut inst in copies {
            inst.id = self.id("si");
            inst.env_id = id.clone();
            inst.service_domains.clear();
            inst.custom_domains.clear();
            inst.latest = None;
            if !self.copy_tcp_proxies {
                inst.tcp_proxy = None;
            }
            for v in &mut inst.volumes {
                v.0 = self.id("vi");
                v.1 = self.id("vol");
            }
            if inst.backing.is_some() {
                let mut b = new_db
                    .clone()
                    .ok_or("the simulator had no database for the copy")?;
                // The role and database names are the simulator's (environments share one
                // cluster); POSTGRES_PASSWORD stays the source's, as Railway copies it.
                b.user = b.database.clone();
                inst.vars.insert("POSTGRES_USER".into(), b.user.clone());
                inst.vars.insert("POSTGRES_DB".into(), b.database.clone());
                if let Some(proxy) = &mut inst.tcp_proxy {
                    proxy.id = self.id("proxy");
                    proxy.domain = b.host.clone();
                    proxy.port = b.port;
                }
                inst.backing = Some(Backing {
                    password: String::new(),
                    initialised: false,
                    ..b
                });
            }
            let instance_id = inst.id.clone();
            self.instances.push(inst);
            if !skip_initial_deploys {
                self.start_deployment(&instance_id, None);
            }
        }
        let env = self.env(&id)?;
        Ok(self.env_json(env))
    }
}
