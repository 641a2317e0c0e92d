//! The one seam between the action and the lifecycle: [`Lifecycle`], with the request and failure
//! types of `crate::lifecycle` (`up`/`down`/`refresh`/`reap` against a `Platform`).
//!
//! WIRING: `UpRequest`, `ReapRequest` and `Failure` below mirror the lifecycle's own types field
//! for field. Once `crate::lifecycle` defines them, replace the three definitions with
//! `pub use crate::lifecycle::{Failure, ReapRequest, UpRequest};` and implement [`Lifecycle`] in
//! [`super::wire`] by calling `crate::lifecycle::{up, down, refresh, reap}`.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::lifecycle::Outcome;

/// Bring up (create or reuse) the PR's environment and deploy `sha`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpRequest {
    pub pr: u64,
    pub sha: String,
    pub branch: Option<String>,
    /// Re-copy production data into an environment that already has it.
    pub refresh_data: bool,
    /// Leave a failed environment in place for debugging instead of rolling back.
    pub keep_on_failure: bool,
}

/// Delete stale (older than `max_age`) and orphaned (PR not open) environments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReapRequest {
    pub max_age: Duration,
    /// The open PRs; `None`: unknown, only `max_age` applies.
    pub open_prs: Option<Vec<u64>>,
    pub dry_run: bool,
}

/// A failed operation: the `anyhow::Error` of the lifecycle downcasts to this.
#[derive(Debug)]
pub struct Failure {
    /// The step that failed, in words for the PR comment ("copy production data").
    pub step: String,
    /// What was done before the failure.
    pub outcome: Outcome,
    /// Whatever this run created was removed again.
    pub rolled_back: bool,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed at step `{}`",
            self.outcome.operation.as_str(),
            self.step
        )?;
        if self.rolled_back {
            write!(f, " (rolled back)")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// What the action needs from the lifecycle. The real implementation binds a `Platform` and a
/// `LifecycleConfig` built from the action's inputs; tests use a scripted one.
pub trait Lifecycle {
    fn up(&self, req: &UpRequest) -> impl Future<Output = anyhow::Result<Outcome>>;
    fn down(&self, pr: u64) -> impl Future<Output = anyhow::Result<Outcome>>;
    fn refresh(&self, pr: u64) -> impl Future<Output = anyhow::Result<Outcome>>;
    fn reap(&self, req: &ReapRequest) -> impl Future<Output = anyhow::Result<Outcome>>;
}
