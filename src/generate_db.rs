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
    let existing = user_tables(&client)
        .await
        .map_err(|e| PgError::from_driver(Side::Target, &server, "inspecting the target", &e))?;
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
    let schema = plan.schema_sql().join(";\n");
    client
        .batch_execute(&format!("BEGIN;\n{schema};\nCOMMIT;"))
        .await
        .map_err(|e| {
            PgError::from_driver(Side::Target, &server, "creating the WordPress schema", &e)
        })?;
    let queue = Arc::new(Mutex::new(VecDeque::from(sorted(plan.tables()))));
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
                let Some(mut job) = next else { break };
                let doing = format!("writing {}", job.table);
                let err = |e: tokio_postgres::Error| {
                    PgError::from_driver(Side::Target, &server, &doing, &e)
                };
                let sink = client
                    .copy_in::<_, Bytes>(job.copy_statement().as_str())
                    .await
                    .map_err(err)?;
                pin_mut!(sink);
                let mut bytes = 0u64;
                loop {
                    let mut buf = Vec::with_capacity(256 * 1024);
                    let more = job.fill(&mut buf, 256 * 1024);
                    bytes += buf.len() as u64;
                    if !buf.is_empty() {
                        sink.send(Bytes::from(buf)).await.map_err(err)?;
                    }
                    if !more {
                        break;
                    }
                }
                let rows = sink.as_mut().finish().await.map_err(err)?;
                done.lock()
                    .map_err(|_| anyhow::anyhow!("results poisoned"))?
                    .push(GeneratedTable {
                        table: job.table.clone(),
                        rows,
                        copy_bytes: bytes,
                    });
            }
            anyhow::Ok(())
        });
    }
    join_all(set).await.context("writing the generated rows")?;
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
    let mut tables = done
        .lock()
        .map_err(|_| anyhow::anyhow!("results poisoned"))?
        .clone();
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
