//! Built-in rules for WordPress core and WooCommerce (data-path.md §5.2).
//!
//! Table names are the logical names after the prefix (and after a multisite
//! blog number: `wp_2_comments` → `comments`).
//!
//! Options whose *name* looks like a credential are blanked when
//! [`is_secret_option`] says so. The name is split at `_`, `-`, `.` and a
//! segment must be one of `key(s)`, `secret(s)`, `token(s)`, `password(s)`,
//! `pass`, `passwd`, `pwd`, `salt`, `apikey`, `api_key`, or end in
//! `password`/`secret`/`token`/`apikey`. Not blanked, because blanking would
//! break the site or they hold no credential:
//! - names ending in `_endpoint` (WooCommerce account endpoints such as
//!   `woocommerce_myaccount_lost_password_endpoint`), `_enabled`,
//!   `_version`, `_length`, `_expiration`, `_expires`, `_strength`;
//! - `woocommerce_registration_generate_password`, `users_can_register`,
//!   `woocommerce_registration_generate_username`,
//!   `default_password_nag`, `wp_password_change_notification`,
//!   `_transient_*` and `_site_transient_*` (caches, rebuilt on demand);
//! - values that are booleans/numbers (`yes`, `no`, `on`, `off`, `true`,
//!   `false`, digits): settings, not secrets.
//!
//! Core salts stored in options (`auth_key`, `nonce_salt`, …) *are* blanked:
//! WordPress regenerates an empty salt on first use.

use super::kinds::Kind;
use super::{ColumnRule, Conditional, MetaRules, TableRules};

fn cols(list: &[(&str, Kind)]) -> Vec<(String, ColumnRule)> {
    list.iter()
        .map(|(c, k)| {
            (
                c.to_string(),
                ColumnRule {
                    kind: k.clone(),
                    unique: false,
                },
            )
        })
        .collect()
}

fn blank() -> Kind {
    Kind::Fixed(String::new())
}

/// Address columns shared by `wc_order_addresses` and the customer lookup.
fn address_columns() -> Vec<(String, ColumnRule)> {
    cols(&[
        ("first_name", Kind::FirstName),
        ("last_name", Kind::LastName),
        ("company", Kind::Company),
        ("address_1", Kind::StreetAddress),
        ("address_2", blank()),
        ("city", Kind::City),
        ("postcode", Kind::Postcode),
        ("email", Kind::Email),
        ("phone", Kind::Phone),
    ])
}

fn meta(key: &str, value: &str, exact: &[(&str, Kind)], globs: &[(&str, Kind)]) -> MetaRules {
    MetaRules {
        key_column: key.to_string(),
        value_column: value.to_string(),
        exact: exact
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect(),
        globs: globs
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect(),
        secret_heuristic: false,
        // Plugin settings and form data keep addresses under keys no rule can list.
        fallback: Some(Kind::PiiInside),
    }
}

/// Keys of WooCommerce order meta (legacy postmeta and HPOS `wc_orders_meta`).
fn order_meta_globs() -> Vec<(&'static str, Kind)> {
    vec![
        ("_billing_address_index", blank()),
        ("_shipping_address_index", blank()),
        ("_billing_*", Kind::PiiKeys),
        ("_shipping_*", Kind::PiiKeys),
    ]
}

fn order_meta_exact() -> Vec<(&'static str, Kind)> {
    vec![
        ("_customer_ip_address", Kind::Ip),
        ("_customer_user_agent", Kind::UserAgent),
        ("_transaction_id", Kind::Reference),
    ]
}

/// The built-in rules of one logical table, if any.
pub fn builtin(logical: &str) -> Option<TableRules> {
    let mut t = TableRules::default();
    match logical {
        "users" => {
            t.columns = cols(&[
                ("user_nicename", Kind::Slug),
                ("user_url", blank()),
                ("display_name", Kind::FullName),
                ("user_pass", Kind::PasswordHash),
                ("user_activation_key", blank()),
            ]);
            for (c, k) in [("user_login", Kind::Username), ("user_email", Kind::Email)] {
                t.columns.push((
                    c.to_string(),
                    ColumnRule {
                        kind: k,
                        unique: true,
                    },
                ));
            }
        }
        "commentmeta" => {
            // Akismet keeps a copy of what the commenter submitted (name, email, IP, UA).
            t.meta = Some(meta(
                "meta_key",
                "meta_value",
                &[("akismet_as_submitted", Kind::PiiKeys)],
                &[],
            ));
        }
        "termmeta" => {
            t.meta = Some(meta("meta_key", "meta_value", &[], &[]));
        }
        "usermeta" => {
            t.meta = Some(meta(
                "meta_key",
                "meta_value",
                &[
                    ("first_name", Kind::FirstName),
                    ("last_name", Kind::LastName),
                    // What WordPress shows as the name: the fake person's full name.
                    ("nickname", Kind::FullName),
                    ("description", Kind::FreeText),
                    ("session_tokens", Kind::DeleteRow),
                    ("community-events-location", Kind::DeleteRow),
                    ("_application_passwords", Kind::DeleteRow),
                    ("_stripe_customer_id", blank()),
                    ("billing_address_index", blank()),
                    ("shipping_address_index", blank()),
                ],
                &[("billing_*", Kind::PiiKeys), ("shipping_*", Kind::PiiKeys)],
            ));
        }
        "comments" => {
            t.columns = cols(&[
                ("comment_author", Kind::FullName),
                ("comment_author_email", Kind::Email),
                ("comment_author_url", blank()),
                ("comment_author_ip", Kind::Ip),
                ("comment_agent", Kind::UserAgent),
                ("comment_content", Kind::PiiInside),
            ]);
        }
        "options" => {
            let mut m = meta(
                "option_name",
                "option_value",
                &[
                    ("admin_email", Kind::Email),
                    ("new_admin_email", Kind::Email),
                    ("mailserver_login", Kind::Email),
                    ("mailserver_pass", blank()),
                    ("woocommerce_email_from_address", Kind::Email),
                    ("woocommerce_stock_email_recipient", Kind::Email),
                ],
                &[],
            );
            m.secret_heuristic = true;
            t.meta = Some(m);
        }
        "sitemeta" => {
            t.meta = Some(meta(
                "meta_key",
                "meta_value",
                &[
                    ("admin_email", Kind::Email),
                    ("site_admins", Kind::Username),
                ],
                &[],
            ));
        }
        "posts" => {
            // Free text keeps its words, but not the addresses written into it.
            t.columns = cols(&[
                ("post_title", Kind::PiiInside),
                ("post_excerpt", Kind::PiiInside),
                ("post_content", Kind::PiiInside),
            ]);
            t.conditional.push(Conditional {
                column: "post_type".into(),
                equals: "user_request".into(),
                columns: vec![
                    ("post_title".into(), Kind::Email),
                    ("post_content".into(), blank()),
                ],
            });
        }
        "postmeta" | "wc_orders_meta" => {
            let mut m = meta(
                "meta_key",
                "meta_value",
                &order_meta_exact(),
                &order_meta_globs(),
            );
            if logical == "postmeta" {
                m.exact
                    .insert("_wp_user_request_confirmed_email".into(), Kind::Email);
            }
            t.meta = Some(m);
        }
        "signups" => {
            t.columns = cols(&[
                ("user_login", Kind::Username),
                ("user_email", Kind::Email),
                ("activation_key", blank()),
                ("meta", Kind::PiiKeys),
            ]);
        }
        "registration_log" => t.columns = cols(&[("email", Kind::Email), ("ip", Kind::Ip)]),
        "wc_orders" => {
            t.columns = cols(&[
                ("billing_email", Kind::Email),
                ("ip_address", Kind::Ip),
                ("user_agent", Kind::UserAgent),
                ("customer_note", blank()),
                ("transaction_id", Kind::Reference),
            ]);
        }
        "wc_order_addresses" => t.columns = address_columns(),
        "wc_customer_lookup" => {
            t.columns = address_columns();
            t.columns.extend(cols(&[("username", Kind::Username)]));
        }
        "woocommerce_sessions"
        | "woocommerce_payment_tokens"
        | "woocommerce_payment_tokenmeta"
        | "woocommerce_api_keys" => t.drop_all = true,
        "wc_webhooks" => {
            t.columns = cols(&[
                ("secret", blank()),
                ("status", Kind::Fixed("disabled".into())),
            ])
        }
        "woocommerce_downloadable_product_permissions" => {
            t.columns = cols(&[("user_email", Kind::Email)])
        }
        "wc_download_log" => t.columns = cols(&[("user_ip_address", Kind::Ip)]),
        _ => return None,
    }
    Some(t)
}

const SECRET_SEGMENTS: &[&str] = &[
    "key",
    "keys",
    "secret",
    "secrets",
    "token",
    "tokens",
    "password",
    "passwords",
    "pass",
    "passwd",
    "pwd",
    "salt",
    "apikey",
];

const NOT_SECRET_SUFFIXES: &[&str] = &[
    "_endpoint",
    "_enabled",
    "_version",
    "_length",
    "_expiration",
    "_expires",
    "_strength",
];

const NOT_SECRET_NAMES: &[&str] = &[
    "woocommerce_registration_generate_password",
    "woocommerce_registration_generate_username",
    "users_can_register",
    "default_password_nag",
    "wp_password_change_notification",
];

/// Whether an option is a credential to blank (see the module docs).
pub fn is_secret_option(name: &str, value: &str) -> bool {
    let n = name.to_ascii_lowercase();
    if n.starts_with("_transient_") || n.starts_with("_site_transient_") {
        return false;
    }
    if NOT_SECRET_NAMES.contains(&n.as_str()) || NOT_SECRET_SUFFIXES.iter().any(|s| n.ends_with(s))
    {
        return false;
    }
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty()
        || matches!(v.as_str(), "yes" | "no" | "on" | "off" | "true" | "false")
        || v.bytes().all(|c| c.is_ascii_digit())
    {
        return false;
    }
    n.split(['_', '-', '.']).any(|seg| {
        SECRET_SEGMENTS.contains(&seg)
            || ["password", "secret", "token", "apikey"]
                .iter()
                .any(|s| seg.len() > s.len() && seg.ends_with(s))
    })
}
