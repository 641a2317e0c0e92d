//! The text report, pinned line for line for each operation.

use super::outcome_text;
use crate::lifecycle::{DataSummary, DeploymentSummary, FidelityIssue, Operation, Outcome};
use crate::phases::PhaseTime;

fn up(created: bool, anonymized: bool) -> Outcome {
    let mut o = Outcome::new(Operation::Up, "local", "pr-7");
    o.created = created;
    o.preview_url = Some("https://pr-7.example".to_owned());
    o.admin_url = Some("https://pr-7.example/wp-admin/".to_owned());
    o.data = Some(DataSummary {
        snapshot_time: "2026-01-02T03:04:05Z".to_owned(),
        tables: 12,
        rows: 3456,
        bytes: 3 * 1048576 / 2,
        anonymized,
        random_key: true,
        anonymized_columns: 5,
        anonymized_values: 78,
        url_replacements: 9,
        rows_dropped: 2,
        ..DataSummary::default()
    });
    o.deployment = Some(DeploymentSummary {
        id: "dep-1".to_owned(),
        status: "SUCCESS".to_owned(),
        sha: "abc123".to_owned(),
        services: Vec::new(),
    });
    o.expires_at = Some("2026-01-09T03:04:05Z".to_owned());
    o.fidelity = vec![FidelityIssue {
        kind: "variable".to_owned(),
        detail: "FOO differs".to_owned(),
    }];
    o.warnings = vec!["something to know".to_owned()];
    o.phases = vec![
        PhaseTime {
            phase: "environment".to_owned(),
            seconds: 1.25,
        },
        PhaseTime {
            phase: "data copy".to_owned(),
            seconds: 10.5,
        },
    ];
    o.duration_seconds = 11.75;
    o.api_calls = 14;
    o.api_polls = 3;
    o
}

#[test]
fn up_lists_where_what_data_and_how_long() {
    let expected = "\
created environment pr-7 on local
preview:  https://pr-7.example
wp-admin: https://pr-7.example/wp-admin/
data:     production snapshot 2026-01-02T03:04:05Z — 12 tables, 3456 rows, 1.5 MB
privacy:  78 values anonymized in 5 columns, 2 rows dropped (random key: pseudonyms differ per run)
urls:     9 replacements
deploy:   abc123 SUCCESS (dep-1)
expires:  2026-01-09T03:04:05Z
fidelity: variable FOO differs
warning:  something to know

phase                       s
environment              1.25
data copy               10.50
total                   11.75
14 API requests (+3 status polls)
";
    assert_eq!(outcome_text(&up(true, true)), expected);
}

#[test]
fn an_update_without_anonymization_says_so_loudly() {
    let text = outcome_text(&up(false, false));
    assert!(
        text.starts_with("updated environment pr-7 on local\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "\nprivacy:  ANONYMIZATION WAS OFF — staging holds real personal data\nurls:"
        ),
        "{text}"
    );
}

#[test]
fn a_refresh_without_new_data_says_it_was_kept() {
    let mut o = Outcome::new(Operation::Refresh, "railway", "pr-8");
    o.data = None;
    assert_eq!(
        outcome_text(&o),
        "refreshed environment pr-8 on railway\n\
         data:     kept (no re-copy; use `refresh` or --refresh-data)\n"
    );
}

#[test]
fn down_and_reap_name_what_went() {
    let mut down = Outcome::new(Operation::Down, "local", "pr-9");
    assert_eq!(outcome_text(&down), "environment pr-9 was already gone\n");
    down.deleted = true;
    assert_eq!(outcome_text(&down), "environment pr-9 deleted\n");

    let mut reap = Outcome::new(Operation::Reap, "local", "");
    assert_eq!(outcome_text(&reap), "no stale environments\n");
    reap.dry_run = true;
    reap.reaped = vec!["pr-1".to_owned(), "pr-2".to_owned()];
    reap.reaped_helpers = vec!["db__wpstage_old".to_owned()];
    assert_eq!(
        outcome_text(&reap),
        "would delete pr-1\nwould delete pr-2\n\
         would remove db__wpstage_old (left by an interrupted copy)\n"
    );
    reap.dry_run = false;
    assert!(outcome_text(&reap).starts_with("deleted pr-1\n"));
}
