//! `generate --plugins`: tables of popular plugins with personal data (form entries,
//! subscribers, customers) and waste (logs, finished actions, visitor records), sized from the
//! requested database size, written server-side with `generate_series` (deterministic: every
//! value derives from the row number).
//!
//! Waste is about 30 % of the requested size; personal-data tables about 10 %.

/// Bytes of filler per waste row (log messages, mail bodies, visitor records).
const WASTE_ROW_BYTES: u64 = 1_000;
/// Bytes per form entry with its values.
const ENTRY_BYTES: u64 = 1_200;

fn ddl(p: &str) -> String {
    format!(
        "CREATE TABLE {p}gf_entry (id bigserial PRIMARY KEY, form_id integer NOT NULL, date_created timestamp NOT NULL,
           ip varchar(45) NOT NULL, source_url varchar(200) NOT NULL, user_agent varchar(250) NOT NULL,
           status varchar(20) NOT NULL DEFAULT 'active');
         CREATE TABLE {p}gf_entry_meta (id bigserial PRIMARY KEY, form_id integer NOT NULL, entry_id bigint NOT NULL,
           meta_key varchar(255), meta_value text, item_index varchar(60));
         CREATE TABLE {p}wpforms_entries (entry_id bigserial PRIMARY KEY, form_id bigint NOT NULL, fields text NOT NULL,
           date timestamp NOT NULL, ip_address varchar(128) NOT NULL, user_agent varchar(256) NOT NULL);
         CREATE TABLE {p}e_submissions_values (id bigserial PRIMARY KEY, submission_id bigint NOT NULL, key varchar(60), value text);
         CREATE TABLE {p}mailpoet_subscribers (id serial PRIMARY KEY, first_name varchar(255) NOT NULL DEFAULT '',
           last_name varchar(255) NOT NULL DEFAULT '', email varchar(150) NOT NULL UNIQUE, status varchar(12) NOT NULL,
           subscribed_ip varchar(45), confirmed_ip varchar(45));
         CREATE TABLE {p}edd_customers (id bigserial PRIMARY KEY, email varchar(100) NOT NULL, name varchar(255) NOT NULL);
         CREATE TABLE {p}edd_orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL, email varchar(100) NOT NULL,
           ip varchar(60) NOT NULL, total numeric(18,9) NOT NULL);
         CREATE TABLE {p}learndash_pro_quiz_toplist (toplist_id serial, quiz_id integer NOT NULL, name varchar(30) NOT NULL,
           email varchar(200) NOT NULL, ip varchar(100) NOT NULL, PRIMARY KEY (toplist_id, quiz_id));
         CREATE TABLE {p}yoast_indexable (id serial PRIMARY KEY, permalink text, permalink_hash varchar(40),
           object_id bigint, object_type varchar(32) NOT NULL);
         CREATE TABLE {p}actionscheduler_actions (action_id bigserial PRIMARY KEY, hook varchar(191) NOT NULL,
           status varchar(20) NOT NULL, args varchar(191));
         CREATE TABLE {p}actionscheduler_logs (log_id bigserial PRIMARY KEY, action_id bigint NOT NULL, message text NOT NULL);
         CREATE TABLE {p}wpml_mails (mail_id serial PRIMARY KEY, receiver varchar(200) NOT NULL, subject varchar(200) NOT NULL,
           message text);
         CREATE TABLE {p}statistics_visitor (id bigserial PRIMARY KEY, last_counter date NOT NULL, agent varchar(180) NOT NULL,
           ip varchar(60) NOT NULL, referred text NOT NULL);
         CREATE TABLE {p}wfhits (id serial PRIMARY KEY, ip bytea, url text, referer text, ua text)"
    )
}

/// SQL expressions of the personal values of row `g`.
const EMAIL: &str = "'person' || g || '@mail' || (g % 89) || '.example'";
const IP: &str = "'81.' || (g % 200 + 2) || '.' || (g / 200 % 250) || '.' || (g % 250 + 3)";
const PHONE: &str = "'+44 7700 9' || lpad((g % 100000)::text, 5, '0')";
const FIRST: &str =
    "(ARRAY['Philippa','Bartholomew','Ottoline','Leopold','Wilhelmina','Hyacinth'])[g % 6 + 1]";
const LAST: &str =
    "(ARRAY['Wetherall','Quenby','Fairbrother','Stanbridge','Thorncroft','Pelham'])[g % 6 + 1]";

/// The statements that add plugin tables to a generated site of `target_bytes`.
pub fn sql(prefix: &str, site_url: &str, target_bytes: u64) -> String {
    let p = prefix;
    let entries = (target_bytes / 10 / ENTRY_BYTES).max(20);
    let waste = (target_bytes * 3 / 10 / WASTE_ROW_BYTES).max(50);
    let site = site_url.replace('\'', "''");
    let mut s = ddl(p);
    s.push_str(&format!(
        ";
INSERT INTO {p}gf_entry (form_id, date_created, ip, source_url, user_agent)
  SELECT 1, '2024-01-01'::timestamp + g * interval '1 minute', {IP}, '{site}/contact/', 'Mozilla/5.0 (X11) Firefox/' || g % 30
  FROM generate_series(1, {entries}) g;
INSERT INTO {p}gf_entry_meta (form_id, entry_id, meta_key, meta_value)
  SELECT 1, g, k, CASE k WHEN '1.3' THEN {FIRST} WHEN '1.6' THEN {LAST} WHEN '2' THEN {EMAIL} WHEN '3' THEN {PHONE}
    ELSE repeat('I would like a quote for the garden project. ', 6) END
  FROM generate_series(1, {entries}) g, unnest(ARRAY['1.3','1.6','2','3','4']) k;
INSERT INTO {p}wpforms_entries (form_id, fields, date, ip_address, user_agent)
  SELECT 2, json_build_object('0', json_build_object('name','Name','value',{FIRST} || ' ' || {LAST},'type','name'),
    '1', json_build_object('name','Email','value',{EMAIL},'type','email'),
    '2', json_build_object('name','Phone','value',{PHONE},'type','phone'))::text,
    '2024-01-01', {IP}, 'Mozilla/5.0 Safari/605'
  FROM generate_series(1, {entries} / 2) g;
INSERT INTO {p}e_submissions_values (submission_id, key, value)
  SELECT g, k, CASE k WHEN 'name' THEN {FIRST} WHEN 'email' THEN {EMAIL} ELSE {PHONE} END
  FROM generate_series(1, {entries} / 2) g, unnest(ARRAY['name','email','field_3a']) k;
INSERT INTO {p}mailpoet_subscribers (first_name, last_name, email, status, subscribed_ip, confirmed_ip)
  SELECT {FIRST}, {LAST}, 'sub' || {EMAIL}, 'subscribed', {IP}, {IP} FROM generate_series(1, {entries}) g;
INSERT INTO {p}edd_customers (email, name) SELECT 'edd' || {EMAIL}, {FIRST} || ' ' || {LAST} FROM generate_series(1, {entries} / 4) g;
INSERT INTO {p}edd_orders (customer_id, email, ip, total) SELECT g / 2 + 1, 'edd' || {EMAIL}, {IP}, 19 FROM generate_series(1, {entries} / 2) g;
INSERT INTO {p}learndash_pro_quiz_toplist (quiz_id, name, email, ip)
  SELECT 1, left({FIRST} || ' ' || {LAST}, 30), 'quiz' || {EMAIL}, {IP} FROM generate_series(1, {entries} / 10) g;
INSERT INTO {p}yoast_indexable (permalink, permalink_hash, object_id, object_type)
  SELECT '{site}/?p=' || g, md5(g::text), g, 'post' FROM generate_series(1, {entries} / 4) g;
INSERT INTO {p}actionscheduler_actions (hook, status)
  SELECT 'woocommerce_cleanup_draft_orders', (ARRAY['complete','complete','complete','failed','canceled','pending'])[g % 6 + 1]
  FROM generate_series(1, {waste} / 4) g;
INSERT INTO {p}actionscheduler_logs (action_id, message)
  SELECT g, repeat('action started via WP Cron; action complete via WP Cron. ', 17) FROM generate_series(1, {waste} / 4) g;
INSERT INTO {p}wpml_mails (receiver, subject, message)
  SELECT {EMAIL}, 'Your order', repeat('Thank you for your order. ', 38) FROM generate_series(1, {waste} / 4) g;
INSERT INTO {p}statistics_visitor (last_counter, agent, ip, referred)
  SELECT '2024-01-01', 'Chrome', {IP}, '{site}/' || repeat('landing-page/', 70) FROM generate_series(1, {waste} / 4) g;
INSERT INTO {p}wfhits (ip, url, referer, ua)
  SELECT decode(md5(g::text), 'hex'), '{site}/wp-login.php', '{site}/', repeat('Mozilla/5.0 bot ', 55)
  FROM generate_series(1, {waste} / 4) g"
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_requested_bytes() {
        let small = sql("wp_", "https://a.example", 10 << 20);
        let large = sql("wp_", "https://a.example", 1 << 30);
        assert!(small.contains("generate_series(1, 873)"), "{small}");
        assert!(large.contains("generate_series(1, 89478)"));
        assert!(small.contains("CREATE TABLE wp_gf_entry "));
    }
}
