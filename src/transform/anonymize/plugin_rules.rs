//! Built-in rules for popular plugins' tables: what content scanning cannot find by itself
//! (names, addresses, form values) and the columns known to hold emails, IPs and phones.
//!
//! Every rule here is optional by construction: a table rule applies only to a table the
//! snapshot has, and a column rule only to a column the table has, so a site without the
//! plugin (or with an older schema) is never refused because of them.
//!
//! Form plugins store what visitors typed under field ids no rule can know (`1.3`, `field_5`),
//! so their values become fake text (`free_text`): a name or street typed into a form must
//! not reach staging. URLs in these tables (Yoast indexables, Rank Math redirections, Koko
//! Analytics referrers) need no rule: every text column goes through the URL rewrite.

use super::kinds::Kind;
use super::{ColumnRule, Conditional, MetaRules, TableRules};

fn rule(kind: Kind) -> ColumnRule {
    ColumnRule {
        kind,
        unique: false,
    }
}

fn with_columns(list: Vec<(&str, Kind)>) -> TableRules {
    TableRules {
        columns: list.into_iter().map(|(c, k)| (c.into(), rule(k))).collect(),
        ..TableRules::default()
    }
}

fn blank() -> Kind {
    Kind::Fixed(String::new())
}

/// An EAV table whose keys are listed; other keys get their emails replaced.
fn keyed(key: &str, value: &str, exact: Vec<(&str, Kind)>, globs: Vec<(&str, Kind)>) -> MetaRules {
    MetaRules {
        key_column: key.into(),
        value_column: value.into(),
        exact: exact.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        globs: globs.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        secret_heuristic: false,
        fallback: Some(Kind::EmailsInside),
    }
}

/// A `meta_key`/`meta_value` table whose keys name the field (`customer_email`, `ip_address`).
fn by_key_name() -> TableRules {
    TableRules {
        meta: Some(keyed(
            "meta_key",
            "meta_value",
            Vec::new(),
            vec![("*", Kind::PiiKeys)],
        )),
        ..TableRules::default()
    }
}

/// The values of a form's fields, keyed by field name or id: known names get their kind,
/// anything else becomes fake text.
fn form_values(key: &str, value: &str) -> MetaRules {
    let mut m = keyed(
        key,
        value,
        vec![
            ("email", Kind::Email),
            ("your-email", Kind::Email),
            ("name", Kind::FullName),
            ("your-name", Kind::FullName),
            ("first_name", Kind::FirstName),
            ("last_name", Kind::LastName),
            ("phone", Kind::Phone),
            ("tel", Kind::Phone),
            ("ip", Kind::Ip),
        ],
        Vec::new(),
    );
    m.fallback = Some(Kind::FreeText);
    m
}

/// Name and postal address columns shared by EDD customer and order addresses.
fn postal_address() -> Vec<(&'static str, Kind)> {
    vec![
        ("name", Kind::FullName),
        ("address", Kind::StreetAddress),
        ("address2", blank()),
        ("city", Kind::City),
        ("region", blank()),
        ("postal_code", Kind::Postcode),
    ]
}

/// Adds the plugin rules of `logical` to the core rules (if any) of the same table.
pub fn extend(logical: &str, core: Option<TableRules>) -> Option<TableRules> {
    match logical {
        "posts" => core.map(with_plugin_posts),
        "postmeta" | "wc_orders_meta" => core.map(|t| with_plugin_postmeta(logical, t)),
        "usermeta" => core.map(with_plugin_usermeta),
        _ => core.or_else(|| plugin_table(logical)),
    }
}

/// Posts that plugins use to store what visitors sent.
fn with_plugin_posts(mut t: TableRules) -> TableRules {
    let when = |post_type: &str, columns: Vec<(&str, Kind)>| Conditional {
        column: "post_type".into(),
        equals: post_type.into(),
        columns: columns.into_iter().map(|(c, k)| (c.into(), k)).collect(),
    };
    // Flamingo: a contact's title and slug are its email; an inbound message holds the form.
    t.conditional.push(when(
        "flamingo_contact",
        vec![("post_title", Kind::Email), ("post_name", Kind::Reference)],
    ));
    t.conditional.push(when(
        "flamingo_inbound",
        vec![("post_content", Kind::FreeText)],
    ));
    // Jetpack contact form feedback: "Name - date" title, every field in the content.
    t.conditional.push(when(
        "feedback",
        vec![
            ("post_title", Kind::FreeText),
            ("post_content", Kind::FreeText),
        ],
    ));
    t
}

fn with_plugin_postmeta(logical: &str, mut t: TableRules) -> TableRules {
    let Some(m) = t.meta.as_mut() else {
        return t;
    };
    // WooCommerce Subscriptions / Stripe: gateway customer and card references.
    for key in [
        "_stripe_customer_id",
        "_stripe_source_id",
        "_stripe_card_id",
    ] {
        m.exact.insert(key.into(), blank());
    }
    if logical == "postmeta" {
        let exact = [
            // Flamingo contacts and inbound messages (Contact Form 7).
            ("_email", Kind::Email),
            ("_name", Kind::FullName),
            ("_props", Kind::PiiKeys),
            ("_from", Kind::FreeText),
            ("_from_name", Kind::FullName),
            ("_from_email", Kind::Email),
            ("_meta", Kind::DeleteRow),
            ("_akismet", Kind::DeleteRow),
            ("_recaptcha", Kind::DeleteRow),
            // bbPress anonymous posters.
            ("_bbp_author_ip", Kind::Ip),
            ("_bbp_anonymous_name", Kind::FullName),
            ("_bbp_anonymous_email", Kind::Email),
            ("_bbp_anonymous_website", blank()),
            // Jetpack contact form feedback.
            ("_feedback_akismet_values", Kind::PiiKeys),
            ("_feedback_extra_fields", Kind::FreeText),
            ("_feedback_all_fields", Kind::FreeText),
            ("_feedback_email", Kind::FreeText),
        ];
        for (k, v) in exact {
            m.exact.insert(k.into(), v);
        }
        // Flamingo's `_field_<name>` and Ninja Forms' `_field_<id>` submission values.
        m.globs.insert(0, ("_field_*".into(), Kind::FreeText));
    }
    t
}

/// MemberPress keeps members' addresses in usermeta.
fn with_plugin_usermeta(mut t: TableRules) -> TableRules {
    if let Some(m) = t.meta.as_mut() {
        for (k, v) in [
            ("mepr-address-one", Kind::StreetAddress),
            ("mepr-address-two", blank()),
            ("mepr-address-city", Kind::City),
            ("mepr-address-zip", Kind::Postcode),
            ("mepr_vat_number", blank()),
        ] {
            m.exact.insert(k.into(), v);
        }
    }
    t
}

/// Rules of a plugin's own table.
fn plugin_table(logical: &str) -> Option<TableRules> {
    forms(logical)
        .or_else(|| newsletters(logical))
        .or_else(|| commerce(logical))
        .or_else(|| community(logical))
        .or_else(|| analytics(logical))
}

/// Gravity Forms, WPForms, Ninja Forms, Formidable, Fluent Forms, Elementor Pro.
fn forms(logical: &str) -> Option<TableRules> {
    let t = match logical {
        "gf_entry" | "rg_lead" => with_columns(vec![
            ("ip", Kind::Ip),
            ("user_agent", Kind::UserAgent),
            ("transaction_id", Kind::Reference),
        ]),
        "gf_entry_meta" => {
            // Field values live under the field id (`3`, `1.6`); add-ons keep their own keys.
            let digits: Vec<(&str, Kind)> = ["0*", "1*", "2*", "3*", "4*", "5*", "6*", "7*"]
                .into_iter()
                .chain(["8*", "9*"])
                .map(|g| (g, Kind::FreeText))
                .collect();
            TableRules {
                meta: Some(keyed("meta_key", "meta_value", Vec::new(), digits)),
                ..TableRules::default()
            }
        }
        "rg_lead_detail" | "rg_lead_detail_long" => with_columns(vec![("value", Kind::FreeText)]),
        "gf_entry_notes" | "rg_lead_notes" => with_columns(vec![
            ("user_name", Kind::FullName),
            ("value", Kind::EmailsInside),
        ]),
        "wpforms_entries" => with_columns(vec![
            ("fields", Kind::FreeText),
            ("ip_address", Kind::Ip),
            ("user_agent", Kind::UserAgent),
            ("user_uuid", Kind::Reference),
        ]),
        "wpforms_entry_fields" => with_columns(vec![("value", Kind::FreeText)]),
        "wpforms_entry_meta" => with_columns(vec![("data", Kind::EmailsInside)]),
        "wpforms_payments" => with_columns(vec![
            ("title", Kind::FullName),
            ("transaction_id", Kind::Reference),
            ("customer_id", Kind::Reference),
            ("subscription_id", Kind::Reference),
        ]),
        "wpforms_payment_meta" => by_key_name(),
        "frm_items" => with_columns(vec![
            ("name", Kind::FullName),
            ("ip", Kind::Ip),
            ("description", Kind::FreeText),
        ]),
        "frm_item_metas" => with_columns(vec![("meta_value", Kind::FreeText)]),
        "fluentform_submissions" => with_columns(vec![
            ("response", Kind::FreeText),
            ("ip", Kind::Ip),
            ("city", Kind::City),
        ]),
        "fluentform_entry_details" => with_columns(vec![("field_value", Kind::FreeText)]),
        "fluentform_submission_meta" => with_columns(vec![
            ("value", Kind::EmailsInside),
            ("name", Kind::FullName),
        ]),
        "e_submissions" => {
            with_columns(vec![("user_ip", Kind::Ip), ("user_agent", Kind::UserAgent)])
        }
        "e_submissions_values" => TableRules {
            meta: Some(form_values("key", "value")),
            ..TableRules::default()
        },
        _ => return None,
    };
    Some(t)
}

/// MailPoet and The Newsletter Plugin.
fn newsletters(logical: &str) -> Option<TableRules> {
    let t = match logical {
        "mailpoet_subscribers" => {
            let mut t = with_columns(vec![
                ("first_name", Kind::FirstName),
                ("last_name", Kind::LastName),
                ("subscribed_ip", Kind::Ip),
                ("confirmed_ip", Kind::Ip),
                ("unconfirmed_data", Kind::PiiKeys),
                ("link_token", blank()),
            ]);
            t.columns.push((
                "email".into(),
                ColumnRule {
                    kind: Kind::Email,
                    unique: true,
                },
            ));
            t
        }
        "mailpoet_subscriber_custom_field" => with_columns(vec![("value", Kind::FreeText)]),
        "mailpoet_subscriber_ips" => with_columns(vec![("ip", Kind::Ip)]),
        "mailpoet_user_agents" => with_columns(vec![("user_agent", Kind::UserAgent)]),
        "newsletter" => {
            let mut t = with_columns(vec![
                ("name", Kind::FirstName),
                ("surname", Kind::LastName),
                ("ip", Kind::Ip),
                ("city", Kind::City),
                ("region", blank()),
                ("token", blank()),
            ]);
            t.columns.push((
                "email".into(),
                ColumnRule {
                    kind: Kind::Email,
                    unique: true,
                },
            ));
            // Up to 20 custom profile fields (`profile_1` …) hold whatever the form asked.
            t.columns
                .extend((1..=20).map(|i| (format!("profile_{i}"), rule(Kind::FreeText))));
            t
        }
        "newsletter_sent" | "newsletter_stats" => with_columns(vec![("ip", Kind::Ip)]),
        "newsletter_user_logs" => with_columns(vec![("ip", Kind::Ip), ("data", Kind::FreeText)]),
        _ => return None,
    };
    Some(t)
}

/// Easy Digital Downloads and MemberPress (WooCommerce and its Subscriptions are core rules
/// plus the gateway keys of [`with_plugin_postmeta`]).
fn commerce(logical: &str) -> Option<TableRules> {
    let t = match logical {
        "edd_customers" => with_columns(vec![
            ("email", Kind::Email),
            ("name", Kind::FullName),
            ("notes", Kind::EmailsInside),
        ]),
        "edd_customer_email_addresses" => with_columns(vec![("email", Kind::Email)]),
        "edd_customer_addresses" | "edd_order_addresses" => with_columns(postal_address()),
        "edd_orders" => with_columns(vec![
            ("email", Kind::Email),
            ("ip", Kind::Ip),
            ("payment_key", Kind::Reference),
        ]),
        "edd_order_transactions" => with_columns(vec![("transaction_id", Kind::Reference)]),
        "edd_logs_file_downloads" => {
            with_columns(vec![("ip", Kind::Ip), ("user_agent", Kind::UserAgent)])
        }
        "edd_notes" => with_columns(vec![("content", Kind::EmailsInside)]),
        "edd_customermeta" | "edd_ordermeta" | "edd_order_itemmeta" => by_key_name(),
        "mepr_transactions" => with_columns(vec![
            ("trans_num", Kind::Reference),
            ("ip_addr", Kind::Ip),
            ("response", blank()),
        ]),
        "mepr_subscriptions" => with_columns(vec![
            ("subscr_id", Kind::Reference),
            ("token", blank()),
            ("cc_last4", Kind::Fixed("4242".into())),
        ]),
        "mepr_transaction_meta" | "mepr_subscription_meta" => by_key_name(),
        _ => return None,
    };
    Some(t)
}

/// BuddyPress, LearnDash quiz data, Jetpack's sync queue.
fn community(logical: &str) -> Option<TableRules> {
    let t = match logical {
        "bp_xprofile_data" => with_columns(vec![("value", Kind::FreeText)]),
        // Action strings embed display names and links hold member slugs (logins); BuddyPress
        // rebuilds both from the activity's user and type.
        "bp_activity" => with_columns(vec![
            ("action", blank()),
            ("primary_link", blank()),
            ("content", Kind::EmailsInside),
        ]),
        "bp_messages_messages" => with_columns(vec![
            ("subject", Kind::EmailsInside),
            ("message", Kind::EmailsInside),
        ]),
        "bp_invitations" => with_columns(vec![("invitee_email", Kind::Email)]),
        "learndash_pro_quiz_toplist" | "wp_pro_quiz_toplist" => with_columns(vec![
            ("name", Kind::FullName),
            ("email", Kind::Email),
            ("ip", Kind::Ip),
        ]),
        "learndash_pro_quiz_statistic_ref" | "wp_pro_quiz_statistic_ref" => {
            with_columns(vec![("form_data", Kind::FreeText)])
        }
        // Serialized copies of posts, users and orders waiting to be sent to WordPress.com.
        "jetpack_sync_queue" => TableRules {
            drop_all: true,
            ..TableRules::default()
        },
        _ => return None,
    };
    Some(t)
}

/// WP Statistics, Rank Math, Yoast, Redirection, Wordfence (when copied with `--copy-all`).
fn analytics(logical: &str) -> Option<TableRules> {
    let t = match logical {
        "statistics_visitor" | "statistics_visitors" | "statistics_useronline" => {
            with_columns(vec![
                ("ip", Kind::Ip),
                ("uastring", Kind::UserAgent),
                ("city", Kind::City),
                ("region", blank()),
            ])
        }
        "rank_math_404_logs" => with_columns(vec![("user_agent", Kind::UserAgent)]),
        "redirection_404" | "redirection_logs" => {
            with_columns(vec![("ip", Kind::Ip), ("agent", Kind::UserAgent)])
        }
        "wflogins" => with_columns(vec![("username", Kind::Username)]),
        // The hash of the production permalink no longer matches the rewritten one; Yoast
        // recomputes a missing hash (it is what its own permalink reset leaves).
        "yoast_indexable" => with_columns(vec![("permalink_hash", Kind::Null)]),
        _ => return None,
    };
    Some(t)
}
