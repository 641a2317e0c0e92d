//! Done-when check of plugin data: a generated site with plugin tables (`generate --plugins`)
//! goes through a default `sync`; every email, IP and phone number found in the source's
//! plugin tables is absent from a dump of the whole staging database.

use std::sync::Arc;

use secrecy::SecretString;
use wpstage::lifecycle::TransformSettings;
use wpstage::postgres::DbUrl;
use wpstage::sync::{Transforms, sync};

use crate::support::{SITE_URL, client, clusters, fresh_db, pg_dump_path, strings};

const PLUGIN_TABLES: &[&str] = &[
    "wp_gf_entry",
    "wp_gf_entry_meta",
    "wp_wpforms_entries",
    "wp_e_submissions_values",
    "wp_mailpoet_subscribers",
    "wp_edd_customers",
    "wp_edd_orders",
    "wp_learndash_pro_quiz_toplist",
    "wp_wpml_mails",
    "wp_statistics_visitor",
];

fn dump(url: &DbUrl, tables: &[&str]) -> String {
    let mut cmd = std::process::Command::new(pg_dump_path());
    cmd.args(["--data-only", "--no-owner"])
        .envs(url.libpq_env());
    for t in tables {
        cmd.args(["-t", t]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn default_sync_of_a_site_with_every_plugin_leaks_no_email_ip_or_phone() {
    let source = fresh_db(&clusters().prod, "plugins_site").await;
    let spec = wpstage::generate::GenerateSpec {
        target_bytes: 10 << 20,
        site_url: SITE_URL.to_owned(),
        seed: 3,
        table_prefix: "wp_".to_owned(),
    };
    wpstage::generate_db::generate(&source, &spec, 2)
        .await
        .unwrap();
    wpstage::generate_db::add_plugins(&source, &spec)
        .await
        .unwrap();

    // Every email, IP and phone the plugin tables hold, as values.
    let mut originals = Vec::new();
    for sql in [
        "SELECT DISTINCT ip FROM wp_gf_entry",
        "SELECT DISTINCT meta_value FROM wp_gf_entry_meta WHERE meta_key IN ('2', '3')",
        "SELECT DISTINCT ip_address FROM wp_wpforms_entries",
        "SELECT DISTINCT value FROM wp_e_submissions_values WHERE key <> 'name'",
        "SELECT DISTINCT email FROM wp_mailpoet_subscribers",
        "SELECT DISTINCT subscribed_ip FROM wp_mailpoet_subscribers",
        "SELECT DISTINCT email FROM wp_edd_orders",
        "SELECT DISTINCT ip FROM wp_edd_orders",
        "SELECT DISTINCT email FROM wp_learndash_pro_quiz_toplist",
        "SELECT DISTINCT receiver FROM wp_wpml_mails",
        "SELECT DISTINCT ip FROM wp_statistics_visitor",
    ] {
        originals.extend(strings(&source, sql).await);
    }
    assert!(originals.len() > 500, "{}", originals.len());
    // The JSON column holds them too: the check would see them if they were copied.
    let source_dump = dump(&source, PLUGIN_TABLES);
    assert!(originals.iter().all(|o| source_dump.contains(o.as_str())));

    let target = fresh_db(&clusters().staging, "plugins_site_stg").await;
    let settings = TransformSettings {
        key: Some(SecretString::from("done-when")),
        ..TransformSettings::default()
    };
    let t = wpstage::pipeline::build(
        &settings,
        &[(
            SITE_URL.to_owned(),
            "https://pr-9.up.railway.app".to_owned(),
        )],
    )
    .unwrap();
    let opts = wpstage::sync::SyncOptions {
        waste: Default::default(),
        ..crate::sync_fidelity::options(&source, &target)
    };
    let report = sync(&opts, Some(t as Arc<dyn Transforms>)).await.unwrap();
    assert!(
        report
            .excluded
            .iter()
            .any(|e| e.table.ends_with("wpml_mails"))
    );

    let staging = dump(&target, &[]);
    let leaked: Vec<&String> = originals
        .iter()
        .filter(|o| staging.contains(o.as_str()))
        .take(5)
        .collect();
    assert!(leaked.is_empty(), "originals in staging: {leaked:?}");
    let rows: i64 = client(&target)
        .await
        .query_one("SELECT count(*) FROM wp_gf_entry_meta", &[])
        .await
        .unwrap()
        .get(0);
    assert!(rows > 0, "form entries are kept, anonymized");
}
