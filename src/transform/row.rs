//! `TableTransformer::transform_row`: decode the fields a plan needs, apply
//! anonymization, URL rewriting and option settings, check lengths, encode.

use std::borrow::Cow;
use std::cell::OnceCell;

use super::anonymize::kinds::Kind;
use super::anonymize::scrub::might_hold_pii;
use super::anonymize::{Applied, ApplyCtx, apply};
use super::copy_codec::{self, encode_field, split_row};
use super::error::TransformError;
use super::leak::LeakDetector;
use super::nested::TextRewriter;
use super::php;
use super::plan::UrlMode;
use super::rules::{OptionSet, OptionValue};
use super::set::{RowOutcome, TableTransformer};

/// Field values of one row, each decoded at most once, on demand.
struct Fields<'r> {
    row: &'r [u8],
    spans: &'r [std::ops::Range<usize>],
    cache: Vec<OnceCell<Val<'r>>>,
    /// `Some(new)` = the column's output value (`None` inside = NULL).
    new: Vec<Option<Option<String>>>,
}

/// A decoded field: NULL, text, bytes that are not UTF-8, or bad escapes.
enum Val<'r> {
    Null,
    Text(Cow<'r, str>),
    Bytes(Cow<'r, [u8]>),
    Invalid(String),
}

fn decode<'r>(wire: &'r [u8]) -> Val<'r> {
    match copy_codec::decode_field(wire) {
        Err(e) => Val::Invalid(e.0),
        Ok(None) => Val::Null,
        Ok(Some(Cow::Borrowed(b))) => match std::str::from_utf8(b) {
            Ok(s) => Val::Text(Cow::Borrowed(s)),
            Err(_) => Val::Bytes(Cow::Borrowed(b)),
        },
        Ok(Some(Cow::Owned(b))) => match String::from_utf8(b) {
            Ok(s) => Val::Text(Cow::Owned(s)),
            Err(e) => Val::Bytes(Cow::Owned(e.into_bytes())),
        },
    }
}

impl<'r> Fields<'r> {
    fn original(&self, i: usize) -> Result<&Val<'r>, String> {
        let v = self.cache[i].get_or_init(|| decode(&self.row[self.spans[i].clone()]));
        match v {
            Val::Invalid(e) => Err(e.clone()),
            v => Ok(v),
        }
    }

    /// Current text value (after earlier steps); `Ok(None)` for NULL.
    fn text(&self, i: usize) -> Result<Option<&str>, String> {
        if let Some(v) = &self.new[i] {
            return Ok(v.as_deref());
        }
        self.original_text(i)
    }

    /// Source text value, ignoring earlier steps; `Ok(None)` for NULL.
    fn original_text(&self, i: usize) -> Result<Option<&str>, String> {
        match self.original(i)? {
            Val::Null => Ok(None),
            Val::Text(s) => Ok(Some(s)),
            Val::Bytes(_) | Val::Invalid(_) => Err("value is not UTF-8".into()),
        }
    }
}

fn option_value_php(v: &OptionValue) -> php::Value<'static> {
    match v {
        OptionValue::Str(s) => php::Value::Str(Cow::Owned(s.clone().into_bytes())),
        OptionValue::Bool(b) => php::Value::Bool(*b),
        OptionValue::Int(i) => php::Value::Int(Cow::Owned(i.to_string().into_bytes())),
        OptionValue::Float(f) => php::Value::Float(Cow::Owned(f.to_string().into_bytes())),
        OptionValue::Null => php::Value::Null,
    }
}

fn option_value_text(v: &OptionValue) -> String {
    match v {
        OptionValue::Str(s) => s.clone(),
        OptionValue::Bool(true) => "1".into(),
        OptionValue::Bool(false) | OptionValue::Null => String::new(),
        OptionValue::Int(i) => i.to_string(),
        OptionValue::Float(f) => f.to_string(),
    }
}

fn apply_option_set(current: &str, set: &OptionSet) -> Result<String, TransformError> {
    if set.path.is_empty() {
        return Ok(option_value_text(&set.value));
    }
    let bad = |reason: String| TransformError::InvalidOptionSet {
        option: set.option.clone(),
        reason,
    };
    let mut v = php::parse(current.trim().as_bytes()).map_err(|e| {
        bad(format!(
            "the option value is not serialized PHP ({})",
            e.msg
        ))
    })?;
    let path: Vec<&str> = set.path.iter().map(String::as_str).collect();
    php::set_path(&mut v, &path, option_value_php(&set.value)).map_err(bad)?;
    String::from_utf8(php::to_bytes(&v)).map_err(|_| bad("the option value is not UTF-8".into()))
}

impl TableTransformer {
    fn row_key(&self, f: &Fields<'_>) -> String {
        let parts: Vec<String> = self
            .plan
            .pk
            .iter()
            .filter(|&&i| i < f.spans.len())
            .map(|&i| {
                // A key that is personal data itself (a plugin table keyed by email) is not
                // printed: errors end up in CI logs.
                let personal = self.plan.columns[i]
                    .rule
                    .as_ref()
                    .is_some_and(|r| r.kind.is_active());
                let v = match f.original(i) {
                    Ok(_) if personal => "<personal data>".into(),
                    Ok(Val::Text(s)) => s.to_string(),
                    Ok(Val::Null) => "NULL".into(),
                    _ => "?".into(),
                };
                format!("{}={v}", self.plan.columns[i].name)
            })
            .collect();
        if parts.is_empty() {
            format!("row #{}", self.stats.rows_seen)
        } else {
            parts.join(", ")
        }
    }

    fn anon_err(&self, f: &Fields<'_>, i: usize, reason: String) -> TransformError {
        TransformError::CannotAnonymize {
            table: self.plan.table.clone(),
            column: self.plan.columns[i].name.clone(),
            row_key: self.row_key(f),
            reason,
        }
    }

    /// Transforms one COPY text row (with its trailing `\n`) into `out`.
    pub fn transform_row(
        &mut self,
        row: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<RowOutcome, TransformError> {
        self.stats.rows_seen += 1;
        if self.plan.drop_all {
            self.stats.rows_dropped += 1;
            return Ok(RowOutcome::Dropped);
        }
        let mut spans = std::mem::take(&mut self.spans);
        let res = split_row(row, &mut spans)
            .map_err(|e| TransformError::MalformedRow {
                table: self.plan.table.clone(),
                reason: e.0,
            })
            .and_then(|()| self.transform_fields(row, &spans, out));
        self.spans = spans;
        if self.seen.len() > 65_536 {
            self.flush_seen();
        }
        res
    }

    fn transform_fields(
        &mut self,
        row: &[u8],
        spans: &[std::ops::Range<usize>],
        out: &mut Vec<u8>,
    ) -> Result<RowOutcome, TransformError> {
        let n = self.plan.columns.len();
        if spans.len() != n {
            return Err(TransformError::ColumnCount {
                table: self.plan.table.clone(),
                expected: n,
                found: spans.len(),
            });
        }
        let mut f = Fields {
            row,
            spans,
            cache: (0..n).map(|_| OnceCell::new()).collect(),
            new: vec![None; n],
        };
        let table_name = self.plan.table.clone();
        let malformed = |e: String| TransformError::MalformedRow {
            table: table_name.clone(),
            reason: e,
        };

        // 1. Which anonymization rules apply to this row.
        let mut kept = false;
        let mut login: Option<String> = None;
        let mut user_id: Option<i64> = None;
        if let Some(s) = self.plan.subject {
            if let Some(i) = s.login_idx {
                login = f.text(i).map_err(malformed)?.map(str::to_string);
            }
            let id = match s.id_idx {
                Some(i) => f
                    .text(i)
                    .map_err(malformed)?
                    .and_then(|v| v.trim().parse::<i64>().ok()),
                None => None,
            };
            kept = id.is_some_and(|id| self.ctx.kept_ids.contains(&id))
                || login
                    .as_ref()
                    .is_some_and(|l| self.ctx.keep_logins.contains(&l.trim().to_lowercase()));
            user_id = id;
        }
        let mut todo: Vec<(usize, Kind, bool)> = Vec::new();
        for (i, c) in self.plan.columns.iter().enumerate() {
            if let Some(r) = &c.rule
                && r.kind.is_active()
            {
                todo.push((i, r.kind.clone(), r.unique));
            }
        }
        for c in &self.plan.cond {
            if f.text(c.idx).map_err(malformed)? == Some(c.equals.as_str()) {
                todo.extend(c.columns.iter().map(|(i, k)| (*i, k.clone(), false)));
            }
        }
        let mut option_name: Option<String> = None;
        if let Some(e) = &self.plan.eav {
            let key = f.text(e.key_idx).map_err(malformed)?.map(str::to_string);
            if let (Some(k), Some(rules)) = (&key, &e.rules) {
                let value = if rules.secret_heuristic {
                    f.text(e.value_idx).ok().flatten()
                } else {
                    None
                };
                if let Some(kind) = rules.kind_for(k, value) {
                    todo.push((e.value_idx, kind, false));
                }
            }
            option_name = key;
        }
        if kept {
            self.keep_account(&mut todo, option_name.as_deref());
        }
        let person = user_id.filter(|_| !kept);

        // 2. Anonymize.
        for (i, kind, unique) in todo {
            // Content scrubbing looks for addresses and numbers; most values have none.
            if let Some(targets) = kind.scrub_targets()
                && !might_hold_pii(&row[spans[i].clone()], targets)
            {
                continue;
            }
            let source = if kind == Kind::Slug {
                self.plan.subject.and_then(|s| s.login_idx).unwrap_or(i)
            } else {
                i
            };
            let original = match f.original_text(source) {
                Ok(v) => v.map(str::to_string),
                Err(e) => return Err(self.anon_err(&f, i, e)),
            };
            if kind == Kind::PasswordHash && kept {
                match &self.ctx.staging_hash {
                    Some(h) if original.is_some() => f.new[i] = Some(Some(h.clone())),
                    _ => {}
                }
                continue;
            }
            if let Some(name) = person.and_then(|uid| {
                self.account_name(i, option_name.as_deref(), &kind, uid, original.as_deref())
            }) {
                f.new[i] = Some(Some(name));
                self.stats.columns[i].anonymized += 1;
                continue;
            }
            let mut actx = ApplyCtx {
                pseudo: &self.ctx.pseudo,
                keep_logins: &self.ctx.keep_logins,
                seen: &mut self.seen,
            };
            let applied = apply(&kind, original.as_deref(), &mut actx)
                .map_err(|e| self.anon_err(&f, i, e))?;
            let output = match applied {
                Applied::DeleteRow => {
                    self.stats.rows_dropped += 1;
                    return Ok(RowOutcome::Dropped);
                }
                Applied::Unchanged => None,
                Applied::Null => Some(None),
                Applied::Value(v) => Some(Some(v)),
            };
            if unique && let Some(orig) = original.as_deref().filter(|o| !o.is_empty()) {
                let out_text = match &output {
                    Some(Some(v)) => v.as_str(),
                    _ => orig,
                };
                self.shared.unique.register(&kind, out_text, orig)?;
            }
            if let Some(o) = output {
                f.new[i] = Some(o);
                self.stats.columns[i].anonymized += 1;
                if self.plan.columns[i].scanned {
                    self.stats.columns[i].scan_replaced += 1;
                }
            }
        }
        if kept && self.plan.subject.is_some_and(|s| s.is_users) {
            for (i, c) in self.plan.columns.iter().enumerate() {
                if let Some(r) = c.rule.as_ref().filter(|r| r.unique)
                    && let Ok(Some(v)) = f.text(i)
                {
                    self.shared.unique.register(&r.kind, v, v)?;
                }
            }
        }

        // 3. URL rewriting (only rows whose raw bytes hold an old host at all).
        let url_possible = self.ctx.urls.might_match_bytes(row);
        for i in 0..n {
            let mode = self.plan.columns[i].url;
            // Host columns are compared case-insensitively, so the raw check cannot rule them out.
            if mode == UrlMode::None || (mode != UrlMode::Host && !url_possible) {
                continue;
            }
            let current: &str = match &f.new[i] {
                Some(Some(s)) => s,
                Some(None) => continue,
                None => match f.original(i).map_err(malformed)? {
                    Val::Null | Val::Invalid(_) => continue,
                    Val::Text(s) => s,
                    Val::Bytes(b) => {
                        if self.ctx.urls.might_match(&String::from_utf8_lossy(b)) {
                            self.skip(&f, i, "not UTF-8")?;
                        }
                        continue;
                    }
                },
            };
            let new = match mode {
                UrlMode::Host => {
                    let mut counts = Default::default();
                    let r = self.ctx.urls.rewrite_host(current, &mut counts);
                    self.stats.columns[i].add_urls(counts);
                    r
                }
                _ => {
                    let mut rw = TextRewriter::new(&self.ctx.urls);
                    let r = rw.rewrite(current)?;
                    self.stats.columns[i].add_urls(rw.counts);
                    for reason in rw.skipped {
                        self.skip(&f, i, reason.as_str())?;
                    }
                    r
                }
            };
            if let Some(v) = new {
                f.new[i] = Some(Some(v));
            }
        }

        // 4. Options: home/siteurl, blog_public, user settings.
        if let (Some(opts), Some(e), Some(name)) =
            (&self.plan.options, &self.plan.eav, &option_name)
        {
            let vi = e.value_idx;
            let mut value = f.text(vi).map_err(malformed)?.map(str::to_string);
            let before = value.clone();
            if let (Some(url), true) = (&opts.site_url, name == "home" || name == "siteurl")
                && !value
                    .as_deref()
                    .is_some_and(|v| v.starts_with(url.as_str()))
            {
                value = Some(url.clone());
            }
            if opts.blog_public_off && name == "blog_public" {
                value = Some("0".into());
            }
            if let (Some(base), "upload_url_path") = (&opts.upload_url_path, name.as_str()) {
                value = Some(base.clone());
            }
            for set in opts.sets.iter().filter(|s| &s.option == name) {
                value = Some(apply_option_set(value.as_deref().unwrap_or(""), set)?);
            }
            if value != before {
                f.new[vi] = Some(value);
            }
        }

        // 5. What the personal-data columns now hold, for the leak check (kept accounts keep
        // their own data).
        if !kept {
            let mut hashes = Vec::new();
            for &i in &self.leak_cols {
                let value: Option<&str> = match &f.new[i] {
                    Some(Some(v)) => Some(v.as_str()),
                    Some(None) => None,
                    None => match f.original(i) {
                        Ok(Val::Text(v)) => Some(v),
                        _ => None,
                    },
                };
                if let Some(v) = value.filter(|v| {
                    v.bytes()
                        .any(|b| b == b'@' || b == b':' || b.is_ascii_digit())
                }) {
                    hashes.clear();
                    if LeakDetector::token_hashes(v, &mut hashes) {
                        self.stats.columns[i].pii_like_remaining += 1;
                    }
                    self.emitted.extend(hashes.iter().map(|h| (i, *h)));
                }
            }
            if self.emitted.len() > 65_536 {
                self.flush_emitted();
            }
        }

        // 6. Length checks and output.
        let original_f = &f;
        let mut changed_any = false;
        for i in 0..n {
            let Some(new) = &original_f.new[i] else {
                continue;
            };
            let same = match (new, original_f.original(i).map_err(malformed)?) {
                (None, Val::Null) => true,
                (Some(s), Val::Text(o)) => s == o,
                _ => false,
            };
            if same {
                continue;
            }
            changed_any = true;
            self.stats.columns[i].values_changed += 1;
            if let (Some(s), Some(max)) = (new, self.plan.columns[i].max_chars) {
                let len = s.chars().count();
                if len > max as usize {
                    return Err(TransformError::ValueTooLong {
                        table: self.plan.table.clone(),
                        column: self.plan.columns[i].name.clone(),
                        row_key: self.row_key(original_f),
                        len,
                        max,
                    });
                }
            }
        }
        if !changed_any {
            out.extend_from_slice(row);
            return Ok(RowOutcome::Unchanged);
        }
        self.stats.rows_changed += 1;
        for i in 0..n {
            if i > 0 {
                out.push(b'\t');
            }
            match &f.new[i] {
                Some(v) => encode_field(v.as_deref().map(str::as_bytes), out),
                None => out.extend_from_slice(&row[spans[i].clone()]),
            }
        }
        out.push(b'\n');
        Ok(RowOutcome::Changed)
    }

    fn skip(&mut self, f: &Fields<'_>, i: usize, reason: &str) -> Result<(), TransformError> {
        if self.ctx.strict {
            return Err(TransformError::StrictSkip {
                table: self.plan.table.clone(),
                column: self.plan.columns[i].name.clone(),
                row_key: self.row_key(f),
                reason: reason.to_string(),
            });
        }
        self.stats.columns[i].skip(reason);
        Ok(())
    }
}

#[cfg(test)]
#[path = "tests/row.rs"]
mod tests;

#[cfg(test)]
#[path = "tests/row_more.rs"]
mod tests_more;
