//! Errors of the transform layer. Every message says what to do next.

use thiserror::Error;

/// Why a row or a configuration was rejected.
#[derive(Debug, Error)]
pub enum TransformError {
    #[error(
        "COPY row of table {table} is malformed: {reason}; the source sent data that is not PostgreSQL text COPY format (check the COPY statement and client encoding)"
    )]
    MalformedRow { table: String, reason: String },

    #[error(
        "table {table}: the row has {found} fields but {expected} columns were expected; the column list given to COPY and the table description disagree"
    )]
    ColumnCount {
        table: String,
        expected: usize,
        found: usize,
    },

    #[error(
        "{table}.{column} (row key {row_key}): the rewritten value has {len} characters but the column allows {max}; use a shorter staging URL, widen the column on the target, or exclude the column from URL rewriting"
    )]
    ValueTooLong {
        table: String,
        column: String,
        row_key: String,
        len: usize,
        max: u32,
    },

    #[error(
        "{table}.{column} (row key {row_key}): {reason}; the value holds personal data that cannot be anonymized safely, so the copy stops instead of leaking it (fix the value in production or add a `delete_row`/`null` rule for it)"
    )]
    CannotAnonymize {
        table: String,
        column: String,
        row_key: String,
        reason: String,
    },

    #[error(
        "{table}.{column} (row key {row_key}): {reason}; strict mode refuses values that still point at production (run without --strict to copy them unchanged and see the report)"
    )]
    StrictSkip {
        table: String,
        column: String,
        row_key: String,
        reason: String,
    },

    #[error(
        "two different {kind} values map to the same pseudonym {pseudonym:?}; use another anonymization key (or keep one of the users) and run again"
    )]
    PseudonymCollision { kind: String, pseudonym: String },

    #[error(
        "invalid URL rewrite {url:?}: {reason}; give absolute http(s) URLs such as https://www.client.example"
    )]
    InvalidUrl { url: String, reason: String },

    #[error("invalid anonymization rules: {0}")]
    InvalidRules(String),

    #[error("invalid option setting {option:?}: {reason}")]
    InvalidOptionSet { option: String, reason: String },

    #[error("invalid transform configuration: {0}")]
    InvalidConfig(String),
}
