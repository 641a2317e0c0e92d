//! The PR environment lifecycle: `up`, `down`, `refresh`, `reap`, written once against the
//! [`Platform`](crate::platform::Platform) seam, each idempotent and rolled back on failure.

mod outcome;

pub use outcome::{DataSummary, DeploymentSummary, FidelityIssue, Operation, Outcome};
