//! `options`: the fixed set of core/theme/plugin options (entity 0) with
//! every serialized shape we need, then scaling feed transients.

use super::super::copy::Row;
use super::super::rng::Rng;
use super::super::serialize::{Key, Php};
use super::super::text::{self, Lang};
use super::super::world::World;

/// Options whose value is deliberately not valid serialized data.
pub(crate) const CORRUPT_OPTION: &str = "theme_mods_twentytwelve";

pub(crate) fn entities(w: &World) -> u64 {
    1 + w.counts.transients
}

fn opt(buf: &mut Vec<u8>, next: &mut u64, name: &str, value: &str, autoload: &str) {
    *next += 1;
    Row::new(buf)
        .int(*next)
        .text(name)
        .text(value)
        .raw(autoload)
        .end();
}

pub(crate) fn emit(w: &World, idx: u64, next: &mut u64, buf: &mut Vec<u8>) {
    if idx == 0 {
        for (name, value, autoload) in fixed(w) {
            opt(buf, next, &name, &value, autoload);
        }
        return;
    }
    let t = idx - 1;
    let mut r = w.rng("transient", t);
    let hash = format!("{:016x}{:016x}", r.next_u64(), r.next_u64());
    opt(
        buf,
        next,
        &format!("_transient_timeout_feed_{hash}"),
        &(w.epoch_end + 43_200).to_string(),
        "off",
    );
    opt(
        buf,
        next,
        &format!("_transient_feed_{hash}"),
        &feed(w, &mut r).to_php(),
        "off",
    );
}

fn feed(w: &World, r: &mut Rng) -> Php {
    let mut items = Vec::new();
    for _ in 0..r.range(2, 6) {
        let a = r.below(w.counts.articles);
        let lang = Lang::pick(r);
        let mut desc = String::new();
        text::sentence(r, &mut desc, lang);
        items.push(Php::map(vec![
            ("title", Php::s(text::title(r, lang))),
            (
                "link",
                Php::s(format!("{}/?p={}", w.site.base, w.layout.article_id(a))),
            ),
            ("description", Php::s(desc)),
            (
                "pubDate",
                Php::Int((w.epoch_end - r.below(86_400 * 300)) as i64),
            ),
        ]));
    }
    Php::map(vec![
        ("child", Php::map(vec![("items", Php::list(items))])),
        ("build", Php::Int(w.epoch_end as i64)),
    ])
}

fn s(v: &str) -> Php {
    Php::s(v)
}

fn fixed(w: &World) -> Vec<(String, String, &'static str)> {
    let base = &w.site.base;
    let host = &w.site.host;
    let admin = w.admin_email();
    let menu_term = w.counts.categories + w.counts.tags + 1;
    let mut r = w.rng("options", 0);
    let mut key = |prefix: &str, n: usize| {
        let mut k = prefix.to_string();
        r.alnum(&mut k, n);
        k
    };
    let stripe = Php::map(vec![
        ("enabled", s("yes")),
        ("title", s("Kreditkarte")),
        ("testmode", s("no")),
        ("test_publishable_key", Php::s(key("pk_test_", 24))),
        ("test_secret_key", Php::s(key("sk_test_", 24))),
        ("publishable_key", Php::s(key("pk_live_", 24))),
        ("secret_key", Php::s(key("sk_live_", 24))),
        ("webhook_secret", Php::s(key("whsec_", 32))),
        ("statement_descriptor", s("BROT & KAFFEE")),
        ("capture", s("yes")),
    ]);
    let smtp = Php::map(vec![
        (
            "mail",
            Php::map(vec![
                ("from_email", Php::s(admin.clone())),
                ("from_name", s("Brot & Kaffee")),
                ("mailer", s("smtp")),
                ("return_path", Php::Bool(true)),
            ]),
        ),
        (
            "smtp",
            Php::map(vec![
                ("enabled", Php::Bool(true)),
                ("host", s("smtp.mailprovider.example.net")),
                ("port", Php::Int(587)),
                ("encryption", s("tls")),
                ("auth", Php::Bool(true)),
                ("user", Php::s(admin.clone())),
                ("pass", Php::s(key("", 20))),
                ("autotls", Php::Bool(true)),
            ]),
        ),
        (
            "general",
            Php::map(vec![("summary_report_email_disabled", Php::Bool(false))]),
        ),
    ]);
    let header = Php::obj(
        "stdClass",
        vec![
            ("attachment_id", Php::Int(w.layout.article_id(0) as i64 + 1)),
            (
                "url",
                Php::s(format!("{base}/wp-content/uploads/2021/04/header.jpg")),
            ),
            (
                "thumbnail_url",
                Php::s(format!(
                    "{base}/wp-content/uploads/2021/04/header-150x150.jpg"
                )),
            ),
            ("height", Php::Int(400)),
            ("width", Php::Int(1600)),
        ],
    );
    let theme_mods = Php::Arr(vec![
        (Key::Int(0), Php::Bool(false)),
        (
            Key::Str("nav_menu_locations".into()),
            Php::map(vec![("primary", Php::Int(menu_term as i64))]),
        ),
        (Key::Str("custom_css_post_id".into()), Php::Int(-1)),
        (Key::Str("header_image_data".into()), header),
        (
            Key::Str("header_image".into()),
            Php::s(format!("{base}/wp-content/uploads/2021/04/header.jpg")),
        ),
        (Key::Str("background_color".into()), s("f5efe0")),
    ]);
    let widget_text = Php::Arr(vec![
        (
            Key::Int(2),
            Php::map(vec![
                ("title", s("Öffnungszeiten ☕")),
                (
                    "text",
                    Php::s(format!(
                        "Mo–Fr 8–18 Uhr\n<a href=\"{base}/kontakt/\">Kontakt</a> – sagt \"Hallo\"; Pfad C:\\Brot\\\tEnde"
                    )),
                ),
                ("filter", Php::Bool(true)),
                ("visual", Php::Bool(true)),
            ]),
        ),
        (Key::Str("_multiwidget".into()), Php::Int(1)),
    ]);
    let widget_block = Php::Arr(vec![
        (
            Key::Int(2),
            Php::map(vec![(
                "content",
                Php::s(format!(
                    "<!-- wp:image -->\n<figure class=\"wp-block-image\"><img src=\"{base}/wp-content/uploads/2020/01/logo.png\" alt=\"\"/></figure>\n<!-- /wp:image -->"
                )),
            )]),
        ),
        (
            Key::Int(3),
            Php::map(vec![("content", s("<!-- wp:search /-->"))]),
        ),
        (Key::Str("_multiwidget".into()), Php::Int(1)),
    ]);
    let sidebars = Php::map(vec![
        ("wp_inactive_widgets", Php::list(vec![])),
        (
            "sidebar-1",
            Php::list(vec![s("block-2"), s("block-3"), s("text-2")]),
        ),
        ("array_version", Php::Int(3)),
    ]);
    let plugins = Php::list(
        [
            "akismet/akismet.php",
            "elementor/elementor.php",
            "woocommerce/woocommerce.php",
            "woocommerce-gateway-stripe/woocommerce-gateway-stripe.php",
            "wordpress-seo/wp-seo.php",
            "wp-mail-smtp/wp_mail_smtp.php",
        ]
        .iter()
        .map(|p| s(p))
        .collect(),
    );
    let event = |schedule: &str, interval: i64| {
        Php::map(vec![(
            "40cd750bba9870f18aada2478b24840a",
            Php::map(vec![
                ("schedule", s(schedule)),
                ("args", Php::Arr(vec![])),
                ("interval", Php::Int(interval)),
            ]),
        )])
    };
    let t0 = w.epoch_end as i64;
    let cron = Php::Arr(vec![
        (
            Key::Int(t0 + 60),
            Php::map(vec![("wp_version_check", event("twicedaily", 43_200))]),
        ),
        (
            Key::Int(t0 + 120),
            Php::map(vec![
                ("woocommerce_cleanup_sessions", event("twicedaily", 43_200)),
                ("wp_scheduled_delete", event("daily", 86_400)),
            ]),
        ),
        (
            Key::Int(t0 + 3600),
            Php::map(vec![(
                "action_scheduler_run_queue",
                event("every_minute", 60),
            )]),
        ),
        (Key::Str("version".into()), Php::Int(2)),
    ]);
    // PHP references: `current` is R:2 (the `default` array), `same` is r:5 (the object).
    let refs = Php::map(vec![
        (
            "default",
            Php::map(vec![("url", Php::s(base.clone())), ("lang", s("de"))]),
        ),
        ("current", Php::Ref(2)),
        (
            "object",
            Php::obj(
                "stdClass",
                vec![("home", Php::s(format!("{}/", w.site.protocol_relative())))],
            ),
        ),
        ("same", Php::ObjRef(5)),
    ]);
    let theme_obj = Php::obj(
        "WP_Theme",
        vec![
            ("stylesheet", s("twentytwentyfour")),
            ("template", s("twentytwentyfour")),
            (
                "theme_root_uri",
                Php::s(format!("{base}/wp-content/themes")),
            ),
            (
                "headers",
                Php::map(vec![
                    ("Name", s("Twenty Twenty-Four")),
                    ("Version", s("1.1")),
                ]),
            ),
        ],
    );
    let gateway_obj = Php::obj(
        "WC_Stripe_Account_Cache",
        vec![
            ("account_id", Php::s(key("acct_", 16))),
            ("email", Php::s(admin.clone())),
            ("webhook_url", Php::s(format!("{base}/?wc-api=wc_stripe"))),
            ("fee", Php::Float(0.25)),
        ],
    );
    let mut json_cfg = String::from("{\"logo\":{\"url\":");
    text::php_json_str(
        &mut json_cfg,
        &format!("{base}/wp-content/uploads/2020/01/logo.png"),
    );
    json_cfg.push_str("},\"site_name\":\"Brot \\u0026 Kaffee\"}");
    let inner = Php::map(vec![
        ("url", Php::s(base.clone())),
        ("email", Php::s(admin.clone())),
    ])
    .to_php();
    let corrupt = {
        // Claims 5 bytes more than the URL has: pre-corrupted data that a
        // rewriter must pass through and report.
        let url = format!("{base}/wp-content/uploads/old.jpg");
        format!(
            "a:1:{{s:12:\"header_image\";s:{}:\"{url}\";}}",
            url.len() + 5
        )
    };
    let yoast = Php::map(vec![
        ("ms_defaults_set", Php::Bool(false)),
        ("version", s("22.6")),
        ("enable_xml_sitemap", Php::Bool(true)),
        ("last_error", Php::Null),
        ("ratio", Php::Float(0.5)),
        ("indexables_indexing_completed", Php::Bool(true)),
        ("first_activated_on", Php::Int(w.epoch_start as i64)),
    ]);
    let v = |p: Php| p.to_php();
    let mut list: Vec<(String, String, &'static str)> = vec![
        ("siteurl".into(), base.clone(), "on"),
        ("home".into(), base.clone(), "on"),
        ("blogname".into(), "Brot & Kaffee – Manufaktur".into(), "on"),
        (
            "blogdescription".into(),
            "Handgemacht in Görlitz · 手作りのパン".into(),
            "on",
        ),
        ("users_can_register".into(), "0".into(), "on"),
        ("admin_email".into(), admin.clone(), "on"),
        ("new_admin_email".into(), admin.clone(), "on"),
        ("start_of_week".into(), "1".into(), "on"),
        ("mailserver_url".into(), "mail.example.net".into(), "on"),
        (
            "mailserver_login".into(),
            format!("blog@{}", w.site.mail_domain()),
            "on",
        ),
        ("mailserver_pass".into(), key("", 12), "on"),
        ("mailserver_port".into(), "110".into(), "on"),
        ("default_category".into(), "1".into(), "on"),
        ("posts_per_page".into(), "10".into(), "on"),
        ("date_format".into(), "j. F Y".into(), "on"),
        ("time_format".into(), "H:i".into(), "on"),
        (
            "permalink_structure".into(),
            "/%year%/%monthnum%/%postname%/".into(),
            "on",
        ),
        ("blog_public".into(), "1".into(), "on"),
        ("template".into(), "twentytwentyfour".into(), "on"),
        ("stylesheet".into(), "twentytwentyfour".into(), "on"),
        ("WPLANG".into(), "de_DE".into(), "on"),
        ("timezone_string".into(), "Europe/Berlin".into(), "on"),
        ("upload_path".into(), String::new(), "on"),
        ("upload_url_path".into(), String::new(), "on"),
        ("active_plugins".into(), v(plugins), "on"),
        ("cron".into(), v(cron), "on"),
        ("widget_text".into(), v(widget_text), "on"),
        ("widget_block".into(), v(widget_block), "on"),
        ("sidebars_widgets".into(), v(sidebars), "on"),
        ("theme_mods_twentytwentyfour".into(), v(theme_mods), "on"),
        (CORRUPT_OPTION.into(), corrupt, "off"),
        ("recently_activated".into(), v(Php::Arr(vec![])), "auto"),
        ("woocommerce_stripe_settings".into(), v(stripe), "on"),
        ("wp_mail_smtp".into(), v(smtp), "on"),
        (
            "mailchimp_api_key".into(),
            format!("{}-us14", key("", 32)),
            "auto",
        ),
        ("recaptcha_secret".into(), key("6Lc", 37), "auto"),
        ("instagram_access_token".into(), key("IGQV", 60), "auto"),
        ("wpseo".into(), v(yoast), "on"),
        ("wpml_language_urls".into(), v(refs), "auto"),
        ("_site_transient_theme_cache".into(), v(theme_obj), "off"),
        ("wc_stripe_account_cache".into(), v(gateway_obj), "off"),
        (
            "elementor_global_settings".into(),
            v(Php::map(vec![("config", Php::s(json_cfg))])),
            "auto",
        ),
        ("wpseo_backup_home".into(), v(Php::s(inner)), "off"),
        ("some_plugin_flag".into(), v(Php::Bool(true)), "auto"),
        ("some_plugin_ratio".into(), v(Php::Float(0.5)), "auto"),
        ("some_plugin_count".into(), v(Php::Int(42)), "auto"),
        ("some_plugin_nothing".into(), v(Php::Null), "auto"),
        (
            "some_plugin_home".into(),
            v(Php::s(format!("{base}/"))),
            "auto",
        ),
        (
            "login_redirect_url".into(),
            format!(
                "{base}/wp-login.php?redirect_to={}",
                text::url_encode(&format!("{base}/wp-admin/"))
            ),
            "auto",
        ),
        ("old_siteurl".into(), w.site.other_scheme_base(), "off"),
        (
            "theme_fonts_url".into(),
            format!(
                "{}/wp-content/themes/twentytwentyfour/fonts.css",
                w.site.protocol_relative()
            ),
            "auto",
        ),
        (
            "custom_css_text".into(),
            "body {\n\tcolor: #333;\n}\r\n/* C:\\temp\\style.css */".into(),
            "auto",
        ),
        (
            "blog_host_note".into(),
            format!("Hosted at {host}; mail {admin}"),
            "off",
        ),
        (
            "woocommerce_store_address".into(),
            "Hauptstraße 1".into(),
            "on",
        ),
        ("woocommerce_store_city".into(), "Görlitz".into(), "on"),
        (
            "woocommerce_email_from_address".into(),
            format!("shop@{}", w.site.mail_domain()),
            "on",
        ),
        (
            "woocommerce_custom_orders_table_enabled".into(),
            "yes".into(),
            "on",
        ),
        ("woocommerce_db_version".into(), "8.9.1".into(), "on"),
        ("db_version".into(), "57155".into(), "on"),
    ];
    // Bulk of small autoloaded settings, as plugins leave them.
    for i in 0..60 {
        list.push((
            format!("plugin_setting_{i:02}"),
            if i % 3 == 0 {
                "yes".into()
            } else {
                format!("{}", i * 7)
            },
            if i % 2 == 0 { "yes" } else { "no" },
        ));
    }
    list
}
