//! The production [`Lifecycle`]: where the action meets `crate::lifecycle`.
//!
//! WIRING (lead): [`connect`] is the single function to complete after merging the lifecycle.
//! Build the Railway platform and the `LifecycleConfig` from `cfg` (project id, source
//! environment, services, site URL, anonymization, TTL, deploy wait/timeout; the token is
//! `cfg.require_railway_token()?`), register every credential the platform derives with
//! `secrets.add(..)` (e.g. the staging database URL and its password) before it can be logged,
//! and implement the four methods as direct calls to `crate::lifecycle::{up, down, refresh,
//! reap}`.

use super::commands::Secrets;
use super::config::ActionConfig;
use super::seam::{Lifecycle, ReapRequest, UpRequest};
use crate::lifecycle::Outcome;

/// Why the production lifecycle could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error(
        "this build of wpstage has no lifecycle wired into `wpstage action`; use a released \
         image (ghcr.io/OWNER/wpstage:VERSION)"
    )]
    NotWired,
}

/// The lifecycle that talks to Railway.
pub struct RailwayLifecycle {
    _private: (),
}

/// Builds the production lifecycle from the validated configuration.
pub fn connect(cfg: &ActionConfig, secrets: Secrets) -> anyhow::Result<RailwayLifecycle> {
    cfg.require_railway_token()?;
    drop(secrets);
    Err(WireError::NotWired.into())
}

impl Lifecycle for RailwayLifecycle {
    async fn up(&self, _req: &UpRequest) -> anyhow::Result<Outcome> {
        Err(WireError::NotWired.into())
    }
    async fn down(&self, _pr: u64) -> anyhow::Result<Outcome> {
        Err(WireError::NotWired.into())
    }
    async fn refresh(&self, _pr: u64) -> anyhow::Result<Outcome> {
        Err(WireError::NotWired.into())
    }
    async fn reap(&self, _req: &ReapRequest) -> anyhow::Result<Outcome> {
        Err(WireError::NotWired.into())
    }
}
