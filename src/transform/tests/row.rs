//! End-to-end tests through `TransformSet` / `TableTransformer`.

use secrecy::{SecretSlice, SecretString};

use crate::transform::copy_codec::{decode_row, encode_row};
use crate::transform::password::check_wordpress_hash;
use crate::transform::{
    ColumnInfo, RowOutcome, RulesFile, TableInfo, TableTransformer, TransformConfig,
    TransformError, TransformSet, UrlRewrite,
};

pub(super) const KEY: &[u8] = b"unit-test-key";

pub(super) fn config() -> TransformConfig {
    let mut c = TransformConfig::new(SecretSlice::from(KEY.to_vec()));
    c.url_rewrites = vec![UrlRewrite {
        from: "https://www.client.example".into(),
        to: "https://pr-42.up.railway.app".into(),
    }];
    c
}

pub(super) fn set(c: TransformConfig) -> TransformSet {
    TransformSet::new(c).expect("valid config")
}

/// Columns as `name:type` or `name:varchar(n)`; the first column is the PK.
pub(super) fn table(name: &str, cols: &[&str]) -> TableInfo {
    let columns = cols
        .iter()
        .map(|c| {
            let (n, t) = c.split_once(':').unwrap_or((c, "text"));
            let max = t
                .strip_prefix("varchar(")
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|n| n.parse().ok());
            let type_name = if max.is_some() {
                "character varying".to_string()
            } else {
                t.to_string()
            };
            ColumnInfo {
                name: n.to_string(),
                type_name,
                max_chars: max,
            }
        })
        .collect();
    TableInfo {
        schema: "public".into(),
        name: name.into(),
        columns,
        primary_key: vec![0],
    }
}

pub(super) fn row(fields: &[Option<&str>]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_row(fields, &mut out);
    out
}

pub(super) fn go(
    t: &mut TableTransformer,
    fields: &[Option<&str>],
) -> Result<(RowOutcome, Vec<Option<String>>), TransformError> {
    let input = row(fields);
    let mut out = Vec::new();
    let outcome = t.transform_row(&input, &mut out)?;
    if outcome == RowOutcome::Unchanged {
        assert_eq!(out, input, "unchanged rows are byte-exact");
    }
    let decoded = if out.is_empty() {
        Vec::new()
    } else {
        decode_row(&out).expect("valid output")
    };
    let strings = decoded
        .into_iter()
        .map(|f| f.map(|b| String::from_utf8(b).expect("utf8")))
        .collect();
    Ok((outcome, strings))
}

pub(super) fn ok(
    t: &mut TableTransformer,
    fields: &[Option<&str>],
) -> (RowOutcome, Vec<Option<String>>) {
    go(t, fields).expect("row transforms")
}

pub(super) fn users_table() -> TableInfo {
    table(
        "wp_users",
        &[
            "ID:bigint",
            "user_login:varchar(60)",
            "user_pass:varchar(255)",
            "user_nicename:varchar(50)",
            "user_email:varchar(100)",
            "user_url:varchar(100)",
            "user_activation_key:varchar(255)",
            "display_name:varchar(250)",
        ],
    )
}

#[test]
fn pass_through_tables_get_none() {
    let s = set(config());
    let rel = table(
        "wp_term_relationships",
        &[
            "object_id:bigint",
            "term_taxonomy_id:bigint",
            "term_order:integer",
        ],
    );
    assert!(s.for_table(&rel).expect("ok").is_none());
    let terms = table("wp_terms", &["term_id:bigint", "name:varchar(200)"]);
    let mut no_urls = config();
    no_urls.url_rewrites.clear();
    // Text no rule names is scanned for emails, IPs and phones while anonymizing.
    assert!(set(no_urls).for_table(&terms).expect("ok").is_some());
    let mut no_urls_no_anon = config();
    no_urls_no_anon.url_rewrites.clear();
    no_urls_no_anon.anonymize = false;
    assert!(
        set(no_urls_no_anon)
            .for_table(&terms)
            .expect("ok")
            .is_none()
    );
}

#[test]
fn posts_urls_guid_and_user_requests() {
    let s = set(config());
    let posts = table(
        "wp_posts",
        &[
            "ID:bigint",
            "post_content",
            "post_title",
            "guid:varchar(255)",
            "post_type:varchar(20)",
        ],
    );
    let mut t = s.for_table(&posts).expect("ok").expect("active");
    let (o, f) = ok(
        &mut t,
        &[
            Some("1"),
            Some("Hi\tthere https://www.client.example/a\\b"),
            Some("T"),
            Some("https://www.client.example/?p=1"),
            Some("post"),
        ],
    );
    assert_eq!(o, RowOutcome::Changed);
    assert_eq!(
        f[1].as_deref(),
        Some("Hi\tthere https://pr-42.up.railway.app/a\\b")
    );
    assert_eq!(f[3].as_deref(), Some("https://www.client.example/?p=1"));
    let (o, _) = ok(
        &mut t,
        &[
            Some("2"),
            Some("plain \\ text\nline"),
            None,
            Some("x"),
            Some("post"),
        ],
    );
    assert_eq!(o, RowOutcome::Unchanged);
    let (_, f) = ok(
        &mut t,
        &[
            Some("3"),
            Some("{\"x\":1}"),
            Some("jane@client.example"),
            Some(""),
            Some("user_request"),
        ],
    );
    assert!(f[2].as_deref().is_some_and(|v| v.ends_with("@example.com")));
    assert_eq!(f[1].as_deref(), Some(""));
    t.finish();

    let mut c = config();
    c.rewrite_guid = true;
    let mut t = set(c).for_table(&posts).expect("ok").expect("active");
    let (_, f) = ok(
        &mut t,
        &[
            Some("1"),
            Some(""),
            Some(""),
            Some("https://www.client.example/?p=1"),
            Some("post"),
        ],
    );
    assert_eq!(f[3].as_deref(), Some("https://pr-42.up.railway.app/?p=1"));
}

#[test]
fn options_staging_safety_and_settings() {
    let mut c = config();
    c.user_rules = Some(
        RulesFile::from_yaml(
            "options:\n  set:\n    \"woocommerce_stripe_settings.testmode\": \"yes\"\n    \"smtp_plugin.enabled\": false\n",
        )
        .expect("rules"),
    );
    let s = set(c);
    let opts = table(
        "wp_options",
        &[
            "option_id:bigint",
            "option_name:varchar(191)",
            "option_value",
            "autoload:varchar(20)",
        ],
    );
    let mut t = s.for_table(&opts).expect("ok").expect("active");
    let mut o = |name: &str, value: &str| {
        ok(&mut t, &[Some("1"), Some(name), Some(value), Some("yes")]).1[2]
            .clone()
            .expect("not null")
    };
    assert_eq!(
        o("home", "http://client.example/"),
        "https://pr-42.up.railway.app/"
    );
    assert_eq!(
        o("siteurl", "https://www.client.example"),
        "https://pr-42.up.railway.app"
    );
    assert_eq!(
        o("siteurl", "https://old-domain.example"),
        "https://pr-42.up.railway.app"
    );
    assert_eq!(o("blog_public", "1"), "0");
    assert!(o("admin_email", "owner@client.example").ends_with("@example.com"));
    assert_eq!(o("stripe_api_secret", "sk_live_abc"), "");
    assert_eq!(o("blogname", "My token shop"), "My token shop");
    assert_eq!(
        o(
            "woocommerce_stripe_settings",
            "a:2:{s:7:\"enabled\";s:3:\"yes\";s:8:\"testmode\";s:2:\"no\";}"
        ),
        "a:2:{s:7:\"enabled\";s:3:\"yes\";s:8:\"testmode\";s:3:\"yes\";}"
    );
    assert_eq!(
        o("smtp_plugin", "a:1:{s:7:\"enabled\";b:1;}"),
        "a:1:{s:7:\"enabled\";b:0;}"
    );
    let err = go(
        &mut t,
        &[
            Some("1"),
            Some("smtp_plugin"),
            Some("not serialized"),
            Some("yes"),
        ],
    )
    .expect_err("fails");
    assert!(matches!(err, TransformError::InvalidOptionSet { .. }));
}

#[test]
fn users_anonymized_and_kept_users() {
    let mut c = config();
    c.keep_users = vec!["Admin".into()];
    c.staging_password = Some(SecretString::from("letmein"));
    let mut s = set(c);
    s.set_kept_user_ids(vec![7]);
    let mut t = s.for_table(&users_table()).expect("ok").expect("active");
    let (_, f) = ok(
        &mut t,
        &[
            Some("2"),
            Some("jane"),
            Some("$P$Bxxxx"),
            Some("jane"),
            Some("Jane@Client.Example"),
            Some("https://jane.example"),
            Some("k3y"),
            Some("Jane Doe"),
        ],
    );
    let login = f[1].clone().expect("login");
    assert!(login.len() <= 60 && login != "jane");
    assert_eq!(f[3].as_deref(), Some(login.replace('_', "-").as_str()));
    assert!(f[4].as_deref().is_some_and(|e| e.ends_with("@example.com")));
    assert_eq!(f[2].as_deref(), Some("*wpstage-locked*"));
    assert_eq!((f[5].as_deref(), f[6].as_deref()), (Some(""), Some("")));
    assert_ne!(f[7].as_deref(), Some("Jane Doe"));

    for id_login in [("1", "admin"), ("7", "someone")] {
        let (_, f) = ok(
            &mut t,
            &[
                Some(id_login.0),
                Some(id_login.1),
                Some("$P$Bprod"),
                Some("admin"),
                Some("boss@client.example"),
                Some(""),
                Some(""),
                Some("Boss"),
            ],
        );
        assert_eq!(f[1].as_deref(), Some(id_login.1));
        assert_eq!(f[4].as_deref(), Some("boss@client.example"));
        assert!(check_wordpress_hash(
            "letmein",
            f[2].as_deref().expect("hash")
        ));
    }

    let meta = table(
        "wp_usermeta",
        &[
            "umeta_id:bigint",
            "user_id:bigint",
            "meta_key:varchar(255)",
            "meta_value",
        ],
    );
    let mut m = s.for_table(&meta).expect("ok").expect("active");
    assert_eq!(
        ok(
            &mut m,
            &[Some("1"), Some("7"), Some("first_name"), Some("Boss")]
        )
        .0,
        RowOutcome::Unchanged
    );
    assert_ne!(
        ok(
            &mut m,
            &[Some("2"), Some("2"), Some("first_name"), Some("Jane")]
        )
        .1[3]
            .as_deref(),
        Some("Jane")
    );
    assert_eq!(
        ok(
            &mut m,
            &[Some("3"), Some("7"), Some("session_tokens"), Some("a:0:{}")]
        )
        .0,
        RowOutcome::Dropped
    );
    assert_eq!(
        ok(
            &mut m,
            &[
                Some("4"),
                Some("2"),
                Some("wp_capabilities"),
                Some("a:1:{s:13:\"administrator\";b:1;}")
            ]
        )
        .0,
        RowOutcome::Unchanged
    );
    m.finish();
    t.finish();
    let report = s.report();
    let users = report
        .tables
        .iter()
        .find(|t| t.table == "wp_users")
        .expect("users report");
    assert_eq!(users.rows_seen, 3);
    let meta_r = report
        .tables
        .iter()
        .find(|t| t.table == "wp_usermeta")
        .expect("meta report");
    assert_eq!(meta_r.rows_dropped, 1);
}

#[test]
fn same_email_same_fake_across_tables() {
    let s = set(config());
    let email = "Customer@Shop.Example";
    let mut u = s.for_table(&users_table()).expect("ok").expect("active");
    let fu = ok(
        &mut u,
        &[
            Some("5"),
            Some("cust"),
            Some("x"),
            Some("cust"),
            Some(email),
            Some(""),
            Some(""),
            Some("C"),
        ],
    )
    .1[4]
        .clone();
    let comments = table(
        "wp_comments",
        &[
            "comment_ID:bigint",
            "comment_author_email:varchar(100)",
            "comment_author_IP:varchar(100)",
        ],
    );
    let mut c = s.for_table(&comments).expect("ok").expect("active");
    let fc = ok(
        &mut c,
        &[
            Some("1"),
            Some(" customer@shop.example"),
            Some("203.0.113.9"),
        ],
    )
    .1;
    let orders = table(
        "wp_wc_orders",
        &[
            "id:bigint",
            "billing_email:varchar(320)",
            "ip_address:varchar(100)",
        ],
    );
    let mut o = s.for_table(&orders).expect("ok").expect("active");
    let fo = ok(&mut o, &[Some("9"), Some(email), Some("10.0.0.1")]).1;
    let lookup = table(
        "wp_wc_customer_lookup",
        &[
            "customer_id:bigint",
            "email:varchar(100)",
            "username:varchar(60)",
        ],
    );
    let mut l = s.for_table(&lookup).expect("ok").expect("active");
    let fl = ok(&mut l, &[Some("1"), Some(email), Some("cust")]).1;
    assert_eq!(fu, fc[1]);
    assert_eq!(fu, fo[1]);
    assert_eq!(fu, fl[1]);
    assert!(fc[2].as_deref().is_some_and(|ip| ip != "203.0.113.9"));
    drop((u, c, o, l));
    let leaks = s.leak_detector().expect("detector");
    assert!(leaks.leaks("customer@shop.example"));
    assert!(leaks.leaks("10.0.0.1"));
    assert!(!leaks.leaks(fu.as_deref().expect("fake")));
    assert!(
        leaks
            .emitted
            .iter()
            .any(|((t, c), h)| t == "wp_comments" && c == "comment_author_IP" && !h.is_empty()),
        "the leak check watches the IP column"
    );
}

#[test]
fn shared_types_are_thread_safe() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<TransformSet>();
    send::<TableTransformer>();
}

#[path = "staging_site.rs"]
mod staging_site;
