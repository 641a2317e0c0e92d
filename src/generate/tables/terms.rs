//! `terms`, `term_taxonomy` (1:1, same ids), `term_relationships`, `termmeta`.
//! Term id ranges: categories, tags, one nav menu, product types, product cats.

use super::super::copy::Row;
use super::super::text::{self, Lang};
use super::super::world::{Slot, World};
use super::meta_row;

const PRODUCT_TYPES: &[&str] = &["simple", "variable", "grouped", "external"];
const PRODUCT_CATS: &[(&str, &str)] = &[
    ("Keramik", "keramik"),
    ("Textil & Leinen", "textil"),
    ("食品", "%e9%a3%9f%e5%93%81"),
];

enum Term {
    Category(u64),
    Tag(u64),
    Menu,
    ProductType(u64),
    ProductCat(u64),
}

pub(crate) fn term_count(w: &World) -> u64 {
    w.counts.categories + w.counts.tags + 1 + PRODUCT_TYPES.len() as u64 + PRODUCT_CATS.len() as u64
}

fn menu_id(w: &World) -> u64 {
    w.counts.categories + w.counts.tags + 1
}
fn product_type_id(w: &World, k: u64) -> u64 {
    menu_id(w) + 1 + k
}
fn product_cat_id(w: &World, k: u64) -> u64 {
    product_type_id(w, PRODUCT_TYPES.len() as u64) + k
}

fn term(w: &World, idx: u64) -> Term {
    let c = &w.counts;
    if idx < c.categories {
        Term::Category(idx)
    } else if idx < c.categories + c.tags {
        Term::Tag(idx - c.categories)
    } else if idx == c.categories + c.tags {
        Term::Menu
    } else if idx < c.categories + c.tags + 1 + PRODUCT_TYPES.len() as u64 {
        Term::ProductType(idx - c.categories - c.tags - 1)
    } else {
        Term::ProductCat(idx - c.categories - c.tags - 1 - PRODUCT_TYPES.len() as u64)
    }
}

pub(crate) fn emit_terms(w: &World, idx: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let id = idx + 1;
    let (name, slug) = match term(w, idx) {
        Term::Category(0) => ("Allgemein".to_string(), "allgemein".to_string()),
        Term::Category(k) | Term::Tag(k) => {
            let mut r = w.rng("term", idx);
            let mut n = String::new();
            let lang = if k % 5 == 4 { Lang::Ja } else { Lang::De };
            let nw = r.range(1, 2);
            text::words(&mut r, &mut n, nw, lang);
            let s = text::slug(&n, id);
            (n, s)
        }
        Term::Menu => ("Hauptmenü".to_string(), "hauptmenue".to_string()),
        Term::ProductType(k) => (
            PRODUCT_TYPES[k as usize].to_string(),
            PRODUCT_TYPES[k as usize].to_string(),
        ),
        Term::ProductCat(k) => (
            PRODUCT_CATS[k as usize].0.to_string(),
            PRODUCT_CATS[k as usize].1.to_string(),
        ),
    };
    Row::new(buf).int(id).text(&name).text(&slug).int(0).end();
}

pub(crate) fn emit_taxonomy(w: &World, idx: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let id = idx + 1;
    let mut r = w.rng("term_taxonomy", idx);
    let (tax, desc) = match term(w, idx) {
        Term::Category(k) => (
            "category",
            if k == 1 {
                format!("Alles rund ums Brot. Mehr unter {}/rezepte/", w.site.base)
            } else {
                String::new()
            },
        ),
        Term::Tag(_) => ("post_tag", String::new()),
        Term::Menu => ("nav_menu", String::new()),
        Term::ProductType(_) => ("product_type", String::new()),
        Term::ProductCat(_) => ("product_cat", "Handgemacht in Görlitz.".to_string()),
    };
    Row::new(buf)
        .int(id)
        .int(id)
        .raw(tax)
        .text(&desc)
        .int(0)
        .int(r.below(200))
        .end();
}

pub(crate) fn emit_relationships(w: &World, idx: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let id = idx + 1;
    let mut rel = |tt: u64| Row::new(buf).int(id).int(tt).int(0).end();
    match w.slot(id) {
        Some(Slot::Article(a)) => {
            let mut r = w.rng("article-terms", a);
            rel(1 + r.below(w.counts.categories));
            // Distinct tags: a random start and stride-free consecutive picks.
            let n = r.below(4);
            let start = r.below(w.counts.tags);
            for k in 0..n.min(w.counts.tags) {
                rel(w.counts.categories + 1 + (start + k * 3) % w.counts.tags);
            }
        }
        Some(Slot::Product(i)) => {
            rel(product_type_id(w, 0));
            rel(product_cat_id(w, i % PRODUCT_CATS.len() as u64));
        }
        Some(Slot::NavItem(_)) => rel(menu_id(w)),
        _ => {}
    }
}

pub(crate) fn emit_termmeta(w: &World, idx: u64, next: &mut u64, buf: &mut Vec<u8>) {
    let id = idx + 1;
    if let Term::ProductCat(k) = term(w, idx) {
        meta_row(buf, next, id, "order", Some(&k.to_string()));
        meta_row(buf, next, id, "display_type", Some(""));
        meta_row(
            buf,
            next,
            id,
            "thumbnail_id",
            Some(&(w.layout.product_id(0) + 1).to_string()),
        );
    }
    if let Term::Category(1) = term(w, idx) {
        meta_row(
            buf,
            next,
            id,
            "_category_banner_url",
            Some(&format!(
                "{}/wp-content/uploads/2020/02/banner.jpg",
                w.site.protocol_relative()
            )),
        );
    }
}
