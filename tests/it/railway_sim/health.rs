//! Healthchecks: `serviceInstance` / `serviceInstanceUpdate` keep a path and timeout per
//! environment, and a prober answers for each deployment waiting on one as WordPress would:
//! 200 once the environment's (real) database holds an installed site, 302 (to the installer)
//! while it is empty, 500 when it is missing. A deployment goes live (SUCCESS) on the first 200
//! and FAILS when none comes within its healthcheck timeout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wpstage::postgres::{Side, connect};

use super::state::{Backing, Caller, State};
use super::{Inner, Sim, lock};
use crate::support::clusters;

/// How often the prober looks (Railway retries its healthcheck every few seconds; the tests
/// need a finer grain).
const PROBE_EVERY: Duration = Duration::from_millis(50);

impl State {
    pub(super) fn resolve_healthcheck(
        &mut self,
        field: &str,
        caller: &Caller,
        env: &str,
        service: &str,
        input: &Value,
    ) -> Result<Value, String> {
        if field == "serviceInstance" {
            self.check_scope(caller, Some(env), false)?;
            let inst = self.instance_mut(env, service)?;
            let (path, timeout) = inst.healthcheck.clone().unzip();
            return Ok(json!({"healthcheckPath": path, "healthcheckTimeout": timeout}));
        }
        self.check_scope(caller, Some(env), true)?;
        self.update_one_off(env, service, input);
        let path = input["healthcheckPath"].as_str().map(str::to_owned);
        let timeout = input["healthcheckTimeout"].as_i64().unwrap_or(300);
        // Railway: in a fork only the fork's instance changes; otherwise every environment
        // that is not a fork.
        let forked = self.env(env)?.source.is_some();
        let targets: Vec<String> = if forked {
            vec![env.to_owned()]
        } else {
            self.envs
                .iter()
                .filter(|e| e.source.is_none())
                .map(|e| e.id.clone())
                .collect()
        };
        for target in targets {
            if let Ok(inst) = self.instance_mut(&target, service) {
                inst.healthcheck = path.clone().map(|p| (p, timeout));
            }
        }
        Ok(json!(true))
    }

    /// Deployments whose healthcheck is due, with the database of their environment.
    fn due_probes(&mut self) -> Vec<(String, Option<Backing>)> {
        let mut due = Vec::new();
        for d in self.deployments.values_mut() {
            if d.healthcheck.is_none() || d.decided.is_some() || d.outcome != "SUCCESS" {
                continue;
            }
            if !d.built() {
                continue;
            }
            d.built_at.get_or_insert_with(Instant::now);
            let env = self
                .instances
                .iter()
                .find(|i| i.id == d.instance_id)
                .map(|i| i.env_id.clone());
            let backing = self
                .instances
                .iter()
                .filter(|i| Some(&i.env_id) == env.as_ref())
                .find_map(|i| i.backing.clone());
            due.push((d.id.clone(), backing));
        }
        due
    }

    fn probed(&mut self, id: &str, code: u16) {
        let Some(d) = self.deployments.get_mut(id) else {
            return;
        };
        let now = Instant::now();
        d.probes.push((now, code));
        let timeout = d.healthcheck.as_ref().map_or(Duration::ZERO, |h| h.1);
        if code == 200 {
            d.decided = Some("SUCCESS".to_owned());
            d.live_at = Some(now);
        } else if d.built_at.is_some_and(|b| now.duration_since(b) > timeout) {
            d.decided = Some("FAILED".to_owned());
        }
    }
}

/// Probes every deployment waiting on its healthcheck, forever.
pub(super) async fn probe_forever(inner: Arc<Inner>) {
    loop {
        tokio::time::sleep(PROBE_EVERY).await;
        let due = lock(&inner.state).due_probes();
        for (id, backing) in due {
            let code = match backing {
                Some(b) => wordpress_answer(&b).await,
                None => 500,
            };
            lock(&inner.state).probed(&id, code);
        }
    }
}

/// What WordPress answers on the front end given this database.
async fn wordpress_answer(b: &Backing) -> u16 {
    let Ok(c) = connect(&clusters().staging.url(&b.database), Side::Target).await else {
        return 500;
    };
    let Ok(tables) = c
        .query(
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) \
             FROM information_schema.tables WHERE table_name LIKE '%options' \
             AND table_schema NOT IN ('pg_catalog', 'information_schema')",
            &[],
        )
        .await
    else {
        return 500;
    };
    for row in tables {
        let t: String = row.get(0);
        let sql = format!("SELECT 1 FROM {t} WHERE option_name = 'siteurl'");
        if c.query(&sql, &[]).await.is_ok_and(|r| !r.is_empty()) {
            return 200;
        }
    }
    302
}

impl Sim {
    /// Deployments of repository services started from now on build for `time` (BUILDING),
    /// then deploy.
    pub fn set_build_time(&self, time: Duration) {
        self.state().build_time = Some(time);
    }

    /// The healthcheck (path, timeout seconds) of `service_id` in environment `name`.
    pub fn healthcheck(&self, name: &str, service_id: &str) -> Option<(String, i64)> {
        let st = self.state();
        super::instance_in(&st, name, service_id)?
            .healthcheck
            .clone()
    }
}
