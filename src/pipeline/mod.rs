//! Wires the pure transform layer into the sync stream: builds the [`TransformSet`] from the
//! user's settings, looks at the snapshot before the copy (table prefix, kept users, columns no
//! rule covers), runs a transformer per table, and checks the copy for leaks before it is kept.

mod checks;
mod rules_check;
mod uploads;

use checks::KeptRows;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use anyhow::Context as _;
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use rand::RngExt as _;
use secrecy::{ExposeSecret as _, SecretSlice};
use tokio_postgres::Client;

use crate::postgres::quote_ident;
use crate::sync::catalog::Table;
use crate::sync::{RowOutcome, RowTransform, Transforms};
use crate::transform::TransformSettings;
use crate::transform::{
    self, ColumnInfo, RewrittenUrl, RulesFile, RunReport, RunTotals, TableInfo, TableTransformer,
    TransformConfig, TransformSet, UploadsMode, UrlRewrite,
};

/// The transforms of one run, shared by every COPY worker.
pub struct StreamTransforms {
    set: RwLock<TransformSet>,
    keep_users: Vec<String>,
    strict: bool,
    anonymize: bool,
    random_key: bool,
    /// Staging's `upload_url_path` is set (to production's uploads or `--uploads-url`).
    sets_upload_url_path: bool,
    rewrites: Vec<(String, String)>,
    uncovered: RwLock<Vec<String>>,
    kept_emails: RwLock<Vec<String>>,
    kept: RwLock<KeptRows>,
    /// The source's tables, as `prepare` saw them (the dry run's leak check reads them again).
    tables: RwLock<Vec<Table>>,
}

/// Builds the transforms for a copy that rewrites each `(from, to)` URL pair.
pub fn build(
    settings: &TransformSettings,
    rewrites: &[(String, String)],
) -> anyhow::Result<Arc<StreamTransforms>> {
    let (key, random_key) = match &settings.key {
        Some(k) if !k.expose_secret().is_empty() => (k.expose_secret().as_bytes().to_vec(), false),
        _ => {
            let bytes: [u8; 32] = rand::rng().random();
            (bytes.to_vec(), true)
        }
    };
    let mut cfg = TransformConfig::new(SecretSlice::from(key));
    cfg.url_rewrites = rewrites
        .iter()
        .map(|(from, to)| UrlRewrite {
            from: from.clone(),
            to: to.clone(),
        })
        .collect();
    cfg.rewrite_guid = settings.rewrite_guid;
    cfg.uploads = match (&settings.uploads_url, settings.rewrite_uploads) {
        (Some(url), _) => UploadsMode::To(url.clone()),
        (None, true) => UploadsMode::Rewrite,
        (None, false) => UploadsMode::KeepProduction,
    };
    cfg.anonymize = settings.anonymize;
    if let Some(path) = &settings.rules_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the rules file {}", path.display()))?;
        cfg.user_rules = Some(
            RulesFile::from_yaml(&text)
                .with_context(|| format!("in the rules file {}", path.display()))?,
        );
    }
    cfg.keep_users = settings.keep_users.clone();
    cfg.staging_password = settings.staging_password.clone();
    cfg.keep_user_data = settings.keep_user_data;
    cfg.blog_public_off = !settings.keep_blog_public;
    cfg.strict = settings.strict;
    let set = TransformSet::new(cfg).context("the transform settings are invalid")?;
    Ok(Arc::new(StreamTransforms {
        set: RwLock::new(set),
        keep_users: {
            let mut users: Vec<String> = settings
                .keep_users
                .iter()
                .map(|u| u.trim().to_lowercase())
                .collect();
            users.sort();
            users.dedup();
            users
        },
        strict: settings.strict,
        anonymize: settings.anonymize,
        random_key,
        sets_upload_url_path: !settings.rewrite_uploads || settings.uploads_url.is_some(),
        rewrites: rewrites.to_vec(),
        uncovered: RwLock::new(Vec::new()),
        kept_emails: RwLock::new(Vec::new()),
        kept: RwLock::new(KeptRows::default()),
        tables: RwLock::new(Vec::new()),
    }))
}

impl StreamTransforms {
    pub fn random_key(&self) -> bool {
        self.random_key
    }

    /// The per table/column report as a text table (like `wp search-replace --dry-run`).
    pub fn text_report(&self) -> String {
        let mut text = match self.set() {
            Ok(set) => {
                let report = set.report();
                let mut text = report.to_text_table();
                let scanned = report.scanned_columns();
                if !scanned.is_empty() {
                    text.push_str(&format!(
                        "\nemails, IPs and phone numbers were replaced in columns no rule names; names \
                         and postal addresses may remain there (add rules with --rules): {}\n",
                        scanned.join(", ")
                    ));
                }
                if self.anonymize {
                    text.push_str(&remaining_line(&report));
                }
                text
            }
            Err(e) => format!("(no transform report: {e})\n"),
        };
        if !self.anonymize {
            text.push_str("\nWARNING: anonymization was OFF — staging holds real personal data.\n");
        } else if self.random_key {
            text.push_str("\nanonymization key: random for this run (pseudonyms differ between runs; pass --anonymize-key to keep them stable)\n");
        }
        text
    }

    fn set(&self) -> anyhow::Result<std::sync::RwLockReadGuard<'_, TransformSet>> {
        self.set
            .read()
            .map_err(|_| anyhow::anyhow!("transform state poisoned"))
    }

    async fn prepare_inner(
        &self,
        tables: &[Table],
        snapshot: &Client,
    ) -> anyhow::Result<Vec<String>> {
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        let prefix = TransformSet::detect_prefix(&names);
        let mut warnings = Vec::new();
        if !self.anonymize {
            warnings.push(
                "ANONYMIZATION IS OFF (--no-anonymize): staging holds real personal data from production"
                    .to_owned(),
            );
        }
        let prefix = match prefix {
            Some(p) => p,
            None => {
                warnings.push("no WordPress tables were found (no *options + *posts pair); only generic rules apply".to_owned());
                String::new()
            }
        };
        let kept_ids = self.kept_user_ids(tables, &prefix, snapshot).await?;
        // Only a copy that moves the site needs its media pointed back at production.
        let uploads_bases = if self.rewrites.is_empty() || !self.sets_upload_url_path {
            BTreeMap::new()
        } else {
            let (bases, missing) = uploads::production_bases(tables, &prefix, snapshot).await?;
            warnings.extend(missing);
            bases
        };
        {
            let mut set = self
                .set
                .write()
                .map_err(|_| anyhow::anyhow!("transform state poisoned"))?;
            set.set_table_prefix(&prefix);
            set.set_kept_user_ids(kept_ids);
            set.set_uploads_bases(uploads_bases);
        }
        if self.anonymize {
            let rules = self.set()?.user_rules().cloned();
            if let Some(rules) = rules {
                rules_check::validate(&rules, &prefix, tables, snapshot).await?;
            }
        }
        let uncovered = self.scan_uncovered(tables, snapshot).await?;
        if !uncovered.is_empty() {
            let list = uncovered.join(", ");
            if self.strict && self.anonymize {
                anyhow::bail!(
                    "--strict: these columns look like they hold personal data but no anonymization \
                     rule covers them: {list}. Add rules for them (--rules FILE) or drop --strict."
                );
            }
            warnings.push(format!(
                "columns that look like personal data but no rule covers (add rules with --rules): {list}"
            ));
        }
        if let Ok(mut u) = self.uncovered.write() {
            *u = uncovered;
        }
        if let Ok(mut t) = self.tables.write() {
            *t = tables.to_vec();
        }
        Ok(warnings)
    }

    async fn kept_user_ids(
        &self,
        tables: &[Table],
        prefix: &str,
        snapshot: &Client,
    ) -> anyhow::Result<Vec<i64>> {
        if self.keep_users.is_empty() {
            return Ok(Vec::new());
        }
        let users = format!("{prefix}users");
        let Some(table) = tables.iter().find(|t| t.name.eq_ignore_ascii_case(&users)) else {
            anyhow::bail!("--keep-user was given but the source has no {users} table");
        };
        let col = |name: &str| {
            table
                .columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
                .map(|c| quote_ident(&c.name))
        };
        let (Some(id), Some(login), Some(email)) =
            (col("id"), col("user_login"), col("user_email"))
        else {
            anyhow::bail!("the {users} table has no ID/user_login/user_email columns");
        };
        let sql = format!(
            "SELECT {id}::int8, lower(trim({email})) FROM {} WHERE lower({login}) = ANY($1)",
            table.qualified()
        );
        let rows = snapshot
            .query(&sql, &[&self.keep_users])
            .await
            .context("looking up the kept users")?;
        let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        // Kept accounts keep their own address; the leak check must not flag it.
        if let Ok(mut kept) = self.kept_emails.write() {
            kept.extend(rows.iter().filter_map(|r| r.get::<_, Option<String>>(1)));
        }
        if let Ok(mut k) = self.kept.write() {
            k.ids = ids.clone();
            k.users = table.name.clone();
            k.usermeta = format!("{prefix}usermeta");
            k.usermeta_key = "user_id".to_owned();
        }
        if ids.len() < self.keep_users.len() {
            anyhow::bail!(
                "--keep-user names a login the source does not have ({} of {} found); check the spelling",
                ids.len(),
                self.keep_users.len()
            );
        }
        Ok(ids)
    }
}

/// How many values of personal-data columns still look like an email, IP or phone number that
/// is no pseudonym, and where (free text keeps its words: names are not counted).
fn remaining_line(report: &transform::TransformReport) -> String {
    let mut total = 0;
    let mut columns = Vec::new();
    for t in &report.tables {
        for c in t.columns.iter().filter(|c| c.pii_like_remaining > 0) {
            total += c.pii_like_remaining;
            columns.push(format!(
                "{}.{} ({})",
                t.table, c.column, c.pii_like_remaining
            ));
        }
    }
    if total == 0 {
        return "
values that still look like an email, IP or phone number after anonymization: 0
"
        .to_owned();
    }
    format!(
        "
values that still look like an email, IP or phone number after anonymization: {total} \
         (not originals: the leak check passed; check them, or add rules with --rules): {}\n",
        columns.join(", ")
    )
}

fn is_text(type_name: &str) -> bool {
    let t = type_name.to_ascii_lowercase();
    t.starts_with("text")
        || t.starts_with("character")
        || t.starts_with("varchar")
        || t == "json"
        || t == "jsonb"
}

fn table_info(t: &Table) -> TableInfo {
    TableInfo {
        schema: t.schema.clone(),
        name: t.name.clone(),
        columns: t
            .columns
            .iter()
            .map(|c| ColumnInfo {
                name: c.name.clone(),
                // format_type says "character varying(100)"; the limit travels in max_chars.
                type_name: c
                    .type_name
                    .split('(')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                max_chars: c.max_chars,
            })
            .collect(),
        primary_key: t.primary_key.clone(),
    }
}

struct Row(TableTransformer);

impl RowTransform for Row {
    fn transform_row(&mut self, row: &[u8], out: &mut Vec<u8>) -> anyhow::Result<RowOutcome> {
        Ok(match self.0.transform_row(row, out)? {
            transform::RowOutcome::Unchanged => RowOutcome::Unchanged,
            transform::RowOutcome::Changed => RowOutcome::Changed,
            transform::RowOutcome::Dropped => RowOutcome::Dropped,
        })
    }

    fn finish(self: Box<Self>) {
        self.0.finish();
    }
}

impl Transforms for StreamTransforms {
    fn prepare<'a>(
        &'a self,
        tables: &'a [Table],
        snapshot: &'a Client,
    ) -> BoxFuture<'a, anyhow::Result<Vec<String>>> {
        self.prepare_inner(tables, snapshot).boxed()
    }

    fn for_table(&self, table: &Table) -> anyhow::Result<Option<Box<dyn RowTransform>>> {
        let t = self.set()?.for_table(&table_info(table))?;
        Ok(t.map(|t| Box::new(Row(t)) as Box<dyn RowTransform>))
    }

    fn verify<'a>(&'a self, target: &'a Client) -> BoxFuture<'a, anyhow::Result<Vec<String>>> {
        self.verify_inner(target, checks::Rows::Copy).boxed()
    }

    fn verify_dry_run<'a>(
        &'a self,
        snapshot: &'a Client,
    ) -> BoxFuture<'a, anyhow::Result<Vec<String>>> {
        self.verify_inner(snapshot, checks::Rows::Source).boxed()
    }

    fn report(&self) -> Option<RunReport> {
        let report = self.set().ok()?.report();
        let uncovered = self.uncovered.read().map(|u| u.clone()).unwrap_or_default();
        Some(RunReport {
            anonymize: self.anonymize,
            random_key: self.random_key,
            url_rewrites: self
                .rewrites
                .iter()
                .map(|(from, to)| RewrittenUrl {
                    from: from.clone(),
                    to: to.clone(),
                })
                .collect(),
            totals: RunTotals::of(&report),
            uncovered_pii_columns: uncovered,
            names_may_remain: report.scanned_columns(),
            tables: report.tables,
        })
    }
}
