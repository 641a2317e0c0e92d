//! COPY workers: each imports the exported snapshot on its own source connection and streams
//! jobs from a shared queue, connection to connection, with bounded buffers and no temp files.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context as _;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{SinkExt as _, StreamExt as _, pin_mut};
use tokio::sync::Notify;
use tokio_postgres::Client;

use super::catalog::Table;
use super::plan::{CopyJob, Slice};
use super::progress::Progress;
use super::schedule::{Next, Scheduler, Task};
use crate::postgres::{DbUrl, PgError, PgErrorKind, Side, connect, connect_source};

/// What a row transform did with one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    Unchanged,
    Changed,
    Dropped,
}

/// A per-table row transform, run inside the stream (see the `transform` module).
pub trait RowTransform: Send {
    /// `row` is one COPY text row with its trailing newline; a changed row goes to `out`.
    fn transform_row(&mut self, row: &[u8], out: &mut Vec<u8>) -> anyhow::Result<RowOutcome>;
    /// Hands the counters back once the job is done.
    fn finish(self: Box<Self>);
}

/// Decides, per table, whether rows must be transformed; `None` keeps the zero-decode path.
pub trait Transforms: Send + Sync {
    /// Called once, inside the snapshot, before any row is copied: look at the tables and read
    /// what the transforms need (table prefix, ids of kept users, a sample of unruled columns).
    fn prepare<'a>(
        &'a self,
        tables: &'a [Table],
        snapshot: &'a Client,
    ) -> BoxFuture<'a, anyhow::Result<Vec<String>>>;
    fn for_table(&self, table: &Table) -> anyhow::Result<Option<Box<dyn RowTransform>>>;
    /// Called after the data is loaded and before the copy is made visible: a failure keeps
    /// nothing (e.g. the leak check found an original email in the copy). Returns warnings.
    fn verify<'a>(&'a self, target: &'a Client) -> BoxFuture<'a, anyhow::Result<Vec<String>>>;
    /// [`Transforms::verify`] of a dry run, which wrote no copy: the same checks, on the rows
    /// transformed again from `snapshot` (the source, inside the run's snapshot).
    fn verify_dry_run<'a>(
        &'a self,
        snapshot: &'a Client,
    ) -> BoxFuture<'a, anyhow::Result<Vec<String>>>;
    /// What the transforms did, for the report.
    fn report(&self) -> Option<crate::transform::RunReport>;
}

/// The outcome of one job.
#[derive(Debug, Clone)]
pub struct JobResult {
    pub table_oid: i64,
    pub rows_read: u64,
    pub rows_written: u64,
    pub rows_dropped: u64,
    pub bytes: u64,
    pub seconds: f64,
}

/// Shared state of one copy phase.
pub struct CopyContext {
    pub source: DbUrl,
    /// `None` in a dry run: rows are read and transformed, nothing is written.
    pub build: Option<DbUrl>,
    pub snapshot: String,
    /// Session settings of target connections (and the dump's preamble for its statements).
    pub target_settings: String,
    pub schedule: Mutex<Scheduler>,
    /// Wakes workers waiting for a table's data to finish.
    pub released: Notify,
    pub progress: Arc<Progress>,
    pub transforms: Option<Arc<dyn Transforms>>,
    pub results: Mutex<Vec<JobResult>>,
    /// The indexes built so far, and the statements that build them.
    pub built: Mutex<Vec<super::indexes::Built>>,
    /// The source is SQL_ASCII: its bytes are read as stored (its server would refuse to send
    /// non-UTF-8 bytes to a UTF-8 client, naming no table or row).
    pub raw_source: bool,
    /// Check every row is UTF-8 (a SQL_ASCII source into a target that checks encodings).
    pub check_utf8: bool,
}

/// SQL that opens a read-only transaction on the exported snapshot. `row_security = off` makes a
/// table whose row-level security would hide rows from this role an error instead of a silently
/// partial copy (as pg_dump does).
pub fn import_snapshot_sql(snapshot: &str) -> String {
    format!(
        "SET idle_in_transaction_session_timeout = 0; SET statement_timeout = 0; \
         SET row_security = off; \
         BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '{snapshot}'"
    )
}

/// One worker: runs jobs from the queue until it is empty.
pub async fn worker(ctx: Arc<CopyContext>) -> anyhow::Result<()> {
    let source_server = ctx.source.to_string();
    let src = connect_source(&ctx.source, "wpstage").await?;
    src.batch_execute(&import_snapshot_sql(&ctx.snapshot))
        .await
        .map_err(|e| {
            PgError::from_driver(
                Side::Source,
                &source_server,
                "joining the exported snapshot",
                &e,
            )
        })?;
    if ctx.raw_source {
        src.batch_execute("SET client_encoding = 'SQL_ASCII'")
            .await
            .map_err(|e| {
                PgError::from_driver(Side::Source, &source_server, "reading bytes as stored", &e)
            })?;
    }
    let dst = match &ctx.build {
        Some(url) => {
            let client = connect(url, Side::Target).await?;
            client
                .batch_execute(&ctx.target_settings)
                .await
                .map_err(|e| {
                    PgError::from_driver(
                        Side::Target,
                        &url.to_string(),
                        "preparing the session",
                        &e,
                    )
                })?;
            Some(client)
        }
        None => None,
    };
    let poisoned = || anyhow::anyhow!("the copy schedule was poisoned by a failed worker");
    loop {
        // Registered before looking at the schedule, so that no release is missed.
        let released = ctx.released.notified();
        let next = ctx.schedule.lock().map_err(|_| poisoned())?.take();
        let task = match next {
            Next::Done => break,
            Next::Wait => {
                released.await;
                continue;
            }
            Next::Run(task) => task,
        };
        match &task {
            Task::Copy(job) => {
                let result = copy_job(&ctx, &src, dst.as_ref(), job)
                    .await
                    .with_context(|| format!("copying {}", job.label()))?;
                tracing::debug!(task = %job.label(), seconds = result.seconds, "copied");
                ctx.progress
                    .jobs_done
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                ctx.results.lock().map_err(|_| poisoned())?.push(result);
            }
            Task::Build { name, steps, .. } => {
                if let (Some(dst), Some(url)) = (dst.as_ref(), ctx.build.as_ref()) {
                    let built = super::indexes::build(dst, url, name, steps).await?;
                    ctx.built.lock().map_err(|_| poisoned())?.extend(built);
                }
            }
            Task::Analyze { label, sql, .. } => {
                let started = Instant::now();
                if let (Some(dst), Some(url)) = (dst.as_ref(), ctx.build.as_ref()) {
                    dst.batch_execute(sql).await.map_err(|e| {
                        PgError::from_driver(Side::Target, &url.to_string(), label, &e)
                    })?;
                }
                tracing::debug!(task = %label, seconds = started.elapsed().as_secs_f64(), "done");
            }
        }
        ctx.schedule.lock().map_err(|_| poisoned())?.finished(&task);
        ctx.released.notify_waiters();
    }
    Ok(())
}

async fn copy_job(
    ctx: &CopyContext,
    src: &Client,
    dst: Option<&Client>,
    job: &CopyJob,
) -> anyhow::Result<JobResult> {
    let started = Instant::now();
    let errors = JobErrors::new(ctx, job);
    let transform = match &ctx.transforms {
        Some(t) => t.for_table(&job.table)?,
        None => None,
    };
    let whole = job.slice == Slice::Whole;
    if let Some(dst) = dst
        && whole
    {
        dst.batch_execute(&format!("BEGIN; TRUNCATE ONLY {}", job.table.qualified()))
            .await
            .map_err(|e| errors.target(e))?;
    }
    let stream = src
        .copy_out(job.source_sql().as_str())
        .await
        .map_err(|e| errors.source(e))?;
    let mut sink = match dst {
        Some(dst) => Some(Box::pin(
            dst.copy_in::<_, Bytes>(job.target_sql().as_str())
                .await
                .map_err(|e| errors.target(e))?,
        )),
        None => None,
    };
    let counts = pump_rows(ctx, job, &errors, stream, sink.as_mut(), transform).await?;
    let written = match (sink, dst) {
        (Some(mut sink), Some(dst)) => {
            let n = sink.as_mut().finish().await.map_err(|e| errors.target(e))?;
            if whole {
                dst.batch_execute("COMMIT")
                    .await
                    .map_err(|e| errors.target(e))?;
            }
            n
        }
        _ => counts.rows - counts.dropped,
    };
    let Counts {
        rows,
        bytes,
        dropped,
    } = counts;
    if written != rows - dropped {
        return Err(PgError::new(
            Side::Target,
            PgErrorKind::Other,
            format!(
                "Verification failed for {}: {rows} rows were read from the snapshot \
                 ({dropped} dropped on purpose) but the target stored {written}. Nothing was kept; \
                 rerun, and report this if it repeats.",
                job.label()
            ),
        )
        .into());
    }
    Ok(JobResult {
        table_oid: job.table.oid,
        rows_read: rows,
        rows_written: written,
        rows_dropped: dropped,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Rows and bytes one job read, and the rows its transform dropped on purpose.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    rows: u64,
    bytes: u64,
    dropped: u64,
}

/// Names the server, the side and the job in a driver error.
struct JobErrors {
    source_server: String,
    target_server: String,
    label: String,
}

impl JobErrors {
    fn new(ctx: &CopyContext, job: &CopyJob) -> Self {
        Self {
            source_server: ctx.source.to_string(),
            target_server: ctx
                .build
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            label: job.label(),
        }
    }

    fn source(&self, e: tokio_postgres::Error) -> PgError {
        let what = format!("reading {}", self.label);
        PgError::from_driver(Side::Source, &self.source_server, &what, &e)
    }

    fn target(&self, e: tokio_postgres::Error) -> PgError {
        let what = format!("writing {}", self.label);
        PgError::from_driver(Side::Target, &self.target_server, &what, &e)
    }
}

/// Source bytes between two looks at the runtime: progress is reported and the task yields, so
/// that transforming a long run of buffered rows never holds a runtime thread for long (the
/// connections' own tasks, the progress line and the lock keeper run between batches).
const BATCH_BYTES: u64 = 256 * 1024;

/// Moves every row of one job from the source stream through its transform into the sink.
async fn pump_rows(
    ctx: &CopyContext,
    job: &CopyJob,
    errors: &JobErrors,
    stream: tokio_postgres::CopyOutStream,
    mut sink: Option<&mut std::pin::Pin<Box<tokio_postgres::CopyInSink<Bytes>>>>,
    mut transform: Option<Box<dyn RowTransform>>,
) -> anyhow::Result<Counts> {
    pin_mut!(stream);
    let mut counts = Counts::default();
    let (mut pending_rows, mut pending_bytes) = (0u64, 0u64);
    let mut out = Vec::with_capacity(16 * 1024);
    while let Some(row) = stream.next().await {
        let row = row.map_err(|e| errors.source(e))?;
        counts.rows += 1;
        if ctx.check_utf8
            && let Err(bad) = super::encoding::check_row(&row, &job.table, counts.rows)
        {
            return Err(invalid_bytes(&errors.source_server, &job.table, &bad).into());
        }
        counts.bytes += row.len() as u64;
        pending_rows += 1;
        pending_bytes += row.len() as u64;
        let send = match transform.as_mut() {
            None => Some(row),
            Some(t) => {
                out.clear();
                match t.transform_row(&row, &mut out)? {
                    RowOutcome::Unchanged => Some(row),
                    RowOutcome::Changed => Some(Bytes::copy_from_slice(&out)),
                    RowOutcome::Dropped => {
                        counts.dropped += 1;
                        None
                    }
                }
            }
        };
        if let (Some(sink), Some(data)) = (sink.as_mut(), send) {
            sink.feed(data).await.map_err(|e| errors.target(e))?;
        }
        if pending_bytes >= BATCH_BYTES {
            ctx.progress.add(pending_rows, pending_bytes);
            (pending_rows, pending_bytes) = (0, 0);
            tokio::task::yield_now().await;
        }
    }
    ctx.progress.add(pending_rows, pending_bytes);
    if let Some(t) = transform {
        t.finish();
    }
    Ok(counts)
}

fn invalid_bytes(server: &str, table: &Table, bad: &super::encoding::InvalidBytes) -> PgError {
    PgError::new(
        Side::Source,
        PgErrorKind::Other,
        format!(
            "The source database ({server}) holds a value that is not valid UTF-8 in {}, column \
             {}, row {} (byte 0x{:02X}): the source's encoding is SQL_ASCII, which stores any \
             bytes, and the target's encoding refuses them. Fix that value on the source, or \
             convert the source database to UTF8 from the encoding its text really uses (for \
             example pg_dump --encoding=LATIN1 restored into a database created with ENCODING \
             'UTF8'), then rerun; the target was left as it was.",
            table.display_name(),
            bad.column,
            bad.key,
            bad.byte,
        ),
    )
}

/// Runs independent statements on `jobs` target connections (post-data, ANALYZE).
pub async fn run_statements(
    url: &DbUrl,
    session_sql: &str,
    statements: Vec<(String, String)>,
    jobs: usize,
) -> anyhow::Result<()> {
    let queue = Arc::new(Mutex::new(VecDeque::from(statements)));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..jobs.max(1) {
        let queue = Arc::clone(&queue);
        let url = url.clone();
        let session_sql = session_sql.to_owned();
        set.spawn(async move {
            let server = url.to_string();
            let client = connect(&url, Side::Target).await?;
            client.batch_execute(&session_sql).await.map_err(|e| {
                PgError::from_driver(Side::Target, &server, "preparing the session", &e)
            })?;
            loop {
                let next = queue
                    .lock()
                    .map_err(|_| anyhow::anyhow!("queue poisoned"))?
                    .pop_front();
                let Some((label, sql)) = next else { break };
                client
                    .batch_execute(&sql)
                    .await
                    .map_err(|e| PgError::from_driver(Side::Target, &server, &label, &e))?;
            }
            anyhow::Ok(())
        });
    }
    join_all(set).await
}

/// Waits for every task; the first failure aborts the others and is returned.
pub async fn join_all(mut set: tokio::task::JoinSet<anyhow::Result<()>>) -> anyhow::Result<()> {
    while let Some(joined) = set.join_next().await {
        let outcome = joined
            .map_err(|e| anyhow::anyhow!("a worker task failed: {e}"))
            .and_then(|r| r);
        if let Err(e) = outcome {
            set.abort_all();
            while set.join_next().await.is_some() {}
            return Err(e);
        }
    }
    Ok(())
}
