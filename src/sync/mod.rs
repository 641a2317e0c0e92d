//! `wpstage sync`: one exported snapshot, schema before the data, parallel COPY workers,
//! indexes and constraints after the data, sequences, ANALYZE — written atomically.

pub mod catalog;
pub mod copy;
pub mod encoding;
pub mod exclude;
pub mod fault_hook;
pub mod guard;
pub mod helpers;
pub mod identity;
pub mod indexes;
pub mod plan;
pub mod progress;
pub mod report;
pub mod schedule;
pub mod schema;
mod session;
pub mod slots;
pub mod target;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::phases::PhaseClock;

use anyhow::Context as _;
use tokio_postgres::Client;

pub use copy::{RowOutcome, RowTransform, Transforms};
use plan::{CopyJob, Slice};
use progress::Progress;
pub use report::{Mode, PhaseTime, SyncReport, TableReport};
use schedule::Scheduler;

use crate::postgres::tools::PgDump;
use crate::postgres::{DbUrl, PgError, Side, connect, connect_source, server_major};
use identity::SourceIdentity;
pub(crate) use session::target_settings;
use session::{export_snapshot, server_encoding, set_sequences};

/// Everything `sync` needs, validated by the caller.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub source: DbUrl,
    pub target: DbUrl,
    pub jobs: usize,
    pub pg_dump: Option<PathBuf>,
    pub progress_every: Duration,
    /// Tables above this size may be split across workers.
    pub split_larger_than: u64,
    pub dry_run: bool,
    /// Logs, sessions and caches left out (`--copy-all`, `--skip-revisions`).
    pub waste: crate::transform::waste::WastePolicy,
}

/// Refusals a caller may lift.
#[derive(Debug, Clone, Copy, Default)]
pub struct Guards {
    /// Sync a source without tables (or without WordPress tables) over a target that has some.
    pub allow_empty_source: bool,
}

/// Copies `source` into `target`. On failure the target is left as it was.
pub async fn sync(
    opts: &SyncOptions,
    transforms: Option<Arc<dyn Transforms>>,
) -> anyhow::Result<SyncReport> {
    sync_with(opts, transforms, Guards::default()).await
}

/// [`sync`] with the given [`Guards`].
pub async fn sync_with(
    opts: &SyncOptions,
    transforms: Option<Arc<dyn Transforms>>,
    guards: Guards,
) -> anyhow::Result<SyncReport> {
    let mut phases = PhaseClock::logged();
    let source_server = opts.source.to_string();
    let exporter = connect_source(&opts.source, "wpstage").await?;
    let source_major = server_major(&exporter, &opts.source, Side::Source).await?;
    let pg_dump = if opts.dry_run {
        None
    } else {
        Some(PgDump::find(opts.pg_dump.as_deref(), source_major).await?)
    };
    let snapshot = export_snapshot(&exporter, &source_server).await?;
    fault_hook::reached(fault_hook::Phase::Snapshot).await;
    let tables = catalog::tables(&exporter, &source_server, source_major).await?;
    let sequences = catalog::sequences(&exporter, &source_server).await?;
    let source_encoding = server_encoding(&exporter, Side::Source, &source_server).await?;
    let source_slots = slots::read(&exporter, Side::Source, &source_server).await?;
    // The identity check opens one more source session for the whole run.
    let (workers, lowered) = slots::cap(
        opts.jobs,
        opts.jobs,
        source_slots.for_source() - 1,
        Side::Source,
        &source_server,
        source_slots,
    )?;
    let exclusions = exclude::plan(&exporter, &source_server, &tables, opts.waste).await?;
    let jobs = plan_jobs(
        &exporter,
        &source_server,
        source_major,
        &tables,
        opts,
        &exclusions,
    )
    .await?;
    if let Some(w) = &lowered {
        tracing::warn!("{w}");
    }
    let mut warnings: Vec<String> = lowered.into_iter().collect();
    if let Some(t) = &transforms {
        warnings.extend(
            t.prepare(&tables, &exporter)
                .await
                .context("preparing the transforms")?,
        );
    }
    phases.mark("snapshot+catalog");

    // Kept open until the swap is done: it is how the target's server recognises the source.
    let source_identity = if opts.dry_run {
        None
    } else {
        Some(SourceIdentity::open(&opts.source).await?)
    };
    let prepared = match &source_identity {
        None => None,
        Some(identity) => {
            let names: Vec<String> = tables.iter().map(catalog::Table::display_name).collect();
            Some(target::prepare(&opts.target, identity, &names, guards.allow_empty_source).await?)
        }
    };
    phases.mark("target prepare");

    let ctx = Run {
        opts,
        exporter,
        snapshot,
        tables,
        sequences,
        jobs,
        workers,
        source_encoding,
        transforms,
        source_major,
        warnings,
        exclusions,
    };
    match (prepared, source_identity) {
        (Some(prepared), Some(identity)) => {
            let dump = pg_dump.context("pg_dump is needed unless --dry-run")?;
            ctx.build_and_swap(prepared, &identity, &dump, phases).await
        }
        _ => ctx.copy_only(phases).await,
    }
}

struct Run<'a> {
    opts: &'a SyncOptions,
    exporter: Client,
    snapshot: String,
    tables: Vec<catalog::Table>,
    sequences: Vec<catalog::Sequence>,
    jobs: Vec<CopyJob>,
    /// Copy workers: `--jobs`, lowered to what both servers' free connection slots allow.
    workers: usize,
    source_encoding: String,
    transforms: Option<Arc<dyn Transforms>>,
    source_major: u32,
    warnings: Vec<String>,
    exclusions: exclude::Exclusions,
}

impl Run<'_> {
    /// Builds the copy beside the target and swaps it in. On failure the unfinished copy is
    /// removed and the target is left as it was.
    async fn build_and_swap(
        self,
        prepared: target::PreparedTarget,
        identity: &SourceIdentity,
        dump: &PgDump,
        phases: PhaseClock,
    ) -> anyhow::Result<SyncReport> {
        let build = prepared.build_url.clone();
        let (mode, target_major) = (prepared.mode, prepared.major);
        match self.build(&build, dump, phases).await {
            Ok(mut report) => {
                fault_hook::reached(fault_hook::Phase::Swap).await;
                let swap_start = Instant::now();
                prepared.commit(identity).await?;
                report.phases.push(PhaseTime {
                    phase: "swap".to_owned(),
                    seconds: swap_start.elapsed().as_secs_f64(),
                });
                report.total_seconds += swap_start.elapsed().as_secs_f64();
                report.mode = mode;
                report.target_server_major = Some(target_major);
                Ok(report)
            }
            Err(err) => {
                if let Err(left) = prepared.abort().await {
                    return Err(err.context(left.to_string()));
                }
                Err(err.context(
                    "sync failed; the target was left as it was and the unfinished copy \
                     beside it was removed",
                ))
            }
        }
    }

    async fn build(
        mut self,
        build: &DbUrl,
        dump: &PgDump,
        mut phases: PhaseClock,
    ) -> anyhow::Result<SyncReport> {
        fault_hook::reached(fault_hook::Phase::Schema).await;
        let (pre, post) = tokio::join!(
            dump.dump_section(&self.opts.source, &self.snapshot, "pre-data"),
            dump.dump_section(&self.opts.source, &self.snapshot, "post-data"),
        );
        let pre = schema::clean(&pre?)?;
        let post = schema::split(&schema::clean(&post?)?);
        phases.mark("schema dump");
        let build_server = build.to_string();
        let ddl = connect(build, Side::Target).await?;
        ddl.batch_execute(&pre).await.map_err(|e| {
            PgError::from_driver(
                Side::Target,
                &build_server,
                "creating the schema (pre-data)",
                &e,
            )
        })?;
        let settings = target_settings(&ddl, build).await;
        let target_encoding = server_encoding(&ddl, Side::Target, &build_server).await?;
        // Rows are checked to be UTF-8 before the target refuses them (see [`encoding`]).
        let check_utf8 = encoding::needs_check(&self.source_encoding, &target_encoding);
        let target_slots = slots::read(&ddl, Side::Target, &build_server).await?;
        let (workers, lowered) = slots::cap(
            self.opts.jobs,
            self.workers,
            target_slots.for_target(),
            Side::Target,
            &build_server,
            target_slots,
        )?;
        self.workers = workers;
        if let Some(w) = lowered {
            tracing::warn!("{w}");
            self.warnings.push(w);
        }
        phases.mark("pre-data");

        // Indexes and constraints of a table are built as soon as its rows are in, then it is
        // analyzed; what spans tables (foreign keys, triggers, partitioned parents) comes last.
        let post_count = post.entries.len();
        let session = format!("{settings}\n{}", post.preamble);
        let split = indexes::PostData::split(&post.entries, &self.tables);
        let names: HashMap<i64, String> =
            self.tables.iter().map(|t| (t.oid, t.qualified())).collect();
        let keyed: Vec<String> = split
            .keys
            .iter()
            .filter_map(|k| names.get(&k.0))
            .cloned()
            .collect();
        let schedule = Scheduler::new(
            self.jobs.clone(),
            split.keys,
            split.per_table,
            names.into_iter().collect(),
        );
        fault_hook::reached(fault_hook::Phase::Copy).await;
        let (results, built) = self
            .copy_phase(Some(build.clone()), session.clone(), schedule, check_utf8)
            .await?;
        // The snapshot is no longer needed: release it so the source can vacuum again.
        if let Err(e) = self.exporter.batch_execute("COMMIT").await {
            tracing::debug!(error = %e, "closing the snapshot transaction");
        }
        // PG4WP takes a table's first index for its key: mend the rare table where it is not.
        let misplaced = indexes::ensure_key_first(build, &session, &keyed, built).await?;
        self.warnings.extend(misplaced);
        phases.mark("data+indexes");
        fault_hook::reached(fault_hook::Phase::LeakCheck).await;
        if let Some(t) = &self.transforms {
            let found = t
                .verify(&ddl)
                .await
                .context("verifying the transformed copy")?;
            self.warnings.extend(found);
            phases.mark("leak check");
        }
        fault_hook::reached(fault_hook::Phase::Indexes).await;
        copy::run_statements(build, &session, split.serial, 1).await?;
        phases.mark("post-data");
        fault_hook::reached(fault_hook::Phase::Sequences).await;
        set_sequences(&ddl, &build_server, &self.sequences).await?;
        phases.mark("sequences");
        drop(ddl);

        let mut report = self.report(results, phases, Mode::InPlace, post_count);
        report.pg_dump = dump.version.clone();
        Ok(report)
    }

    async fn copy_only(mut self, mut phases: PhaseClock) -> anyhow::Result<SyncReport> {
        let schedule = Scheduler::new(self.jobs.clone(), Vec::new(), Vec::new(), Vec::new());
        let (results, _) = self
            .copy_phase(None, String::new(), schedule, false)
            .await?;
        phases.mark("data (dry run)");
        // What would fail the real run fails the dry run too (the leak check first of all).
        if let Some(t) = &self.transforms {
            let found = t
                .verify_dry_run(&self.exporter)
                .await
                .context("verifying the transformed rows (dry run)")?;
            self.warnings.extend(found);
            phases.mark("leak check");
        }
        Ok(self.report(results, phases, Mode::DryRun, 0))
    }

    async fn copy_phase(
        &self,
        build: Option<DbUrl>,
        settings: String,
        schedule: Scheduler,
        check_utf8: bool,
    ) -> anyhow::Result<(Vec<copy::JobResult>, Vec<indexes::Built>)> {
        let progress = Arc::new(Progress::default());
        progress
            .jobs_total
            .store(self.jobs.len(), std::sync::atomic::Ordering::Relaxed);
        progress.estimated_bytes.store(
            self.jobs.iter().map(|j| j.estimated_bytes).sum(),
            std::sync::atomic::Ordering::Relaxed,
        );
        let ctx = Arc::new(copy::CopyContext {
            source: self.opts.source.clone(),
            build,
            snapshot: self.snapshot.clone(),
            target_settings: settings,
            schedule: Mutex::new(schedule),
            released: tokio::sync::Notify::new(),
            progress: Arc::clone(&progress),
            transforms: self.transforms.clone(),
            results: Mutex::new(Vec::new()),
            built: Mutex::new(Vec::new()),
            raw_source: encoding::is_raw(&self.source_encoding),
            check_utf8,
        });
        let reporter = progress::spawn_reporter(Arc::clone(&progress), self.opts.progress_every);
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..self.workers {
            set.spawn(copy::worker(Arc::clone(&ctx)));
        }
        let outcome = copy::join_all(set).await;
        if let Some(r) = reporter {
            r.abort();
        }
        outcome?;
        let poisoned = || anyhow::anyhow!("results poisoned");
        let results = ctx.results.lock().map_err(|_| poisoned())?.clone();
        let built = std::mem::take(&mut *ctx.built.lock().map_err(|_| poisoned())?);
        Ok((results, built))
    }

    fn report(
        &self,
        results: Vec<copy::JobResult>,
        phases: PhaseClock,
        mode: Mode,
        post: usize,
    ) -> SyncReport {
        let mut tables: Vec<TableReport> = self
            .tables
            .iter()
            .map(|t| {
                let mine: Vec<&copy::JobResult> =
                    results.iter().filter(|r| r.table_oid == t.oid).collect();
                TableReport {
                    table: t.display_name(),
                    rows: mine.iter().map(|r| r.rows_written).sum(),
                    bytes: mine.iter().map(|r| r.bytes).sum(),
                    parts: mine.len(),
                    seconds: mine.iter().map(|r| r.seconds).fold(0.0, f64::max),
                    rows_dropped: mine.iter().map(|r| r.rows_dropped).sum(),
                }
            })
            .collect();
        tables.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.table.cmp(&b.table)));
        SyncReport {
            source: self.opts.source.to_string(),
            target: self.opts.target.to_string(),
            mode,
            source_server_major: self.source_major,
            target_server_major: None,
            pg_dump: String::new(),
            jobs: self.workers,
            rows: tables.iter().map(|t| t.rows).sum(),
            bytes: tables.iter().map(|t| t.bytes).sum(),
            tables,
            sequences: self.sequences.len(),
            post_data_statements: post,
            total_seconds: phases.total_seconds(),
            phases: phases.into_phases(),
            transform: self.transforms.as_ref().and_then(|t| t.report()),
            warnings: self.warnings.clone(),
            excluded: self.exclusions.excluded.clone(),
            revisions: self.exclusions.revisions.clone(),
        }
    }
}

async fn plan_jobs(
    exporter: &Client,
    server: &str,
    major: u32,
    tables: &[catalog::Table],
    opts: &SyncOptions,
    exclusions: &exclude::Exclusions,
) -> Result<Vec<CopyJob>, PgError> {
    let total: u64 = tables.iter().map(|t| t.bytes).sum();
    let mut jobs = Vec::new();
    for table in tables {
        let leave_out = exclusions.predicates.get(&table.oid).cloned();
        let parts = match leave_out {
            Some(_) => 1,
            None => plan::parts_for(table.bytes, total, opts.jobs, opts.split_larger_than),
        };
        let table = Arc::new(table.clone());
        let slices = if parts <= 1 {
            vec![Slice::Whole]
        } else if let Some(key) = &table.split_key {
            match catalog::key_range(exporter, server, &table, key).await? {
                Some((lo, hi)) => plan::key_slices(key, lo, hi, parts),
                None => vec![Slice::Whole],
            }
        } else if major >= 14 {
            // TID range scans (PostgreSQL 14+) make page slices cheap to read.
            plan::page_slices(table.pages, parts)
        } else {
            vec![Slice::Whole]
        };
        let n = slices.len();
        for (i, slice) in slices.into_iter().enumerate() {
            jobs.push(CopyJob {
                table: Arc::clone(&table),
                slice,
                estimated_bytes: table.bytes / n as u64,
                part: i + 1,
                parts: n,
                leave_out: leave_out.clone(),
            });
        }
    }
    jobs.sort_by_key(|j| std::cmp::Reverse(j.estimated_bytes));
    Ok(jobs)
}
