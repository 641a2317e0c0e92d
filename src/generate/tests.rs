//! Whole-plan tests: determinism, COPY framing, serialized values, PII
//! coverage, URL forms and sizing.

use super::serialize::check;
use super::tables::options_corrupt_name;
use super::*;
use crate::transform::copy_codec::decode_row;
use std::collections::{BTreeMap, BTreeSet};

pub(crate) const HOST: &str = "www.example-shop.de";

pub(crate) fn spec(seed: u64, target: u64) -> GenerateSpec {
    GenerateSpec {
        target_bytes: target,
        site_url: format!("https://{HOST}/"),
        seed,
        table_prefix: "wp_".into(),
    }
}

pub(crate) type Table = (Vec<String>, Vec<Vec<Option<String>>>);

pub(crate) fn dump_raw(plan: &Plan, chunk: usize) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for mut job in plan.tables() {
        let mut all = Vec::new();
        let mut buf = Vec::new();
        while job.fill(&mut buf, chunk) {
            all.extend_from_slice(&buf);
            buf.clear();
        }
        assert!(buf.is_empty());
        out.insert(job.table.clone(), all);
    }
    out
}

/// Decoded tables keyed by name without prefix: (column names, rows).
pub(crate) fn dump(plan: &Plan) -> BTreeMap<String, Table> {
    let cols: BTreeMap<String, String> = plan
        .tables()
        .into_iter()
        .map(|j| (j.table, j.columns))
        .collect();
    dump_raw(plan, 1 << 16)
        .into_iter()
        .map(|(t, bytes)| {
            let names: Vec<String> = cols[&t]
                .split(", ")
                .map(|c| c.trim_matches('"').to_string())
                .collect();
            let rows = bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| {
                    let r: Vec<Option<String>> = decode_row(&[l, b"\n"].concat())
                        .expect("valid COPY row")
                        .into_iter()
                        .map(|f| f.map(|v| String::from_utf8(v).expect("utf8")))
                        .collect();
                    assert_eq!(
                        r.len(),
                        names.len(),
                        "{t}: field count of {:?}",
                        String::from_utf8_lossy(l)
                    );
                    r
                })
                .collect();
            (t.trim_start_matches("wp_").to_string(), (names, rows))
        })
        .collect()
}

pub(crate) fn column<'a>(
    db: &'a BTreeMap<String, Table>,
    table: &str,
    col: &str,
) -> Vec<Option<&'a str>> {
    let (names, rows) = &db[table];
    let i = names
        .iter()
        .position(|n| n == col)
        .unwrap_or_else(|| panic!("{table}.{col} missing"));
    rows.iter().map(|r| r[i].as_deref()).collect()
}

/// meta_key → values for a key/value table.
pub(crate) fn meta<'a>(
    db: &'a BTreeMap<String, Table>,
    table: &str,
    key_col: &str,
    val_col: &str,
) -> BTreeMap<&'a str, Vec<Option<&'a str>>> {
    let mut m: BTreeMap<&str, Vec<Option<&str>>> = BTreeMap::new();
    for (k, v) in column(db, table, key_col)
        .into_iter()
        .zip(column(db, table, val_col))
    {
        m.entry(k.unwrap_or("")).or_default().push(v);
    }
    m
}

pub(crate) fn looks_serialized(v: &str) -> bool {
    v == "N;"
        || (v.len() > 3
            && matches!(
                &v.as_bytes()[..2],
                b"a:" | b"O:" | b"s:" | b"i:" | b"b:" | b"d:"
            ))
}

/// Every value of every key/value column that looks serialized, with nested
/// serialized strings unwrapped too. Excludes the deliberately corrupt option.
pub(crate) fn serialized_values(db: &BTreeMap<String, Table>) -> Vec<String> {
    let places = [
        ("options", "option_value"),
        ("postmeta", "meta_value"),
        ("usermeta", "meta_value"),
        ("commentmeta", "meta_value"),
        ("termmeta", "meta_value"),
        ("wc_orders_meta", "meta_value"),
        ("woocommerce_sessions", "session_value"),
        ("woocommerce_api_keys", "nonces"),
        ("signups", "meta"),
    ];
    let corrupt = options_corrupt_name();
    let names = column(db, "options", "option_name");
    let mut out = Vec::new();
    for (t, c) in places {
        for (i, v) in column(db, t, c).into_iter().enumerate() {
            let Some(v) = v else { continue };
            if t == "options" && names[i] == Some(corrupt) {
                continue;
            }
            if looks_serialized(v) {
                out.push(v.to_string());
            }
        }
    }
    // Unwrap nested serialized strings: s:N:"<serialized>"; and strings inside arrays.
    let mut i = 0;
    while i < out.len() {
        let v = out[i].clone();
        for inner in inner_strings(&v) {
            if looks_serialized(&inner) {
                out.push(inner);
            }
        }
        i += 1;
    }
    out
}

/// All `s:N:"..."` payloads of a valid serialized value (byte-exact).
fn inner_strings(v: &str) -> Vec<String> {
    let b = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 < b.len() {
        if b[i] == b's' && b[i + 1] == b':' && (i == 0 || matches!(b[i - 1], b';' | b'{' | b'}')) {
            let start = i + 2;
            let mut j = start;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if let Ok(n) = v[start..j].parse::<usize>()
                && j + 2 + n <= b.len()
                && b[j] == b':'
                && let Some(s) = v.get(j + 2..j + 2 + n)
            {
                out.push(s.to_string());
                i = j + 2 + n;
                continue;
            }
        }
        i += 1;
    }
    out
}

#[test]
fn same_spec_same_bytes_other_seed_other_bytes() {
    let a = dump_raw(&Plan::new(&spec(7, 12_000_000)).expect("plan"), 1 << 20);
    let b = dump_raw(&Plan::new(&spec(7, 12_000_000)).expect("plan"), 1);
    assert_eq!(a, b, "chunk size must not change output");
    let c = dump_raw(&Plan::new(&spec(8, 12_000_000)).expect("plan"), 1 << 20);
    assert_ne!(a["wp_posts"], c["wp_posts"]);
    assert_ne!(a["wp_users"], c["wp_users"]);
}

#[test]
fn fill_contract() {
    let plan = Plan::new(&spec(1, 10_000_000)).expect("plan");
    for mut job in plan.tables() {
        let mut buf = Vec::new();
        while job.fill(&mut buf, 4096) {
            assert!(
                buf.is_empty() || buf.ends_with(b"\n"),
                "rows are never split"
            );
            buf.clear();
        }
        assert!(buf.is_empty());
        assert!(!job.fill(&mut buf, 4096));
        assert!(buf.is_empty());
    }
}

#[test]
fn rejects_bad_specs_with_guidance() {
    let mut s = spec(1, 1_000);
    let e = Plan::new(&s).expect_err("too small");
    assert!(e.to_string().contains("choose between"));
    s.target_bytes = 6 * 1024 * 1024 * 1024;
    assert!(matches!(
        Plan::new(&s),
        Err(GenerateError::SizeOutOfRange { .. })
    ));
    s.target_bytes = 20_000_000;
    for bad in [
        "ftp://x.de",
        "https://",
        "https://exa mple.de",
        "https://x.de/?a=1",
        "x.de",
    ] {
        s.site_url = bad.into();
        assert!(
            matches!(Plan::new(&s), Err(GenerateError::BadSiteUrl { .. })),
            "{bad}"
        );
    }
    s.site_url = "http://shop.example.org:8080/blog/".into();
    assert_eq!(
        Plan::new(&s).expect("ok").site_base(),
        "http://shop.example.org:8080/blog"
    );
    s.table_prefix = "WP-".into();
    assert!(matches!(
        Plan::new(&s),
        Err(GenerateError::BadPrefix { .. })
    ));
}

#[test]
fn every_serialized_value_has_correct_byte_lengths() {
    let db = dump(&Plan::new(&spec(3, 12_000_000)).expect("plan"));
    let vals = serialized_values(&db);
    assert!(vals.len() > 300, "only {} serialized values", vals.len());
    for v in &vals {
        if let Err(e) = check(v.as_bytes()) {
            panic!("{e}: {v}");
        }
    }
    let all = vals.join("\n");
    for shape in [
        "O:8:\"stdClass\"",
        "O:8:\"WP_Theme\"",
        "O:23:\"WC_Stripe_Account_Cache\"",
        "R:2;",
        "r:5;",
        "d:0.5;",
        "N;",
        "b:1;",
        "b:0;",
        "i:-1;",
        "s:13:\"administrator\";b:1;",
        "\\/\\/",
    ] {
        assert!(all.contains(shape), "no serialized value contains {shape}");
    }
    // Top-level scalars that a `^[aiO]:` fast path would miss.
    for top in ["b:1;", "d:0.5;", "N;", "i:42;"] {
        assert!(vals.iter().any(|v| v == top), "{top}");
    }
    assert!(
        vals.iter()
            .any(|v| v.starts_with("s:") && v.contains("a:2:{")),
        "nested serialized string"
    );
    let corrupt = column(&db, "options", "option_value")
        .into_iter()
        .zip(column(&db, "options", "option_name"))
        .find(|(_, n)| *n == Some(options_corrupt_name()))
        .and_then(|(v, _)| v)
        .expect("corrupt option");
    assert!(check(corrupt.as_bytes()).is_err());
}

#[test]
fn copy_text_escapes_survive_round_trip() {
    let plan = Plan::new(&spec(5, 10_000_000)).expect("plan");
    let raw = dump_raw(&plan, 1 << 20);
    let posts = &raw["wp_posts"];
    assert!(
        posts.windows(2).any(|w| w == b"\\n"),
        "escaped newlines in post_content"
    );
    let db = dump(&plan);
    let comments = column(&db, "comments", "comment_content");
    assert!(
        comments
            .iter()
            .flatten()
            .any(|c| c.contains('\t') && c.contains("\r\n"))
    );
    assert!(
        comments
            .iter()
            .flatten()
            .any(|c| c.contains("C:\\Users\\") && c.contains("\";"))
    );
    let options = column(&db, "options", "option_value");
    assert!(
        options.iter().flatten().any(|v| v.contains("C:\\Brot\\\t")),
        "backslash + tab inside serialized"
    );
    assert!(options.contains(&Some("")), "empty string");
    assert!(
        column(&db, "postmeta", "meta_value")
            .iter()
            .any(|v| v.is_none()),
        "NULL meta_value"
    );
    let mixed = meta(&db, "postmeta", "meta_key", "meta_value");
    let m = mixed["_imported_notes"][0].expect("mixed");
    assert!(m.starts_with("Imported") && m.contains("\na:1:{s:3:\"url\""));
}

#[test]
fn schema_and_sql_shapes() {
    let plan = Plan::new(&spec(1, 10_000_000)).expect("plan");
    let schema = plan.schema_sql().join("\n");
    for s in [
        "\"ID\" bigserial NOT NULL",
        "\"comment_post_ID\" bigint",
        "comment_author_ip varchar(100)",
        "user_login varchar(60)",
        "option_name varchar(191)",
        "post_date_gmt timestamp NOT NULL DEFAULT timezone('gmt', now())",
        "billing_email varchar(320)",
        "\"timestamp\" timestamp",
    ] {
        assert!(schema.contains(s), "{s}");
    }
    assert!(!schema.contains("PRIMARY KEY"));
    let idx = plan.index_sql();
    assert!(idx.contains(
        &"ALTER TABLE wp_posts ADD CONSTRAINT wp_posts_pkey PRIMARY KEY (\"ID\")".to_string()
    ));
    assert!(
        idx.contains(
            &"CREATE UNIQUE INDEX IF NOT EXISTS wp_options_option_name ON wp_options (option_name)"
                .to_string()
        )
    );
    assert!(
        idx.iter()
            .all(|s| s.split_whitespace().all(|w| w.len() <= 200))
    );
    let names: BTreeSet<&str> = idx
        .iter()
        .filter_map(|s| s.split(" INDEX IF NOT EXISTS ").nth(1))
        .filter_map(|s| s.split(' ').next())
        .collect();
    assert!(names.iter().all(|n| n.len() <= 63));
    let fin = plan.finish_sql().join("\n");
    assert!(fin.contains("pg_get_serial_sequence('wp_posts', 'ID'), COALESCE((SELECT MAX(\"ID\") FROM wp_posts), 0) + 1, false)"));
    assert!(!fin.contains("wp_wc_orders'"), "wc_orders.id is not serial");
}

#[test]
fn sizes_scale_and_posts_dominate() {
    let small = Plan::new(&spec(1, 10_000_000)).expect("plan");
    let big = Plan::new(&spec(1, 1_000_000_000)).expect("plan");
    let huge = Plan::new(&spec(1, MAX_TARGET_BYTES)).expect("plan");
    assert!(big.estimated_copy_bytes() > 50 * small.estimated_copy_bytes());
    assert!(huge.estimated_copy_bytes() > 4 * big.estimated_copy_bytes());
    let jobs = big.tables();
    assert_eq!(jobs[0].table, "wp_posts");
    assert_eq!(jobs[1].table, "wp_postmeta");
    let total: u64 = jobs.iter().map(|j| j.estimated_bytes).sum();
    assert!(jobs[0].estimated_bytes + jobs[1].estimated_bytes > total * 6 / 10);
    for t in ["wp_wc_orders", "wp_comments", "wp_users"] {
        let s = small
            .tables()
            .into_iter()
            .find(|j| j.table == t)
            .map(|j| j.estimated_bytes)
            .unwrap_or(0);
        let b = jobs
            .iter()
            .find(|j| j.table == t)
            .map(|j| j.estimated_bytes)
            .unwrap_or(0);
        assert!(b > 20 * s, "{t} scales");
    }
}

#[test]
fn job_is_send_static() {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<TableJob>();
    assert_send::<Plan>();
}

#[test]
fn unique_keys_hold() {
    // A bigger plan, so sessions outnumber nothing in particular but ids spread out.
    let db = dump(&Plan::new(&spec(9, 40_000_000)).expect("plan"));
    for (t, c) in [
        ("woocommerce_sessions", "session_key"),
        ("options", "option_name"),
        ("users", "user_email"),
        ("users", "user_login"),
        ("wc_order_operational_data", "order_id"),
    ] {
        let v = column(&db, t, c);
        let set: BTreeSet<_> = v.iter().collect();
        assert_eq!(set.len(), v.len(), "{t}.{c} has duplicates");
    }
}
