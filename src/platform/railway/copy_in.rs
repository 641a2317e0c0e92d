//! `--copy-in railway`: the copy runs in a one-off service inside the PR environment, created
//! from wpstage's own image. It reads production over production's public URL (another
//! environment's private network cannot be reached) and writes the PR database over the
//! environment's private network (a `${{Postgres.DATABASE_URL}}` reference, rendered by Railway
//! inside the environment, never seen here). This process only orchestrates: it creates the
//! service, follows its deployment's log until the job's report (or error) line, and deletes the
//! service again on success, failure and cancellation (Ctrl-C / SIGTERM while it waits).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tracing::{info, warn};

use super::{EnvRef, RailwayPlatform};
use crate::platform::copy_job::{
    CopyJob, CopyJobFailed, CopyRun, SOURCE_URL_VAR, TARGET_URL_VAR, marked,
};
use crate::railway::{OneOffService, VariableSet};

/// Log lines of a failed job shown when it printed no error line of its own.
const TAIL_LINES: usize = 5;

/// How the job ended, before the service is removed.
enum Ended {
    Report(String),
    Failed(String),
}

impl RailwayPlatform {
    /// Runs `job` in a one-off service in `env`; see the module documentation.
    pub(super) async fn copy_in_environment(
        &self,
        env: &EnvRef,
        job: &CopyJob,
    ) -> anyhow::Result<CopyRun> {
        let source = match &job.source {
            Some(url) => url.clone(),
            None => crate::platform::Platform::source_database(self).await?,
        };
        let database = self.roles().await?.database;
        let mut vars: VariableSet = job
            .variables
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        vars.insert(SOURCE_URL_VAR, source.expose());
        vars.insert(
            TARGET_URL_VAR,
            format!("${{{{{}.DATABASE_URL}}}}", database.name),
        );
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let name = format!("wpstage-copy-{stamp}");
        let service = self
            .client
            .create_service(self.project(), &env.id, &name)
            .await?;
        info!(service = %service.name, environment = %env.name, image = %job.image, "copy service created");
        let ended = self.run_and_follow(env, &service.id, job, &vars).await;
        let removed = match self.client.delete_service(&env.id, &service.id).await {
            Ok(true) => Ok(()),
            Ok(false) => Err("Railway answered false".to_owned()),
            Err(e) => Err(e.to_string()),
        };
        let removed_text = match &removed {
            Ok(()) => "removed".to_owned(),
            Err(e) => format!(
                "NOT removed ({e}); delete it in the Railway dashboard (environment {})",
                env.name
            ),
        };
        let mut warnings = Vec::new();
        if let Err(e) = &removed {
            warn!(service = %service.name, "the copy service could not be removed: {e}");
            warnings.push(format!(
                "the copy service {} in environment {} could not be removed ({e}); delete it in \
                 the Railway dashboard",
                service.name, env.name
            ));
        }
        let failed = |message: String| CopyJobFailed {
            message,
            service: service.name.clone(),
            removed: removed_text.clone(),
        };
        match ended {
            Ok(Ended::Report(report)) => Ok(CopyRun { report, warnings }),
            Ok(Ended::Failed(message)) => Err(failed(message).into()),
            Err(e) => Err(failed(format!("{e:#}")).into()),
        }
    }

    /// Configures and deploys the service, then follows it until it reports, fails, times out
    /// or this process is told to stop.
    async fn run_and_follow(
        &self,
        env: &EnvRef,
        service_id: &str,
        job: &CopyJob,
        vars: &VariableSet,
    ) -> anyhow::Result<Ended> {
        let run = OneOffService {
            image: &job.image,
            start_command: &job.command,
        };
        self.client
            .set_one_off_source(&env.id, service_id, &run)
            .await?;
        self.client
            .upsert_variables(self.project(), &env.id, Some(service_id), vars, true)
            .await?;
        let deployment = self
            .client
            .deploy_service(&env.id, service_id, None)
            .await?;
        info!(deployment = %deployment, "copy started inside the environment");
        tokio::select! {
            ended = self.follow(&deployment, job.timeout) => ended,
            signal = stop_signal() => {
                anyhow::bail!("cancelled ({signal}) while the copy was running")
            }
        }
    }

    /// Polls the deployment's log and status until the job's report or error line, a failed
    /// deployment, or `timeout`.
    async fn follow(&self, deployment: &str, timeout: Duration) -> anyhow::Result<Ended> {
        let start = Instant::now();
        let mut delay = self.config.poll.initial;
        let mut seen = 0;
        let mut tail: Vec<String> = Vec::new();
        loop {
            // The status first: a job that has ended has written its whole log.
            let status = self.client.deployment(deployment).await?.status;
            let lines = self.client.deployment_logs(deployment).await?;
            for line in lines.iter().skip(seen) {
                if marked(&line.message).is_none() {
                    info!("copy: {}", line.message.trim_end());
                    tail.push(line.message.trim_end().to_owned());
                    if tail.len() > TAIL_LINES {
                        tail.remove(0);
                    }
                }
            }
            // Every line, not only the new ones: should Railway return the newest lines of a
            // longer log, the marked line is still among them.
            match lines.iter().find_map(|l| marked(&l.message)) {
                Some(Ok(report)) => return Ok(Ended::Report(report.to_owned())),
                Some(Err(error)) => return Ok(Ended::Failed(error.to_owned())),
                None => {}
            }
            seen = seen.max(lines.len());
            if status.is_failed() {
                return Ok(Ended::Failed(format!(
                    "its deployment {deployment} ended {} without a report; its last log lines: {}",
                    status.as_str(),
                    tail.join(" | ")
                )));
            }
            let pause = self
                .client
                .rate_budget()
                .map_or(delay, |b| b.stretch(delay));
            if start.elapsed() + pause > timeout {
                anyhow::bail!(
                    "no report within {timeout:?} (deployment {deployment} is {})",
                    status.as_str()
                );
            }
            tokio::time::sleep(pause).await;
            delay = (delay * 2).min(self.config.poll.max);
        }
    }
}

/// Resolves when this process is asked to stop (Ctrl-C, or SIGTERM as `docker stop` and a
/// cancelled GitHub job send it); never when the signals cannot be watched.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => tokio::select! {
                _ = int.recv() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            Err(_) => std::future::pending().await,
        }
    }
}
