//! The staging copy works as a WordPress site: media load from production (or the uploads
//! URL) through `upload_url_path`, kept users keep their account but not their contact data,
//! and a pseudonymized user's names agree.

use std::sync::Arc;

use secrecy::SecretString;
use wpstage::lifecycle::TransformSettings;
use wpstage::sync::{Transforms, sync};

use crate::support::{SITE_URL, clusters, fresh_db, strings, wordpress_source};

const PREVIEW: &str = "https://pr-9.up.railway.app";

async fn copy(settings: &TransformSettings, name: &str) -> wpstage::postgres::DbUrl {
    copy_reported(settings, name).await.0
}

async fn copy_reported(
    settings: &TransformSettings,
    name: &str,
) -> (wpstage::postgres::DbUrl, String, wpstage::sync::SyncReport) {
    let source = wordpress_source().await;
    let target = fresh_db(&clusters().staging, name).await;
    let t =
        wpstage::pipeline::build(settings, &[(SITE_URL.to_owned(), PREVIEW.to_owned())]).unwrap();
    let opts = crate::sync_fidelity::options(&source, &target);
    let report = sync(&opts, Some(Arc::clone(&t) as Arc<dyn Transforms>))
        .await
        .unwrap();
    (target, t.text_report(), report)
}

async fn option(db: &wpstage::postgres::DbUrl, name: &str) -> Vec<String> {
    strings(
        db,
        &format!("SELECT option_value FROM wp_options WHERE option_name = '{name}'"),
    )
    .await
}

#[tokio::test]
async fn media_load_from_production_and_names_agree_by_default() {
    let (target, text, report) = copy_reported(&TransformSettings::default(), "site_default").await;
    // The report counts what still looks like personal data: on the generated site, nothing.
    let totals = &report.transform.as_ref().unwrap().totals;
    assert_eq!(totals.pii_like_remaining, 0, "{text}");
    assert!(
        text.contains("still look like an email, IP or phone number after anonymization: 0"),
        "{text}"
    );
    assert_eq!(
        option(&target, "upload_url_path").await,
        vec![format!("{SITE_URL}/wp-content/uploads")],
        "WordPress builds attachment URLs from upload_url_path: it must name production's media"
    );
    // Every pseudonymized account shows one fake person: display name = first + last name,
    // and the nickname is that name too.
    let compared = |cond: &str| {
        format!(
            "SELECT count(*)::text FROM wp_users u \
             JOIN wp_usermeta f ON f.user_id = u.\"ID\" AND f.meta_key = 'first_name' \
             JOIN wp_usermeta l ON l.user_id = u.\"ID\" AND l.meta_key = 'last_name' \
             JOIN wp_usermeta n ON n.user_id = u.\"ID\" AND n.meta_key = 'nickname' \
             WHERE f.meta_value <> '' AND l.meta_value <> '' AND ({cond})"
        )
    };
    let all: usize = strings(&target, &compared("true")).await[0]
        .parse()
        .unwrap();
    assert!(all > 5, "too few users with names compared: {all}");
    let disagree = strings(
        &target,
        &compared(
            "u.display_name <> f.meta_value || ' ' || l.meta_value \
             OR n.meta_value <> u.display_name",
        ),
    )
    .await;
    assert_eq!(disagree, vec!["0".to_owned()], "of {all} users");
}

#[tokio::test]
async fn the_uploads_url_is_the_media_base_as_in_wordpress() {
    let cdn = "https://cdn.client-site.example/wp-content/uploads";
    let settings = TransformSettings {
        uploads_url: Some(cdn.to_owned()),
        ..TransformSettings::default()
    };
    let target = copy(&settings, "site_cdn").await;
    assert_eq!(
        option(&target, "upload_url_path").await,
        vec![cdn.to_owned()]
    );
    let content = strings(&target, "SELECT post_content FROM wp_posts")
        .await
        .join("\n");
    assert!(
        content.contains(&format!("{cdn}/")),
        "no media URL on the CDN"
    );
    assert!(
        !content.contains("/wp-content/uploads/wp-content/uploads"),
        "the uploads path is doubled"
    );

    let rewrite = TransformSettings {
        rewrite_uploads: true,
        ..TransformSettings::default()
    };
    let target = copy(&rewrite, "site_rewrite").await;
    assert_eq!(
        option(&target, "upload_url_path").await,
        vec![String::new()],
        "--rewrite-uploads leaves upload_url_path as production has it (empty)"
    );
}

/// `(meta_key, meta_value)` of one user's contact and name meta.
async fn contact_meta(db: &wpstage::postgres::DbUrl, login: &str) -> Vec<String> {
    strings(
        db,
        &format!(
            "SELECT m.meta_key || '=' || m.meta_value FROM wp_usermeta m \
             JOIN wp_users u ON u.\"ID\" = m.user_id WHERE u.user_login = '{login}' \
             AND m.meta_key IN ('billing_phone', 'billing_address_1', 'shipping_city', 'first_name') \
             ORDER BY 1"
        ),
    )
    .await
}

#[tokio::test]
async fn kept_users_keep_their_account_but_not_their_contact_data() {
    let source = wordpress_source().await;
    let login = strings(
        &source,
        "SELECT u.user_login FROM wp_users u JOIN wp_usermeta m ON m.user_id = u.\"ID\" \
         AND m.meta_key = 'billing_phone' AND m.meta_value <> '' ORDER BY u.\"ID\" LIMIT 1",
    )
    .await
    .remove(0);
    let before = contact_meta(&source, &login).await;
    assert!(before.len() >= 3, "{before:?}");
    let mut settings = TransformSettings {
        keep_users: vec![login.clone()],
        staging_password: Some(SecretString::from("staging-pass-9")),
        ..TransformSettings::default()
    };
    let target = copy(&settings, "site_kept").await;
    let after = contact_meta(&target, &login).await;
    for (b, a) in before.iter().zip(&after) {
        if b.starts_with("first_name=") {
            assert_eq!(a, b, "a kept user keeps its name");
        } else {
            assert_ne!(a, b, "a kept user's contact data is copied as is");
        }
    }
    let email = "SELECT user_email FROM wp_users WHERE user_login = ";
    assert_eq!(
        strings(&target, &format!("{email}'{login}'")).await,
        strings(&source, &format!("{email}'{login}'")).await,
        "a kept user keeps its email"
    );

    settings.keep_user_data = true;
    let target = copy(&settings, "site_kept_data").await;
    assert_eq!(contact_meta(&target, &login).await, before);
}
