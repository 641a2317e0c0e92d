//! What a platform reports back about a PR environment: the app's deployment (and the services
//! deployed beside it) and where the environment differs from its source. The lifecycle puts
//! them in its outcome as they are.

use serde::Serialize;

/// The app deployment of the PR's code.
#[derive(Debug, Clone, Serialize)]
pub struct DeploymentSummary {
    pub id: String,
    pub status: String,
    pub sha: String,
    /// The other services deployed with the app because production runs them (Redis, workers,
    /// cron); services production does not run stay as production has them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceDeployment>,
}

/// A service deployed beside the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceDeployment {
    pub name: String,
    pub id: String,
    /// `SUCCESS`, `SLEEPING`, or `TRIGGERED` when not waited for.
    pub status: String,
}

/// A difference between the PR environment and its source environment that was not intended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FidelityIssue {
    /// `service`, `variable`, `volume`, `domain`, or `deployment` (a service production runs
    /// does not run in the PR environment).
    pub kind: String,
    /// What differs; variable values are never included, only names.
    pub detail: String,
}
