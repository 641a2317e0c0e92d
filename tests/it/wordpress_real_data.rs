//! Real sites' personal data: what plugins keep (Akismet's submitted request, unruled plugin
//! tables), copies of copies, and the dry run's leak check.

use std::sync::Arc;

use secrecy::SecretString;
use wpstage::lifecycle::TransformSettings;
use wpstage::sync::{Transforms, sync};

use crate::support::{SITE_URL, clusters, fresh_db, strings, wordpress_source};

const PREVIEW: &str = "https://pr-7.up.railway.app";

async fn copy_from(
    source: &wpstage::postgres::DbUrl,
    settings: &TransformSettings,
    name: &str,
) -> anyhow::Result<wpstage::postgres::DbUrl> {
    let target = fresh_db(&clusters().staging, name).await;
    let t = wpstage::pipeline::build(settings, &[(SITE_URL.to_owned(), PREVIEW.to_owned())])?;
    let opts = crate::sync_fidelity::options(source, &target);
    sync(&opts, Some(t as Arc<dyn Transforms>)).await?;
    Ok(target)
}

/// Pseudonyms live in reserved ranges (TEST-NET IPs, `example.com`, 555-01xx phones); a copy
/// of a copy holds them as originals, and a new key maps other values onto them.
#[tokio::test]
async fn an_anonymized_copy_copies_again_with_default_settings() {
    let keyed = TransformSettings {
        key: Some(SecretString::from("first-run")),
        ..TransformSettings::default()
    };
    let first = copy_from(&wordpress_source().await, &keyed, "recopy_a")
        .await
        .expect("first copy");
    let ips = strings(
        &first,
        "SELECT DISTINCT comment_author_ip FROM wp_comments WHERE comment_author_ip <> ''",
    )
    .await;
    assert!(
        ips.len() > 10,
        "the first copy holds pseudonymous IPs: {}",
        ips.len()
    );
    for settings in [TransformSettings::default(), keyed] {
        let second = copy_from(&first, &settings, "recopy_b").await;
        assert!(second.is_ok(), "{:#}", second.err().unwrap());
    }
}
