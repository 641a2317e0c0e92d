//! Small fixed tables: `links` and the multisite tables (bare host in
//! `blogs.domain` / `site.domain`).

use super::super::copy::Row;
use super::super::serialize::Php;
use super::super::text;
use super::super::world::World;

pub(crate) const LINKS: u64 = 3;

pub(crate) fn emit_link(w: &World, idx: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let (url, name, rss) = match idx {
        0 => (
            format!("{}/", w.site.base),
            "Unser Blog".to_string(),
            format!("{}/feed/", w.site.base),
        ),
        1 => (
            "https://wordpress.org/".to_string(),
            "WordPress".to_string(),
            String::new(),
        ),
        _ => (
            format!("{}/partner/", w.site.other_scheme_base()),
            "Partner – Bäckerei Köhler".to_string(),
            String::new(),
        ),
    };
    Row::new(buf)
        .int(idx + 1)
        .text(&url)
        .text(&name)
        .raw("")
        .raw("_blank")
        .raw("")
        .raw("Y")
        .int(1)
        .int(0)
        .raw(&text::datetime(w.epoch_start))
        .raw("")
        .text("")
        .text(&rss)
        .end();
}

pub(crate) fn emit_blog(w: &World, idx: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let path = if idx == 0 {
        format!("{}/", w.site.path)
    } else {
        format!("{}/jp/", w.site.path)
    };
    let t = text::datetime(w.epoch_start + idx * 86_400);
    Row::new(buf)
        .int(idx + 1)
        .int(1)
        .text(&w.site.host)
        .text(&path)
        .raw(&t)
        .raw(&t)
        .int(1)
        .int(0)
        .int(0)
        .int(0)
        .int(0)
        .int(0)
        .end();
}

pub(crate) fn emit_site(w: &World, _idx: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    Row::new(buf)
        .int(1)
        .text(&w.site.host)
        .text(&format!("{}/", w.site.path))
        .end();
}

pub(crate) fn emit_signup(w: &World, idx: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let p = w.person(w.counts.users + idx);
    let mut r = w.rng("signup", idx);
    let mut key = String::new();
    r.hex(&mut key, 16);
    let meta = Php::map(vec![
        ("add_to_blog", Php::Int(1)),
        ("new_role", Php::s("subscriber")),
        ("lang_id", Php::Int(1)),
        ("public", Php::Bool(true)),
    ]);
    let t = text::datetime(w.epoch_end - 86_400 * (idx + 1));
    Row::new(buf)
        .int(idx + 1)
        .text(&w.site.host)
        .text("/")
        .text("")
        .text(&p.login)
        .text(&p.email_typed)
        .raw(&t)
        .raw(&t)
        .int(idx % 2)
        .text(&key)
        .text(&meta.to_php())
        .end();
}

pub(crate) fn emit_registration(w: &World, idx: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let p = w.person(3 + idx);
    let mut r = w.rng("registration", idx);
    let mut ip = text::ip(&mut r);
    ip.truncate(30);
    Row::new(buf)
        .int(idx + 1)
        .text(&p.email)
        .text(&ip)
        .int(1)
        .raw(&text::datetime(w.epoch_start + idx * 3600))
        .end();
}
