//! `DbUrl`: a PostgreSQL connection URL held as a secret.
//!
//! The URL carries a password, so it is never printed: `Display` and `Debug` show only the
//! host, port and database name, which is what an error message needs to say which server failed.

use std::fmt;
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use tokio_postgres::config::Host;

/// Why a database URL was rejected. The URL itself is never part of the message.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    #[error(
        "the {what} database URL could not be parsed ({reason}); expected \
         postgres://USER:PASSWORD@HOST:PORT/DATABASE"
    )]
    Invalid { what: String, reason: String },
    #[error(
        "the {what} database URL names no database; add it after the host, e.g. \
         postgres://USER:PASSWORD@HOST:PORT/wordpress"
    )]
    NoDatabase { what: String },
    #[error(
        "the {what} database URL is a MySQL/MariaDB URL: MySQL and MariaDB are not supported yet; \
         wpstage copies PostgreSQL databases (postgres://USER:PASSWORD@HOST:PORT/DATABASE)"
    )]
    MySql { what: String },
    #[error(
        "the {what} database URL names no host; add one, e.g. postgres://USER@db.example:5432/wordpress"
    )]
    NoHost { what: String },
}

/// A parsed PostgreSQL URL. Cloning is cheap enough; the secret is kept only here.
#[derive(Clone)]
pub struct DbUrl {
    raw: SecretString,
    config: tokio_postgres::Config,
}

impl DbUrl {
    /// Parses `postgres://…` or `key=value` connection strings. `what` names the role of the URL
    /// ("source", "target") in error messages.
    pub fn parse(raw: &str, what: &str) -> Result<Self, UrlError> {
        let scheme = raw.trim().split("://").next().unwrap_or_default();
        if ["mysql", "mariadb"].contains(&scheme.to_ascii_lowercase().as_str()) {
            return Err(UrlError::MySql {
                what: what.to_owned(),
            });
        }
        let config =
            tokio_postgres::Config::from_str(raw.trim()).map_err(|e| UrlError::Invalid {
                what: what.to_owned(),
                // tokio-postgres' parse errors describe the syntax, never echo the input.
                reason: e.to_string(),
            })?;
        if config.get_dbname().is_none() {
            return Err(UrlError::NoDatabase {
                what: what.to_owned(),
            });
        }
        if config.get_hosts().is_empty() {
            return Err(UrlError::NoHost {
                what: what.to_owned(),
            });
        }
        // An unencoded '@' in the password moves part of it into the host, where messages
        // would show it.
        if config
            .get_hosts()
            .iter()
            .any(|h| matches!(h, Host::Tcp(h) if h.contains('@')))
        {
            return Err(UrlError::Invalid {
                what: what.to_owned(),
                reason: "the host contains '@'; percent-encode '@' in the password as %40"
                    .to_owned(),
            });
        }
        Ok(Self {
            raw: SecretString::from(raw.trim().to_owned()),
            config,
        })
    }

    /// Builds a URL from parts (used for throwaway clusters).
    pub fn from_parts(host: &str, port: u16, user: &str, password: &str, dbname: &str) -> Self {
        let mut config = tokio_postgres::Config::new();
        config
            .host(host)
            .port(port)
            .user(user)
            .password(password)
            .dbname(dbname);
        let raw = format!(
            "postgres://{}:{}@{host}:{port}/{}",
            percent_encode(user),
            percent_encode(password),
            percent_encode(dbname)
        );
        Self {
            raw: SecretString::from(raw),
            config,
        }
    }

    /// The same server and credentials, another database.
    pub fn with_dbname(&self, dbname: &str) -> Self {
        let mut config = self.config.clone();
        config.dbname(dbname);
        let raw = rebuild_raw(&config);
        Self {
            raw: SecretString::from(raw),
            config,
        }
    }

    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or_default()
    }

    pub fn user(&self) -> &str {
        self.config.get_user().unwrap_or_default()
    }

    /// The full URL, secret included: only for handing to a child process's environment or to a
    /// caller that masks it.
    pub fn expose(&self) -> &str {
        self.raw.expose_secret()
    }

    /// The password, if any, for masking in CI logs.
    pub fn password(&self) -> Option<String> {
        self.config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned())
    }

    /// `host:port` of the first host, for messages.
    pub fn host_port(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "?".to_owned(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        format!("{host}:{port}")
    }

    /// libpq environment variables for a child process (`pg_dump`), so that no secret is ever
    /// put on a command line where `ps` could show it.
    pub fn libpq_env(&self) -> Vec<(&'static str, String)> {
        let mut env = Vec::new();
        if let Some(host) = self.config.get_hosts().first() {
            let h = match host {
                Host::Tcp(h) => h.clone(),
                Host::Unix(p) => p.display().to_string(),
            };
            env.push(("PGHOST", h));
        }
        if let Some(port) = self.config.get_ports().first() {
            env.push(("PGPORT", port.to_string()));
        }
        if let Some(user) = self.config.get_user() {
            env.push(("PGUSER", user.to_owned()));
        }
        if let Some(pw) = self.password() {
            env.push(("PGPASSWORD", pw));
        }
        env.push(("PGDATABASE", self.dbname().to_owned()));
        let sslmode = match self.config.get_ssl_mode() {
            tokio_postgres::config::SslMode::Disable => "disable",
            tokio_postgres::config::SslMode::Require => "require",
            _ => "prefer",
        };
        env.push(("PGSSLMODE", sslmode.to_owned()));
        env.push(("PGCONNECT_TIMEOUT", "15".to_owned()));
        env
    }
}

impl FromStr for DbUrl {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s, "given")
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.host_port(), self.dbname())
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({self}, credentials redacted)")
    }
}

fn rebuild_raw(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => String::new(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or_default();
    let password = config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or_default();
    let auth = if password.is_empty() {
        percent_encode(user)
    } else {
        format!("{}:{}", percent_encode(user), percent_encode(&password))
    };
    let mut raw = if host.starts_with('/') {
        format!(
            "postgres://{auth}@/{}?host={}&port={port}",
            percent_encode(db),
            percent_encode(&host)
        )
    } else {
        format!("postgres://{auth}@{host}:{port}/{}", percent_encode(db))
    };
    if matches!(
        config.get_ssl_mode(),
        tokio_postgres::config::SslMode::Require
    ) {
        raw.push_str(if raw.contains('?') {
            "&sslmode=require"
        } else {
            "?sslmode=require"
        });
    }
    raw
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_debug_never_show_the_password() {
        let url =
            DbUrl::parse("postgres://admin:s3cr3t-pw@db.example:6543/shop", "source").unwrap();
        assert_eq!(url.to_string(), "db.example:6543/shop");
        assert!(!format!("{url:?}").contains("s3cr3t-pw"));
        assert_eq!(url.password().as_deref(), Some("s3cr3t-pw"));
    }

    #[test]
    fn with_dbname_keeps_credentials_and_changes_only_the_database() {
        let url = DbUrl::parse("postgres://admin:p%40ss@db.example:6543/shop", "target").unwrap();
        let other = url.with_dbname("shop__next");
        assert_eq!(other.dbname(), "shop__next");
        let reparsed = DbUrl::parse(other.expose(), "x").unwrap();
        assert_eq!(reparsed.password().as_deref(), Some("p@ss"));
        assert_eq!(reparsed.dbname(), "shop__next");
        assert_eq!(reparsed.host_port(), "db.example:6543");
    }

    #[test]
    fn a_url_without_database_is_rejected_with_a_hint() {
        let err = DbUrl::parse("postgres://u:pw@host:5432", "source").unwrap_err();
        assert!(err.to_string().contains("names no database"), "{err}");
        assert!(!err.to_string().contains("pw"));
    }

    #[test]
    fn an_unencoded_at_sign_in_the_password_is_refused_without_echoing_it() {
        let err = DbUrl::parse("postgres://u:p@ss@db.example/wp", "source").unwrap_err();
        assert!(err.to_string().contains("%40"), "{err}");
        assert!(!err.to_string().contains("ss@db"), "{err}");
    }

    #[test]
    fn mysql_and_mariadb_urls_say_they_are_not_supported_yet() {
        for raw in ["mysql://u:sekret@db/wp", "MariaDB://u:sekret@db/wp"] {
            let err = DbUrl::parse(raw, "source").unwrap_err().to_string();
            assert!(
                err.contains("MySQL and MariaDB are not supported yet"),
                "{err}"
            );
            assert!(!err.contains("sekret"), "{err}");
        }
    }

    #[test]
    fn garbage_is_rejected_without_echoing_it() {
        let err = DbUrl::parse("postgres://u:topsecret@host:notaport/db", "target").unwrap_err();
        assert!(
            err.to_string()
                .contains("target database URL could not be parsed"),
            "{err}"
        );
        assert!(!err.to_string().contains("topsecret"));
    }

    #[test]
    fn libpq_env_carries_the_password_for_child_processes() {
        let url = DbUrl::from_parts("127.0.0.1", 5555, "postgres", "pw x", "db");
        let env = url.libpq_env();
        assert!(env.contains(&("PGPASSWORD", "pw x".to_owned())));
        assert!(env.contains(&("PGPORT", "5555".to_owned())));
        assert!(DbUrl::parse(url.expose(), "x").is_ok());
    }
}
