use serde_json::{Value, json};

use super::*;

const HEAD_SHA: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/github/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn gate() -> Gate {
    Gate {
        has_railway_token: true,
        require_label: None,
    }
}

fn intent(event: &str, payload: &Value, gate: &Gate) -> Intent {
    from_event(event, payload.to_string().as_bytes(), None, gate).unwrap()
}

#[test]
fn opened_reopened_and_synchronize_bring_the_head_sha_up() {
    for name in ["opened", "reopened", "synchronize"] {
        let payload = fixture(&format!("pull_request.{name}"));
        assert_eq!(
            intent("pull_request", &payload, &gate()),
            Intent::Up {
                pr: 2,
                sha: HEAD_SHA.to_owned(),
                branch: Some("changes".to_owned()),
            },
            "{name}"
        );
    }
}

#[test]
fn closed_unmerged_and_merged_tear_down() {
    let mut payload = fixture("pull_request.closed");
    assert_eq!(
        intent("pull_request", &payload, &gate()),
        Intent::Down { pr: 2 }
    );
    payload["pull_request"]["merged"] = json!(true);
    payload["pull_request"]["merged_at"] = json!("2019-05-15T15:21:00Z");
    assert_eq!(
        intent("pull_request_target", &payload, &gate()),
        Intent::Down { pr: 2 }
    );
}

#[test]
fn fork_prs_are_skipped_even_when_closed() {
    for name in ["opened", "closed"] {
        let mut payload = fixture(&format!("pull_request.{name}"));
        payload["pull_request"]["head"]["repo"]["full_name"] = json!("mallory/Hello-World");
        let got = intent("pull_request", &payload, &gate());
        assert!(
            matches!(&got, Intent::Skip(m) if m.contains("fork")),
            "{got:?}"
        );
        // A deleted fork has no head repo at all.
        payload["pull_request"]["head"]["repo"] = Value::Null;
        let got = intent("pull_request", &payload, &gate());
        assert!(
            matches!(&got, Intent::Skip(m) if m.contains("fork")),
            "{got:?}"
        );
    }
}

#[test]
fn dependabot_prs_are_skipped() {
    let mut payload = fixture("pull_request.opened");
    payload["pull_request"]["user"]["login"] = json!(DEPENDABOT);
    let got = intent("pull_request", &payload, &gate());
    assert!(
        matches!(&got, Intent::Skip(m) if m.contains("Dependabot")),
        "{got:?}"
    );
}

#[test]
fn an_empty_railway_token_is_a_skip_not_a_failure() {
    let payload = fixture("pull_request.opened");
    let no_token = Gate {
        has_railway_token: false,
        require_label: None,
    };
    let got = intent("pull_request", &payload, &no_token);
    assert!(
        matches!(&got, Intent::Skip(m) if m.contains("railway_token")),
        "{got:?}"
    );
}

#[test]
fn require_label_gates_up_but_never_down() {
    let gated = Gate {
        has_railway_token: true,
        require_label: Some("Staging".to_owned()),
    };
    let mut payload = fixture("pull_request.opened");
    let got = intent("pull_request", &payload, &gated);
    assert!(
        matches!(&got, Intent::Skip(m) if m.contains("Staging")),
        "{got:?}"
    );
    payload["pull_request"]["labels"] = json!([{"id": 1, "name": "staging", "color": "fff"}]);
    assert!(matches!(
        intent("pull_request", &payload, &gated),
        Intent::Up { pr: 2, .. }
    ));
    let closed = fixture("pull_request.closed");
    assert_eq!(
        intent("pull_request", &closed, &gated),
        Intent::Down { pr: 2 }
    );
}

#[test]
fn adding_the_required_label_brings_the_pr_up_and_other_labels_do_nothing() {
    let gated = Gate {
        has_railway_token: true,
        require_label: Some("staging".to_owned()),
    };
    let mut payload = fixture("pull_request.opened");
    payload["action"] = json!("labeled");
    payload["label"] = json!({"name": "bug"});
    payload["pull_request"]["labels"] = json!([{"name": "bug"}, {"name": "staging"}]);
    assert!(matches!(
        intent("pull_request", &payload, &gated),
        Intent::Ignore(_)
    ));
    payload["label"] = json!({"name": "staging"});
    assert!(matches!(
        intent("pull_request", &payload, &gated),
        Intent::Up { .. }
    ));
    assert!(matches!(
        intent("pull_request", &payload, &gate()),
        Intent::Ignore(_)
    ));
}

#[test]
fn other_pull_request_actions_and_events_are_ignored() {
    let mut payload = fixture("pull_request.opened");
    payload["action"] = json!("edited");
    assert!(matches!(
        intent("pull_request", &payload, &gate()),
        Intent::Ignore(_)
    ));
    assert!(matches!(
        intent("push", &json!({}), &gate()),
        Intent::Ignore(m) if m.contains("push")
    ));
}

#[test]
fn dispatch_reads_pr_number_from_inputs_as_a_string() {
    let mut payload = fixture("workflow_dispatch");
    assert!(matches!(
        from_event(
            "workflow_dispatch",
            payload.to_string().as_bytes(),
            None,
            &gate()
        ),
        Err(EventError::NoPrNumber)
    ));
    payload["inputs"] = json!({"pr_number": "2"});
    assert_eq!(
        intent("workflow_dispatch", &payload, &gate()),
        Intent::Dispatch { pr: 2 }
    );
    payload["inputs"] = json!({"pr_number": "two"});
    let err = from_event(
        "workflow_dispatch",
        payload.to_string().as_bytes(),
        None,
        &gate(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("\"two\""), "{err}");
    // The action input wins over the payload.
    assert_eq!(
        from_event(
            "workflow_dispatch",
            payload.to_string().as_bytes(),
            Some(7),
            &gate()
        )
        .unwrap(),
        Intent::Dispatch { pr: 7 }
    );
}

#[test]
fn schedule_reaps() {
    assert_eq!(intent("schedule", &json!({}), &gate()), Intent::Reap);
}

#[test]
fn a_broken_payload_is_an_error_that_names_the_event() {
    let err = from_event("pull_request", b"{\"action\":", None, &gate()).unwrap_err();
    assert!(
        err.to_string().contains("pull_request event payload"),
        "{err}"
    );
}

#[test]
fn dispatch_refuses_closed_prs_and_skips_forks() {
    let payload = fixture("pull_request.opened");
    let mut pr: PullRequest = serde_json::from_value(payload["pull_request"].clone()).unwrap();
    assert_eq!(
        gate_dispatch(&pr, &gate()).unwrap(),
        Intent::Refresh { pr: 2 }
    );
    pr.head.repo = None;
    assert!(matches!(gate_dispatch(&pr, &gate()), Ok(Intent::Skip(_))));
    pr.state = "closed".to_owned();
    let err = gate_dispatch(&pr, &gate()).unwrap_err();
    assert!(err.to_string().contains("PR #2 is closed"), "{err}");
}

#[test]
fn explicit_operations_need_their_inputs() {
    assert_eq!(
        from_operation(OperationInput::Auto, None, None, None).unwrap(),
        None
    );
    assert_eq!(
        from_operation(OperationInput::Down, Some(3), None, None).unwrap(),
        Some(Intent::Down { pr: 3 })
    );
    let err = from_operation(OperationInput::Up, Some(3), None, None).unwrap_err();
    assert!(err.to_string().contains("head_sha"), "{err}");
    let err = from_operation(OperationInput::Refresh, None, None, None).unwrap_err();
    assert!(err.to_string().contains("pr_number"), "{err}");
    assert_eq!(
        from_operation(OperationInput::Reap, None, None, None).unwrap(),
        Some(Intent::Reap)
    );
}

#[test]
fn pr_numbers_parse_leniently_but_not_wrongly() {
    assert_eq!(parse_pr_number(" 42 ").unwrap(), 42);
    assert_eq!(parse_pr_number("#42").unwrap(), 42);
    assert!(parse_pr_number("0").is_err());
    assert!(parse_pr_number("-1").is_err());
    assert!(parse_pr_number("").is_err());
}
