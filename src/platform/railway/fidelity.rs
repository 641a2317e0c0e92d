//! How a PR environment differs from its source: services, variable names (never values),
//! volumes and domains. Pure: the caller fetches both sides.

use std::collections::{BTreeMap, BTreeSet};

use crate::platform::FidelityIssue;

/// What fidelity looks at in one environment.
#[derive(Debug, Clone, Default)]
pub struct EnvShape {
    /// Service name → its own variable names.
    pub services: BTreeMap<String, BTreeSet<String>>,
    pub shared_variables: BTreeSet<String>,
    /// Service name → volume mount paths.
    pub volumes: BTreeMap<String, BTreeSet<String>>,
    /// Service name → (has a Railway domain, custom domain names).
    pub domains: BTreeMap<String, (bool, BTreeSet<String>)>,
    /// Services whose latest deployment runs, sleeps or is on its way (not failed, skipped,
    /// removed or never deployed).
    pub running: BTreeSet<String>,
}

/// Shared variables wpstage sets itself to mark its environments.
pub const MARKER_VARIABLES: &[&str] = &["WPSTAGE_MANAGED", "WPSTAGE_PR", "WPSTAGE_CREATED_AT"];

/// The differences of `pr` from `source`, other than variables named in `overrides` and
/// wpstage's marker.
pub fn compare(source: &EnvShape, pr: &EnvShape, overrides: &[String]) -> Vec<FidelityIssue> {
    let ignored: BTreeSet<&str> = overrides
        .iter()
        .map(String::as_str)
        .chain(MARKER_VARIABLES.iter().copied())
        .collect();
    let mut issues = Vec::new();
    service_issues(source, pr, &ignored, &mut issues);
    for name in source.running.difference(&pr.running) {
        issues.push(issue(
            "deployment",
            format!("{name} runs in production but not in the PR environment"),
        ));
    }
    shared_variable_issues(source, pr, &ignored, &mut issues);
    volume_issues(source, pr, &mut issues);
    domain_issues(source, pr, &mut issues);
    issues
}

fn issue(kind: &str, detail: String) -> FidelityIssue {
    FidelityIssue {
        kind: kind.to_owned(),
        detail,
    }
}

/// Services missing on either side, and each common service's variable names on either side.
fn service_issues(
    source: &EnvShape,
    pr: &EnvShape,
    ignored: &BTreeSet<&str>,
    issues: &mut Vec<FidelityIssue>,
) {
    for (name, vars) in &source.services {
        let Some(pr_vars) = pr.services.get(name) else {
            issues.push(issue(
                "service",
                format!("service {name} is missing in the PR environment"),
            ));
            continue;
        };
        for v in vars
            .difference(pr_vars)
            .filter(|v| !ignored.contains(v.as_str()))
        {
            issues.push(issue(
                "variable",
                format!("{name}: variable {v} is missing in the PR environment"),
            ));
        }
        for v in pr_vars
            .difference(vars)
            .filter(|v| !ignored.contains(v.as_str()))
        {
            issues.push(issue(
                "variable",
                format!("{name}: variable {v} is only in the PR environment"),
            ));
        }
    }
    for name in pr
        .services
        .keys()
        .filter(|n| !source.services.contains_key(*n))
    {
        issues.push(issue(
            "service",
            format!("service {name} is only in the PR environment"),
        ));
    }
}

/// Shared variable names on either side only.
fn shared_variable_issues(
    source: &EnvShape,
    pr: &EnvShape,
    ignored: &BTreeSet<&str>,
    issues: &mut Vec<FidelityIssue>,
) {
    let shared = &source.shared_variables;
    for v in shared
        .difference(&pr.shared_variables)
        .filter(|v| !ignored.contains(v.as_str()))
    {
        issues.push(issue(
            "variable",
            format!("shared variable {v} is missing in the PR environment"),
        ));
    }
    for v in pr
        .shared_variables
        .difference(shared)
        .filter(|v| !ignored.contains(v.as_str()))
    {
        issues.push(issue(
            "variable",
            format!("shared variable {v} is only in the PR environment"),
        ));
    }
}

/// Volume mount paths on either side only.
fn volume_issues(source: &EnvShape, pr: &EnvShape, issues: &mut Vec<FidelityIssue>) {
    let empty = BTreeSet::new();
    for (name, mounts) in &source.volumes {
        let pr_mounts = pr.volumes.get(name).unwrap_or(&empty);
        for m in mounts.difference(pr_mounts) {
            issues.push(issue(
                "volume",
                format!("{name}: no volume at {m} in the PR environment"),
            ));
        }
    }
    for (name, mounts) in &pr.volumes {
        let src = source.volumes.get(name).unwrap_or(&empty);
        for m in mounts.difference(src) {
            issues.push(issue(
                "volume",
                format!("{name}: volume at {m} is only in the PR environment"),
            ));
        }
    }
}

/// Railway and custom domains production has that the PR environment lacks.
fn domain_issues(source: &EnvShape, pr: &EnvShape, issues: &mut Vec<FidelityIssue>) {
    for (name, (railway, custom)) in &source.domains {
        let (pr_railway, pr_custom) = pr.domains.get(name).cloned().unwrap_or_default();
        if *railway && !pr_railway {
            issues.push(issue(
                "domain",
                format!("{name} has no Railway domain in the PR environment"),
            ));
        }
        for d in custom.difference(&pr_custom) {
            issues.push(issue(
                "domain",
                format!("{name}: custom domain {d} is not in the PR environment (Railway does not copy custom domains)"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn overrides_and_marker_are_not_flagged_but_extra_names_are() {
        let mut source = EnvShape::default();
        source
            .services
            .insert("wp".into(), set(&["DB_HOST", "WP_HOME"]));
        let mut pr = source.clone();
        pr.services.insert(
            "wp".into(),
            set(&["DB_HOST", "WP_HOME", "WP_SITEURL", "DEBUG"]),
        );
        pr.shared_variables = set(&["WPSTAGE_MANAGED", "WPSTAGE_PR"]);
        let issues = compare(&source, &pr, &["WP_HOME".into(), "WP_SITEURL".into()]);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].kind, "variable");
        assert!(issues[0].detail.contains("DEBUG"));
    }

    #[test]
    fn missing_service_volume_and_domain_are_flagged() {
        let mut source = EnvShape::default();
        source.services.insert("wp".into(), set(&[]));
        source.services.insert("redis".into(), set(&[]));
        source.volumes.insert("wp".into(), set(&["/var/www/html"]));
        source
            .domains
            .insert("wp".into(), (true, set(&["shop.example"])));
        let mut pr = EnvShape::default();
        pr.services.insert("wp".into(), set(&[]));
        let kinds: Vec<String> = compare(&source, &pr, &[])
            .into_iter()
            .map(|i| i.kind)
            .collect();
        assert_eq!(kinds, ["service", "volume", "domain", "domain"]);
    }

    #[test]
    fn a_service_production_runs_that_does_not_run_in_the_pr_environment_is_flagged() {
        let mut source = EnvShape::default();
        for name in ["wp", "Redis"] {
            source.services.insert(name.into(), set(&[]));
        }
        source.running = set(&["wp", "Redis"]);
        let mut pr = source.clone();
        pr.running = set(&["wp", "cron"]);
        let issues = compare(&source, &pr, &[]);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].kind, "deployment");
        assert!(issues[0].detail.starts_with("Redis runs in production"));
    }
}
