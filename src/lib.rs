//! wpstage: per-PR WordPress staging with production data streamed in, URLs rewritten and
//! personal data anonymized.
//!
//! Layering (one-way: a module uses only modules on its own or a lower layer), bottom up:
//!
//! 1. Foundations, using no other module: `postgres` (connection URLs, connecting, `pg_dump`,
//!    throwaway clusters), `railway` (Railway's GraphQL API), `transform` (the pure row
//!    transforms: COPY codec, URL rewrite, anonymization, and the user's transform settings),
//!    `generate` (the pure WordPress data generator), `event` (what a GitHub event asks for),
//!    `phases` (phase timing) and `logging`.
//! 2. `sync`: copies a database through `postgres`, rows through `transform`'s hooks.
//! 3. `pipeline` (wires `transform` into the sync stream and checks the copy), `generate_db`
//!    (writes `generate`'s data with sync's COPY helpers), `platform` (where environments live:
//!    Railway through `railway`, or a local server; uses sync's helpers) and `github` (the REST
//!    API, on `event` alone).
//! 4. `lifecycle`: `up`/`down`/`refresh`/`reap` against the `platform` seam, copying data with
//!    `sync` and `pipeline`.
//! 5. Adapters: `report` (an outcome as text), `setup` (builds the lifecycle and its platform
//!    from a front end's settings), `action` (the GitHub Action / Kestra adapter: turns an
//!    `event` into a lifecycle call and reports through `github`; nothing below it knows about
//!    GitHub) and, on top, `cli`, which validates options and calls the rest.

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
