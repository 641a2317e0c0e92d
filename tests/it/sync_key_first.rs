//! Every table's primary key is its first index in catalog order, as after `pg_dump | psql`:
//! PG4WP takes the first `pg_index` row it reads for a table as the table's key, so a copy whose
//! key comes second hands out id 0 for new users, terms and posts.

use wpstage::postgres::DbUrl;
use wpstage::sync::{SyncReport, sync};

use crate::support::{client, clusters, fresh_db, normalized_schema, wordpress_source};
use crate::sync_fidelity::options;

/// The tables of one blog of a multisite network, as PG4WP creates them (keys and indexes of
/// WordPress's schema.php; the options name is a UNIQUE constraint, as in some ports).
fn blog_schema(p: &str, rows: u32) -> String {
    format!(
        r#"
CREATE TABLE {p}posts ("ID" bigserial PRIMARY KEY, post_author bigint NOT NULL DEFAULT 0,
  post_date timestamp NOT NULL DEFAULT now(), post_content text NOT NULL, post_title text NOT NULL,
  post_status varchar(20) NOT NULL DEFAULT 'publish', post_name varchar(200) NOT NULL DEFAULT '',
  post_parent bigint NOT NULL DEFAULT 0, post_type varchar(20) NOT NULL DEFAULT 'post');
CREATE INDEX {p}posts_post_name ON {p}posts (post_name);
CREATE INDEX {p}posts_type_status_date ON {p}posts (post_type, post_status, post_date, "ID");
CREATE INDEX {p}posts_post_parent ON {p}posts (post_parent);
CREATE INDEX {p}posts_post_author ON {p}posts (post_author);
CREATE TABLE {p}postmeta (meta_id bigserial PRIMARY KEY, post_id bigint NOT NULL DEFAULT 0,
  meta_key varchar(255), meta_value text);
CREATE INDEX {p}postmeta_post_id ON {p}postmeta (post_id);
CREATE INDEX {p}postmeta_meta_key ON {p}postmeta (meta_key);
CREATE TABLE {p}comments ("comment_ID" bigserial PRIMARY KEY, "comment_post_ID" bigint NOT NULL DEFAULT 0,
  comment_author_email varchar(100) NOT NULL DEFAULT '', comment_date_gmt timestamp NOT NULL DEFAULT now(),
  comment_content text NOT NULL, comment_approved varchar(20) NOT NULL DEFAULT '1',
  comment_parent bigint NOT NULL DEFAULT 0);
CREATE INDEX {p}comments_comment_post_id ON {p}comments ("comment_post_ID");
CREATE INDEX {p}comments_comment_approved_date_gmt ON {p}comments (comment_approved, comment_date_gmt);
CREATE INDEX {p}comments_comment_date_gmt ON {p}comments (comment_date_gmt);
CREATE INDEX {p}comments_comment_parent ON {p}comments (comment_parent);
CREATE INDEX {p}comments_comment_author_email ON {p}comments (comment_author_email);
CREATE TABLE {p}commentmeta (meta_id bigserial PRIMARY KEY, comment_id bigint NOT NULL DEFAULT 0,
  meta_key varchar(255), meta_value text);
CREATE INDEX {p}commentmeta_comment_id ON {p}commentmeta (comment_id);
CREATE INDEX {p}commentmeta_meta_key ON {p}commentmeta (meta_key);
CREATE TABLE {p}terms (term_id bigserial PRIMARY KEY, name varchar(200) NOT NULL DEFAULT '',
  slug varchar(200) NOT NULL DEFAULT '', term_group bigint NOT NULL DEFAULT 0);
CREATE INDEX {p}terms_slug ON {p}terms (slug);
CREATE INDEX {p}terms_name ON {p}terms (name);
CREATE TABLE {p}term_taxonomy (term_taxonomy_id bigserial PRIMARY KEY, term_id bigint NOT NULL DEFAULT 0,
  taxonomy varchar(32) NOT NULL DEFAULT '', description text NOT NULL DEFAULT '', count bigint NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX {p}term_taxonomy_term_id_taxonomy ON {p}term_taxonomy (term_id, taxonomy);
CREATE INDEX {p}term_taxonomy_taxonomy ON {p}term_taxonomy (taxonomy);
CREATE TABLE {p}term_relationships (object_id bigint NOT NULL DEFAULT 0,
  term_taxonomy_id bigint NOT NULL DEFAULT 0, term_order integer NOT NULL DEFAULT 0,
  PRIMARY KEY (object_id, term_taxonomy_id));
CREATE INDEX {p}term_relationships_term_taxonomy_id ON {p}term_relationships (term_taxonomy_id);
CREATE TABLE {p}options (option_id bigserial PRIMARY KEY, option_name varchar(191) NOT NULL UNIQUE,
  option_value text NOT NULL, autoload varchar(20) NOT NULL DEFAULT 'yes');
CREATE INDEX {p}options_autoload ON {p}options (autoload);
INSERT INTO {p}posts (post_author, post_content, post_title, post_name, post_parent, post_type)
  SELECT 1 + g % 20, repeat('Lorem ipsum dolor sit amet. ', 1 + g % 40), 'Post ' || g, 'post-' || g,
         g % 7, (ARRAY['post', 'page', 'attachment', 'revision'])[1 + g % 4]
  FROM generate_series(1, {rows}) g;
INSERT INTO {p}postmeta (post_id, meta_key, meta_value)
  SELECT 1 + g % {rows}, '_meta_' || g % 30, md5(g::text) FROM generate_series(1, {rows} * 4) g;
INSERT INTO {p}comments ("comment_post_ID", comment_author_email, comment_content, comment_parent)
  SELECT 1 + g % {rows}, 'reader' || g % 97 || '@example.org', 'Nice post ' || g, g % 5
  FROM generate_series(1, {rows} / 2) g;
INSERT INTO {p}commentmeta (comment_id, meta_key, meta_value)
  SELECT 1 + g % ({rows} / 2), 'akismet_result', 'false' FROM generate_series(1, {rows} / 2) g;
INSERT INTO {p}terms (name, slug) SELECT 'Term ' || g, 'term-' || g FROM generate_series(1, 60) g;
INSERT INTO {p}term_taxonomy (term_id, taxonomy) SELECT g, CASE WHEN g % 3 = 0 THEN 'post_tag' ELSE 'category' END
  FROM generate_series(1, 60) g;
INSERT INTO {p}term_relationships (object_id, term_taxonomy_id)
  SELECT g, 1 + g % 60 FROM generate_series(1, {rows}) g;
INSERT INTO {p}options (option_name, option_value, autoload)
  SELECT 'option_' || g, repeat('v', g % 200), CASE WHEN g % 4 = 0 THEN 'no' ELSE 'yes' END
  FROM generate_series(1, 150) g;
"#
    )
}

/// The network's shared tables.
const NETWORK_SCHEMA: &str = r#"
CREATE TABLE wp_users ("ID" bigserial PRIMARY KEY, user_login varchar(60) NOT NULL DEFAULT '',
  user_nicename varchar(50) NOT NULL DEFAULT '', user_email varchar(100) NOT NULL DEFAULT '');
CREATE INDEX wp_users_user_login_key ON wp_users (user_login);
CREATE INDEX wp_users_user_nicename ON wp_users (user_nicename);
CREATE INDEX wp_users_user_email ON wp_users (user_email);
CREATE TABLE wp_usermeta (umeta_id bigserial PRIMARY KEY, user_id bigint NOT NULL DEFAULT 0,
  meta_key varchar(255), meta_value text);
CREATE INDEX wp_usermeta_user_id ON wp_usermeta (user_id);
CREATE INDEX wp_usermeta_meta_key ON wp_usermeta (meta_key);
CREATE TABLE wp_blogs (blog_id bigserial PRIMARY KEY, site_id bigint NOT NULL DEFAULT 0,
  domain varchar(200) NOT NULL DEFAULT '', path varchar(100) NOT NULL DEFAULT '', lang_id integer NOT NULL DEFAULT 0);
CREATE INDEX wp_blogs_domain ON wp_blogs (domain, path);
CREATE INDEX wp_blogs_lang_id ON wp_blogs (lang_id);
CREATE TABLE wp_sitemeta (meta_id bigserial PRIMARY KEY, site_id bigint NOT NULL DEFAULT 0,
  meta_key varchar(255), meta_value text);
CREATE INDEX wp_sitemeta_meta_key ON wp_sitemeta (meta_key);
CREATE INDEX wp_sitemeta_site_id ON wp_sitemeta (site_id);
INSERT INTO wp_users (user_login, user_nicename, user_email)
  SELECT 'user' || g, 'user-' || g, 'user' || g || '@example.org' FROM generate_series(1, 3000) g;
INSERT INTO wp_usermeta (user_id, meta_key, meta_value)
  SELECT 1 + g % 3000, 'wp_capabilities', 'a:1:{s:10:"subscriber";b:1;}' FROM generate_series(1, 12000) g;
INSERT INTO wp_blogs (site_id, domain, path) SELECT 1, 'www.client-site.example', '/' || g || '/'
  FROM generate_series(1, 9) g;
INSERT INTO wp_sitemeta (site_id, meta_key, meta_value) SELECT 1, 'site_' || g, 'v' FROM generate_series(1, 50) g;
"#;

/// A WordPress multisite network of nine blogs: 85 tables, each with a primary key and one to
/// five other indexes or constraints, of different sizes so that they finish copying at
/// different times.
async fn network_source() -> DbUrl {
    let source = fresh_db(&clusters().prod, "keyfirst_src").await;
    let mut sql = String::from(NETWORK_SCHEMA);
    for blog in 1..=9u32 {
        let prefix = if blog == 1 {
            "wp_".to_owned()
        } else {
            format!("wp_{blog}_")
        };
        sql.push_str(&blog_schema(&prefix, 400 * blog * blog));
    }
    client(&source).await.batch_execute(&sql).await.unwrap();
    source
}

/// The tables of `url` (with a primary key) whose key is not the first of their indexes: first
/// in physical order, lowest oid, and first as PG4WP reads them.
async fn key_not_first(url: &DbUrl) -> Vec<String> {
    let c = client(url).await;
    let rows = c
        .query(
            "SELECT c.oid::regclass::text, \
               (SELECT i.indisprimary FROM pg_index i WHERE i.indrelid = c.oid ORDER BY i.ctid LIMIT 1), \
               (SELECT i.indisprimary FROM pg_index i WHERE i.indrelid = c.oid \
                ORDER BY i.indexrelid LIMIT 1) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' AND n.nspname = 'public' \
               AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) \
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    assert!(rows.len() > 20, "only {} tables with a key", rows.len());
    let mut wrong = Vec::new();
    for row in rows {
        let table: String = row.get(0);
        let (physical, oid): (bool, bool) = (row.get(1), row.get(2));
        // PG4WP's get_primary_key_for_table(): the first row's column is taken as the key.
        let pg4wp: bool = c
            .query(
                &format!(
                    "SELECT a.attname, i.indisprimary FROM pg_index i \
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
                     WHERE i.indrelid = '{table}'::regclass"
                ),
                &[],
            )
            .await
            .unwrap()[0]
            .get(1);
        if !(physical && oid && pg4wp) {
            wrong.push(format!(
                "{table} (first by ctid: {physical}, lowest oid: {oid}, PG4WP: {pg4wp})"
            ));
        }
    }
    wrong
}

/// Syncs `source` into a fresh target `rounds` times with four workers; after each, every
/// table's key must come first. Returns each round's report.
async fn assert_keys_first(source: &DbUrl, name: &str, rounds: u32) -> Vec<(DbUrl, SyncReport)> {
    let mut done = Vec::new();
    for round in 1..=rounds {
        let target = fresh_db(&clusters().staging, name).await;
        let mut opts = options(source, &target);
        opts.jobs = 4;
        let report = sync(&opts, None).await.unwrap();
        let wrong = key_not_first(&target).await;
        assert!(
            wrong.is_empty(),
            "round {round}: {} tables have another index before their primary key: {wrong:#?}",
            wrong.len()
        );
        done.push((target, report));
    }
    done
}

#[tokio::test]
async fn every_tables_primary_key_is_its_first_index() {
    let source = network_source().await;
    assert_keys_first(&source, "keyfirst_dst", 4).await;
}

/// Plugin tables with indexes whose catalog rows differ much in size (expression and partial
/// indexes beside plain ones): one session building a table's indexes in order still puts some of
/// them on earlier catalog pages (about one table in five here), which the sync must mend.
async fn plugin_source() -> DbUrl {
    let source = fresh_db(&clusters().prod, "keyfirst_plugin_src").await;
    let mut sql = String::new();
    for t in 0..40 {
        let p = format!("wp_plugin{t}_entries");
        let columns: String = (0..8).map(|i| format!(", c{i} int, d{i} text")).collect();
        sql.push_str(&format!(
            "CREATE TABLE {p} (id bigserial PRIMARY KEY{columns});\n"
        ));
        for i in 0..8 {
            let index = match i % 4 {
                1 => {
                    let parts: Vec<String> = (0..=(t % 7) * 6)
                        .map(|k| format!("coalesce(d{i}, 'x{k}')"))
                        .collect();
                    format!("(({})) WHERE c{i} > {t}", parts.join(" || "))
                }
                3 => format!("(c{i}, d{i}, id)"),
                _ => format!("(c{i})"),
            };
            sql.push_str(&format!("CREATE INDEX ON {p} {index};\n"));
        }
        let values: Vec<String> = (0..8)
            .map(|i| format!("g % {}, md5(g::text)", i + 2))
            .collect();
        sql.push_str(&format!(
            "INSERT INTO {p} SELECT g, {} FROM generate_series(1, {}) g;\n",
            values.join(", "),
            50 + t * 37 % 400
        ));
    }
    client(&source).await.batch_execute(&sql).await.unwrap();
    source
}

#[tokio::test]
async fn keys_come_first_when_index_rows_differ_in_size() {
    let source = plugin_source().await;
    for (target, report) in assert_keys_first(&source, "keyfirst_plugin_dst", 2).await {
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        // Indexes built again are the same indexes.
        assert_eq!(normalized_schema(&source), normalized_schema(&target));
    }
}

#[tokio::test]
async fn a_generated_wordpress_sites_keys_come_first() {
    let source = wordpress_source().await;
    assert_keys_first(&source, "keyfirst_wp_dst", 2).await;
}
