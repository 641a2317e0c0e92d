//! User anonymization rules (YAML) that add to or override the built-ins.
//!
//! ```yaml
//! tables:
//!   my_plugin_leads:            # table name without the prefix (the full
//!                               # name works too); case-insensitive
//!     columns: { email: email, phone: phone, notes: free_text, token: "fixed:" }
//!   postmeta:
//!     meta_keys: { "_my_plugin_*": delete_row, "_lead_email": email }
//!   my_plugin_kv:               # an EAV table of a plugin
//!     key_column: name          # default meta_key (option_name for options)
//!     value_column: value       # default meta_value (option_value for options)
//!     meta_keys: { "contact": pii_keys }
//!   my_plugin_log:
//!     delete_rows: true         # copy no rows at all
//!     optional: true            # not every site has this plugin
//!   comments:
//!     columns: { comment_agent: keep }   # `keep` switches a built-in rule off
//! options:
//!   set:
//!     "woocommerce_stripe_settings.testmode": "yes"   # key inside a serialized option
//!     "wp_mail_smtp.mail.mailer": "mail"                # nested keys: a.b.c
//!     "my_smtp_plugin_settings.enabled": false          # bool → b:0; numbers → i:/d:
//!     "blogdescription": "Staging"                      # no dot: the whole value
//! ```
//!
//! Kinds: `email first_name last_name full_name username phone ip
//! street_address city postcode company url user_agent free_text reference
//! slug password_hash pii_keys null delete_row keep` and `fixed:<value>` (or
//! `{ fixed: <value> }`). Meta key patterns take `*` and `?`; exact keys
//! override built-in exact keys, and user patterns are tried before built-in
//! ones. An option path is split at its first `.` into option name and key
//! path (`a.b` sets key `b` of option `a`); missing keys are added.
//!
//! Every table, column and meta-key pattern must match something in the snapshot (a typo
//! would protect nothing); `optional: true` on a table allows it to match nothing.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::anonymize::kinds::Kind;
use super::error::TransformError;

/// A kind as written in YAML: `email`, `"fixed:x"` or `{ fixed: x }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum KindSpec {
    Name(String),
    Fixed { fixed: String },
}

impl KindSpec {
    fn into_kind(self) -> Result<Kind, TransformError> {
        match self {
            KindSpec::Name(n) => n.parse().map_err(TransformError::InvalidRules),
            KindSpec::Fixed { fixed } => Ok(Kind::Fixed(fixed)),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(default)]
    columns: BTreeMap<String, KindSpec>,
    #[serde(default)]
    meta_keys: BTreeMap<String, KindSpec>,
    #[serde(default)]
    key_column: Option<String>,
    #[serde(default)]
    value_column: Option<String>,
    #[serde(default)]
    delete_rows: bool,
    /// The table (its columns, its meta keys) may be missing from a site.
    #[serde(default)]
    optional: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptions {
    #[serde(default)]
    set: BTreeMap<String, serde_norway::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    tables: BTreeMap<String, RawTable>,
    #[serde(default)]
    options: RawOptions,
}

/// User rules for one table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserTableRules {
    /// Lower-case column → kind.
    pub columns: Vec<(String, Kind)>,
    /// Lower-case key pattern → kind.
    pub meta_keys: Vec<(String, Kind)>,
    pub key_column: Option<String>,
    pub value_column: Option<String>,
    pub delete_rows: bool,
    /// Not an error when the table, a column or a meta-key pattern matches nothing.
    pub optional: bool,
}

/// A value an option (or a key inside it) is set to.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    Str(String),
    Bool(bool),
    Int(i64),
    Float(f64),
    Null,
}

/// One `options.set` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionSet {
    pub option: String,
    /// Keys inside the serialized value; empty = replace the whole value.
    pub path: Vec<String>,
    pub value: OptionValue,
}

/// Parsed user rules file (see the module docs for the format).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RulesFile {
    /// Lower-case table name → rules.
    pub tables: BTreeMap<String, UserTableRules>,
    pub option_sets: Vec<OptionSet>,
}

impl RulesFile {
    /// Parses and validates a rules file.
    pub fn from_yaml(text: &str) -> Result<Self, TransformError> {
        let raw: RawFile = serde_norway::from_str(text).map_err(|e| {
            TransformError::InvalidRules(format!("{e}; see the documented rules format"))
        })?;
        let mut out = RulesFile::default();
        for (name, t) in raw.tables {
            let mut rules = UserTableRules {
                key_column: t.key_column.map(|c| c.to_ascii_lowercase()),
                value_column: t.value_column.map(|c| c.to_ascii_lowercase()),
                delete_rows: t.delete_rows,
                optional: t.optional,
                ..Default::default()
            };
            for (c, k) in t.columns {
                let kind = k.into_kind().map_err(|e| {
                    TransformError::InvalidRules(format!("table {name}, column {c}: {e}"))
                })?;
                rules.columns.push((c.to_ascii_lowercase(), kind));
            }
            for (m, k) in t.meta_keys {
                let kind = k.into_kind().map_err(|e| {
                    TransformError::InvalidRules(format!("table {name}, meta key {m}: {e}"))
                })?;
                rules.meta_keys.push((m.to_ascii_lowercase(), kind));
            }
            out.tables.insert(name.to_ascii_lowercase(), rules);
        }
        for (path, v) in raw.options.set {
            let mut parts = path.splitn(2, '.');
            let option = parts.next().unwrap_or("").to_string();
            if option.is_empty() {
                return Err(TransformError::InvalidOptionSet {
                    option: path,
                    reason: "empty option name".into(),
                });
            }
            let path_keys: Vec<String> = match parts.next() {
                Some(rest) => rest.split('.').map(str::to_string).collect(),
                None => Vec::new(),
            };
            if path_keys.iter().any(String::is_empty) {
                return Err(TransformError::InvalidOptionSet {
                    option: path,
                    reason: "empty key in the path".into(),
                });
            }
            let value = match v {
                serde_norway::Value::String(s) => OptionValue::Str(s),
                serde_norway::Value::Bool(b) => OptionValue::Bool(b),
                serde_norway::Value::Null => OptionValue::Null,
                serde_norway::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                    (Some(i), _) => OptionValue::Int(i),
                    (None, Some(f)) => OptionValue::Float(f),
                    _ => {
                        return Err(TransformError::InvalidOptionSet {
                            option: path,
                            reason: "number out of range".into(),
                        });
                    }
                },
                _ => {
                    return Err(TransformError::InvalidOptionSet {
                        option: path,
                        reason: "value must be a string, number, boolean or null".into(),
                    });
                }
            };
            out.option_sets.push(OptionSet {
                option,
                path: path_keys,
                value,
            });
        }
        Ok(out)
    }

    /// Rules for a table, by logical name (after the prefix) or full name.
    pub fn table(&self, logical: &str, full: &str) -> Option<&UserTableRules> {
        self.tables
            .get(&logical.to_ascii_lowercase())
            .or_else(|| self.tables.get(&full.to_ascii_lowercase()))
    }
}

#[cfg(test)]
#[path = "tests/rules.rs"]
mod tests;
