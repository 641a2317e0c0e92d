//! The PostgreSQL client tools wpstage runs as child processes: only `pg_dump`, for schema DDL.
//!
//! `pg_dump` refuses to dump a server newer than itself, so the tool is chosen by version: an
//! explicit path must be new enough, otherwise the newest installed one is taken.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

use super::{DbUrl, bindir};

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error(
        "pg_dump was not found (looked at {looked}). Install the PostgreSQL client matching the \
         source server (Debian/Ubuntu: apt-get install postgresql-client-{need}) or pass \
         --pg-dump PATH."
    )]
    Missing { looked: String, need: u32 },
    #[error(
        "pg_dump at {path} is version {have}, but the source server is PostgreSQL {need}: \
         pg_dump cannot read a server newer than itself. Install postgresql-client-{need} (or \
         newer) and pass --pg-dump PATH to it."
    )]
    TooOld { path: String, have: u32, need: u32 },
    #[error("pg_dump at {path} could not be run ({reason}); check the path and its permissions")]
    NotRunnable { path: String, reason: String },
    #[error(
        "pg_dump failed while dumping the {section} schema of the source database ({status}): \
         {stderr}. Fix the cause above and rerun; nothing was written to the target yet."
    )]
    DumpFailed {
        section: String,
        status: String,
        stderr: String,
    },
}

/// A `pg_dump` binary whose major version is known.
#[derive(Debug, Clone)]
pub struct PgDump {
    pub path: PathBuf,
    pub major: u32,
    pub version: String,
}

impl PgDump {
    /// Finds a `pg_dump` able to dump a server of major version `server_major`.
    pub async fn find(explicit: Option<&Path>, server_major: u32) -> Result<Self, ToolError> {
        if let Some(path) = explicit {
            let tool = probe(path).await?;
            if tool.major < server_major {
                return Err(ToolError::TooOld {
                    path: path.display().to_string(),
                    have: tool.major,
                    need: server_major,
                });
            }
            return Ok(tool);
        }
        let candidates = candidate_paths().await;
        let mut found: Vec<PgDump> = Vec::new();
        for path in &candidates {
            if let Ok(tool) = probe(path).await {
                found.push(tool);
            }
        }
        found.sort_by_key(|t| std::cmp::Reverse(t.major));
        match found.first() {
            None => Err(ToolError::Missing {
                looked: bindir::looked_at(&candidates),
                need: server_major,
            }),
            Some(best) if best.major < server_major => Err(ToolError::TooOld {
                path: best.path.display().to_string(),
                have: best.major,
                need: server_major,
            }),
            Some(best) => Ok(best.clone()),
        }
    }

    /// Dumps one section (`pre-data` or `post-data`) of the schema as plain SQL, inside the
    /// exported snapshot so that it matches the data exactly.
    pub async fn dump_section(
        &self,
        source: &DbUrl,
        snapshot: &str,
        section: &str,
    ) -> Result<String, ToolError> {
        let mut cmd = Command::new(&self.path);
        cmd.args([
            "--no-owner",
            "--no-privileges",
            "--no-publications",
            "--no-subscriptions",
            "--no-password",
        ])
        .arg(format!("--section={section}"))
        .arg(format!("--snapshot={snapshot}"))
        .env_clear()
        .envs(source.libpq_env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
        if let Ok(path) = std::env::var("PATH") {
            cmd.env("PATH", path);
        }
        let output = cmd.output().await.map_err(|e| ToolError::NotRunnable {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        if !output.status.success() {
            let mut stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
            if let Some(pw) = source.password().filter(|p| !p.is_empty()) {
                stderr = stderr.replace(&pw, "***");
            }
            return Err(ToolError::DumpFailed {
                section: section.to_owned(),
                status: output.status.to_string(),
                stderr,
            });
        }
        String::from_utf8(output.stdout).map_err(|_| ToolError::DumpFailed {
            section: section.to_owned(),
            status: "success".to_owned(),
            stderr: "its output was not valid UTF-8; use a UTF8 client encoding".to_owned(),
        })
    }
}

async fn probe(path: &Path) -> Result<PgDump, ToolError> {
    let output = Command::new(path)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| ToolError::NotRunnable {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let major = parse_major(&text).ok_or_else(|| ToolError::NotRunnable {
        path: path.display().to_string(),
        reason: format!("unexpected --version output {text:?}"),
    })?;
    Ok(PgDump {
        path: path.to_path_buf(),
        major,
        version: text,
    })
}

/// "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" → 15; "9.6.24" → 9.
pub fn parse_major(version_line: &str) -> Option<u32> {
    let rest = version_line.split(')').nth(1).unwrap_or(version_line);
    let number = rest.split_whitespace().next()?;
    let digits: String = number.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The `pg_dump` of every [`bindir::candidates`] directory that has one.
async fn candidate_paths() -> Vec<PathBuf> {
    // `pg_config` runs there; a lookup that panicked finds nothing (reported as missing).
    let dirs = tokio::task::spawn_blocking(bindir::candidates)
        .await
        .unwrap_or_default();
    dirs.into_iter()
        .map(|dir| dir.join("pg_dump"))
        .filter(|p| p.exists())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_major_versions() {
        assert_eq!(
            parse_major("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"),
            Some(15)
        );
        assert_eq!(parse_major("pg_dump (PostgreSQL) 9.6.24"), Some(9));
        assert_eq!(parse_major("pg_dump (PostgreSQL) 17beta1"), Some(17));
        assert_eq!(parse_major("nonsense"), None);
    }

    #[tokio::test]
    async fn an_explicit_missing_binary_is_reported() {
        let err = PgDump::find(Some(Path::new("/nonexistent/pg_dump")), 15)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("could not be run"), "{err}");
    }
}
