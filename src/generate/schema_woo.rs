//! WooCommerce tables (HPOS order tables from OrdersTableDataStore, the
//! rest from WC_Install::get_schema), as PG4WP would create them.

use super::schema::{Index, TableDef};

const fn ix(key: &'static str, cols: &'static str) -> Index {
    Index {
        key,
        unique: false,
        cols,
    }
}
const fn ux(key: &'static str, cols: &'static str) -> Index {
    Index {
        key,
        unique: true,
        cols,
    }
}

const MONEY: &str = "numeric(26,8) NULL";

pub(crate) const WC_ORDERS: TableDef = TableDef {
    name: "wc_orders",
    columns: &[
        // Not auto-increment: HPOS ids come from placeholder posts.
        ("id", "bigint NOT NULL"),
        ("status", "varchar(20) NULL"),
        ("currency", "varchar(10) NULL"),
        ("type", "varchar(20) NULL"),
        ("tax_amount", MONEY),
        ("total_amount", MONEY),
        ("customer_id", "bigint NULL"),
        ("billing_email", "varchar(320) NULL"),
        ("date_created_gmt", "timestamp NULL"),
        ("date_updated_gmt", "timestamp NULL"),
        ("parent_order_id", "bigint NULL"),
        ("payment_method", "varchar(100) NULL"),
        ("payment_method_title", "text NULL"),
        ("transaction_id", "varchar(100) NULL"),
        ("ip_address", "varchar(100) NULL"),
        ("user_agent", "text NULL"),
        ("customer_note", "text NULL"),
    ],
    pk: "id",
    serial: None,
    indexes: &[
        ix("status", "status"),
        ix("date_created", "date_created_gmt"),
        ix("customer_id_billing_email", "customer_id, billing_email"),
        ix("billing_email", "billing_email"),
        ix("type_status_date", "type, status, date_created_gmt"),
        ix("parent_order_id", "parent_order_id"),
        ix("date_updated", "date_updated_gmt"),
    ],
};

pub(crate) const WC_ORDER_ADDRESSES: TableDef = TableDef {
    name: "wc_order_addresses",
    columns: &[
        ("id", "bigserial NOT NULL"),
        ("order_id", "bigint NOT NULL"),
        ("address_type", "varchar(20) NULL"),
        ("first_name", "text NULL"),
        ("last_name", "text NULL"),
        ("company", "text NULL"),
        ("address_1", "text NULL"),
        ("address_2", "text NULL"),
        ("city", "text NULL"),
        ("state", "text NULL"),
        ("postcode", "text NULL"),
        ("country", "text NULL"),
        ("email", "varchar(320) NULL"),
        ("phone", "varchar(100) NULL"),
    ],
    pk: "id",
    serial: Some("id"),
    indexes: &[
        ix("order_id", "order_id"),
        ux("address_type_order_id", "address_type, order_id"),
        ix("email", "email"),
        ix("phone", "phone"),
    ],
};

pub(crate) const WC_ORDER_OPERATIONAL_DATA: TableDef = TableDef {
    name: "wc_order_operational_data",
    columns: &[
        ("id", "bigserial NOT NULL"),
        ("order_id", "bigint NULL"),
        ("created_via", "varchar(100) NULL"),
        ("woocommerce_version", "varchar(20) NULL"),
        ("prices_include_tax", "smallint NULL"),
        ("coupon_usages_are_counted", "smallint NULL"),
        ("download_permission_granted", "smallint NULL"),
        ("cart_hash", "varchar(100) NULL"),
        ("new_order_email_sent", "smallint NULL"),
        ("order_key", "varchar(100) NULL"),
        ("order_stock_reduced", "smallint NULL"),
        ("date_paid_gmt", "timestamp NULL"),
        ("date_completed_gmt", "timestamp NULL"),
        ("shipping_tax_amount", MONEY),
        ("shipping_total_amount", MONEY),
        ("discount_tax_amount", MONEY),
        ("discount_total_amount", MONEY),
        ("recorded_sales", "smallint NULL"),
    ],
    pk: "id",
    serial: Some("id"),
    indexes: &[ux("order_id", "order_id"), ix("order_key", "order_key")],
};

pub(crate) const WC_ORDERS_META: TableDef = TableDef {
    name: "wc_orders_meta",
    columns: &[
        ("id", "bigserial NOT NULL"),
        ("order_id", "bigint NULL"),
        ("meta_key", "varchar(255)"),
        ("meta_value", "text NULL"),
    ],
    pk: "id",
    serial: Some("id"),
    // PG4WP drops the MySQL prefix lengths, so meta values must stay short.
    indexes: &[
        ix("meta_key_value", "meta_key, meta_value"),
        ix(
            "order_id_meta_key_meta_value",
            "order_id, meta_key, meta_value",
        ),
    ],
};

pub(crate) const WC_CUSTOMER_LOOKUP: TableDef = TableDef {
    name: "wc_customer_lookup",
    columns: &[
        ("customer_id", "bigserial NOT NULL"),
        ("user_id", "bigint DEFAULT NULL"),
        ("username", "varchar(60) NOT NULL DEFAULT ''"),
        ("first_name", "varchar(255) NOT NULL"),
        ("last_name", "varchar(255) NOT NULL"),
        ("email", "varchar(100) NULL DEFAULT NULL"),
        ("date_last_active", "timestamp NULL DEFAULT NULL"),
        ("date_registered", "timestamp NULL DEFAULT NULL"),
        ("country", "char(2) NOT NULL DEFAULT ''"),
        ("postcode", "varchar(20) NOT NULL DEFAULT ''"),
        ("city", "varchar(100) NOT NULL DEFAULT ''"),
        ("state", "varchar(100) NOT NULL DEFAULT ''"),
    ],
    pk: "customer_id",
    serial: Some("customer_id"),
    indexes: &[ux("user_id", "user_id"), ix("email", "email")],
};

pub(crate) const WC_SESSIONS: TableDef = TableDef {
    name: "woocommerce_sessions",
    columns: &[
        ("session_id", "bigserial NOT NULL"),
        ("session_key", "char(32) NOT NULL"),
        ("session_value", "text NOT NULL"),
        ("session_expiry", "bigint NOT NULL"),
    ],
    pk: "session_id",
    serial: Some("session_id"),
    indexes: &[ux("session_key", "session_key")],
};

pub(crate) const WC_API_KEYS: TableDef = TableDef {
    name: "woocommerce_api_keys",
    columns: &[
        ("key_id", "bigserial NOT NULL"),
        ("user_id", "bigint NOT NULL"),
        ("description", "varchar(200) NULL"),
        ("permissions", "varchar(10) NOT NULL"),
        ("consumer_key", "char(64) NOT NULL"),
        ("consumer_secret", "char(43) NOT NULL"),
        ("nonces", "text NULL"),
        ("truncated_key", "char(7) NOT NULL"),
        ("last_access", "timestamp NULL DEFAULT NULL"),
    ],
    pk: "key_id",
    serial: Some("key_id"),
    indexes: &[
        ix("consumer_key", "consumer_key"),
        ix("consumer_secret", "consumer_secret"),
    ],
};

pub(crate) const WC_PAYMENT_TOKENS: TableDef = TableDef {
    name: "woocommerce_payment_tokens",
    columns: &[
        ("token_id", "bigserial NOT NULL"),
        ("gateway_id", "varchar(200) NOT NULL"),
        ("token", "text NOT NULL"),
        ("user_id", "bigint NOT NULL DEFAULT 0"),
        ("type", "varchar(200) NOT NULL"),
        ("is_default", "smallint NOT NULL DEFAULT 0"),
    ],
    pk: "token_id",
    serial: Some("token_id"),
    indexes: &[ix("user_id", "user_id")],
};

pub(crate) const WC_PAYMENT_TOKENMETA: TableDef = TableDef {
    name: "woocommerce_payment_tokenmeta",
    columns: &[
        ("meta_id", "bigserial NOT NULL"),
        ("payment_token_id", "bigint NOT NULL"),
        ("meta_key", "varchar(255) NULL"),
        ("meta_value", "text NULL"),
    ],
    pk: "meta_id",
    serial: Some("meta_id"),
    indexes: &[
        ix("payment_token_id", "payment_token_id"),
        ix("meta_key", "meta_key"),
    ],
};

pub(crate) const WC_WEBHOOKS: TableDef = TableDef {
    name: "wc_webhooks",
    columns: &[
        ("webhook_id", "bigserial NOT NULL"),
        ("status", "varchar(200) NOT NULL"),
        ("name", "text NOT NULL"),
        ("user_id", "bigint NOT NULL"),
        ("delivery_url", "text NOT NULL"),
        ("secret", "text NOT NULL"),
        ("topic", "varchar(200) NOT NULL"),
        ("date_created", "timestamp NOT NULL"),
        ("date_created_gmt", "timestamp NOT NULL"),
        ("date_modified", "timestamp NOT NULL"),
        ("date_modified_gmt", "timestamp NOT NULL"),
        ("api_version", "smallint NOT NULL"),
        ("failure_count", "smallint NOT NULL DEFAULT 0"),
        ("pending_delivery", "smallint NOT NULL DEFAULT 0"),
    ],
    pk: "webhook_id",
    serial: Some("webhook_id"),
    indexes: &[ix("user_id", "user_id")],
};

pub(crate) const WC_DOWNLOAD_PERMISSIONS: TableDef = TableDef {
    name: "woocommerce_downloadable_product_permissions",
    columns: &[
        ("permission_id", "bigserial NOT NULL"),
        ("download_id", "varchar(36) NOT NULL"),
        ("product_id", "bigint NOT NULL"),
        ("order_id", "bigint NOT NULL DEFAULT 0"),
        ("order_key", "varchar(200) NOT NULL"),
        ("user_email", "varchar(200) NOT NULL"),
        ("user_id", "bigint NULL"),
        ("downloads_remaining", "varchar(9) NULL"),
        ("access_granted", "timestamp NOT NULL DEFAULT now()"),
        ("access_expires", "timestamp NULL DEFAULT NULL"),
        ("download_count", "bigint NOT NULL DEFAULT 0"),
    ],
    pk: "permission_id",
    serial: Some("permission_id"),
    indexes: &[
        ix(
            "download_order_key_product",
            "product_id, order_id, order_key, download_id",
        ),
        ix(
            "download_order_product",
            "download_id, order_id, product_id",
        ),
        ix("order_id", "order_id"),
        ix(
            "user_order_remaining_expires",
            "user_id, order_id, downloads_remaining, access_expires",
        ),
    ],
};

pub(crate) const WC_DOWNLOAD_LOG: TableDef = TableDef {
    name: "wc_download_log",
    columns: &[
        ("download_log_id", "bigserial NOT NULL"),
        // PG4WP quotes columns named like SQL types.
        ("\"timestamp\"", "timestamp NOT NULL"),
        ("permission_id", "bigint NOT NULL"),
        ("user_id", "bigint NULL"),
        ("user_ip_address", "varchar(100) NULL DEFAULT ''"),
    ],
    pk: "download_log_id",
    serial: Some("download_log_id"),
    indexes: &[
        ix("permission_id", "permission_id"),
        ix("timestamp", "\"timestamp\""),
    ],
};
