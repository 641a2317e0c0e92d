//! Integration tests against real PostgreSQL clusters started by the harness.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod lifecycle_local;
mod railway_client;
mod railway_platform;
mod railway_sim;
mod support;
mod sync_errors;
mod sync_fidelity;
mod sync_safety;
mod wordpress;
