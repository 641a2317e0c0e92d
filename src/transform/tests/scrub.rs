use std::collections::HashSet;

use super::*;
use crate::transform::anonymize::pseudonym::Pseudonymizer;
use crate::transform::anonymize::{Applied, apply, wordpress_rules};
use crate::transform::php;

/// Runs `f` with a context keyed by a fixed key (shared with the scan-equivalence tests).
pub(super) fn run<T>(f: impl FnOnce(&mut ApplyCtx<'_>) -> T) -> T {
    let pseudo = Pseudonymizer::new(b"k").expect("key");
    let keep = HashSet::new();
    let mut seen = Vec::new();
    let mut ctx = ApplyCtx {
        pseudo: &pseudo,
        keep_logins: &keep,
        seen: &mut seen,
    };
    f(&mut ctx)
}

fn all(text: &str) -> String {
    run(|c| scrub(text, Targets::All, c))
}

/// A PHP-serialized string → string array, with byte lengths as PHP writes them.
fn php_map(pairs: &[(&str, &str)]) -> String {
    let mut out = format!("a:{}:{{", pairs.len());
    for (k, v) in pairs {
        out.push_str(&format!("s:{}:\"{k}\";s:{}:\"{v}\";", k.len(), v.len()));
    }
    out.push('}');
    out
}

/// What Akismet stores in `akismet_as_submitted` (see `Akismet::auto_check_comment`): the
/// comment fields, the request's `SERVER_*` headers and the posted form fields.
fn akismet_as_submitted() -> String {
    php_map(&[
        ("comment_author", "Jana Nováková"),
        ("comment_author_email", "jana.novakova@mail.example"),
        ("comment_author_url", "https://jana.example/"),
        (
            "comment_content",
            "Write me at jana.n@work.example or call +49 171 2345678.",
        ),
        ("comment_type", "comment"),
        ("user_ip", "198.18.7.23"),
        ("user_agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"),
        (
            "referrer",
            "https://client.example/?email=jana.novakova@mail.example",
        ),
        ("blog", "https://client.example"),
        ("blog_lang", "de_DE"),
        ("permalink", "https://client.example/hello-world/"),
        ("SERVER_REMOTE_ADDR", "198.18.7.23"),
        (
            "SERVER_HTTP_X_FORWARDED_FOR",
            "198.18.7.23, 2a02:8108:1:2::17",
        ),
        ("SERVER_HTTP_CLIENT_IP", "100.64.3.9"),
        ("SERVER_HTTP_X_REAL_IP", "100.64.3.10"),
        ("SERVER_REMOTE_PORT", "51234"),
        (
            "SERVER_HTTP_USER_AGENT",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        ),
        (
            "SERVER_HTTP_REFERER",
            "https://client.example/contact?from=jana.novakova@mail.example",
        ),
        ("POST_author", "Jana Nováková"),
        ("POST_email", "jana.novakova@mail.example"),
        ("POST_phone_number", "0171 2345678"),
        ("POST_comment_post_ID", "42"),
        ("POST_akismet_comment_nonce", "3f9a1c2b7d"),
    ])
}

#[test]
fn akismet_as_submitted_keeps_no_email_ip_or_phone() {
    let rules = wordpress_rules::builtin("commentmeta").expect("commentmeta rules");
    let kind = rules
        .meta
        .as_ref()
        .and_then(|m| m.kind_for("akismet_as_submitted", None))
        .expect("akismet_as_submitted has a rule");
    let value = akismet_as_submitted();
    let out = match run(|c| apply(&kind, Some(&value), c)) {
        Ok(Applied::Value(v)) => v,
        other => panic!("{other:?}"),
    };
    assert!(php::parse(out.as_bytes()).is_ok(), "lengths fixed: {out}");
    for original in [
        "jana.novakova@mail.example",
        "jana.n@work.example",
        "198.18.7.23",
        "2a02:8108:1:2::17",
        "100.64.3.9",
        "100.64.3.10",
        "2345678",
        "Nováková",
    ] {
        assert!(!out.contains(original), "{original} survived: {out}");
    }
    // What is not personal data stays as it was.
    for kept in [
        "\"de_DE\"",
        "\"51234\"",
        "\"3f9a1c2b7d\"",
        "s:2:\"42\"",
        "https://client.example/hello-world/",
        "Write me at ",
    ] {
        assert!(out.contains(kept), "{kept} changed: {out}");
    }
    // The forwarded list stays a list of two addresses.
    let parsed = php::parse(out.as_bytes()).expect("parses");
    let php::Value::Array(items) = parsed else {
        panic!("array")
    };
    let forwarded = items
        .iter()
        .find(|(k, _)| matches!(k, php::Value::Str(s) if s.as_ref() == b"SERVER_HTTP_X_FORWARDED_FOR"))
        .map(|(_, v)| v.clone())
        .expect("forwarded kept");
    let php::Value::Str(list) = forwarded else {
        panic!("string")
    };
    let list = String::from_utf8(list.to_vec()).expect("utf-8");
    let parts: Vec<&str> = list.split(", ").collect();
    assert_eq!(parts.len(), 2, "{list}");
    assert!(
        parts.iter().all(|p| p.parse::<std::net::IpAddr>().is_ok()),
        "{list}"
    );
}

#[test]
fn finds_emails_ips_and_phones_in_text() {
    let out = all("mail a.b@c.example, ip 10.1.2.3:8080 / 10.9.8.7, v6 fe80::1ff:fe23:4567:890a.");
    for original in [
        "a.b@c.example",
        "10.1.2.3",
        "10.9.8.7",
        "fe80::1ff:fe23:4567:890a",
    ] {
        assert!(!out.contains(original), "{original}: {out}");
    }
    assert!(out.starts_with("mail ") && out.ends_with('.'), "{out}");
    for phone in [
        "+49 171 2345678",
        "(030) 1234567",
        "0171/2345678",
        "+1-202-555-0143",
        "555-123-4567",
    ] {
        let out = all(&format!("Ruf an: {phone}!"));
        assert!(!out.contains(phone), "{phone}: {out}");
        assert!(out.starts_with("Ruf an: ") && out.ends_with('!'), "{out}");
    }
}

#[test]
fn leaves_dates_versions_and_plain_numbers() {
    for text in [
        "2024-01-31 12:30:45",
        "version 6.4.2 and 1.2.3",
        "order 12345678 of 12 345 678",
        "std::vec::Vec and a::b",
        "price 1.234.567,00",
        "loopback ::1 and 127.0.0.1 and 0.0.0.0",
        "a @ sign alone",
        "SKU v1.2.3.4",
    ] {
        assert_eq!(all(text), text);
    }
}

#[test]
fn prefilter_rejects_values_without_candidates() {
    assert!(!might_hold_pii(b"hello world, page 12 of 3", Targets::All));
    assert!(might_hold_pii(b"x@y", Targets::Emails));
    assert!(!might_hold_pii(b"10.0.0.1", Targets::Emails));
    assert!(might_hold_pii(b"10.0.0.1", Targets::All));
}
