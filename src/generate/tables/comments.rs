//! `comments` and `commentmeta`. Comment ids use fixed strides per post so
//! commentmeta can recompute them: article `a` owns ids `1 + a*5 ..`, product
//! reviews follow the articles.

use super::super::copy::Row;
use super::super::rng::Rng;
use super::super::serialize::Php;
use super::super::text::{self, Lang};
use super::super::world::{STAFF, World};
use super::meta_row;
use super::posts::{TZ, article_time, comments_on_article};

pub(crate) const ARTICLE_STRIDE: u64 = 5;
const PRODUCT_STRIDE: u64 = 3;

pub(crate) fn product_reviews(w: &World, i: u64) -> u64 {
    w.rng("product-reviews", i).below(PRODUCT_STRIDE)
}

pub(crate) fn entities(w: &World) -> u64 {
    w.counts.articles + w.counts.products
}

/// (first comment id, comment count, post id, post time, is review) for entity `idx`.
fn comment_ids(w: &World, idx: u64) -> (u64, u64, u64, u64, bool) {
    let a = w.counts.articles;
    if idx < a {
        (
            1 + idx * ARTICLE_STRIDE,
            comments_on_article(w, idx),
            w.layout.article_id(idx),
            article_time(w, idx),
            false,
        )
    } else {
        let i = idx - a;
        let t = w.time_at(i, w.counts.products, &mut w.rng("product-time", i));
        (
            1 + a * ARTICLE_STRIDE + i * PRODUCT_STRIDE,
            product_reviews(w, i),
            w.layout.product_id(i),
            t,
            true,
        )
    }
}

/// Who wrote comment `cid`: (person index, is registered user).
fn commenter(w: &World, r: &mut Rng) -> (u64, bool) {
    match r.below(10) {
        0 => (r.below(STAFF), true),
        1..=4 => (STAFF + r.below(w.counts.users - STAFF), true),
        _ => (w.counts.users + r.below(w.counts.guests), false),
    }
}

pub(crate) fn emit(w: &World, idx: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let (first, n, post_id, post_time, review) = comment_ids(w, idx);
    for k in 0..n {
        let cid = first + k;
        let mut r = w.rng("comment", cid);
        let (pi, registered) = commenter(w, &mut r);
        let p = w.person(pi);
        // Guests retype their address, sometimes in another case than at sign-up.
        let email = if registered || r.chance(50) {
            p.email_typed.clone()
        } else {
            p.email.clone()
        };
        let url = match r.below(6) {
            0 => format!("https://{}.blog.example.net/", p.login),
            1 if pi < STAFF => w.site.base.clone(),
            _ => String::new(),
        };
        let author = if p.lang == Lang::Ja {
            format!("{}{}", p.last, p.first)
        } else {
            format!("{} {}", p.first, p.last)
        };
        let gmt = post_time + 3600 + r.below(86_400 * 30) + k * 600;
        let mut c = String::with_capacity(300);
        match r.below(12) {
            0 => c.push_str("Tolles Rezept!\tHab's mit Dinkel probiert.\r\nLiebe Grüße aus Köln"),
            1 => c.push_str(
                "Path on my PC: C:\\Users\\anna\\Rezepte\\brot.txt — works \"great\"; thanks",
            ),
            2 => {
                c.push_str("Siehe auch ");
                c.push_str(&w.site.base);
                c.push_str("/shop/ und schreibt mir an ");
                c.push_str(&w.admin_email());
            }
            _ => {
                for _ in 0..r.range(1, 3) {
                    text::sentence(&mut r, &mut c, p.lang);
                }
                if r.chance(20) {
                    c.push_str(" 👍");
                }
            }
        }
        let approved = match r.below(20) {
            0 => "0",
            1 => "spam",
            2 => "trash",
            _ => "1",
        };
        let parent = if k > 0 && r.chance(30) { cid - 1 } else { 0 };
        Row::new(buf)
            .int(cid)
            .int(post_id)
            .text(&author)
            .text(&email)
            .text(&url)
            .text(&text::ip(&mut r))
            .raw(&text::datetime(gmt + TZ))
            .raw(&text::datetime(gmt))
            .text(&c)
            .int(0)
            .raw(approved)
            .text(r.pick(text::USER_AGENTS))
            .raw(if review { "review" } else { "comment" })
            .int(parent)
            .int(if registered { pi + 1 } else { 0 })
            .end();
    }
}

pub(crate) fn emit_meta(w: &World, idx: u64, next: &mut u64, buf: &mut Vec<u8>) {
    let (first, n, post_id, post_time, review) = comment_ids(w, idx);
    for k in 0..n {
        let cid = first + k;
        let mut r = w.rng("comment", cid);
        let (pi, _) = commenter(w, &mut r);
        let mut m = w.rng("commentmeta", cid);
        if review {
            meta_row(buf, next, cid, "rating", Some(&m.range(1, 5).to_string()));
            meta_row(
                buf,
                next,
                cid,
                "verified",
                Some(if m.chance(60) { "1" } else { "0" }),
            );
        }
        if m.chance(40) {
            meta_row(buf, next, cid, "akismet_result", Some("false"));
            let hist = Php::map(vec![
                ("time", Php::Float((post_time + 3600) as f64 + 0.5)),
                ("event", Php::s("check-pass")),
                ("user", Php::s("")),
            ]);
            meta_row(buf, next, cid, "akismet_history", Some(&hist.to_php()));
            if m.chance(25) {
                // Akismet keeps what was submitted: personal data in commentmeta.
                let p = w.person(pi);
                let sub = Php::map(vec![
                    ("comment_author", Php::s(format!("{} {}", p.first, p.last))),
                    ("comment_author_email", Php::s(p.email.clone())),
                    ("user_ip", Php::s(text::ip(&mut m))),
                    ("user_agent", Php::s(m.pick(text::USER_AGENTS))),
                    ("blog", Php::s(w.site.base.clone())),
                    (
                        "permalink",
                        Php::s(format!("{}/?p={}", w.site.base, post_id)),
                    ),
                ]);
                meta_row(buf, next, cid, "akismet_as_submitted", Some(&sub.to_php()));
            }
        }
    }
}
