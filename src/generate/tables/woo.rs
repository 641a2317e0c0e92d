//! WooCommerce HPOS order tables and the customer lookup. Order `o` has id
//! `posts.max_id + 1 + o` and belongs to `World::order_customer(o)`, so the
//! same person (and email) shows up in users, comments, orders and lookup.

use super::super::copy::Row;
use super::super::rng::Rng;
use super::super::text;
use super::super::world::{STAFF, World};
use super::{address_fields, address_index, meta_row};

pub(crate) fn order_id(w: &World, o: u64) -> u64 {
    w.layout.max_id + 1 + o
}

pub(crate) fn order_key(w: &World, o: u64) -> String {
    let mut k = String::from("wc_order_");
    w.rng("order-key", o).alnum(&mut k, 13);
    k
}

pub(crate) fn order_time(w: &World, o: u64) -> u64 {
    w.time_at(o, w.counts.orders, &mut w.rng("order-time", o))
}

fn money(r: &mut Rng, lo: u64, hi: u64) -> String {
    format!("{}.{:02}000000", r.range(lo, hi), r.below(100))
}

pub(crate) fn emit_order(w: &World, o: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let mut r = w.rng("order", o);
    let p = w.person(w.order_customer(o));
    let status = [
        "wc-completed",
        "wc-completed",
        "wc-completed",
        "wc-processing",
        "wc-on-hold",
        "wc-refunded",
        "wc-cancelled",
    ][r.below(7) as usize];
    let (method, title) = [
        ("stripe", "Kreditkarte (Stripe)"),
        ("ppcp-gateway", "PayPal"),
        ("bacs", "Überweisung"),
    ][r.below(3) as usize];
    let tx = match method {
        "stripe" => {
            let mut t = String::from("pi_3P");
            r.alnum(&mut t, 22);
            Some(t)
        }
        "ppcp-gateway" => {
            let mut t = String::new();
            r.alnum(&mut t, 17);
            Some(t.to_ascii_uppercase())
        }
        _ => None,
    };
    let note = match r.below(8) {
        0 => format!("Bitte klingeln bei „{}“.\nAbstellort: Garage", p.last),
        1 => "配達は午前中にお願いします 🙏".to_string(),
        2 => format!("Rechnung bitte an {}", p.email),
        _ => String::new(),
    };
    let email = if o % 5 == 1 {
        p.email.to_ascii_uppercase()
    } else {
        p.email_typed.clone()
    };
    let created = order_time(w, o);
    Row::new(buf)
        .int(order_id(w, o))
        .raw(status)
        .raw("EUR")
        .raw("shop_order")
        .raw(&money(&mut r, 0, 30))
        .raw(&money(&mut r, 5, 400))
        .int(if w.is_user(p.index) { p.index + 1 } else { 0 })
        .text(&email)
        .raw(&text::datetime(created))
        .raw(&text::datetime(created + 3600))
        .int(0)
        .raw(method)
        .text(title)
        .opt_text(tx.as_deref())
        .text(&text::ip(&mut r))
        .text(r.pick(text::USER_AGENTS))
        .text(&note)
        .end();
}

pub(crate) fn emit_addresses(w: &World, o: u64, next: &mut u64, buf: &mut Vec<u8>) {
    let p = w.person(w.order_customer(o));
    let shipping = !w.rng("order-shipping", o).chance(20);
    for (kind, billing) in [("billing", true), ("shipping", false)] {
        if !billing && !shipping {
            continue;
        }
        *next += 1;
        let f = address_fields(&p, billing);
        let get = |k: &str| f.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        Row::new(buf)
            .int(*next)
            .int(order_id(w, o))
            .raw(kind)
            .opt_text(get("first_name"))
            .opt_text(get("last_name"))
            .opt_text(get("company"))
            .opt_text(get("address_1"))
            .opt_text(get("address_2"))
            .opt_text(get("city"))
            .opt_text(get("state"))
            .opt_text(get("postcode"))
            .opt_text(get("country"))
            .opt_text(get("email"))
            .opt_text(get("phone"))
            .end();
    }
}

pub(crate) fn emit_operational(w: &World, o: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let mut r = w.rng("order-op", o);
    let created = order_time(w, o);
    let mut cart = String::new();
    r.hex(&mut cart, 32);
    let completed = if r.chance(70) {
        Some(text::datetime(created + 86_400))
    } else {
        None
    };
    Row::new(buf)
        .int(o + 1)
        .int(order_id(w, o))
        .raw("checkout")
        .raw("8.9.1")
        .int(1)
        .int(1)
        .int(1)
        .raw(&cart)
        .int(1)
        .text(&order_key(w, o))
        .int(1)
        .raw(&text::datetime(created + 60))
        .opt_text(completed.as_deref())
        .raw("0.00000000")
        .raw(&money(&mut r, 0, 9))
        .raw("0.00000000")
        .raw("0.00000000")
        .int(1)
        .end();
}

pub(crate) fn emit_meta(w: &World, o: u64, next: &mut u64, buf: &mut Vec<u8>) {
    let p = w.person(w.order_customer(o));
    let id = order_id(w, o);
    let mut r = w.rng("order-meta", o);
    let mut m = |k: &str, v: &str| meta_row(buf, next, id, k, Some(v));
    m("_billing_address_index", &address_index(&p, true));
    m("_shipping_address_index", &address_index(&p, false));
    m("is_vat_exempt", "no");
    m("_wc_order_attribution_source_type", "referral");
    m("_wc_order_attribution_referrer", "https://www.google.com/");
    let product = w.layout.product_id(w.order_product(o));
    m(
        "_wc_order_attribution_session_entry",
        &format!("{}/?p={product}&utm_source=newsletter", w.site.base),
    );
    m(
        "_wc_order_attribution_user_agent",
        r.pick(text::USER_AGENTS),
    );
    if r.chance(30) {
        let mut pi = String::from("pi_3P");
        r.alnum(&mut pi, 22);
        m("_stripe_intent_id", &pi);
    }
}

pub(crate) fn lookup_count(w: &World) -> u64 {
    w.counts.people() - STAFF
}

pub(crate) fn emit_lookup(w: &World, k: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let p = w.person(STAFF + k);
    let user = w.is_user(p.index);
    let mut r = w.rng("lookup", k);
    let reg = w.time_at(
        p.index,
        w.counts.users,
        &mut w.rng("user-registered", p.index),
    );
    Row::new(buf)
        .int(k + 1)
        .opt_int(user.then_some(p.index + 1))
        .text(if user { &p.login } else { "" })
        .text(p.first)
        .text(p.last)
        .text(&p.email_typed)
        .raw(&text::datetime(w.epoch_end - r.below(86_400 * 365)))
        .opt_text(user.then(|| text::datetime(reg)).as_deref())
        .raw(p.country)
        .text(&p.postcode)
        .text(p.city)
        .text(p.state)
        .end();
}
