//! The README table "Faults the suite checks", rendered from the suite's own case list: the
//! README must contain it verbatim, so the table cannot promise a case the suite does not run.

use super::case::{Case, Target};
use super::cases::CASES;

const README: &str = include_str!("../../../README.md");

fn target(case: &Case) -> &'static str {
    match (case.command.name(), case.target) {
        ("sync", Target::Empty) => "empty database",
        ("sync", Target::NonEmpty) => "database with data",
        ("up", _) => "no environment yet",
        _ => "environment with data",
    }
}

fn phase(case: &Case) -> String {
    if case.command.name() == "down" && case.phase.name() != "delete" {
        format!("refresh killed at {}, then `down`", case.phase)
    } else if case.fault.name() == "disk full" {
        "copy (no pause)".to_owned()
    } else {
        case.phase.to_string()
    }
}

/// The markdown table of every case, in suite order.
pub fn render() -> String {
    let mut out =
        String::from("| Command | Fault | Phase | Target | Checked |\n|---|---|---|---|---|\n");
    for c in CASES {
        let checked = match c.needs {
            None => "yes".to_owned(),
            Some(why) => format!("ignored until the engine fix ({why})"),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {checked} |\n",
            c.command.name(),
            c.fault.name(),
            phase(c),
            target(c)
        ));
    }
    out
}

#[test]
fn the_readme_fault_table_is_the_suites_case_list() {
    let table = render();
    assert!(
        README.contains(&table),
        "README.md's section \"Faults the suite checks\" must contain exactly this table:\n\n{table}"
    );
}

#[test]
fn case_names_are_unique_and_fit_database_names() {
    let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CASES.len(), "two cases share a name");
    // `<name>-pr-1__wpstage_next` must fit PostgreSQL's 63-byte identifiers.
    assert!(CASES.iter().all(|c| c.name.len() + 19 <= 63));
}
