//! Per-table plan: which columns get URL rewriting, which anonymization
//! rules apply, and the options/users specials. Built once per table.

use super::anonymize::kinds::Kind;
use super::anonymize::{ColumnRule, MetaRules, TableRules};
use super::anonymize::{plugin_rules, wordpress_rules};
use super::rules::{OptionSet, RulesFile};
use super::{ColumnInfo, TableInfo};

/// How URL rewriting treats a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlMode {
    None,
    /// Free text / serialized / JSON.
    Text,
    /// The value is a bare host (multisite `domain` columns).
    Host,
}

#[derive(Debug, Clone)]
pub(crate) struct ColumnPlan {
    pub name: String,
    pub max_chars: Option<u32>,
    pub url: UrlMode,
    pub rule: Option<ColumnRule>,
    /// The rule is the generic scan of a column no rule names (it finds emails, IPs and
    /// phones, not names): the report lists these columns.
    pub scanned: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct EavPlan {
    pub key_idx: usize,
    pub value_idx: usize,
    pub rules: Option<MetaRules>,
}

/// Options-table specials (applied whether or not anonymization is on).
#[derive(Debug, Clone, Default)]
pub(crate) struct OptionsPlan {
    /// `home`/`siteurl` become this URL (unless the rewrite kept a sub-path).
    pub site_url: Option<String>,
    pub blog_public_off: bool,
    /// `upload_url_path` becomes this (media load from production or the uploads URL).
    pub upload_url_path: Option<String>,
    pub sets: Vec<OptionSet>,
}

#[derive(Debug, Clone)]
pub(crate) struct CondPlan {
    pub idx: usize,
    pub equals: String,
    pub columns: Vec<(usize, Kind)>,
}

/// Which row belongs to a kept user.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SubjectPlan {
    /// `users.ID` or `usermeta.user_id`.
    pub id_idx: Option<usize>,
    /// `users.user_login` (also the source of `slug`).
    pub login_idx: Option<usize>,
    pub is_users: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct TablePlan {
    pub table: String,
    pub columns: Vec<ColumnPlan>,
    pub drop_all: bool,
    pub eav: Option<EavPlan>,
    pub options: Option<OptionsPlan>,
    pub cond: Vec<CondPlan>,
    pub subject: Option<SubjectPlan>,
    pub pk: Vec<usize>,
}

impl TablePlan {
    /// Does the plan do anything at all?
    pub fn is_active(&self) -> bool {
        self.drop_all
            || self.eav.as_ref().is_some_and(|e| e.rules.is_some())
            || self.options.is_some()
            || !self.cond.is_empty()
            || self.columns.iter().any(|c| {
                c.url != UrlMode::None || c.rule.as_ref().is_some_and(|r| r.kind.is_active())
            })
    }
}

/// Table name after the prefix and a multisite blog number
/// (`wp_2_posts` → `posts`), lower-case.
pub fn logical_name(table: &str, prefix: &str) -> String {
    let lower = table.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix(&prefix.to_ascii_lowercase()) else {
        return lower;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && rest.as_bytes().get(digits) == Some(&b'_') && rest.len() > digits + 1 {
        return rest[digits + 1..].to_string();
    }
    rest.to_string()
}

/// Can a column of catalog type `type_name` (as `format_type` prints it, `varchar(n)` and all)
/// hold a URL the rewriter changes? The same test the plan makes.
pub fn url_column_type(type_name: &str) -> bool {
    is_text_type(type_name.split('(').next().unwrap_or_default().trim())
}

fn is_text_type(t: &str) -> bool {
    let t = t.to_ascii_lowercase();
    t == "text"
        || t == "json"
        || t == "jsonb"
        || t == "citext"
        || t == "bpchar"
        || t.starts_with("character")
        || t.starts_with("varchar")
}

/// The rule of a column no rule names: text is scanned for emails, IPs and phone numbers;
/// an `inet` column holds an address.
fn generic_rule(type_name: &str) -> Option<ColumnRule> {
    let kind = if is_text_type(type_name) {
        Kind::PiiInside
    } else if type_name.eq_ignore_ascii_case("inet") {
        Kind::Ip
    } else {
        return None;
    };
    Some(ColumnRule {
        kind,
        unique: false,
    })
}

/// Inputs of [`build`] that come from the run configuration.
pub(crate) struct PlanInputs<'a> {
    pub prefix: &'a str,
    pub urls_active: bool,
    pub site_url: Option<String>,
    pub rewrite_guid: bool,
    pub anonymize: bool,
    pub blog_public_off: bool,
    /// What `upload_url_path` becomes in this table (an options table).
    pub upload_url_path: Option<String>,
    pub user_rules: Option<&'a RulesFile>,
}

fn merged_rules(logical: &str, full: &str, inp: &PlanInputs<'_>) -> TableRules {
    let mut rules =
        plugin_rules::extend(logical, wordpress_rules::builtin(logical)).unwrap_or_default();
    let Some(user) = inp.user_rules.and_then(|u| u.table(logical, full)) else {
        return rules;
    };
    for (c, k) in &user.columns {
        match rules.columns.iter_mut().find(|(n, _)| n == c) {
            Some((_, r)) => r.kind = k.clone(),
            None => rules.columns.push((
                c.clone(),
                ColumnRule {
                    kind: k.clone(),
                    unique: false,
                },
            )),
        }
    }
    if !user.meta_keys.is_empty() || user.key_column.is_some() {
        let (dk, dv) = if logical == "options" {
            ("option_name", "option_value")
        } else {
            ("meta_key", "meta_value")
        };
        let meta = rules.meta.get_or_insert_with(|| MetaRules {
            key_column: dk.into(),
            value_column: dv.into(),
            ..Default::default()
        });
        if let Some(k) = &user.key_column {
            meta.key_column = k.clone();
        }
        if let Some(v) = &user.value_column {
            meta.value_column = v.clone();
        }
        let mut user_globs = Vec::new();
        for (pat, k) in &user.meta_keys {
            if pat.contains(['*', '?']) {
                user_globs.push((pat.clone(), k.clone()));
            } else {
                meta.exact.insert(pat.clone(), k.clone());
            }
        }
        user_globs.append(&mut meta.globs);
        meta.globs = user_globs;
    }
    rules.drop_all |= user.delete_rows;
    rules
}

fn find(cols: &[ColumnInfo], name: &str) -> Option<usize> {
    cols.iter().position(|c| c.name.eq_ignore_ascii_case(name))
}

/// Builds the plan of one table.
pub(crate) fn build(table: &TableInfo, inp: &PlanInputs<'_>) -> TablePlan {
    let logical = logical_name(&table.name, inp.prefix);
    let rules = if inp.anonymize {
        merged_rules(&logical, &table.name, inp)
    } else {
        TableRules::default()
    };
    let eav_rules = rules.meta.clone();
    let (key_name, value_name) = match (&eav_rules, logical.as_str()) {
        (Some(m), _) => (m.key_column.clone(), m.value_column.clone()),
        (None, "options") => ("option_name".into(), "option_value".into()),
        (None, _) => ("meta_key".into(), "meta_value".into()),
    };
    let key_idx = find(&table.columns, &key_name);
    let value_idx = find(&table.columns, &value_name);
    let eav_columns = eav_rules.as_ref().map(|_| (key_idx, value_idx));
    let columns = column_plans(table, inp, &logical, &rules, key_idx, eav_columns);
    let eav = match (key_idx, value_idx) {
        (Some(key_idx), Some(value_idx)) if eav_rules.is_some() || logical == "options" => {
            Some(EavPlan {
                key_idx,
                value_idx,
                rules: eav_rules,
            })
        }
        _ => None,
    };
    let options = (logical == "options" && eav.is_some()).then(|| OptionsPlan {
        site_url: inp.site_url.clone(),
        blog_public_off: inp.blog_public_off,
        upload_url_path: inp.upload_url_path.clone(),
        sets: inp
            .user_rules
            .map(|u| u.option_sets.clone())
            .unwrap_or_default(),
    });
    let cond = cond_plans(table, &rules);
    let subject = subject_plan(table, &logical);
    TablePlan {
        table: table.name.clone(),
        columns,
        drop_all: rules.drop_all,
        eav,
        options,
        cond,
        subject,
        pk: table.primary_key.clone(),
    }
}

/// Each column's URL mode and anonymization rule. `eav_columns`: the key and value columns of
/// a table with meta rules (they are handled per row, not by a column rule).
fn column_plans(
    table: &TableInfo,
    inp: &PlanInputs<'_>,
    logical: &str,
    rules: &TableRules,
    key_idx: Option<usize>,
    eav_columns: Option<(Option<usize>, Option<usize>)>,
) -> Vec<ColumnPlan> {
    let host_cols: &[&str] = match logical {
        "blogs" | "site" | "signups" => &["domain"],
        _ => &[],
    };
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let lname = c.name.to_ascii_lowercase();
            let url = if !inp.urls_active || !is_text_type(&c.type_name) || Some(i) == key_idx {
                UrlMode::None
            } else if host_cols.contains(&lname.as_str()) {
                UrlMode::Host
            } else if (lname == "guid" && !inp.rewrite_guid)
                || (logical == "users" && lname == "user_pass")
            {
                UrlMode::None
            } else {
                UrlMode::Text
            };
            let named = rules
                .columns
                .iter()
                .find(|(n, _)| *n == lname)
                .map(|(_, r)| r.clone());
            let eav_column =
                eav_columns.is_some_and(|(key, value)| Some(i) == key || Some(i) == value);
            let generic = (inp.anonymize
                && named.is_none()
                && !eav_column
                && !table.primary_key.contains(&i))
            .then(|| generic_rule(&c.type_name))
            .flatten();
            ColumnPlan {
                name: c.name.clone(),
                max_chars: c.max_chars,
                url,
                scanned: generic.is_some(),
                rule: named.or(generic),
            }
        })
        .collect()
}

/// The rules that apply to some columns only when another column holds a given value.
fn cond_plans(table: &TableInfo, rules: &TableRules) -> Vec<CondPlan> {
    rules
        .conditional
        .iter()
        .filter_map(|c| {
            let idx = find(&table.columns, &c.column)?;
            let columns = c
                .columns
                .iter()
                .filter_map(|(n, k)| Some((find(&table.columns, n)?, k.clone())))
                .collect();
            Some(CondPlan {
                idx,
                equals: c.equals.clone(),
                columns,
            })
        })
        .collect()
}

/// Which columns of `users` and `usermeta` identify the user a row is about.
fn subject_plan(table: &TableInfo, logical: &str) -> Option<SubjectPlan> {
    match logical {
        "users" => Some(SubjectPlan {
            id_idx: find(&table.columns, "id"),
            login_idx: find(&table.columns, "user_login"),
            is_users: true,
        }),
        "usermeta" => Some(SubjectPlan {
            id_idx: find(&table.columns, "user_id"),
            login_idx: None,
            is_users: false,
        }),
        _ => None,
    }
}
