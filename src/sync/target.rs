//! Writing the target atomically.
//!
//! The copy is always built in a new database beside the target, and the two are swapped by
//! renaming both in one transaction once the copy is complete and verified. Whatever interrupts a
//! run (an error, kill -9, a lost connection, a server restart), the target is either as it was
//! or the complete new copy; what an interrupted run leaves is one helper database beside it,
//! which the next run (or `wpstage reap`) removes.

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::helpers::{
    TARGET_LOCK_KEY as LOCK_KEY, connect_maintenance, drop_database, lock_helpers, side_name,
    terminate_sessions, try_lock,
};
use super::identity::SourceIdentity;
use super::report::Mode;
use crate::postgres::{
    DbUrl, PgError, PgErrorKind, Side, connect, quote_ident, quote_literal, server_major,
};

/// The target, prepared for a copy.
pub struct PreparedTarget {
    /// `InPlace` when the target was empty (it is filled), `Swapped` when it had tables.
    pub mode: Mode,
    /// The database beside the target the copy is written to.
    pub build_url: DbUrl,
    pub target_url: DbUrl,
    pub major: u32,
    /// A session on a maintenance database: creates, renames and drops, and holds the advisory
    /// lock that keeps two runs off the same target.
    control: Client,
}

/// Settings whose stored value is a list of separately quoted elements.
const LIST_SETTINGS: &[&str] = &[
    "search_path",
    "temp_tablespaces",
    "session_preload_libraries",
    "shared_preload_libraries",
    "local_preload_libraries",
];

/// User tables (`schema.name`) and other user relations of the target.
struct Contents {
    tables: Vec<String>,
    relations: i64,
}

/// Inspects the target and creates the database the copy will be built in. Refuses a target that
/// is the source (`source`), and an empty source into a non-empty target unless
/// `allow_empty_source`.
pub async fn prepare(
    target: &DbUrl,
    source: &SourceIdentity,
    source_tables: &[String],
    allow_empty_source: bool,
) -> Result<PreparedTarget, PgError> {
    let server = target.to_string();
    let db_err = |doing: &str, e: &tokio_postgres::Error| {
        PgError::from_driver(Side::Target, &server, doing, e)
    };
    let control = connect_maintenance(target).await?;
    let major = server_major(&control, target, Side::Target).await?;
    let next = side_name(target.dbname(), "next");
    let old = side_name(target.dbname(), "old");
    source
        .ensure_not_source(&control, &server, &[target.dbname(), &next, &old])
        .await?;
    lock(&control, target.dbname(), &server).await?;
    // Held until the run ends, like the target's lock: `reap` never drops a helper in use.
    lock_helpers(&control, &[&next, &old], &server).await?;
    let contents = contents(target).await?;
    if !allow_empty_source
        && let Some(why) =
            super::guard::empty_source(source_tables, &contents.tables, contents.relations)
    {
        return Err(PgError::new(
            Side::Source,
            PgErrorKind::Other,
            format!(
                "The source database ({}) {why}, but the target database ({server}) is not empty: \
                 syncing would replace staging with an empty copy. Check that the source URL \
                 names the WordPress database, or pass --allow-empty-source to do it anyway. \
                 Nothing was changed.",
                source.server()
            ),
        ));
    }
    // What an interrupted earlier run left beside the target.
    drop_database(&control, &next, major, &server).await?;
    let row = control
        .query_one(
            "SELECT pg_encoding_to_char(d.encoding), d.datcollate::text, d.datctype::text, \
                    t.spcname::text \
             FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace \
             WHERE d.datname = $1",
            &[&target.dbname()],
        )
        .await
        .map_err(|e| db_err("reading the target's encoding", &e))?;
    let (encoding, collate, ctype, space): (String, String, String, String) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    // Same encoding, locale and tablespace (the volume the target lives on) as the target. The
    // files are copied (as before PostgreSQL 15), not written through shared buffers: on a disk
    // that fills up during the copy, unwritable catalog pages would make every checkpoint, and
    // so the DROP DATABASE that removes the unfinished copy, fail.
    let strategy = if major >= 15 {
        " STRATEGY FILE_COPY"
    } else {
        ""
    };
    let create = format!(
        "CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {} \
         TABLESPACE {}{strategy}",
        quote_ident(&next),
        quote_literal(&encoding),
        quote_literal(&collate),
        quote_literal(&ctype),
        quote_ident(&space)
    );
    control.batch_execute(&create).await.map_err(|e| {
        let mut err = db_err("creating the database the new copy is built in", &e);
        if err.kind == PgErrorKind::PermissionDenied {
            err = PgError::new(
                Side::Target,
                PgErrorKind::PermissionDenied,
                format!(
                    "The target database ({server}): permission was denied to create the \
                     database the new copy is built in (wpstage builds it beside the target and \
                     swaps the two when it is complete). Grant the role CREATEDB (ALTER ROLE … \
                     CREATEDB) or use the database owner's URL. Nothing was changed; the target \
                     was left as it was."
                ),
            );
        }
        err
    })?;
    Ok(PreparedTarget {
        mode: if contents.relations == 0 {
            Mode::InPlace
        } else {
            Mode::Swapped
        },
        build_url: target.with_dbname(&next),
        target_url: target.clone(),
        major,
        control,
    })
}

async fn contents(target: &DbUrl) -> Result<Contents, PgError> {
    let client = connect(target, Side::Target).await?;
    let rows = client
        .query(
            "SELECT c.relkind IN ('r', 'p'), n.nspname::text || '.' || c.relname::text \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname !~ '^pg_(toast|temp)' \
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                               AND d.objid = c.oid AND d.deptype = 'e')",
            &[],
        )
        .await
        .map_err(|e| {
            PgError::from_driver(
                Side::Target,
                &target.to_string(),
                "inspecting the target",
                &e,
            )
        })?;
    Ok(Contents {
        tables: rows
            .iter()
            .filter(|r| r.get::<_, bool>(0))
            .map(|r| r.get(1))
            .collect(),
        relations: i64::try_from(rows.len()).unwrap_or(i64::MAX),
    })
}

impl PreparedTarget {
    /// Makes the finished copy the target. All connections to the build database must be closed.
    /// Right before renaming or dropping anything it checks again that this run still holds the
    /// lock and that no database involved is the source.
    pub async fn commit(self, source: &SourceIdentity) -> Result<(), PgError> {
        let server = self.target_url.to_string();
        let target = self.target_url.dbname().to_owned();
        let next = self.build_url.dbname().to_owned();
        let old = side_name(&target, "old");
        if let Err(e) = self.still_locked().await {
            return Err(self.abandon(e).await);
        }
        if let Err(e) = source
            .ensure_not_source(&self.control, &server, &[&target, &next, &old])
            .await
        {
            return Err(self.abandon(e).await);
        }
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
                    return Err(self.abandon(err).await);
                }
            }
        }
        // The swap is done; failing to drop the old copy only leaves it behind, so say so.
        if let Err(e) = drop_database(&self.control, &old, self.major, &server).await {
            tracing::warn!(
                "the previous target was kept as database {old:?} on {server} (the next run or \
                 `wpstage reap` removes it): {e}"
            );
        }
        Ok(())
    }

    /// Removes the unfinished copy; the target is left as it was. The error names what is left
    /// when the copy could not be removed.
    pub async fn abort(self) -> Result<(), PgError> {
        let server = self.target_url.to_string();
        let next = self.build_url.dbname();
        let left = |e: PgError| {
            PgError::new(
                Side::Target,
                e.kind.clone(),
                format!(
                    "The unfinished copy is left in database {next:?} on {server} ({e}); the \
                     target itself is as it was. The next sync into this target or `wpstage \
                     reap` removes it, or DROP DATABASE it by hand."
                ),
            )
        };
        // Without the lock, another run may be building under the same name: drop only after
        // taking the lock again.
        let relocked: Client;
        let control = if self.still_locked().await.is_ok() {
            &self.control
        } else {
            relocked = connect_maintenance(&self.target_url).await.map_err(left)?;
            if lock(&relocked, self.target_url.dbname(), &server)
                .await
                .is_err()
            {
                return Err(PgError::new(
                    Side::Target,
                    PgErrorKind::Other,
                    format!(
                        "Another wpstage run now holds the target ({server}); it removes this \
                         run's unfinished copy {next:?} before building its own. The target \
                         itself is as it was."
                    ),
                ));
            }
            &relocked
        };
        drop_database(control, next, self.major, &server)
            .await
            .map_err(left)
    }

    /// Gives up before the swap: drops the unfinished copy and returns `err` (extended with what
    /// is left when the copy could not be dropped).
    async fn abandon(self, err: PgError) -> PgError {
        match self.abort().await {
            Ok(()) => err,
            Err(left) => PgError::new(err.side, err.kind.clone(), format!("{err} {left}")),
        }
    }

    /// Fails unless the control session is alive and still holds the sync lock.
    async fn still_locked(&self) -> Result<(), PgError> {
        let server = self.target_url.to_string();
        let lost = |detail: String| {
            PgError::new(
                Side::Target,
                PgErrorKind::ConnectionLost,
                format!(
                    "wpstage lost the session holding its lock on the target ({server}){detail}, \
                     so another run may be writing too: the new copy was not swapped in and the \
                     target was left as it was. Rerun."
                ),
            )
        };
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
               AND pid = pg_backend_pid() AND objsubid = 1 \
               AND objid::int8 = ({LOCK_KEY} & 4294967295))"
        );
        match self
            .control
            .query_one(&sql, &[&self.target_url.dbname()])
            .await
        {
            Ok(row) if row.get::<_, bool>(0) => Ok(()),
            Ok(_) => Err(lost(String::new())),
            Err(e) => Err(lost(format!(" ({e})"))),
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

async fn lock(client: &Client, db: &str, server: &str) -> Result<(), PgError> {
    let taken = try_lock(client, LOCK_KEY, db)
        .await
        .map_err(|e| PgError::from_driver(Side::Target, server, "taking the sync lock", &e))?;
    if taken {
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
