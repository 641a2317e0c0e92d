//! A base snapshot kept apart from the PR databases (Railway: the base environment's own
//! database). `base refresh` builds it there as on the local platform: a fresh database beside
//! the live one, swapped in when complete, with the same facts in its comment. A template clone
//! cannot cross servers, so each PR database is filled from it by a streamed copy (the sync
//! engine) with only the URL rewrite: the base is anonymized already.

use std::sync::Arc;

use super::{BaseInfo, DataFrom, fresh_enough, refresh_into, rewrite};
use crate::lifecycle::config::LifecycleConfig;
use crate::lifecycle::data;
use crate::lifecycle::outcome::DataSummary;
use crate::platform::local_template::database_comment;
use crate::platform::{EnvRef, Platform};
use crate::postgres::{DbUrl, connect_source};
use crate::sync::{Transforms, sync};

/// `wpstage base refresh` on a platform that keeps the base apart (Railway): copies production
/// once, anonymized, into the base's own database, which the platform makes ready first.
pub async fn refresh_apart(
    platform: &impl Platform,
    cfg: &LifecycleConfig,
) -> anyhow::Result<BaseInfo> {
    let name = &cfg.data_source.base_name;
    let source = platform.source_database().await?;
    let Some(db) = platform.prepare_base_database(name).await? else {
        anyhow::bail!(
            "the {} platform keeps the base snapshot on the staging server; refresh it there",
            platform.name()
        );
    };
    let mut info = refresh_into(
        cfg,
        &source,
        &db.with_dbname("postgres"),
        db.dbname(),
        false,
    )
    .await
    .map_err(|e| e.context(format!("refreshing the base snapshot {name}")))?;
    info.name.clone_from(name);
    Ok(info)
}

/// The PR environment a copy from the base fills.
pub(super) struct Into<'a, P> {
    pub platform: &'a P,
    pub env: &'a EnvRef,
    pub staging: &'a DbUrl,
    pub preview: &'a str,
}

/// Fills the PR database from the base at `url` (`None`: there is no base) when the settings
/// allow, inside the environment with `--copy-in railway`; `Ok(None)` means "copy from
/// production".
pub(super) async fn copy_from<P: Platform>(
    cfg: &LifecycleConfig,
    url: Option<DbUrl>,
    to: Into<'_, P>,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Option<DataSummary>> {
    let ds = &cfg.data_source;
    let found = match &url {
        Some(url) => read(url, &ds.base_name).await,
        None => Ok(None),
    };
    let base = match found {
        Ok(base) => base,
        Err(e) if ds.from == DataFrom::Auto => {
            warnings.push(format!(
                "could not read the base snapshot {} ({e:#}); copied from production",
                ds.base_name
            ));
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let (Some(url), Some(base)) = (url, base) else {
        anyhow::ensure!(
            ds.from == DataFrom::Auto,
            "there is no base snapshot {:?} (an environment holding a finished one); make it \
             with `wpstage base refresh` (or use --data-from production)",
            ds.base_name
        );
        return Ok(None);
    };
    if !fresh_enough(ds, &base, warnings) {
        return Ok(None);
    }
    let inside = crate::lifecycle::copy_in::copy_base_inside(
        to.platform,
        cfg,
        to.env,
        (&url, &base),
        to.preview,
        warnings,
    );
    if let Some(summary) = inside.await? {
        return Ok(Some(summary));
    }
    stream(cfg, &url, &base, to.staging, to.preview)
        .await
        .map(Some)
}

/// The base's facts from its database's comment; `None` when it holds no finished base (a
/// first refresh that failed).
async fn read(url: &DbUrl, name: &str) -> anyhow::Result<Option<BaseInfo>> {
    let client = connect_source(url, "wpstage").await?;
    let comment = database_comment(&client, url.dbname())
        .await?
        .unwrap_or_default();
    Ok(BaseInfo::parse(name, &comment))
}

/// Streams the base into `staging`, rewriting its site URL to `preview` and nothing else.
async fn stream(
    cfg: &LifecycleConfig,
    url: &DbUrl,
    base: &BaseInfo,
    staging: &DbUrl,
    preview: &str,
) -> anyhow::Result<DataSummary> {
    let transforms = crate::pipeline::build(
        &rewrite::url_only(&cfg.transforms),
        &[(base.site_url.clone(), preview.to_owned())],
    )?;
    tracing::info!(
        base = %base.name,
        snapshot = %base.snapshot_time,
        to = preview,
        "copying the base snapshot"
    );
    let opts = data::sync_options(cfg, url, staging);
    let report = sync(&opts, Some(transforms as Arc<dyn Transforms>)).await?;
    data::mark_synced(staging, &base.snapshot_time).await?;
    // Anonymized when the base was made, not by this copy: the base's facts say how.
    Ok(base.stamp(data::summarize(&report, String::new(), false, false)))
}
