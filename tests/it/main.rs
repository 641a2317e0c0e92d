//! Integration tests against real PostgreSQL clusters started by the harness, and the action
//! against a simulated GitHub on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod action_e2e;
mod action_e2e_secrets;
mod action_examples;
mod action_github;
mod action_secrets;
mod cli_railway;
mod cli_usage;
mod fake_github;
mod lifecycle_local;
mod lifecycle_railway;
mod lifecycle_railway_faults;
mod railway_client;
mod railway_platform;
mod railway_sim;
mod support;
mod sync_errors;
mod sync_fidelity;
mod sync_safety;
mod tls;
mod wordpress;
