//! The databases wpstage builds beside a target (`…__wpstage_next`) and keeps for a moment
//! during the swap (`…__wpstage_old`): their names, and removing them.

use sha2::{Digest as _, Sha256};
use tokio_postgres::Client;

use crate::postgres::{DbUrl, PgError, PgErrorKind, Side, connect, quote_ident, server_major};

/// What every helper database's name ends with, before `next` or `old`.
pub const HELPER_MARK: &str = "__wpstage_";

/// `<db>__wpstage_<what>`. A name that would not fit PostgreSQL's 63-byte identifiers is cut and
/// given a hash of the whole name, so two long target names never share a helper.
pub fn side_name(db: &str, what: &str) -> String {
    let suffix = format!("{HELPER_MARK}{what}");
    if db.len() + suffix.len() <= 63 {
        return format!("{db}{suffix}");
    }
    let hash = hex::encode(&Sha256::digest(db.as_bytes())[..4]);
    let mut base = db.to_owned();
    while base.len() + 1 + hash.len() + suffix.len() > 63 {
        base.pop();
    }
    format!("{base}_{hash}{suffix}")
}

/// Both helper names of `db`.
pub fn helper_names(db: &str) -> [String; 2] {
    [side_name(db, "next"), side_name(db, "old")]
}

/// A connection to a database other than the target, to create, rename and drop databases.
pub async fn connect_maintenance(target: &DbUrl) -> Result<Client, PgError> {
    connect_first(target, Some(target.dbname())).await
}

/// A session on the database of `server`'s cluster where syncs into its databases hold their
/// locks (the one [`connect_maintenance`] picks for them), for [`sweep`].
pub async fn connect_lock_session(server: &DbUrl) -> Result<Client, PgError> {
    connect_first(server, None).await
}

async fn connect_first(url: &DbUrl, skip: Option<&str>) -> Result<Client, PgError> {
    let mut last = None;
    for db in ["postgres", "template1"] {
        if Some(db) == skip {
            continue;
        }
        match connect(&url.with_dbname(db), Side::Target).await {
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

pub async fn terminate_sessions(client: &Client, db: &str) {
    let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
               WHERE datname = $1 AND pid <> pg_backend_pid()";
    if let Err(e) = client.query(sql, &[&db]).await {
        tracing::debug!(error = %e, "could not end sessions on {db}");
    }
}

pub async fn drop_database(
    client: &Client,
    db: &str,
    major: u32,
    server: &str,
) -> Result<(), PgError> {
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

/// The advisory lock a sync holds on its target for the whole run (`$1`: the target's name).
pub const TARGET_LOCK_KEY: &str = "hashtext('wpstage-sync:' || $1::text)::int8";

/// The advisory lock a sync holds on each of its helper databases (`$1`: the helper's name), so
/// that `reap` can tell a helper in use from a leftover by its name alone, even when the name was
/// cut and hashed or its target is gone.
pub const HELPER_LOCK_KEY: &str = "hashtext('wpstage-helper:' || $1::text)::int8";

/// Takes the session-level advisory lock `key` (SQL over `$1`, e.g. [`TARGET_LOCK_KEY`]) for
/// `name` in `client`'s session if no other session holds it; whether it was taken.
pub async fn try_lock(
    client: &Client,
    key: &str,
    name: &str,
) -> Result<bool, tokio_postgres::Error> {
    let row = client
        .query_one(&format!("SELECT pg_try_advisory_lock({key})"), &[&name])
        .await?;
    Ok(row.get(0))
}

/// The statement that releases a lock [`try_lock`] took (`$1`: the name).
pub fn unlock_sql(key: &str) -> String {
    format!("SELECT pg_advisory_unlock({key})")
}

/// How long a sync waits for a helper lock that `reap` holds while it checks that helper.
const HELPER_LOCK_TRIES: u32 = 100;

/// Takes the helper locks of `names` (a sync's `next` and `old`) in `client`'s session, waiting a
/// moment for a `reap` that is looking at one of them.
pub async fn lock_helpers(client: &Client, names: &[&str], server: &str) -> Result<(), PgError> {
    for name in names {
        let mut tries = 0;
        loop {
            let taken = try_lock(client, HELPER_LOCK_KEY, name).await.map_err(|e| {
                PgError::from_driver(Side::Target, server, "taking the helper database lock", &e)
            })?;
            if taken {
                break;
            }
            tries += 1;
            if tries >= HELPER_LOCK_TRIES {
                return Err(PgError::new(
                    Side::Target,
                    PgErrorKind::Other,
                    format!(
                        "Another wpstage process on the target's server ({server}) holds the \
                         helper database {name:?} (a `wpstage reap` checking it); wait for it to \
                         finish, then rerun. Nothing was changed."
                    ),
                ));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    Ok(())
}

/// A helper database and the databases it may belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Helper {
    pub name: String,
    /// Every name whose helper this may be: the name without its suffix (a short target's
    /// name, or the cut name of a long one), and any database on the server whose long name was
    /// cut and hashed into it.
    pub targets: Vec<String>,
}

/// The target names `helper` is the helper of, among `databases` (a short name is recovered
/// from the helper's name even when the target is gone).
fn targets_of(helper: &str, databases: &[String]) -> Vec<String> {
    let mut targets = Vec::new();
    for what in ["next", "old"] {
        let suffix = format!("{HELPER_MARK}{what}");
        let Some(stem) = helper.strip_suffix(&suffix) else {
            continue;
        };
        if side_name(stem, what) == helper {
            targets.push(stem.to_owned());
        }
        for db in databases {
            if db != stem && side_name(db, what) == helper {
                targets.push(db.clone());
            }
        }
    }
    targets
}

/// Every helper database on the server `client` is connected to, whether or not its target
/// still exists, with the targets it may belong to.
pub async fn list_helpers(client: &Client) -> Result<Vec<Helper>, tokio_postgres::Error> {
    let rows = client
        .query("SELECT datname::text FROM pg_database ORDER BY 1", &[])
        .await?;
    let databases: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    Ok(databases
        .iter()
        .filter(|d| {
            d.ends_with(&format!("{HELPER_MARK}next")) || d.ends_with(&format!("{HELPER_MARK}old"))
        })
        .map(|d| Helper {
            name: d.clone(),
            targets: targets_of(d, &databases),
        })
        .collect())
}

/// What [`sweep`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Leftover helpers removed (in a dry run: that would be removed).
    pub removed: Vec<String>,
    /// Helpers a run is using: left alone.
    pub in_use: Vec<String>,
}

/// Removes (unless `dry_run`) every helper database that an interrupted run left on the server
/// `client` is connected to, and that belongs to a database named `prefix…`. `client` must be a
/// session on the database [`connect_maintenance`] picks, where syncs hold their locks.
///
/// A helper counts as in use, and is never dropped, when another session holds its helper lock
/// or the sync lock of any database it may belong to (in any database of the server), or is
/// connected to it. The helper lock is taken first and held until the helper is gone, so a run
/// starting meanwhile waits for it; everything else is checked again right before the drop.
pub async fn sweep(
    client: &Client,
    url: &DbUrl,
    prefix: &str,
    dry_run: bool,
) -> Result<Sweep, PgError> {
    let server = &url.to_string();
    let db_err = |doing: &str, e: &tokio_postgres::Error| {
        PgError::from_driver(Side::Target, server, doing, e)
    };
    let major = server_major(client, url, Side::Target).await?;
    let helpers = list_helpers(client)
        .await
        .map_err(|e| db_err("listing helper databases", &e))?;
    let mut found = Sweep::default();
    for helper in helpers {
        let belongs =
            helper.name.starts_with(prefix) || helper.targets.iter().any(|t| t.starts_with(prefix));
        if !belongs {
            continue;
        }
        let locked = try_lock(client, HELPER_LOCK_KEY, &helper.name)
            .await
            .map_err(|e| db_err("taking a helper database lock", &e))?;
        if !locked {
            found.in_use.push(helper.name);
            continue;
        }
        let checked = async {
            if in_use(client, server, &helper.name).await? {
                return Ok(false);
            }
            if !dry_run {
                drop_database(client, &helper.name, major, server).await?;
            }
            Ok::<_, PgError>(true)
        }
        .await;
        let unlock = unlock_sql(HELPER_LOCK_KEY);
        if let Err(e) = client.query_one(&unlock, &[&helper.name]).await {
            tracing::debug!(error = %e, "releasing the lock of {}", helper.name);
        }
        if checked? {
            found.removed.push(helper.name);
        } else {
            found.in_use.push(helper.name);
        }
    }
    Ok(found)
}

/// Whether a run is using `helper`, judged right now: another session holds its helper lock or
/// the sync lock of a database it may belong to, or is connected to it.
async fn in_use(client: &Client, server: &str, helper: &str) -> Result<bool, PgError> {
    let err = |e: &tokio_postgres::Error| {
        PgError::from_driver(
            Side::Target,
            server,
            "checking whether a helper is in use",
            e,
        )
    };
    let databases: Vec<String> = client
        .query("SELECT datname::text FROM pg_database", &[])
        .await
        .map_err(|e| err(&e))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let targets = targets_of(helper, &databases);
    let target_key = TARGET_LOCK_KEY.replace("$1::text", "t");
    let helper_key = HELPER_LOCK_KEY.replace("$1::text", "$2::text");
    let sql = format!(
        "WITH k AS (SELECT {target_key} AS k FROM unnest($1::text[]) t \
                    UNION ALL SELECT {helper_key}) \
         SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN k ON l.objid::int8 = (k.k & 4294967295) \
                          AND l.classid::int8 = ((k.k >> 32) & 4294967295) \
                        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
                          AND l.pid <> pg_backend_pid()) \
             OR EXISTS (SELECT 1 FROM pg_stat_activity \
                        WHERE datname = $2::text AND pid <> pg_backend_pid())"
    );
    let row = client
        .query_one(&sql, &[&targets, &helper])
        .await
        .map_err(|e| err(&e))?;
    Ok(row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_read_plainly() {
        assert_eq!(side_name("wordpress", "next"), "wordpress__wpstage_next");
        assert_eq!(
            helper_names("wp"),
            ["wp__wpstage_next".to_owned(), "wp__wpstage_old".to_owned()]
        );
        assert_eq!(targets_of("wp__wpstage_old", &[]), ["wp"]);
        assert!(targets_of("wp__wpstage_new", &["wp".to_owned()]).is_empty());
    }

    #[test]
    fn long_names_fit_and_stay_apart() {
        let a = format!("{}_a", "x".repeat(60));
        let b = format!("{}_b", "x".repeat(60));
        for what in ["next", "old"] {
            let (na, nb) = (side_name(&a, what), side_name(&b, what));
            assert!(na.len() <= 63 && nb.len() <= 63, "{na} {nb}");
            assert_ne!(na, nb, "two long targets share a helper");
            assert!(na.ends_with(&format!("__wpstage_{what}")));
            // A long name's helper is traced back to it; a short one's even when it is gone.
            let all = [a.clone(), b.clone()];
            assert!(targets_of(&na, &all).contains(&a), "{na}");
            assert!(!targets_of(&na, &all).contains(&b), "{na}");
        }
        // Multi-byte characters are never cut in half.
        let wide = "é".repeat(40);
        assert!(side_name(&wide, "next").len() <= 63);
    }
}
