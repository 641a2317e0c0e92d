//! `down`: deleting a PR's environment once no other wpstage run is on it.

use std::time::Duration;

use super::config::LifecycleConfig;
use super::ops::{down_held, hold};
use super::outcome::{Operation, Outcome};
use crate::platform::Platform;

/// Deletes the PR's environment. An environment that is already gone is success. A run of
/// `up` or `refresh` for the PR that is still going is waited for (see [`down_waiting`]).
pub async fn down(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    pr: u64,
) -> anyhow::Result<Outcome> {
    down_waiting(platform, cfg, pr, DOWN_WAITS_FOR_A_RUN).await
}

/// How long `down` waits for an `up` or `refresh` of the same PR to finish: longer than a copy
/// and a deploy take (the deploy timeout is 15 minutes by default).
pub const DOWN_WAITS_FOR_A_RUN: Duration = Duration::from_secs(20 * 60);

/// [`down`], waiting at most `wait` for another run on the PR's environment to end first: a
/// `down` that cut a running `up` short would leave that run to fail half-way, and a `down` that
/// gave up at once would leave the closed PR's copy of the site behind.
pub async fn down_waiting(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    pr: u64,
    wait: Duration,
) -> anyhow::Result<Outcome> {
    let lock = hold(platform, cfg, Operation::Down, pr, wait).await?;
    let result = down_held(platform, cfg, pr).await;
    lock.release().await;
    result
}
