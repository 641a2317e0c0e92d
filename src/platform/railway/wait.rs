//! Bounded, backing-off polling of a deployment until it is running or has failed.

use std::time::{Duration, Instant};

use tracing::info;

use super::RailwayPlatformError;
use crate::railway::{Deployment, RailwayClient};

/// How deployments are polled: starting at `initial`, doubling up to `max`.
#[derive(Debug, Clone)]
pub struct PollPolicy {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        // ~5 s steady state keeps a 10-minute wait at ~120 polls (Railway's hourly budget).
        Self {
            initial: Duration::from_secs(2),
            max: Duration::from_secs(10),
        }
    }
}

/// Polls deployment `id` until SUCCESS/SLEEPING (Ok), a failed status, or `timeout`.
pub async fn deployment(
    client: &RailwayClient,
    poll: &PollPolicy,
    id: &str,
    service: &str,
    timeout: Duration,
) -> Result<Deployment, RailwayPlatformError> {
    let start = Instant::now();
    let mut delay = poll.initial;
    let mut last = None;
    loop {
        let d = client.deployment(id).await?;
        if d.status.is_ok() {
            info!(
                deployment = id,
                service,
                status = d.status.as_str(),
                "deployed"
            );
            return Ok(d);
        }
        if d.status.is_failed() {
            return Err(RailwayPlatformError::DeployFailed {
                service: service.to_owned(),
                deployment: id.to_owned(),
                status: d.status.as_str().to_owned(),
            });
        }
        if last != Some(d.status) {
            info!(
                deployment = id,
                service,
                status = d.status.as_str(),
                "waiting"
            );
            last = Some(d.status);
        }
        // Slower when Railway says the token's hourly budget is running out.
        let pause = client.rate_budget().map_or(delay, |b| b.stretch(delay));
        if start.elapsed() + pause > timeout {
            return Err(RailwayPlatformError::DeployTimeout {
                service: service.to_owned(),
                deployment: id.to_owned(),
                status: d.status.as_str().to_owned(),
                waited: start.elapsed(),
            });
        }
        tokio::time::sleep(pause).await;
        delay = (delay * 2).min(poll.max);
    }
}
