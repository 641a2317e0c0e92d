//! `TransformSet` (shared by all COPY workers) and `TableTransformer` (one
//! per COPY stream).

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use secrecy::ExposeSecret;

use super::anonymize::pseudonym::Pseudonymizer;
use super::anonymize::{UniqueRegistry, kinds::Kind};
use super::error::TransformError;
use super::leak::LeakDetector;
use super::password::wordpress_hash;
use super::plan::{self, PlanInputs, TablePlan};
use super::rules::RulesFile;
use super::stats::{ColumnReport, TableReport, TransformReport};
use super::url::{UploadsMode, UrlRewriter};
use super::{TableInfo, TransformConfig};

/// Immutable run context shared by the transformers.
#[derive(Debug, Clone)]
pub(crate) struct RunCtx {
    pub urls: UrlRewriter,
    pub pseudo: Pseudonymizer,
    pub keep_logins: HashSet<String>,
    pub kept_ids: HashSet<i64>,
    pub staging_hash: Option<String>,
    /// Kept users keep their contact data too (`--keep-user-data`).
    pub keep_user_data: bool,
    pub strict: bool,
}

/// State merged from every transformer.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub report: Mutex<BTreeMap<String, TableReport>>,
    pub leaks: Mutex<HashSet<u64>>,
    /// Set when hashes could not be merged (a lock was poisoned): the leak check then fails.
    pub lost_hashes: AtomicBool,
    /// Hashes of email/IP/phone tokens written to the personal-data columns, per column.
    pub emitted: Mutex<BTreeMap<(String, String), Vec<u64>>>,
    pub unique: UniqueRegistry,
}

/// All transforms of one run. `Send + Sync`; share it with `Arc`.
#[derive(Debug)]
pub struct TransformSet {
    ctx: Arc<RunCtx>,
    shared: Arc<Shared>,
    prefix: String,
    rewrite_guid: bool,
    anonymize: bool,
    blog_public_off: bool,
    user_rules: Option<RulesFile>,
    uploads: UploadsMode,
    /// Production's uploads base URL per options table (`wp_options`, `wp_2_options`).
    uploads_bases: BTreeMap<String, String>,
}

impl TransformSet {
    /// Validates the configuration and prepares the run.
    pub fn new(cfg: TransformConfig) -> Result<Self, TransformError> {
        let urls = UrlRewriter::new(&cfg.url_rewrites, &cfg.uploads)?;
        let pseudo = Pseudonymizer::new(cfg.key.expose_secret())?;
        let staging_hash = cfg.staging_password.as_ref().map(|pw| {
            let mac = pseudo.mac("phpass-salt", pw.expose_secret());
            let mut salt = [0u8; 6];
            salt.copy_from_slice(&mac[..6]);
            wordpress_hash(pw, salt)
        });
        let ctx = RunCtx {
            urls,
            pseudo,
            keep_logins: cfg
                .keep_users
                .iter()
                .map(|u| u.trim().to_lowercase())
                .collect(),
            kept_ids: HashSet::new(),
            staging_hash,
            keep_user_data: cfg.keep_user_data,
            strict: cfg.strict,
        };
        Ok(TransformSet {
            ctx: Arc::new(ctx),
            shared: Arc::new(Shared::default()),
            prefix: "wp_".into(),
            rewrite_guid: cfg.rewrite_guid,
            anonymize: cfg.anonymize,
            blog_public_off: cfg.blog_public_off,
            user_rules: cfg.user_rules,
            uploads: cfg.uploads,
            uploads_bases: BTreeMap::new(),
        })
    }

    /// The WordPress table prefix: the prefix of a table ending in `options`
    /// that has a sibling `…posts` (shortest wins, so `wp_` beats `wp_2_`).
    pub fn detect_prefix(table_names: &[&str]) -> Option<String> {
        let lower: HashSet<String> = table_names.iter().map(|t| t.to_ascii_lowercase()).collect();
        table_names
            .iter()
            .filter_map(|t| {
                let l = t.to_ascii_lowercase();
                let p = l.strip_suffix("options")?;
                lower
                    .contains(&format!("{p}posts"))
                    .then(|| t[..p.len()].to_string())
            })
            .min_by_key(String::len)
    }

    /// The user's rules file, if one was given.
    pub fn user_rules(&self) -> Option<&RulesFile> {
        self.user_rules.as_ref()
    }

    pub fn set_table_prefix(&mut self, prefix: &str) {
        self.prefix = prefix.to_string();
    }

    /// Production's uploads base URL per options table (lower-case table name), as WordPress
    /// computes it there: staging's `upload_url_path` unless an uploads URL is given.
    pub fn set_uploads_bases(&mut self, bases: BTreeMap<String, String>) {
        self.uploads_bases = bases
            .into_iter()
            .map(|(t, b)| (t.to_ascii_lowercase(), b))
            .collect();
    }

    /// IDs of the kept users (their users row and usermeta stay as they are).
    pub fn set_kept_user_ids(&mut self, ids: Vec<i64>) {
        Arc::make_mut(&mut self.ctx).kept_ids = ids.into_iter().collect();
    }

    /// What the transforms would do to `table`.
    fn plan(&self, table: &TableInfo) -> TablePlan {
        let inputs = PlanInputs {
            prefix: &self.prefix,
            urls_active: !self.ctx.urls.is_empty(),
            site_url: self.ctx.urls.primary_target(),
            rewrite_guid: self.rewrite_guid,
            anonymize: self.anonymize,
            blog_public_off: self.blog_public_off,
            upload_url_path: match &self.uploads {
                UploadsMode::KeepProduction => self
                    .uploads_bases
                    .get(&table.name.to_ascii_lowercase())
                    .cloned(),
                UploadsMode::To(url) => Some(url.trim_end_matches('/').to_owned()),
                UploadsMode::Rewrite => None,
            },
            user_rules: self.user_rules.as_ref(),
        };
        plan::build(table, &inputs)
    }

    /// The transformer of one COPY stream, or `None` for pass-through.
    pub fn for_table(&self, table: &TableInfo) -> Result<Option<TableTransformer>, TransformError> {
        Ok(self.transformer(table, Arc::clone(&self.shared)))
    }

    /// A transformer of `table` whose counters and hashes go nowhere: the dry run's leak check
    /// transforms a table's rows once more to name the row that leaks, without counting twice.
    pub fn for_table_detached(
        &self,
        table: &TableInfo,
    ) -> Result<Option<TableTransformer>, TransformError> {
        Ok(self.transformer(table, Arc::new(Shared::default())))
    }

    fn transformer(&self, table: &TableInfo, shared: Arc<Shared>) -> Option<TableTransformer> {
        let plan = self.plan(table);
        plan.is_active()
            .then(|| TableTransformer::new(plan, Arc::clone(&self.ctx), shared))
    }

    /// Columns of `table` that an anonymization rule covers (or whose rows are all dropped):
    /// what the scan for unruled personal data leaves out. The generic scan of emails, IPs
    /// and phones does not count: it leaves names and addresses.
    pub fn covered_columns(&self, table: &TableInfo) -> Vec<String> {
        let plan = self.plan(table);
        if plan.drop_all {
            return plan.columns.iter().map(|c| c.name.clone()).collect();
        }
        let mut covered: Vec<String> = plan
            .columns
            .iter()
            .filter(|c| !c.scanned && c.rule.as_ref().is_some_and(|r| r.kind.is_active()))
            .map(|c| c.name.clone())
            .collect();
        if let Some(e) = plan.eav.as_ref().filter(|e| e.rules.is_some()) {
            covered.push(plan.columns[e.value_idx].name.clone());
        }
        for c in &plan.cond {
            covered.extend(c.columns.iter().map(|(i, _)| plan.columns[*i].name.clone()));
        }
        covered
    }

    /// Merged counters of every transformer that has finished or been dropped.
    pub fn report(&self) -> TransformReport {
        match self.shared.report.lock() {
            Ok(map) => TransformReport::from_map(&map),
            Err(_) => TransformReport::default(),
        }
    }

    /// Snapshot of the originals seen so far and the token hashes written to the personal-data
    /// columns. Fails closed: a poisoned lock or hashes lost on the way are an error, never an
    /// empty (passing) detector.
    pub fn leak_detector(&self) -> Result<LeakDetector, TransformError> {
        if self.shared.lost_hashes.load(Ordering::SeqCst) {
            return Err(poisoned());
        }
        let emitted = self.shared.emitted.lock().map_err(|_| poisoned())?;
        let seen = self.shared.leaks.lock().map_err(|_| poisoned())?;
        Ok(LeakDetector {
            emitted: emitted
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            seen: seen.clone(),
        })
    }

    /// The `$P$` hash kept users get (for the engine's own checks/logs).
    pub fn staging_password_hash(&self) -> Option<&str> {
        self.ctx.staging_hash.as_deref()
    }
}

/// Columns of a plan that hold personal data: what the leak check watches.
fn pii_column_indexes(plan: &TablePlan) -> Vec<usize> {
    let mut cols: Vec<usize> = plan
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.rule.as_ref().is_some_and(|r| {
                r.kind.pii().is_some()
                    || matches!(r.kind, Kind::PiiKeys | Kind::PiiInside | Kind::EmailsInside)
            })
        })
        .map(|(i, _)| i)
        .collect();
    cols.extend(
        plan.eav
            .iter()
            .filter(|e| e.rules.is_some())
            .map(|e| e.value_idx),
    );
    for c in &plan.cond {
        cols.extend(
            c.columns
                .iter()
                .filter(|(_, k)| k.pii().is_some())
                .map(|(i, _)| *i),
        );
    }
    cols.sort_unstable();
    cols.dedup();
    cols
}

pub(crate) fn poisoned() -> TransformError {
    TransformError::InvalidConfig("a transform worker panicked while holding shared state".into())
}

/// Outcome of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    /// Written byte-exact.
    Unchanged,
    Changed,
    /// Not written.
    Dropped,
}

/// Transforms the rows of one COPY stream. Counters merge into the set when
/// it is finished or dropped.
#[derive(Debug)]
pub struct TableTransformer {
    pub(crate) plan: TablePlan,
    pub(crate) ctx: Arc<RunCtx>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) stats: TableReport,
    pub(crate) seen: Vec<(super::anonymize::kinds::PiiKind, u64)>,
    pub(crate) spans: Vec<std::ops::Range<usize>>,
    /// Columns whose output the leak check watches (those holding personal data).
    pub(crate) leak_cols: Vec<usize>,
    /// `(column, token hash)` written so far, flushed into the shared set.
    pub(crate) emitted: Vec<(usize, u64)>,
}

impl TableTransformer {
    fn new(plan: TablePlan, ctx: Arc<RunCtx>, shared: Arc<Shared>) -> Self {
        let stats = TableReport {
            table: plan.table.clone(),
            columns: plan
                .columns
                .iter()
                .map(|c| ColumnReport {
                    column: c.name.clone(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let leak_cols = pii_column_indexes(&plan);
        TableTransformer {
            plan,
            ctx,
            shared,
            stats,
            seen: Vec::new(),
            spans: Vec::new(),
            leak_cols,
            emitted: Vec::new(),
        }
    }

    /// Moves the emitted token hashes into the shared set.
    pub(crate) fn flush_emitted(&mut self) {
        if self.emitted.is_empty() {
            return;
        }
        let Ok(mut map) = self.shared.emitted.lock() else {
            self.shared.lost_hashes.store(true, Ordering::SeqCst);
            return;
        };
        // Appended only: sorting happens once, when the leak check reads them.
        for (i, h) in self.emitted.drain(..) {
            let key = (self.plan.table.clone(), self.plan.columns[i].name.clone());
            map.entry(key).or_default().push(h);
        }
    }

    /// Moves the originals' hashes into the shared set.
    pub(crate) fn flush_seen(&mut self) {
        match self.shared.leaks.lock() {
            Ok(mut leaks) => leaks.extend(self.seen.drain(..).map(|(_, h)| h)),
            Err(_) => self.shared.lost_hashes.store(true, Ordering::SeqCst),
        }
    }

    /// Merges the counters into the set (also done on drop).
    pub fn finish(self) {}

    fn merge(&mut self) {
        if let Ok(mut map) = self.shared.report.lock() {
            map.entry(self.plan.table.clone())
                .or_insert_with(|| TableReport {
                    table: self.plan.table.clone(),
                    ..Default::default()
                })
                .merge(&self.stats);
        }
        self.flush_seen();
        self.flush_emitted();
        self.stats = TableReport::default();
    }
}

impl Drop for TableTransformer {
    fn drop(&mut self) {
        self.merge();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leak_check_fails_closed_on_a_poisoned_lock() {
        let set = TransformSet::new(TransformConfig::new(secrecy::SecretSlice::from(vec![
            1u8;
            8
        ])))
        .expect("set");
        assert!(set.leak_detector().is_ok());
        let shared = Arc::clone(&set.shared);
        let poison = std::thread::spawn(move || {
            let _guard = shared.leaks.lock().expect("lock");
            panic!("a worker panics holding the lock");
        });
        assert!(poison.join().is_err());
        assert!(set.leak_detector().is_err());
    }
}
