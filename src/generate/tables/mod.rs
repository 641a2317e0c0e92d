//! Row generators, one per table. Each generator walks "entities" (a post
//! id, a user, an order...) in order and writes 0..n rows for each; all
//! attributes are recomputed from (seed, entity), so tables never need each
//! other's state and memory stays bounded.

pub(crate) mod comments;
pub(crate) mod content;
mod misc;
mod options;
pub(crate) mod postmeta;
pub(crate) mod posts;
mod terms;
mod users;
mod woo;
mod woo_misc;

use super::copy::Row;
use super::schema::{self, TableDef};
use super::schema_woo as woo_schema;
use super::world::{Person, World};

/// Writes all rows of entity `index`. `next_id` is the table's running
/// serial id for tables whose ids are not derived from the entity.
pub(crate) type Emit = fn(&World, u64, &mut u64, &mut Vec<u8>);

pub(crate) struct Gen {
    pub(crate) def: &'static TableDef,
    pub(crate) entities: fn(&World) -> u64,
    pub(crate) emit: Emit,
    /// Rough COPY bytes per entity, for `TableJob::estimated_bytes`.
    pub(crate) bytes_per_entity: u64,
}

fn g(
    def: &'static TableDef,
    entities: fn(&World) -> u64,
    emit: Emit,
    bytes_per_entity: u64,
) -> Gen {
    Gen {
        def,
        entities,
        emit,
        bytes_per_entity,
    }
}

pub(crate) fn registry() -> Vec<Gen> {
    vec![
        g(&schema::OPTIONS, options::entities, options::emit, 600),
        g(&schema::POSTS, |w| w.layout.max_id, posts::emit, 2500),
        g(&schema::POSTMETA, |w| w.layout.max_id, postmeta::emit, 700),
        g(&schema::USERS, |w| w.counts.users, users::emit, 300),
        g(
            &schema::USERMETA,
            |w| w.counts.users,
            users::emit_meta,
            1600,
        ),
        g(&schema::COMMENTS, comments::entities, comments::emit, 800),
        g(
            &schema::COMMENTMETA,
            comments::entities,
            comments::emit_meta,
            200,
        ),
        g(&schema::TERMS, terms::term_count, terms::emit_terms, 40),
        g(
            &schema::TERM_TAXONOMY,
            terms::term_count,
            terms::emit_taxonomy,
            60,
        ),
        g(
            &schema::TERM_RELATIONSHIPS,
            |w| w.layout.max_id,
            terms::emit_relationships,
            20,
        ),
        g(
            &schema::TERMMETA,
            terms::term_count,
            terms::emit_termmeta,
            20,
        ),
        g(&schema::LINKS, |_| misc::LINKS, misc::emit_link, 200),
        g(&schema::BLOGS, |_| 2, misc::emit_blog, 100),
        g(&schema::SITE, |_| 1, misc::emit_site, 40),
        g(&schema::SIGNUPS, |_| 2, misc::emit_signup, 300),
        g(
            &schema::REGISTRATION_LOG,
            |_| 2,
            misc::emit_registration,
            80,
        ),
        g(
            &woo_schema::WC_ORDERS,
            |w| w.counts.orders,
            woo::emit_order,
            400,
        ),
        g(
            &woo_schema::WC_ORDER_ADDRESSES,
            |w| w.counts.orders,
            woo::emit_addresses,
            300,
        ),
        g(
            &woo_schema::WC_ORDER_OPERATIONAL_DATA,
            |w| w.counts.orders,
            woo::emit_operational,
            200,
        ),
        g(
            &woo_schema::WC_ORDERS_META,
            |w| w.counts.orders,
            woo::emit_meta,
            400,
        ),
        g(
            &woo_schema::WC_CUSTOMER_LOOKUP,
            woo::lookup_count,
            woo::emit_lookup,
            150,
        ),
        g(
            &woo_schema::WC_SESSIONS,
            |w| w.counts.sessions,
            woo_misc::emit_session,
            900,
        ),
        g(&woo_schema::WC_API_KEYS, |_| 2, woo_misc::emit_api_key, 250),
        g(
            &woo_schema::WC_PAYMENT_TOKENS,
            |w| w.counts.tokens,
            woo_misc::emit_token,
            80,
        ),
        g(
            &woo_schema::WC_PAYMENT_TOKENMETA,
            |w| w.counts.tokens,
            woo_misc::emit_tokenmeta,
            120,
        ),
        g(&woo_schema::WC_WEBHOOKS, |_| 2, woo_misc::emit_webhook, 300),
        g(
            &woo_schema::WC_DOWNLOAD_PERMISSIONS,
            |w| w.counts.permissions,
            woo_misc::emit_permission,
            200,
        ),
        g(
            &woo_schema::WC_DOWNLOAD_LOG,
            |w| w.counts.permissions,
            woo_misc::emit_download_log,
            120,
        ),
    ]
}

/// One `*meta` row: id, owner, key, value (None = NULL).
pub(crate) fn meta_row(
    buf: &mut Vec<u8>,
    next_id: &mut u64,
    owner: u64,
    key: &str,
    value: Option<&str>,
) {
    *next_id += 1;
    Row::new(buf)
        .int(*next_id)
        .int(owner)
        .text(key)
        .opt_text(value)
        .end();
}

/// WooCommerce address fields in `_billing_*` order (billing has email).
pub(crate) fn address_fields(p: &Person, billing: bool) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("first_name", p.first.to_string()),
        ("last_name", p.last.to_string()),
        ("company", p.company.to_string()),
        ("address_1", p.street.clone()),
        (
            "address_2",
            if p.index.is_multiple_of(4) {
                "Hinterhaus, 3. OG".to_string()
            } else {
                String::new()
            },
        ),
        ("city", p.city.to_string()),
        ("state", p.state.to_string()),
        ("postcode", p.postcode.clone()),
        ("country", p.country.to_string()),
    ];
    if billing {
        v.push(("email", p.email_typed.clone()));
    }
    v.push(("phone", p.phone.clone()));
    v
}

/// `_billing_address_index`: WooCommerce joins all address fields with spaces.
pub(crate) fn address_index(p: &Person, billing: bool) -> String {
    address_fields(p, billing)
        .into_iter()
        .map(|(_, v)| v)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Name of the option holding a deliberately corrupt serialized value.
#[cfg(test)]
pub(crate) fn options_corrupt_name() -> &'static str {
    options::CORRUPT_OPTION
}
