//! `postmeta`: many short rows per post, plus the serialized/JSON shapes
//! that a URL rewriter and an anonymizer have to get right.

use super::super::rng::Rng;
use super::super::serialize::Php;
use super::super::text::{self, Lang};
use super::super::world::{Slot, World};
use super::posts::{article_time, attachment_file};
use super::{address_fields, address_index, content, meta_row};

pub(crate) fn emit(w: &World, idx: u64, next: &mut u64, buf: &mut Vec<u8>) {
    let id = idx + 1;
    let Some(slot) = w.slot(id) else { return };
    let mut r = w.rng("postmeta", id);
    let mut m = |key: &str, value: &str| meta_row(buf, next, id, key, Some(value));
    match slot {
        Slot::GlobalStyles | Slot::Revision(..) => {}
        Slot::NavItem(i) => {
            let custom = i >= 6;
            m(
                "_menu_item_type",
                if custom { "custom" } else { "post_type" },
            );
            m("_menu_item_menu_item_parent", "0");
            m(
                "_menu_item_object_id",
                &if custom { id } else { w.layout.page_id(i) }.to_string(),
            );
            m("_menu_item_object", if custom { "custom" } else { "page" });
            m("_menu_item_target", "");
            m("_menu_item_classes", &Php::list(vec![Php::s("")]).to_php());
            m("_menu_item_xfn", "");
            let url = match i {
                6 => format!("{}/impressum/", w.site.protocol_relative()),
                7 => format!("{}/datenschutz/", w.site.base),
                _ => String::new(),
            };
            m("_menu_item_url", &url);
        }
        Slot::UserRequest(i) => {
            let t = (w.epoch_end - 86_400 * (i + 1)).to_string();
            m("_wp_user_request_confirmed_timestamp", &t);
            if i % 3 == 0 {
                m("_wp_user_request_completed_timestamp", &t);
            }
        }
        Slot::Page(i) => {
            m("_edit_last", "1");
            m("_edit_lock", &format!("{}:1", w.epoch_end - i * 7));
            m("_wp_page_template", "default");
        }
        Slot::Article(a) => article_meta(w, id, a, &mut r, buf, next),
        Slot::ArticleImage(a) => attachment_meta(w, id, a, article_time(w, a), &mut r, buf, next),
        Slot::ProductImage(i) => {
            let t = w.time_at(i, w.counts.products, &mut w.rng("post", id));
            attachment_meta(w, id, 2_000_000_000 + i, t, &mut r, buf, next)
        }
        Slot::Product(i) => product_meta(w, id, i, &mut r, buf, next),
        Slot::LegacyOrder(i) => legacy_order_meta(w, id, i, &mut r, buf, next),
    }
}

/// Article `a`'s meta: edit lock, SEO, page builder data, and the odd values a rewriter must
/// get right (a serialized tail after plain text, a NULL value).
fn article_meta(w: &World, id: u64, a: u64, r: &mut Rng, buf: &mut Vec<u8>, next: &mut u64) {
    let mut m = |key: &str, value: &str| meta_row(buf, next, id, key, Some(value));
    let author = (w.article_author(a) + 1).to_string();
    m("_edit_last", &author);
    m(
        "_edit_lock",
        &format!("{}:{author}", article_time(w, a) + 3600),
    );
    if w.article_has_image(a) {
        m("_thumbnail_id", &(id + 1).to_string());
    }
    let mut desc = String::new();
    let dl = Lang::pick(r);
    text::sentence(r, &mut desc, dl);
    m("_yoast_wpseo_metadesc", &desc);
    if r.chance(10) {
        m(
            "_yoast_wpseo_canonical",
            &format!("{}/?p={id}", w.site.base),
        );
    }
    if r.chance(15) || a < 3 {
        m("_elementor_edit_mode", "builder");
        m("_elementor_template_type", "wp-post");
        m("_elementor_version", "3.21.4");
        m(
            "_elementor_data",
            &content::elementor_json(w, a, a.is_multiple_of(7)),
        );
        m(
            "_elementor_page_settings",
            &Php::map(vec![
                ("hide_title", Php::s("yes")),
                ("background_background", Php::s("classic")),
            ])
            .to_php(),
        );
    }
    if r.chance(10) {
        m("_wp_old_slug", &format!("entwurf-{a}"));
    }
    if r.chance(5) {
        m(
            "_social_share_url",
            &format!(
                "https://www.linkedin.com/shareArticle?mini=true&url={}",
                text::url_encode(&format!("{}/?p={id}", w.site.base))
            ),
        );
    }
    if a == 0 {
        // Plain text lines followed by a serialized tail: not
        // serialized as a whole, a rewriter must notice.
        let tail = Php::map(vec![("url", Php::s(format!("{}/alt/", w.site.base)))]).to_php();
        m(
            "_imported_notes",
            &format!(
                "Imported from old CMS\nSee {}/alt/ for the original\n{tail}",
                w.site.base
            ),
        );
        m("_menu_cache", "");
    }
    if a == 1 || r.chance(2) {
        meta_row(buf, next, id, "_wp_old_date", None);
    }
}

/// A post-stored order's meta: its key, customer, payment and both addresses.
fn legacy_order_meta(w: &World, id: u64, i: u64, r: &mut Rng, buf: &mut Vec<u8>, next: &mut u64) {
    let mut m = |key: &str, value: &str| meta_row(buf, next, id, key, Some(value));
    let person = w.person(w.order_customer(1_000_000_000 + i));
    let mut key = String::from("wc_order_");
    r.alnum(&mut key, 13);
    m("_order_key", &key);
    m(
        "_customer_user",
        &if w.is_user(person.index) {
            person.index + 1
        } else {
            0
        }
        .to_string(),
    );
    m("_payment_method", "stripe");
    m("_payment_method_title", "Kreditkarte (Stripe)");
    m("_customer_ip_address", &text::ip(r));
    m("_customer_user_agent", r.pick(text::USER_AGENTS));
    m("_created_via", "checkout");
    for (k, v) in address_fields(&person, true) {
        m(&format!("_billing_{k}"), &v);
    }
    for (k, v) in address_fields(&person, false) {
        m(&format!("_shipping_{k}"), &v);
    }
    m("_order_currency", "EUR");
    m(
        "_order_total",
        &format!("{}.{:02}", r.range(5, 400), r.below(100)),
    );
    m("_billing_address_index", &address_index(&person, true));
    m("_shipping_address_index", &address_index(&person, false));
    let mut tx = String::from("ch_3P");
    r.alnum(&mut tx, 20);
    m("_transaction_id", &tx);
}

fn attachment_meta(
    w: &World,
    id: u64,
    key: u64,
    secs: u64,
    r: &mut Rng,
    buf: &mut Vec<u8>,
    next: &mut u64,
) {
    let file = attachment_file(w, key, secs);
    let stem = file
        .rsplit('/')
        .next()
        .unwrap_or(&file)
        .trim_end_matches(".jpg")
        .to_string();
    meta_row(buf, next, id, "_wp_attached_file", Some(&file));
    let (wd, ht) = (1920u64, 1280u64);
    let size = |sw: u64, sh: u64, r: &mut Rng| {
        Php::map(vec![
            ("file", Php::s(format!("{stem}-{sw}x{sh}.jpg"))),
            ("width", Php::Int(sw as i64)),
            ("height", Php::Int(sh as i64)),
            ("mime-type", Php::s("image/jpeg")),
            ("filesize", Php::Int(r.range(5_000, 200_000) as i64)),
        ])
    };
    let sizes = Php::map(vec![
        ("medium", size(300, 200, r)),
        ("large", size(1024, 683, r)),
        ("thumbnail", size(150, 150, r)),
        ("medium_large", size(768, 512, r)),
        ("woocommerce_thumbnail", size(300, 300, r)),
    ]);
    let image_meta = Php::map(vec![
        ("aperture", Php::s("2.8")),
        (
            "credit",
            Php::s(if key.is_multiple_of(5) {
                "Jörg Köhler"
            } else {
                ""
            }),
        ),
        ("camera", Php::s("ILCE-7M3")),
        ("caption", Php::s("")),
        ("created_timestamp", Php::s(secs.to_string())),
        ("copyright", Php::s("")),
        ("focal_length", Php::s("35")),
        ("iso", Php::s("200")),
        ("shutter_speed", Php::s("0.004")),
        ("title", Php::s("")),
        ("orientation", Php::s("1")),
        ("keywords", Php::Arr(vec![])),
    ]);
    let md = Php::map(vec![
        ("width", Php::Int(wd as i64)),
        ("height", Php::Int(ht as i64)),
        ("file", Php::s(file.clone())),
        ("filesize", Php::Int(r.range(100_000, 900_000) as i64)),
        ("sizes", sizes),
        ("image_meta", image_meta),
    ]);
    meta_row(buf, next, id, "_wp_attachment_metadata", Some(&md.to_php()));
    let alt = if key.is_multiple_of(3) {
        "Frühstückstisch mit Brötchen"
    } else if key % 3 == 1 {
        "桜と抹茶 🌸"
    } else {
        ""
    };
    meta_row(buf, next, id, "_wp_attachment_image_alt", Some(alt));
}

fn product_meta(w: &World, id: u64, i: u64, r: &mut Rng, buf: &mut Vec<u8>, next: &mut u64) {
    let downloadable = i % 7 == 6;
    let price = format!(
        "{}.{}",
        r.range(4, 180),
        [0, 50, 90, 99][r.below(4) as usize]
    );
    let mut m = |key: &str, value: &str| meta_row(buf, next, id, key, Some(value));
    m("_sku", &format!("SKU-{i:05}"));
    m("_regular_price", &price);
    m("_sale_price", "");
    m("_price", &price);
    m("total_sales", &r.below(500).to_string());
    m("_tax_status", "taxable");
    m("_tax_class", "");
    m("_manage_stock", "yes");
    m("_backorders", "no");
    m("_sold_individually", "no");
    m("_virtual", if downloadable { "yes" } else { "no" });
    m("_downloadable", if downloadable { "yes" } else { "no" });
    m("_download_limit", "-1");
    m("_download_expiry", "-1");
    m("_stock", &r.below(80).to_string());
    m("_stock_status", "instock");
    m("_wc_average_rating", "4.50");
    m(
        "_wc_review_count",
        &super::comments::product_reviews(w, i).to_string(),
    );
    m("_thumbnail_id", &(id + 1).to_string());
    m("_product_image_gallery", "");
    m("_product_version", "8.9.1");
    let attrs = Php::map(vec![(
        "pa_farbe",
        Php::map(vec![
            ("name", Php::s("pa_farbe")),
            ("value", Php::s("")),
            ("position", Php::Int(0)),
            ("is_visible", Php::Int(1)),
            ("is_variation", Php::Int(0)),
            ("is_taxonomy", Php::Int(1)),
        ]),
    )]);
    m("_product_attributes", &attrs.to_php());
    if downloadable {
        let files = Php::map(vec![(
            format!("{:08x}-4b1e-4c1a-9d55-{:012x}", i, id),
            Php::map(vec![
                (
                    "id",
                    Php::s(format!("{:08x}-4b1e-4c1a-9d55-{:012x}", i, id)),
                ),
                ("name", Php::s("E-Book (PDF) – Sauerteig für Anfänger")),
                (
                    "file",
                    Php::s(format!(
                        "{}/wp-content/uploads/woocommerce_uploads/2023/03/sauerteig-{i}.pdf",
                        w.site.base
                    )),
                ),
                ("enabled", Php::Bool(true)),
            ]),
        )]);
        m("_downloadable_files", &files.to_php());
    }
}
