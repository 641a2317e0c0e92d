//! Flags that control the in-stream transforms, shared by `sync` and the lifecycle commands.

use std::path::PathBuf;

use clap::Args;
use secrecy::SecretString;

use crate::lifecycle::TransformSettings;

#[derive(Debug, Args, Clone)]
pub struct TransformArgs {
    /// Turn anonymization OFF: staging then holds real personal data. Must be explicit.
    #[arg(long)]
    no_anonymize: bool,
    /// Secret key for deterministic pseudonyms (default: a random key per run).
    #[arg(long, env = "WPSTAGE_ANONYMIZE_KEY", hide_env_values = true)]
    anonymize_key: Option<String>,
    /// YAML rules added to or overriding the built-in WordPress + WooCommerce rules.
    #[arg(long = "rules", value_name = "FILE")]
    rules_file: Option<PathBuf>,
    /// Keep this account usable on staging (repeatable).
    #[arg(long = "keep-user", value_name = "LOGIN")]
    keep_users: Vec<String>,
    /// Password every kept account gets on staging (stored in WordPress's hash format).
    #[arg(long, env = "WPSTAGE_STAGING_PASSWORD", hide_env_values = true)]
    staging_password: Option<String>,
    /// Kept accounts keep their phone, address and billing/shipping meta too (default: those
    /// are anonymized; login, email, names and role stay).
    #[arg(long, requires = "keep_users")]
    keep_user_data: bool,
    /// Rewrite posts.guid too (default: GUIDs are identifiers and stay).
    #[arg(long)]
    rewrite_guid: bool,
    /// Media base URL (CDN or bucket), taken as WordPress takes `upload_url_path`: staging's
    /// `upload_url_path` and uploads URLs in content point here (default: production's uploads).
    #[arg(long, value_name = "URL")]
    uploads_url: Option<String>,
    /// Rewrite uploads URLs like any other URL and leave `upload_url_path` as it is (staging
    /// then needs the files).
    #[arg(long, conflicts_with = "uploads_url")]
    rewrite_uploads: bool,
    /// Keep blog_public as in production (default: 0, so search engines stay out of staging).
    #[arg(long)]
    keep_blog_public: bool,
    /// Fail when text columns no rule covers look like personal data.
    #[arg(long)]
    strict: bool,
}

impl TransformArgs {
    pub fn settings(&self) -> TransformSettings {
        let secret = |v: &Option<String>| {
            v.as_ref()
                .filter(|s| !s.is_empty())
                .map(|s| SecretString::from(s.clone()))
        };
        TransformSettings {
            anonymize: !self.no_anonymize,
            key: secret(&self.anonymize_key),
            rules_file: self.rules_file.clone(),
            keep_users: self.keep_users.clone(),
            staging_password: secret(&self.staging_password),
            keep_user_data: self.keep_user_data,
            rewrite_guid: self.rewrite_guid,
            uploads_url: self.uploads_url.clone(),
            rewrite_uploads: self.rewrite_uploads,
            keep_blog_public: self.keep_blog_public,
            strict: self.strict,
        }
    }
}

/// Parses `OLD=NEW` URL pairs of `--rewrite-url`.
pub fn parse_rewrite(text: &str) -> Result<(String, String), String> {
    let (from, to) = text.split_once('=').ok_or_else(|| {
        format!(
            "{text:?} is not OLD=NEW, e.g. https://www.client.example=https://pr-42.up.railway.app"
        )
    })?;
    for url in [from, to] {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("{url:?} must be an absolute http(s) URL"));
        }
    }
    let (from, to) = (from.trim_end_matches('/'), to.trim_end_matches('/'));
    if from.eq_ignore_ascii_case(to) {
        return Err(format!(
            "{from:?} would be rewritten to the same URL: nothing would change and staging would \
             keep pointing at production; give the staging URL as NEW"
        ));
    }
    Ok((from.to_owned(), to.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_pairs_are_checked() {
        assert_eq!(
            parse_rewrite("https://www.a.example/=https://pr-1.b.example"),
            Ok((
                "https://www.a.example".to_owned(),
                "https://pr-1.b.example".to_owned()
            ))
        );
        assert!(parse_rewrite("www.a.example=https://b").is_err());
        assert!(parse_rewrite("https://a.example").is_err());
    }

    #[test]
    fn a_rewrite_onto_itself_is_refused() {
        for pair in [
            "https://a.example=https://a.example",
            "https://a.example/=https://A.example",
        ] {
            let err = parse_rewrite(pair).expect_err(pair);
            assert!(err.contains("the same URL"), "{err}");
        }
    }
}
