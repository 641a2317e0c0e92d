//! What the transforms of one run did, as one typed value: the sync report carries it
//! (`--report json` prints it under `transform`), the lifecycle reads its totals for the PR
//! comment, and the outcome keeps it whole. A renamed field is a compile error, not a silent 0.

use serde::Serialize;

use super::stats::{ColumnReport, TableReport, TransformReport};

/// The transforms of one run: settings that matter to a reader, totals and per-table counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// Whether anonymization ran.
    pub anonymize: bool,
    /// Whether the anonymization key was generated for this run (pseudonyms differ per run).
    pub random_key: bool,
    /// The URL pairs rewritten.
    pub url_rewrites: Vec<RewrittenUrl>,
    pub totals: RunTotals,
    /// Columns that look like personal data but no rule covers.
    pub uncovered_pii_columns: Vec<String>,
    /// `table.column` where the generic scan replaced emails, IPs or phones: no rule names
    /// these columns, so names and postal addresses may remain there.
    pub names_may_remain: Vec<String>,
    /// Counters per table and column.
    pub tables: Vec<TableReport>,
}

/// One URL rewrite of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RewrittenUrl {
    pub from: String,
    pub to: String,
}

/// Sums over every table and column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunTotals {
    pub rows_seen: u64,
    pub rows_changed: u64,
    pub rows_dropped: u64,
    pub values_changed: u64,
    pub url_replacements: u64,
    pub uploads_kept: u64,
    pub uploads_redirected: u64,
    /// Values changed by an anonymization rule.
    pub anonymized_values: u64,
    /// Columns where at least one value was anonymized.
    pub anonymized_columns: u64,
    /// Values of personal-data columns that still look like they hold an email, IP or phone
    /// number that is not a pseudonym (free text keeps its words: names are not counted).
    pub pii_like_remaining: u64,
}

impl RunTotals {
    /// The totals of `report`.
    pub fn of(report: &TransformReport) -> Self {
        let all = report.totals();
        let sum = |f: fn(&ColumnReport) -> u64| all.columns.iter().map(f).sum::<u64>();
        let anonymized_columns = report
            .tables
            .iter()
            .flat_map(|t| t.columns.iter())
            .filter(|c| c.anonymized > 0)
            .count() as u64;
        Self {
            rows_seen: all.rows_seen,
            rows_changed: all.rows_changed,
            rows_dropped: all.rows_dropped,
            values_changed: sum(|c| c.values_changed),
            url_replacements: sum(|c| c.url_replacements),
            uploads_kept: sum(|c| c.uploads_kept),
            uploads_redirected: sum(|c| c.uploads_redirected),
            anonymized_values: sum(|c| c.anonymized),
            anonymized_columns,
            pii_like_remaining: sum(|c| c.pii_like_remaining),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn keys(v: &serde_json::Value) -> BTreeSet<&str> {
        v.as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect()
    }

    fn sample() -> RunReport {
        let column = |name: &str, anonymized: u64, urls: u64| ColumnReport {
            column: name.into(),
            values_changed: anonymized + urls,
            url_replacements: urls,
            uploads_kept: 1,
            anonymized,
            ..Default::default()
        };
        let report = TransformReport {
            tables: vec![
                TableReport {
                    table: "wp_users".into(),
                    rows_seen: 3,
                    rows_changed: 2,
                    rows_dropped: 0,
                    columns: vec![column("user_email", 2, 0), column("user_url", 1, 2)],
                },
                TableReport {
                    table: "wp_posts".into(),
                    rows_seen: 5,
                    rows_changed: 1,
                    rows_dropped: 1,
                    columns: vec![column("post_content", 0, 4)],
                },
            ],
        };
        RunReport {
            anonymize: true,
            random_key: false,
            url_rewrites: vec![RewrittenUrl {
                from: "https://shop.example".into(),
                to: "https://pr-1.example".into(),
            }],
            totals: RunTotals::of(&report),
            uncovered_pii_columns: vec!["wp_x.phone".into()],
            names_may_remain: report.scanned_columns(),
            tables: report.tables,
        }
    }

    #[test]
    fn totals_sum_every_table_and_column() {
        let t = sample().totals;
        assert_eq!(
            t,
            RunTotals {
                rows_seen: 8,
                rows_changed: 3,
                rows_dropped: 1,
                values_changed: 9,
                url_replacements: 6,
                uploads_kept: 3,
                uploads_redirected: 0,
                anonymized_values: 3,
                anonymized_columns: 2,
                pii_like_remaining: 0,
            }
        );
    }

    /// `--report json` prints this under `transform`, and the outcome under
    /// `data.transform_report`: users read these keys, so they stay.
    #[test]
    fn json_keys_are_pinned() {
        let v = serde_json::to_value(sample()).expect("serializes");
        assert_eq!(
            keys(&v),
            BTreeSet::from([
                "anonymize",
                "random_key",
                "url_rewrites",
                "totals",
                "uncovered_pii_columns",
                "names_may_remain",
                "tables",
            ])
        );
        assert_eq!(
            keys(&v["totals"]),
            BTreeSet::from([
                "rows_seen",
                "rows_changed",
                "rows_dropped",
                "values_changed",
                "url_replacements",
                "uploads_kept",
                "uploads_redirected",
                "anonymized_values",
                "anonymized_columns",
                "pii_like_remaining",
            ])
        );
        assert_eq!(keys(&v["url_rewrites"][0]), BTreeSet::from(["from", "to"]));
        assert_eq!(
            keys(&v["tables"][0]),
            BTreeSet::from([
                "table",
                "rows_seen",
                "rows_changed",
                "rows_dropped",
                "columns"
            ])
        );
        assert_eq!(
            keys(&v["tables"][0]["columns"][0]),
            BTreeSet::from([
                "column",
                "values_changed",
                "url_replacements",
                "uploads_kept",
                "uploads_redirected",
                "anonymized",
                "scan_replaced",
                "pii_like_remaining",
                "skipped",
            ])
        );
        assert_eq!(v["totals"]["anonymized_values"], 3);
        assert_eq!(v["url_rewrites"][0]["to"], "https://pr-1.example");
    }
}
