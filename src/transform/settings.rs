//! The user's transform settings, as the CLI and the Action take them: what the pipeline builds
//! a run's [`TransformSet`](super::TransformSet) from. Plain data; reading the rules file and
//! drawing a key happen in the pipeline.

use std::path::PathBuf;

use secrecy::SecretString;

/// How production data is transformed on its way into staging.
#[derive(Debug, Clone)]
pub struct TransformSettings {
    /// On by default; turning it off must be explicit and is reported loudly.
    pub anonymize: bool,
    /// HMAC key for pseudonyms; `None`: a random key per run (pseudonyms then differ per run).
    pub key: Option<SecretString>,
    pub rules_file: Option<PathBuf>,
    pub keep_users: Vec<String>,
    pub staging_password: Option<SecretString>,
    /// Kept users keep their contact data too (phone, address, billing and shipping meta).
    pub keep_user_data: bool,
    pub rewrite_guid: bool,
    /// The uploads base URL (as WordPress's `upload_url_path`): staging's `upload_url_path` and
    /// the uploads URLs in content point here instead of production.
    pub uploads_url: Option<String>,
    /// Rewrite uploads URLs like any other URL.
    pub rewrite_uploads: bool,
    /// Keep `blog_public` as in production (default: 0, search engines kept out).
    pub keep_blog_public: bool,
    /// Fail when text columns no rule covers look like they hold personal data.
    pub strict: bool,
}

impl Default for TransformSettings {
    fn default() -> Self {
        Self {
            anonymize: true,
            key: None,
            rules_file: None,
            keep_users: Vec::new(),
            staging_password: None,
            keep_user_data: false,
            rewrite_guid: false,
            uploads_url: None,
            rewrite_uploads: false,
            keep_blog_public: false,
            strict: false,
        }
    }
}
