//! `TableTransformer::transform_row`: decode the fields a plan needs, apply
//! anonymization, URL rewriting and option settings, check lengths, encode.

use std::borrow::Cow;
use std::cell::OnceCell;

use super::copy_codec::{self, split_row};
use super::error::TransformError;
use super::php;
use super::rules::{OptionSet, OptionValue};
use super::set::{RowOutcome, TableTransformer};

/// Field values of one row, each decoded at most once, on demand.
pub(super) struct Fields<'r> {
    pub(super) row: &'r [u8],
    pub(super) spans: &'r [std::ops::Range<usize>],
    cache: Vec<OnceCell<Val<'r>>>,
    /// `Some(new)` = the column's output value (`None` inside = NULL).
    pub(super) new: Vec<Option<Option<String>>>,
}

/// A decoded field: NULL, text, bytes that are not UTF-8, or bad escapes.
pub(super) enum Val<'r> {
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
    pub(super) fn original(&self, i: usize) -> Result<&Val<'r>, String> {
        let v = self.cache[i].get_or_init(|| decode(&self.row[self.spans[i].clone()]));
        match v {
            Val::Invalid(e) => Err(e.clone()),
            v => Ok(v),
        }
    }

    /// Current text value (after earlier steps); `Ok(None)` for NULL.
    pub(super) fn text(&self, i: usize) -> Result<Option<&str>, String> {
        if let Some(v) = &self.new[i] {
            return Ok(v.as_deref());
        }
        self.original_text(i)
    }

    /// Source text value, ignoring earlier steps; `Ok(None)` for NULL.
    pub(super) fn original_text(&self, i: usize) -> Result<Option<&str>, String> {
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

pub(super) fn apply_option_set(current: &str, set: &OptionSet) -> Result<String, TransformError> {
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

/// A row whose fields cannot be decoded.
pub(super) fn malformed(table: &str, reason: String) -> TransformError {
    TransformError::MalformedRow {
        table: table.to_owned(),
        reason,
    }
}

impl TableTransformer {
    pub(super) fn row_key(&self, f: &Fields<'_>) -> String {
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

    pub(super) fn anon_err(&self, f: &Fields<'_>, i: usize, reason: String) -> TransformError {
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
        let rules = self.rules_for_row(&f)?;
        let account = (rules.person, rules.option_name.as_deref());
        if self.anonymize_fields(&mut f, rules.todo, rules.kept, account)? {
            return Ok(RowOutcome::Dropped);
        }
        self.rewrite_urls(&mut f)?;
        self.apply_options(&mut f, rules.option_name)?;
        self.record_leak_hashes(&f, rules.kept)?;
        self.write_row(&f, out)
    }

    pub(super) fn skip(
        &mut self,
        f: &Fields<'_>,
        i: usize,
        reason: &str,
    ) -> Result<(), TransformError> {
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
