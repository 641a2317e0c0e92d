//! Services beside the app and its database (Redis, workers, cron), as a project has them.

use std::collections::BTreeMap;

use super::state::{STEPS, SimDeployment, SimInstance};
use super::{Seed, Sim};

impl Sim {
    /// Adds service `name` to production: built from `repo`, or running `image`; its latest
    /// deployment ends `status` (`None`: never deployed). Returns the service id.
    pub fn add_production_service(
        &self,
        seed: &Seed,
        name: &str,
        image: Option<&str>,
        repo: Option<&str>,
        status: Option<&str>,
    ) -> String {
        let mut st = self.state();
        let (service, si) = (st.id("svc"), st.id("si"));
        let latest = status.map(|status| {
            let dep = st.id("dep");
            st.deployments.insert(
                dep.clone(),
                SimDeployment::new(&dep, &si, STEPS.len(), status),
            );
            dep
        });
        st.instances.push(SimInstance {
            id: si,
            env_id: seed.production_id.clone(),
            service_id: service.clone(),
            service_name: name.to_owned(),
            image: image.map(str::to_owned),
            repo: repo.map(str::to_owned),
            branch: repo.map(|_| "main".to_owned()),
            vars: BTreeMap::new(),
            service_domains: vec![],
            custom_domains: vec![],
            tcp_proxy: None,
            volumes: vec![],
            latest,
            backing: None,
            healthcheck: None,
        });
        service
    }

    /// The latest deployment of `service_id` in environment `name`.
    pub fn latest_deployment(&self, name: &str, service_id: &str) -> Option<SimDeployment> {
        let st = self.state();
        let inst = super::instance_in(&st, name, service_id)?;
        st.deployments.get(inst.latest.as_ref()?).cloned()
    }
}
