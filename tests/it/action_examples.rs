//! The example workflows behave as documented.

#[test]
fn only_a_push_cancels_a_preview_run_in_progress() {
    let yml = include_str!("../../examples/preview.yml");
    let cancel = yml
        .lines()
        .find_map(|l| l.trim().strip_prefix("cancel-in-progress:"))
        .expect("preview.yml sets cancel-in-progress")
        .trim();
    // `labeled` (and `reopened`) runs must queue behind an `opened` run, not cancel it.
    assert_eq!(cancel, "${{ github.event.action == 'synchronize' }}");
}

use crate::container::yaml;

/// The steps of `examples/<file>` that run the action.
fn wpstage_steps(file: &str) -> Vec<serde_json::Value> {
    let flow = yaml(&format!("examples/{file}"));
    let jobs = flow["jobs"].as_object().expect("jobs").clone();
    jobs.into_iter()
        .flat_map(|(_, job)| job["steps"].as_array().cloned().unwrap_or_default())
        .filter(|s| s["uses"].as_str().is_some_and(|u| u.contains("/wpstage@")))
        .collect()
}

#[test]
fn the_base_refresh_runs_nightly_and_by_hand_and_never_twice_at_once() {
    let flow = yaml("examples/base-refresh.yml");
    let on = &flow["on"];
    let cron = on["schedule"][0]["cron"].as_str().expect("a schedule");
    assert_eq!(cron.split_whitespace().count(), 5, "{cron}");
    assert!(on.get("workflow_dispatch").is_some(), "{on:?}");
    // A fixed group (no expression): every run of this workflow queues behind the last one.
    let group = flow["concurrency"]["group"].as_str().unwrap();
    assert!(!group.contains("${{"), "{group}");
    assert_eq!(
        flow["concurrency"]["cancel-in-progress"].as_bool(),
        Some(false)
    );
    let steps = wpstage_steps("base-refresh.yml");
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0]["with"]["operation"].as_str(), Some("base-refresh"));
    // The same anonymization settings as the preview, so PR copies keep the base's pseudonyms.
    let preview = wpstage_steps("preview.yml");
    for input in ["anonymize_key", "keep_users", "staging_password"] {
        assert_eq!(
            steps[0]["with"][input], preview[0]["with"][input],
            "{input} differs from preview.yml"
        );
    }
}

#[test]
fn every_example_passes_only_inputs_the_action_declares() {
    let action = yaml("action.yml");
    let inputs = action["inputs"].as_object().unwrap();
    let operations = ["auto", "up", "down", "refresh", "reap", "base-refresh"];
    let mut files: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".yml"))
            .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    for file in &files {
        let steps = wpstage_steps(file);
        assert!(!steps.is_empty(), "{file} does not run the action");
        for step in steps {
            for (key, value) in step["with"].as_object().unwrap() {
                let key = key.as_str();
                assert!(inputs.contains_key(key), "{file}: `{key}` is no input");
                if key == "operation" {
                    let op = value.as_str().unwrap();
                    assert!(operations.contains(&op), "{file}: operation {op}");
                }
            }
        }
    }
}
