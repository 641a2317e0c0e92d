//! `down`: deleting a PR's environment once no other wpstage run is on it.

use std::time::{Duration, Instant};

use super::config::LifecycleConfig;
use super::ops::{down_held, fail};
use super::outcome::{Operation, Outcome};
use crate::platform::{Platform, RunInProgress, RunLock};

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
    let lock = hold_waiting(platform, cfg, pr, wait).await?;
    let result = down_held(platform, cfg, pr).await;
    lock.release().await;
    result
}

/// Takes the PR's environment lock, retrying while another run holds it, for at most `wait`.
async fn hold_waiting(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    pr: u64,
    wait: Duration,
) -> anyhow::Result<RunLock> {
    let name = cfg.environment_name(pr);
    let deadline = Instant::now() + wait;
    let mut said = false;
    loop {
        match platform.lock_environment(&name).await {
            Ok(lock) => return Ok(lock),
            Err(e) if e.is::<RunInProgress>() && Instant::now() < deadline => {
                if !said {
                    tracing::warn!(
                        environment = %name,
                        "another wpstage run is on this environment; waiting for it to finish \
                         before deleting it"
                    );
                    said = true;
                }
                tokio::time::sleep(Duration::from_millis(500).min(wait)).await;
            }
            Err(cause) => {
                let mut outcome = Outcome::new(Operation::Down, platform.name(), &name);
                outcome.pr = Some(pr);
                let cause = if cause.is::<RunInProgress>() {
                    cause.context(format!(
                        "waited {} s for it; nothing was deleted, rerun `down` when it has ended",
                        wait.as_secs()
                    ))
                } else {
                    cause
                };
                return Err(fail("lock environment", outcome, false, cause));
            }
        }
    }
}
