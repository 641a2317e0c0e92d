//! What GitHub's runner does for a Docker container action, from action.yml: the file layout it
//! mounts, the environment it passes and the command line it runs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use super::{RunSpec, yaml};

/// The runner's directories for one job: `_github_home`, `_github_workflow`,
/// `_runner_file_commands` and the workspace, each mounted at its `/github/...` path.
pub struct Job {
    pub root: tempfile::TempDir,
    /// Suffix of the file-command files (the runner uses a fresh GUID per step).
    step: String,
}

/// The container paths the runner rewrites host paths to.
pub const WORKSPACE: &str = "/github/workspace";
const FILE_COMMANDS: &str = "/github/file_commands";

impl Job {
    pub fn new() -> Job {
        let root = tempfile::tempdir().unwrap();
        for dir in ["home", "workflow", "file_commands", "workspace"] {
            std::fs::create_dir(root.path().join(dir)).unwrap();
        }
        Job {
            root,
            step: "3f9c2a1e-5b7d-4c8e-9a0b-1d2e3f4a5b6c".to_owned(),
        }
    }

    pub fn dir(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn command_file(&self, kind: &str) -> String {
        format!("{kind}_{}", self.step)
    }

    /// A file command's file on the host (`set_output`, `step_summary`, `set_env`).
    pub fn file(&self, kind: &str) -> String {
        std::fs::read_to_string(self.dir("file_commands").join(self.command_file(kind)))
            .unwrap_or_default()
    }

    /// The `docker run` of one step: `context` holds the job's GITHUB_* variables (host values;
    /// the paths are replaced here), `with` the step's inputs, `event` the webhook payload.
    pub fn step(
        &mut self,
        context: &BTreeMap<String, String>,
        with: &BTreeMap<String, String>,
        event: &Value,
    ) -> RunSpec {
        // A new step: new file-command files, created empty by the runner before the step.
        self.step = format!("{:032x}", rand_suffix());
        let kinds = [
            "set_output",
            "step_summary",
            "set_env",
            "save_state",
            "add_path",
        ];
        for kind in kinds {
            std::fs::write(self.dir("file_commands").join(self.command_file(kind)), "").unwrap();
        }
        std::fs::write(self.dir("workflow").join("event.json"), event.to_string()).unwrap();

        let action = Action::load();
        let token = context.get("GITHUB_TOKEN").cloned().unwrap_or_default();
        let inputs = action.inputs(with, &token);
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        // The runner's own variables and the job's context, host paths rewritten.
        let file = |kind: &str| format!("{FILE_COMMANDS}/{}", self.command_file(kind));
        let fixed = [
            ("HOME", "/github/home".to_owned()),
            ("GITHUB_WORKSPACE", WORKSPACE.to_owned()),
            (
                "GITHUB_EVENT_PATH",
                "/github/workflow/event.json".to_owned(),
            ),
            ("GITHUB_OUTPUT", file("set_output")),
            ("GITHUB_STEP_SUMMARY", file("step_summary")),
            ("GITHUB_ENV", file("set_env")),
            ("GITHUB_STATE", file("save_state")),
            ("GITHUB_PATH", file("add_path")),
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("CI", "true".to_owned()),
            ("RUNNER_OS", "Linux".to_owned()),
        ];
        for (k, v) in fixed {
            env.insert(k.to_owned(), v);
        }
        for (k, v) in context {
            // GITHUB_TOKEN is a context value, not an environment variable of an action.
            if k != "GITHUB_TOKEN" && !env.contains_key(k) {
                env.insert(k.clone(), v.clone());
            }
        }
        for (name, value) in &inputs {
            env.insert(input_variable(name), value.clone());
        }
        // `runs.env`: added only where the name is not set yet.
        for (k, v) in &action.env {
            env.entry(k.clone())
                .or_insert_with(|| evaluate(v, &inputs, &token));
        }
        let mounts = ["home", "workflow", "file_commands", "workspace"]
            .into_iter()
            .map(|d| (self.dir(d), format!("/github/{d}")))
            .collect();
        RunSpec {
            env,
            mounts,
            workdir: Some(WORKSPACE.to_owned()),
            user: None,
            entrypoint: action.entrypoint.clone(),
            args: action
                .args
                .iter()
                .map(|a| evaluate(a, &inputs, &token))
                .collect(),
        }
    }
}

fn rand_suffix() -> u128 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// `INPUT_` + the name upper-cased with spaces as `_`; hyphens are kept (`db-url` →
/// `INPUT_DB-URL`), as the runner's `AddInputsToEnvironment` does.
pub fn input_variable(name: &str) -> String {
    format!("INPUT_{}", name.replace(' ', "_").to_uppercase())
}

/// The parts of action.yml the runner uses for a container action.
pub struct Action {
    /// Declared inputs with their defaults.
    pub declared: Vec<(String, Option<String>)>,
    pub image: String,
    pub entrypoint: Option<String>,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
}

impl Action {
    pub fn load() -> Action {
        let doc = yaml("action.yml");
        let runs = &doc["runs"];
        assert_eq!(runs["using"], "docker", "action.yml: runs.using");
        let declared = doc["inputs"]
            .as_object()
            .expect("action.yml: inputs")
            .iter()
            .map(|(name, spec)| (name.clone(), scalar(&spec["default"])))
            .collect();
        Action {
            declared,
            image: runs["image"].as_str().expect("runs.image").to_owned(),
            entrypoint: scalar(&runs["entrypoint"]),
            args: runs["args"]
                .as_array()
                .map(|a| a.iter().filter_map(scalar).collect())
                .unwrap_or_default(),
            env: runs["env"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), scalar(v)?)))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// What the runner passes: every `with:` key (undeclared ones too, after a warning), then
    /// each declared input's default, or "" for one without a default.
    pub fn inputs(&self, with: &BTreeMap<String, String>, token: &str) -> BTreeMap<String, String> {
        let mut inputs = with.clone();
        for (name, default) in &self.declared {
            if !inputs.contains_key(name) {
                let value = default
                    .as_deref()
                    .map(|d| evaluate(d, &BTreeMap::new(), token))
                    .unwrap_or_default();
                inputs.insert(name.clone(), value);
            }
        }
        inputs
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Evaluates the `${{ ... }}` expressions action.yml may use: `github.token` and
/// `inputs.<name>`; anything else fails the test (the harness would not know its value).
pub fn evaluate(text: &str, inputs: &BTreeMap<String, String>, token: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("unclosed ${{") + start;
        let expr = rest[start + 3..end].trim();
        let value = if expr == "github.token" {
            token.to_owned()
        } else if let Some(name) = expr.strip_prefix("inputs.") {
            inputs.get(name).cloned().unwrap_or_default()
        } else {
            panic!("action.yml uses an expression the test runner cannot evaluate: {expr}")
        };
        out.push_str(&value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}
