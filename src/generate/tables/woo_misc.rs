//! WooCommerce side tables: sessions, API keys, payment tokens, webhooks,
//! downloadable product permissions and the download log.

use super::super::copy::Row;
use super::super::serialize::{Key, Php};
use super::super::text;
use super::super::world::{STAFF, World};
use super::meta_row;
use super::woo::{order_id, order_key, order_time};

pub(crate) fn emit_session(w: &World, s: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let mut r = w.rng("session", s);
    // session_key is UNIQUE: a logged-in session is keyed by the user id, so
    // each customer gets at most one (even s), guests get random keys.
    let user_slot = STAFF + s / 2;
    let logged_in = s.is_multiple_of(2) && user_slot < w.counts.users;
    let pi = if logged_in {
        user_slot
    } else {
        w.order_customer(10_000_000_000 + s)
    };
    let p = w.person(pi);
    let key = if logged_in {
        (pi + 1).to_string()
    } else {
        let mut k = String::from("t_");
        r.hex(&mut k, 30);
        k
    };
    let customer = Php::map(vec![
        (
            "id",
            Php::s(if w.is_user(pi) {
                (pi + 1).to_string()
            } else {
                "0".to_string()
            }),
        ),
        ("date_modified", Php::s("")),
        ("first_name", Php::s(p.first)),
        ("last_name", Php::s(p.last)),
        ("company", Php::s(p.company)),
        ("phone", Php::s(p.phone.clone())),
        ("email", Php::s(p.email_typed.clone())),
        ("address_1", Php::s(p.street.clone())),
        ("postcode", Php::s(p.postcode.clone())),
        ("city", Php::s(p.city)),
        ("country", Php::s(p.country)),
        ("shipping_first_name", Php::s(p.first)),
        ("shipping_last_name", Php::s(p.last)),
        ("shipping_address_1", Php::s(p.street.clone())),
        ("is_vat_exempt", Php::s("")),
        ("calculated_shipping", Php::s("1")),
    ]);
    let product = w.layout.product_id(r.below(w.counts.products));
    let cart = Php::map(vec![(
        format!("{:032x}", r.next_u64()),
        Php::map(vec![
            ("product_id", Php::Int(product as i64)),
            ("quantity", Php::Int(r.range(1, 4) as i64)),
            ("line_total", Php::Float(12.5)),
        ]),
    )]);
    // WooCommerce serializes each session entry, then the whole array:
    // nested serialized strings.
    let value = Php::map(vec![
        ("cart", Php::s(cart.to_php())),
        (
            "cart_totals",
            Php::s(
                Php::map(vec![
                    ("total", Php::s("12.50")),
                    ("total_tax", Php::Float(0.5)),
                ])
                .to_php(),
            ),
        ),
        ("customer", Php::s(customer.to_php())),
        ("wc_notices", Php::Null),
        ("chosen_payment_method", Php::s("stripe")),
        (
            "previous_url",
            Php::s(format!("{}/?p={product}", w.site.base)),
        ),
    ]);
    Row::new(buf)
        .int(s + 1)
        .text(&key)
        .text(&value.to_php())
        .int(w.epoch_end + 172_800 + s)
        .end();
}

pub(crate) fn emit_api_key(w: &World, k: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let mut r = w.rng("api-key", k);
    let mut ck = String::new();
    r.hex(&mut ck, 64);
    let mut cs = String::from("cs_");
    r.hex(&mut cs, 40);
    let mut trunc = String::new();
    r.hex(&mut trunc, 7);
    let desc = if k == 0 {
        "ERP Sync (Lager)"
    } else {
        "Zapier – Bestellungen"
    };
    let nonces = if k == 0 {
        Some(Php::Arr(vec![(Key::Int(w.epoch_end as i64), Php::s("a1b2c3"))]).to_php())
    } else {
        None
    };
    Row::new(buf)
        .int(k + 1)
        .int(1)
        .text(desc)
        .raw(if k == 0 { "read_write" } else { "read" })
        .text(&ck)
        .text(&cs)
        .opt_text(nonces.as_deref())
        .text(&trunc)
        .opt_text(
            if k == 0 {
                Some(text::datetime(w.epoch_end))
            } else {
                None
            }
            .as_deref(),
        )
        .end();
}

fn token_user(w: &World, t: u64) -> u64 {
    3 + (t * 7) % (w.counts.users - 3)
}

pub(crate) fn emit_token(w: &World, t: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let mut r = w.rng("token", t);
    let mut tok = String::from("pm_1P");
    r.alnum(&mut tok, 22);
    Row::new(buf)
        .int(t + 1)
        .raw("stripe")
        .text(&tok)
        .int(token_user(w, t) + 1)
        .raw("CC")
        .int(1)
        .end();
}

pub(crate) fn emit_tokenmeta(w: &World, t: u64, next: &mut u64, buf: &mut Vec<u8>) {
    let mut r = w.rng("tokenmeta", t);
    let id = t + 1;
    meta_row(
        buf,
        next,
        id,
        "last4",
        Some(&format!("{:04}", r.below(10_000))),
    );
    meta_row(
        buf,
        next,
        id,
        "expiry_year",
        Some(&r.range(2026, 2031).to_string()),
    );
    meta_row(
        buf,
        next,
        id,
        "expiry_month",
        Some(&format!("{:02}", r.range(1, 12))),
    );
    meta_row(
        buf,
        next,
        id,
        "card_type",
        Some(r.pick(&["visa", "mastercard", "amex"])),
    );
}

pub(crate) fn emit_webhook(w: &World, k: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let mut r = w.rng("webhook", k);
    let mut secret = String::new();
    r.alnum(&mut secret, 40);
    let url = if k == 0 {
        format!(
            "https://erp.partner.example.net/hooks/wc?source={}",
            text::url_encode(&w.site.base)
        )
    } else {
        format!("{}/wp-json/internal/v1/order-sync", w.site.base)
    };
    let t = text::datetime(w.epoch_end - 86_400 * 30);
    Row::new(buf)
        .int(k + 1)
        .raw("active")
        .text(if k == 0 {
            "Bestellung → ERP"
        } else {
            "Interner Sync"
        })
        .int(1)
        .text(&url)
        .text(&secret)
        .raw(if k == 0 {
            "order.created"
        } else {
            "order.updated"
        })
        .raw(&t)
        .raw(&t)
        .raw(&t)
        .raw(&t)
        .int(3)
        .int(0)
        .int(0)
        .end();
}

fn permission_order(w: &World, k: u64) -> u64 {
    (k * 3) % w.counts.orders
}

pub(crate) fn emit_permission(w: &World, k: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let o = permission_order(w, k);
    let p = w.person(w.order_customer(o));
    let product = if w.counts.products > 6 { 6 } else { 0 };
    let pid = w.layout.product_id(product);
    let granted = order_time(w, o) + 120;
    Row::new(buf)
        .int(k + 1)
        .text(&format!("{:08x}-4b1e-4c1a-9d55-{:012x}", product, pid))
        .int(pid)
        .int(order_id(w, o))
        .text(&order_key(w, o))
        .text(&p.email_typed)
        .opt_int(w.is_user(p.index).then_some(p.index + 1))
        .text("")
        .raw(&text::datetime(granted))
        .null()
        .int(2)
        .end();
}

pub(crate) fn emit_download_log(w: &World, k: u64, next: &mut u64, buf: &mut Vec<u8>) {
    let o = permission_order(w, k);
    let p = w.person(w.order_customer(o));
    let mut r = w.rng("download-log", k);
    for d in 0..2 {
        *next += 1;
        Row::new(buf)
            .int(*next)
            .raw(&text::datetime(order_time(w, o) + 600 + d * 86_400))
            .int(k + 1)
            .opt_int(w.is_user(p.index).then_some(p.index + 1))
            .text(&text::ip(&mut r))
            .end();
    }
}
