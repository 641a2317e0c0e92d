//! Writing a generated WordPress database into PostgreSQL: the I/O around the pure
//! [`generate`](crate::generate) module. Tables are streamed with COPY in parallel, indexes are
//! built after the data.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context as _;
use bytes::Bytes;
use futures_util::{SinkExt as _, pin_mut};
use serde::Serialize;

use crate::generate::{GenerateSpec, Plan, TableJob};
use crate::postgres::{DbUrl, PgError, PgErrorKind, Side, connect, user_tables};
use crate::sync::copy::{join_all, run_statements};

/// What `generate` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct GenerateReport {
    pub target: String,
    pub site_url: String,
    pub seed: u64,
    pub requested_bytes: u64,
    /// `pg_database_size` after load, indexes and ANALYZE.
    pub database_bytes: u64,
    pub tables: Vec<GeneratedTable>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct GeneratedTable {
    pub table: String,
    pub rows: u64,
    pub copy_bytes: u64,
}

/// Bytes of COPY text built per chunk; each writer holds at most [`CHUNKS_AHEAD`] more.
const CHUNK: usize = 256 * 1024;
const CHUNKS_AHEAD: usize = 2;

/// Generates `spec` into the empty database `target` with `jobs` parallel writers.
pub async fn generate(
    target: &DbUrl,
    spec: &GenerateSpec,
    jobs: usize,
) -> anyhow::Result<GenerateReport> {
    let started = Instant::now();
    let plan = Plan::new(spec)?;
    let server = target.to_string();
    let client = connect(target, Side::Target).await?;
    ensure_empty(&client, &server).await?;
    let schema = plan.schema_sql().join(";\n");
    client
        .batch_execute(&format!("BEGIN;\n{schema};\nCOMMIT;"))
        .await
        .map_err(|e| {
            PgError::from_driver(Side::Target, &server, "creating the WordPress schema", &e)
        })?;
    let mut tables = write_tables(target, sorted(plan.tables()), jobs).await?;
    let indexes: Vec<(String, String)> = plan
        .index_sql()
        .into_iter()
        .map(|sql| ("building indexes".to_owned(), sql))
        .collect();
    run_statements(target, "SET maintenance_work_mem = '256MB'", indexes, jobs).await?;
    let finish = plan.finish_sql().join(";\n");
    client
        .batch_execute(&format!("{finish};\nANALYZE"))
        .await
        .map_err(|e| PgError::from_driver(Side::Target, &server, "setting sequences", &e))?;
    let size: i64 = client
        .query_one("SELECT pg_database_size(current_database())", &[])
        .await
        .map_err(|e| PgError::from_driver(Side::Target, &server, "measuring the database", &e))?
        .get(0);
    tables.sort_by_key(|t| std::cmp::Reverse(t.copy_bytes));
    Ok(GenerateReport {
        target: server,
        site_url: spec.site_url.clone(),
        seed: spec.seed,
        requested_bytes: spec.target_bytes,
        database_bytes: u64::try_from(size).unwrap_or(0),
        tables,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Refuses a target that already has tables: generate never overwrites anything.
async fn ensure_empty(client: &tokio_postgres::Client, server: &str) -> anyhow::Result<()> {
    let existing = user_tables(client)
        .await
        .map_err(|e| PgError::from_driver(Side::Target, server, "inspecting the target", &e))?;
    if existing > 0 {
        return Err(PgError::new(
            Side::Target,
            PgErrorKind::Other,
            format!(
                "The target database ({server}) already has {existing} tables; generate only writes \
                 into an empty database so that nothing is lost. Create a new database for it."
            ),
        )
        .into());
    }
    Ok(())
}

/// Streams every table job into `target` with `jobs` writers, each taking the next job off a
/// shared queue (biggest first).
async fn write_tables(
    target: &DbUrl,
    jobs_in_order: Vec<TableJob>,
    jobs: usize,
) -> anyhow::Result<Vec<GeneratedTable>> {
    let queue = Arc::new(Mutex::new(VecDeque::from(jobs_in_order)));
    let done = Arc::new(Mutex::new(Vec::new()));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..jobs.max(1) {
        let (queue, done, target) = (Arc::clone(&queue), Arc::clone(&done), target.clone());
        set.spawn(async move {
            let server = target.to_string();
            let client = connect(&target, Side::Target).await?;
            client
                .batch_execute("SET synchronous_commit = off")
                .await
                .map_err(|e| {
                    PgError::from_driver(Side::Target, &server, "preparing the session", &e)
                })?;
            loop {
                let next = queue
                    .lock()
                    .map_err(|_| anyhow::anyhow!("queue poisoned"))?
                    .pop_front();
                let Some(job) = next else { break };
                let table = copy_table(&client, &server, job).await?;
                done.lock()
                    .map_err(|_| anyhow::anyhow!("results poisoned"))?
                    .push(table);
            }
            anyhow::Ok(())
        });
    }
    join_all(set).await.context("writing the generated rows")?;
    let tables = done
        .lock()
        .map_err(|_| anyhow::anyhow!("results poisoned"))?
        .clone();
    Ok(tables)
}

/// COPYs one table. Its rows are built on a blocking thread (CPU work that would otherwise stall
/// the async workers) and handed over in chunks through a short queue, so building the next
/// chunk overlaps sending the last one.
async fn copy_table(
    client: &tokio_postgres::Client,
    server: &str,
    job: TableJob,
) -> anyhow::Result<GeneratedTable> {
    let doing = format!("writing {}", job.table);
    let err = |e: tokio_postgres::Error| PgError::from_driver(Side::Target, server, &doing, &e);
    let table = job.table.clone();
    let sink = client
        .copy_in::<_, Bytes>(job.copy_statement().as_str())
        .await
        .map_err(err)?;
    pin_mut!(sink);
    let (tx, mut rx) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
    let builder = tokio::task::spawn_blocking(move || build_chunks(job, &tx));
    let mut bytes = 0u64;
    while let Some(buf) = rx.recv().await {
        bytes += buf.len() as u64;
        sink.send(Bytes::from(buf)).await.map_err(err)?;
    }
    // A builder that panicked ended the queue early: never commit its partial table.
    builder
        .await
        .with_context(|| format!("building the rows of {table}"))?;
    let rows = sink.as_mut().finish().await.map_err(err)?;
    Ok(GeneratedTable {
        table,
        rows,
        copy_bytes: bytes,
    })
}

/// Fills chunks of `job`'s rows into `tx` until the table is done or the receiver is gone (its
/// COPY failed).
fn build_chunks(mut job: TableJob, tx: &tokio::sync::mpsc::Sender<Vec<u8>>) {
    loop {
        let mut buf = Vec::with_capacity(CHUNK);
        let more = job.fill(&mut buf, CHUNK);
        if !buf.is_empty() && tx.blocking_send(buf).is_err() {
            return;
        }
        if !more {
            return;
        }
    }
}

fn sorted(mut jobs: Vec<TableJob>) -> Vec<TableJob> {
    jobs.sort_by_key(|j| std::cmp::Reverse(j.estimated_bytes));
    jobs
}

/// Adds plugin tables with personal data and waste (`generate --plugins`) to a database that
/// [`generate`] filled from the same `spec`.
pub async fn add_plugins(target: &DbUrl, spec: &GenerateSpec) -> anyhow::Result<()> {
    let server = target.to_string();
    let client = connect(target, Side::Target).await?;
    let sql = crate::generate::plugins::sql(&spec.table_prefix, &spec.site_url, spec.target_bytes);
    client
        .batch_execute(&format!("BEGIN;\n{sql};\nCOMMIT;"))
        .await
        .map_err(|e| PgError::from_driver(Side::Target, &server, "adding plugin tables", &e))?;
    Ok(())
}
