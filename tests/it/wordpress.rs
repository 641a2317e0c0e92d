//! WordPress end to end: a generated production database goes through `sync` with the URL
//! rewrite and anonymization; PHP judges the serialized data; no personal data survives.

use std::sync::Arc;

use secrecy::SecretString;
use wpstage::lifecycle::TransformSettings;
use wpstage::sync::{SyncOptions, Transforms, sync};

use crate::support::{SITE_URL, client, clusters, fresh_db, strings, wordpress_source};

const PREVIEW: &str = "https://pr-42.up.railway.app";

async fn copy(
    settings: &TransformSettings,
    name: &str,
) -> (wpstage::postgres::DbUrl, wpstage::sync::SyncReport) {
    let source = wordpress_source().await;
    let target = fresh_db(&clusters().staging, name).await;
    let t =
        wpstage::pipeline::build(settings, &[(SITE_URL.to_owned(), PREVIEW.to_owned())]).unwrap();
    let opts = crate::sync_fidelity::options(&source, &target);
    let report = sync(&opts, Some(t as Arc<dyn Transforms>)).await.unwrap();
    (target, report)
}

/// Every email, IP and phone value in the source's personal-data columns.
async fn source_pii() -> Vec<String> {
    let src = wordpress_source().await;
    let mut all = Vec::new();
    for sql in [
        "SELECT DISTINCT user_email FROM wp_users",
        "SELECT DISTINCT comment_author_email FROM wp_comments WHERE comment_author_email <> ''",
        "SELECT DISTINCT comment_author_ip FROM wp_comments WHERE comment_author_ip <> ''",
        "SELECT DISTINCT billing_email FROM wp_wc_orders WHERE billing_email <> ''",
        "SELECT DISTINCT ip_address FROM wp_wc_orders WHERE ip_address <> ''",
        "SELECT DISTINCT email FROM wp_wc_order_addresses WHERE email <> ''",
        "SELECT DISTINCT phone FROM wp_wc_order_addresses WHERE phone <> ''",
        "SELECT DISTINCT email FROM wp_wc_customer_lookup WHERE email <> ''",
    ] {
        all.extend(strings(&src, sql).await);
    }
    all.sort();
    all.dedup();
    assert!(
        all.len() > 20,
        "the generated source should hold personal data: {}",
        all.len()
    );
    all
}

/// All text of every table, one `table: row` string per row.
async fn all_text(url: &wpstage::postgres::DbUrl) -> Vec<String> {
    let c = client(url).await;
    let tables = strings(
        url,
        "SELECT quote_ident(relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE relkind = 'r' AND nspname = 'public'",
    )
    .await;
    let mut rows = Vec::new();
    for t in tables {
        for r in c
            .query(&format!("SELECT x::text FROM {t} x"), &[])
            .await
            .unwrap()
        {
            rows.push(format!("{t}: {}", r.get::<_, String>(0)));
        }
    }
    rows
}

#[tokio::test]
async fn no_personal_data_from_production_reaches_staging() {
    let settings = TransformSettings {
        key: Some(SecretString::from("test-key")),
        ..TransformSettings::default()
    };
    let (target, report) = copy(&settings, "wp_anon").await;
    let pii = source_pii().await;
    let rows: Vec<String> = all_text(&target)
        .await
        .iter()
        .map(|r| r.to_lowercase())
        .collect();
    let leaked: Vec<&String> = rows
        .iter()
        .filter(|r| pii.iter().any(|v| r.contains(&v.to_lowercase())))
        .collect();
    assert!(
        leaked.is_empty(),
        "{} rows hold production values, e.g. {:?}",
        leaked.len(),
        leaked.first()
    );
    let totals = &report.transform.as_ref().unwrap().totals;
    assert!(totals.anonymized_values > 100, "{totals:?}");
    // The same person keeps the same pseudonym across tables (joins survive).
    let joined = strings(
        &target,
        "SELECT count(*)::text FROM wp_users u JOIN wp_wc_customer_lookup l ON l.user_id = u.\"ID\" \
         WHERE l.email <> u.user_email",
    )
    .await;
    assert_eq!(
        joined,
        vec!["0".to_owned()],
        "customer lookup emails differ from their users' pseudonyms"
    );
    let emails = strings(&target, "SELECT user_email FROM wp_users").await;
    assert!(
        emails.iter().all(|e| e.ends_with(".example")
            || e.ends_with(".test")
            || e.ends_with(".invalid")
            || e.ends_with("example.com")
            || e.ends_with("example.org")
            || e.ends_with("example.net")),
        "{emails:?}"
    );
    let mut unique = emails.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        emails.len(),
        "user emails are no longer unique"
    );
}

#[tokio::test]
async fn site_urls_are_rewritten_and_search_engines_kept_out() {
    let (target, _) = copy(&TransformSettings::default(), "wp_urls").await;
    let opts = strings(&target, "SELECT option_name || '=' || option_value FROM wp_options WHERE option_name IN ('home', 'siteurl', 'blog_public') ORDER BY 1").await;
    assert_eq!(
        opts,
        vec![
            "blog_public=0".to_owned(),
            format!("home={PREVIEW}"),
            format!("siteurl={PREVIEW}")
        ]
    );
    let content = strings(&target, "SELECT post_content FROM wp_posts")
        .await
        .join("\n");
    assert!(content.contains(PREVIEW), "no preview URL in post content");
    // URL forms only: `//host`, `\/\/host`, `%2F%2Fhost` (prose may name the bare domain).
    let old_host = SITE_URL.trim_start_matches("https://");
    let plain = content
        .replace("\\/", "/")
        .replace("%2F", "/")
        .replace("%2f", "/");
    let content = plain;
    let stale: Vec<&str> = content
        .match_indices(&format!("//{old_host}"))
        .map(|(i, _)| &content[i..(i + 60).min(content.len())])
        .filter(|s| {
            !s.replace("\\/", "/")
                .replace("%2F", "/")
                .contains("/wp-content/uploads/")
        })
        .collect();
    assert!(
        stale.is_empty(),
        "old host outside uploads URLs: {:?}",
        stale.first()
    );
    let guids_kept = strings(
        &target,
        "SELECT count(*)::text FROM wp_posts WHERE guid LIKE 'https://www.client-site.example%'",
    )
    .await;
    assert_ne!(
        guids_kept,
        vec!["0".to_owned()],
        "GUIDs must stay unless --rewrite-guid"
    );
}

#[tokio::test]
async fn php_still_unserializes_every_value_and_finds_no_old_url() {
    let (target, _) = copy(&TransformSettings::default(), "wp_php").await;
    let source = wordpress_source().await;
    let sql = "SELECT option_name, option_value FROM wp_options UNION ALL \
               SELECT 'postmeta:' || meta_id, meta_value FROM wp_postmeta WHERE meta_value LIKE '_:%' UNION ALL \
               SELECT 'usermeta:' || umeta_id, meta_value FROM wp_usermeta WHERE meta_value LIKE '_:%'";
    let pairs = |url: wpstage::postgres::DbUrl| async move {
        let c = client(&url).await;
        let mut map = std::collections::BTreeMap::new();
        for r in c.query(sql, &[]).await.unwrap() {
            map.insert(
                r.get::<_, String>(0),
                r.get::<_, Option<String>>(1).unwrap_or_default(),
            );
        }
        map
    };
    let (before, after) = (pairs(source).await, pairs(target).await);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.json");
    let both: Vec<(String, String, String)> = before
        .iter()
        .filter_map(|(k, v)| after.get(k).map(|a| (k.clone(), v.clone(), a.clone())))
        .collect();
    assert!(
        both.len() > 50,
        "too few serialized values compared: {}",
        both.len()
    );
    std::fs::write(&input, serde_json::to_string(&both).unwrap()).unwrap();
    let script = r#"
        $pairs = json_decode(file_get_contents($argv[1]), true);
        $old = $argv[2]; $bad = 0; $checked = 0;
        $walk = function ($v) use (&$walk, $old) {
            if (is_string($v)) { $plain = str_replace(['\\/', '%2F'], '/', $v); return strpos($v, $old) !== false && strpos($plain, '/wp-content/uploads/') === false && strpos($v, '@') === false; }
            if (is_array($v) || is_object($v)) { foreach ((array) $v as $x) { if ($walk($x)) return true; } }
            return false;
        };
        foreach ($pairs as [$key, $src, $dst]) {
            $s = @unserialize($src, ['allowed_classes' => true]);
            if ($s === false && $src !== 'b:0;') continue;
            $checked++;
            $d = @unserialize($dst, ['allowed_classes' => true]);
            if ($d === false && $dst !== 'b:0;') { fwrite(STDERR, "broken after rewrite: $key\n"); $bad++; continue; }
            if ($walk($d)) { fwrite(STDERR, "old URL still inside: $key\n"); $bad++; }
        }
        echo "$checked checked, $bad bad\n";
        exit($bad === 0 ? 0 : 1);
    "#;
    let out = std::process::Command::new("php")
        .args([
            "-r",
            script,
            input.to_str().unwrap(),
            "www.client-site.example",
        ])
        .output()
        .expect("php-cli is needed for this test (.ci/run installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let checked: usize = stdout.split_whitespace().next().unwrap().parse().unwrap();
    assert!(checked > 50, "{stdout}");
}

#[tokio::test]
async fn kept_users_log_in_with_the_staging_password() {
    let source = wordpress_source().await;
    let login = strings(
        &source,
        "SELECT user_login FROM wp_users ORDER BY \"ID\" LIMIT 1",
    )
    .await
    .remove(0);
    let settings = TransformSettings {
        keep_users: vec![login.clone()],
        staging_password: Some(SecretString::from("staging-pass-1")),
        ..TransformSettings::default()
    };
    let (target, _) = copy(&settings, "wp_keep").await;
    let row = client(&target)
        .await
        .query_one(
            "SELECT user_pass, user_email FROM wp_users WHERE user_login = $1",
            &[&login],
        )
        .await
        .unwrap();
    let hash: String = row.get(0);
    let script = r#"
        $itoa = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
        [$pw, $hash] = [$argv[1], $argv[2]];
        $count = 1 << strpos($itoa, $hash[3]); $salt = substr($hash, 4, 8);
        $h = md5($salt . $pw, true);
        do { $h = md5($h . $pw, true); } while (--$count);
        $out = ''; $i = 0;
        do {
            $v = ord($h[$i++]); $out .= $itoa[$v & 0x3f];
            if ($i < 16) $v |= ord($h[$i]) << 8; $out .= $itoa[($v >> 6) & 0x3f]; if ($i++ >= 16) break;
            if ($i < 16) $v |= ord($h[$i]) << 16; $out .= $itoa[($v >> 12) & 0x3f]; if ($i++ >= 16) break;
            $out .= $itoa[($v >> 18) & 0x3f];
        } while ($i < 16);
        exit(substr($hash, 0, 12) . $out === $hash ? 0 : 1);
    "#;
    let ok = std::process::Command::new("php")
        .args(["-r", script, "staging-pass-1", &hash])
        .status()
        .unwrap();
    assert!(
        ok.success(),
        "WordPress would not accept the staging password for {login}: {hash}"
    );
    let src_email = strings(
        &source,
        &format!("SELECT user_email FROM wp_users WHERE user_login = '{login}'"),
    )
    .await;
    assert_eq!(
        vec![row.get::<_, String>(1)],
        src_email,
        "a kept user keeps its account data"
    );
}

#[tokio::test]
async fn generation_is_deterministic_and_sized() {
    let spec = wpstage::generate::GenerateSpec {
        target_bytes: 30 << 20,
        site_url: SITE_URL.to_owned(),
        seed: 11,
        table_prefix: "wp_".to_owned(),
    };
    let a = fresh_db(&clusters().prod, "gen_a").await;
    let b = fresh_db(&clusters().prod, "gen_b").await;
    let ra = wpstage::generate_db::generate(&a, &spec, 2).await.unwrap();
    wpstage::generate_db::generate(&b, &spec, 2).await.unwrap();
    assert_eq!(
        crate::support::table_digests(&a).await,
        crate::support::table_digests(&b).await
    );
    let ratio = ra.database_bytes as f64 / spec.target_bytes as f64;
    assert!(
        (0.9..=1.1).contains(&ratio),
        "size {} for {} requested",
        ra.database_bytes,
        spec.target_bytes
    );
    let err = wpstage::generate_db::generate(&a, &spec, 2)
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("already has"), "{err:#}");
}

/// Settings whose rules file switches anonymization off for the meta key `_contact`, which lets
/// an address through (the file lives as long as the first value).
pub fn contact_kept_as_is() -> (tempfile::NamedTempFile, TransformSettings) {
    let rules = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        rules.path(),
        "tables:\n  postmeta:\n    meta_keys: { \"_contact\": keep }\n",
    )
    .unwrap();
    let settings = TransformSettings {
        rules_file: Some(rules.path().to_path_buf()),
        ..TransformSettings::default()
    };
    (rules, settings)
}

#[tokio::test]
async fn the_leak_check_fails_the_run_and_keeps_nothing() {
    let source = fresh_db(&clusters().prod, "leak_src").await;
    client(&source)
        .await
        .batch_execute(
            "CREATE TABLE wp_options (option_id bigserial PRIMARY KEY, option_name varchar(191), option_value text, autoload varchar(20));
             CREATE TABLE wp_posts (\"ID\" bigserial PRIMARY KEY, post_content text, post_title text, post_type varchar(20), guid varchar(255));
             CREATE TABLE wp_users (\"ID\" bigserial PRIMARY KEY, user_login varchar(60), user_email varchar(100), user_pass varchar(255), user_nicename varchar(50), display_name varchar(250));
             CREATE TABLE wp_postmeta (meta_id bigserial PRIMARY KEY, post_id bigint, meta_key varchar(255), meta_value text);
             INSERT INTO wp_options (option_name, option_value) VALUES ('home', 'https://www.client-site.example');
             INSERT INTO wp_users (user_login, user_email) VALUES ('anna', 'Anna.Leak@Mail.example');
             INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES (1, '_contact', 'call anna.leak@mail.example');",
        )
        .await
        .unwrap();
    let (_rules, settings) = contact_kept_as_is();
    let t =
        wpstage::pipeline::build(&settings, &[(SITE_URL.to_owned(), PREVIEW.to_owned())]).unwrap();
    let target = fresh_db(&clusters().staging, "leak_dst").await;
    let opts = crate::sync_fidelity::options(&source, &target);
    let err = sync(&opts, Some(t as Arc<dyn Transforms>))
        .await
        .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("leak check failed") && text.contains("wp_postmeta.meta_value"),
        "{text}"
    );
    assert!(
        text.contains("meta_key=_contact"),
        "the row is named: {text}"
    );
    assert!(
        !text.to_lowercase().contains("anna.leak@mail.example"),
        "the value itself is never printed"
    );
    assert!(
        crate::support::table_digests(&target).await.is_empty(),
        "nothing may be kept"
    );
}

#[tokio::test]
async fn a_dry_run_transforms_everything_and_writes_nothing() {
    let source = wordpress_source().await;
    let target = fresh_db(&clusters().staging, "wp_dry").await;
    let settings = TransformSettings::default();
    let t =
        wpstage::pipeline::build(&settings, &[(SITE_URL.to_owned(), PREVIEW.to_owned())]).unwrap();
    let opts = SyncOptions {
        dry_run: true,
        ..crate::sync_fidelity::options(&source, &target)
    };
    let report = sync(&opts, Some(Arc::clone(&t) as Arc<dyn Transforms>))
        .await
        .unwrap();
    assert_eq!(report.mode, wpstage::sync::Mode::DryRun);
    let totals = &report.transform.as_ref().unwrap().totals;
    assert!(totals.url_replacements > 10, "{totals:?}");
    assert!(totals.anonymized_values > 10, "{totals:?}");
    assert!(
        t.text_report().contains("wp_posts"),
        "the text report lists tables"
    );
    assert!(
        crate::support::table_digests(&target).await.is_empty(),
        "a dry run wrote to the target"
    );
}
