//! What to copy, read inside the exported snapshot: tables with their columns, sizes and a key
//! to split them by, and sequence values.

use tokio_postgres::Client;

use crate::postgres::{PgError, Side, quote_ident};

/// A column as COPY sees it (generated columns are not copied and not listed).
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub type_name: String,
    /// `n` of `varchar(n)` / `char(n)`.
    pub max_chars: Option<u32>,
}

/// A table whose rows are copied.
#[derive(Debug, Clone)]
pub struct Table {
    pub oid: i64,
    pub schema: String,
    pub name: String,
    /// Heap plus TOAST bytes on the source: the copy's cost estimate.
    pub bytes: u64,
    pub pages: u64,
    pub columns: Vec<Column>,
    /// Indexes into `columns` of the primary key, if any.
    pub primary_key: Vec<usize>,
    /// A single integer column with a unique index, to split the table into id ranges.
    pub split_key: Option<String>,
}

impl Table {
    pub fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| quote_ident(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn display_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

/// A sequence and its state, carried exactly: `nextval` on the copy returns what it would
/// have returned on the source.
#[derive(Debug, Clone)]
pub struct Sequence {
    pub schema: String,
    pub name: String,
    pub last_value: i64,
    /// `false`: the next `nextval` returns `last_value` itself (a fresh or reset sequence).
    pub is_called: bool,
}

const USER_RELATIONS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname !~ '^pg_(toast|temp)' \
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                     AND d.objid = c.oid AND d.deptype = 'e')";

/// Reads every user table of the source. `client` must be inside the snapshot transaction.
pub async fn tables(client: &Client, server: &str, major: u32) -> Result<Vec<Table>, PgError> {
    let err = |e: tokio_postgres::Error| {
        PgError::from_driver(Side::Source, server, "reading the table catalog", &e)
    };
    let sql = format!(
        "SELECT c.oid::int8, n.nspname::text, c.relname::text, \
                (pg_relation_size(c.oid) + COALESCE(pg_relation_size(NULLIF(c.reltoastrelid, 0)), 0))::int8, \
                (pg_relation_size(c.oid) / current_setting('block_size')::int8)::int8 \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind = 'r' AND {USER_RELATIONS} \
         ORDER BY 4 DESC, 2, 3"
    );
    let rows = client.query(&sql, &[]).await.map_err(err)?;
    let mut tables: Vec<Table> = rows
        .iter()
        .map(|r| Table {
            oid: r.get(0),
            schema: r.get(1),
            name: r.get(2),
            bytes: u64::try_from(r.get::<_, i64>(3)).unwrap_or(0),
            pages: u64::try_from(r.get::<_, i64>(4)).unwrap_or(0),
            columns: Vec::new(),
            primary_key: Vec::new(),
            split_key: None,
        })
        .collect();
    let oids: Vec<i64> = tables.iter().map(|t| t.oid).collect();
    let generated = if major >= 12 {
        "AND a.attgenerated = ''"
    } else {
        ""
    };
    let sql = format!(
        "SELECT a.attrelid::int8, a.attname::text, format_type(a.atttypid, a.atttypmod), \
                CASE WHEN a.atttypid IN (1042, 1043) AND a.atttypmod > 4 THEN a.atttypmod - 4 END, \
                a.attnum::int4 \
         FROM pg_attribute a \
         WHERE a.attrelid = ANY($1::int8[]::oid[]) AND a.attnum > 0 AND NOT a.attisdropped {generated} \
         ORDER BY a.attrelid, a.attnum"
    );
    let rows = client.query(&sql, &[&oids]).await.map_err(err)?;
    let mut attnums: std::collections::HashMap<i64, Vec<i32>> = std::collections::HashMap::new();
    for r in &rows {
        let oid: i64 = r.get(0);
        if let Some(t) = tables.iter_mut().find(|t| t.oid == oid) {
            t.columns.push(Column {
                name: r.get(1),
                type_name: r.get(2),
                max_chars: r
                    .get::<_, Option<i32>>(3)
                    .and_then(|n| u32::try_from(n).ok()),
            });
            attnums.entry(oid).or_default().push(r.get(4));
        }
    }
    let rows = client
        .query(
            "SELECT i.indrelid::int8, i.indkey::int2[], i.indisprimary, \
                    (SELECT a.atttypid IN (20, 21, 23) AND a.attnotnull FROM pg_attribute a \
                      WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[0]) \
             FROM pg_index i \
             WHERE i.indrelid = ANY($1::int8[]::oid[]) AND i.indisunique AND i.indpred IS NULL \
               AND i.indisvalid \
             ORDER BY i.indisprimary DESC",
            &[&oids],
        )
        .await
        .map_err(err)?;
    for r in &rows {
        let oid: i64 = r.get(0);
        let keys: Vec<i16> = r.get(1);
        let primary: bool = r.get(2);
        let integer: Option<bool> = r.get(3);
        let Some(t) = tables.iter_mut().find(|t| t.oid == oid) else {
            continue;
        };
        let Some(nums) = attnums.get(&oid) else {
            continue;
        };
        let positions: Vec<usize> = keys
            .iter()
            .filter_map(|k| nums.iter().position(|n| *n == i32::from(*k)))
            .collect();
        if primary && positions.len() == keys.len() {
            t.primary_key = positions.clone();
        }
        if t.split_key.is_none()
            && keys.len() == 1
            && integer == Some(true)
            && let Some(&pos) = positions.first()
        {
            t.split_key = Some(t.columns[pos].name.clone());
        }
    }
    // A table whose columns are all generated has nothing to copy.
    tables.retain(|t| !t.columns.is_empty());
    Ok(tables)
}

/// Reads every user sequence's value. Sequences are not transactional: like pg_dump we read the
/// current value, which is at least the snapshot's, so new ids never collide with copied ones.
pub async fn sequences(client: &Client, server: &str) -> Result<Vec<Sequence>, PgError> {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind = 'S' AND {USER_RELATIONS} ORDER BY 1, 2"
    );
    let rows = client
        .query(&sql, &[])
        .await
        .map_err(|e| PgError::from_driver(Side::Source, server, "listing sequences", &e))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let schema: String = r.get(0);
        let name: String = r.get(1);
        let q = format!(
            "SELECT last_value::int8, is_called FROM {}.{}",
            quote_ident(&schema),
            quote_ident(&name)
        );
        let row = client.query_one(&q, &[]).await.map_err(|e| {
            PgError::from_driver(
                Side::Source,
                server,
                &format!("reading sequence {schema}.{name}"),
                &e,
            )
        })?;
        out.push(Sequence {
            schema,
            name,
            last_value: row.get(0),
            is_called: row.get(1),
        });
    }
    Ok(out)
}

/// `min` and `max` of an integer key inside the snapshot.
pub async fn key_range(
    client: &Client,
    server: &str,
    table: &Table,
    key: &str,
) -> Result<Option<(i64, i64)>, PgError> {
    let q = format!(
        "SELECT min({k})::int8, max({k})::int8 FROM {t}",
        k = quote_ident(key),
        t = table.qualified()
    );
    let row = client.query_one(&q, &[]).await.map_err(|e| {
        PgError::from_driver(
            Side::Source,
            server,
            &format!("ranging {}", table.display_name()),
            &e,
        )
    })?;
    Ok(
        match (row.get::<_, Option<i64>>(0), row.get::<_, Option<i64>>(1)) {
            (Some(lo), Some(hi)) => Some((lo, hi)),
            _ => None,
        },
    )
}
