//! Everything that talks to PostgreSQL: connection URLs (a secret type), connecting with errors
//! that name the side, the `pg_dump` tool, and throwaway local clusters.

mod bindir;
pub mod cluster;
mod connect;
mod error;
mod tls;
pub mod tools;
mod url;

pub use connect::{connect, connect_source, quote_ident, quote_literal, server_major, user_tables};
pub use error::{PgError, PgErrorKind, Side};
pub use url::{DbUrl, UrlError};
