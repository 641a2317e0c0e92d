//! Pure transform layer: COPY text codec, PHP-serialize/JSON-aware URL
//! rewriting, keyed anonymization, staging-safety settings and the report.
//!
//! No I/O: the sync engine feeds rows (one COPY text row each, with its
//! trailing `\n`) to a [`TableTransformer`] from [`TransformSet::for_table`]
//! and writes what comes out. Tables without any applicable transform get
//! `None` and are passed through undecoded.

mod accounts;
pub mod anonymize;
pub mod copy_codec;
pub mod error;
pub mod json;
pub mod leak;
pub mod nested;
pub mod password;
pub mod php;
mod plan;
mod row;
mod row_steps;
pub mod rules;
pub mod rules_check;
pub mod run_report;
mod set;
mod settings;
pub mod stats;
pub mod url;
pub mod visit;
pub mod waste;

use secrecy::{SecretSlice, SecretString};

pub use anonymize::kinds::{Kind, PiiKind};
pub use error::TransformError;
pub use leak::{LeakDetector, looks_like_pii};
pub use plan::{logical_name, url_column_type};
pub use rules::RulesFile;
pub use run_report::{RewrittenUrl, RunReport, RunTotals};
pub use set::{RowOutcome, TableTransformer, TransformSet};
pub use settings::TransformSettings;
pub use stats::{ColumnReport, TableReport, TransformReport};
pub use url::{UploadsMode, UrlRewrite};

/// Everything the transforms need to know about a run.
pub struct TransformConfig {
    /// Old → new site URLs (`https://www.client.example` → `https://pr-42.up.railway.app`).
    pub url_rewrites: Vec<UrlRewrite>,
    /// Rewrite `posts.guid` too (default false: GUIDs are identifiers).
    pub rewrite_guid: bool,
    pub uploads: UploadsMode,
    /// Apply built-in and user anonymization rules (default true).
    pub anonymize: bool,
    /// HMAC key of the pseudonyms (the engine makes a random one if none given).
    pub key: SecretSlice<u8>,
    pub user_rules: Option<RulesFile>,
    /// `user_login` values whose users row and usermeta stay usable.
    pub keep_users: Vec<String>,
    /// Kept users get this password (stored as a phpass `$P$` hash).
    pub staging_password: Option<SecretString>,
    /// Kept users keep their contact data too (phone, address, billing and shipping meta).
    pub keep_user_data: bool,
    /// Set option `blog_public` to `0` (default true).
    pub blog_public_off: bool,
    /// Fail instead of copying values that may still point at production
    /// (corrupt/mixed serialized values, non-UTF-8 bytes holding the old host).
    pub strict: bool,
}

impl TransformConfig {
    /// Defaults: no URL rewrite, anonymize on, uploads kept on production,
    /// `blog_public` off, not strict.
    pub fn new(key: SecretSlice<u8>) -> Self {
        TransformConfig {
            url_rewrites: Vec::new(),
            rewrite_guid: false,
            uploads: UploadsMode::KeepProduction,
            anonymize: true,
            key,
            user_rules: None,
            keep_users: Vec::new(),
            staging_password: None,
            keep_user_data: false,
            blog_public_off: true,
            strict: false,
        }
    }
}

impl std::fmt::Debug for TransformConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransformConfig")
            .field("url_rewrites", &self.url_rewrites)
            .field("rewrite_guid", &self.rewrite_guid)
            .field("uploads", &self.uploads)
            .field("anonymize", &self.anonymize)
            .field("key", &"<secret>")
            .field("user_rules", &self.user_rules.is_some())
            .field("keep_users", &self.keep_users)
            .field(
                "staging_password",
                &self.staging_password.as_ref().map(|_| "<secret>"),
            )
            .field("keep_user_data", &self.keep_user_data)
            .field("blog_public_off", &self.blog_public_off)
            .field("strict", &self.strict)
            .finish()
    }
}

/// One column as the engine read it from the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    /// Real PostgreSQL name, any case.
    pub name: String,
    /// `format_type` name, e.g. `character varying`, `text`, `bigint`.
    pub type_name: String,
    /// `varchar(n)` limit in characters.
    pub max_chars: Option<u32>,
}

/// One table (or slice of one) being copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    pub schema: String,
    pub name: String,
    /// In COPY order.
    pub columns: Vec<ColumnInfo>,
    /// Indexes into `columns`.
    pub primary_key: Vec<usize>,
}
