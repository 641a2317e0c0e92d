//! Post bodies: Gutenberg-block HTML with the site URL in its many forms,
//! and Elementor JSON (slashes escaped, as `wp_slash(wp_json_encode())` stores it).

use super::super::rng::Rng;
use super::super::serialize::Php;
use super::super::text::{self, Lang};
use super::super::world::World;
use std::fmt::Write as _;

/// Upload path `YYYY/MM/name` for an attachment created at `secs`.
pub(crate) fn upload_path(secs: u64, name: &str) -> String {
    let (y, m) = text::year_month(secs);
    format!("{y:04}/{m:02}/{name}")
}

pub(crate) fn image_name(w: &World, key: u64) -> String {
    let mut r = w.rng("image-name", key);
    let stems = [
        "img",
        "dsc",
        "photo",
        "banner",
        "produkt-foto",
        "shop",
        "kaffee",
        "sakura",
    ];
    format!("{}-{}.jpg", r.pick(&stems), r.range(100, 99_999))
}

/// Body of article `a`; `version` 0 is the published text, 1..=2 are the
/// older revisions (same skeleton, some paragraphs worded differently).
pub(crate) fn article_body(w: &World, a: u64, version: u64, lang: Lang, out: &mut String) {
    let mut shape = w.rng("article-shape", a);
    // 1–6 KB: paragraphs are ~350 bytes on average.
    let paras = shape.range(3, 16);
    let kept = paras - version.min(paras / 3);
    for p in 0..kept {
        let mut r = if version > 0 && p % 3 == version % 3 {
            w.rng("para-rev", a * 64 + p * 4 + version)
        } else {
            w.rng("para", a * 64 + p)
        };
        block(w, &mut r, a, lang, out);
    }
}

fn block(w: &World, r: &mut Rng, a: u64, lang: Lang, out: &mut String) {
    let base = &w.site.base;
    match r.below(20) {
        0..=12 => {
            out.push_str("<!-- wp:paragraph -->\n<p>");
            let n = r.range(2, 5);
            for i in 0..n {
                text::sentence(r, out, lang);
                if i == 1 && r.chance(30) {
                    let target = w.layout.article_id(r.below(w.counts.articles));
                    write!(out, "<a href=\"{base}/?p={target}\">").ok();
                    text::words(r, out, 3, lang);
                    out.push_str("</a> ");
                }
            }
            out.push_str("</p>\n<!-- /wp:paragraph -->\n\n");
        }
        13..=14 => {
            out.push_str("<!-- wp:heading -->\n<h2 class=\"wp-block-heading\">");
            let t = text::title(r, lang);
            out.push_str(&t);
            out.push_str("</h2>\n<!-- /wp:heading -->\n\n");
        }
        15..=16 => {
            let img = w.layout.article_id(a) + 1;
            let secs = w.time_at(a, w.counts.articles, r);
            let path = upload_path(secs, &image_name(w, a));
            let file = path.trim_end_matches(".jpg");
            write!(
                out,
                "<!-- wp:image {{\"id\":{img},\"sizeSlug\":\"large\",\"linkDestination\":\"none\"}} -->\n\
                 <figure class=\"wp-block-image size-large\"><img src=\"{base}/wp-content/uploads/{file}-1024x683.jpg\" alt=\"\" class=\"wp-image-{img}\"/></figure>\n\
                 <!-- /wp:image -->\n\n"
            )
            .ok();
        }
        17 => {
            out.push_str("<!-- wp:list -->\n<ul class=\"wp-block-list\">");
            for _ in 0..r.range(2, 5) {
                out.push_str("<!-- wp:list-item -->\n<li>");
                text::words(r, out, 5, lang);
                out.push_str("</li>\n<!-- /wp:list-item -->");
            }
            out.push_str("</ul>\n<!-- /wp:list -->\n\n");
        }
        18 => {
            // Share links carry the post URL percent-encoded.
            let url = format!("{base}/?p={}", w.layout.article_id(a));
            write!(
                out,
                "<!-- wp:paragraph -->\n<p><a href=\"https://www.facebook.com/sharer/sharer.php?u={}\">Teilen</a> · \
                 <a href=\"https://twitter.com/intent/tweet?url={}&amp;text=Lesetipp\">Tweet</a></p>\n<!-- /wp:paragraph -->\n\n",
                text::url_encode(&url),
                text::url_encode(&url)
            )
            .ok();
        }
        _ => {
            // Legacy content: other-scheme absolute link and a protocol-relative asset.
            write!(
                out,
                "<!-- wp:html -->\n<p>Archiv: <a href=\"{}/archiv/\">alte Seite</a></p>\n\
                 <video src=\"{}/wp-content/uploads/2019/07/clip.mp4\" controls></video>\n<!-- /wp:html -->\n\n",
                w.site.other_scheme_base(),
                w.site.protocol_relative()
            )
            .ok();
        }
    }
}

/// `_elementor_data` for article `a`: a JSON array of sections/widgets.
/// When `nested` is set, one widget setting holds a PHP-serialized string
/// (serialized inside JSON).
pub(crate) fn elementor_json(w: &World, a: u64, nested: bool) -> String {
    let mut r = w.rng("elementor", a);
    let base = &w.site.base;
    let mut out = String::with_capacity(1500);
    out.push('[');
    let sections = r.range(1, 3);
    for s in 0..sections {
        if s > 0 {
            out.push(',');
        }
        let mut heading = String::new();
        let hl = Lang::pick(&mut r);
        text::words(&mut r, &mut heading, 4, hl);
        let mut editor = String::new();
        text::sentence(&mut r, &mut editor, Lang::En);
        let img = format!(
            "{base}/wp-content/uploads/2022/0{}/hero-{a}.jpg",
            r.range(1, 9)
        );
        write!(
            out,
            "{{\"id\":\"{:07x}\",\"elType\":\"section\",\"settings\":{{\"background_image\":{{\"url\":",
            r.below(1 << 28)
        )
        .ok();
        text::php_json_str(&mut out, &img);
        write!(out, ",\"id\":{}}}}},\"elements\":[{{\"id\":\"{:07x}\",\"elType\":\"widget\",\"widgetType\":\"heading\",\"settings\":{{\"title\":", w.layout.article_id(a) + 1, r.below(1 << 28)).ok();
        text::php_json_str(&mut out, &heading);
        out.push_str(",\"link\":{\"url\":");
        text::php_json_str(&mut out, &format!("{base}/kontakt/"));
        out.push_str(",\"is_external\":\"\"}}},{\"id\":\"b2\",\"elType\":\"widget\",\"widgetType\":\"text-editor\",\"settings\":{\"editor\":");
        text::php_json_str(
            &mut out,
            &format!("<p>{editor}<a href=\"{base}/shop/\">Shop</a></p>"),
        );
        if nested && s == 0 {
            let ser = Php::map(vec![(
                "url",
                Php::s(format!("{base}/wp-content/uploads/form.pdf")),
            )])
            .to_php();
            out.push_str(",\"_legacy_widget\":");
            text::php_json_str(&mut out, &ser);
        }
        out.push_str("}}],\"isInner\":false}");
    }
    out.push(']');
    out
}
