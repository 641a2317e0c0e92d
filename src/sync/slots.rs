//! How many copy workers the two servers can take: `--jobs` is a wish, the servers' free
//! connection slots are the limit. A run that asks for more than production can give would
//! otherwise fail half-way with "too many clients", or take the last slots the site needs.

use tokio_postgres::Client;

use crate::postgres::{PgError, PgErrorKind, Side};

/// What one server can still give the role wpstage connects as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slots {
    /// `max_connections` of the server.
    pub max_connections: i64,
    /// Slots free on the whole server for roles without superuser rights.
    pub server_free: i64,
    /// Slots left under the role's and the database's CONNECTION LIMIT (unbounded: `i64::MAX`).
    pub own_free: i64,
}

impl Slots {
    /// Slots wpstage may take on the source: a tenth of the server (at least two) stays free
    /// for the site itself.
    pub fn for_source(self) -> i64 {
        (self.server_free - (self.max_connections / 10).max(2)).min(self.own_free)
    }

    /// Slots wpstage may take on the target: one stays free for an administrator.
    pub fn for_target(self) -> i64 {
        (self.server_free - 1).min(self.own_free)
    }

    fn free(self) -> i64 {
        self.server_free.min(self.own_free).max(0)
    }
}

const FREE_SLOTS_SQL: &str = "\
    WITH a AS (SELECT datname, usename FROM pg_stat_activity \
               WHERE backend_type = 'client backend') \
    SELECT current_setting('max_connections')::bigint, \
           current_setting('max_connections')::bigint \
             - current_setting('superuser_reserved_connections')::bigint \
             - (SELECT count(*) FROM a), \
           LEAST( \
             CASE WHEN r.rolconnlimit < 0 THEN NULL \
                  ELSE r.rolconnlimit - (SELECT count(*) FROM a WHERE usename = current_user) END, \
             CASE WHEN d.datconnlimit < 0 THEN NULL \
                  ELSE d.datconnlimit - (SELECT count(*) FROM a WHERE datname = current_database()) \
             END) \
    FROM pg_roles r, pg_database d \
    WHERE r.rolname = current_user AND d.datname = current_database()";

/// Reads the free connection slots of the server `client` is connected to.
pub async fn read(client: &Client, side: Side, server: &str) -> Result<Slots, PgError> {
    let row = client
        .query_one(FREE_SLOTS_SQL, &[])
        .await
        .map_err(|e| PgError::from_driver(side, server, "counting free connection slots", &e))?;
    let own_free: Option<i64> = row.get(2);
    Ok(Slots {
        max_connections: row.get(0),
        server_free: row.get(1),
        own_free: own_free.unwrap_or(i64::MAX),
    })
}

/// The worker count: `current`, lowered to what `budget` slots allow. Returns the count and, when
/// it was lowered, a warning that says why (naming the `asked` --jobs); fails when not even one
/// worker fits.
pub fn cap(
    asked: usize,
    current: usize,
    budget: i64,
    side: Side,
    server: &str,
    slots: Slots,
) -> Result<(usize, Option<String>), PgError> {
    if budget < 1 {
        return Err(PgError::new(
            side,
            PgErrorKind::TooManyClients,
            format!(
                "The {side} database ({server}) has too many clients: {} of its connection slots \
                 are free for this role (max_connections {}), and wpstage needs at least one for a \
                 copy worker{}. Close idle sessions, raise max_connections or the role's \
                 CONNECTION LIMIT, then rerun.",
                slots.free(),
                slots.max_connections,
                match side {
                    Side::Source => " while leaving a tenth of the server to the site",
                    Side::Target => "",
                },
            ),
        ));
    }
    let allowed = usize::try_from(budget).unwrap_or(usize::MAX);
    if current <= allowed {
        return Ok((current.max(1), None));
    }
    Ok((
        allowed,
        Some(format!(
            "--jobs {asked} was lowered to {allowed}: the {side} server ({server}) has {} free \
             connection slots for this role (max_connections {}){}",
            slots.free(),
            slots.max_connections,
            match side {
                Side::Source => ", and a tenth of the server stays free for the site",
                Side::Target => "",
            },
        )),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = "db:5432/wp";

    #[test]
    fn the_source_keeps_a_tenth_for_the_site() {
        let slots = Slots {
            max_connections: 100,
            server_free: 40,
            own_free: i64::MAX,
        };
        assert_eq!(slots.for_source(), 30);
        let small = Slots {
            max_connections: 10,
            server_free: 5,
            own_free: i64::MAX,
        };
        assert_eq!(small.for_source(), 3);
        assert_eq!(small.for_target(), 4);
        // A role's CONNECTION LIMIT is its own: the site's share is kept on the server.
        let limited = Slots {
            max_connections: 100,
            server_free: 90,
            own_free: 4,
        };
        assert_eq!(limited.for_source(), 4);
        assert_eq!(limited.for_target(), 4);
    }

    #[test]
    fn a_wish_within_the_budget_is_kept() {
        let slots = Slots {
            max_connections: 100,
            server_free: 90,
            own_free: i64::MAX,
        };
        assert_eq!(
            cap(8, 8, 80, Side::Source, SERVER, slots).unwrap(),
            (8, None)
        );
    }

    #[test]
    fn too_many_jobs_are_lowered_with_a_warning() {
        let slots = Slots {
            max_connections: 100,
            server_free: 20,
            own_free: i64::MAX,
        };
        let (n, warning) = cap(100_000, 100_000, 10, Side::Source, SERVER, slots).unwrap();
        assert_eq!(n, 10);
        let warning = warning.unwrap();
        assert!(
            warning.contains("--jobs 100000 was lowered to 10"),
            "{warning}"
        );
        assert!(warning.contains("max_connections 100"), "{warning}");
    }

    #[test]
    fn no_free_slot_is_too_many_clients() {
        let slots = Slots {
            max_connections: 20,
            server_free: 1,
            own_free: i64::MAX,
        };
        let err = cap(4, 4, 0, Side::Target, SERVER, slots).unwrap_err();
        assert_eq!(err.kind, PgErrorKind::TooManyClients);
        let message = err.to_string();
        assert!(message.contains("too many clients"), "{message}");
        assert!(message.contains("raise max_connections"), "{message}");
    }
}
