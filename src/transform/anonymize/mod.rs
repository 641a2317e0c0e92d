//! Anonymization: rule model, built-in WordPress/WooCommerce rules, keyed
//! pseudonyms, and the walker that reaches inside serialized/JSON values.

pub mod kinds;
pub mod plugin_rules;
pub mod pseudonym;
pub mod scrub;
pub mod wordpress_rules;

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use self::kinds::{Kind, PiiKind, kind_for_field};
use self::pseudonym::{Pseudonymizer, normalize};
use super::error::TransformError;
use super::json::{self, JsonWalk};
use super::php;
use super::visit::{LeafVisitor, SkipReason};

/// A rule on a fixed column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRule {
    pub kind: Kind,
    /// Fakes must stay unique across the run (`user_login`, `user_email`).
    pub unique: bool,
}

/// Rules of an entity-attribute-value table, chosen per row by its key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetaRules {
    pub key_column: String,
    pub value_column: String,
    /// Lower-case key → kind.
    pub exact: HashMap<String, Kind>,
    /// Lower-case glob (`*`, `?`) → kind; first match wins.
    pub globs: Vec<(String, Kind)>,
    /// Blank credential-looking options (see `wordpress_rules`).
    pub secret_heuristic: bool,
    /// Applied when no key rule matches (e.g. `emails_inside` for plugin settings).
    pub fallback: Option<Kind>,
}

impl MetaRules {
    /// The kind for one key. `pii_keys` on a key that names a field
    /// (`_billing_email`) becomes that field's kind.
    pub fn kind_for(&self, key: &str, value: Option<&str>) -> Option<Kind> {
        let lower: std::borrow::Cow<'_, str> = if key.bytes().any(|c| c.is_ascii_uppercase()) {
            key.to_ascii_lowercase().into()
        } else {
            key.into()
        };
        let lower = lower.as_ref();
        let found = self.exact.get(lower).cloned().or_else(|| {
            self.globs
                .iter()
                .find(|(g, _)| glob_match(g, lower))
                .map(|(_, k)| k.clone())
        });
        match found {
            Some(Kind::PiiKeys) => Some(kind_for_field(lower).unwrap_or(Kind::PiiKeys)),
            Some(k) => Some(k),
            None if self.secret_heuristic
                && wordpress_rules::is_secret_option(key, value.unwrap_or("")) =>
            {
                Some(Kind::Fixed(String::new()))
            }
            None => self.fallback.clone(),
        }
    }
}

/// Row condition: when `column` equals `equals`, apply `columns`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conditional {
    pub column: String,
    pub equals: String,
    pub columns: Vec<(String, Kind)>,
}

/// Everything anonymization does to one table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableRules {
    /// Lower-case column name → rule.
    pub columns: Vec<(String, ColumnRule)>,
    pub meta: Option<MetaRules>,
    pub conditional: Vec<Conditional>,
    /// Drop every row (sessions, tokens, API keys).
    pub drop_all: bool,
}

impl TableRules {
    pub fn is_empty(&self) -> bool {
        self.columns.iter().all(|(_, r)| !r.kind.is_active())
            && self.meta.is_none()
            && self.conditional.is_empty()
            && !self.drop_all
    }
}

/// `*` matches any run, `?` one byte; both sides already lower-case.
/// Works on bytes without allocating (it runs once per EAV row).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// A kept user's value that is contact data all the same (phone, postal address, billing and
/// shipping meta): anonymized unless `--keep-user-data`. `key` is the usermeta key, if any; the
/// account itself (login, email, names, role) stays.
pub fn is_kept_users_contact(key: Option<&str>, kind: &Kind) -> bool {
    let contact = |k: &Kind| {
        matches!(
            k,
            Kind::Phone | Kind::StreetAddress | Kind::City | Kind::Postcode | Kind::Company
        )
    };
    let key = key.map(|k| k.trim_start_matches('_').to_ascii_lowercase());
    contact(kind)
        || key.as_deref().is_some_and(|k| {
            k.starts_with("billing_")
                || k.starts_with("shipping_")
                || kind_for_field(k).is_some_and(|f| contact(&f))
        })
}

/// Fields that name a WordPress account (`users.display_name`; usermeta `first_name`,
/// `last_name`, `nickname`): a pseudonymized account gets them from one fake person.
pub fn is_account_name(field: &str) -> bool {
    ["display_name", "first_name", "last_name", "nickname"]
        .iter()
        .any(|f| field.eq_ignore_ascii_case(f))
}

/// Result of applying a kind to one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Unchanged,
    Value(String),
    Null,
    DeleteRow,
}

/// Hash of a normalized PII value, as stored by the leak detector.
pub fn pii_hash(kind: PiiKind, value: &str) -> u64 {
    let k = match kind {
        PiiKind::Email => Kind::Email,
        PiiKind::Ip => Kind::Ip,
        PiiKind::Phone => Kind::Phone,
    };
    let mut h = DefaultHasher::new();
    kind.hash(&mut h);
    normalize(&k, value).hash(&mut h);
    h.finish()
}

/// Per-call context of [`apply`].
pub struct ApplyCtx<'a> {
    pub pseudo: &'a Pseudonymizer,
    /// Lower-case logins that keep their name (`keep_users`).
    pub keep_logins: &'a HashSet<String>,
    /// Originals of tracked kinds seen (for the leak detector).
    pub seen: &'a mut Vec<(PiiKind, u64)>,
}

impl ApplyCtx<'_> {
    fn scalar(&mut self, kind: &Kind, v: &str) -> String {
        if v.is_empty() {
            return String::new();
        }
        // Reserved values are what pseudonyms look like, not personal data: the leak check
        // must not fail when a pseudonym equals one (a copy of an anonymized copy).
        if let Some(p) = kind.pii()
            && !pseudonym::is_reserved(kind, v)
        {
            self.seen.push((p, pii_hash(p, v)));
        }
        if matches!(kind, Kind::Username | Kind::Slug)
            && self.keep_logins.contains(&v.trim().to_lowercase())
        {
            return v.to_string();
        }
        self.pseudo.fake(kind, v)
    }
}

/// Applies `kind` to one value. Scalar kinds reach inside serialized and
/// JSON values (every string leaf gets the kind); `pii_keys` picks the kind
/// of each leaf by its key name. `Err` carries the reason the value cannot
/// be anonymized safely (the caller fails the row).
pub fn apply(kind: &Kind, value: Option<&str>, ctx: &mut ApplyCtx<'_>) -> Result<Applied, String> {
    match (kind, value) {
        (Kind::DeleteRow, _) => return Ok(Applied::DeleteRow),
        (Kind::Keep, _) | (_, None) => return Ok(Applied::Unchanged),
        (Kind::Null, Some(_)) => return Ok(Applied::Null),
        (_, Some("")) => return Ok(Applied::Unchanged),
        _ => {}
    }
    let v = value.unwrap_or("");
    // Most values hold no address at all; skip the parse for them.
    if let Some(targets) = kind.scrub_targets()
        && !scrub::might_hold_pii(v.as_bytes(), targets)
    {
        return Ok(Applied::Unchanged);
    }
    let new = match kind {
        Kind::Fixed(f) => f.clone(),
        Kind::PasswordHash => pseudonym::LOCKED_PASSWORD.to_string(),
        _ => match structured(kind, v, ctx, 0) {
            Ok(Some(s)) => s,
            // Content scrubbing needs no structure: a corrupt value is scrubbed as text.
            Err(_) if let Some(targets) = kind.scrub_targets() => scrub::scrub(v, targets, ctx),
            Err(e) => return Err(e),
            Ok(None) => match kind {
                // A plain value under `pii_keys` is a leaf no key names: scrub its content.
                Kind::PiiKeys => scrub::scrub(v, scrub::Targets::All, ctx),
                k => match k.scrub_targets() {
                    Some(targets) => scrub::scrub(v, targets, ctx),
                    None => ctx.scalar(k, v),
                },
            },
        },
    };
    Ok(if new == v {
        Applied::Unchanged
    } else {
        Applied::Value(new)
    })
}

/// `Some(new)` when `v` is serialized or JSON and was walked; `None` when it
/// is plain text.
fn structured(
    kind: &Kind,
    v: &str,
    ctx: &mut ApplyCtx<'_>,
    depth: usize,
) -> Result<Option<String>, String> {
    let t = v.trim();
    let is_ser = php::looks_serialized(t.as_bytes());
    let is_json = !is_ser && json::looks_like_json(t);
    if !is_ser && !is_json {
        return Ok(None);
    }
    if depth > super::nested::MAX_NESTING {
        return Err("nesting too deep to anonymize".into());
    }
    let mut vis = KindVisitor {
        kind,
        ctx,
        depth,
        error: None,
    };
    let out = if is_ser {
        let mut parsed = php::parse(t.as_bytes())
            .map_err(|e| format!("corrupt serialized value ({} at byte {})", e.msg, e.pos))?;
        let changed = php::walk_leaves(&mut parsed, None, &mut vis).map_err(|e| e.to_string())?;
        if let Some(e) = vis.error.take() {
            return Err(e);
        }
        let bytes = if changed {
            php::to_bytes(&parsed)
        } else {
            t.as_bytes().to_vec()
        };
        String::from_utf8(bytes).map_err(|_| "serialized value is not UTF-8".to_string())?
    } else {
        match json::walk_strings(t, &mut vis).map_err(|e| e.to_string())? {
            JsonWalk::Changed(s) => s,
            JsonWalk::Unchanged => t.to_string(),
            JsonWalk::Invalid => {
                return if matches!(kind, Kind::PiiKeys) {
                    Err("value is not valid JSON".into())
                } else {
                    Ok(None)
                };
            }
        }
    };
    if let Some(e) = vis.error.take() {
        return Err(e);
    }
    Ok(Some(out))
}

struct KindVisitor<'k, 'c, 'a> {
    kind: &'k Kind,
    ctx: &'c mut ApplyCtx<'a>,
    depth: usize,
    error: Option<String>,
}

impl LeafVisitor for KindVisitor<'_, '_, '_> {
    fn leaf(
        &mut self,
        key: Option<&[u8]>,
        value: &[u8],
    ) -> Result<Option<Vec<u8>>, TransformError> {
        let Ok(s) = std::str::from_utf8(value) else {
            self.error = Some("a string inside the value is not UTF-8".into());
            return Ok(None);
        };
        let key = key.and_then(|k| std::str::from_utf8(k).ok());
        let kind = match self.kind {
            // Akismet stores the posted form fields as `POST_<field>`.
            Kind::PiiKeys => match key
                .map(|k| k.strip_prefix("POST_").unwrap_or(k))
                .and_then(kind_for_field)
            {
                Some(k) => k,
                // Request headers such as `SERVER_HTTP_X_FORWARDED_FOR` hold address lists.
                None if key.is_some_and(scrub::is_address_header)
                    && !php::looks_serialized(s.trim().as_bytes())
                    && !json::looks_like_json(s.trim()) =>
                {
                    let new = scrub::scrub_address_list(s, self.ctx);
                    return Ok((new != s).then(|| new.into_bytes()));
                }
                None => Kind::PiiKeys,
            },
            k => k.clone(),
        };
        let new = match structured(&kind, s, self.ctx, self.depth + 1) {
            Ok(Some(n)) => n,
            // Leaves no key rule names get content-based scrubbing.
            Ok(None) if matches!(kind, Kind::PiiKeys) => {
                scrub::scrub(s, scrub::Targets::All, self.ctx)
            }
            Ok(None) => match kind {
                k if k.scrub_targets().is_some() => {
                    let targets = k.scrub_targets().unwrap_or(scrub::Targets::All);
                    scrub::scrub(s, targets, self.ctx)
                }
                Kind::Fixed(f) => f,
                Kind::Null | Kind::DeleteRow => String::new(),
                Kind::Keep => return Ok(None),
                k => self.ctx.scalar(&k, s),
            },
            Err(e) => {
                self.error = Some(e);
                return Ok(None);
            }
        };
        Ok(if new == s {
            None
        } else {
            Some(new.into_bytes())
        })
    }

    fn skipped(&mut self, reason: SkipReason, _bytes: &[u8]) -> Result<(), TransformError> {
        self.error = Some(format!("cannot reach inside: {}", reason.as_str()));
        Ok(())
    }
}

/// Run-wide registry that detects two originals sharing one pseudonym.
#[derive(Debug, Default)]
pub struct UniqueRegistry {
    map: Mutex<HashMap<(String, u64), u64>>,
}

fn h64(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

impl UniqueRegistry {
    /// Records that `original` became `output` for `kind`; fails if another
    /// original already produced the same output.
    pub fn register(
        &self,
        kind: &Kind,
        output: &str,
        original: &str,
    ) -> Result<(), TransformError> {
        let key = (kind.tag().to_string(), h64(&output.trim().to_lowercase()));
        let orig = h64(&normalize(kind, original));
        let mut map = self
            .map
            .lock()
            .map_err(|_| TransformError::InvalidConfig("uniqueness registry poisoned".into()))?;
        match map.get(&key) {
            Some(&o) if o != orig => Err(TransformError::PseudonymCollision {
                kind: kind.tag().to_string(),
                pseudonym: output.to_string(),
            }),
            Some(_) => Ok(()),
            None => {
                map.insert(key, orig);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
#[path = "../tests/anonymize.rs"]
mod tests;
