//! `up --overlap-build`: the app's deploy starts before the data copy so that it builds while
//! the data is copied. The platform guards it with a healthcheck that passes only on an
//! installed site, so the preview never serves an empty or half-copied database.

use super::config::LifecycleConfig;
use super::ops::{UpRequest, at, copy_production, deploy_now};
use super::outcome::Outcome;
use crate::phases::PhaseClock;
use crate::platform::{DeploymentSummary, EnvRef, Platform};
use crate::postgres::DbUrl;

/// Where the copy goes.
pub(super) struct Copy<'a> {
    pub staging: &'a DbUrl,
    pub preview: &'a str,
}

/// Starts the guarded deploy, copies the data, then deploys the other services and (unless
/// `--no-wait`) waits for everything. A platform that cannot guard a deploy copies first and
/// deploys after, as without the flag.
pub(super) async fn deploy_while_copying(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    req: &UpRequest,
    env: &EnvRef,
    copy: Copy<'_>,
    outcome: &mut Outcome,
    steps: &mut PhaseClock,
) -> Result<DeploymentSummary, (String, anyhow::Error)> {
    let guarded = platform
        .start_guarded_deploy(env, &req.sha, &cfg.healthcheck_path, cfg.deploy_timeout)
        .await
        .map_err(at("deploy"))?;
    let Some(guarded) = guarded else {
        outcome.warnings.push(format!(
            "--overlap-build: the {} platform cannot hold a deploy back until the data is \
             there, so the app was deployed after the copy",
            platform.name()
        ));
        copy_production(platform, cfg, env, copy.staging, copy.preview, outcome).await?;
        steps.mark("data copy");
        return deploy_now(platform, cfg, env, &req.sha)
            .await
            .map_err(at("deploy"));
    };
    outcome.warnings.extend(guarded.warnings.iter().cloned());
    steps.mark("deploy started");
    copy_production(platform, cfg, env, copy.staging, copy.preview, outcome).await?;
    steps.mark("data copy");
    platform
        .finish_guarded_deploy(
            env,
            &req.sha,
            guarded,
            cfg.wait_for_deploy,
            cfg.deploy_timeout,
        )
        .await
        .map_err(at("deploy"))
}
