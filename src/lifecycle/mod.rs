//! The PR environment lifecycle: `up`, `down`, `refresh`, `reap`, written once against the
//! [`Platform`](crate::platform::Platform) seam, each idempotent and rolled back on failure.

mod app_vars;
pub mod base;
mod config;
pub mod copy_in;
pub mod data;
mod down;
mod ops;
mod outcome;
mod overlap;

pub use config::{DEFAULT_HEALTHCHECK_PATH, LifecycleConfig, TransformSettings, default_jobs};
pub use down::{DOWN_WAITS_FOR_A_RUN, down, down_waiting};
pub use ops::{Failure, ReapRequest, UpRequest, reap, refresh, up};
pub use outcome::{
    DataSummary, DeploymentSummary, FidelityIssue, Operation, Outcome, ServiceDeployment,
};
