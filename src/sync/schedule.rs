//! The work of one copy as a small task graph: a table's indexes and constraints are built as
//! soon as all of its rows are in, and it is analyzed right after them, while other tables are
//! still copying — so that no core idles while one large table finishes.

use std::collections::{HashMap, VecDeque};

use super::plan::CopyJob;

/// One unit of work for a worker.
#[derive(Debug, Clone)]
pub enum Task {
    Copy(CopyJob),
    /// An index, a constraint or ANALYZE on one table (target only).
    Sql {
        table: i64,
        label: String,
        sql: String,
        analyze: bool,
    },
}

/// What a worker should do next.
#[derive(Debug)]
pub enum Next {
    Run(Task),
    /// Nothing is ready, but running tasks will release more.
    Wait,
    Done,
}

/// Per-table statement to run after the table's data: `(table oid, label, sql)`.
pub type TableSql = (i64, String, String);

/// The ready queue and what each table still waits for.
#[derive(Debug, Default)]
pub struct Scheduler {
    ready: VecDeque<Task>,
    copies_left: HashMap<i64, usize>,
    indexes_left: HashMap<i64, usize>,
    indexes: HashMap<i64, Vec<(String, String)>>,
    /// A table's other indexes and constraints, held back until its primary key is built.
    after_key: HashMap<i64, Vec<(String, String)>>,
    analyze: HashMap<i64, String>,
    running: usize,
}

impl Scheduler {
    /// `jobs` must be sorted largest first; `keys` (primary keys) run after their table's last
    /// copy job, its other `indexes` after the key — so that the key's catalog rows come first,
    /// as with `pg_dump | psql` (PG4WP takes a table's first index for its key) — and `analyze`
    /// (per table) after all of them.
    pub fn new(
        jobs: Vec<CopyJob>,
        keys: Vec<TableSql>,
        indexes: Vec<TableSql>,
        analyze: Vec<(i64, String)>,
    ) -> Self {
        let mut s = Scheduler::default();
        for job in &jobs {
            *s.copies_left.entry(job.table.oid).or_default() += 1;
        }
        let keyed: std::collections::HashSet<i64> = keys.iter().map(|k| k.0).collect();
        for (table, label, sql) in keys {
            *s.indexes_left.entry(table).or_default() += 1;
            s.indexes.entry(table).or_default().push((label, sql));
        }
        for (table, label, sql) in indexes {
            *s.indexes_left.entry(table).or_default() += 1;
            let queue = if keyed.contains(&table) {
                &mut s.after_key
            } else {
                &mut s.indexes
            };
            queue.entry(table).or_default().push((label, sql));
        }
        s.analyze = analyze.into_iter().collect();
        s.ready = jobs.into_iter().map(Task::Copy).collect();
        s
    }

    pub fn take(&mut self) -> Next {
        match self.ready.pop_front() {
            Some(task) => {
                self.running += 1;
                Next::Run(task)
            }
            None if self.running > 0 => Next::Wait,
            None => Next::Done,
        }
    }

    /// Records that `task` finished and releases what waited for it (first in line: the
    /// follow-ups of a large table are the longest work left).
    pub fn finished(&mut self, task: &Task) {
        self.running = self.running.saturating_sub(1);
        match task {
            Task::Copy(job) => {
                let table = job.table.oid;
                let left = self.copies_left.entry(table).or_default();
                *left = left.saturating_sub(1);
                if *left == 0 {
                    match self.indexes.remove(&table) {
                        Some(sqls) => {
                            for (label, sql) in sqls.into_iter().rev() {
                                self.ready.push_front(Task::Sql {
                                    table,
                                    label,
                                    sql,
                                    analyze: false,
                                });
                            }
                        }
                        None => self.release_analyze(table),
                    }
                }
            }
            Task::Sql {
                table,
                analyze: false,
                ..
            } => {
                let left = self.indexes_left.entry(*table).or_default();
                *left = left.saturating_sub(1);
                if *left == 0 {
                    self.release_analyze(*table);
                } else if let Some(sqls) = self.after_key.remove(table) {
                    for (label, sql) in sqls.into_iter().rev() {
                        self.ready.push_front(Task::Sql {
                            table: *table,
                            label,
                            sql,
                            analyze: false,
                        });
                    }
                }
            }
            Task::Sql { analyze: true, .. } => {}
        }
    }

    fn release_analyze(&mut self, table: i64) {
        if let Some(name) = self.analyze.remove(&table) {
            let sql = format!("ANALYZE {name}");
            self.ready.push_back(Task::Sql {
                table,
                label: format!("analyzing {name}"),
                sql,
                analyze: true,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_primary_key_is_built_alone_before_the_other_indexes() {
        let mut s = Scheduler::new(
            vec![job(1, 1, 1)],
            vec![(
                1,
                "pkey".into(),
                "ALTER TABLE t ADD PRIMARY KEY (id)".into(),
            )],
            vec![
                (1, "idx a".into(), "CREATE INDEX a".into()),
                (1, "idx b".into(), "CREATE INDEX b".into()),
            ],
            vec![(1, "t1".into())],
        );
        let Next::Run(copy) = s.take() else { panic!() };
        s.finished(&copy);
        let Next::Run(key) = s.take() else { panic!() };
        assert_eq!(label(&key), "pkey");
        assert!(
            matches!(s.take(), Next::Wait),
            "another index would be built beside the key"
        );
        s.finished(&key);
        let Next::Run(a) = s.take() else { panic!() };
        let Next::Run(b) = s.take() else { panic!() };
        assert_eq!((label(&a), label(&b)), ("idx a".into(), "idx b".into()));
        s.finished(&a);
        s.finished(&b);
        let Next::Run(an) = s.take() else { panic!() };
        assert_eq!(label(&an), "analyzing t1");
    }

    use std::sync::Arc;

    use super::*;
    use crate::sync::catalog::Table;
    use crate::sync::plan::Slice;

    fn job(oid: i64, part: usize, parts: usize) -> CopyJob {
        let table = Arc::new(Table {
            oid,
            schema: "public".into(),
            name: format!("t{oid}"),
            bytes: 1,
            pages: 1,
            columns: Vec::new(),
            primary_key: Vec::new(),
            split_key: None,
        });
        CopyJob {
            table,
            slice: Slice::Whole,
            estimated_bytes: 1,
            part,
            parts,
            leave_out: None,
        }
    }

    fn label(t: &Task) -> String {
        match t {
            Task::Copy(j) => format!("copy {} {}", j.table.oid, j.part),
            Task::Sql { label, .. } => label.clone(),
        }
    }

    #[test]
    fn indexes_wait_for_every_slice_and_analyze_for_every_index() {
        let mut s = Scheduler::new(
            vec![job(1, 1, 2), job(1, 2, 2), job(2, 1, 1)],
            Vec::new(),
            vec![
                (1, "idx a".into(), "CREATE INDEX a".into()),
                (1, "idx b".into(), "CREATE INDEX b".into()),
            ],
            vec![(1, "t1".into()), (2, "t2".into())],
        );
        let Next::Run(a) = s.take() else { panic!() };
        let Next::Run(b) = s.take() else { panic!() };
        let Next::Run(c) = s.take() else { panic!() };
        assert!(matches!(s.take(), Next::Wait));
        s.finished(&a);
        assert!(
            matches!(s.take(), Next::Wait),
            "one slice of t1 is still copying"
        );
        s.finished(&c);
        let Next::Run(an2) = s.take() else { panic!() };
        assert_eq!(label(&an2), "analyzing t2");
        s.finished(&b);
        let order: Vec<String> = std::iter::from_fn(|| match s.take() {
            Next::Run(t) => {
                let l = label(&t);
                s.finished(&t);
                Some(l)
            }
            _ => None,
        })
        .collect();
        assert_eq!(order, ["idx a", "idx b", "analyzing t1"]);
        s.finished(&an2);
        assert!(matches!(s.take(), Next::Done));
    }
}
