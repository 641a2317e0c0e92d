//! Throughput of the transforms on one core (`cargo bench --bench rewrite`): the
//! serialize/JSON-aware URL rewriter on typical WordPress meta values, and the whole row path
//! (COPY decode, anonymization, rewrite, encode) on postmeta rows. Criterion prints MB/s.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use secrecy::SecretSlice;
use wpstage::transform::nested::TextRewriter;
use wpstage::transform::url::UrlRewriter;
use wpstage::transform::{
    ColumnInfo, TableInfo, TransformConfig, TransformSet, UploadsMode, UrlRewrite,
};

const OLD: &str = "https://www.client.example";
const NEW: &str = "https://pr-42.up.railway.app";

/// WordPress meta values: serialized arrays, Elementor JSON, HTML with links, plain text.
fn meta_values() -> Vec<String> {
    vec![
        "a:1:{s:13:\"administrator\";b:1;}".into(),
        "1".into(),
        "field_5f1a2b3c4d5e6".into(),
        "a:3:{s:5:\"width\";i:1200;s:6:\"height\";i:800;s:4:\"file\";s:17:\"2024/01/image.jpg\";}"
            .into(),
        format!(
            "[{{\"id\":\"1a2b\",\"settings\":{{\"link\":{{\"url\":\"https:\\/\\/www.client.example\\/about\"}}}}}},{}]",
            r#"{"id":"3c4d","settings":{"text":"Lorem ipsum dolor sit amet"}}"#.repeat(10)
        ),
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.".repeat(4),
        "a:2:{s:4:\"home\";s:26:\"https://www.client.example\";s:5:\"other\";s:3:\"abc\";}".into(),
        "<p>Visit <a href=\"https://www.client.example/shop\">our shop</a></p>".repeat(3),
    ]
}

fn rewriter() -> UrlRewriter {
    let rewrites = [UrlRewrite {
        from: OLD.into(),
        to: NEW.into(),
    }];
    UrlRewriter::new(&rewrites, &UploadsMode::KeepProduction).expect("valid URLs")
}

fn url_rewriter(c: &mut Criterion) {
    let urls = rewriter();
    let values = meta_values();
    let bytes: usize = values.iter().map(String::len).sum();
    let mut group = c.benchmark_group("url_rewriter");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("meta_mix", |b| {
        b.iter(|| {
            for v in &values {
                let mut rw = TextRewriter::new(&urls);
                black_box(rw.rewrite(black_box(v)).expect("rewrite"));
            }
        })
    });
    group.finish();
}

/// One COPY text row of `wp_postmeta`.
fn row(id: usize, key: &str, value: &str) -> Vec<u8> {
    let mut out = format!("{id}\t7\t{key}\t").into_bytes();
    wpstage::transform::copy_codec::encode_field(Some(value.as_bytes()), &mut out);
    out.push(b'\n');
    out
}

fn row_path(c: &mut Criterion) {
    let mut cfg = TransformConfig::new(SecretSlice::from(b"bench-key".to_vec()));
    cfg.url_rewrites = vec![UrlRewrite {
        from: OLD.into(),
        to: NEW.into(),
    }];
    let mut set = TransformSet::new(cfg).expect("config");
    set.set_table_prefix("wp_");
    let col = |name: &str, type_name: &str| ColumnInfo {
        name: name.into(),
        type_name: type_name.into(),
        max_chars: None,
    };
    let table = TableInfo {
        schema: "public".into(),
        name: "wp_postmeta".into(),
        columns: vec![
            col("meta_id", "bigint"),
            col("post_id", "bigint"),
            ColumnInfo {
                max_chars: Some(255),
                ..col("meta_key", "character varying")
            },
            col("meta_value", "text"),
        ],
        primary_key: vec![0],
    };
    let keys = [
        "_wp_attached_file",
        "_edit_lock",
        "_elementor_data",
        "_menu_item_url",
        "_thumbnail_id",
        "_billing_email",
    ];
    let values = meta_values();
    let rows: Vec<Vec<u8>> = values
        .iter()
        .enumerate()
        .map(|(i, v)| row(i, keys[i % keys.len()], v))
        .chain(std::iter::once(row(
            99,
            "_billing_email",
            "someone@customer.example",
        )))
        .collect();
    let bytes: usize = rows.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("row_path");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("postmeta_mix", |b| {
        let mut t = set
            .for_table(&table)
            .expect("plan")
            .expect("postmeta is transformed");
        let mut out = Vec::with_capacity(1 << 16);
        b.iter(|| {
            for r in &rows {
                out.clear();
                black_box(t.transform_row(black_box(r), &mut out).expect("row"));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, url_rewriter, row_path);
criterion_main!(benches);
