//! `--copy-in railway`: the data copy as a job that runs inside the PR environment, next to its
//! database, instead of on the machine running wpstage. The lifecycle describes the job, the
//! platform runs it and hands back the job's report line.

use std::collections::BTreeMap;
use std::time::Duration;

/// The job prints its report as one line starting with this, followed by JSON.
pub const REPORT_MARKER: &str = "WPSTAGE_COPY_REPORT ";
/// A failed job prints its error as one line starting with this.
pub const ERROR_MARKER: &str = "WPSTAGE_COPY_ERROR ";

/// Variable the job reads production's database URL from (set by the platform, a secret).
pub const SOURCE_URL_VAR: &str = "WPSTAGE_COPY_SOURCE_URL";
/// Variable the job reads the PR database's URL from (set by the platform: a private-network
/// reference on Railway).
pub const TARGET_URL_VAR: &str = "WPSTAGE_COPY_TARGET_URL";

/// The copy as the platform runs it.
#[derive(Clone)]
pub struct CopyJob {
    /// The image with wpstage in it.
    pub image: String,
    /// The command the job's container runs (no secrets: those are in `variables`).
    pub command: String,
    /// The job's settings and secrets (the anonymization key), besides the two URLs the
    /// platform adds ([`SOURCE_URL_VAR`], [`TARGET_URL_VAR`]).
    pub variables: BTreeMap<String, String>,
    /// How long the job may run.
    pub timeout: Duration,
    /// The database the job reads instead of production (the base snapshot's, over its public
    /// URL); `None`: production.
    pub source: Option<crate::postgres::DbUrl>,
}

impl std::fmt::Debug for CopyJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The variables carry secrets: names only.
        f.debug_struct("CopyJob")
            .field("image", &self.image)
            .field("command", &self.command)
            .field("variables", &self.variables.keys().collect::<Vec<_>>())
            .field("timeout", &self.timeout)
            .field("source", &self.source.as_ref().map(|_| "set"))
            .finish()
    }
}

/// What a finished job left: its report (the JSON after [`REPORT_MARKER`]) and warnings (e.g. a
/// job service that could not be removed).
#[derive(Debug, Clone, Default)]
pub struct CopyRun {
    pub report: String,
    pub warnings: Vec<String>,
}

/// Why a job failed, in its own words.
#[derive(Debug, thiserror::Error)]
#[error(
    "the data copy inside the environment failed: {message}. The copy service {service} was \
     {removed}; fix the cause and rerun (or use --copy-in runner)"
)]
pub struct CopyJobFailed {
    pub message: String,
    pub service: String,
    /// `removed`, or why it was not.
    pub removed: String,
}

/// The report or error a log line carries, if it is one of the job's marked lines.
pub fn marked(line: &str) -> Option<Result<&str, &str>> {
    let line = line.trim_end();
    let at = |m: &str| line.find(m).map(|i| &line[i + m.len()..]);
    match (at(REPORT_MARKER), at(ERROR_MARKER)) {
        (Some(report), _) => Some(Ok(report)),
        (None, Some(error)) => Some(Err(error)),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_lines_are_found_anywhere_in_a_log_line() {
        assert_eq!(
            marked("WPSTAGE_COPY_REPORT {\"rows\":1}\n"),
            Some(Ok("{\"rows\":1}"))
        );
        assert_eq!(
            marked("2026-01-01 WPSTAGE_COPY_ERROR the table is refused"),
            Some(Err("the table is refused"))
        );
        assert_eq!(marked("copied 10 rows"), None);
    }
}
