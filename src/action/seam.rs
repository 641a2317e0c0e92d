//! The one seam between the action and the lifecycle: [`Lifecycle`], with the request and failure
//! types of `crate::lifecycle` (`up`/`down`/`refresh`/`reap` against a `Platform`).
//!
//! The real implementation is [`super::wire::RailwayLifecycle`]; tests of rendering use a
//! scripted one.

use std::future::Future;

use crate::lifecycle::Outcome;
use crate::lifecycle::base::BaseInfo;

pub use crate::lifecycle::{Failure, ReapRequest, UpRequest};

/// What the action needs from the lifecycle. The real implementation binds a `Platform` and a
/// `LifecycleConfig` built from the action's inputs; tests use a scripted one.
pub trait Lifecycle {
    fn up(&self, req: &UpRequest) -> impl Future<Output = anyhow::Result<Outcome>>;
    fn down(&self, pr: u64) -> impl Future<Output = anyhow::Result<Outcome>>;
    fn refresh(&self, pr: u64) -> impl Future<Output = anyhow::Result<Outcome>>;
    fn reap(&self, req: &ReapRequest) -> impl Future<Output = anyhow::Result<Outcome>>;
    /// `wpstage base refresh`: production copied once, anonymized, into the base snapshot.
    fn base_refresh(&self) -> impl Future<Output = anyhow::Result<BaseInfo>>;
}
