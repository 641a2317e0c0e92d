//! The work of one copy as a small task graph: a table's indexes and constraints are built as
//! soon as all of its rows are in, and it is analyzed right after them, while other tables are
//! still copying — so that no core idles while one large table finishes.

use std::collections::{HashMap, VecDeque};

use super::plan::CopyJob;

/// One statement: `(label, sql)`.
pub type Step = (String, String);

/// One unit of work for a worker.
#[derive(Debug, Clone)]
pub enum Task {
    Copy(CopyJob),
    /// All indexes and constraints of one table (target only), its primary key first, run one
    /// after another on one session: the key's `pg_index` row is then the table's first, in
    /// oid and in physical order (PG4WP takes a table's first index for its key). Statements of
    /// one table on several sessions would land on the pages each session last inserted on, in
    /// no particular order.
    Build {
        table: i64,
        /// The table's qualified name (`table` is its oid on the source).
        name: String,
        steps: Vec<Step>,
    },
    /// ANALYZE of one table, after its indexes.
    Analyze {
        table: i64,
        label: String,
        sql: String,
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
    /// Each table's statements, its primary key first.
    builds: HashMap<i64, Vec<Step>>,
    /// Qualified names of the tables not analyzed yet.
    analyze: HashMap<i64, String>,
    names: HashMap<i64, String>,
    running: usize,
}

impl Scheduler {
    /// `jobs` must be sorted largest first. A table's `keys` (its primary key) and then its
    /// other `indexes`, in the order given, run as one task after its last copy job, as with
    /// `pg_dump | psql`; then ANALYZE of each of `tables` (oid, qualified name).
    pub fn new(
        jobs: Vec<CopyJob>,
        keys: Vec<TableSql>,
        indexes: Vec<TableSql>,
        tables: Vec<(i64, String)>,
    ) -> Self {
        let mut s = Scheduler::default();
        for job in &jobs {
            *s.copies_left.entry(job.table.oid).or_default() += 1;
        }
        for (table, label, sql) in keys.into_iter().chain(indexes) {
            s.builds.entry(table).or_default().push((label, sql));
        }
        s.names = tables.iter().cloned().collect();
        s.analyze = tables.into_iter().collect();
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
                    match self.builds.remove(&table) {
                        Some(steps) => self.ready.push_front(Task::Build {
                            table,
                            name: self.names.get(&table).cloned().unwrap_or_default(),
                            steps,
                        }),
                        None => self.release_analyze(table),
                    }
                }
            }
            Task::Build { table, .. } => self.release_analyze(*table),
            Task::Analyze { .. } => {}
        }
    }

    fn release_analyze(&mut self, table: i64) {
        if let Some(name) = self.analyze.remove(&table) {
            self.ready.push_back(Task::Analyze {
                table,
                label: format!("analyzing {name}"),
                sql: format!("ANALYZE {name}"),
            });
        }
    }
}

#[cfg(test)]
mod tests {
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
            Task::Build { steps, .. } => steps
                .iter()
                .map(|(l, _)| l.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            Task::Analyze { label, .. } => label.clone(),
        }
    }

    #[test]
    fn a_tables_key_and_then_its_other_indexes_are_one_task() {
        let mut s = Scheduler::new(
            vec![job(1, 1, 1), job(2, 1, 1)],
            vec![
                (
                    2,
                    "pkey 2".into(),
                    "ALTER TABLE t2 ADD PRIMARY KEY (id)".into(),
                ),
                (
                    1,
                    "pkey".into(),
                    "ALTER TABLE t ADD PRIMARY KEY (id)".into(),
                ),
            ],
            vec![
                (1, "idx a".into(), "CREATE INDEX a".into()),
                (2, "idx c".into(), "CREATE INDEX c".into()),
                (1, "idx b".into(), "CREATE INDEX b".into()),
            ],
            vec![(1, "t1".into()), (2, "t2".into())],
        );
        let Next::Run(copy) = s.take() else { panic!() };
        s.finished(&copy);
        let Next::Run(build) = s.take() else { panic!() };
        assert_eq!(label(&build), "pkey, idx a, idx b");
        assert!(
            matches!(s.take(), Next::Run(Task::Copy(_))),
            "the other table still copies beside the build"
        );
        assert!(
            matches!(s.take(), Next::Wait),
            "an index would be built beside the others of its table"
        );
        s.finished(&build);
        let Next::Run(an) = s.take() else { panic!() };
        assert_eq!(label(&an), "analyzing t1");
    }

    #[test]
    fn indexes_wait_for_every_slice_and_analyze_for_the_indexes() {
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
        assert_eq!(order, ["idx a, idx b", "analyzing t1"]);
        s.finished(&an2);
        assert!(matches!(s.take(), Next::Done));
    }
}
