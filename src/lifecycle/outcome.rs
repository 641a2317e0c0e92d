//! What a lifecycle operation produced: the one value every adapter (CLI, GitHub Action, Kestra)
//! renders. It never holds a secret.

use serde::Serialize;

use crate::phases::PhaseTime;
pub use crate::platform::{DeploymentSummary, FidelityIssue, ServiceDeployment};
use crate::transform::RunReport;

/// The lifecycle operation that ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Up,
    Down,
    Refresh,
    Reap,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Up => "up",
            Operation::Down => "down",
            Operation::Refresh => "refresh",
            Operation::Reap => "reap",
        }
    }
}

/// The data that was copied into staging. It travels as JSON from a copy inside the
/// environment (`--copy-in railway`), without the transform report (that stays in its log).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct DataSummary {
    /// When the production snapshot was taken (RFC 3339, UTC).
    pub snapshot_time: String,
    pub tables: usize,
    pub rows: u64,
    pub bytes: u64,
    /// Whether anonymization ran (it is on unless explicitly turned off).
    pub anonymized: bool,
    /// Whether the anonymization key was generated for this run (pseudonyms differ per run).
    pub random_key: bool,
    pub anonymized_columns: u64,
    pub anonymized_values: u64,
    pub url_replacements: u64,
    pub rows_dropped: u64,
    /// The full transform report (per table and column), when transforms ran.
    #[serde(skip_deserializing)]
    pub transform_report: Option<RunReport>,
    /// The base snapshot the data was cloned from (`None`: streamed from production).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
}

impl DataSummary {
    /// Which snapshot the data comes from, for people: `production snapshot`, or
    /// `base snapshot wpstage_base (2h 5m old)`.
    pub fn origin(&self) -> String {
        let Some(base) = &self.base else {
            return "production snapshot".to_owned();
        };
        let age = humantime::parse_rfc3339(&self.snapshot_time)
            .ok()
            .and_then(|t| std::time::SystemTime::now().duration_since(t).ok())
            .map(|d| std::time::Duration::from_secs(d.as_secs() / 60 * 60));
        match age {
            Some(age) if age.as_secs() > 0 => {
                format!(
                    "base snapshot {base} ({} old)",
                    humantime::format_duration(age)
                )
            }
            _ => format!("base snapshot {base} (under a minute old)"),
        }
    }
}

/// The result of `up`, `down`, `refresh` or `reap`.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub operation: Operation,
    /// `railway` or `local`.
    pub platform: String,
    pub pr: Option<u64>,
    pub environment_name: String,
    pub environment_id: Option<String>,
    /// `up`: the environment was created by this run (not reused).
    pub created: bool,
    /// `down`: the environment existed and was deleted (false: it was already gone).
    pub deleted: bool,
    pub preview_url: Option<String>,
    pub admin_url: Option<String>,
    pub data: Option<DataSummary>,
    pub deployment: Option<DeploymentSummary>,
    pub phases: Vec<PhaseTime>,
    /// Requests sent to the platform's API (Railway), excluding deploy polling.
    pub api_calls: u64,
    pub api_polls: u64,
    pub fidelity: Vec<FidelityIssue>,
    /// When a reaper will consider this environment stale (RFC 3339).
    pub expires_at: Option<String>,
    /// `reap`: environments deleted (or that would be, in a dry run).
    pub reaped: Vec<String>,
    /// `reap`: helper databases (`…__wpstage_next`, `…__wpstage_old`) that interrupted copies
    /// left behind, removed (or that would be, in a dry run).
    pub reaped_helpers: Vec<String>,
    pub dry_run: bool,
    pub warnings: Vec<String>,
    pub duration_seconds: f64,
}

impl Outcome {
    pub fn new(operation: Operation, platform: &str, environment_name: &str) -> Self {
        Self {
            operation,
            platform: platform.to_owned(),
            pr: None,
            environment_name: environment_name.to_owned(),
            environment_id: None,
            created: false,
            deleted: false,
            preview_url: None,
            admin_url: None,
            data: None,
            deployment: None,
            phases: Vec::new(),
            api_calls: 0,
            api_polls: 0,
            fidelity: Vec::new(),
            expires_at: None,
            reaped: Vec::new(),
            reaped_helpers: Vec::new(),
            dry_run: false,
            warnings: Vec::new(),
            duration_seconds: 0.0,
        }
    }
}
