//! Checks a rules file against the snapshot: a table, column or meta-key pattern that
//! matches nothing protects nothing (usually a typo), so it is an error naming the closest
//! existing names, unless the table's rule says `optional: true`.

use super::anonymize::glob_match;
use super::plan::logical_name;
use super::rules::{RulesFile, UserTableRules};

/// One table of the snapshot as the check needs it.
#[derive(Debug, Clone, Default)]
pub struct SnapshotTable {
    pub name: String,
    pub columns: Vec<String>,
    /// Distinct keys of the EAV key column a rule names (filled for tables with `meta_keys`).
    pub keys: Vec<String>,
}

/// The key column a table rule's meta-key patterns are matched against.
pub fn key_column(rule_table: &str, rules: &UserTableRules) -> String {
    match &rules.key_column {
        Some(k) => k.clone(),
        None if rule_table == "options" => "option_name".into(),
        None => "meta_key".into(),
    }
}

/// Up to three names closest to `wanted` by edit distance.
pub fn closest<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = names
        .map(|n| (strsim::levenshtein(wanted, &n.to_ascii_lowercase()), n))
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

fn hint(names: &[&str]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        format!(" (closest: {})", names.join(", "))
    }
}

/// The tables of the snapshot a rule for `name` applies to (by name after the prefix, or full).
pub fn matching<'a>(
    name: &str,
    prefix: &str,
    tables: &'a [SnapshotTable],
) -> Vec<&'a SnapshotTable> {
    tables
        .iter()
        .filter(|t| logical_name(&t.name, prefix) == name || t.name.eq_ignore_ascii_case(name))
        .collect()
}

/// Every rule that matches nothing, as one message each.
pub fn check(rules: &RulesFile, prefix: &str, tables: &[SnapshotTable]) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, rule) in rules.tables.iter().filter(|(_, r)| !r.optional) {
        let found = matching(name, prefix, tables);
        if found.is_empty() {
            let names = tables.iter().map(|t| t.name.as_str());
            let near = closest(&format!("{prefix}{name}"), names);
            problems.push(format!("table {name:?} matches nothing{}", hint(&near)));
            continue;
        }
        for (column, _) in &rule.columns {
            if !found
                .iter()
                .any(|t| t.columns.iter().any(|c| c.eq_ignore_ascii_case(column)))
            {
                let near = closest(
                    column,
                    found
                        .iter()
                        .flat_map(|t| t.columns.iter().map(String::as_str)),
                );
                problems.push(format!(
                    "column {name}.{column} matches nothing{}",
                    hint(&near)
                ));
            }
        }
        for (pattern, _) in &rule.meta_keys {
            let hit = found.iter().any(|t| {
                t.keys
                    .iter()
                    .any(|k| glob_match(pattern, &k.to_ascii_lowercase()))
            });
            if !hit {
                let near = closest(
                    pattern,
                    found.iter().flat_map(|t| t.keys.iter().map(String::as_str)),
                );
                problems.push(format!(
                    "meta key {pattern:?} of {name} matches nothing{}",
                    hint(&near)
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_closest_table_column_and_key() {
        let rules = RulesFile::from_yaml(
            "tables:\n  my_plugin_lead: { columns: { email: email } }\n  postmeta:\n    columns: { meta_vlaue: keep }\n    meta_keys: { \"_lead_mail\": email, \"_order_*\": keep }\n  gone: { optional: true, columns: { x: email } }\n",
        )
        .expect("rules");
        let tables = vec![
            SnapshotTable {
                name: "wp_my_plugin_leads".into(),
                columns: vec!["id".into(), "email".into()],
                keys: vec![],
            },
            SnapshotTable {
                name: "wp_postmeta".into(),
                columns: vec!["meta_key".into(), "meta_value".into()],
                keys: vec!["_lead_email".into(), "_order_total".into()],
            },
        ];
        let problems = check(&rules, "wp_", &tables);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("wp_my_plugin_leads"), "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("meta_vlaue") && p.contains("closest: meta_value"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("_lead_mail") && p.contains("closest: _lead_email"))
        );
    }
}
