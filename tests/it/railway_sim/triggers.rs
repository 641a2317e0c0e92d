//! Simulated deployments and deploy triggers: a repo service follows its branch, so a push to
//! that branch redeploys every environment whose instance tracks it (as Railway's GitHub
//! trigger does). The first deployment of a Postgres service initialises its data directory.
//! A deployment steps QUEUED, BUILDING, DEPLOYING per poll, or builds for a set time and waits
//! on its healthcheck (see `health`).

use std::time::{Duration, Instant};

use super::state::{STEPS, SimDeployment, State};

impl State {
    /// Starts a deployment of service instance `instance_id`; returns its id.
    pub fn start_deployment(&mut self, instance_id: &str, commit_sha: Option<String>) -> String {
        let id = self.id("dep");
        let Some(pos) = self.instances.iter().position(|i| i.id == instance_id) else {
            return id;
        };
        let mut outcome = self
            .deploy_outcomes
            .get(&self.instances[pos].service_name)
            .cloned()
            .unwrap_or_else(|| "SUCCESS".to_owned());
        if !self.initialise_data_directory(pos) {
            outcome = "CRASHED".to_owned();
        }
        self.instances[pos].latest = Some(id.clone());
        let step = if self.instant_deploys { STEPS.len() } else { 0 };
        let mut deployment = SimDeployment::new(&id, instance_id, step, &outcome);
        deployment.commit_sha = commit_sha;
        // Only a service built from its repository builds; an image is pulled.
        deployment.build_time = self
            .build_time
            .filter(|_| self.instances[pos].repo.is_some());
        // Railway deploys with the instance's settings as they are when the deploy starts.
        deployment.healthcheck = self.instances[pos]
            .healthcheck
            .clone()
            .map(|(path, secs)| (path, Duration::from_secs(u64::try_from(secs).unwrap_or(0))));
        if let Some(run) = self.one_off_run(pos, &id) {
            // Runs until its process exits (see `one_off`).
            deployment.decided = Some("DEPLOYING".to_owned());
            self.pending_runs.push(run);
        }
        self.deployments.insert(id.clone(), deployment);
        id
    }

    /// Like the Postgres image's entrypoint: an empty data directory is initialised with the
    /// `POSTGRES_PASSWORD` this deployment sees; one already initialised keeps its password
    /// whatever the variables say now. `false`: the image would refuse to start (no password).
    fn initialise_data_directory(&mut self, pos: usize) -> bool {
        let inst = &self.instances[pos];
        if inst.backing.as_ref().is_none_or(|b| b.initialised) {
            return true;
        }
        let password = self
            .rendered(inst)
            .remove("POSTGRES_PASSWORD")
            .unwrap_or_default();
        if password.is_empty() {
            return false;
        }
        let Some(backing) = self.instances[pos].backing.as_mut() else {
            return true;
        };
        backing.password = password;
        backing.initialised = true;
        let init = backing.clone();
        self.pending_inits.push(init);
        true
    }

    /// A push of `sha` to `branch` of `repo`: every instance connected to that repository and
    /// tracking that branch is redeployed. Returns the environment ids redeployed.
    pub fn push(&mut self, repo: &str, branch: &str, sha: &str) -> Vec<String> {
        let hit: Vec<(String, String)> = self
            .instances
            .iter()
            .filter(|i| i.repo.as_deref() == Some(repo) && i.branch.as_deref() == Some(branch))
            .map(|i| (i.id.clone(), i.env_id.clone()))
            .collect();
        for (instance, _) in &hit {
            self.start_deployment(instance, Some(sha.to_owned()));
        }
        hit.into_iter().map(|(_, env)| env).collect()
    }
}

impl SimDeployment {
    /// A deployment of `instance_id` that starts at `step` and ends in `outcome`.
    pub fn new(id: &str, instance_id: &str, step: usize, outcome: &str) -> Self {
        Self {
            id: id.to_owned(),
            instance_id: instance_id.to_owned(),
            step,
            outcome: outcome.to_owned(),
            commit_sha: None,
            started: Instant::now(),
            build_time: None,
            healthcheck: None,
            built_at: None,
            decided: None,
            probes: Vec::new(),
            live_at: None,
        }
    }

    /// Built: its build time is over, or (stepping) it has reached DEPLOYING.
    pub fn built(&self) -> bool {
        match self.build_time {
            Some(t) => self.started.elapsed() >= t,
            None => self.step >= STEPS.len() - 1,
        }
    }

    pub fn status(&self) -> &str {
        if let Some(d) = &self.decided {
            return d;
        }
        if self.build_time.is_none() && self.healthcheck.is_none() {
            return STEPS
                .get(self.step)
                .copied()
                .unwrap_or(self.outcome.as_str());
        }
        if !self.built() {
            return if self.build_time.is_some() {
                "BUILDING"
            } else {
                STEPS[self.step]
            };
        }
        if self.healthcheck.is_none() || self.outcome != "SUCCESS" {
            return &self.outcome;
        }
        "DEPLOYING"
    }
}
