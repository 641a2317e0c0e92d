//! Database errors that say which side failed, why, and what to do about it.
//!
//! Classifying driver errors is unavoidable; it happens here, in one tested function.

use std::fmt;

use tokio_postgres::error::SqlState;

/// Which database an operation talked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Source,
    Target,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Source => "source",
            Side::Target => "target",
        })
    }
}

/// The cause of a database failure, as far as the user can act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgErrorKind {
    Unreachable,
    BadCredentials,
    MissingDatabase,
    PermissionDenied,
    DiskFull,
    ConnectionLost,
    /// No free connection slot (server, role or database limit).
    TooManyClients,
    Other,
}

/// A failed database operation. The message is one paragraph: side, server, cause, fix.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct PgError {
    pub side: Side,
    pub kind: PgErrorKind,
    message: String,
}

impl PgError {
    /// Wraps a driver error from `doing` (e.g. "connecting", "copying table wp_posts").
    pub fn from_driver(side: Side, server: &str, doing: &str, err: &tokio_postgres::Error) -> Self {
        let kind = classify(err);
        let detail = driver_detail(err);
        let message = describe(side, server, doing, &kind, &detail);
        Self {
            side,
            kind,
            message,
        }
    }

    /// An error found by wpstage itself rather than by the server.
    pub fn new(side: Side, kind: PgErrorKind, message: impl Into<String>) -> Self {
        Self {
            side,
            kind,
            message: message.into(),
        }
    }
}

/// Maps a driver error to what the user can act on.
pub fn classify(err: &tokio_postgres::Error) -> PgErrorKind {
    if let Some(code) = err.code() {
        return match code {
            c if *c == SqlState::INVALID_PASSWORD
                || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
            {
                PgErrorKind::BadCredentials
            }
            c if *c == SqlState::INVALID_CATALOG_NAME => PgErrorKind::MissingDatabase,
            c if *c == SqlState::INSUFFICIENT_PRIVILEGE => PgErrorKind::PermissionDenied,
            c if *c == SqlState::DISK_FULL || *c == SqlState::OUT_OF_MEMORY => {
                PgErrorKind::DiskFull
            }
            c if *c == SqlState::ADMIN_SHUTDOWN
                || *c == SqlState::CRASH_SHUTDOWN
                || *c == SqlState::CANNOT_CONNECT_NOW
                || *c == SqlState::CONNECTION_FAILURE =>
            {
                PgErrorKind::ConnectionLost
            }
            c if *c == SqlState::TOO_MANY_CONNECTIONS => PgErrorKind::TooManyClients,
            _ => PgErrorKind::Other,
        };
    }
    if err.is_closed() {
        return PgErrorKind::ConnectionLost;
    }
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::ConnectionAborted => PgErrorKind::ConnectionLost,
                _ => PgErrorKind::Unreachable,
            };
        }
        source = s.source();
    }
    let text = err.to_string();
    if text.contains("timed out") || text.contains("error connecting") {
        return PgErrorKind::Unreachable;
    }
    PgErrorKind::Other
}

fn driver_detail(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => {
            let mut s = format!("{}: {}", db.code().code(), db.message());
            if let Some(detail) = db.detail() {
                s.push_str(&format!(" ({detail})"));
            }
            s
        }
        None => {
            let mut s = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(inner) = source {
                s.push_str(&format!(": {inner}"));
                source = inner.source();
            }
            s
        }
    }
}

fn describe(side: Side, server: &str, doing: &str, kind: &PgErrorKind, detail: &str) -> String {
    let what = format!("The {side} database ({server}) failed while {doing}");
    let fix = match (kind, side) {
        (PgErrorKind::Unreachable, _) => format!(
            "it could not be reached ({detail}). Check the {side} host and port, that the server \
             is running and accepts TCP connections from here (firewall, proxy, sslmode)."
        ),
        (PgErrorKind::BadCredentials, _) => format!(
            "the server rejected the credentials ({detail}). Check the user name and password in \
             the {side} database URL."
        ),
        (PgErrorKind::MissingDatabase, _) => format!(
            "the database does not exist ({detail}). Create it first or fix the database name in \
             the {side} URL."
        ),
        (PgErrorKind::PermissionDenied, Side::Target) => format!(
            "permission was denied ({detail}). The target role must be able to create tables in \
             the target database (and, when the target already has tables, to CREATE DATABASE for \
             the atomic swap); grant it or use the database owner's URL."
        ),
        (PgErrorKind::PermissionDenied, Side::Source) => format!(
            "permission was denied ({detail}). The source role needs SELECT on every table; use \
             the database owner's URL."
        ),
        (PgErrorKind::DiskFull, _) => format!(
            "the server ran out of disk space or memory ({detail}). Free space or enlarge the \
             {side} volume, then rerun; nothing partial was kept."
        ),
        (PgErrorKind::ConnectionLost, _) => format!(
            "the connection was cut ({detail}). The server restarted, a proxy dropped the \
             connection or an administrator ended the session; rerun when the server is back — \
             nothing partial was kept."
        ),
        (PgErrorKind::TooManyClients, _) => format!(
            "the server has too many clients ({detail}). Lower --jobs (wpstage opens one \
             connection per job on each side, plus three), close idle sessions, or raise \
             max_connections or the role's CONNECTION LIMIT, then rerun."
        ),
        (PgErrorKind::Other, _) => format!("{detail}."),
    };
    format!("{what}: {fix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_side_server_cause_and_fix() {
        let m = describe(
            Side::Target,
            "db:5432/wp",
            "copying table public.wp_posts",
            &PgErrorKind::DiskFull,
            "53100: could not extend file",
        );
        assert!(
            m.starts_with("The target database (db:5432/wp) failed while copying"),
            "{m}"
        );
        assert!(m.contains("Free space"), "{m}");
        let m = describe(
            Side::Source,
            "s:1/x",
            "connecting",
            &PgErrorKind::BadCredentials,
            "28P01",
        );
        assert!(m.contains("source database URL"), "{m}");
        let m = describe(
            Side::Source,
            "s:1/x",
            "connecting",
            &PgErrorKind::TooManyClients,
            "53300: sorry, too many clients already",
        );
        assert!(m.contains("too many clients"), "{m}");
        assert!(m.contains("Lower --jobs"), "{m}");
        assert!(!m.contains("could not be reached"), "{m}");
    }
}
