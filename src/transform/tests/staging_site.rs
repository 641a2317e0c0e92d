//! Issue 9: a staging copy that works as a WordPress site — media URLs, kept users' contact
//! data, pseudonymized users whose names agree, phone numbers in free text.

use std::collections::BTreeMap;

use super::{config, ok, set, table, users_table};
use crate::transform::anonymize::pseudonym::is_reserved;
use crate::transform::{Kind, RowOutcome, UploadsMode};

fn options_table() -> crate::transform::TableInfo {
    table(
        "wp_options",
        &[
            "option_id:bigint",
            "option_name:varchar(191)",
            "option_value",
            "autoload:varchar(20)",
        ],
    )
}

fn usermeta_table() -> crate::transform::TableInfo {
    table(
        "wp_usermeta",
        &[
            "umeta_id:bigint",
            "user_id:bigint",
            "meta_key:varchar(255)",
            "meta_value",
        ],
    )
}

/// `upload_url_path` on staging after a copy in `mode`, production's base being `base`.
fn upload_url_path(mode: UploadsMode, base: Option<&str>, production_value: &str) -> String {
    let mut c = config();
    c.uploads = mode;
    let mut s = set(c);
    let bases: BTreeMap<String, String> = base
        .map(|b| ("wp_options".to_owned(), b.to_owned()))
        .into_iter()
        .collect();
    s.set_uploads_bases(bases);
    let mut t = s.for_table(&options_table()).expect("ok").expect("active");
    ok(
        &mut t,
        &[
            Some("9"),
            Some("upload_url_path"),
            Some(production_value),
            Some("on"),
        ],
    )
    .1[2]
        .clone()
        .expect("not null")
}

#[test]
fn staging_media_load_from_production_by_default() {
    let base = "https://www.client.example/wp-content/uploads";
    assert_eq!(
        upload_url_path(UploadsMode::KeepProduction, Some(base), ""),
        base
    );
    // Production's own value (a CDN on its host) is its uploads base: it is not rewritten.
    let own = "https://www.client.example/media";
    assert_eq!(
        upload_url_path(UploadsMode::KeepProduction, Some(own), own),
        own
    );
}

#[test]
fn uploads_url_is_taken_as_wordpress_takes_upload_url_path() {
    let cdn = "https://cdn.client.example/wp-content/uploads";
    assert_eq!(
        upload_url_path(UploadsMode::To(cdn.into()), Some("https://x.example"), ""),
        cdn
    );
    // Content URLs get the same base: the path after /wp-content/uploads follows it once.
    let mut c = config();
    c.uploads = UploadsMode::To(cdn.into());
    let s = set(c);
    let posts = table(
        "wp_posts",
        &["ID:bigint", "post_content", "post_type:varchar(20)"],
    );
    let mut t = s.for_table(&posts).expect("ok").expect("active");
    let (_, f) = ok(
        &mut t,
        &[
            Some("1"),
            Some("<img src=\"https://www.client.example/wp-content/uploads/2024/01/a.jpg\">"),
            Some("post"),
        ],
    );
    assert_eq!(
        f[1].as_deref(),
        Some("<img src=\"https://cdn.client.example/wp-content/uploads/2024/01/a.jpg\">")
    );
}

#[test]
fn rewrite_uploads_leaves_upload_url_path_to_the_url_rewrite() {
    assert_eq!(
        upload_url_path(
            UploadsMode::Rewrite,
            Some("https://www.client.example/wp-content/uploads"),
            ""
        ),
        ""
    );
}

fn meta_row(
    m: &mut crate::transform::TableTransformer,
    user: &str,
    key: &str,
    value: &str,
) -> String {
    ok(m, &[Some("1"), Some(user), Some(key), Some(value)]).1[3]
        .clone()
        .expect("not null")
}

fn kept_user_meta(keep_user_data: bool) -> Vec<(String, String, String)> {
    let mut c = config();
    c.keep_users = vec!["admin".into()];
    c.keep_user_data = keep_user_data;
    let mut s = set(c);
    s.set_kept_user_ids(vec![7]);
    let mut m = s.for_table(&usermeta_table()).expect("ok").expect("active");
    [
        ("first_name", "Boss"),
        ("nickname", "boss"),
        ("billing_phone", "+49 171 2345678"),
        ("billing_address_1", "Hauptstraße 5"),
        ("billing_email", "boss.billing@mail.example"),
        ("shipping_city", "Leipzig"),
        ("phone", "+49 30 1234567"),
        ("wp_capabilities", "a:1:{s:13:\"administrator\";b:1;}"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned(), meta_row(&mut m, "7", k, v)))
    .collect()
}

#[test]
fn kept_users_keep_their_account_but_not_their_contact_data() {
    for (key, before, after) in kept_user_meta(false) {
        match key.as_str() {
            "first_name" | "nickname" | "wp_capabilities" => assert_eq!(after, before, "{key}"),
            _ => assert_ne!(after, before, "{key} of a kept user is copied as is"),
        }
    }
    for (key, before, after) in kept_user_meta(true) {
        assert_eq!(after, before, "--keep-user-data keeps {key}");
    }
}

#[test]
fn a_pseudonymized_users_names_agree() {
    let s = set(config());
    let mut u = s.for_table(&users_table()).expect("ok").expect("active");
    let (_, user) = ok(
        &mut u,
        &[
            Some("2"),
            Some("jane"),
            Some("$P$Bxxxx"),
            Some("jane"),
            Some("jane@client.example"),
            Some(""),
            Some(""),
            Some("Jane Doe"),
        ],
    );
    let display = user[7].clone().expect("display_name");
    let mut m = s.for_table(&usermeta_table()).expect("ok").expect("active");
    let first = meta_row(&mut m, "2", "first_name", "Janet");
    let last = meta_row(&mut m, "2", "last_name", "Doe-Smith");
    let nickname = meta_row(&mut m, "2", "nickname", "jd");
    assert_ne!(display, "Jane Doe");
    assert_eq!(display, format!("{first} {last}"));
    assert_eq!(nickname, display);
    // Another user gets other names, and an empty name stays empty.
    assert_ne!(meta_row(&mut m, "3", "first_name", "Janet"), first);
    assert_eq!(meta_row(&mut m, "3", "last_name", ""), "");
}

#[test]
fn international_phone_numbers_in_post_content_are_replaced() {
    let s = set(config());
    let posts = table(
        "wp_posts",
        &["ID:bigint", "post_content", "post_type:varchar(20)"],
    );
    let mut t = s.for_table(&posts).expect("ok").expect("active");
    for phone in [
        "+49 171 2345678",
        "+49 171 234 5678",
        "+49 171 23 45 678",
        "+49 (0)171 2345678",
        "+49-171-2345678",
        "+491712345678",
        "+44 20 7946 0958",
        "+33 1 23 45 67 89",
    ] {
        // Followed by punctuation or by a word ("+49 171 2345678 oder …").
        for end in [", danke.</p>", " oder per Mail.</p>"] {
            let text = format!("<p>Ruf an: {phone}{end}");
            let (outcome, f) = ok(&mut t, &[Some("1"), Some(&text), Some("post")]);
            let out = f.get(1).cloned().flatten().unwrap_or_default();
            assert_eq!(outcome, RowOutcome::Changed, "{phone} stayed: {out}");
            assert!(!out.contains(phone), "{phone}: {out}");
            let fake = out.trim_start_matches("<p>Ruf an: ").trim_end_matches(end);
            assert!(is_reserved(&Kind::Phone, fake), "{phone} became {fake}");
        }
    }
}
