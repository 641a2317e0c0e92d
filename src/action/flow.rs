//! One run of an intent: GitHub bookkeeping around the lifecycle call.

use std::io::{self, Write};
use std::process::ExitCode;

use super::commands::Level;
use super::comment::{self, Context, View};
use super::config::ActionConfig;
use super::runner_io::{self, Outputs, Ui};
use super::seam::{Failure, Lifecycle, ReapRequest, UpRequest};
use crate::event::Intent;
use crate::github::{self, DeploymentState, GitHub, GitHubError, StatusUpdate, StickyComment};
use crate::lifecycle::{Operation, Outcome};

pub(super) struct Flow<'c, 'o, W: Write> {
    cfg: &'c ActionConfig,
    github: Option<&'c GitHub>,
    ui: Ui<'o, W>,
    marker: String,
    /// The sticky comment as last read or written.
    comment: Option<StickyComment>,
    /// The comments were listed successfully (so `comment: None` means there is none).
    looked: bool,
    deployment: Option<u64>,
    /// A GitHub call failed (reported already): the run exits non-zero, the outcome stands.
    github_failed: bool,
    /// This run's log page, sent with every deployment status.
    log_url: Option<String>,
}

impl<'c, 'o, W: Write> Flow<'c, 'o, W> {
    pub(super) fn new(cfg: &'c ActionConfig, github: Option<&'c GitHub>, ui: Ui<'o, W>) -> Self {
        Self {
            cfg,
            github,
            ui,
            marker: github::marker(&cfg.instance_key()),
            comment: None,
            looked: false,
            deployment: None,
            github_failed: false,
            log_url: cfg.github.run_url(),
        }
    }

    pub(super) async fn execute<L: Lifecycle>(
        &mut self,
        lifecycle: &L,
        intent: Intent,
    ) -> anyhow::Result<ExitCode> {
        match intent {
            Intent::Up { pr, sha, branch } => {
                let ctx = self.context(pr, Some(sha.clone()), branch.clone());
                self.start(&ctx, Operation::Up, Some(&sha)).await?;
                self.ui
                    .group(&format!("wpstage up: {}", ctx.environment_name))?;
                let request = UpRequest {
                    pr,
                    sha,
                    branch,
                    refresh_data: false,
                    keep_on_failure: false,
                };
                let result = lifecycle.up(&request).await;
                self.ui.endgroup()?;
                self.finish(&ctx, Operation::Up, result).await
            }
            Intent::Refresh { pr } => {
                let ctx = self.context(pr, None, None);
                self.start(&ctx, Operation::Refresh, None).await?;
                self.ui
                    .group(&format!("wpstage refresh: {}", ctx.environment_name))?;
                let result = lifecycle.refresh(pr).await;
                self.ui.endgroup()?;
                self.finish(&ctx, Operation::Refresh, result).await
            }
            Intent::Down { pr } => {
                let ctx = self.context(pr, None, None);
                self.ui
                    .group(&format!("wpstage down: {}", ctx.environment_name))?;
                let result = lifecycle.down(pr).await;
                self.ui.endgroup()?;
                self.finish(&ctx, Operation::Down, result).await
            }
            Intent::Reap => self.reap(lifecycle).await,
            Intent::BaseRefresh => self.base_refresh(lifecycle).await,
            Intent::Dispatch { .. } | Intent::Skip(_) | Intent::Ignore(_) => {
                // Resolved before the lifecycle is built.
                Ok(ExitCode::SUCCESS)
            }
        }
    }

    fn context(&self, pr: u64, sha: Option<String>, branch: Option<String>) -> Context {
        let gh = &self.cfg.github;
        Context {
            marker: self.marker.clone(),
            pr,
            sha,
            branch,
            environment_name: self.cfg.environment_name(pr),
            run_url: gh.run_url(),
            refresh_url: gh.repository.as_ref().map(|r| {
                format!(
                    "{}/{r}/actions/workflows/{}",
                    gh.server_url, self.cfg.refresh_workflow
                )
            }),
            refresh_workflow: self.cfg.refresh_workflow.clone(),
            ttl: self.cfg.ttl,
        }
    }

    /// Reports a GitHub failure and carries on.
    fn github_error(&mut self, e: GitHubError) -> io::Result<()> {
        self.github_failed = true;
        self.ui
            .annotate(Level::Error, "wpstage: GitHub API", &e.to_string())
    }

    /// Comment "starting" (created if missing) and, for `up`, a deployment `in_progress`.
    async fn start(&mut self, ctx: &Context, op: Operation, sha: Option<&str>) -> io::Result<()> {
        let Some(gh) = self.github else {
            return Ok(());
        };
        self.ui.group("GitHub: PR comment and deployment")?;
        let found = gh.find_comment(ctx.pr, &self.marker).await;
        let previous_url = match found {
            Ok(found) => {
                self.comment = found;
                self.looked = true;
                self.comment
                    .as_ref()
                    .and_then(|c| c.body.as_deref())
                    .and_then(comment::previous_preview_url)
            }
            Err(e) => {
                self.github_error(e)?;
                None
            }
        };
        // Only when the list could be read: else a second comment could appear.
        if self.looked {
            self.write_comment(ctx, View::Starting(op), true).await?;
        }
        if let (Operation::Up, Some(sha)) = (op, sha) {
            let instance = self.cfg.instance_key();
            match gh
                .create_deployment(sha, &self.cfg.github_environment, ctx.pr, &instance)
                .await
            {
                Ok(id) => {
                    self.deployment = Some(id);
                    let update = self.status(
                        DeploymentState::InProgress,
                        previous_url.as_deref(),
                        "Creating the staging environment",
                    );
                    if let Err(e) = gh.set_deployment_status(id, &update).await {
                        self.github_error(e)?;
                    }
                }
                Err(e) => self.github_error(e)?,
            }
        }
        self.ui.endgroup()
    }

    /// A status with the run's log link on every update (GitHub drops the deployment's links
    /// from the PR when a later status omits them).
    fn status<'a>(
        &'a self,
        state: DeploymentState,
        environment_url: Option<&'a str>,
        description: &'a str,
    ) -> StatusUpdate<'a> {
        StatusUpdate {
            state,
            environment: &self.cfg.github_environment,
            environment_url,
            log_url: self.log_url.as_deref(),
            description,
        }
    }

    async fn write_comment(
        &mut self,
        ctx: &Context,
        view: View<'_>,
        create: bool,
    ) -> io::Result<()> {
        let Some(gh) = self.github else {
            return Ok(());
        };
        let already_gone = matches!(view, View::TornDown(o) if !o.deleted);
        let body = self.ui.secrets().redact(&comment::render(ctx, view));
        if !self.looked {
            // Never listed, or the listing failed: look (again) rather than risk a duplicate.
            match gh.find_comment(ctx.pr, &self.marker).await {
                Ok(found) => {
                    self.comment = found;
                    self.looked = true;
                }
                Err(e) => return self.github_error(e),
            }
        }
        // A rerun of the teardown finds nothing to delete: the comment written when the
        // environment was deleted stays (it is the accurate one).
        if already_gone
            && self
                .comment
                .as_ref()
                .and_then(|c| c.body.as_deref())
                .is_some_and(|b| comment::is_torn_down(b, ctx.pr))
        {
            return self
                .ui
                .line("PR comment: unchanged (it already says staging was removed)");
        }
        match gh
            .write_comment(ctx.pr, &self.marker, self.comment.as_ref(), &body, create)
            .await
        {
            Ok((written, how)) => {
                if written.is_some() {
                    self.comment = written;
                }
                self.ui.line(&format!("PR comment: {}", how.as_str()))
            }
            Err(e) => self.github_error(e),
        }
    }

    async fn finish(
        &mut self,
        ctx: &Context,
        op: Operation,
        result: anyhow::Result<Outcome>,
    ) -> anyhow::Result<ExitCode> {
        let run_url = ctx.run_url.clone();
        let failure: Option<&Failure> = result.as_ref().err().and_then(|e| e.downcast_ref());
        let message = result
            .as_ref()
            .err()
            .map(|e| self.ui.secrets().redact(&format!("{e:#}")));
        let view_outcome = match &result {
            Ok(o) => Some(o),
            Err(_) => failure.map(|f| f.outcome.as_ref()),
        };
        let view = match &result {
            Ok(o) if op == Operation::Down => View::TornDown(o),
            Ok(o) => View::Ready(o),
            Err(_) => View::Failed {
                operation: op,
                step: failure.map_or("run the lifecycle", |f| f.step.as_str()),
                message: message.as_deref().unwrap_or_default(),
                rolled_back: failure.is_some_and(|f| f.rolled_back),
                outcome: view_outcome,
            },
        };
        if self.github.is_some() {
            self.ui.group("GitHub: PR comment and deployment")?;
            self.write_comment(ctx, view, op != Operation::Down).await?;
            self.close_deployment(ctx, op, result.is_ok(), view_outcome, run_url.as_deref())
                .await?;
            self.ui.endgroup()?;
        }
        let mut outputs = view_outcome.map(Outputs::from_outcome).unwrap_or_default();
        outputs.operation = op.as_str().to_owned();
        if outputs.environment_name.is_empty() {
            outputs.environment_name = ctx.environment_name.clone();
        }
        outputs.comment_id = self
            .comment
            .as_ref()
            .map(|c| c.id.to_string())
            .unwrap_or_default();
        outputs.deployment_id = self.deployment.map(|d| d.to_string()).unwrap_or_default();
        outputs.write(self.cfg, &mut self.ui)?;
        runner_io::write_summary(self.cfg, &self.ui, &comment::render_body(ctx, view))?;
        match (&result, &message) {
            (Ok(o), _) => {
                let said = match (op, &o.preview_url) {
                    (Operation::Down, _) => format!("Staging {} removed", o.environment_name),
                    (_, Some(url)) => format!("Staging for PR #{} is ready: {url}", ctx.pr),
                    (_, None) => format!("Staging for PR #{} is ready", ctx.pr),
                };
                self.ui.annotate(Level::Notice, "wpstage", &said)?;
            }
            (Err(_), msg) => {
                let title = format!("wpstage {} failed", op.as_str());
                self.ui
                    .annotate(Level::Error, &title, msg.as_deref().unwrap_or_default())?;
                return Ok(ExitCode::FAILURE);
            }
        }
        if self.github_failed {
            self.ui.annotate(
                Level::Error,
                "wpstage: GitHub API",
                "the staging environment is fine, but the PR comment or deployment status could \
                 not be written; re-run the job to repair them",
            )?;
            return Ok(ExitCode::FAILURE);
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn close_deployment(
        &mut self,
        ctx: &Context,
        op: Operation,
        ok: bool,
        outcome: Option<&Outcome>,
        log_url: Option<&str>,
    ) -> io::Result<()> {
        let Some(gh) = self.github else {
            return Ok(());
        };
        let url = outcome.and_then(|o| o.preview_url.as_deref());
        let update = StatusUpdate {
            log_url,
            ..self.status(DeploymentState::Success, url, "Staging is ready")
        };
        if op == Operation::Down {
            if !ok {
                return Ok(());
            }
            let inactive = StatusUpdate {
                state: DeploymentState::Inactive,
                description: "Staging environment deleted",
                ..update
            };
            let instance = self.cfg.instance_key();
            return match gh
                .deactivate_pr_deployments(&inactive, ctx.pr, &instance)
                .await
            {
                Ok(n) => self.ui.line(&format!("deployments set inactive: {n}")),
                Err(e) => self.github_error(e),
            };
        }
        let Some(id) = self.deployment else {
            return Ok(());
        };
        let update = if ok {
            update
        } else {
            StatusUpdate {
                state: DeploymentState::Failure,
                description: "Staging failed; see the run log",
                ..update
            }
        };
        match gh.set_deployment_status(id, &update).await {
            Ok(()) => Ok(()),
            Err(e) => self.github_error(e),
        }
    }

    async fn base_refresh<L: Lifecycle>(&mut self, lifecycle: &L) -> anyhow::Result<ExitCode> {
        self.ui.group("wpstage base refresh")?;
        let started = std::time::Instant::now();
        let result = lifecycle.base_refresh().await;
        self.ui.endgroup()?;
        match result {
            Ok(info) => {
                let outputs = Outputs {
                    operation: "base-refresh".to_owned(),
                    environment_name: info.name.clone(),
                    rows_copied: info.rows.to_string(),
                    bytes_copied: info.bytes.to_string(),
                    duration_seconds: format!("{:.1}", started.elapsed().as_secs_f64()),
                    ..Outputs::default()
                };
                outputs.write(self.cfg, &mut self.ui)?;
                runner_io::write_summary(self.cfg, &self.ui, &runner_io::base_summary(&info))?;
                let said = format!(
                    "base snapshot {} refreshed: {} rows in {} tables (production snapshot {})",
                    info.name, info.rows, info.tables, info.snapshot_time
                );
                self.ui
                    .annotate(Level::Notice, "wpstage base refresh", &said)?;
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                let message = self.ui.secrets().redact(&format!("{e:#}"));
                self.ui
                    .annotate(Level::Error, "wpstage base refresh failed", &message)?;
                Ok(ExitCode::FAILURE)
            }
        }
    }

    async fn reap<L: Lifecycle>(&mut self, lifecycle: &L) -> anyhow::Result<ExitCode> {
        let mut open_prs = self.cfg.open_prs.clone();
        if open_prs.is_none()
            && let Some(gh) = self.github
        {
            match gh.open_pull_requests().await {
                Ok(prs) => open_prs = Some(prs),
                Err(e) => self.github_error(e)?,
            }
        }
        if open_prs.is_none() {
            self.ui.annotate(
                Level::Warning,
                "wpstage reap",
                "the open PRs are unknown (no `open_prs` input, no GitHub token): only \
                 environments older than `ttl` are removed",
            )?;
        }
        self.ui.group("wpstage reap")?;
        let request = ReapRequest {
            max_age: self.cfg.ttl,
            open_prs,
            dry_run: false,
        };
        let result = lifecycle.reap(&request).await;
        self.ui.endgroup()?;
        match result {
            Ok(o) => {
                let mut outputs = Outputs::from_outcome(&o);
                outputs.operation = "reap".to_owned();
                outputs.write(self.cfg, &mut self.ui)?;
                runner_io::write_summary(self.cfg, &self.ui, &runner_io::reap_summary(&o))?;
                let said = format!("{} stale environment(s) removed", o.reaped.len());
                self.ui.annotate(Level::Notice, "wpstage reap", &said)?;
                Ok(if self.github_failed {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                })
            }
            Err(e) => {
                let message = self.ui.secrets().redact(&format!("{e:#}"));
                self.ui
                    .annotate(Level::Error, "wpstage reap failed", &message)?;
                Ok(ExitCode::FAILURE)
            }
        }
    }
}
