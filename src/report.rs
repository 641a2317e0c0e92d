//! Plain-text rendering of an [`Outcome`] for terminals and CI logs.

use crate::lifecycle::{DataSummary, Operation, Outcome};
use crate::sync::progress::mb;

fn push(s: &mut String, line: impl AsRef<str>) {
    s.push_str(line.as_ref());
    s.push('\n');
}

/// A human-readable summary of what a lifecycle operation did.
pub fn outcome_text(o: &Outcome) -> String {
    let mut s = String::new();
    match o.operation {
        Operation::Up | Operation::Refresh => environment_lines(&mut s, o),
        Operation::Down => {
            let what = if o.deleted {
                "deleted"
            } else {
                "was already gone"
            };
            push(&mut s, format!("environment {} {what}", o.environment_name));
        }
        Operation::Reap => reap_lines(&mut s, o),
    }
    for f in &o.fidelity {
        push(&mut s, format!("fidelity: {} {}", f.kind, f.detail));
    }
    for w in &o.warnings {
        push(&mut s, format!("warning:  {w}"));
    }
    phase_table(&mut s, o);
    if o.api_calls > 0 {
        push(
            &mut s,
            format!(
                "{} API requests (+{} status polls)",
                o.api_calls, o.api_polls
            ),
        );
    }
    s
}

/// `up` / `refresh`: the environment, where to find it, its data and its deployment.
fn environment_lines(s: &mut String, o: &Outcome) {
    let verb = match (o.operation, o.created) {
        (Operation::Refresh, _) => "refreshed",
        (_, true) => "created",
        (_, false) => "updated",
    };
    push(
        s,
        format!(
            "{} environment {} on {}",
            verb, o.environment_name, o.platform
        ),
    );
    if let Some(url) = &o.preview_url {
        push(s, format!("preview:  {url}"));
    }
    if let Some(url) = &o.admin_url {
        push(s, format!("wp-admin: {url}"));
    }
    match &o.data {
        Some(d) => data_lines(s, d),
        None => push(
            s,
            "data:     kept (no re-copy; use `refresh` or --refresh-data)",
        ),
    }
    if let Some(dep) = &o.deployment {
        push(
            s,
            format!("deploy:   {} {} ({})", dep.sha, dep.status, dep.id),
        );
    }
    if let Some(exp) = &o.expires_at {
        push(s, format!("expires:  {exp}"));
    }
}

/// The copied data: how much, whether it was anonymized, how many URLs were rewritten.
fn data_lines(s: &mut String, d: &DataSummary) {
    push(
        s,
        format!(
            "data:     {} {} — {} tables, {} rows, {:.1} MB",
            d.origin(),
            d.snapshot_time,
            d.tables,
            d.rows,
            mb(d.bytes)
        ),
    );
    if d.anonymized {
        push(
            s,
            format!(
                "privacy:  {} values anonymized in {} columns, {} rows dropped{}",
                d.anonymized_values,
                d.anonymized_columns,
                d.rows_dropped,
                if d.random_key {
                    " (random key: pseudonyms differ per run)"
                } else {
                    ""
                }
            ),
        );
    } else {
        push(
            s,
            "privacy:  ANONYMIZATION WAS OFF — staging holds real personal data",
        );
    }
    push(s, format!("urls:     {} replacements", d.url_replacements));
}

/// `reap`: the environments and helper databases removed (or that would be).
fn reap_lines(s: &mut String, o: &Outcome) {
    let verb = if o.dry_run { "would delete" } else { "deleted" };
    if o.reaped.is_empty() {
        push(s, "no stale environments");
    }
    for name in &o.reaped {
        push(s, format!("{verb} {name}"));
    }
    let verb = if o.dry_run { "would remove" } else { "removed" };
    for name in &o.reaped_helpers {
        push(s, format!("{verb} {name} (left by an interrupted copy)"));
    }
}

/// Seconds per phase and in total, after a blank line; nothing when no phase was timed.
fn phase_table(s: &mut String, o: &Outcome) {
    if o.phases.is_empty() {
        return;
    }
    push(s, "");
    push(s, format!("{:<20} {:>8}", "phase", "s"));
    for p in &o.phases {
        push(s, format!("{:<20} {:>8.2}", p.phase, p.seconds));
    }
    push(s, format!("{:<20} {:>8.2}", "total", o.duration_seconds));
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
