//! The copy is faithful: schema, data and sequences equal the source's.

use std::time::Duration;

use wpstage::sync::{Mode, SyncOptions, sync};

use crate::support::{client, clusters, fresh_db, normalized_schema, table_digests};

/// A schema with the awkward parts: mixed-case names, escapes, NULLs, bytea, arrays, json,
/// enums, domains, generated columns, partitions, foreign keys, triggers, views, sequences.
pub const TRICKY_SCHEMA: &str = r#"
CREATE SCHEMA shop;
CREATE TYPE shop.status AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN shop.positive AS numeric CHECK (VALUE > 0);
CREATE TABLE public."WeirdCase" ("ID" bigserial PRIMARY KEY, "Value" text, tags text[], doc jsonb);
CREATE TABLE public.blobs (id serial PRIMARY KEY, data bytea, note varchar(20));
CREATE TABLE public.nokey (a int, b text);
CREATE TABLE shop.users (id bigserial PRIMARY KEY, email varchar(100) UNIQUE NOT NULL, created timestamptz DEFAULT now());
CREATE TABLE shop.orders (id bigserial PRIMARY KEY, user_id bigint REFERENCES shop.users(id),
  status shop.status NOT NULL DEFAULT 'new', total shop.positive, net numeric GENERATED ALWAYS AS (total / 1.19) STORED);
CREATE INDEX orders_status ON shop.orders (status);
CREATE TABLE shop.events (id bigint NOT NULL, at date NOT NULL, what text) PARTITION BY RANGE (at);
CREATE TABLE shop.events_2025 PARTITION OF shop.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE shop.audit (id bigserial PRIMARY KEY, msg text);
CREATE FUNCTION shop.audit_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO shop.audit (msg) VALUES ('order ' || NEW.id); RETURN NEW; END $$;
CREATE TRIGGER orders_audit AFTER INSERT ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.audit_order();
CREATE VIEW shop.paid AS SELECT id, total FROM shop.orders WHERE status = 'paid';
CREATE SEQUENCE public.counter START 100;
INSERT INTO public."WeirdCase" ("Value", tags, doc)
  SELECT CASE WHEN g % 7 = 0 THEN NULL ELSE E'tab\there\nnewline \\ back ' || g || ' äöü 日本 🎉' END,
         ARRAY['a', 'b"c', NULL], jsonb_build_object('url', 'https:\/\/x.example\/' || g, 'n', g)
  FROM generate_series(1, 3000) g;
INSERT INTO public.blobs (data, note) SELECT decode(md5(g::text), 'hex'), 'n' || g FROM generate_series(1, 500) g;
INSERT INTO public.nokey SELECT g, repeat('x', g % 50) FROM generate_series(1, 2000) g;
INSERT INTO shop.users (email) SELECT 'user' || g || '@example.org' FROM generate_series(1, 200) g;
INSERT INTO shop.orders (user_id, status, total)
  SELECT 1 + g % 200, (ARRAY['new','paid','shipped']::shop.status[])[1 + g % 3], 10 + g FROM generate_series(1, 1000) g;
INSERT INTO shop.events SELECT g, date '2025-06-01' + g, 'e' || g FROM generate_series(1, 400) g;
SELECT nextval('public.counter') FROM generate_series(1, 5);
DELETE FROM public."WeirdCase" WHERE "ID" % 10 = 3;
"#;

pub fn options(
    source: &wpstage::postgres::DbUrl,
    target: &wpstage::postgres::DbUrl,
) -> SyncOptions {
    SyncOptions {
        source: source.clone(),
        target: target.clone(),
        jobs: 2,
        pg_dump: None,
        progress_every: Duration::ZERO,
        split_larger_than: 64 << 20,
        dry_run: false,
        // Fidelity means every row: the default exclusions are tested in waste.rs.
        waste: wpstage::transform::waste::WastePolicy {
            copy_all: true,
            skip_revisions: false,
        },
    }
}

async fn sequence_values(url: &wpstage::postgres::DbUrl) -> Vec<(String, Option<i64>)> {
    let c = client(url).await;
    c.query(
        "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences ORDER BY 1",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

async fn assert_same(source: &wpstage::postgres::DbUrl, target: &wpstage::postgres::DbUrl) {
    assert_eq!(
        normalized_schema(source),
        normalized_schema(target),
        "schema differs"
    );
    assert_eq!(
        table_digests(source).await,
        table_digests(target).await,
        "data differs"
    );
    assert_eq!(
        sequence_values(source).await,
        sequence_values(target).await,
        "sequences differ"
    );
}

#[tokio::test]
async fn an_empty_target_gets_an_identical_copy() {
    let c = clusters();
    let source = fresh_db(&c.prod, "fid_src").await;
    client(&source)
        .await
        .batch_execute(TRICKY_SCHEMA)
        .await
        .unwrap();
    let target = fresh_db(&c.staging, "fid_dst").await;
    let report = sync(&options(&source, &target), None).await.unwrap();
    assert_eq!(report.mode, Mode::InPlace);
    assert_same(&source, &target).await;
    let weird = report
        .tables
        .iter()
        .find(|t| t.table == "public.WeirdCase")
        .unwrap();
    assert_eq!(weird.rows, 2700);
    assert_eq!(report.sequences, 6);
    let phases: Vec<&str> = report.phases.iter().map(|p| p.phase.as_str()).collect();
    assert!(
        phases.contains(&"data+indexes") && phases.contains(&"post-data"),
        "{phases:?}"
    );
    // The trigger was created after the data, so copying did not fire it a second time.
    let audit = report
        .tables
        .iter()
        .find(|t| t.table == "shop.audit")
        .unwrap();
    assert_eq!(audit.rows, 1000);
}

#[tokio::test]
async fn a_large_table_is_split_into_slices_and_still_equal() {
    let c = clusters();
    let source = fresh_db(&c.prod, "split_src").await;
    client(&source)
        .await
        .batch_execute(TRICKY_SCHEMA)
        .await
        .unwrap();
    client(&source)
        .await
        .batch_execute(
            "INSERT INTO public.nokey SELECT g, repeat('y', 200) FROM generate_series(1, 40000) g;
             INSERT INTO public.\"WeirdCase\" (\"Value\") SELECT repeat('z', 300) FROM generate_series(1, 40000);",
        )
        .await
        .unwrap();
    let target = fresh_db(&c.staging, "split_dst").await;
    let mut opts = options(&source, &target);
    opts.jobs = 3;
    opts.split_larger_than = 1 << 20;
    let report = sync(&opts, None).await.unwrap();
    let weird = report
        .tables
        .iter()
        .find(|t| t.table == "public.WeirdCase")
        .unwrap();
    assert!(
        weird.parts > 1,
        "the largest table (integer key) was not split: {weird:?}"
    );
    let nokey = report
        .tables
        .iter()
        .find(|t| t.table == "public.nokey")
        .unwrap();
    assert!(
        nokey.parts > 1,
        "the keyless table was not split by pages: {nokey:?}"
    );
    assert_same(&source, &target).await;
}

#[tokio::test]
async fn a_target_with_tables_is_replaced_by_an_atomic_swap() {
    let c = clusters();
    let source = fresh_db(&c.prod, "swap_src").await;
    client(&source)
        .await
        .batch_execute(TRICKY_SCHEMA)
        .await
        .unwrap();
    let target = fresh_db(&c.staging, "swap_dst").await;
    client(&target)
        .await
        .batch_execute("CREATE TABLE old_stuff (id int); INSERT INTO old_stuff VALUES (1)")
        .await
        .unwrap();
    let props = format!(
        "COMMENT ON DATABASE {db} IS 'owned by the agency'; ALTER DATABASE {db} SET work_mem = '7MB'; \
         ALTER DATABASE {db} SET search_path = \"$user\", public, shop",
        db = target.dbname()
    );
    client(&target).await.batch_execute(&props).await.unwrap();
    // A session using the old target (the WordPress app) does not block the swap.
    let app = client(&target).await;
    let report = sync(&options(&source, &target), None).await.unwrap();
    assert_eq!(report.mode, Mode::Swapped);
    assert!(report.phases.iter().any(|p| p.phase == "swap"));
    assert_same(&source, &target).await;
    assert!(
        app.query("SELECT 1", &[]).await.is_err(),
        "the old session should have been ended"
    );
    let admin = client(&c.staging.url("postgres")).await;
    // This target's own helpers only: other tests make theirs on the same cluster meanwhile.
    let helpers = wpstage::sync::helpers::helper_names(target.dbname()).to_vec();
    let leftovers = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname = ANY($1)",
            &[&helpers],
        )
        .await
        .unwrap();
    assert!(leftovers.is_empty(), "side databases left behind");
    let carried = admin
        .query_one(
            "SELECT shobj_description(d.oid, 'pg_database'), s.setconfig FROM pg_database d \
             LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 WHERE d.datname = $1",
            &[&target.dbname()],
        )
        .await
        .unwrap();
    assert_eq!(
        carried.get::<_, Option<String>>(0).as_deref(),
        Some("owned by the agency")
    );
    assert_eq!(
        carried.get::<_, Option<Vec<String>>>(1),
        Some(vec![
            "work_mem=7MB".to_owned(),
            "search_path=\"$user\", public, shop".to_owned()
        ])
    );
    // Rerunning is idempotent.
    let again = sync(&options(&source, &target), None).await.unwrap();
    assert_eq!(again.mode, Mode::Swapped);
    assert_same(&source, &target).await;
}

#[tokio::test]
async fn the_cli_prints_a_json_report() {
    let c = clusters();
    let source = fresh_db(&c.prod, "json_src").await;
    client(&source)
        .await
        .batch_execute(TRICKY_SCHEMA)
        .await
        .unwrap();
    let target = fresh_db(&c.staging, "json_dst").await;
    let (code, stdout, stderr) = crate::support::run_cli(
        &[
            "sync",
            "--report",
            "json",
            "--jobs",
            "2",
            "--progress-interval",
            "1",
        ],
        &[
            ("WPSTAGE_SOURCE_URL", source.expose()),
            ("WPSTAGE_TARGET_URL", target.expose()),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["mode"], "in_place");
    assert!(
        report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["table"] == "shop.orders" && t["rows"] == 1000)
    );
    assert!(report["phases"].as_array().unwrap().len() >= 5);
    // The transform report keeps the keys users read (`transform::run_report` pins them all).
    let transform = &report["transform"];
    for key in [
        "anonymize",
        "random_key",
        "url_rewrites",
        "totals",
        "uncovered_pii_columns",
        "names_may_remain",
        "tables",
    ] {
        assert!(transform.get(key).is_some(), "no {key:?} in {transform}");
    }
    for key in ["rows_seen", "url_replacements", "anonymized_values"] {
        assert!(
            transform["totals"][key].is_u64(),
            "no {key:?} in {transform}"
        );
    }
    for secret in [source.password().unwrap(), target.password().unwrap()] {
        assert!(
            !stdout.contains(&secret) && !stderr.contains(&secret),
            "password leaked"
        );
    }
}
