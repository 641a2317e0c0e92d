//! Default exclusions on a real cluster: logs, sessions, transients, finished actions and spam
//! are copied schema-only or without those rows; `--copy-all` copies them; `--skip-revisions`
//! leaves revisions out; the report says what was left out and what revisions hold.

use std::sync::Arc;

use wpstage::lifecycle::TransformSettings;
use wpstage::postgres::DbUrl;
use wpstage::sync::{SyncReport, Transforms, sync};
use wpstage::transform::waste::WastePolicy;

use crate::support::{client, clusters, fresh_db};

const WASTE: &str = "
CREATE TABLE wp_actionscheduler_actions (action_id bigserial PRIMARY KEY, hook varchar(191) NOT NULL,
  status varchar(20) NOT NULL, args varchar(191));
CREATE INDEX status ON wp_actionscheduler_actions (status);
CREATE TABLE wp_actionscheduler_logs (log_id bigserial PRIMARY KEY, action_id bigint NOT NULL, message text NOT NULL);
CREATE TABLE wp_woocommerce_sessions (session_id bigserial PRIMARY KEY, session_key char(32) NOT NULL UNIQUE,
  session_value text NOT NULL, session_expiry bigint NOT NULL);
INSERT INTO wp_actionscheduler_actions (hook, status) SELECT 'wc_cleanup', s
  FROM unnest(ARRAY['complete','failed','canceled','pending','in-progress']) s, generate_series(1, 20);
INSERT INTO wp_actionscheduler_logs (action_id, message) SELECT g, repeat('action complete ', 20) FROM generate_series(1, 200) g;
INSERT INTO wp_woocommerce_sessions (session_key, session_value, session_expiry)
  SELECT md5(g::text), repeat('x', 500), 0 FROM generate_series(1, 50) g;
INSERT INTO wp_options (option_name, option_value) VALUES
  ('_transient_wc_count_comments', 'a:0:{}'), ('_transient_timeout_wc_count_comments', '1700000000'),
  ('_site_transient_update_core', 'O:8:\"stdClass\":0:{}'), ('_site_transient_timeout_update_core', '1700000000'),
  ('transient_lookalike', 'kept');
INSERT INTO wp_comments (comment_id, comment_author, comment_content, comment_approved) VALUES
  (1, 'A', 'kept', '1'), (2, 'B', 'buy pills', 'spam'), (3, 'C', 'deleted', 'trash'), (4, 'D', 'waiting', '0');
INSERT INTO wp_commentmeta (comment_id, meta_key, meta_value) VALUES
  (1, 'rating', '5'), (2, 'akismet_result', 'true'), (3, '_wp_trash_meta_status', '0'), (4, 'rating', '4');
INSERT INTO wp_posts (id, post_title, post_content, post_type, post_parent) VALUES
  (1, 'Hello', 'current text', 'post', 0), (2, 'Hello', repeat('old text ', 200), 'revision', 1),
  (3, 'Hello', repeat('older text ', 200), 'revision', 1);
INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES (1, '_edit_lock', '1:1'), (2, '_revision_meta', 'x'), (3, '_revision_meta', 'y');
";

async fn source() -> DbUrl {
    static SOURCE: tokio::sync::OnceCell<DbUrl> = tokio::sync::OnceCell::const_new();
    SOURCE
        .get_or_init(|| async {
            let url = fresh_db(&clusters().prod, "waste_src").await;
            let c = client(&url).await;
            c.batch_execute(include_str!("../fixtures/plugins/core.sql"))
                .await
                .unwrap();
            c.batch_execute(WASTE).await.unwrap();
            url
        })
        .await
        .clone()
}

async fn copy(name: &str, waste: WastePolicy) -> (DbUrl, SyncReport) {
    let source = source().await;
    let target = fresh_db(&clusters().staging, name).await;
    let t = wpstage::pipeline::build(&TransformSettings::default(), &[]).unwrap();
    let opts = wpstage::sync::SyncOptions {
        waste,
        ..crate::sync_fidelity::options(&source, &target)
    };
    let report = sync(&opts, Some(t as Arc<dyn Transforms>)).await.unwrap();
    (target, report)
}

async fn rows(url: &DbUrl, sql: &str) -> i64 {
    client(url).await.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn default_copy_leaves_the_waste_out_and_keeps_the_schema() {
    let (t, report) = copy("waste_default", WastePolicy::default()).await;
    for (sql, want) in [
        ("SELECT count(*) FROM wp_actionscheduler_logs", 0),
        ("SELECT count(*) FROM wp_woocommerce_sessions", 0),
        ("SELECT count(*) FROM wp_actionscheduler_actions", 40),
        (
            "SELECT count(*) FROM wp_actionscheduler_actions WHERE status IN ('complete','failed','canceled')",
            0,
        ),
        (
            "SELECT count(*) FROM wp_options WHERE option_name LIKE '%transient%'",
            1,
        ),
        ("SELECT count(*) FROM wp_comments", 2),
        ("SELECT count(*) FROM wp_commentmeta", 2),
        (
            "SELECT count(*) FROM wp_posts WHERE post_type = 'revision'",
            2,
        ),
        ("SELECT count(*) FROM wp_postmeta", 3),
        // Indexes of tables copied schema-only or filtered are still built.
        (
            "SELECT count(*) FROM pg_indexes WHERE tablename IN ('wp_actionscheduler_actions', 'wp_woocommerce_sessions')",
            4,
        ),
    ] {
        assert_eq!(rows(&t, sql).await, want, "{sql}");
    }
    let left: Vec<&str> = report.excluded.iter().map(|e| e.table.as_str()).collect();
    for table in [
        "public.wp_actionscheduler_logs",
        "public.wp_woocommerce_sessions",
        "public.wp_actionscheduler_actions",
        "public.wp_options",
        "public.wp_comments",
        "public.wp_commentmeta",
    ] {
        assert!(left.contains(&table), "{table} missing from {left:?}");
    }
    let logs = report
        .excluded
        .iter()
        .find(|e| e.table.ends_with("actionscheduler_logs"))
        .unwrap();
    assert!(
        logs.whole_table && logs.rows == 200 && logs.bytes > 0,
        "{logs:?}"
    );
    let rev = report
        .revisions
        .as_ref()
        .expect("revision bytes are always reported");
    assert_eq!(rev.rows, 4, "two revisions and their two meta rows");
    assert!(rev.bytes > 1000, "{rev:?}");
    let text = report.to_text();
    assert!(
        text.contains("MB saved") && text.contains("post revisions: 4 rows"),
        "{text}"
    );
}

#[tokio::test]
async fn copy_all_copies_everything_and_skip_revisions_drops_them() {
    let (t, report) = copy(
        "waste_all",
        WastePolicy {
            copy_all: true,
            skip_revisions: true,
        },
    )
    .await;
    for (sql, want) in [
        ("SELECT count(*) FROM wp_actionscheduler_logs", 200),
        ("SELECT count(*) FROM wp_actionscheduler_actions", 100),
        (
            "SELECT count(*) FROM wp_options WHERE option_name LIKE '%transient%'",
            5,
        ),
        ("SELECT count(*) FROM wp_comments", 4),
        ("SELECT count(*) FROM wp_commentmeta", 4),
        ("SELECT count(*) FROM wp_posts", 1),
        ("SELECT count(*) FROM wp_postmeta", 1),
    ] {
        assert_eq!(rows(&t, sql).await, want, "{sql}");
    }
    assert_eq!(report.excluded.len(), 2, "{:?}", report.excluded);
}
