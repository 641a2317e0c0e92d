//! wpstage: per-PR WordPress staging with production data streamed in, URLs rewritten and
//! personal data anonymized.
//!
//! Layering (one-way): `cli` builds a validated config and calls the engines; `sync` copies a
//! database through the `postgres` module. `action` is the GitHub Action / Kestra adapter: it
//! turns an `event` into a lifecycle call and reports through `github`; nothing below it knows
//! about GitHub.

pub mod action;
pub mod cli;
pub mod event;
pub mod generate;
pub mod generate_db;
pub mod github;
pub mod lifecycle;
pub mod logging;
pub mod phases;
pub mod pipeline;
pub mod platform;
pub mod postgres;
pub mod railway;
pub mod report;
pub mod setup;
pub mod sync;
pub mod transform;
