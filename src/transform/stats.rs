//! Counters per table and column, merged from every transformer that ran,
//! and the serializable report.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::url::UrlCounts;

/// Counters of one column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ColumnReport {
    pub column: String,
    /// Values written differently from the source.
    pub values_changed: u64,
    /// Old-URL occurrences replaced by the new URL.
    pub url_replacements: u64,
    /// Uploads URLs left pointing at production.
    pub uploads_kept: u64,
    /// Uploads URLs pointed at the configured uploads URL.
    pub uploads_redirected: u64,
    /// Values changed by an anonymization rule.
    pub anonymized: u64,
    /// Of those, values changed by the generic scan of a column no rule names (it replaces
    /// emails, IPs and phones; names and postal addresses there need a rule).
    pub scan_replaced: u64,
    /// Values of a personal-data column that still hold an email, IP or phone-like token that
    /// is not a pseudonym (the leak check fails on originals; this counts the rest).
    pub pii_like_remaining: u64,
    /// Values copied unchanged although they may hold an old URL, by reason.
    pub skipped: BTreeMap<String, u64>,
}

impl ColumnReport {
    fn merge(&mut self, o: &ColumnReport) {
        self.values_changed += o.values_changed;
        self.url_replacements += o.url_replacements;
        self.uploads_kept += o.uploads_kept;
        self.uploads_redirected += o.uploads_redirected;
        self.anonymized += o.anonymized;
        self.scan_replaced += o.scan_replaced;
        self.pii_like_remaining += o.pii_like_remaining;
        for (k, v) in &o.skipped {
            *self.skipped.entry(k.clone()).or_default() += v;
        }
    }

    pub(crate) fn add_urls(&mut self, c: UrlCounts) {
        self.url_replacements += c.replaced;
        self.uploads_kept += c.uploads_kept;
        self.uploads_redirected += c.uploads_redirected;
    }

    pub(crate) fn skip(&mut self, reason: &str) {
        *self.skipped.entry(reason.to_string()).or_default() += 1;
    }

    fn is_zero(&self) -> bool {
        self.values_changed == 0
            && self.url_replacements == 0
            && self.uploads_kept == 0
            && self.uploads_redirected == 0
            && self.anonymized == 0
            && self.pii_like_remaining == 0
            && self.skipped.is_empty()
    }
}

/// Counters of one table (all of its COPY slices).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableReport {
    pub table: String,
    pub rows_seen: u64,
    pub rows_changed: u64,
    pub rows_dropped: u64,
    pub columns: Vec<ColumnReport>,
}

impl TableReport {
    pub(crate) fn merge(&mut self, o: &TableReport) {
        if self.table.is_empty() {
            self.table.clone_from(&o.table);
        }
        self.rows_seen += o.rows_seen;
        self.rows_changed += o.rows_changed;
        self.rows_dropped += o.rows_dropped;
        for c in o.columns.iter().filter(|c| !c.is_zero()) {
            match self.columns.iter_mut().find(|x| x.column == c.column) {
                Some(x) => x.merge(c),
                None => self.columns.push(c.clone()),
            }
        }
    }
}

/// Merged counters of every transformer that ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TransformReport {
    pub tables: Vec<TableReport>,
}

impl TransformReport {
    pub(crate) fn from_map(map: &BTreeMap<String, TableReport>) -> Self {
        let mut tables: Vec<TableReport> = map.values().cloned().collect();
        for t in &mut tables {
            t.columns.sort_by(|a, b| a.column.cmp(&b.column));
        }
        TransformReport { tables }
    }

    /// `table.column` of every column where the generic scan replaced an email, IP or phone
    /// number: no rule names these columns, so names and postal addresses may remain there.
    pub fn scanned_columns(&self) -> Vec<String> {
        self.tables
            .iter()
            .flat_map(|t| {
                t.columns
                    .iter()
                    .filter(|c| c.scan_replaced > 0)
                    .map(move |c| format!("{}.{}", t.table, c.column))
            })
            .collect()
    }

    /// Sum over all tables and columns (column name `*`).
    pub fn totals(&self) -> TableReport {
        let mut all = ColumnReport {
            column: "*".into(),
            ..Default::default()
        };
        let mut t = TableReport {
            table: "TOTAL".into(),
            ..Default::default()
        };
        for tab in &self.tables {
            t.rows_seen += tab.rows_seen;
            t.rows_changed += tab.rows_changed;
            t.rows_dropped += tab.rows_dropped;
            for c in &tab.columns {
                all.merge(c);
            }
        }
        t.columns.push(all);
        t
    }

    /// Header and one row per (table, column), plus a table line (`*`).
    pub fn rows(&self) -> Vec<[String; 9]> {
        let mut out = vec![
            [
                "Table",
                "Column",
                "Rows",
                "Changed",
                "URLs",
                "Uploads kept",
                "Uploads moved",
                "Anonymized",
                "Dropped / skipped",
            ]
            .map(str::to_string),
        ];
        for t in &self.tables {
            out.push([
                t.table.clone(),
                "*".into(),
                t.rows_seen.to_string(),
                t.rows_changed.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                format!("{} dropped", t.rows_dropped),
            ]);
            for c in &t.columns {
                let skipped = c
                    .skipped
                    .iter()
                    .map(|(r, n)| format!("{n} {r}"))
                    .collect::<Vec<_>>()
                    .join("; ");
                out.push([
                    t.table.clone(),
                    c.column.clone(),
                    String::new(),
                    c.values_changed.to_string(),
                    c.url_replacements.to_string(),
                    c.uploads_kept.to_string(),
                    c.uploads_redirected.to_string(),
                    c.anonymized.to_string(),
                    skipped,
                ]);
            }
        }
        out
    }

    /// Plain-text table in the style of `wp search-replace`.
    pub fn to_text_table(&self) -> String {
        let rows = self.rows();
        let mut widths = [0usize; 9];
        for r in &rows {
            for (w, cell) in widths.iter_mut().zip(r) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut s = String::new();
        for (i, r) in rows.iter().enumerate() {
            let line: Vec<String> = r
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            // Writing to a String cannot fail.
            if writeln!(s, "{}", line.join(" | ").trim_end()).is_err() {
                return s;
            }
            if i == 0 {
                let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
                if writeln!(s, "{}", rule.join("-+-")).is_err() {
                    return s;
                }
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_slices_and_renders() {
        let mut map = BTreeMap::new();
        let part = TableReport {
            table: "wp_posts".into(),
            rows_seen: 2,
            rows_changed: 1,
            rows_dropped: 0,
            columns: vec![ColumnReport {
                column: "post_content".into(),
                url_replacements: 3,
                values_changed: 1,
                ..Default::default()
            }],
        };
        map.entry("wp_posts".to_string())
            .or_insert_with(TableReport::default)
            .merge(&part);
        map.entry("wp_posts".to_string())
            .or_insert_with(TableReport::default)
            .merge(&part);
        let report = TransformReport::from_map(&map);
        assert_eq!(report.tables[0].table, "wp_posts");
        assert_eq!(report.tables[0].rows_seen, 4);
        assert_eq!(report.tables[0].columns[0].url_replacements, 6);
        assert_eq!(report.totals().columns[0].url_replacements, 6);
        let text = report.to_text_table();
        assert!(text.contains("wp_posts | post_content"), "{text}");
        assert!(serde_json::to_string(&report).is_ok());
    }
}
