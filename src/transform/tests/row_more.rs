//! End-to-end tests, part 2: collisions, limits, strict mode, rule files.

use super::tests::{KEY, config, go, ok, set, table, users_table};
use crate::transform::anonymize::pseudonym::Pseudonymizer;
use crate::transform::{Kind, RowOutcome, RulesFile, TransformError, TransformSet, UploadsMode};

#[test]
fn pseudonym_collision_with_kept_user_fails() {
    let fake_of_bob = Pseudonymizer::new(KEY)
        .expect("key")
        .fake(&Kind::Username, "bob");
    let mut c = config();
    c.keep_users = vec![fake_of_bob.clone()];
    let s = set(c);
    let mut t = s.for_table(&users_table()).expect("ok").expect("active");
    ok(
        &mut t,
        &[
            Some("1"),
            Some(&fake_of_bob),
            Some("x"),
            Some("k"),
            Some("k@x.example"),
            None,
            None,
            None,
        ],
    );
    let err = go(
        &mut t,
        &[
            Some("2"),
            Some("bob"),
            Some("x"),
            Some("bob"),
            Some("bob@x.example"),
            None,
            None,
            None,
        ],
    )
    .expect_err("collision");
    assert!(
        matches!(err, TransformError::PseudonymCollision { .. }),
        "{err}"
    );
}

#[test]
fn value_too_long_names_table_column_and_key() {
    let mut c = config();
    c.url_rewrites[0].to =
        "https://a-very-long-preview-host-name-for-pr-12345.up.railway.app".into();
    let s = set(c);
    let links = table("wp_links", &["link_id:bigint", "link_url:varchar(60)"]);
    let mut t = s.for_table(&links).expect("ok").expect("active");
    let err = go(
        &mut t,
        &[Some("42"), Some("https://www.client.example/blog/")],
    )
    .expect_err("too long");
    let msg = err.to_string();
    assert!(
        msg.contains("wp_links.link_url")
            && msg.contains("link_id=42")
            && msg.contains("allows 60"),
        "{msg}"
    );
}

#[test]
fn strict_mode_and_skip_counts() {
    let meta = table(
        "wp_postmeta",
        &[
            "meta_id:bigint",
            "post_id:bigint",
            "meta_key:varchar(255)",
            "meta_value",
        ],
    );
    let corrupt = "a:1:{s:3:\"url\";s:99:\"https://www.client.example\";}";
    let s = set(config());
    let mut t = s.for_table(&meta).expect("ok").expect("active");
    assert_eq!(
        ok(&mut t, &[Some("1"), Some("1"), Some("_x"), Some(corrupt)]).0,
        RowOutcome::Unchanged
    );
    t.finish();
    let r = s.report();
    assert_eq!(
        r.tables[0].columns[0]
            .skipped
            .get("corrupt serialized value"),
        Some(&1)
    );
    assert!(r.to_text_table().contains("1 corrupt serialized value"));

    let mut c = config();
    c.strict = true;
    let mut t = set(c).for_table(&meta).expect("ok").expect("active");
    assert!(matches!(
        go(&mut t, &[Some("1"), Some("1"), Some("_x"), Some(corrupt)]),
        Err(TransformError::StrictSkip { .. })
    ));
}

#[test]
fn pii_meta_fails_closed_and_woo_tables() {
    let s = set(config());
    let meta = table(
        "wp_postmeta",
        &[
            "meta_id:bigint",
            "post_id:bigint",
            "meta_key:varchar(255)",
            "meta_value",
        ],
    );
    let mut t = s.for_table(&meta).expect("ok").expect("active");
    let err = go(
        &mut t,
        &[
            Some("1"),
            Some("1"),
            Some("_billing_email"),
            Some("a:1:{i:0;s:9:\"x\";}"),
        ],
    )
    .expect_err("fails closed");
    assert!(
        matches!(err, TransformError::CannotAnonymize { .. }),
        "{err}"
    );
    let (_, f) = ok(
        &mut t,
        &[
            Some("2"),
            Some("1"),
            Some("_billing_phone"),
            Some("+44 20 7946 0000"),
        ],
    );
    assert!(f[3].as_deref().is_some_and(|p| p.starts_with("+1-555-01")));
    let sessions = table(
        "wp_woocommerce_sessions",
        &["session_id:bigint", "session_value"],
    );
    let mut w = s.for_table(&sessions).expect("ok").expect("active");
    assert_eq!(
        ok(&mut w, &[Some("1"), Some("a:0:{}")]).0,
        RowOutcome::Dropped
    );
}

#[test]
fn user_rules_multisite_and_prefix() {
    assert_eq!(
        TransformSet::detect_prefix(&[
            "wp_2_options",
            "wp_2_posts",
            "wp_options",
            "wp_posts",
            "wp_users"
        ])
        .as_deref(),
        Some("wp_")
    );
    assert_eq!(
        TransformSet::detect_prefix(&["shop_options", "shop_posts"]).as_deref(),
        Some("shop_")
    );
    assert_eq!(TransformSet::detect_prefix(&["wp_options"]), None);
    let mut c = config();
    c.user_rules = Some(
        RulesFile::from_yaml("tables:\n  my_leads:\n    columns: { EMAIL: email, notes: free_text }\n  postmeta:\n    meta_keys: { \"_lead_*\": delete_row }\n")
            .expect("rules"),
    );
    let mut s = set(c);
    s.set_table_prefix("shop_");
    let leads = table(
        "shop_my_leads",
        &["id:bigint", "Email:varchar(100)", "notes"],
    );
    let mut t = s.for_table(&leads).expect("ok").expect("active");
    let (_, f) = ok(
        &mut t,
        &[Some("1"), Some("lead@x.example"), Some("called twice")],
    );
    assert!(f[1].as_deref().is_some_and(|e| e.ends_with("@example.com")));
    assert_ne!(f[2].as_deref(), Some("called twice"));
    let meta = table(
        "shop_3_postmeta",
        &[
            "meta_id:bigint",
            "post_id:bigint",
            "meta_key:varchar(255)",
            "meta_value",
        ],
    );
    let mut m = s.for_table(&meta).expect("ok").expect("active");
    assert_eq!(
        ok(
            &mut m,
            &[Some("1"), Some("1"), Some("_lead_source"), Some("x")]
        )
        .0,
        RowOutcome::Dropped
    );
    let blogs = table(
        "shop_blogs",
        &["blog_id:bigint", "domain:varchar(200)", "path:varchar(100)"],
    );
    let mut b = s.for_table(&blogs).expect("ok").expect("active");
    assert_eq!(
        ok(&mut b, &[Some("1"), Some("www.client.example"), Some("/")]).1[1].as_deref(),
        Some("pr-42.up.railway.app")
    );
}

#[test]
fn malformed_rows_are_errors() {
    let s = set(config());
    let mut t = s
        .for_table(&table(
            "wp_links",
            &["link_id:bigint", "link_url:varchar(255)"],
        ))
        .expect("ok")
        .expect("active");
    let mut out = Vec::new();
    assert!(matches!(
        t.transform_row(b"1\tx\ty\n", &mut out),
        Err(TransformError::ColumnCount { .. })
    ));
    assert!(matches!(
        t.transform_row(b"1\tx", &mut out),
        Err(TransformError::MalformedRow { .. })
    ));
    assert!(out.is_empty());
}

#[test]
fn anonymize_off_keeps_pii_but_still_rewrites() {
    let mut c = config();
    c.anonymize = false;
    c.uploads = UploadsMode::Rewrite;
    let s = set(c);
    let mut t = s.for_table(&users_table()).expect("ok").expect("active");
    let (_, f) = ok(
        &mut t,
        &[
            Some("1"),
            Some("jane"),
            Some("x"),
            Some("jane"),
            Some("j@x.example"),
            Some("https://www.client.example/wp-content/uploads/a.png"),
            None,
            None,
        ],
    );
    assert_eq!(f[1].as_deref(), Some("jane"));
    assert_eq!(
        f[5].as_deref(),
        Some("https://pr-42.up.railway.app/wp-content/uploads/a.png")
    );
}

#[test]
fn the_generic_scan_replaces_contact_data_and_the_leak_check_watches_it() {
    let s = set(config());
    let leads = table("wp_acme_leads", &["id:bigint", "note", "n:bigint"]);
    let mut t = s.for_table(&leads).expect("ok").expect("scanned");
    let (outcome, out) = ok(
        &mut t,
        &[
            Some("1"),
            Some("mail lena@mail.example from 85.12.3.4"),
            Some("7"),
        ],
    );
    assert_eq!(outcome, RowOutcome::Changed);
    let note = out[1].as_deref().expect("text");
    assert!(
        !note.contains("lena@mail.example") && !note.contains("85.12.3.4"),
        "{note}"
    );
    t.finish();
    let detector = s.leak_detector().expect("detector");
    assert!(
        detector
            .emitted
            .iter()
            .any(|((tb, col), h)| tb == "wp_acme_leads" && col == "note" && !h.is_empty()),
        "the leak check watches the scanned column"
    );
    assert!(detector.first_leak().is_none());
    assert_eq!(
        s.report().scanned_columns(),
        vec!["wp_acme_leads.note".to_owned()]
    );
}
