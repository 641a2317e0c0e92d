//! Simulated variable rendering, as Railway does it per environment: `${{NAME}}` is the
//! service's own variable or a Railway-provided one, `${{Service.NAME}}` the variable of the
//! service called `Service` *in the same environment*, `${{shared.NAME}}` the environment's
//! shared variable. A variable with an unresolvable reference renders empty (e.g.
//! `DATABASE_PUBLIC_URL` without a TCP proxy).

use std::collections::BTreeMap;

use super::state::{SimInstance, State};

/// References nested deeper than this render empty (a cycle).
const MAX_DEPTH: u32 = 8;

impl State {
    pub(super) fn deployed(&self, inst: &SimInstance) -> bool {
        inst.latest
            .as_ref()
            .and_then(|d| self.deployments.get(d))
            .is_some_and(|d| d.status() == "SUCCESS")
    }

    /// Every variable of `inst`, rendered in its environment.
    pub fn rendered(&self, inst: &SimInstance) -> BTreeMap<String, String> {
        inst.vars
            .keys()
            .map(|k| (k.clone(), self.render_var(inst, k, 0).unwrap_or_default()))
            .collect()
    }

    /// The Railway-provided variables of `inst`.
    fn provided(&self, inst: &SimInstance) -> BTreeMap<String, String> {
        let mut provided = BTreeMap::new();
        provided.insert(
            "RAILWAY_PRIVATE_DOMAIN".to_owned(),
            format!("{}.railway.internal", inst.service_name.to_lowercase()),
        );
        if let Some((_, d, _)) = inst.service_domains.first() {
            provided.insert("RAILWAY_PUBLIC_DOMAIN".to_owned(), d.clone());
        }
        if let (Some(p), true) = (&inst.tcp_proxy, self.deployed(inst)) {
            provided.insert("RAILWAY_TCP_PROXY_DOMAIN".to_owned(), p.domain.clone());
            provided.insert("RAILWAY_TCP_PROXY_PORT".to_owned(), p.port.to_string());
        }
        provided
    }

    fn render_var(&self, inst: &SimInstance, name: &str, depth: u32) -> Option<String> {
        match inst.vars.get(name) {
            Some(v) => self.render_value(inst, v, depth),
            None => self.provided(inst).get(name).cloned(),
        }
    }

    fn render_value(&self, inst: &SimInstance, value: &str, depth: u32) -> Option<String> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut out = String::new();
        let mut rest = value;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}")? + start;
            let name = rest[start + 3..end].trim();
            let resolved = match name.split_once('.') {
                Some(("shared", var)) => {
                    let shared = self.env(&inst.env_id).ok()?.shared.get(var)?;
                    self.render_value(inst, shared, depth + 1)?
                }
                Some((service, var)) => {
                    let other = self
                        .instances
                        .iter()
                        .find(|i| i.env_id == inst.env_id && i.service_name == service)?;
                    self.render_var(other, var, depth + 1)?
                }
                None => self.render_var(inst, name, depth + 1)?,
            };
            out.push_str(&resolved);
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        Some(out)
    }
}
