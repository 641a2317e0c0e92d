//! Real sites' personal data: what plugins keep (Akismet's submitted request, unruled plugin
//! tables), copies of copies, and the dry run's leak check.

use std::sync::Arc;

use secrecy::SecretString;
use wpstage::lifecycle::TransformSettings;
use wpstage::sync::{SyncOptions, Transforms, sync};

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

/// A source with the two tables that make it WordPress, plus `extra` SQL.
async fn minimal_site(name: &str, extra: &str) -> wpstage::postgres::DbUrl {
    let source = fresh_db(&clusters().prod, name).await;
    crate::support::client(&source)
        .await
        .batch_execute(&format!(
            "CREATE TABLE wp_options (option_id bigserial PRIMARY KEY, option_name varchar(191), option_value text, autoload varchar(20));
             CREATE TABLE wp_posts (\"ID\" bigserial PRIMARY KEY, post_content text, post_title text, post_type varchar(20), guid varchar(255));
             {extra}"
        ))
        .await
        .unwrap();
    source
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

/// A plugin no rule knows (form entries with email, phone, IP, JSON and serialized fields):
/// its contact data is replaced in the stream, and the report names its columns.
#[tokio::test]
async fn an_unknown_plugin_table_loses_its_emails_ips_and_phones() {
    let source = minimal_site(
        "plugin_src",
        "CREATE TABLE wp_acme_leads (id bigserial PRIMARY KEY, contact varchar(120), phone varchar(40),
                 fields jsonb, meta text, note text, submitted_from inet);
             INSERT INTO wp_options (option_name, option_value) VALUES ('home', 'https://www.client-site.example');
             INSERT INTO wp_acme_leads (contact, phone, fields, meta, note, submitted_from) VALUES
               ('Lena.Kraus@Mail.example', '+49 171 2345678',
                '{\"email\": \"lena.kraus@mail.example\", \"ip\": \"85.12.3.4\", \"tel\": \"0171 2345678\", \"n\": 3}',
                'a:2:{s:5:\"email\";s:23:\"lena.kraus@mail.example\";s:2:\"ip\";s:9:\"85.12.3.4\";}',
                'from 85.12.3.4 (2a02:8108:1:2::17), call +49 171 2345678', '85.12.3.4');",
        )
    .await;
    let target = fresh_db(&clusters().staging, "plugin_dst").await;
    let t = wpstage::pipeline::build(
        &TransformSettings::default(),
        &[(SITE_URL.to_owned(), PREVIEW.to_owned())],
    )
    .unwrap();
    let opts = crate::sync_fidelity::options(&source, &target);
    let report = sync(&opts, Some(Arc::clone(&t) as Arc<dyn Transforms>))
        .await
        .expect("the copy succeeds and passes the leak check");
    let names = &report.transform.as_ref().unwrap().names_may_remain;
    for column in [
        "contact",
        "phone",
        "fields",
        "meta",
        "note",
        "submitted_from",
    ] {
        let listed = format!("wp_acme_leads.{column}");
        assert!(names.contains(&listed), "{listed} not in {names:?}");
    }
    assert!(
        t.text_report()
            .contains("names and postal addresses may remain")
    );
    let rows = strings(
        &target,
        "SELECT concat_ws('|', contact, phone, fields::text, meta, note, host(submitted_from)) FROM wp_acme_leads",
    )
    .await;
    let row = rows.first().expect("one row").to_lowercase();
    for original in [
        "lena.kraus@mail.example",
        "85.12.3.4",
        "2a02:8108:1:2::17",
        "2345678",
    ] {
        assert!(!row.contains(original), "{original} reached staging: {row}");
    }
    let meta = strings(&target, "SELECT meta FROM wp_acme_leads").await;
    assert!(
        wpstage::transform::php::parse(meta[0].as_bytes()).is_ok(),
        "serialized lengths fixed: {}",
        meta[0]
    );
    let n = strings(&target, "SELECT fields->>'n' FROM wp_acme_leads").await;
    assert_eq!(n, vec!["3".to_owned()], "the JSON stays JSON");
}

#[test]
fn a_rewrite_onto_itself_is_a_usage_error() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wpstage"))
        .args([
            "sync",
            "--source",
            "postgres://u@127.0.0.1:1/db",
            "--dry-run",
            "--rewrite-url",
            "https://www.client.example=https://www.client.example/",
        ])
        .env_remove("WPSTAGE_SOURCE_URL")
        .env_remove("WPSTAGE_TARGET_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the same URL"), "{stderr}");
}

/// A rules file that names nothing protects nothing: it is an error naming the closest names.
#[tokio::test]
async fn a_rule_that_matches_nothing_is_an_error_unless_optional() {
    let source = minimal_site(
        "rules_src",
        "CREATE TABLE wp_postmeta (meta_id bigserial PRIMARY KEY, post_id bigint, meta_key varchar(255), meta_value text);
             CREATE TABLE wp_my_plugin_leads (id bigserial PRIMARY KEY, lead_email text, lead_name text);
             INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES (1, '_lead_email', 'x');",
        )
    .await;
    let cases = [
        (
            "tables:\n  my_plugin_lead:\n    columns: { lead_email: email }\n",
            Some("my_plugin_leads"),
        ),
        (
            "tables:\n  my_plugin_leads:\n    columns: { lead_mail: email }\n",
            Some("lead_email"),
        ),
        (
            "tables:\n  postmeta:\n    meta_keys: { \"_lead_mail\": email }\n",
            Some("_lead_email"),
        ),
        (
            "tables:\n  my_plugin_lead:\n    optional: true\n    columns: { lead_email: email }\n",
            None,
        ),
        (
            "tables:\n  my_plugin_leads:\n    columns: { lead_email: email, lead_name: full_name }\n  postmeta:\n    meta_keys: { \"_lead_*\": email }\n",
            None,
        ),
    ];
    for (i, (yaml, closest)) in cases.into_iter().enumerate() {
        let rules = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(rules.path(), yaml).unwrap();
        let settings = TransformSettings {
            rules_file: Some(rules.path().to_path_buf()),
            ..TransformSettings::default()
        };
        let result = copy_from(&source, &settings, &format!("rules_dst{i}")).await;
        match (closest, result) {
            (None, r) => assert!(r.is_ok(), "{yaml}: {:#}", r.err().unwrap()),
            (Some(name), Ok(_)) => panic!("{yaml} was accepted; expected a hint at {name}"),
            (Some(name), Err(e)) => {
                let text = format!("{e:#}");
                assert!(
                    text.contains("matches nothing") && text.contains(name),
                    "{yaml}: {text}"
                );
            }
        }
    }
}

/// The innermost cause: the check's own message, without the run's context around it.
fn cause(err: &anyhow::Error) -> String {
    err.root_cause().to_string()
}

/// A dry run runs the leak check on the transformed rows: where the real run fails it, the dry
/// run fails with the same message (table, column and row named), writing nothing.
#[tokio::test]
async fn a_dry_run_fails_the_leak_check_as_the_real_run_does() {
    let source = minimal_site(
        "dry_leak_src",
        "CREATE TABLE wp_postmeta (meta_id bigserial PRIMARY KEY, post_id bigint, meta_key varchar(255), meta_value text);
         INSERT INTO wp_options (option_name, option_value) VALUES ('home', 'https://www.client-site.example');
         INSERT INTO wp_posts (post_content, post_type) VALUES ('Mail uta.berg@mail.example', 'post');
         INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES
           (1, '_note', 'nothing here'), (1, '_contact', 'call uta.berg@mail.example');",
    )
    .await;
    let (_rules, settings) = crate::wordpress::contact_kept_as_is();
    let real = copy_from(&source, &settings, "dry_leak_real")
        .await
        .expect_err("the real run fails the leak check");
    let target = fresh_db(&clusters().staging, "dry_leak_dry").await;
    let t =
        wpstage::pipeline::build(&settings, &[(SITE_URL.to_owned(), PREVIEW.to_owned())]).unwrap();
    let opts = SyncOptions {
        dry_run: true,
        ..crate::sync_fidelity::options(&source, &target)
    };
    let dry = sync(&opts, Some(t as Arc<dyn Transforms>))
        .await
        .expect_err("the dry run predicts the failure");
    assert!(cause(&real).contains("leak check failed"), "{real:#}");
    assert!(cause(&real).contains("meta_key=_contact"), "{real:#}");
    assert_eq!(cause(&dry), cause(&real));
    assert!(
        crate::support::table_digests(&target).await.is_empty(),
        "a dry run wrote to the target"
    );
}
