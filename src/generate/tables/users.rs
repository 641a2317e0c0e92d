//! `users` and `usermeta`. User `ID` = person index + 1; the first
//! `STAFF` users are the admin and editors with addresses at the site domain.

use super::super::copy::Row;
use super::super::rng::Rng;
use super::super::serialize::Php;
use super::super::text::{self, Lang};
use super::super::world::{Person, STAFF, World};
use super::{address_fields, meta_row};
use sha2::{Digest, Sha256};

fn registered(w: &World, p: u64) -> u64 {
    w.time_at(p, w.counts.users, &mut w.rng("user-registered", p))
}

fn display_name(p: &Person) -> String {
    if p.lang == Lang::Ja {
        format!("{} {}", p.last, p.first)
    } else {
        format!("{} {}", p.first, p.last)
    }
}

pub(crate) fn emit(w: &World, idx: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let p = w.person(idx);
    let mut r = w.rng("user", idx);
    let pass = if r.chance(30) {
        text::wp_bcrypt(&mut r)
    } else {
        text::phpass(&mut r)
    };
    let url = match (idx < STAFF, r.below(4)) {
        (true, _) => w.site.base.clone(),
        (false, 0) => format!("https://{}.blog.example.net", p.login),
        _ => String::new(),
    };
    let reg = registered(w, idx);
    let activation = if r.chance(10) {
        format!("{}:{}", reg + 86_400, text::phpass(&mut r))
    } else {
        String::new()
    };
    let mut nicename = p.login.to_ascii_lowercase();
    nicename.truncate(50);
    Row::new(buf)
        .int(idx + 1)
        .text(&p.login)
        .text(&pass)
        .text(&nicename)
        .text(&p.email_typed)
        .text(&url)
        .raw(&text::datetime(reg))
        .text(&activation)
        .int(0)
        .text(&display_name(&p))
        .end();
}

fn session_tokens(r: &mut Rng, n: u64, reg: u64) -> Php {
    let mut items = Vec::new();
    for k in 0..n {
        let mut h = Sha256::new();
        h.update(r.next_u64().to_le_bytes());
        let verifier = hex::encode(h.finalize());
        let login = reg + 86_400 * (k + 1);
        items.push((
            verifier,
            Php::map(vec![
                ("expiration", Php::Int((login + 14 * 86_400) as i64)),
                ("ip", Php::s(text::ip(r))),
                ("ua", Php::s(r.pick(text::USER_AGENTS))),
                ("login", Php::Int(login as i64)),
            ]),
        ));
    }
    Php::map(items)
}

pub(crate) fn emit_meta(w: &World, idx: u64, next: &mut u64, buf: &mut Vec<u8>) {
    let p = w.person(idx);
    let uid = idx + 1;
    let mut r = w.rng("usermeta", idx);
    let reg = registered(w, idx);
    let pre = &w.prefix;
    let mut m = |key: &str, value: &str| meta_row(buf, next, uid, key, Some(value));
    m("nickname", &p.login);
    m("first_name", p.first);
    m("last_name", p.last);
    let desc = match (idx, p.lang) {
        (0, _) => format!(
            "Inhaberin der Manufaktur. Schreibt über Brot & Kaffee.\nKontakt: {}",
            w.admin_email()
        ),
        (_, Lang::Ja) if idx < STAFF => "東京在住のライター。☕ と 🍞 が好きです。".to_string(),
        _ if idx < STAFF => "Redakteur – \"Rezepte\"; Fotos\tund Texte".to_string(),
        _ => String::new(),
    };
    m("description", &desc);
    m("rich_editing", "true");
    m("syntax_highlighting", "true");
    m("comment_shortcuts", "false");
    m("admin_color", "fresh");
    m("use_ssl", "0");
    m("show_admin_bar_front", "true");
    m(
        "locale",
        match p.lang {
            Lang::De => "de_DE",
            Lang::Ja => "ja",
            Lang::En => "",
        },
    );
    let role = match idx {
        0 => "administrator",
        1 | 2 => "editor",
        _ if idx.is_multiple_of(9) => "subscriber",
        _ => "customer",
    };
    m(
        &format!("{pre}capabilities"),
        &Php::map(vec![(role, Php::Bool(true))]).to_php(),
    );
    m(
        &format!("{pre}user_level"),
        match role {
            "administrator" => "10",
            "editor" => "7",
            _ => "0",
        },
    );
    m("dismissed_wp_pointers", "");
    if idx < STAFF || r.chance(20) {
        let n = if idx < STAFF { 2 } else { 1 };
        m("session_tokens", &session_tokens(&mut r, n, reg).to_php());
    }
    if idx < STAFF {
        m(
            &format!("{pre}dashboard_quick_press_last_post_id"),
            &(w.layout.max_id).to_string(),
        );
        m(
            &format!("{pre}user-settings"),
            "libraryContent=browse&editor=tinymce&hidetb=1",
        );
        let mut ip = text::ip(&mut r);
        if let Some(dot) = ip.rfind('.') {
            // WordPress stores the anonymized /24 ("1.2.3.0").
            ip.truncate(dot);
            ip.push_str(".0");
        }
        m(
            "community-events-location",
            &Php::map(vec![("ip", Php::s(ip))]).to_php(),
        );
    }
    if idx == 0 {
        let apps = Php::list(vec![Php::map(vec![
            ("uuid", Php::s("6c1d1b9e-2f0a-4f5e-9a57-3f1f0d6e8a21")),
            ("app_id", Php::s("")),
            ("name", Php::s("Zapier Sync")),
            ("password", Php::s(text::phpass(&mut r))),
            ("created", Php::Int(reg as i64 + 3600)),
            ("last_used", Php::Null),
            ("last_ip", Php::Null),
        ])]);
        m("_application_passwords", &apps.to_php());
    }
    if role == "customer" || role == "subscriber" {
        customer_meta(w, &p, reg, &mut r, &mut m);
    }
}

/// A customer's (or subscriber's) WooCommerce meta: addresses, activity, payment ids, and now
/// and then a saved cart.
fn customer_meta(w: &World, p: &Person, reg: u64, r: &mut Rng, m: &mut impl FnMut(&str, &str)) {
    for (k, v) in address_fields(p, true) {
        m(&format!("billing_{k}"), &v);
    }
    for (k, v) in address_fields(p, false) {
        m(&format!("shipping_{k}"), &v);
    }
    m("last_update", &(reg + 7200).to_string());
    m(
        "wc_last_active",
        &(reg + 86_400 * r.range(1, 300)).to_string(),
    );
    m("paying_customer", if r.chance(70) { "1" } else { "0" });
    if r.chance(40) {
        let mut cus = String::from("cus_");
        r.alnum(&mut cus, 14);
        m("_stripe_customer_id", &cus);
    }
    if r.chance(25) {
        m(
            "_woocommerce_persistent_cart_1",
            &persistent_cart(w, r).to_php(),
        );
    }
}

/// A saved WooCommerce cart of one product, serialized like WooCommerce stores it.
fn persistent_cart(w: &World, r: &mut Rng) -> Php {
    Php::map(vec![(
        "cart",
        Php::map(vec![(
            format!("{:032x}", r.next_u64()),
            Php::map(vec![
                ("key", Php::s(format!("{:032x}", r.next_u64()))),
                (
                    "product_id",
                    Php::Int(w.layout.product_id(r.below(w.counts.products)) as i64),
                ),
                ("variation_id", Php::Int(0)),
                ("variation", Php::Arr(vec![])),
                ("quantity", Php::Int(r.range(1, 3) as i64)),
                ("data_hash", Php::s("b5c1d5ca8bae6d4896cf1807cdf763f0")),
                (
                    "line_tax_data",
                    Php::map(vec![
                        ("subtotal", Php::Arr(vec![])),
                        ("total", Php::Arr(vec![])),
                    ]),
                ),
                ("line_subtotal", Php::Float(19.5)),
                ("line_subtotal_tax", Php::Int(0)),
                ("line_total", Php::Float(19.5)),
                ("line_tax", Php::Int(0)),
            ]),
        )]),
    )])
}
