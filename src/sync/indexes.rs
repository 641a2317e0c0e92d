//! Each table's indexes and constraints: built on one target session one after another, its
//! primary key first, and checked afterwards to come first in catalog order.
//!
//! PG4WP (WordPress on PostgreSQL) reads a table's `pg_index` rows without an ORDER BY and takes
//! the first for the table's key, so the key's row must come first in physical order, as after
//! `pg_dump | psql`. A backend inserts a catalog row on the page it last inserted on, else on a
//! page the free space map offers (any page with room, earlier ones too), else on a new page:
//! statements of one table spread over several sessions land in no particular order, and even
//! one session's rows go back to an earlier page now and then when their sizes differ (an
//! expression or a partial index). So after the copy every table is checked, and the indexes
//! found before their key are dropped and built again once `VACUUM FULL pg_index` has packed
//! the catalog and emptied its free space map: with no other session writing, new rows then go
//! to its last page or beyond, after every key.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use tokio_postgres::Client;

use super::catalog::Table;
use super::schedule::{Step, TableSql};
use super::schema::Entry;
use crate::postgres::{DbUrl, PgError, Side, connect, quote_ident};

/// Post-data entries by when they run.
#[derive(Debug, Default)]
pub struct PostData {
    /// Each table's primary key, built first after its rows are in.
    pub keys: Vec<TableSql>,
    /// Each table's other indexes and constraints, after its key.
    pub per_table: Vec<TableSql>,
    /// What spans tables (foreign keys, triggers, partitioned parents): after all data.
    pub serial: Vec<Step>,
}

impl PostData {
    pub fn split(entries: &[Entry], tables: &[Table]) -> Self {
        let oids: HashMap<(String, String), i64> = tables
            .iter()
            .map(|t| ((t.schema.clone(), t.name.clone()), t.oid))
            .collect();
        let label = |e: &Entry| format!("creating {} {}", e.kind.to_lowercase(), e.table);
        let mut post = PostData::default();
        for e in entries {
            match e.on_table().and_then(|t| oids.get(&t).copied()) {
                Some(oid) if e.is_primary_key() => post.keys.push((oid, label(e), e.sql.clone())),
                Some(oid) if e.parallel_safe() => {
                    post.per_table.push((oid, label(e), e.sql.clone()));
                }
                _ => post.serial.push((label(e), e.sql.clone())),
            }
        }
        post
    }
}

/// An index one step created (oids on the target): the step builds it again after it is dropped.
#[derive(Debug, Clone)]
pub struct Built {
    pub table: i64,
    pub index: i64,
    pub step: Step,
}

/// Runs `steps` (the key first) on `dst`, one after another, on the table named `table`
/// (qualified); returns the indexes each made.
pub async fn build(
    dst: &Client,
    url: &DbUrl,
    table: &str,
    steps: &[Step],
) -> Result<Vec<Built>, PgError> {
    let table = oids(dst, url, &[table.to_owned()])
        .await?
        .first()
        .copied()
        .unwrap_or_default();
    let mut known = index_oids(dst, url, table).await?;
    let mut built = Vec::new();
    for (label, sql) in steps {
        let started = Instant::now();
        dst.batch_execute(sql)
            .await
            .map_err(|e| PgError::from_driver(Side::Target, &url.to_string(), label, &e))?;
        let now = index_oids(dst, url, table).await?;
        built.extend(now.difference(&known).map(|&index| Built {
            table,
            index,
            step: (label.clone(), sql.clone()),
        }));
        known = now;
        tracing::debug!(task = %label, seconds = started.elapsed().as_secs_f64(), "done");
    }
    Ok(built)
}

/// The target's oids of `tables` (qualified names).
async fn oids(client: &Client, url: &DbUrl, tables: &[String]) -> Result<Vec<i64>, PgError> {
    let rows = client
        .query(
            "SELECT t::regclass::oid::int8 FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n) \
             ORDER BY n",
            &[&tables],
        )
        .await
        .map_err(|e| {
            PgError::from_driver(Side::Target, &url.to_string(), "looking up tables", &e)
        })?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

async fn index_oids(dst: &Client, url: &DbUrl, table: i64) -> Result<HashSet<i64>, PgError> {
    let rows = dst
        .query(
            "SELECT indexrelid::int8 FROM pg_catalog.pg_index WHERE indrelid = $1::int8::oid",
            &[&table],
        )
        .await
        .map_err(|e| {
            PgError::from_driver(
                Side::Target,
                &url.to_string(),
                "listing a table's indexes",
                &e,
            )
        })?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Makes every table of `tables` (qualified names of those with a primary key) list its key
/// first, rebuilding what `built` made if needed. Runs when nothing else writes the catalog.
/// Returns warnings for tables whose key could not be put first.
pub async fn ensure_key_first(
    url: &DbUrl,
    session: &str,
    tables: &[String],
    built: Vec<Built>,
) -> Result<Vec<String>, PgError> {
    let server = url.to_string();
    let err = |doing: &str, e: &tokio_postgres::Error| {
        PgError::from_driver(Side::Target, &server, doing, e)
    };
    let client = connect(url, Side::Target).await?;
    client
        .batch_execute(session)
        .await
        .map_err(|e| err("preparing the session", &e))?;
    let tables = oids(&client, url, tables).await?;
    let tables = tables.as_slice();
    let mut steps: HashMap<i64, Built> = built.into_iter().map(|b| (b.index, b)).collect();
    let mut rebuilt = HashSet::new();
    for _ in 0..3 {
        let wrong = before_key(&catalog_order(&client, url, tables).await?);
        if wrong.is_empty() {
            break;
        }
        tracing::info!(
            tables = wrong.len(),
            "building again the indexes found before their table's primary key"
        );
        let mut again = Vec::new();
        for index in wrong.values().flatten() {
            if let Some(b) = steps.remove(index) {
                drop_index(&client, url, *index).await?;
                again.push(b);
            }
        }
        // Packs the catalog and empties its free space map (the database's owner may do this).
        client
            .batch_execute("VACUUM (FULL) pg_catalog.pg_index")
            .await
            .map_err(|e| err("packing pg_index", &e))?;
        for b in again {
            rebuilt.insert(b.table);
            let name = regclass(&client, url, b.table).await?;
            for made in build(&client, url, &name, std::slice::from_ref(&b.step)).await? {
                steps.insert(made.index, made);
            }
        }
    }
    // The statistics of a rebuilt expression index went with it.
    for table in &rebuilt {
        client
            .batch_execute(&format!(
                "ANALYZE {}",
                regclass(&client, url, *table).await?
            ))
            .await
            .map_err(|e| err("analyzing a table whose indexes were built again", &e))?;
    }
    let wrong = before_key(&catalog_order(&client, url, tables).await?);
    let mut warnings = Vec::new();
    for table in wrong.keys() {
        let name = regclass(&client, url, *table).await?;
        warnings.push(format!(
            "{name}: another index comes before the primary key in the catalog; PG4WP would \
             take it for the table's key (run VACUUM FULL pg_index as the database owner, then \
             drop and create that index again)"
        ));
    }
    Ok(warnings)
}

/// A relation's name as SQL (qualified: the session's search path is empty).
async fn regclass(client: &Client, url: &DbUrl, oid: i64) -> Result<String, PgError> {
    let row = client
        .query_one("SELECT $1::int8::oid::regclass::text", &[&oid])
        .await
        .map_err(|e| {
            PgError::from_driver(Side::Target, &url.to_string(), "naming a relation", &e)
        })?;
    Ok(row.get(0))
}

/// `(table, index, is primary)` of `tables`, each table's rows in physical order.
async fn catalog_order(
    client: &Client,
    url: &DbUrl,
    tables: &[i64],
) -> Result<Vec<(i64, i64, bool)>, PgError> {
    let rows = client
        .query(
            "SELECT indrelid::int8, indexrelid::int8, indisprimary FROM pg_catalog.pg_index \
             WHERE indrelid::int8 = ANY($1::int8[]) ORDER BY indrelid, ctid",
            &[&tables],
        )
        .await
        .map_err(|e| {
            PgError::from_driver(
                Side::Target,
                &url.to_string(),
                "checking that primary keys come first",
                &e,
            )
        })?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// The indexes that come before their table's primary key, by table, from rows grouped by
/// table in physical order.
fn before_key(rows: &[(i64, i64, bool)]) -> BTreeMap<i64, Vec<i64>> {
    let mut wrong = BTreeMap::new();
    let mut i = 0;
    while i < rows.len() {
        let table = rows[i].0;
        let end = rows[i..]
            .iter()
            .position(|r| r.0 != table)
            .map_or(rows.len(), |n| i + n);
        let group = &rows[i..end];
        if let Some(key) = group.iter().position(|r| r.2)
            && key > 0
        {
            wrong.insert(table, group[..key].iter().map(|r| r.1).collect());
        }
        i = end;
    }
    wrong
}

/// Drops an index, through its constraint if it has one (unique or exclusion).
async fn drop_index(client: &Client, url: &DbUrl, index: i64) -> Result<(), PgError> {
    let server = url.to_string();
    let err = |e: &tokio_postgres::Error| {
        PgError::from_driver(
            Side::Target,
            &server,
            "dropping an index to build it again",
            e,
        )
    };
    let row = client
        .query_one(
            "SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, c.conname::text \
             FROM pg_catalog.pg_index i LEFT JOIN pg_catalog.pg_constraint c \
               ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('u', 'x') \
             WHERE i.indexrelid = $1::int8::oid",
            &[&index],
        )
        .await
        .map_err(|e| err(&e))?;
    let (name, table, constraint): (String, String, Option<String>) =
        (row.get(0), row.get(1), row.get(2));
    let sql = match constraint {
        Some(c) => format!(
            "ALTER TABLE ONLY {table} DROP CONSTRAINT {}",
            quote_ident(&c)
        ),
        None => format!("DROP INDEX {name}"),
    };
    client.batch_execute(&sql).await.map_err(|e| err(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_before_the_key_are_found_per_table() {
        let rows = [
            (1, 10, true),
            (1, 11, false),
            (2, 21, false),
            (2, 22, false),
            (2, 20, true),
            (2, 23, false),
            (3, 31, false),
            (4, 41, false),
            (4, 40, true),
        ];
        let wrong = before_key(&rows);
        assert_eq!(
            wrong.into_iter().collect::<Vec<_>>(),
            [(2, vec![21, 22]), (4, vec![41])],
            "table 3 has no key, table 1 lists it first"
        );
        assert!(before_key(&[]).is_empty());
    }
}
