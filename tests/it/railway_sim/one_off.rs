//! One-off services, as `up --copy-in railway` uses them: `serviceCreate` in a fork,
//! `serviceInstanceUpdate` with an image source and a start command, `serviceDelete`, and
//! `deploymentLogs`. A deployment of wpstage's image (an image whose name is `wpstage`) runs FOR
//! REAL: the wpstage binary under test, with the instance's variables as Railway renders them
//! inside the environment as its environment. The environment's private network is modelled by
//! rendering `<service>.railway.internal:5432` to that service's real database. Its stdout and
//! stderr lines become the deployment's log; its exit code decides SUCCESS or FAILED.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader};

use super::state::{Caller, SimInstance, State};
use super::{Inner, Sim, lock};

/// A run the server starts once it has answered the deploy.
#[derive(Debug, Clone)]
pub struct PendingRun {
    pub deployment: String,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
}

/// One run of wpstage's image, for the tests to look at.
#[derive(Debug, Clone)]
pub struct CopyRunRecord {
    pub deployment: String,
    pub environment: String,
    pub service: String,
    /// The instance's variables as set (references unrendered).
    pub variables: BTreeMap<String, String>,
    pub start_command: String,
    pub restart_policy: Option<String>,
    /// `None` while it runs.
    pub exit_code: Option<i32>,
}

/// Whether `image` is wpstage's (`…/wpstage:<tag>`).
fn is_wpstage(image: &str) -> bool {
    let name = image.split(':').next().unwrap_or_default();
    name.rsplit('/').next() == Some("wpstage")
}

fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

impl State {
    /// `serviceCreate`, `serviceDelete` and `deploymentLogs`.
    pub(super) fn resolve_one_off(
        &mut self,
        field: &str,
        caller: &Caller,
        arg: &dyn Fn(&str) -> Value,
    ) -> Result<Value, String> {
        match field {
            "serviceCreate" => {
                let input = arg("input");
                let env = input["environmentId"].as_str().ok_or(
                    "the simulated Railway creates services in one environment only: pass environmentId",
                )?;
                self.check_scope(caller, Some(env), true)?;
                self.env(env)?;
                let name = input["name"].as_str().unwrap_or("service").to_owned();
                let (service, si) = (self.id("svc"), self.id("si"));
                let vars = serde_json::from_value(input["variables"].clone()).unwrap_or_default();
                self.instances.push(SimInstance {
                    id: si,
                    env_id: env.to_owned(),
                    service_id: service.clone(),
                    service_name: name.clone(),
                    image: input
                        .pointer("/source/image")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    repo: None,
                    branch: None,
                    vars,
                    service_domains: vec![],
                    custom_domains: vec![],
                    tcp_proxy: None,
                    volumes: vec![],
                    latest: None,
                    backing: None,
                    healthcheck: None,
                });
                Ok(json!({"id": service, "name": name, "projectId": input["projectId"]}))
            }
            "serviceDelete" => {
                let id = arg("id").as_str().unwrap_or_default().to_owned();
                let env = arg("environmentId").as_str().map(str::to_owned);
                self.check_scope(caller, env.as_deref(), true)?;
                let before = self.instances.len();
                self.instances.retain(|i| {
                    !(i.service_id == id && env.as_ref().is_none_or(|e| &i.env_id == e))
                });
                if self.instances.len() == before {
                    return Err("Service not found".to_owned());
                }
                self.deleted_services.push(id);
                Ok(json!(true))
            }
            "deploymentLogs" => {
                self.check_scope(caller, None, false)?;
                let id = arg("deploymentId").as_str().unwrap_or_default().to_owned();
                if !self.deployments.contains_key(&id) {
                    return Err("Deployment not found".to_owned());
                }
                let limit = arg("limit").as_u64().map_or(100, |l| l.min(5000)) as usize;
                let lines = self.logs.get(&id).cloned().unwrap_or_default();
                Ok(json!(
                    lines
                        .iter()
                        .take(limit)
                        .map(|(ts, message, severity)| json!({
                            "timestamp": ts, "message": message, "severity": severity,
                            "attributes": [], "tags": null,
                        }))
                        .collect::<Vec<_>>()
                ))
            }
            other => Err(format!("the simulated Railway does not implement {other}")),
        }
    }

    /// `serviceInstanceUpdate`'s source, start command and restart policy.
    pub(super) fn update_one_off(&mut self, env: &str, service: &str, input: &Value) {
        let Ok(inst) = self.instance_mut(env, service) else {
            return;
        };
        if let Some(image) = input.pointer("/source/image").and_then(Value::as_str) {
            inst.image = Some(image.to_owned());
            inst.repo = None;
            inst.branch = None;
        }
        let id = inst.id.clone();
        if let Some(command) = input["startCommand"].as_str() {
            self.start_commands.insert(id.clone(), command.to_owned());
        }
        if let Some(policy) = input["restartPolicyType"].as_str() {
            self.restart_policies.insert(id, policy.to_owned());
        }
    }

    /// A deployment of wpstage's image with a start command: the run it starts (`None`: any
    /// other deployment).
    pub(super) fn one_off_run(&mut self, pos: usize, deployment: &str) -> Option<PendingRun> {
        let inst = &self.instances[pos];
        if !inst.image.as_deref().is_some_and(is_wpstage) {
            return None;
        }
        let command = self.start_commands.get(&inst.id)?.clone();
        let mut env = self.rendered(inst);
        // The private network: `<service>.railway.internal:5432` is that service's database.
        for other in self.instances.iter().filter(|i| i.env_id == inst.env_id) {
            if let Some(b) = &other.backing {
                let private = format!(
                    "{}.railway.internal:5432",
                    other.service_name.to_lowercase()
                );
                for value in env.values_mut() {
                    *value = value.replace(&private, &format!("{}:{}", b.host, b.port));
                }
            }
        }
        let record = CopyRunRecord {
            deployment: deployment.to_owned(),
            environment: self
                .env(&inst.env_id)
                .map(|e| e.name.clone())
                .unwrap_or_default(),
            service: inst.service_name.clone(),
            variables: inst.vars.clone(),
            start_command: command.clone(),
            restart_policy: self.restart_policies.get(&inst.id).cloned(),
            exit_code: None,
        };
        self.copy_runs.push(record);
        Some(PendingRun {
            deployment: deployment.to_owned(),
            args: command.split_whitespace().map(str::to_owned).collect(),
            env,
        })
    }

    fn log(&mut self, deployment: &str, message: String, severity: &str) {
        self.logs.entry(deployment.to_owned()).or_default().push((
            now(),
            message,
            severity.to_owned(),
        ));
    }
}

/// Runs `run`'s command as the container would: `wpstage` is the binary under test.
pub(super) fn spawn(inner: Arc<Inner>, run: PendingRun) {
    tokio::spawn(async move {
        let code = execute(&inner, &run).await;
        let mut st = lock(&inner.state);
        if let Some(r) = st
            .copy_runs
            .iter_mut()
            .find(|r| r.deployment == run.deployment)
        {
            r.exit_code = Some(code);
        }
        if let Some(d) = st.deployments.get_mut(&run.deployment) {
            d.decided = Some(if code == 0 { "SUCCESS" } else { "FAILED" }.to_owned());
        }
    });
}

/// The exit code; the output lines go to the deployment's log as they come.
async fn execute(inner: &Arc<Inner>, run: &PendingRun) -> i32 {
    let program = run.args.first().map(String::as_str).unwrap_or_default();
    if program.rsplit('/').next() != Some("wpstage") {
        let message = format!("exec: {program:?}: not found in the wpstage image");
        lock(&inner.state).log(&run.deployment, message, "error");
        return 127;
    }
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_wpstage"));
    command
        .args(&run.args[1..])
        .env_clear()
        .envs(&run.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for keep in ["PATH", "HOME", "TMPDIR"] {
        if let Some(v) = std::env::var_os(keep) {
            command.env(keep, v);
        }
    }
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            lock(&inner.state).log(&run.deployment, format!("exec: {e}"), "error");
            return 127;
        }
    };
    let out = child
        .stdout
        .take()
        .map(|s| pump(inner.clone(), run.deployment.clone(), s, "info"));
    let err = child
        .stderr
        .take()
        .map(|s| pump(inner.clone(), run.deployment.clone(), s, "error"));
    for reader in [out, err].into_iter().flatten() {
        reader.await.expect("log reader");
    }
    child
        .wait()
        .await
        .ok()
        .and_then(|s| s.code())
        .unwrap_or(137)
}

fn pump(
    inner: Arc<Inner>,
    deployment: String,
    stream: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    severity: &'static str,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            lock(&inner.state).log(&deployment, line, severity);
        }
    })
}

impl Sim {
    /// Every run of wpstage's image so far.
    pub fn copy_runs(&self) -> Vec<CopyRunRecord> {
        self.state().copy_runs.clone()
    }

    /// The log of deployment `id` (messages).
    pub fn deployment_log(&self, id: &str) -> Vec<String> {
        self.state()
            .logs
            .get(id)
            .map(|l| l.iter().map(|(_, m, _)| m.clone()).collect())
            .unwrap_or_default()
    }

    /// The services in environment `name` (their names).
    pub fn service_names(&self, name: &str) -> Vec<String> {
        let st = self.state();
        let Some(env) = st.envs.iter().find(|e| e.name == name) else {
            return Vec::new();
        };
        st.instances
            .iter()
            .filter(|i| i.env_id == env.id)
            .map(|i| i.service_name.clone())
            .collect()
    }
}
