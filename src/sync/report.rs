//! The sync report: per-table rows and bytes, per-phase seconds, as text or JSON.

use serde::Serialize;

use super::progress::mb;
pub use crate::phases::PhaseTime;

#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    pub table: String,
    pub rows: u64,
    pub bytes: u64,
    pub parts: usize,
    pub seconds: f64,
    /// Rows the transforms dropped on purpose (e.g. sessions).
    pub rows_dropped: u64,
}

/// How the target was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The target was empty and was filled directly.
    InPlace,
    /// The target had tables: a new database was built beside it and swapped in.
    Swapped,
    /// Nothing was written.
    DryRun,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub source: String,
    pub target: String,
    pub mode: Mode,
    pub source_server_major: u32,
    pub target_server_major: Option<u32>,
    pub pg_dump: String,
    pub jobs: usize,
    pub tables: Vec<TableReport>,
    pub sequences: usize,
    pub post_data_statements: usize,
    pub rows: u64,
    pub bytes: u64,
    pub phases: Vec<PhaseTime>,
    pub total_seconds: f64,
    /// What the in-stream transforms did (URL rewrite, anonymization), when they ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transform: Option<crate::transform::RunReport>,
    pub warnings: Vec<String>,
    /// What the default exclusions left out (logs, sessions, caches; revisions on request).
    pub excluded: Vec<super::exclude::Excluded>,
    /// Rows and bytes post revisions hold on the source, left out or not.
    pub revisions: Option<super::exclude::Excluded>,
}

impl SyncReport {
    /// A human-readable summary for terminals and CI logs.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let mode = match self.mode {
            Mode::InPlace => "filled the empty target",
            Mode::Swapped => "built a new copy beside the target and swapped it in",
            Mode::DryRun => "dry run: nothing was written",
        };
        push_line(
            &mut s,
            format!("wpstage sync: {} -> {} ({mode})", self.source, self.target),
        );
        push_line(
            &mut s,
            format!(
                "{} tables, {} rows, {:.1} MB in {:.2} s ({:.1} MB/s), {} sequences, {} post-data statements, {} jobs",
                self.tables.len(),
                self.rows,
                mb(self.bytes),
                self.total_seconds,
                mb(self.bytes) / self.total_seconds.max(0.001),
                self.sequences,
                self.post_data_statements,
                self.jobs
            ),
        );
        push_line(
            &mut s,
            format!(
                "\n{:<44} {:>12} {:>10} {:>6} {:>8}",
                "table", "rows", "MB", "parts", "s"
            ),
        );
        for t in &self.tables {
            push_line(
                &mut s,
                format!(
                    "{:<44} {:>12} {:>10.1} {:>6} {:>8.2}",
                    t.table,
                    t.rows,
                    mb(t.bytes),
                    t.parts,
                    t.seconds
                ),
            );
        }
        push_line(&mut s, format!("\n{:<20} {:>8}", "phase", "s"));
        for p in &self.phases {
            push_line(&mut s, format!("{:<20} {:>8.2}", p.phase, p.seconds));
        }
        push_exclusions(&mut s, self);
        for w in &self.warnings {
            push_line(&mut s, format!("warning: {w}"));
        }
        s
    }
}

/// What was left out, and what revisions hold (always said: they are often the largest waste).
fn push_exclusions(s: &mut String, r: &SyncReport) {
    if !r.excluded.is_empty() {
        let saved: u64 = r.excluded.iter().map(|e| e.bytes).sum();
        push_line(
            s,
            format!(
                "\nleft out (--copy-all copies them): {:.1} MB saved",
                mb(saved)
            ),
        );
        for e in &r.excluded {
            let what = if e.whole_table { "schema only" } else { "rows" };
            push_line(
                s,
                format!(
                    "  {:<42} {:>10} rows {:>9.1} MB  {} ({what})",
                    e.table,
                    e.rows,
                    mb(e.bytes),
                    e.reason
                ),
            );
        }
    }
    if let Some(rev) = &r.revisions {
        push_line(
            s,
            format!(
                "post revisions: {} rows, {:.1} MB{}",
                rev.rows,
                mb(rev.bytes),
                if r.excluded.iter().any(|e| e.reason == rev.reason) {
                    " (left out)"
                } else {
                    " (copied; --skip-revisions leaves them out)"
                }
            ),
        );
    }
}

fn push_line(s: &mut String, line: String) {
    s.push_str(&line);
    s.push('\n');
}
