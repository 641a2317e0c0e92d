//! Turning tables into copy jobs: largest first, and a table much larger than its fair share
//! split into slices so that every worker has something to do.

use std::sync::Arc;

use super::catalog::Table;
use crate::postgres::quote_ident;

/// Which rows of a table a job copies.
#[derive(Debug, Clone, PartialEq)]
pub enum Slice {
    Whole,
    /// `lo <= key < hi`; an open end is unbounded.
    KeyRange {
        key: String,
        lo: Option<i64>,
        hi: Option<i64>,
    },
    /// Heap pages `from <= page < to`; an open end is unbounded.
    Pages {
        from: Option<u64>,
        to: Option<u64>,
    },
}

/// One COPY from source to target.
#[derive(Debug, Clone)]
pub struct CopyJob {
    pub table: Arc<Table>,
    pub slice: Slice,
    pub estimated_bytes: u64,
    pub part: usize,
    pub parts: usize,
    /// Rows for which this SQL predicate holds are not copied (see `sync::exclude`).
    pub leave_out: Option<String>,
}

impl CopyJob {
    /// The COPY that reads this job's rows on the source.
    pub fn source_sql(&self) -> String {
        let cols = self.table.column_list();
        let t = self.table.qualified();
        let keep = self
            .leave_out
            .as_ref()
            .map(|p| format!(" AND ({p}) IS NOT TRUE"))
            .unwrap_or_default();
        match &self.slice {
            Slice::Whole if keep.is_empty() => format!("COPY {t} ({cols}) TO STDOUT"),
            Slice::Whole => format!("COPY (SELECT {cols} FROM {t} WHERE true{keep}) TO STDOUT"),
            Slice::KeyRange { key, lo, hi } => {
                let k = quote_ident(key);
                let mut conds = Vec::new();
                if let Some(lo) = lo {
                    conds.push(format!("{k} >= {lo}"));
                }
                if let Some(hi) = hi {
                    conds.push(format!("{k} < {hi}"));
                }
                let cond = if conds.is_empty() {
                    "true".to_owned()
                } else {
                    conds.join(" AND ")
                };
                format!("COPY (SELECT {cols} FROM {t} WHERE {cond}{keep}) TO STDOUT")
            }
            Slice::Pages { from, to } => {
                let mut conds = Vec::new();
                if let Some(from) = from {
                    conds.push(format!("ctid >= '({from},0)'::tid"));
                }
                if let Some(to) = to {
                    conds.push(format!("ctid < '({to},0)'::tid"));
                }
                let cond = if conds.is_empty() {
                    "true".to_owned()
                } else {
                    conds.join(" AND ")
                };
                format!("COPY (SELECT {cols} FROM {t} WHERE {cond}{keep}) TO STDOUT")
            }
        }
    }

    /// The COPY that writes this job's rows on the target. A whole table is truncated and loaded
    /// in one transaction with FREEZE, which saves the later hint-bit and freeze work.
    pub fn target_sql(&self) -> String {
        let freeze = if self.slice == Slice::Whole {
            " WITH (FREEZE)"
        } else {
            ""
        };
        format!(
            "COPY {} ({}) FROM STDIN{freeze}",
            self.table.qualified(),
            self.table.column_list()
        )
    }

    pub fn label(&self) -> String {
        if self.parts > 1 {
            format!(
                "{} (part {}/{})",
                self.table.display_name(),
                self.part,
                self.parts
            )
        } else {
            self.table.display_name()
        }
    }
}

/// How many slices a table of `bytes` gets: none below `split_larger_than` or below half a
/// worker's share, otherwise enough that no slice exceeds half a worker's share. Large rows cost
/// more per byte to load than small ones, so the biggest table is the critical path long before
/// it exceeds a full share.
pub fn parts_for(bytes: u64, total: u64, jobs: usize, split_larger_than: u64) -> usize {
    let jobs = jobs.max(1) as u64;
    let target = (total / (jobs * 2)).max(split_larger_than).max(1);
    if jobs == 1 || bytes <= target {
        return 1;
    }
    usize::try_from(bytes.div_ceil(target).min(jobs * 4))
        .unwrap_or(1)
        .max(1)
}

/// Slices of `[lo, hi]` in `parts` ranges; the first and last ends are open so that nothing
/// outside the range read in the snapshot can be missed.
pub fn key_slices(key: &str, lo: i64, hi: i64, parts: usize) -> Vec<Slice> {
    let parts = parts.max(1);
    let span = (i128::from(hi) - i128::from(lo) + 1).max(1);
    let step = (span / parts as i128).max(1);
    let mut slices = Vec::with_capacity(parts);
    for i in 0..parts {
        let start = i128::from(lo) + step * i as i128;
        let end = i128::from(lo) + step * (i as i128 + 1);
        let lo_b = (i > 0).then(|| i64::try_from(start).unwrap_or(i64::MAX));
        let hi_b = (i + 1 < parts).then(|| i64::try_from(end).unwrap_or(i64::MAX));
        if i > 0 && start > i128::from(hi) {
            break;
        }
        slices.push(Slice::KeyRange {
            key: key.to_owned(),
            lo: lo_b,
            hi: hi_b,
        });
    }
    // The last slice kept must be open-ended.
    if let Some(Slice::KeyRange { hi, .. }) = slices.last_mut() {
        *hi = None;
    }
    slices
}

/// Slices of `pages` heap pages in `parts` ranges, open at both ends.
pub fn page_slices(pages: u64, parts: usize) -> Vec<Slice> {
    let parts = parts.max(1) as u64;
    let step = (pages / parts).max(1);
    let mut slices = Vec::new();
    let mut start = 0;
    for i in 0..parts {
        let end = start + step;
        let last = i + 1 == parts || end >= pages;
        slices.push(Slice::Pages {
            from: (i > 0).then_some(start),
            to: (!last).then_some(end),
        });
        if last {
            break;
        }
        start = end;
    }
    slices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_tables_are_not_split() {
        assert_eq!(parts_for(10, 100, 2, 1), 1);
        assert_eq!(parts_for(25, 100, 2, 1), 1);
        assert_eq!(parts_for(42, 100, 2, 1), 2);
        assert_eq!(parts_for(600, 1000, 1, 1), 1);
        assert_eq!(parts_for(600, 1000, 2, 1000), 1);
    }

    #[test]
    fn a_dominant_table_is_split_across_workers() {
        assert_eq!(parts_for(600, 1000, 2, 1), 3);
        assert_eq!(parts_for(900, 1000, 4, 1), 8);
    }

    #[test]
    fn key_slices_cover_everything_without_overlap() {
        let s = key_slices("ID", 1, 100, 3);
        assert_eq!(s.len(), 3);
        assert_eq!(
            s[0],
            Slice::KeyRange {
                key: "ID".into(),
                lo: None,
                hi: Some(34)
            }
        );
        assert_eq!(
            s[1],
            Slice::KeyRange {
                key: "ID".into(),
                lo: Some(34),
                hi: Some(67)
            }
        );
        assert_eq!(
            s[2],
            Slice::KeyRange {
                key: "ID".into(),
                lo: Some(67),
                hi: None
            }
        );
        let tiny = key_slices("id", 5, 5, 4);
        assert_eq!(
            tiny,
            vec![Slice::KeyRange {
                key: "id".into(),
                lo: None,
                hi: None
            }]
        );
    }

    #[test]
    fn page_slices_are_open_at_both_ends() {
        let s = page_slices(10, 3);
        assert_eq!(
            s.first(),
            Some(&Slice::Pages {
                from: None,
                to: Some(3)
            })
        );
        assert_eq!(
            s.last(),
            Some(&Slice::Pages {
                from: Some(6),
                to: None
            })
        );
        assert_eq!(
            page_slices(0, 3),
            vec![Slice::Pages {
                from: None,
                to: None
            }]
        );
    }
}
