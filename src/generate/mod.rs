//! Pure generator of a synthetic production WordPress + WooCommerce
//! database (PG4WP schema) for tests, demos and calibration.
//!
//! No I/O: [`Plan`] yields SQL text, and each [`TableJob`] streams rows in
//! PostgreSQL COPY text format. Output is a pure function of
//! [`GenerateSpec`]; the PRNG is in-module so it never changes with a
//! dependency upgrade.
//!
//! Load order for the glue: `schema_sql` → every table job through
//! `COPY <table> (<columns>) FROM STDIN` (in parallel) → `index_sql` (may run
//! in parallel; primary keys are in here, see `schema`) → `finish_sql` →
//! ANALYZE.

mod copy;
pub mod plugins;
mod rng;
mod schema;
mod schema_woo;
mod serialize;
mod site;
mod tables;
mod text;
mod world;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_php;

use std::sync::Arc;
use world::{Counts, Site, World};

/// Smallest accepted target (decimal 10 MB: an empty PG 15 database is ~7.5 MB).
pub const MIN_TARGET_BYTES: u64 = 10_000_000;
/// Largest accepted target (5 GiB).
pub const MAX_TARGET_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateSpec {
    /// Wanted `pg_database_size` after load and indexing (±10%).
    pub target_bytes: u64,
    /// Production site URL, `http(s)://host[:port][/path]`; a trailing slash is ignored.
    pub site_url: String,
    pub seed: u64,
    /// WordPress table prefix, e.g. `wp_`.
    pub table_prefix: String,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(
        "target size {bytes} bytes is out of range: choose between {min} (10 MB) and {max} (5 GiB)",
        min = MIN_TARGET_BYTES,
        max = MAX_TARGET_BYTES
    )]
    SizeOutOfRange { bytes: u64 },
    #[error("site URL {url:?} is not usable: {why}")]
    BadSiteUrl { url: String, why: String },
    #[error(
        "table prefix {prefix:?} is not usable: use 1-20 lower-case letters, digits or '_', starting with a letter (e.g. \"wp_\")"
    )]
    BadPrefix { prefix: String },
}

/// Calibrated against PostgreSQL 15 (`pg_database_size` after load,
/// indexes and ANALYZE): fixed bytes of an empty-ish site, and bytes per
/// article unit (article + its share of revisions, images, meta, users,
/// comments, orders...).
/// Measured: N=5 → 10.70 MB, 2 000 → 31.4 MB, 6 478 → 78.2 MB (linear above ~100).
const FIXED_BYTES: u64 = 10_610_000;
const BYTES_PER_ARTICLE: u64 = 10_400;

/// A validated generation plan.
#[derive(Debug, Clone)]
pub struct Plan {
    world: Arc<World>,
}

impl Plan {
    pub fn new(spec: &GenerateSpec) -> Result<Plan, GenerateError> {
        if !(MIN_TARGET_BYTES..=MAX_TARGET_BYTES).contains(&spec.target_bytes) {
            return Err(GenerateError::SizeOutOfRange {
                bytes: spec.target_bytes,
            });
        }
        let p = &spec.table_prefix;
        let prefix_ok = !p.is_empty()
            && p.len() <= 20
            && p.starts_with(|c: char| c.is_ascii_lowercase())
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !prefix_ok {
            return Err(GenerateError::BadPrefix { prefix: p.clone() });
        }
        let site = Site::parse(&spec.site_url)?;
        let articles = spec.target_bytes.saturating_sub(FIXED_BYTES) / BYTES_PER_ARTICLE;
        let counts = Counts::for_articles(articles);
        Ok(Plan {
            world: Arc::new(World::new(spec.seed, p.clone(), site, counts)),
        })
    }

    fn defs() -> Vec<&'static schema::TableDef> {
        tables::registry().into_iter().map(|g| g.def).collect()
    }

    /// `CREATE TABLE` statements, one per table, without any index or
    /// primary key (both are in [`Plan::index_sql`]).
    pub fn schema_sql(&self) -> Vec<String> {
        Self::defs()
            .into_iter()
            .map(|d| {
                let cols: Vec<String> = d
                    .columns
                    .iter()
                    .map(|(c, t)| format!("    {c} {t}"))
                    .collect();
                format!(
                    "CREATE TABLE {} (\n{}\n)",
                    self.world.t(d.name),
                    cols.join(",\n")
                )
            })
            .collect()
    }

    /// Primary keys (`ALTER TABLE … ADD CONSTRAINT …_pkey PRIMARY KEY`) and
    /// WordPress/WooCommerce indexes, named `<table>_<key>` like PG4WP.
    /// Each statement touches one table and is self-contained, so they can
    /// run concurrently (statements on the same table just queue on its lock).
    pub fn index_sql(&self) -> Vec<String> {
        let mut out = Vec::new();
        for d in Self::defs() {
            let t = self.world.t(d.name);
            out.push(format!(
                "ALTER TABLE {t} ADD CONSTRAINT {} PRIMARY KEY ({})",
                ident(&t, "pkey"),
                d.pk
            ));
            for ix in d.indexes {
                let unique = if ix.unique { "UNIQUE " } else { "" };
                out.push(format!(
                    "CREATE {unique}INDEX IF NOT EXISTS {} ON {t} ({})",
                    ident(&t, ix.key),
                    ix.cols
                ));
            }
        }
        out
    }

    /// Sequence fix-ups to run after loading: every serial sequence is set
    /// so the next value is `max(id) + 1`.
    pub fn finish_sql(&self) -> Vec<String> {
        Self::defs()
            .into_iter()
            .filter_map(|d| {
                let col = d.serial?;
                let t = self.world.t(d.name);
                // pg_get_serial_sequence takes the column name literally (case kept);
                // the MAX() needs it quoted when it is mixed case.
                let quoted = if col.bytes().any(|b| b.is_ascii_uppercase()) || col == "timestamp" { format!("\"{col}\"") } else { col.to_string() };
                Some(format!(
                    "SELECT setval(pg_get_serial_sequence('{t}', '{col}'), COALESCE((SELECT MAX({quoted}) FROM {t}), 0) + 1, false)"
                ))
            })
            .collect()
    }

    /// One streaming job per table, biggest first.
    pub fn tables(&self) -> Vec<TableJob> {
        let mut jobs: Vec<TableJob> = tables::registry()
            .into_iter()
            .map(|g| {
                let count = (g.entities)(&self.world);
                TableJob {
                    table: self.world.t(g.def.name),
                    columns: g
                        .def
                        .columns
                        .iter()
                        .map(|(c, _)| *c)
                        .collect::<Vec<_>>()
                        .join(", "),
                    estimated_bytes: count.saturating_mul(g.bytes_per_entity),
                    world: Arc::clone(&self.world),
                    emit: g.emit,
                    next: 0,
                    count,
                    next_id: 0,
                }
            })
            .collect();
        jobs.sort_by_key(|j| std::cmp::Reverse(j.estimated_bytes));
        jobs
    }

    /// Sum of the tables' COPY size estimates (not the on-disk size).
    pub fn estimated_copy_bytes(&self) -> u64 {
        self.tables().iter().map(|j| j.estimated_bytes).sum()
    }

    /// The site URL as stored in `home`/`siteurl` (no trailing slash).
    pub fn site_base(&self) -> &str {
        &self.world.site.base
    }
}

/// PG4WP index name `<table>_<key>`, folded to lower case like an unquoted
/// identifier; names over PostgreSQL's 63-byte limit get a hash suffix
/// instead of silent truncation (which could make two names collide).
fn ident(table: &str, key: &str) -> String {
    let name = format!("{table}_{}", key.to_ascii_lowercase());
    if name.len() <= 63 {
        return name;
    }
    let h = rng::label_hash(&name);
    format!("{}_{:08x}", &name[..54], h as u32)
}

/// Streams one table's rows as COPY text. `Send + 'static`: move it into a task.
pub struct TableJob {
    /// Prefixed table name, e.g. `wp_posts`.
    pub table: String,
    /// Column list for COPY, quoted where PG4WP quoted them: `"ID", post_author, …`.
    pub columns: String,
    /// Rough size of this table's COPY text, for scheduling.
    pub estimated_bytes: u64,
    world: Arc<World>,
    emit: tables::Emit,
    next: u64,
    count: u64,
    next_id: u64,
}

impl std::fmt::Debug for TableJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableJob")
            .field("table", &self.table)
            .field("estimated_bytes", &self.estimated_bytes)
            .field("progress", &format_args!("{}/{}", self.next, self.count))
            .finish()
    }
}

impl TableJob {
    /// `COPY <table> (<columns>) FROM STDIN` for this job.
    pub fn copy_statement(&self) -> String {
        format!("COPY {} ({}) FROM STDIN", self.table, self.columns)
    }

    /// Appends whole COPY text rows to `buf` until `buf.len() >= max_bytes`
    /// or the table is done. Returns `true` if this call appended anything
    /// or more rows remain; `false` only when the table is complete AND this
    /// call appended nothing. So both `while job.fill(..) { send(buf) }` and
    /// "send then check" loops see every byte. Rows are never split.
    pub fn fill(&mut self, buf: &mut Vec<u8>, max_bytes: usize) -> bool {
        let start = buf.len();
        while self.next < self.count && buf.len() < max_bytes {
            (self.emit)(&self.world, self.next, &mut self.next_id, buf);
            self.next += 1;
        }
        buf.len() > start || self.next < self.count
    }
}
