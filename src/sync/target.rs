//! Writing the target atomically.
//!
//! An empty target is filled in place; if that fails, every object the run created is dropped
//! again. A target that already has tables is never touched until the new copy is complete and
//! verified: the copy is built in a new database beside it, and the two are swapped by renaming
//! both in one transaction. On failure the new database is dropped and the old one stays as it was.

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::report::Mode;
use crate::postgres::{
    DbUrl, PgError, PgErrorKind, Side, connect, quote_ident, quote_literal, server_major,
};

/// The target, prepared for a copy.
pub struct PreparedTarget {
    pub mode: Mode,
    /// Where the copy is written: the target itself, or the database beside it.
    pub build_url: DbUrl,
    pub target_url: DbUrl,
    pub major: u32,
    /// The target (in place) or the maintenance database (swap): creates, renames, cleans up.
    control: Client,
    /// Holds the advisory lock that keeps two runs off the same target, on a maintenance
    /// database when there is one (advisory locks do not cross databases).
    _lock: Option<Client>,
    /// In place: objects that existed before the run (kept on cleanup).
    existing: Vec<(String, i64)>,
}

/// Settings whose stored value is a list of separately quoted elements.
const LIST_SETTINGS: &[&str] = &[
    "search_path",
    "temp_tablespaces",
    "session_preload_libraries",
    "shared_preload_libraries",
    "local_preload_libraries",
];

const LOCK_SQL: &str = "SELECT pg_try_advisory_lock(hashtext('wpstage-sync:' || $1::text)::int8)";

/// Which database a connection is on, precisely enough to tell two databases apart even when
/// they are reached by different host names.
pub async fn identity(client: &Client) -> Result<String, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT pg_postmaster_start_time()::text || '/' || coalesce(inet_server_port()::text, '') \
                    || '/' || d.oid::text || '/' || d.datname \
             FROM pg_database d WHERE d.datname = current_database()",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

/// Inspects the target and prepares the place the copy will be built in. `source_identity`
/// ([`identity`] of the source) keeps a misconfigured run from overwriting production.
pub async fn prepare(target: &DbUrl, source_identity: &str) -> Result<PreparedTarget, PgError> {
    let server = target.to_string();
    let db_err = |doing: &str, e: &tokio_postgres::Error| {
        PgError::from_driver(Side::Target, &server, doing, e)
    };
    let client = connect(target, Side::Target).await?;
    let major = server_major(&client, target, Side::Target).await?;
    let target_identity = identity(&client)
        .await
        .map_err(|e| db_err("identifying the target", &e))?;
    if target_identity == source_identity {
        return Err(PgError::new(
            Side::Target,
            PgErrorKind::Other,
            format!(
                "The target database ({server}) is the source database itself: syncing would \
                 replace production with its own anonymized copy. Point the target at the \
                 staging database; nothing was changed."
            ),
        ));
    }
    // The lock lives on a maintenance database when there is one, so that an in-place run and
    // a swapping run into the same target also exclude each other.
    let lock_client = match connect_maintenance(target).await {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::debug!(error = %e, "no maintenance database; locking on the target");
            None
        }
    };
    lock(
        lock_client.as_ref().unwrap_or(&client),
        target.dbname(),
        &server,
    )
    .await?;
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname !~ '^pg_(toast|temp)' \
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                               AND d.objid = c.oid AND d.deptype = 'e')",
            &[],
        )
        .await
        .map_err(|e| db_err("inspecting the target", &e))?;
    let relations: i64 = row.get(0);
    if relations == 0 {
        let existing = existing_objects(&client)
            .await
            .map_err(|e| db_err("recording existing objects", &e))?;
        return Ok(PreparedTarget {
            mode: Mode::InPlace,
            build_url: target.clone(),
            target_url: target.clone(),
            major,
            control: client,
            _lock: lock_client,
            existing,
        });
    }
    drop(client);
    let control = connect_maintenance(target).await?;
    let next = side_name(target.dbname(), "next");
    drop_database(&control, &next, major, &server).await?;
    let row = control
        .query_one(
            "SELECT pg_encoding_to_char(encoding), datcollate::text, datctype::text \
             FROM pg_database WHERE datname = $1",
            &[&target.dbname()],
        )
        .await
        .map_err(|e| db_err("reading the target's encoding", &e))?;
    let (encoding, collate, ctype): (String, String, String) = (row.get(0), row.get(1), row.get(2));
    let create = format!(
        "CREATE DATABASE {} TEMPLATE template0 ENCODING '{}' LC_COLLATE '{}' LC_CTYPE '{}'",
        quote_ident(&next),
        encoding.replace('\'', "''"),
        collate.replace('\'', "''"),
        ctype.replace('\'', "''")
    );
    control.batch_execute(&create).await.map_err(|e| {
        let mut err = db_err("creating the database the new copy is built in", &e);
        if err.kind == PgErrorKind::PermissionDenied {
            err = PgError::new(
                Side::Target,
                PgErrorKind::PermissionDenied,
                format!(
                    "The target database ({server}) already has tables, so wpstage builds the \
                     new copy in a database beside it and swaps the two when the copy is complete \
                     — but the target role may not CREATE DATABASE. Grant it CREATEDB (ALTER ROLE \
                     … CREATEDB), use the database owner's URL, or empty the target first. \
                     Nothing was changed."
                ),
            );
        }
        err
    })?;
    Ok(PreparedTarget {
        mode: Mode::Swapped,
        build_url: target.with_dbname(&next),
        target_url: target.clone(),
        major,
        control,
        _lock: lock_client,
        existing: Vec::new(),
    })
}

impl PreparedTarget {
    /// Makes the finished copy the target. All connections to the build database must be closed.
    pub async fn commit(self) -> Result<(), PgError> {
        if self.mode != Mode::Swapped {
            return Ok(());
        }
        let server = self.target_url.to_string();
        let target = self.target_url.dbname().to_owned();
        let next = self.build_url.dbname().to_owned();
        let old = side_name(&target, "old");
        drop_database(&self.control, &old, self.major, &server).await?;
        let carried = database_properties(&self.control, &target)
            .await
            .map_err(|e| {
                PgError::from_driver(Side::Target, &server, "reading the target's settings", &e)
            })?;
        // The new database takes over the old one's comment and settings in the same
        // transaction as the renames, so that whoever looks at the target sees no difference.
        let swap = format!(
            "BEGIN; ALTER DATABASE {t} RENAME TO {o}; ALTER DATABASE {n} RENAME TO {t}; {carried} COMMIT;",
            t = quote_ident(&target),
            o = quote_ident(&old),
            n = quote_ident(&next)
        );
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Sessions on the old target (the WordPress app, a psql) would block the rename.
            terminate_sessions(&self.control, &target).await;
            match self.control.batch_execute(&swap).await {
                Ok(()) => break,
                Err(e) if e.code() == Some(&SqlState::OBJECT_IN_USE) && attempt < 5 => {
                    if let Err(e) = self.control.batch_execute("ROLLBACK").await {
                        tracing::debug!(error = %e, "rollback after a busy rename");
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
                }
                Err(e) => {
                    if let Err(e) = self.control.batch_execute("ROLLBACK").await {
                        tracing::debug!(error = %e, "rollback after a failed rename");
                    }
                    let doing = if e.code() == Some(&SqlState::OBJECT_IN_USE) {
                        "swapping the new copy in (other sessions kept using the target; \
                         wpstage needs the right to end them: superuser or pg_signal_backend)"
                    } else {
                        "swapping the new copy in (renaming needs the role to own the target \
                         database or be superuser)"
                    };
                    let err = PgError::from_driver(Side::Target, &server, doing, &e);
                    // The target is untouched; the finished copy beside it must not stay.
                    if let Err(drop_err) =
                        drop_database(&self.control, &next, self.major, &server).await
                    {
                        tracing::warn!("the unused copy {next:?} could not be dropped: {drop_err}");
                    }
                    return Err(err);
                }
            }
        }
        // The swap is done; failing to drop the old copy only leaves it behind, so say so.
        if let Err(e) = drop_database(&self.control, &old, self.major, &server).await {
            tracing::warn!("the previous target was kept as database {old:?}: {e}");
        }
        Ok(())
    }

    /// Removes everything this run created; the target is left as it was.
    pub async fn abort(self) -> Result<(), PgError> {
        let server = self.target_url.to_string();
        match self.mode {
            Mode::Swapped => {
                drop_database(&self.control, self.build_url.dbname(), self.major, &server).await
            }
            Mode::InPlace => drop_created_objects(&self.control, &self.existing)
                .await
                .map_err(|e| {
                    PgError::from_driver(Side::Target, &server, "removing the partial copy", &e)
                }),
            Mode::DryRun => Ok(()),
        }
    }
}

/// SQL that gives the renamed new database the target's comment and `ALTER DATABASE … SET`
/// settings.
async fn database_properties(client: &Client, db: &str) -> Result<String, tokio_postgres::Error> {
    let mut sql = String::new();
    let row = client
        .query_one(
            "SELECT shobj_description(d.oid, 'pg_database'), \
                    (SELECT setconfig FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0) \
             FROM pg_database d WHERE d.datname = $1",
            &[&db],
        )
        .await?;
    if let Some(comment) = row.get::<_, Option<String>>(0) {
        sql.push_str(&format!(
            "COMMENT ON DATABASE {} IS {};",
            quote_ident(db),
            quote_literal(&comment)
        ));
    }
    for setting in row.get::<_, Option<Vec<String>>>(1).unwrap_or_default() {
        if let Some((name, value)) = setting.split_once('=') {
            // List settings are stored already quoted element by element (like pg_dump, emit
            // them as they are); every other value is one literal.
            let value = if LIST_SETTINGS.contains(&name.to_ascii_lowercase().as_str()) {
                value.to_owned()
            } else {
                quote_literal(value)
            };
            sql.push_str(&format!(
                "ALTER DATABASE {} SET {} = {value};",
                quote_ident(db),
                quote_ident(name),
            ));
        }
    }
    Ok(sql)
}

/// `<db>__wpstage_<what>`, cut to PostgreSQL's 63-byte identifier limit.
pub fn side_name(db: &str, what: &str) -> String {
    let suffix = format!("__wpstage_{what}");
    let mut base: String = db.to_owned();
    while base.len() + suffix.len() > 63 {
        base.pop();
    }
    format!("{base}{suffix}")
}

async fn lock(client: &Client, db: &str, server: &str) -> Result<(), PgError> {
    let row = client
        .query_one(LOCK_SQL, &[&db])
        .await
        .map_err(|e| PgError::from_driver(Side::Target, server, "taking the sync lock", &e))?;
    if row.get::<_, bool>(0) {
        Ok(())
    } else {
        Err(PgError::new(
            Side::Target,
            PgErrorKind::Other,
            format!(
                "Another wpstage sync into the target database ({server}) is running. Wait for it \
                 to finish, then rerun; nothing was changed."
            ),
        ))
    }
}

/// A connection to a database other than the target, to create, rename and drop databases.
async fn connect_maintenance(target: &DbUrl) -> Result<Client, PgError> {
    let mut last = None;
    for db in ["postgres", "template1"] {
        if db == target.dbname() {
            continue;
        }
        match connect(&target.with_dbname(db), Side::Target).await {
            Ok(c) => return Ok(c),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        PgError::new(
            Side::Target,
            PgErrorKind::Other,
            "no maintenance database to connect to",
        )
    }))
}

async fn terminate_sessions(client: &Client, db: &str) {
    let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
               WHERE datname = $1 AND pid <> pg_backend_pid()";
    if let Err(e) = client.query(sql, &[&db]).await {
        tracing::debug!(error = %e, "could not end sessions on {db}");
    }
}

async fn drop_database(client: &Client, db: &str, major: u32, server: &str) -> Result<(), PgError> {
    terminate_sessions(client, db).await;
    let force = if major >= 13 { " WITH (FORCE)" } else { "" };
    client
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {}{force}",
            quote_ident(db)
        ))
        .await
        .map_err(|e| {
            PgError::from_driver(Side::Target, server, &format!("dropping database {db}"), &e)
        })
}

async fn existing_objects(client: &Client) -> Result<Vec<(String, i64)>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT 'n', oid::int8 FROM pg_namespace UNION ALL \
             SELECT 'e', oid::int8 FROM pg_extension UNION ALL \
             SELECT 't', oid::int8 FROM pg_type UNION ALL \
             SELECT 'p', oid::int8 FROM pg_proc",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
        .collect())
}

async fn drop_created_objects(
    client: &Client,
    existing: &[(String, i64)],
) -> Result<(), tokio_postgres::Error> {
    let ids = |k: &str| -> Vec<i64> {
        existing
            .iter()
            .filter(|(kind, _)| kind == k)
            .map(|(_, o)| *o)
            .collect()
    };
    let user_ns = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
                   AND n.nspname !~ '^pg_(toast|temp)'";
    let mut drops: Vec<String> = Vec::new();
    for r in client
        .query(
            "SELECT quote_ident(extname) FROM pg_extension WHERE oid::int8 <> ALL($1)",
            &[&ids("e")],
        )
        .await?
    {
        drops.push(format!(
            "DROP EXTENSION IF EXISTS {} CASCADE",
            r.get::<_, String>(0)
        ));
    }
    for r in client
        .query(
            &format!("SELECT quote_ident(n.nspname) FROM pg_namespace n WHERE n.oid::int8 <> ALL($1) AND {user_ns}"),
            &[&ids("n")],
        )
        .await?
    {
        drops.push(format!("DROP SCHEMA IF EXISTS {} CASCADE", r.get::<_, String>(0)));
    }
    let relations = format!(
        "SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' \
                WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, \
                quote_ident(n.nspname) || '.' || quote_ident(c.relname) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {user_ns} AND NOT c.relispartition \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                           AND d.objid = c.oid AND d.deptype = 'e')"
    );
    for r in client.query(&relations, &[]).await? {
        drops.push(format!(
            "DROP {} IF EXISTS {} CASCADE",
            r.get::<_, String>(0),
            r.get::<_, String>(1)
        ));
    }
    let routines = format!(
        "SELECT CASE p.prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, \
                p.oid::regprocedure::text \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE p.oid::int8 <> ALL($1) AND {user_ns}"
    );
    for r in client.query(&routines, &[&ids("p")]).await? {
        drops.push(format!(
            "DROP {} IF EXISTS {} CASCADE",
            r.get::<_, String>(0),
            r.get::<_, String>(1)
        ));
    }
    let types = format!(
        "SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype::text \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE t.oid::int8 <> ALL($1) AND {user_ns} AND t.typtype IN ('e', 'd', 'r', 'm', 'c') \
           AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')"
    );
    for r in client.query(&types, &[&ids("t")]).await? {
        drops.push(format!(
            "DROP {} IF EXISTS {} CASCADE",
            r.get::<_, String>(0),
            r.get::<_, String>(1)
        ));
    }
    for sql in drops {
        // One object may already be gone through an earlier CASCADE; IF EXISTS covers it.
        client.batch_execute(&sql).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_names_fit_postgres_identifiers() {
        assert_eq!(side_name("wordpress", "next"), "wordpress__wpstage_next");
        let long = "x".repeat(70);
        assert_eq!(side_name(&long, "next").len(), 63);
    }
}
