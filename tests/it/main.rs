//! Integration tests against real PostgreSQL clusters started by the harness, and the action
//! against a simulated GitHub on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod action_e2e;
mod action_e2e_secrets;
mod action_examples;
mod action_github;
mod action_secrets;
mod base_local;
mod cli_railway;
mod cli_usage;
mod container;
mod fake_github;
mod fault_proxy;
mod faults;
mod lifecycle_local;
mod lifecycle_local_runs;
mod lifecycle_railway;
mod lifecycle_railway_behaves;
mod lifecycle_railway_faults;
mod plugins;
mod plugins_site;
mod railway_client;
mod railway_platform;
mod railway_sim;
mod support;
mod support_s1;
mod sync_errors;
mod sync_fidelity;
mod sync_identity;
mod sync_key_first;
mod sync_limits;
mod sync_safety;
mod tls;
mod waste;
mod wordpress;
mod wordpress_real_data;
