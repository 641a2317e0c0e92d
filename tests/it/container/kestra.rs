//! The Kestra flows of examples/kestra/ run the same image. Kestra cannot run here, so each flow's
//! script task is executed as its Docker task runner does: the flow's `containerImage`, its `env`
//! rendered from the flow's inputs, variables and secrets, and its `commands` run by `/bin/sh -c`
//! with the image's entrypoint cleared. A flow naming a wrong input, variable, secret or
//! argument fails here. Two variables point the container at the simulated services (the only
//! additions to what a flow declares): `GITHUB_API_URL` and `WPSTAGE_RAILWAY_ENDPOINT`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Docker, Finished, RunSpec, yaml};
use crate::action_e2e::{ANONYMIZE_KEY, E2e, GITHUB_TOKEN, HEAD_SHA};
use crate::fake_github::OWNER_REPO;
use crate::railway_sim::ACCOUNT_TOKEN;

const SCRIPT_TASK: &str = "io.kestra.plugin.scripts.shell.Commands";

/// Values for a flow execution: what a user would type and what the Kestra secrets hold.
struct Execution {
    inputs: BTreeMap<&'static str, String>,
    secrets: BTreeMap<&'static str, String>,
    /// Variables replaced for the test (the image under test, the simulated project).
    vars: BTreeMap<&'static str, String>,
}

/// Renders the Pebble expressions the flows use: `inputs.x`, `vars.x`, `secret('X')` and a
/// `?? 'literal'` fallback. Anything the flow does not declare fails the test.
fn render(text: &str, flow: &Value, run: &Execution) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("unclosed {{") + start;
        let expr = rest[start + 2..end].trim();
        let (primary, fallback) = match expr.split_once("??") {
            Some((p, f)) => (p.trim(), Some(f.trim().trim_matches('\'').to_owned())),
            None => (expr, None),
        };
        let value = if let Some(name) = primary.strip_prefix("inputs.") {
            let declared = flow["inputs"]
                .as_array()
                .is_some_and(|ins| ins.iter().any(|i| i["id"] == name));
            assert!(declared, "{}: input {name} is not declared", flow["id"]);
            run.inputs.get(name).cloned().or(fallback)
        } else if let Some(name) = primary.strip_prefix("vars.") {
            let declared = &flow["variables"][name];
            assert!(
                !declared.is_null(),
                "{}: variable {name} undeclared",
                flow["id"]
            );
            run.vars
                .get(name)
                .cloned()
                .or_else(|| declared.as_str().map(str::to_owned))
        } else if let Some(name) = primary
            .strip_prefix("secret('")
            .and_then(|s| s.strip_suffix("')"))
        {
            run.secrets.get(name).cloned()
        } else {
            panic!("{}: expression not understood: {expr}", flow["id"])
        };
        out.push_str(&value.unwrap_or_else(|| panic!("{}: no value for {expr}", flow["id"])));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Runs every script task of `examples/kestra/<file>`; returns each task's id and result.
async fn execute(
    docker: &Docker,
    file: &str,
    run: &Execution,
    seams: &[(&str, String)],
) -> Vec<(String, Finished)> {
    let flow = yaml(&format!("examples/kestra/{file}"));
    let mut results = Vec::new();
    for task in flow["tasks"].as_array().expect("tasks") {
        if task["type"] != SCRIPT_TASK {
            continue;
        }
        let image = render(task["containerImage"].as_str().unwrap(), &flow, run);
        assert_eq!(
            image, docker.image,
            "{file}: containerImage is not vars.image"
        );
        let mut env: BTreeMap<String, String> = task["env"]
            .as_object()
            .expect("env")
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    render(v.as_str().expect("env value"), &flow, run),
                )
            })
            .collect();
        for (k, v) in seams {
            env.insert((*k).to_owned(), v.clone());
        }
        let commands: Vec<&str> = task["commands"]
            .as_array()
            .expect("commands")
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let finished = docker
            .run(&RunSpec {
                env,
                entrypoint: Some(String::new()),
                args: vec!["/bin/sh".into(), "-c".into(), commands.join("\n")],
                ..RunSpec::default()
            })
            .await;
        results.push((task["id"].as_str().unwrap().to_owned(), finished));
    }
    assert!(!results.is_empty(), "{file} has no script task");
    results
}

/// The `::{"outputs":{...}}::` line Kestra reads from a script task's stdout.
fn kestra_outputs(stdout: &str) -> serde_json::Map<String, Value> {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("::{\"outputs\"").map(|_| l))
        .unwrap_or_else(|| panic!("no Kestra outputs line in:\n{stdout}"));
    let json: Value = serde_json::from_str(&line[2..line.len() - 2]).unwrap();
    json["outputs"].as_object().unwrap().clone()
}

/// Every `{{ outputs.<task>.vars.<name> }}` a flow uses names an output its task printed.
fn assert_used_outputs_exist(file: &str, results: &[(String, Finished)]) {
    let text = super::repo_file(&format!("examples/kestra/{file}"));
    for (task, finished) in results {
        let outputs = kestra_outputs(&finished.stdout);
        let prefix = format!("outputs.{task}.vars.");
        for (i, _) in text.match_indices(&prefix) {
            let name: String = text[i + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                outputs.contains_key(&name),
                "{file}: {task} prints no {name}"
            );
        }
    }
}

fn only(file: &str, results: Vec<(String, Finished)>) -> Finished {
    let (_, finished) = results.into_iter().next().unwrap();
    assert_eq!(finished.code, Some(0), "{file}:\n{}", finished.both());
    finished
}

#[tokio::test]
#[ignore = "needs docker and the image: run .ci/image"]
async fn kestra_flows_up_refresh_down_and_reap_run_in_the_image() {
    let e = E2e::start().await;
    let docker = Docker::from_env();
    let run = Execution {
        inputs: [
            ("pr_number", "2".to_owned()),
            ("head_sha", HEAD_SHA.to_owned()),
            ("head_ref", "feature/kestra".to_owned()),
        ]
        .into(),
        secrets: [
            ("RAILWAY_TOKEN", ACCOUNT_TOKEN.to_owned()),
            ("GITHUB_TOKEN", GITHUB_TOKEN.to_owned()),
            ("WPSTAGE_ANONYMIZE_KEY", ANONYMIZE_KEY.to_owned()),
        ]
        .into(),
        vars: [
            ("image", docker.image.clone()),
            ("repository", OWNER_REPO.to_owned()),
            ("project_id", e.rig.seed.project_id.clone()),
        ]
        .into(),
    };
    let seams = [
        ("GITHUB_API_URL", e.gh.uri()),
        ("WPSTAGE_RAILWAY_ENDPOINT", e.rig.sim.endpoint.to_string()),
    ];

    let results = execute(&docker, "wpstage_up.yml", &run, &seams).await;
    assert_used_outputs_exist("wpstage_up.yml", &results);
    let up = only("wpstage_up.yml", results);
    let outputs = kestra_outputs(&up.stdout);
    let preview = outputs["preview_url"].as_str().unwrap().to_owned();
    assert!(preview.ends_with(".up.railway.app"), "{preview}");
    assert_eq!(outputs["operation"], "up");
    assert!(e.rig.sim.env_id("pr-2").is_some());
    let deploy = e
        .rig
        .sim
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.operation == "DeployServiceInstance")
        .unwrap();
    assert_eq!(deploy.variables["commitSha"], HEAD_SHA);
    assert_eq!(
        e.ours().len(),
        1,
        "the flow's GitHub settings were not used"
    );

    e.mark_staging().await;
    let refresh = only(
        "wpstage_refresh.yml",
        execute(&docker, "wpstage_refresh.yml", &run, &seams).await,
    );
    assert_eq!(kestra_outputs(&refresh.stdout)["operation"], "refresh");
    assert!(!e.marker_survives().await, "refresh did not copy the data");

    let down = only(
        "wpstage_down.yml",
        execute(&docker, "wpstage_down.yml", &run, &seams).await,
    );
    assert_eq!(kestra_outputs(&down.stdout)["operation"], "down");
    assert_eq!(e.rig.sim.env_id("pr-2"), None);

    let reap = only(
        "wpstage_reap.yml",
        execute(&docker, "wpstage_reap.yml", &run, &seams).await,
    );
    assert_eq!(kestra_outputs(&reap.stdout)["operation"], "reap");

    // The nightly base refresh: production copied once into the base environment.
    let base = only(
        "wpstage_base_refresh.yml",
        execute(&docker, "wpstage_base_refresh.yml", &run, &seams).await,
    );
    assert_eq!(kestra_outputs(&base.stdout)["operation"], "base-refresh");
    assert!(
        e.rig.sim.env_id("wpstage-base").is_some(),
        "the base refresh made no base environment: {}",
        base.stderr
    );

    for (name, secret) in [
        ("Railway token", ACCOUNT_TOKEN),
        ("GitHub token", GITHUB_TOKEN),
        ("anonymize key", ANONYMIZE_KEY),
    ] {
        for finished in [&up, &refresh, &down, &reap, &base] {
            assert!(
                finished
                    .stdout
                    .lines()
                    .all(|l| !l.contains(secret) || l.starts_with("::add-mask::"))
                    && !finished.stderr.contains(secret),
                "a flow's output leaks the {name}"
            );
        }
    }
}

#[test]
fn kestra_flows_name_the_released_image() {
    let image = super::release::action_image();
    for file in [
        "wpstage_up.yml",
        "wpstage_refresh.yml",
        "wpstage_down.yml",
        "wpstage_reap.yml",
        "wpstage_base_refresh.yml",
    ] {
        let flow = yaml(&format!("examples/kestra/{file}"));
        assert_eq!(flow["variables"]["image"], image, "{file}");
    }
}
