//! A scripted [`Lifecycle`] that returns realistic outcomes without touching Railway: for tests
//! of the action's rendering and GitHub bookkeeping only. It records every call, so a test can
//! prove that a skipped run made none.

use std::sync::{Arc, Mutex, PoisonError};

use super::seam::{Failure, Lifecycle, ReapRequest, UpRequest};
use crate::lifecycle::base::BaseInfo;
use crate::lifecycle::{DataSummary, DeploymentSummary, FidelityIssue, Operation, Outcome};
use crate::phases::PhaseTime;

/// A call the scripted lifecycle received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Up(UpRequest),
    Down(u64),
    Refresh(u64),
    Reap(ReapRequest),
    BaseRefresh,
}

/// Answers every call with a realistic outcome, or fails `up` at a given step.
#[derive(Clone, Default)]
pub struct Scripted {
    calls: Arc<Mutex<Vec<Call>>>,
    /// `Some(step)`: `up` and `refresh` fail at this step (rolled back).
    pub fail_at: Option<String>,
    /// An error text to put in the failure (to prove redaction).
    pub fail_message: Option<String>,
}

impl Scripted {
    /// `up` and `refresh` fail at `step`; `message` (if any) is the error's context.
    pub fn failing(step: &str, message: Option<&str>) -> Self {
        Self {
            fail_at: Some(step.to_owned()),
            fail_message: message.map(str::to_owned),
            ..Self::default()
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn record(&self, call: Call) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(call);
    }

    fn fail(&self, op: Operation, pr: u64, step: &str) -> anyhow::Error {
        let mut outcome = Outcome::new(op, "railway", &format!("pr-{pr}"));
        outcome.pr = Some(pr);
        outcome.phases = vec![phase("create environment", 4.2)];
        outcome.duration_seconds = 4.2;
        let failure = Failure {
            step: step.to_owned(),
            outcome: Box::new(outcome),
            rolled_back: true,
            cause: anyhow::anyhow!("scripted failure"),
        };
        match &self.fail_message {
            Some(m) => anyhow::Error::new(failure).context(m.clone()),
            None => anyhow::Error::new(failure),
        }
    }
}

fn phase(name: &str, seconds: f64) -> PhaseTime {
    PhaseTime {
        phase: name.to_owned(),
        seconds,
    }
}

/// A realistic outcome of `up` for PR `pr` at `sha`.
pub fn sample_up(pr: u64, sha: &str, created: bool) -> Outcome {
    let mut o = Outcome::new(Operation::Up, "railway", &format!("pr-{pr}"));
    o.pr = Some(pr);
    o.environment_id = Some("4f0c2a8e-5b1d-4e57-9a43-0c6f1f8b2d11".to_owned());
    o.created = created;
    o.preview_url = Some(format!("https://wp-pr-{pr}.up.railway.app"));
    o.admin_url = Some(format!("https://wp-pr-{pr}.up.railway.app/wp-admin/"));
    o.data = Some(DataSummary {
        snapshot_time: "2026-11-27T07:22:07Z".to_owned(),
        tables: 41,
        rows: 1_284_517,
        bytes: 734_003_200,
        anonymized: true,
        random_key: false,
        anonymized_columns: 14,
        anonymized_values: 96_310,
        url_replacements: 18_244,
        rows_dropped: 5_120,
        transform_report: None,
        base: None,
    });
    o.deployment = Some(DeploymentSummary {
        id: "dep-7c1e".to_owned(),
        status: "SUCCESS".to_owned(),
        sha: sha.to_owned(),
        services: Vec::new(),
    });
    o.phases = vec![
        phase("create environment", 6.4),
        phase("snapshot + copy data", 71.9),
        phase("swap", 0.4),
        phase("deploy app", 48.2),
    ];
    o.api_calls = 23;
    o.fidelity = vec![FidelityIssue {
        kind: "variable".to_owned(),
        detail: "SMTP_HOST is not set in the PR environment".to_owned(),
    }];
    o.expires_at = Some("2026-12-04T07:24:15Z".to_owned());
    o.duration_seconds = 126.9;
    o
}

impl Lifecycle for Scripted {
    async fn up(&self, req: &UpRequest) -> anyhow::Result<Outcome> {
        self.record(Call::Up(req.clone()));
        if let Some(step) = &self.fail_at {
            return Err(self.fail(Operation::Up, req.pr, step));
        }
        Ok(sample_up(req.pr, &req.sha, true))
    }

    async fn down(&self, pr: u64) -> anyhow::Result<Outcome> {
        self.record(Call::Down(pr));
        let mut o = Outcome::new(Operation::Down, "railway", &format!("pr-{pr}"));
        o.pr = Some(pr);
        o.deleted = true;
        o.phases = vec![phase("delete environment", 3.1)];
        o.duration_seconds = 3.1;
        Ok(o)
    }

    async fn refresh(&self, pr: u64) -> anyhow::Result<Outcome> {
        self.record(Call::Refresh(pr));
        if let Some(step) = &self.fail_at {
            return Err(self.fail(Operation::Refresh, pr, step));
        }
        let mut o = sample_up(pr, "ec26c3e57ca3a959ca5aad62de7213c562f8c821", false);
        o.operation = Operation::Refresh;
        o.deployment = None;
        Ok(o)
    }

    async fn reap(&self, req: &ReapRequest) -> anyhow::Result<Outcome> {
        self.record(Call::Reap(req.clone()));
        let mut o = Outcome::new(Operation::Reap, "railway", "");
        o.reaped = vec!["pr-3".to_owned(), "pr-9".to_owned()];
        o.duration_seconds = 2.0;
        Ok(o)
    }

    async fn base_refresh(&self) -> anyhow::Result<BaseInfo> {
        self.record(Call::BaseRefresh);
        if let Some(step) = &self.fail_at {
            anyhow::bail!("scripted failure at {step}");
        }
        Ok(BaseInfo {
            name: "wpstage-base".to_owned(),
            snapshot_time: "2026-11-27T03:00:12Z".to_owned(),
            site_url: "https://www.client-site.example".to_owned(),
            key_fingerprint: "8c1f0e2d4b6a7788".to_owned(),
            tables: 41,
            rows: 1_284_517,
            bytes: 734_003_200,
        })
    }
}
