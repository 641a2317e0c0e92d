use super::*;

fn with_ctx<T>(f: impl FnOnce(&mut ApplyCtx<'_>) -> T) -> (T, Vec<(PiiKind, u64)>) {
    let pseudo = Pseudonymizer::new(b"k").expect("key");
    let keep: HashSet<String> = ["admin".to_string()].into_iter().collect();
    let mut seen = Vec::new();
    let mut ctx = ApplyCtx {
        pseudo: &pseudo,
        keep_logins: &keep,
        seen: &mut seen,
    };
    let r = f(&mut ctx);
    (r, seen)
}

fn ap(kind: Kind, v: Option<&str>) -> Result<Applied, String> {
    with_ctx(|c| apply(&kind, v, c)).0
}

const ALL: &[&str] = &[
    "email",
    "first_name",
    "last_name",
    "full_name",
    "username",
    "phone",
    "ip",
    "street_address",
    "city",
    "postcode",
    "company",
    "url",
    "user_agent",
    "free_text",
    "reference",
    "slug",
    "password_hash",
    "pii_keys",
    "fixed:x",
    "null",
    "keep",
];

#[test]
fn null_and_empty_pass_through_for_every_kind() {
    for name in ALL {
        let k: Kind = name.parse().expect("kind");
        assert_eq!(ap(k.clone(), None), Ok(Applied::Unchanged), "{name} NULL");
        if k != Kind::Null {
            assert_eq!(
                ap(k.clone(), Some("")),
                Ok(Applied::Unchanged),
                "{name} empty"
            );
        }
    }
    assert_eq!(ap(Kind::DeleteRow, None), Ok(Applied::DeleteRow));
    assert_eq!(ap(Kind::Null, Some("x")), Ok(Applied::Null));
    assert_eq!(ap(Kind::Keep, Some("x")), Ok(Applied::Unchanged));
}

#[test]
fn every_generating_kind_changes_values() {
    for name in &ALL[..17] {
        let k: Kind = name.parse().expect("kind");
        match ap(k, Some("Jane Doe")) {
            Ok(Applied::Value(v)) => assert!(!v.contains("Jane"), "{name}: {v}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!("nonsense".parse::<Kind>().is_err());
}

#[test]
fn kept_login_keeps_username() {
    assert_eq!(ap(Kind::Username, Some("Admin")), Ok(Applied::Unchanged));
}

#[test]
fn reaches_inside_serialized_and_json() {
    let Ok(Applied::Value(v)) = ap(
        Kind::Username,
        Some("a:2:{i:0;s:5:\"alice\";i:1;s:5:\"admin\";}"),
    ) else {
        panic!("changed")
    };
    let parsed = php::parse(v.as_bytes()).expect("still serialized");
    let php::Value::Array(items) = parsed else {
        panic!("array")
    };
    assert_eq!(
        items[1].1,
        php::Value::Str(std::borrow::Cow::Borrowed(b"admin"))
    );

    let session = "a:3:{s:5:\"email\";s:13:\"j@client.test\";s:10:\"first_name\";s:4:\"Jane\";s:7:\"country\";s:2:\"DE\";}";
    let (r, seen) = with_ctx(|c| apply(&Kind::PiiKeys, Some(session), c));
    let Ok(Applied::Value(v)) = r else {
        panic!("changed")
    };
    assert!(
        !v.contains("j@client.test") && !v.contains("Jane") && v.contains("\"DE\""),
        "{v}"
    );
    assert!(php::parse(v.as_bytes()).is_ok());
    assert_eq!(seen.len(), 1);

    let Ok(Applied::Value(j)) = ap(
        Kind::PiiKeys,
        Some(r#"{"billing":{"email":"a@b.example","phone":"+1 202 555 1234"},"note":"x"}"#),
    ) else {
        panic!("changed")
    };
    assert!(
        !j.contains("a@b.example") && !j.contains("202") && j.contains("\"note\":\"x\""),
        "{j}"
    );
}

#[test]
fn fails_closed_on_corrupt_structures() {
    assert!(ap(Kind::Email, Some("a:1:{i:0;s:50:\"x@client.example\";}")).is_err());
    assert!(ap(Kind::PiiKeys, Some("a:1:{s:5:\"email\";s:2:\"x\";")).is_err());
    // pii_keys on plain text: nothing to reach, nothing copied that a rule names.
    assert_eq!(ap(Kind::PiiKeys, Some("plain")), Ok(Applied::Unchanged));
}

#[test]
fn meta_rules_resolution() {
    let m = wordpress_rules::builtin("postmeta")
        .and_then(|t| t.meta)
        .expect("postmeta rules");
    assert_eq!(m.kind_for("_billing_email", None), Some(Kind::Email));
    assert_eq!(
        m.kind_for("_billing_first_name", None),
        Some(Kind::FirstName)
    );
    assert_eq!(
        m.kind_for("_shipping_address_index", None),
        Some(Kind::Fixed(String::new()))
    );
    assert_eq!(m.kind_for("_billing_country", None), Some(Kind::PiiKeys));
    assert_eq!(m.kind_for("_customer_ip_address", None), Some(Kind::Ip));
    // Keys no rule names still lose the emails, IPs and phone numbers inside their values.
    assert_eq!(m.kind_for("_thumbnail_id", None), Some(Kind::PiiInside));
    let o = wordpress_rules::builtin("options")
        .and_then(|t| t.meta)
        .expect("options rules");
    assert_eq!(o.kind_for("admin_email", None), Some(Kind::Email));
    assert_eq!(
        o.kind_for("my_plugin_api_key", Some("sk_live_123")),
        Some(Kind::Fixed(String::new()))
    );
    assert_eq!(
        o.kind_for(
            "woocommerce_myaccount_lost_password_endpoint",
            Some("lost-password")
        ),
        Some(Kind::PiiInside)
    );
    assert_eq!(
        o.kind_for("woocommerce_registration_generate_password", Some("yes")),
        Some(Kind::PiiInside)
    );
    assert_eq!(
        o.kind_for("monkey_business", Some("banana")),
        Some(Kind::PiiInside)
    );
    assert_eq!(
        o.kind_for("nonce_salt", Some("x9!Q")),
        Some(Kind::Fixed(String::new()))
    );
    assert_eq!(
        o.kind_for("blogname", Some("My token shop")),
        Some(Kind::PiiInside)
    );
}

#[test]
fn globs() {
    assert!(glob_match("_billing_*", "_billing_email"));
    assert!(glob_match("*key*", "api_key_x"));
    assert!(glob_match("a?c", "abc"));
    assert!(!glob_match("_billing_*", "billing_email"));
    assert!(glob_match("*", ""));
}

#[test]
fn unique_registry_detects_collisions() {
    let r = UniqueRegistry::default();
    r.register(&Kind::Email, "f@example.com", "a@x.example")
        .expect("first");
    r.register(&Kind::Email, "f@example.com", "A@X.example ")
        .expect("same original");
    assert!(matches!(
        r.register(&Kind::Email, "f@example.com", "b@x.example"),
        Err(TransformError::PseudonymCollision { .. })
    ));
    r.register(&Kind::Username, "f@example.com", "b@x.example")
        .expect("other kind");
}

#[test]
fn emails_inside_replaces_only_addresses() {
    let plain = ap(
        Kind::EmailsInside,
        Some("Write to Anna.Schmidt@Example.org. Or call 030 1234."),
    );
    let Ok(Applied::Value(v)) = plain else {
        panic!("{plain:?}")
    };
    assert!(
        v.starts_with("Write to ") && v.ends_with(". Or call 030 1234."),
        "{v}"
    );
    assert!(
        !v.to_lowercase().contains("anna.schmidt@example.org"),
        "{v}"
    );
    assert!(v.contains("@example.com"), "{v}");
    assert_eq!(
        ap(Kind::EmailsInside, Some("no address here")),
        Ok(Applied::Unchanged)
    );
    assert_eq!(
        ap(Kind::EmailsInside, Some("a @ sign alone")),
        Ok(Applied::Unchanged)
    );
    let ser = r#"a:2:{s:10:"from_email";s:17:"shop@client.example";s:4:"port";i:587;}"#
        .replace("s:17:", "s:19:");
    let Ok(Applied::Value(v)) = ap(Kind::EmailsInside, Some(&ser)) else {
        panic!("serialized")
    };
    assert!(
        !v.contains("shop@client.example") && v.contains("i:587;"),
        "{v}"
    );
    assert!(
        crate::transform::php::parse(v.as_bytes()).is_ok(),
        "lengths must stay consistent: {v}"
    );
    let json = r#"{"to":"kunde@mail.example","n":1}"#;
    let Ok(Applied::Value(v)) = ap(Kind::EmailsInside, Some(json)) else {
        panic!("json")
    };
    assert!(
        !v.contains("kunde@mail.example") && v.contains(r#""n":1"#),
        "{v}"
    );
    // The same address gets the same pseudonym wherever it appears.
    let a = ap(Kind::EmailsInside, Some("x kunde@mail.example"));
    let b = ap(Kind::Email, Some("kunde@mail.example"));
    let (Ok(Applied::Value(a)), Ok(Applied::Value(b))) = (a, b) else {
        panic!()
    };
    assert_eq!(a, format!("x {b}"));
}
