//! The simulated Railway's state: projects, environments, services, service instances,
//! variables, domains, TCP proxies and deployments, with resolvers for the root fields wpstage
//! uses. Everything here is simulated; only the databases behind Postgres services are real.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use apollo_compiler::executable::Field;
use serde_json::{Value, json};

use super::exec::{arg, child_arg};

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Account,
    ProjectToken {
        project: String,
        environment: String,
    },
    Nobody,
}

/// Where a simulated Postgres service's real database lives: a database and a login role of
/// its own on a test cluster (the environments share the cluster, so each has its own role
/// and database name where Railway's would all say `postgres` and `railway`).
#[derive(Debug, Clone)]
pub struct Backing {
    pub host: String,
    pub port: u16,
    pub user: String,
    /// The password the data directory was initialised with; empty until then.
    pub password: String,
    pub database: String,
    /// The Postgres image initialises its data directory on the first deploy only, with the
    /// `POSTGRES_PASSWORD` that deployment sees; later variable changes leave it alone.
    pub initialised: bool,
}

#[derive(Debug, Clone)]
pub struct SimEnv {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub created_at: SystemTime,
    pub ephemeral: bool,
    pub source: Option<String>,
    pub shared: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct SimProxy {
    pub id: String,
    pub domain: String,
    pub port: u16,
    pub app_port: u16,
}

#[derive(Debug, Clone)]
pub struct SimInstance {
    pub id: String,
    pub env_id: String,
    pub service_id: String,
    pub service_name: String,
    pub image: Option<String>,
    /// A connected GitHub repository (`owner/name`); `None` for image services.
    pub repo: Option<String>,
    /// The branch whose pushes deploy this instance (repo services).
    pub branch: Option<String>,
    pub vars: BTreeMap<String, String>,
    /// (domain id, domain, target port)
    pub service_domains: Vec<(String, String, Option<i64>)>,
    pub custom_domains: Vec<(String, String)>,
    pub tcp_proxy: Option<SimProxy>,
    /// (volume instance id, volume id, volume name, mount path)
    pub volumes: Vec<(String, String, String, String)>,
    pub latest: Option<String>,
    pub backing: Option<Backing>,
    /// `healthcheckPath` and `healthcheckTimeout` (seconds) of this instance.
    pub healthcheck: Option<(String, i64)>,
}

#[derive(Debug, Clone)]
pub struct SimDeployment {
    pub id: String,
    /// The service instance deployed (kept for debugging a failing test).
    #[allow(dead_code)]
    pub instance_id: String,
    pub step: usize,
    pub outcome: String,
    pub commit_sha: Option<String>,
    pub started: Instant,
    /// How long it builds (`Sim::set_build_time`); `None`: one step per poll, as before.
    pub build_time: Option<Duration>,
    /// The instance's healthcheck when the deploy started (path, timeout): the deployment is
    /// DEPLOYING until the path answers 200, and FAILED when it does not within the timeout.
    pub healthcheck: Option<(String, Duration)>,
    pub built_at: Option<Instant>,
    /// SUCCESS or FAILED, decided by the healthcheck.
    pub decided: Option<String>,
    /// Every healthcheck answer, in order.
    pub probes: Vec<(Instant, u16)>,
    pub live_at: Option<Instant>,
}

pub const STEPS: [&str; 3] = ["QUEUED", "BUILDING", "DEPLOYING"];

#[derive(Debug, Default)]
pub struct State {
    pub projects: BTreeMap<String, (String, String)>,
    pub envs: Vec<SimEnv>,
    pub instances: Vec<SimInstance>,
    pub deployments: BTreeMap<String, SimDeployment>,
    pub project_tokens: BTreeMap<String, (String, String)>,
    /// Service name → final status of its next deployments (`FAILED`, `CRASHED`).
    pub deploy_outcomes: BTreeMap<String, String>,
    pub page_size: usize,
    /// Copy TCP proxies when duplicating (open point of the brief; off by default).
    pub copy_tcp_proxies: bool,
    /// Railway's own PR environments are on for every project (`Project.prDeploys`).
    pub pr_deploys: bool,
    /// Deployments start finished (see `SimOptions::instant_deploys`).
    pub instant_deploys: bool,
    /// Data directories initialised by a first deploy whose role the server still has to
    /// create on the staging cluster (before it answers).
    pub pending_inits: Vec<Backing>,
    pub next: u64,
    /// How long deployments started from now on build (`Sim::set_build_time`).
    pub build_time: Option<Duration>,
    /// Start commands and restart policies of service instances (by instance id).
    pub start_commands: BTreeMap<String, String>,
    pub restart_policies: BTreeMap<String, String>,
    /// Each deployment's log: (timestamp, message, severity).
    pub logs: BTreeMap<String, Vec<(String, String, String)>>,
    /// Runs of wpstage's image the server still has to start, and every run so far.
    pub pending_runs: Vec<super::one_off::PendingRun>,
    pub copy_runs: Vec<super::one_off::CopyRunRecord>,
    /// Services deleted with `serviceDelete`.
    pub deleted_services: Vec<String>,
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

impl State {
    pub fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}-{}", self.next)
    }

    pub fn env(&self, id: &str) -> Result<&SimEnv, String> {
        self.envs
            .iter()
            .find(|e| e.id == id)
            .ok_or_else(|| "Environment not found".to_owned())
    }

    pub(super) fn instance_mut(
        &mut self,
        env: &str,
        service: &str,
    ) -> Result<&mut SimInstance, String> {
        self.instances
            .iter_mut()
            .find(|i| i.env_id == env && i.service_id == service)
            .ok_or_else(|| "Service instance not found".to_owned())
    }

    fn instance_json(&self, inst: &SimInstance) -> Value {
        let latest = inst.latest.as_ref().and_then(|d| self.deployments.get(d)).map(|d| {
            json!({"id": d.id, "status": d.status(), "statusUpdatedAt": rfc3339(SystemTime::now()), "createdAt": rfc3339(SystemTime::now())})
        });
        json!({
            "id": inst.id, "serviceId": inst.service_id, "serviceName": inst.service_name,
            "environmentId": inst.env_id,
            "source": {"image": inst.image, "repo": inst.repo},
            "latestDeployment": latest,
            "domains": self.domains_json(inst),
        })
    }

    fn domains_json(&self, inst: &SimInstance) -> Value {
        json!({
            "serviceDomains": inst.service_domains.iter().map(|(id, d, port)| json!({
                "id": id, "domain": d, "targetPort": port, "suffix": "up.railway.app", "syncStatus": "ACTIVE"
            })).collect::<Vec<_>>(),
            "customDomains": inst.custom_domains.iter().map(|(id, d)| json!({"id": id, "domain": d, "targetPort": null})).collect::<Vec<_>>(),
        })
    }

    fn page(&self, items: Vec<(String, Value)>, first: &Value, after: &Value) -> Value {
        let size = first.as_u64().map_or(self.page_size, |f| {
            usize::try_from(f).unwrap_or(usize::MAX).min(self.page_size)
        });
        let start = match after.as_str() {
            Some(cursor) => items
                .iter()
                .position(|(c, _)| c == cursor)
                .map_or(items.len(), |p| p + 1),
            None => 0,
        };
        let slice: Vec<&(String, Value)> = items.iter().skip(start).take(size).collect();
        let has_next = start + slice.len() < items.len();
        json!({
            "edges": slice.iter().map(|(c, n)| json!({"cursor": c, "node": n})).collect::<Vec<_>>(),
            "pageInfo": {"hasNextPage": has_next, "hasPreviousPage": start > 0,
                         "endCursor": slice.last().map(|(c, _)| c.clone()), "startCursor": slice.first().map(|(c, _)| c.clone())},
        })
    }

    pub(super) fn env_json(&self, e: &SimEnv) -> Value {
        let source = e
            .source
            .as_ref()
            .and_then(|s| self.env(s).ok())
            .map(|s| json!({"id": s.id, "name": s.name}));
        json!({"id": e.id, "name": e.name, "isEphemeral": e.ephemeral, "createdAt": rfc3339(e.created_at),
               "projectId": e.project_id, "sourceEnvironment": source, "unmergedChangesCount": 0})
    }

    pub(super) fn check_scope(
        &self,
        caller: &Caller,
        env: Option<&str>,
        mutation: bool,
    ) -> Result<(), String> {
        match caller {
            Caller::Account => Ok(()),
            Caller::ProjectToken { environment, .. }
                if !mutation && env == Some(environment.as_str()) =>
            {
                Ok(())
            }
            _ => Err("Not Authorized".to_owned()),
        }
    }

    /// Resolves one root field to its full JSON value (projected by the caller).
    pub fn resolve(
        &mut self,
        field: &Field,
        vars: &Value,
        caller: &Caller,
        new_db: Option<Backing>,
    ) -> Result<Value, String> {
        let a = |n: &str| arg(field, n, vars);
        let s = |n: &str| {
            arg(field, n, vars)
                .as_str()
                .map(str::to_owned)
                .unwrap_or_default()
        };
        match field.name.as_str() {
            "projectToken" => match caller {
                Caller::ProjectToken {
                    project,
                    environment,
                } => Ok(
                    json!({"projectId": project, "environmentId": environment, "id": "pt", "name": "sim"}),
                ),
                _ => Err("Project Token not found".to_owned()),
            },
            "project" => {
                self.check_scope(caller, None, false)?;
                let id = s("id");
                let (name, base) = self.projects.get(&id).ok_or("Project not found")?;
                Ok(
                    json!({"id": id, "name": name, "workspaceId": "ws-1", "baseEnvironmentId": base, "prDeploys": self.pr_deploys}),
                )
            }
            "environments" => {
                self.check_scope(caller, None, false)?;
                let project = s("projectId");
                let ephemeral = a("isEphemeral").as_bool();
                let items = self
                    .envs
                    .iter()
                    .filter(|e| {
                        e.project_id == project && ephemeral.is_none_or(|x| x == e.ephemeral)
                    })
                    .map(|e| (e.id.clone(), self.env_json(e)))
                    .collect();
                Ok(self.page(items, &a("first"), &a("after")))
            }
            "environment" => {
                let id = s("id");
                self.check_scope(caller, Some(&id), false)?;
                let mut env = self.env_json(self.env(&id)?);
                let instances = self
                    .instances
                    .iter()
                    .filter(|i| i.env_id == id)
                    .map(|i| (i.id.clone(), self.instance_json(i)))
                    .collect();
                let volumes = self.instances.iter().filter(|i| i.env_id == id)
                    .flat_map(|i| i.volumes.iter().map(move |(vid, volid, name, mount)| (vid.clone(), json!({
                        "id": vid, "serviceId": i.service_id, "mountPath": mount, "volume": {"id": volid, "name": name}}))))
                    .collect();
                env["serviceInstances"] = self.page(
                    instances,
                    &child_arg(field, "serviceInstances", "first", vars),
                    &child_arg(field, "serviceInstances", "after", vars),
                );
                env["volumeInstances"] = self.page(
                    volumes,
                    &child_arg(field, "volumeInstances", "first", vars),
                    &child_arg(field, "volumeInstances", "after", vars),
                );
                Ok(env)
            }
            "environmentCreate" => {
                self.check_scope(caller, None, true)?;
                self.create_env(&a("input"), new_db)
            }
            "environmentDelete" => {
                self.check_scope(caller, None, true)?;
                let id = s("id");
                self.env(&id)?;
                self.envs.retain(|e| e.id != id);
                self.instances.retain(|i| i.env_id != id);
                Ok(json!(true))
            }
            "variables" => {
                let env = s("environmentId");
                self.check_scope(caller, Some(&env), false)?;
                self.env(&env)?;
                let unrendered = a("unrendered").as_bool() == Some(true);
                let map = match a("serviceId").as_str() {
                    None => self.env(&env)?.shared.clone(),
                    Some(service) => {
                        let inst = self.instance_mut(&env, service)?.clone();
                        if unrendered {
                            inst.vars.clone()
                        } else {
                            self.rendered(&inst)
                        }
                    }
                };
                Ok(json!(map))
            }
            "variableCollectionUpsert" => {
                let input = a("input");
                let env = input["environmentId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                self.check_scope(caller, Some(&env), true)?;
                self.env(&env)?;
                let new: BTreeMap<String, String> =
                    serde_json::from_value(input["variables"].clone())
                        .map_err(|e| e.to_string())?;
                let replace = input["replace"].as_bool() == Some(true);
                let target = match input["serviceId"].as_str() {
                    None => {
                        &mut self
                            .envs
                            .iter_mut()
                            .find(|e| e.id == env)
                            .ok_or("Environment not found")?
                            .shared
                    }
                    Some(service) => &mut self.instance_mut(&env, service)?.vars,
                };
                if replace {
                    target.clear();
                }
                target.extend(new);
                Ok(json!(true))
            }
            "serviceInstanceDeployV2" => {
                let env = s("environmentId");
                self.check_scope(caller, Some(&env), true)?;
                let sha = a("commitSha").as_str().map(str::to_owned);
                let inst = self.instance_mut(&env, &s("serviceId"))?;
                if sha.is_some() && inst.repo.is_none() {
                    // Railway resolves commitSha against the service's connected repository.
                    return Err(format!(
                        "Service {} has no connected repository: cannot deploy a commit",
                        inst.service_name
                    ));
                }
                let instance_id = inst.id.clone();
                let id = self.start_deployment(&instance_id, sha);
                Ok(json!(id))
            }
            "serviceInstance" | "serviceInstanceUpdate" => self.resolve_healthcheck(
                field.name.as_str(),
                caller,
                &s("environmentId"),
                &s("serviceId"),
                &a("input"),
            ),
            "deployment" => {
                self.check_scope(caller, None, false)?;
                let d = self
                    .deployments
                    .get_mut(&s("id"))
                    .ok_or("Deployment not found")?;
                d.step = (d.step + 1).min(STEPS.len());
                Ok(
                    json!({"id": d.id, "status": d.status(), "statusUpdatedAt": rfc3339(SystemTime::now()),
                          "createdAt": rfc3339(SystemTime::now()), "staticUrl": null, "deploymentStopped": false}),
                )
            }
            "domains" => {
                let env = s("environmentId");
                self.check_scope(caller, Some(&env), false)?;
                let inst = self.instance_mut(&env, &s("serviceId"))?.clone();
                Ok(self.domains_json(&inst))
            }
            "serviceDomainCreate" => {
                let input = a("input");
                let env = input["environmentId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                self.check_scope(caller, Some(&env), true)?;
                let id = self.id("domain");
                let env_name = self.env(&env)?.name.clone();
                let inst =
                    self.instance_mut(&env, input["serviceId"].as_str().unwrap_or_default())?;
                let domain = format!(
                    "{}-{}-{id}.up.railway.app",
                    inst.service_name.to_lowercase(),
                    env_name
                );
                let port = input["targetPort"].as_i64();
                inst.service_domains
                    .push((id.clone(), domain.clone(), port));
                Ok(
                    json!({"id": id, "domain": domain, "targetPort": input["targetPort"], "syncStatus": "ACTIVE", "suffix": "up.railway.app"}),
                )
            }
            "tcpProxies" => {
                let env = s("environmentId");
                self.check_scope(caller, Some(&env), false)?;
                let inst = self.instance_mut(&env, &s("serviceId"))?;
                Ok(json!(inst.tcp_proxy.iter().map(|p| json!({
                    "id": p.id, "domain": p.domain, "proxyPort": p.port, "applicationPort": p.app_port,
                    "syncStatus": "ACTIVE", "deletedAt": null})).collect::<Vec<_>>()))
            }
            "environmentPatchCommit" => {
                let env = s("environmentId");
                self.check_scope(caller, Some(&env), true)?;
                self.env(&env)?;
                let patch = a("patch");
                let services = patch["services"].as_object().cloned().unwrap_or_default();
                for (service, config) in services {
                    if config["isDeleted"].as_bool() == Some(true) {
                        // The service leaves this environment only; its other instances stay.
                        self.instance_mut(&env, &service)?;
                        self.instances
                            .retain(|i| !(i.env_id == env && i.service_id == service));
                        continue;
                    }
                    let inst = self.instance_mut(&env, &service)?;
                    if let Some(branch) = config.pointer("/source/branch").and_then(Value::as_str) {
                        inst.branch = Some(branch.to_owned());
                    }
                    if let Some(image) = config.pointer("/source/image").and_then(Value::as_str) {
                        // An image source replaces a connected repository.
                        inst.image = Some(image.to_owned());
                        inst.repo = None;
                        inst.branch = None;
                    }
                    let Some(ports) = config
                        .pointer("/networking/tcpProxies")
                        .and_then(Value::as_object)
                    else {
                        continue;
                    };
                    let Some(app_port) = ports.keys().next().and_then(|p| p.parse::<u16>().ok())
                    else {
                        continue;
                    };
                    let id = self.id("proxy");
                    let inst = self.instance_mut(&env, &service)?;
                    if inst.tcp_proxy.is_none() {
                        let (domain, port) = inst.backing.as_ref().map_or_else(
                            || ("sim.proxy.rlwy.net".to_owned(), 40_000),
                            |b| (b.host.clone(), b.port),
                        );
                        inst.tcp_proxy = Some(SimProxy {
                            id,
                            domain,
                            port,
                            app_port,
                        });
                    }
                }
                let workflow = self.id("workflow");
                Ok(json!(workflow))
            }
            "serviceCreate" | "serviceDelete" | "deploymentLogs" => {
                self.resolve_one_off(field.name.as_str(), caller, &a)
            }
            other => Err(format!("the simulated Railway does not implement {other}")),
        }
    }
}
