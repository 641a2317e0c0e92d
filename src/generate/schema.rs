//! Table definitions as PG4WP creates them from WordPress's schema.php and
//! WooCommerce's installer: bigserial ids, varchar widths kept, text for
//! *text, timestamp for datetime, smallint for tinyint, `"ID"`-style
//! identifiers quoted, everything else lower case.
//!
//! Primary keys are deferred: `CREATE TABLE` has none, and
//! `ALTER TABLE … ADD CONSTRAINT …_pkey PRIMARY KEY` is emitted with the
//! other indexes, so COPY loads into bare heaps (faster, pgcopydb-style).

pub(crate) struct Index {
    /// Key name from the MySQL schema; PG4WP names the index `<table>_<key>`.
    pub(crate) key: &'static str,
    pub(crate) unique: bool,
    pub(crate) cols: &'static str,
}

pub(crate) struct TableDef {
    /// Name without prefix.
    pub(crate) name: &'static str,
    /// (column as written in SQL, type + default)
    pub(crate) columns: &'static [(&'static str, &'static str)],
    pub(crate) pk: &'static str,
    /// Column owning the serial sequence, if any.
    pub(crate) serial: Option<&'static str>,
    pub(crate) indexes: &'static [Index],
}

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

const NOW: &str = "timestamp NOT NULL DEFAULT now()";
const GMT: &str = "timestamp NOT NULL DEFAULT timezone('gmt', now())";

macro_rules! meta_table {
    ($name:literal, $id:literal, $fk:literal) => {
        TableDef {
            name: $name,
            columns: &[
                ($id, "bigserial NOT NULL"),
                ($fk, "bigint NOT NULL DEFAULT 0"),
                ("meta_key", "varchar(255) DEFAULT NULL"),
                ("meta_value", "text"),
            ],
            pk: $id,
            serial: Some($id),
            indexes: &[ix($fk, $fk), ix("meta_key", "meta_key")],
        }
    };
}

pub(crate) const OPTIONS: TableDef = TableDef {
    name: "options",
    columns: &[
        ("option_id", "bigserial NOT NULL"),
        ("option_name", "varchar(191) NOT NULL DEFAULT ''"),
        ("option_value", "text NOT NULL"),
        ("autoload", "varchar(20) NOT NULL DEFAULT 'yes'"),
    ],
    pk: "option_id",
    serial: Some("option_id"),
    indexes: &[ux("option_name", "option_name"), ix("autoload", "autoload")],
};

pub(crate) const POSTS: TableDef = TableDef {
    name: "posts",
    columns: &[
        ("\"ID\"", "bigserial NOT NULL"),
        ("post_author", "bigint NOT NULL DEFAULT 0"),
        ("post_date", NOW),
        ("post_date_gmt", GMT),
        ("post_content", "text NOT NULL"),
        ("post_title", "text NOT NULL"),
        ("post_excerpt", "text NOT NULL"),
        ("post_status", "varchar(20) NOT NULL DEFAULT 'publish'"),
        ("comment_status", "varchar(20) NOT NULL DEFAULT 'open'"),
        ("ping_status", "varchar(20) NOT NULL DEFAULT 'open'"),
        ("post_password", "varchar(255) NOT NULL DEFAULT ''"),
        ("post_name", "varchar(200) NOT NULL DEFAULT ''"),
        ("to_ping", "text NOT NULL"),
        ("pinged", "text NOT NULL"),
        ("post_modified", NOW),
        ("post_modified_gmt", GMT),
        ("post_content_filtered", "text NOT NULL"),
        ("post_parent", "bigint NOT NULL DEFAULT 0"),
        ("guid", "varchar(255) NOT NULL DEFAULT ''"),
        ("menu_order", "int NOT NULL DEFAULT 0"),
        ("post_type", "varchar(20) NOT NULL DEFAULT 'post'"),
        ("post_mime_type", "varchar(100) NOT NULL DEFAULT ''"),
        ("comment_count", "bigint NOT NULL DEFAULT 0"),
    ],
    pk: "\"ID\"",
    serial: Some("ID"),
    indexes: &[
        ix("post_name", "post_name"),
        ix(
            "type_status_date",
            "post_type, post_status, post_date, \"ID\"",
        ),
        ix("post_parent", "post_parent"),
        ix("post_author", "post_author"),
    ],
};

pub(crate) const POSTMETA: TableDef = meta_table!("postmeta", "meta_id", "post_id");
pub(crate) const COMMENTMETA: TableDef = meta_table!("commentmeta", "meta_id", "comment_id");
pub(crate) const TERMMETA: TableDef = meta_table!("termmeta", "meta_id", "term_id");
pub(crate) const USERMETA: TableDef = meta_table!("usermeta", "umeta_id", "user_id");

pub(crate) const USERS: TableDef = TableDef {
    name: "users",
    columns: &[
        ("\"ID\"", "bigserial NOT NULL"),
        ("user_login", "varchar(60) NOT NULL DEFAULT ''"),
        ("user_pass", "varchar(255) NOT NULL DEFAULT ''"),
        ("user_nicename", "varchar(50) NOT NULL DEFAULT ''"),
        ("user_email", "varchar(100) NOT NULL DEFAULT ''"),
        ("user_url", "varchar(100) NOT NULL DEFAULT ''"),
        ("user_registered", NOW),
        ("user_activation_key", "varchar(255) NOT NULL DEFAULT ''"),
        ("user_status", "int NOT NULL DEFAULT 0"),
        ("display_name", "varchar(250) NOT NULL DEFAULT ''"),
    ],
    pk: "\"ID\"",
    serial: Some("ID"),
    // Not unique: WordPress enforces login/email uniqueness in PHP only.
    indexes: &[
        ix("user_login_key", "user_login"),
        ix("user_nicename", "user_nicename"),
        ix("user_email", "user_email"),
    ],
};

pub(crate) const COMMENTS: TableDef = TableDef {
    name: "comments",
    columns: &[
        ("\"comment_ID\"", "bigserial NOT NULL"),
        ("\"comment_post_ID\"", "bigint NOT NULL DEFAULT 0"),
        ("comment_author", "text NOT NULL"),
        ("comment_author_email", "varchar(100) NOT NULL DEFAULT ''"),
        ("comment_author_url", "varchar(200) NOT NULL DEFAULT ''"),
        // Written as comment_author_IP by WordPress; PG4WP leaves it unquoted.
        ("comment_author_ip", "varchar(100) NOT NULL DEFAULT ''"),
        ("comment_date", NOW),
        ("comment_date_gmt", GMT),
        ("comment_content", "text NOT NULL"),
        ("comment_karma", "int NOT NULL DEFAULT 0"),
        ("comment_approved", "varchar(20) NOT NULL DEFAULT '1'"),
        ("comment_agent", "varchar(255) NOT NULL DEFAULT ''"),
        ("comment_type", "varchar(20) NOT NULL DEFAULT 'comment'"),
        ("comment_parent", "bigint NOT NULL DEFAULT 0"),
        ("user_id", "bigint NOT NULL DEFAULT 0"),
    ],
    pk: "\"comment_ID\"",
    serial: Some("comment_ID"),
    indexes: &[
        ix("comment_post_ID", "\"comment_post_ID\""),
        ix(
            "comment_approved_date_gmt",
            "comment_approved, comment_date_gmt",
        ),
        ix("comment_date_gmt", "comment_date_gmt"),
        ix("comment_parent", "comment_parent"),
        ix("comment_author_email", "comment_author_email"),
    ],
};

pub(crate) const TERMS: TableDef = TableDef {
    name: "terms",
    columns: &[
        ("term_id", "bigserial NOT NULL"),
        ("name", "varchar(200) NOT NULL DEFAULT ''"),
        ("slug", "varchar(200) NOT NULL DEFAULT ''"),
        ("term_group", "bigint NOT NULL DEFAULT 0"),
    ],
    pk: "term_id",
    serial: Some("term_id"),
    indexes: &[ix("slug", "slug"), ix("name", "name")],
};

pub(crate) const TERM_TAXONOMY: TableDef = TableDef {
    name: "term_taxonomy",
    columns: &[
        ("term_taxonomy_id", "bigserial NOT NULL"),
        ("term_id", "bigint NOT NULL DEFAULT 0"),
        ("taxonomy", "varchar(32) NOT NULL DEFAULT ''"),
        ("description", "text NOT NULL"),
        ("parent", "bigint NOT NULL DEFAULT 0"),
        ("count", "bigint NOT NULL DEFAULT 0"),
    ],
    pk: "term_taxonomy_id",
    serial: Some("term_taxonomy_id"),
    indexes: &[
        ux("term_id_taxonomy", "term_id, taxonomy"),
        ix("taxonomy", "taxonomy"),
    ],
};

pub(crate) const TERM_RELATIONSHIPS: TableDef = TableDef {
    name: "term_relationships",
    columns: &[
        ("object_id", "bigint NOT NULL DEFAULT 0"),
        ("term_taxonomy_id", "bigint NOT NULL DEFAULT 0"),
        ("term_order", "int NOT NULL DEFAULT 0"),
    ],
    pk: "object_id, term_taxonomy_id",
    serial: None,
    indexes: &[ix("term_taxonomy_id", "term_taxonomy_id")],
};

pub(crate) const LINKS: TableDef = TableDef {
    name: "links",
    columns: &[
        ("link_id", "bigserial NOT NULL"),
        ("link_url", "varchar(255) NOT NULL DEFAULT ''"),
        ("link_name", "varchar(255) NOT NULL DEFAULT ''"),
        ("link_image", "varchar(255) NOT NULL DEFAULT ''"),
        ("link_target", "varchar(25) NOT NULL DEFAULT ''"),
        ("link_description", "varchar(255) NOT NULL DEFAULT ''"),
        ("link_visible", "varchar(20) NOT NULL DEFAULT 'Y'"),
        ("link_owner", "bigint NOT NULL DEFAULT 1"),
        ("link_rating", "int NOT NULL DEFAULT 0"),
        ("link_updated", NOW),
        ("link_rel", "varchar(255) NOT NULL DEFAULT ''"),
        ("link_notes", "text NOT NULL"),
        ("link_rss", "varchar(255) NOT NULL DEFAULT ''"),
    ],
    pk: "link_id",
    serial: Some("link_id"),
    indexes: &[ix("link_visible", "link_visible")],
};

pub(crate) const BLOGS: TableDef = TableDef {
    name: "blogs",
    columns: &[
        ("blog_id", "bigserial NOT NULL"),
        ("site_id", "bigint NOT NULL DEFAULT 0"),
        ("domain", "varchar(200) NOT NULL DEFAULT ''"),
        ("path", "varchar(100) NOT NULL DEFAULT ''"),
        ("registered", NOW),
        ("last_updated", NOW),
        ("public", "smallint NOT NULL DEFAULT 1"),
        ("archived", "smallint NOT NULL DEFAULT 0"),
        ("mature", "smallint NOT NULL DEFAULT 0"),
        ("spam", "smallint NOT NULL DEFAULT 0"),
        ("deleted", "smallint NOT NULL DEFAULT 0"),
        ("lang_id", "int NOT NULL DEFAULT 0"),
    ],
    pk: "blog_id",
    serial: Some("blog_id"),
    indexes: &[ix("domain", "domain, path"), ix("lang_id", "lang_id")],
};

pub(crate) const SITE: TableDef = TableDef {
    name: "site",
    columns: &[
        ("id", "bigserial NOT NULL"),
        ("domain", "varchar(200) NOT NULL DEFAULT ''"),
        ("path", "varchar(100) NOT NULL DEFAULT ''"),
    ],
    pk: "id",
    serial: Some("id"),
    indexes: &[ix("domain", "domain, path")],
};

pub(crate) const SIGNUPS: TableDef = TableDef {
    name: "signups",
    columns: &[
        ("signup_id", "bigserial NOT NULL"),
        ("domain", "varchar(200) NOT NULL DEFAULT ''"),
        ("path", "varchar(100) NOT NULL DEFAULT ''"),
        ("title", "text NOT NULL"),
        ("user_login", "varchar(60) NOT NULL DEFAULT ''"),
        ("user_email", "varchar(100) NOT NULL DEFAULT ''"),
        ("registered", NOW),
        ("activated", NOW),
        ("active", "smallint NOT NULL DEFAULT 0"),
        ("activation_key", "varchar(50) NOT NULL DEFAULT ''"),
        ("meta", "text"),
    ],
    pk: "signup_id",
    serial: Some("signup_id"),
    indexes: &[
        ix("activation_key", "activation_key"),
        ix("user_email", "user_email"),
        ix("user_login_email", "user_login, user_email"),
        ix("domain_path", "domain, path"),
    ],
};

pub(crate) const REGISTRATION_LOG: TableDef = TableDef {
    name: "registration_log",
    columns: &[
        ("\"ID\"", "bigserial NOT NULL"),
        ("email", "varchar(255) NOT NULL DEFAULT ''"),
        ("ip", "varchar(30) NOT NULL DEFAULT ''"),
        ("blog_id", "bigint NOT NULL DEFAULT 0"),
        ("date_registered", NOW),
    ],
    pk: "\"ID\"",
    serial: Some("ID"),
    indexes: &[ix("IP", "ip")],
};
