//! A test-only pause point: lets the fault suite stop the real binary at a named phase and
//! injure it there (kill -9, cut its connections, restart a server, end its lock session).
//!
//! Inert unless the environment variable `WPSTAGE_TEST_PAUSE_AT=<phase>` is set, which only the
//! test suite does. The variable is read once, the first time any phase is reached, and kept.
//! When the run reaches that phase it prints `wpstage-test: paused at <phase>` on stderr and
//! waits for one line (or end of file) on stdin before it goes on.

use std::fmt;
use std::sync::OnceLock;

/// The environment variable the fault suite sets. Not a user setting.
pub const PAUSE_ENV: &str = "WPSTAGE_TEST_PAUSE_AT";

/// The line printed when the run stops, followed by the phase name.
pub const PAUSED_PREFIX: &str = "wpstage-test: paused at ";

/// Where a run can be paused, in the order a run reaches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// `up`/`refresh`: the PR's environment exists (created or found); no data copied yet.
    Environment,
    /// The source snapshot is exported; the target has not been touched.
    Snapshot,
    /// The target is prepared (lock taken; build database created beside a non-empty target);
    /// no schema written yet.
    Schema,
    /// The schema (pre-data) is in the build; no rows yet.
    Copy,
    /// Rows and per-table indexes are in; the leak check comes next.
    LeakCheck,
    /// Leak check done; the constraints that span tables (post-data) come next.
    Indexes,
    /// Everything but the sequences is in.
    Sequences,
    /// The copy is complete; it is about to become the target (swap, or in place: the end).
    Swap,
    /// `down`: the environment is about to be deleted.
    Delete,
}

impl Phase {
    pub const ALL: [Phase; 9] = [
        Phase::Environment,
        Phase::Snapshot,
        Phase::Schema,
        Phase::Copy,
        Phase::LeakCheck,
        Phase::Indexes,
        Phase::Sequences,
        Phase::Swap,
        Phase::Delete,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Environment => "environment",
            Phase::Snapshot => "snapshot",
            Phase::Schema => "schema",
            Phase::Copy => "copy",
            Phase::LeakCheck => "leak_check",
            Phase::Indexes => "indexes",
            Phase::Sequences => "sequences",
            Phase::Swap => "swap",
            Phase::Delete => "delete",
        }
    }

    pub fn parse(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.name() == name.trim())
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The phase to pause at, read once.
fn pause_at() -> Option<Phase> {
    static PAUSE_AT: OnceLock<Option<Phase>> = OnceLock::new();
    *PAUSE_AT.get_or_init(|| {
        std::env::var(PAUSE_ENV)
            .ok()
            .as_deref()
            .and_then(Phase::parse)
    })
}

/// Marks that the run reached `phase`; pauses there if the test suite asked for it.
pub async fn reached(phase: Phase) {
    if pause_at() != Some(phase) {
        return;
    }
    eprintln!("{PAUSED_PREFIX}{phase}");
    let waited = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)
    })
    .await;
    match waited {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "reading stdin at a test pause point"),
        Err(e) => tracing::debug!(error = %e, "waiting at a test pause point"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_name_parses_back() {
        for p in Phase::ALL {
            assert_eq!(Phase::parse(p.name()), Some(p));
        }
        assert_eq!(Phase::parse("nonsense"), None);
    }
}
