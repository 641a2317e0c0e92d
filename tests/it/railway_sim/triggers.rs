//! Simulated deployments and deploy triggers: a repo service follows its branch, so a push to
//! that branch redeploys every environment whose instance tracks it (as Railway's GitHub
//! trigger does).

use super::state::{STEPS, SimDeployment, State};

impl State {
    /// Starts a deployment of service instance `instance_id`; returns its id.
    pub fn start_deployment(&mut self, instance_id: &str, commit_sha: Option<String>) -> String {
        let id = self.id("dep");
        let Some(inst) = self.instances.iter_mut().find(|i| i.id == instance_id) else {
            return id;
        };
        inst.latest = Some(id.clone());
        let outcome = self
            .deploy_outcomes
            .get(&inst.service_name)
            .cloned()
            .unwrap_or_else(|| "SUCCESS".to_owned());
        self.deployments.insert(
            id.clone(),
            SimDeployment {
                id: id.clone(),
                instance_id: instance_id.to_owned(),
                step: if self.instant_deploys { STEPS.len() } else { 0 },
                outcome,
                commit_sha,
            },
        );
        id
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
