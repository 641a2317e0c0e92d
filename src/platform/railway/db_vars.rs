//! Database credentials in Railway variables: fresh ones for a PR database, and what of
//! production's a set of variables still carries (passwords, public `host:port` endpoints).
//! Pure: the caller reads and writes the variables. Values are secrets: only variable names
//! leave this module in messages.

use std::collections::BTreeSet;
use std::fmt;

use rand::RngExt as _;
use secrecy::{ExposeSecret as _, SecretString};

use crate::postgres::DbUrl;
use crate::railway::VariableSet;

/// Letters and digits: safe inside the `postgresql://user:password@…` URLs Railway's Postgres
/// template builds by reference, without percent-encoding.
const PASSWORD_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Railway generates 32 characters; 32 of 62 are about 190 bits.
const PASSWORD_LEN: usize = 32;

/// A new random database password (from the thread's CSPRNG).
pub fn new_password() -> SecretString {
    let mut rng = rand::rng();
    let password: String = (0..PASSWORD_LEN)
        .map(|_| char::from(PASSWORD_CHARS[rng.random_range(0..PASSWORD_CHARS.len())]))
        .collect();
    SecretString::from(password)
}

/// Whether variable `name` holds a database setting: `DATABASE_URL`, `DB_HOST`,
/// `WORDPRESS_DB_PASSWORD`, `PGHOST`, `POSTGRES_PASSWORD`, `MYSQL_HOST`, …
pub fn is_database_variable(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.starts_with("PG")
        || upper.split('_').any(|part| {
            matches!(
                part,
                "DB" | "DATABASE" | "POSTGRES" | "POSTGRESQL" | "PG" | "MYSQL"
            )
        })
}

/// The changes that give a duplicated database service `new` as its password:
/// `POSTGRES_PASSWORD` (what the Postgres image initialises an empty volume with) and every
/// written-out copy of an `old` password (a literal `PGPASSWORD`, a URL's `:password@`).
/// Variables that reference `${{POSTGRES_PASSWORD}}` follow by themselves and are left alone.
pub fn rotated(raw: &VariableSet, old: &Passwords, new: &SecretString) -> VariableSet {
    let new = new.expose_secret();
    let mut out = VariableSet::new();
    for name in raw.names() {
        let Some(value) = raw.expose(name) else {
            continue;
        };
        let mut changed = value.to_owned();
        for old in old.0.iter().filter(|p| !p.is_empty()) {
            if changed == *old && name.to_ascii_uppercase().contains("PASSWORD") {
                changed = new.to_owned();
            } else if changed.contains("://") {
                changed = changed.replace(&format!(":{old}@"), &format!(":{new}@"));
            }
        }
        if changed != value {
            out.insert(name, changed);
        }
    }
    out.insert("POSTGRES_PASSWORD", new);
    out
}

/// A set of database passwords; never shown.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Passwords(BTreeSet<String>);

impl Passwords {
    pub fn insert(&mut self, password: &str) {
        if !password.is_empty() {
            self.0.insert(password.to_owned());
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn extend(&mut self, other: &Passwords) {
        self.0.extend(other.0.iter().cloned());
    }
}

impl fmt::Debug for Passwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Passwords(<{} redacted>)", self.0.len())
    }
}

/// What of a database a variable carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Carries {
    Password,
    /// Its public address (`host:port`).
    Endpoint,
}

impl Carries {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Endpoint => "host",
        }
    }
}

/// Production's database passwords and public endpoints, to recognise in a PR's variables.
#[derive(Clone, Default)]
pub struct Fingerprints {
    pub passwords: Passwords,
    endpoints: BTreeSet<String>,
}

impl fmt::Debug for Fingerprints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fingerprints")
            .field("passwords", &self.passwords)
            .field("endpoints", &self.endpoints.len())
            .finish()
    }
}

impl Fingerprints {
    /// Adds what the database variables of `vars` (rendered) say about a database.
    pub fn add_vars(&mut self, vars: &VariableSet) {
        for (_, fact) in facts(vars) {
            match fact {
                Fact::Password(p) => self.passwords.insert(&p),
                Fact::Endpoint(e) => {
                    self.endpoints.insert(e);
                }
            }
        }
    }

    pub fn add_url(&mut self, url: &DbUrl) {
        if let Some(p) = url.password() {
            self.passwords.insert(&p);
        }
        if let Some(e) = endpoint(&url.host_port(), None) {
            self.endpoints.insert(e);
        }
    }

    /// The database variables of `vars` (rendered) that carry one of these passwords or
    /// endpoints, by name, each with what it carries.
    pub fn found_in(&self, vars: &VariableSet) -> BTreeSet<(String, Carries)> {
        facts(vars)
            .into_iter()
            .filter_map(|(name, fact)| match fact {
                Fact::Password(p) if self.passwords.0.contains(&p) => {
                    Some((name, Carries::Password))
                }
                Fact::Endpoint(e) if self.endpoints.contains(&e) => Some((name, Carries::Endpoint)),
                _ => None,
            })
            .collect()
    }
}

enum Fact {
    Password(String),
    Endpoint(String),
}

/// Passwords and public endpoints in the database variables of `vars`: a URL's password and
/// `host:port`, a `…PASSWORD` value, a `…HOST` value (its port from the value, the matching
/// `…PORT` variable, or 5432).
fn facts(vars: &VariableSet) -> Vec<(String, Fact)> {
    let mut out = Vec::new();
    for name in vars.names().filter(|n| is_database_variable(n)) {
        let Some(value) = vars.expose(name).map(str::trim).filter(|v| !v.is_empty()) else {
            continue;
        };
        let upper = name.to_ascii_uppercase();
        if let Some((scheme, rest)) = value.split_once("://") {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let (userinfo, host) = match authority.rsplit_once('@') {
                Some((u, h)) => (Some(u), h),
                None => (None, authority),
            };
            if let Some(password) = userinfo.and_then(|u| u.split_once(':')).map(|(_, p)| p) {
                out.push((name.to_owned(), Fact::Password(password.to_owned())));
                let decoded = percent_decode(password);
                if decoded != password {
                    out.push((name.to_owned(), Fact::Password(decoded)));
                }
            }
            let default_port = scheme.starts_with("postgres").then_some("5432");
            if let Some(e) = endpoint(host, default_port) {
                out.push((name.to_owned(), Fact::Endpoint(e)));
            }
        } else if upper.contains("PASSWORD") {
            out.push((name.to_owned(), Fact::Password(value.to_owned())));
        } else if upper.ends_with("HOST") {
            let port_var = format!("{}PORT", &name[..name.len() - 4]);
            let port = vars.expose(&port_var).filter(|p| !p.is_empty());
            if let Some(e) = endpoint(value, Some(port.unwrap_or("5432"))) {
                out.push((name.to_owned(), Fact::Endpoint(e)));
            }
        }
    }
    out
}

/// `host:port` in lower case, the port from `host_port` or `default_port`; `None` for a host
/// on Railway's private network (`*.railway.internal` names the service in whichever
/// environment asks, so it is never another environment's database).
fn endpoint(host_port: &str, default_port: Option<&str>) -> Option<String> {
    let host_port = host_port.trim().to_ascii_lowercase();
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            (h.to_owned(), p.to_owned())
        }
        _ => (host_port.clone(), default_port?.to_owned()),
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    if host.is_empty() || host.ends_with(".railway.internal") || host == "railway.internal" {
        return None;
    }
    Some(format!("{host}:{port}"))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[path = "db_vars_tests.rs"]
mod tests;
