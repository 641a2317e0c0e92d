//! The steps of `TableTransformer::transform_row`, in order: which rules apply to a row,
//! anonymization, URL rewriting, option settings, the leak check's hashes, then length checks
//! and the encoded output.

use super::anonymize::kinds::Kind;
use super::anonymize::scrub::might_hold_pii;
use super::anonymize::{Applied, ApplyCtx, apply};
use super::copy_codec::encode_field;
use super::error::TransformError;
use super::leak::LeakDetector;
use super::nested::TextRewriter;
use super::plan::UrlMode;
use super::row::{Fields, Val, apply_option_set, malformed};
use super::set::{RowOutcome, TableTransformer};

/// What applies to one row: whether it belongs to a kept account, the columns to anonymize
/// (index, kind, unique) and, in an options or meta table, the row's key.
pub(super) struct RowRules {
    pub kept: bool,
    /// The user id of a users/usermeta row that is not kept: its names come from one fake person.
    pub person: Option<i64>,
    pub todo: Vec<(usize, Kind, bool)>,
    pub option_name: Option<String>,
}

impl TableTransformer {
    /// Step 1: the anonymization rules that apply to this row.
    pub(super) fn rules_for_row(&self, f: &Fields<'_>) -> Result<RowRules, TransformError> {
        let mut kept = false;
        let mut login: Option<String> = None;
        let mut user_id: Option<i64> = None;
        if let Some(s) = self.plan.subject {
            if let Some(i) = s.login_idx {
                login = f
                    .text(i)
                    .map_err(|e| malformed(&self.plan.table, e))?
                    .map(str::to_string);
            }
            let id = match s.id_idx {
                Some(i) => f
                    .text(i)
                    .map_err(|e| malformed(&self.plan.table, e))?
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
            if f.text(c.idx).map_err(|e| malformed(&self.plan.table, e))? == Some(c.equals.as_str())
            {
                todo.extend(c.columns.iter().map(|(i, k)| (*i, k.clone(), false)));
            }
        }
        let mut option_name: Option<String> = None;
        if let Some(e) = &self.plan.eav {
            let key = f
                .text(e.key_idx)
                .map_err(|e| malformed(&self.plan.table, e))?
                .map(str::to_string);
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
        Ok(RowRules {
            kept,
            person: user_id.filter(|_| !kept),
            todo,
            option_name,
        })
    }

    /// Step 2: anonymize the row's columns; `true` when a rule deletes the row. `person` and
    /// `meta_key` come from [`RowRules`].
    pub(super) fn anonymize_fields(
        &mut self,
        f: &mut Fields<'_>,
        todo: Vec<(usize, Kind, bool)>,
        kept: bool,
        (person, meta_key): (Option<i64>, Option<&str>),
    ) -> Result<bool, TransformError> {
        for (i, kind, unique) in todo {
            // Content scrubbing looks for addresses and numbers; most values have none.
            if let Some(targets) = kind.scrub_targets()
                && !might_hold_pii(&f.row[f.spans[i].clone()], targets)
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
                Err(e) => return Err(self.anon_err(f, i, e)),
            };
            if kind == Kind::PasswordHash && kept {
                match &self.ctx.staging_hash {
                    Some(h) if original.is_some() => f.new[i] = Some(Some(h.clone())),
                    _ => {}
                }
                continue;
            }
            if let Some(name) = person
                .and_then(|uid| self.account_name(i, meta_key, &kind, uid, original.as_deref()))
            {
                f.new[i] = Some(Some(name));
                self.stats.columns[i].anonymized += 1;
                continue;
            }
            let mut actx = ApplyCtx {
                pseudo: &self.ctx.pseudo,
                keep_logins: &self.ctx.keep_logins,
                seen: &mut self.seen,
            };
            let applied =
                apply(&kind, original.as_deref(), &mut actx).map_err(|e| self.anon_err(f, i, e))?;
            let output = match applied {
                Applied::DeleteRow => {
                    self.stats.rows_dropped += 1;
                    return Ok(true);
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
        Ok(false)
    }

    /// Step 3: URL rewriting (only rows whose raw bytes hold an old host at all).
    pub(super) fn rewrite_urls(&mut self, f: &mut Fields<'_>) -> Result<(), TransformError> {
        let url_possible = self.ctx.urls.might_match_bytes(f.row);
        for i in 0..self.plan.columns.len() {
            let mode = self.plan.columns[i].url;
            // Host columns are compared case-insensitively, so the raw check cannot rule them out.
            if mode == UrlMode::None || (mode != UrlMode::Host && !url_possible) {
                continue;
            }
            let current: &str = match &f.new[i] {
                Some(Some(s)) => s,
                Some(None) => continue,
                None => match f.original(i).map_err(|e| malformed(&self.plan.table, e))? {
                    Val::Null | Val::Invalid(_) => continue,
                    Val::Text(s) => s,
                    Val::Bytes(b) => {
                        if self.ctx.urls.might_match(&String::from_utf8_lossy(b)) {
                            self.skip(f, i, "not UTF-8")?;
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
                        self.skip(f, i, reason.as_str())?;
                    }
                    r
                }
            };
            if let Some(v) = new {
                f.new[i] = Some(Some(v));
            }
        }
        Ok(())
    }

    /// Step 4: options: home/siteurl, blog_public, user settings.
    pub(super) fn apply_options(
        &self,
        f: &mut Fields<'_>,
        option_name: Option<String>,
    ) -> Result<(), TransformError> {
        if let (Some(opts), Some(e), Some(name)) =
            (&self.plan.options, &self.plan.eav, &option_name)
        {
            let vi = e.value_idx;
            let mut value = f
                .text(vi)
                .map_err(|e| malformed(&self.plan.table, e))?
                .map(str::to_string);
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
        Ok(())
    }

    /// Step 5: what the personal-data columns now hold, for the leak check (kept accounts
    /// keep their own data).
    pub(super) fn record_leak_hashes(
        &mut self,
        f: &Fields<'_>,
        kept: bool,
    ) -> Result<(), TransformError> {
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
        Ok(())
    }

    /// Step 6: length checks, then the row as it goes out (unchanged rows byte for byte).
    pub(super) fn write_row(
        &mut self,
        f: &Fields<'_>,
        out: &mut Vec<u8>,
    ) -> Result<RowOutcome, TransformError> {
        let original_f = f;
        let (row, spans, n) = (f.row, f.spans, self.plan.columns.len());
        let mut changed_any = false;
        for i in 0..n {
            let Some(new) = &original_f.new[i] else {
                continue;
            };
            let same = match (
                new,
                original_f
                    .original(i)
                    .map_err(|e| malformed(&self.plan.table, e))?,
            ) {
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
}
