//! The base snapshot: production copied once, anonymized and with the staging safety settings,
//! into a database (`wpstage_base` by default) on the staging server. PR databases are then made
//! from it without reading production again: a file-level clone plus an in-place URL rewrite.
//! A platform may keep the base apart instead (Railway: an environment of its own); see `apart.rs`.
//!
//! The base's facts live in its database comment, readable without connecting to it (a template
//! must have no sessions while it is copied):
//! `wpstage:base snapshot=<RFC 3339> site=<production URL> key=<fingerprint> tables=… rows=… bytes=…`.

mod apart;
pub mod rewrite;

pub use apart::refresh_apart;

use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Sha256;
use tokio_postgres::Client;

use super::config::LifecycleConfig;
use super::data;
use super::outcome::DataSummary;
use crate::platform::local_template::{clone_database, database_comment, drop_database, swap_in};
use crate::platform::{BaseHome, Platform};
use crate::postgres::{DbUrl, Side, connect, quote_ident, quote_literal, server_major};
use crate::sync::{Transforms, sync};

const BASE_MARKER: &str = "wpstage:base";
const BUILDING_MARKER: &str = "wpstage:base-building";
/// The fingerprint of a run whose anonymization key was generated for it.
const RANDOM_KEY: &str = "random";

/// Where the data of a PR environment comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataFrom {
    /// The base snapshot; an error when there is none.
    Base,
    /// Production, streamed and transformed (the path without a base).
    Production,
    /// The base when one exists and is younger than the maximum age, else production.
    #[default]
    Auto,
}

/// `--data-from`, `--base-max-age` and the base's name.
#[derive(Debug, Clone)]
pub struct DataSource {
    pub from: DataFrom,
    pub base_name: String,
    pub max_age: Duration,
}

impl Default for DataSource {
    fn default() -> Self {
        Self {
            from: DataFrom::Auto,
            base_name: "wpstage_base".to_owned(),
            max_age: Duration::from_secs(24 * 3600),
        }
    }
}

/// What the base's comment records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseInfo {
    pub name: String,
    /// When production's snapshot was taken (RFC 3339, UTC).
    pub snapshot_time: String,
    pub site_url: String,
    /// Keyed fingerprint of the anonymization key (never the key), or `random`.
    pub key_fingerprint: String,
    pub tables: usize,
    pub rows: u64,
    pub bytes: u64,
}

impl BaseInfo {
    fn comment(&self) -> String {
        format!(
            "{BASE_MARKER} snapshot={} site={} key={} tables={} rows={} bytes={}",
            self.snapshot_time,
            self.site_url,
            self.key_fingerprint,
            self.tables,
            self.rows,
            self.bytes
        )
    }

    fn parse(name: &str, comment: &str) -> Option<Self> {
        let rest = comment.strip_prefix(BASE_MARKER)?.strip_prefix(' ')?;
        let mut info = BaseInfo {
            name: name.to_owned(),
            snapshot_time: String::new(),
            site_url: String::new(),
            key_fingerprint: String::new(),
            tables: 0,
            rows: 0,
            bytes: 0,
        };
        for part in rest.split_whitespace() {
            let (k, v) = part.split_once('=')?;
            match k {
                "snapshot" => info.snapshot_time = v.to_owned(),
                "site" => info.site_url = v.to_owned(),
                "key" => info.key_fingerprint = v.to_owned(),
                "tables" => info.tables = v.parse().ok()?,
                "rows" => info.rows = v.parse().ok()?,
                "bytes" => info.bytes = v.parse().ok()?,
                _ => {}
            }
        }
        humantime::parse_rfc3339(&info.snapshot_time).ok()?;
        (!info.site_url.is_empty()).then_some(info)
    }

    /// Was the base anonymized with a key generated for its refresh (pseudonyms that match
    /// nothing else)?
    pub fn is_random_key(&self) -> bool {
        self.key_fingerprint == RANDOM_KEY
    }

    /// `summary` as a copy of this base: its snapshot time, anonymized (when it was made) with
    /// its key, and its name.
    pub fn stamp(&self, summary: DataSummary) -> DataSummary {
        DataSummary {
            snapshot_time: self.snapshot_time.clone(),
            anonymized: true,
            random_key: self.is_random_key(),
            base: Some(self.name.clone()),
            ..summary
        }
    }

    /// How old the snapshot is.
    pub fn age(&self) -> Duration {
        humantime::parse_rfc3339(&self.snapshot_time)
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .unwrap_or_default()
    }
}

/// A keyed fingerprint of the anonymization key: equal keys give equal fingerprints, and the
/// fingerprint tells nothing about the key.
pub fn key_fingerprint(key: Option<&SecretString>) -> String {
    let Some(key) = key.filter(|k| !k.expose_secret().is_empty()) else {
        return RANDOM_KEY.to_owned();
    };
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose_secret().as_bytes()) {
        Ok(mut mac) => {
            mac.update(b"wpstage base snapshot: anonymization key fingerprint v1");
            hex::encode(&mac.finalize().into_bytes()[..8])
        }
        Err(_) => RANDOM_KEY.to_owned(),
    }
}

/// The base named `name` on the server `admin` is connected to; an error when a database of
/// that name exists but is not a base wpstage made.
pub async fn find_base(admin: &Client, name: &str) -> anyhow::Result<Option<BaseInfo>> {
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .context("looking up the base snapshot")?
        .is_some();
    if !exists {
        return Ok(None);
    }
    let comment = database_comment(admin, name).await?.unwrap_or_default();
    match BaseInfo::parse(name, &comment) {
        Some(info) => Ok(Some(info)),
        None => anyhow::bail!(
            "a database named {name:?} exists on the staging server but is not a base snapshot \
             made by wpstage; wpstage never uses or replaces it. Drop or rename it, or choose \
             another name with --base-name."
        ),
    }
}

/// `wpstage base refresh`: copies production once (anonymized, staging safety settings on) into
/// a new database and puts it in the base's place when it is complete.
pub async fn refresh_base(
    cfg: &LifecycleConfig,
    source: &DbUrl,
    server: &DbUrl,
) -> anyhow::Result<BaseInfo> {
    refresh_into(cfg, source, server, &cfg.data_source.base_name, true).await
}

/// Builds the base in a new database beside `name` on the server `server` reaches and swaps it
/// in when complete. `guard`: a database `name` that is not a base wpstage made is refused (off
/// where the whole server is wpstage's, as the Railway base environment's is).
async fn refresh_into(
    cfg: &LifecycleConfig,
    source: &DbUrl,
    server: &DbUrl,
    name: &str,
    guard: bool,
) -> anyhow::Result<BaseInfo> {
    let name = name.to_owned();
    let building = format!("{name}_building");
    let admin = connect(server, Side::Target).await?;
    let major = server_major(&admin, server, Side::Target).await?;
    if guard {
        find_base(&admin, &name).await?;
    }
    if let Some(comment) = database_comment(&admin, &building).await? {
        anyhow::ensure!(
            comment == BUILDING_MARKER,
            "a database named {building:?} exists on the staging server and wpstage did not \
             create it; drop or rename it, or choose another --base-name"
        );
        drop_database(&admin, major, &building).await?;
    }
    admin
        .batch_execute(&format!("CREATE DATABASE {}", quote_ident(&building)))
        .await
        .with_context(|| format!("creating {building:?} on the staging server"))?;
    let result = async {
        admin
            .batch_execute(&format!(
                "COMMENT ON DATABASE {} IS {}",
                quote_ident(&building),
                quote_literal(BUILDING_MARKER)
            ))
            .await
            .context("marking the unfinished base as wpstage's")?;
        fill_base(cfg, source, &server.with_dbname(&building), &name).await
    }
    .await;
    let info = match result {
        Ok(info) => info,
        Err(e) => {
            if let Err(drop_err) = drop_database(&admin, major, &building).await {
                tracing::warn!(error = %drop_err, "could not drop the unfinished base {building}");
            }
            return Err(e);
        }
    };
    swap_in(&admin, major, &building, &name).await?;
    admin
        .batch_execute(&format!(
            "COMMENT ON DATABASE {} IS {}",
            quote_ident(&name),
            quote_literal(&info.comment())
        ))
        .await
        .context("recording the base snapshot's time and key fingerprint")?;
    Ok(info)
}

async fn fill_base(
    cfg: &LifecycleConfig,
    source: &DbUrl,
    target: &DbUrl,
    name: &str,
) -> anyhow::Result<BaseInfo> {
    let site = data::production_site_url(cfg, source).await?;
    anyhow::ensure!(
        !site.contains(char::is_whitespace),
        "the production site URL {site:?} contains white space"
    );
    // No URL rewrite: the base keeps production's URL, each PR copy rewrites it to its own.
    let transforms = crate::pipeline::build(&cfg.transforms, &[])?;
    let snapshot_time = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let opts = data::sync_options(cfg, source, target);
    let report = sync(&opts, Some(transforms as std::sync::Arc<dyn Transforms>)).await?;
    Ok(BaseInfo {
        name: name.to_owned(),
        snapshot_time,
        site_url: site,
        key_fingerprint: key_fingerprint(cfg.transforms.key.as_ref()),
        tables: report.tables.len(),
        rows: report.rows,
        bytes: report.bytes,
    })
}

/// Makes `staging` from the base when the settings and the base allow it: `Ok(None)` means
/// "copy from production". A base on the staging server is cloned; one kept apart (Railway) is
/// streamed.
pub async fn copy_from_base(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
    env: &crate::platform::EnvRef,
    staging: &DbUrl,
    preview: &str,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Option<DataSummary>> {
    let ds = &cfg.data_source;
    if ds.from == DataFrom::Production {
        return Ok(None);
    }
    let home = match platform.base_home(&ds.base_name).await {
        Ok(home) => home,
        Err(e) if ds.from == DataFrom::Auto => {
            warnings.push(format!(
                "could not look for a base snapshot ({e:#}); copied from production"
            ));
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    if let BaseHome::Apart(url) = home {
        let to = apart::Into {
            platform,
            env,
            staging,
            preview,
        };
        return apart::copy_from(cfg, url.map(|u| *u), to, warnings).await;
    }
    let Some((admin, base)) = usable_base(cfg, staging, warnings).await? else {
        return Ok(None);
    };
    let stats = clone_rewritten(&admin, cfg, &base, staging, preview).await?;
    let url_replacements = stats
        .transform_report
        .as_ref()
        .map_or(0, |r| r.totals.url_replacements);
    Ok(Some(base.stamp(DataSummary {
        tables: base.tables,
        rows: base.rows,
        bytes: base.bytes,
        url_replacements,
        transform_report: stats.transform_report,
        ..DataSummary::default()
    })))
}

/// The base to clone, with a session on the staging server's `postgres` database, or `None`
/// (copy from production) when `--data-from` allows falling back; a reason to fall back or to
/// refresh the base goes to `warnings`.
async fn usable_base(
    cfg: &LifecycleConfig,
    staging: &DbUrl,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Option<(Client, BaseInfo)>> {
    let ds = &cfg.data_source;
    let admin = match connect(&staging.with_dbname("postgres"), Side::Target).await {
        Ok(c) => c,
        Err(e) if ds.from == DataFrom::Auto => {
            warnings.push(format!(
                "could not look for a base snapshot ({e}); copied from production"
            ));
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let Some(base) = find_base(&admin, &ds.base_name).await? else {
        anyhow::ensure!(
            ds.from == DataFrom::Auto,
            "there is no base snapshot {:?} on the staging server; make one with `wpstage base \
             refresh` (or use --data-from production)",
            ds.base_name
        );
        return Ok(None);
    };
    Ok(fresh_enough(ds, &base, warnings).then_some((admin, base)))
}

/// Whether `base` may be used: with `auto`, a base older than the maximum age is not (copy from
/// production); with `base` it is, with a warning to refresh it.
fn fresh_enough(ds: &DataSource, base: &BaseInfo, warnings: &mut Vec<String>) -> bool {
    let age = base.age();
    if age <= ds.max_age {
        return true;
    }
    let age = humantime::format_duration(Duration::from_secs(age.as_secs()));
    if ds.from == DataFrom::Auto {
        warnings.push(format!(
            "the base snapshot {} is {age} old (more than --base-max-age {}); copied from \
             production instead",
            base.name,
            humantime::format_duration(ds.max_age)
        ));
        return false;
    }
    warnings.push(format!(
        "the base snapshot {} is {age} old; refresh it with `wpstage base refresh`",
        base.name
    ));
    true
}

/// Clones `base` beside `staging`, rewrites its URLs to `preview` and swaps it in; an
/// unfinished clone is dropped again.
async fn clone_rewritten(
    admin: &Client,
    cfg: &LifecycleConfig,
    base: &BaseInfo,
    staging: &DbUrl,
    preview: &str,
) -> anyhow::Result<rewrite::RewriteStats> {
    let admin_url = staging.with_dbname("postgres");
    let major = server_major(admin, &admin_url, Side::Target).await?;
    let fresh = format!("{}_wpstage_new", staging.dbname());
    drop_database(admin, major, &fresh).await?;
    let started = std::time::Instant::now();
    clone_database(admin, major, &base.name, &fresh).await?;
    let cloned = started.elapsed();
    let made = async {
        let stats = rewrite::rewrite_in_place(
            &cfg.transforms,
            &staging.with_dbname(&fresh),
            &base.site_url,
            preview,
            &base.snapshot_time,
            cfg.jobs,
        )
        .await?;
        let rewritten = started.elapsed();
        swap_in(admin, major, &fresh, staging.dbname()).await?;
        anyhow::Ok((stats, rewritten))
    }
    .await;
    let (stats, rewritten) = match made {
        Ok(stats) => stats,
        Err(e) => {
            if let Err(drop_err) = drop_database(admin, major, &fresh).await {
                tracing::warn!(error = %drop_err, "could not drop the unfinished copy {fresh}");
            }
            return Err(e);
        }
    };
    tracing::info!(
        base = %base.name,
        clone_seconds = cloned.as_secs_f64(),
        rewrite_seconds = (rewritten - cloned).as_secs_f64(),
        swap_seconds = (started.elapsed() - rewritten).as_secs_f64(),
        tables = stats.tables,
        rows_read = stats.rows_read,
        rows_rewritten = stats.rows_changed,
        tables_refilled = stats.tables_refilled,
        "PR database cloned from the base snapshot"
    );
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_comment_round_trips() {
        let info = BaseInfo {
            name: "wpstage_base".to_owned(),
            snapshot_time: "2026-12-01T10:00:00Z".to_owned(),
            site_url: "https://www.client-site.example".to_owned(),
            key_fingerprint: "0011223344556677".to_owned(),
            tables: 12,
            rows: 3456,
            bytes: 789,
        };
        assert_eq!(BaseInfo::parse("wpstage_base", &info.comment()), Some(info));
        assert_eq!(BaseInfo::parse("x", "wpstage:managed pr=1"), None);
        assert_eq!(BaseInfo::parse("x", "wpstage:base-building"), None);
    }

    #[test]
    fn the_fingerprint_tells_keys_apart_but_not_what_they_are() {
        let a = SecretString::from("first secret key".to_owned());
        let b = SecretString::from("second secret key".to_owned());
        let fa = key_fingerprint(Some(&a));
        assert_eq!(fa, key_fingerprint(Some(&a)));
        assert_ne!(fa, key_fingerprint(Some(&b)));
        assert_eq!(fa.len(), 16);
        assert!(!fa.contains("secret"));
        assert_eq!(key_fingerprint(None), "random");
        assert_eq!(
            key_fingerprint(Some(&SecretString::from(String::new()))),
            "random"
        );
    }
}
