//! `posts`: every post type of a shop + blog, laid out by `world::PostLayout`.

use super::super::copy::Row;
use super::super::rng::Rng;
use super::super::text::{self, Lang};
use super::super::world::{Slot, World};
use super::content;
use std::fmt::Write as _;

/// Site timezone offset (Europe/Berlin, ignoring DST) for local columns.
pub(crate) const TZ: u64 = 3600;

struct Post<'a> {
    id: u64,
    author: u64,
    gmt: u64,
    content: &'a str,
    title: &'a str,
    excerpt: &'a str,
    status: &'a str,
    open: bool,
    password: &'a str,
    name: &'a str,
    parent: u64,
    guid: &'a str,
    menu_order: u64,
    post_type: &'a str,
    mime: &'a str,
    comment_count: u64,
}

fn write(p: &Post, buf: &mut Vec<u8>) {
    let date = text::datetime(p.gmt + TZ);
    let date_gmt = text::datetime(p.gmt);
    let modified_gmt = p.gmt + (p.id % 5) * 86_400;
    let cs = if p.open { "open" } else { "closed" };
    Row::new(buf)
        .int(p.id)
        .int(p.author)
        .raw(&date)
        .raw(&date_gmt)
        .text(p.content)
        .text(p.title)
        .text(p.excerpt)
        .text(p.status)
        .raw(cs)
        .raw(cs)
        .text(p.password)
        .text(p.name)
        .raw("")
        .raw("")
        .raw(&text::datetime(modified_gmt + TZ))
        .raw(&text::datetime(modified_gmt))
        .raw("")
        .int(p.parent)
        .text(p.guid)
        .int(p.menu_order)
        .raw(p.post_type)
        .raw(p.mime)
        .int(p.comment_count)
        .end();
}

pub(crate) fn comments_on_article(w: &World, a: u64) -> u64 {
    w.rng("article-comments", a)
        .below(super::comments::ARTICLE_STRIDE)
}

pub(crate) fn article_lang(w: &World, a: u64) -> Lang {
    Lang::pick(&mut w.rng("article-lang", a))
}

pub(crate) fn article_time(w: &World, a: u64) -> u64 {
    w.time_at(a, w.counts.articles, &mut w.rng("article-time", a))
}

pub(crate) fn article_title(w: &World, a: u64) -> String {
    let mut r = w.rng("article-title", a);
    text::title(&mut r, article_lang(w, a))
}

pub(crate) fn product_title(w: &World, i: u64) -> String {
    let mut r = w.rng("product-title", i);
    let kinds = [
        "Keramiktasse",
        "Leinen-Schürze",
        "湯呑み",
        "Coffee Beans 500g",
        "Brotkorb",
        "Notizbuch A5",
        "E-Book: Sauerteig",
    ];
    format!("{} „{}“", r.pick(&kinds), text::title(&mut r, Lang::De))
}

pub(crate) fn attachment_file(w: &World, owner_key: u64, secs: u64) -> String {
    content::upload_path(secs, &content::image_name(w, owner_key))
}

pub(crate) fn emit(w: &World, idx: u64, _next: &mut u64, buf: &mut Vec<u8>) {
    let id = idx + 1;
    let Some(slot) = w.slot(id) else { return };
    let base = &w.site.base;
    let guid_p = format!("{base}/?p={id}");
    let mut r = w.rng("post", id);
    match slot {
        Slot::GlobalStyles => global_styles(w, id, &guid_p, buf),
        Slot::NavItem(i) => nav_item(w, id, i, &guid_p, buf),
        Slot::UserRequest(i) => user_request(w, id, i, &guid_p, &mut r, buf),
        Slot::Page(i) => page(w, id, i, &guid_p, &mut r, buf),
        Slot::Product(i) => product(w, id, i, &mut r, buf),
        Slot::ProductImage(i) => attachment(
            w,
            id,
            w.layout.product_id(i),
            2_000_000_000 + i,
            w.time_at(i, w.counts.products, &mut r),
            buf,
        ),
        Slot::ArticleImage(a) => {
            attachment(w, id, w.layout.article_id(a), a, article_time(w, a), buf)
        }
        Slot::LegacyOrder(i) => legacy_order(w, id, i, &guid_p, &mut r, buf),
        Slot::Article(a) => article(w, id, a, &guid_p, buf),
        Slot::Revision(a, v) => revision(w, id, a, v, buf),
    }
}

/// The block theme's global styles (one background image URL).
fn global_styles(w: &World, id: u64, guid_p: &str, buf: &mut Vec<u8>) {
    let base = &w.site.base;
    let mut c = String::from(
        "{\"styles\":{\"color\":{\"background\":\"var(--wp--preset--color--base)\"},\"background\":{\"backgroundImage\":{\"url\":",
    );
    text::php_json_str(
        &mut c,
        &format!("{base}/wp-content/uploads/2024/01/paper.png"),
    );
    c.push_str("}}},\"isGlobalStylesUserThemeJSON\":true,\"version\":3}");
    let p = post(
        id,
        1,
        w.epoch_start,
        &c,
        "Custom Styles",
        "wp-global-styles-twentytwentyfour",
        guid_p,
        "wp_global_styles",
    );
    write(&Post { open: false, ..p }, buf);
}

/// Menu item `i` of the navigation.
fn nav_item(w: &World, id: u64, i: u64, guid_p: &str, buf: &mut Vec<u8>) {
    let labels = [
        "Start",
        "Blog",
        "Shop",
        "Über uns",
        "お問い合わせ",
        "Kontakt",
        "Impressum",
        "Datenschutz",
    ];
    let name = id.to_string();
    let p = post(
        id,
        1,
        w.epoch_start + i * 60,
        "",
        labels[(i % 8) as usize],
        &name,
        guid_p,
        "nav_menu_item",
    );
    write(
        &Post {
            menu_order: i + 1,
            open: false,
            ..p
        },
        buf,
    );
}

/// A personal data export or erasure request (the requester's email is its title).
fn user_request(w: &World, id: u64, i: u64, guid_p: &str, r: &mut Rng, buf: &mut Vec<u8>) {
    let person = w.person(3 + r.below(w.counts.people() - 3));
    let action = if i.is_multiple_of(2) {
        "export_personal_data"
    } else {
        "remove_personal_data"
    };
    let content = if i.is_multiple_of(2) {
        "[]".to_string()
    } else {
        format!("{{\"email\":\"{}\",\"source\":\"checkout\"}}", person.email)
    };
    let pw = text::phpass(r);
    let gmt = w.time_at(i, w.counts.user_requests, r);
    let p = post(
        id,
        0,
        gmt,
        &content,
        &person.email_typed,
        action,
        guid_p,
        "user_request",
    );
    let status = if i.is_multiple_of(3) {
        "request-completed"
    } else {
        "request-pending"
    };
    write(
        &Post {
            status,
            password: &pw,
            open: false,
            ..p
        },
        buf,
    );
}

/// Page `i`: imprint, privacy, the shop pages, then generated ones.
fn page(w: &World, id: u64, i: u64, guid_p: &str, r: &mut Rng, buf: &mut Vec<u8>) {
    let (title, slug) = match i {
        0 => ("Impressum".to_string(), "impressum".to_string()),
        1 => (
            "Datenschutzerklärung".to_string(),
            "datenschutz".to_string(),
        ),
        2 => ("Shop".to_string(), "shop".to_string()),
        3 => ("Warenkorb".to_string(), "warenkorb".to_string()),
        4 => ("Kasse".to_string(), "kasse".to_string()),
        5 => ("Mein Konto".to_string(), "mein-konto".to_string()),
        _ => {
            let t = text::title(r, Lang::De);
            let s = text::slug(&t, id);
            (t, s)
        }
    };
    let mut c = String::with_capacity(2048);
    if i == 0 {
        let admin = w.admin_email();
        write!(c, "<!-- wp:paragraph -->\n<p>Angaben gemäß § 5 TMG<br>Beispiel Manufaktur GmbH<br>Hauptstraße 1, 10115 Berlin<br>E-Mail: <a href=\"mailto:{admin}\">{admin}</a><br>Web: {}</p>\n<!-- /wp:paragraph -->\n\n", w.site.host).ok();
    }
    content::article_body(w, 1_000_000_000 + i, 0, Lang::De, &mut c);
    let gmt = w.epoch_start + i * 3600;
    let p = post(id, 1, gmt, &c, &title, &slug, guid_p, "page");
    write(
        &Post {
            menu_order: i,
            open: false,
            ..p
        },
        buf,
    );
}

/// WooCommerce product `i`.
fn product(w: &World, id: u64, i: u64, r: &mut Rng, buf: &mut Vec<u8>) {
    let base = &w.site.base;
    let title = product_title(w, i);
    let slug = text::slug(&title, id);
    let mut c = String::with_capacity(1024);
    for _ in 0..r.range(1, 4) {
        c.push_str("<p>");
        text::sentence(r, &mut c, Lang::De);
        c.push_str("</p>\n");
    }
    let mut ex = String::new();
    text::sentence(r, &mut ex, Lang::En);
    let guid = format!("{base}/?post_type=product&#038;p={id}");
    let gmt = w.time_at(i, w.counts.products, r);
    let p = post(id, 1, gmt, &c, &title, &slug, &guid, "product");
    let reviews = super::comments::product_reviews(w, i);
    write(
        &Post {
            excerpt: &ex,
            comment_count: reviews,
            ..p
        },
        buf,
    );
}

/// An order stored as a post (before HPOS), its order key in the password column.
fn legacy_order(w: &World, id: u64, i: u64, guid_p: &str, r: &mut Rng, buf: &mut Vec<u8>) {
    let gmt = w.time_at(i, w.counts.legacy_orders, r) / 2 + w.epoch_start / 2;
    let title = format!("Order &ndash; {}", text::datetime(gmt + TZ));
    let mut key = String::from("wc_order_");
    r.alnum(&mut key, 13);
    let note = if i.is_multiple_of(4) {
        "Bitte beim Nachbarn abgeben (Müller, 2. OG).\nDanke!"
    } else {
        ""
    };
    let name = format!("order-{}", id);
    let p = post(id, 1, gmt, "", &title, &name, guid_p, "shop_order");
    write(
        &Post {
            status: "wc-completed",
            password: &key,
            excerpt: note,
            open: false,
            ..p
        },
        buf,
    );
}

/// Blog article `a`.
fn article(w: &World, id: u64, a: u64, guid_p: &str, buf: &mut Vec<u8>) {
    let lang = article_lang(w, a);
    let title = article_title(w, a);
    let mut c = String::with_capacity(4096);
    content::article_body(w, a, 0, lang, &mut c);
    let slug = text::slug(&title, id);
    let author = w.article_author(a) + 1;
    let p = post(
        id,
        author,
        article_time(w, a),
        &c,
        &title,
        &slug,
        guid_p,
        "post",
    );
    write(
        &Post {
            comment_count: comments_on_article(w, a),
            ..p
        },
        buf,
    );
}

/// Revision `v` of article `a`.
fn revision(w: &World, id: u64, a: u64, v: u64, buf: &mut Vec<u8>) {
    let base = &w.site.base;
    let lang = article_lang(w, a);
    let title = article_title(w, a);
    let mut c = String::with_capacity(4096);
    content::article_body(w, a, v, lang, &mut c);
    let parent = w.layout.article_id(a);
    let name = format!("{parent}-revision-v1");
    let gmt = article_time(w, a) + (3 - v) * 600;
    let (y, m) = text::year_month(gmt);
    let guid = format!("{base}/{y:04}/{m:02}/{parent}-revision-v1/");
    let p = post(
        id,
        w.article_author(a) + 1,
        gmt,
        &c,
        &title,
        &name,
        &guid,
        "revision",
    );
    write(
        &Post {
            status: "inherit",
            parent,
            open: false,
            ..p
        },
        buf,
    );
}

#[allow(clippy::too_many_arguments)]
fn post<'a>(
    id: u64,
    author: u64,
    gmt: u64,
    content: &'a str,
    title: &'a str,
    name: &'a str,
    guid: &'a str,
    post_type: &'a str,
) -> Post<'a> {
    Post {
        id,
        author,
        gmt,
        content,
        title,
        excerpt: "",
        status: "publish",
        open: true,
        password: "",
        name,
        parent: 0,
        guid,
        menu_order: 0,
        post_type,
        mime: "",
        comment_count: 0,
    }
}

fn attachment(w: &World, id: u64, parent: u64, key: u64, gmt: u64, buf: &mut Vec<u8>) {
    let file = attachment_file(w, key, gmt);
    let guid = format!("{}/wp-content/uploads/{file}", w.site.base);
    let stem = file
        .rsplit('/')
        .next()
        .unwrap_or(&file)
        .trim_end_matches(".jpg")
        .to_string();
    let caption = if key.is_multiple_of(5) {
        "Foto: Jörg Köhler · 写真"
    } else {
        ""
    };
    let p = post(id, 1, gmt, "", &stem, &stem, &guid, "attachment");
    write(
        &Post {
            status: "inherit",
            parent,
            excerpt: caption,
            mime: "image/jpeg",
            ..p
        },
        buf,
    );
}
