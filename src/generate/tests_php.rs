//! Cross-check with real PHP: every serialized value we emit must
//! unserialize, and re-serialize to the identical bytes.

use super::Plan;
use super::tests::{HOST, column, dump, meta, serialized_values, spec};
use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

const PHP: &str = r#"
$vals = json_decode(stream_get_contents(STDIN), true);
if (!is_array($vals)) { fwrite(STDERR, "bad input\n"); exit(2); }
$bad = 0;
foreach ($vals as $i => $s) {
    $v = @unserialize($s);
    if ($v === false && $s !== 'b:0;') { echo "FAIL unserialize #$i: $s\n"; $bad++; continue; }
    if (serialize($v) !== $s) { echo "FAIL roundtrip #$i: $s\n"; $bad++; }
}
echo "checked " . count($vals) . "\n";
exit($bad ? 1 : 0);
"#;

#[test]
fn php_unserializes_every_value() {
    let db = dump(&Plan::new(&spec(11, 12_000_000)).expect("plan"));
    let vals = serialized_values(&db);
    let json = serde_json::to_vec(&vals).expect("json");
    // php-cli is a test requirement: fail loudly rather than skip.
    let mut child = Command::new("php")
        .args(["-d", "error_reporting=E_ALL", "-r", PHP])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("php-cli must be installed (/usr/bin/php) to run this test");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&json)
        .expect("write to php");
    let out = child.wait_with_output().expect("php output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "php: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("checked {}", vals.len())),
        "{stdout}"
    );
}

#[test]
fn every_pii_place_is_filled() {
    let db = dump(&Plan::new(&spec(2, 12_000_000)).expect("plan"));
    let non_empty = |t: &str, c: &str| {
        let v = column(&db, t, c);
        assert!(v.iter().flatten().any(|s| !s.is_empty()), "{t}.{c} empty");
    };
    for (t, cols) in [
        (
            "users",
            &[
                "user_login",
                "user_nicename",
                "user_email",
                "user_url",
                "display_name",
                "user_activation_key",
            ][..],
        ),
        (
            "comments",
            &[
                "comment_author",
                "comment_author_email",
                "comment_author_url",
                "comment_author_ip",
                "comment_agent",
            ],
        ),
        (
            "wc_orders",
            &[
                "billing_email",
                "ip_address",
                "user_agent",
                "customer_note",
                "transaction_id",
            ],
        ),
        (
            "wc_order_addresses",
            &[
                "first_name",
                "last_name",
                "company",
                "address_1",
                "address_2",
                "city",
                "state",
                "postcode",
                "country",
                "email",
                "phone",
            ],
        ),
        ("wc_order_operational_data", &["order_key", "cart_hash"]),
        (
            "wc_customer_lookup",
            &[
                "username",
                "first_name",
                "last_name",
                "email",
                "postcode",
                "city",
                "state",
                "country",
            ],
        ),
        ("woocommerce_sessions", &["session_value"]),
        ("woocommerce_payment_tokens", &["token"]),
        (
            "woocommerce_api_keys",
            &["consumer_key", "consumer_secret", "truncated_key"],
        ),
        ("wc_webhooks", &["secret", "delivery_url"]),
        (
            "woocommerce_downloadable_product_permissions",
            &["user_email", "order_key"],
        ),
        ("wc_download_log", &["user_ip_address"]),
        ("signups", &["user_email", "user_login", "activation_key"]),
        ("registration_log", &["email", "ip"]),
    ] {
        for c in cols {
            non_empty(t, c);
        }
    }
    let pass = column(&db, "users", "user_pass");
    assert!(
        pass.iter()
            .flatten()
            .any(|p| p.starts_with("$P$B") && p.len() == 35)
    );
    assert!(pass.iter().flatten().any(|p| p.starts_with("$wp$2y$10$")));
    let um = meta(&db, "usermeta", "meta_key", "meta_value");
    for k in [
        "first_name",
        "last_name",
        "nickname",
        "description",
        "billing_phone",
        "billing_address_1",
        "billing_postcode",
        "billing_city",
        "billing_email",
        "shipping_address_1",
        "shipping_postcode",
        "shipping_city",
        "shipping_phone",
        "_application_passwords",
        "community-events-location",
        "session_tokens",
        "_stripe_customer_id",
        "wp_capabilities",
    ] {
        assert!(
            um.get(k)
                .is_some_and(|v| v.iter().flatten().any(|s| !s.is_empty())),
            "usermeta {k}"
        );
    }
    assert!(um["wp_capabilities"].contains(&Some("a:1:{s:13:\"administrator\";b:1;}")));
    let st = um["session_tokens"][0].expect("tokens");
    for part in [
        "\"expiration\";i:",
        "s:2:\"ip\";",
        "s:2:\"ua\";",
        "s:5:\"login\";i:",
    ] {
        assert!(st.contains(part), "{part}");
    }
    let opts = meta(&db, "options", "option_name", "option_value");
    let one = |k: &str| opts[k][0].unwrap_or_default().to_string();
    let base = format!("https://{HOST}");
    assert_eq!(one("home"), base);
    assert_eq!(one("siteurl"), base);
    assert_eq!(one("blog_public"), "1");
    assert_eq!(one("admin_email"), "info@example-shop.de");
    assert!(!one("mailserver_login").is_empty() && !one("mailserver_pass").is_empty());
    for suffix in ["_api_key", "_secret", "_token"] {
        assert!(opts.keys().any(|k| k.ends_with(suffix)), "{suffix}");
    }
    assert!(one("woocommerce_stripe_settings").contains("s:8:\"testmode\""));
    assert!(
        one("wp_mail_smtp").contains("s:7:\"enabled\";b:1;")
            && one("wp_mail_smtp").contains("s:4:\"pass\"")
    );
    for k in [
        "cron",
        "active_plugins",
        "widget_text",
        "widget_block",
        "theme_mods_twentytwentyfour",
    ] {
        assert!(one(k).starts_with("a:"), "{k}");
    }
    let pm = meta(&db, "postmeta", "meta_key", "meta_value");
    for k in [
        "_billing_email",
        "_billing_phone",
        "_shipping_address_1",
        "_customer_ip_address",
        "_customer_user_agent",
        "_billing_address_index",
        "_elementor_data",
        "_wp_attachment_metadata",
    ] {
        assert!(pm.contains_key(k), "postmeta {k}");
    }
    let om = meta(&db, "wc_orders_meta", "meta_key", "meta_value");
    assert!(
        om.contains_key("_billing_address_index") && om.contains_key("_shipping_address_index")
    );
    let tm = meta(
        &db,
        "woocommerce_payment_tokenmeta",
        "meta_key",
        "meta_value",
    );
    assert!(tm.contains_key("last4") && tm.contains_key("expiry_year"));
    let ips = column(&db, "comments", "comment_author_ip");
    assert!(
        ips.iter().flatten().any(|i| i.contains(':'))
            && ips.iter().flatten().any(|i| i.contains('.'))
    );
}

#[test]
fn same_people_across_tables() {
    let db = dump(&Plan::new(&spec(4, 12_000_000)).expect("plan"));
    let lower = |t: &str, c: &str| -> BTreeSet<String> {
        column(&db, t, c)
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .map(|s| s.to_lowercase())
            .collect()
    };
    let users = lower("users", "user_email");
    let comments = lower("comments", "comment_author_email");
    let orders = lower("wc_orders", "billing_email");
    let lookup = lower("wc_customer_lookup", "email");
    assert!(users.intersection(&comments).count() > 3);
    assert!(users.intersection(&orders).count() > 3);
    assert!(comments.intersection(&orders).count() > 3, "guests too");
    assert!(orders.is_subset(&lookup));
    assert!(
        column(&db, "users", "user_email")
            .iter()
            .flatten()
            .any(|e| e.chars().any(|c| c.is_ascii_uppercase())),
        "mixed-case emails"
    );
    assert!(users.contains("info@example-shop.de"));
    // Case differs between tables for the same person somewhere.
    let raw_users: BTreeSet<&str> = column(&db, "users", "user_email")
        .into_iter()
        .flatten()
        .collect();
    let raw_orders: BTreeSet<&str> = column(&db, "wc_orders", "billing_email")
        .into_iter()
        .flatten()
        .collect();
    assert!(
        raw_orders
            .iter()
            .any(|o| !raw_users.contains(o) && users.contains(&o.to_lowercase()))
    );
}

#[test]
fn url_forms_post_types_and_multibyte() {
    let db = dump(&Plan::new(&spec(6, 12_000_000)).expect("plan"));
    let everything: String = db
        .values()
        .flat_map(|(_, rows)| rows.iter().flatten().flatten())
        .fold(String::new(), |mut acc, s| {
            acc.push_str(s);
            acc.push('\n');
            acc
        });
    for form in [
        format!("https:\\/\\/{HOST}\\/"),
        format!("https%3A%2F%2F{HOST}%2F"),
        format!("\"//{HOST}/wp-content/"),
        format!("http://{HOST}/"),
        format!("https://{HOST}/?p="),
        "@example-shop.de".to_string(),
        "ä".into(),
        "ö".into(),
        "ü".into(),
        "ß".into(),
        "東京".into(),
        "🎉".into(),
    ] {
        assert!(everything.contains(&form), "missing {form}");
    }
    assert_eq!(column(&db, "blogs", "domain")[0], Some(HOST));
    let types: BTreeSet<&str> = column(&db, "posts", "post_type")
        .into_iter()
        .flatten()
        .collect();
    for t in [
        "post",
        "page",
        "attachment",
        "revision",
        "nav_menu_item",
        "wp_global_styles",
        "user_request",
        "product",
        "shop_order",
    ] {
        assert!(types.contains(t), "post_type {t}");
    }
    let guids = column(&db, "posts", "guid");
    let kinds = column(&db, "posts", "post_type");
    for (g, k) in guids.iter().zip(&kinds) {
        if *k == Some("attachment") {
            let g = g.expect("guid");
            let rest = g
                .strip_prefix(&format!("https://{HOST}/wp-content/uploads/"))
                .expect("upload url");
            assert!(
                rest.as_bytes()[4] == b'/' && rest.as_bytes()[7] == b'/',
                "{g}"
            );
        }
    }
    let titles = column(&db, "posts", "post_title");
    assert!(
        titles
            .iter()
            .zip(&kinds)
            .any(|(t, k)| *k == Some("user_request") && t.is_some_and(|t| t.contains('@')))
    );
    // Post bodies are 1–6 KB.
    let content = column(&db, "posts", "post_content");
    let sizes: Vec<usize> = content
        .iter()
        .zip(&kinds)
        .filter(|(_, k)| **k == Some("post"))
        .map(|(c, _)| c.map_or(0, str::len))
        .collect();
    let avg = sizes.iter().sum::<usize>() / sizes.len().max(1);
    assert!((1000..=6000).contains(&avg), "avg post body {avg}");
    let json_in_ser = column(&db, "options", "option_value")
        .into_iter()
        .flatten()
        .any(|v| v.starts_with("a:") && v.contains("{\"logo\""));
    assert!(json_in_ser, "JSON inside serialized");
    let pm = meta(&db, "postmeta", "meta_key", "meta_value");
    assert!(
        pm["_elementor_data"]
            .iter()
            .flatten()
            .any(|v| v.contains("\"_legacy_widget\":\"a:1:{")),
        "serialized inside JSON"
    );
}
