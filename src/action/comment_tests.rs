//! Golden tests of the rendered comment. Set `WPSTAGE_BLESS=1` to rewrite the files in
//! `tests/golden/` after an intended change, then review the diff.

use std::time::Duration;

use super::*;
use crate::action::scripted::sample_up;

const SHA: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

fn ctx() -> Context {
    Context {
        marker: "<!-- wpstage:0123456789ab -->".to_owned(),
        pr: 2,
        sha: Some(SHA.to_owned()),
        branch: Some("changes".to_owned()),
        environment_name: "pr-2".to_owned(),
        run_url: Some("https://github.com/octo-org/octo-repo/actions/runs/99".to_owned()),
        refresh_url: Some(
            "https://github.com/octo-org/octo-repo/actions/workflows/refresh.yml".to_owned(),
        ),
        refresh_workflow: "refresh.yml".to_owned(),
        ttl: Duration::from_secs(7 * 86_400),
    }
}

fn golden(name: &str, actual: &str) {
    let path = format!("{}/tests/golden/{name}.md", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("WPSTAGE_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}; run with WPSTAGE_BLESS=1 to create it"));
    assert_eq!(
        actual, expected,
        "{name} changed; if intended, re-run with WPSTAGE_BLESS=1"
    );
}

#[test]
fn starting_links_the_run() {
    let md = render(&ctx(), View::Starting(Operation::Up));
    assert!(md.starts_with("<!-- wpstage:0123456789ab -->\n"));
    golden("comment_starting", &md);
}

#[test]
fn ready_tells_the_pm_everything() {
    let o = sample_up(2, SHA, true);
    let md = render(&ctx(), View::Ready(&o));
    for needle in [
        "https://wp-pr-2.up.railway.app",
        "/wp-admin/",
        "2026-11-27 07:22 UTC",
        "1,284,517 rows in 41 tables, 700.0 MB",
        "96,310 values in 14 columns",
        "18,244 production URLs",
        "2026-12-04 07:24 UTC",
        "refresh.yml",
        "Timings (2m 07s in total)",
        "SMTP_HOST",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in\n{md}");
    }
    assert_eq!(
        previous_preview_url(&md).as_deref(),
        Some("https://wp-pr-2.up.railway.app")
    );
    golden("comment_ready", &md);
}

#[test]
fn ready_without_anonymization_warns_loudly() {
    let mut o = sample_up(2, SHA, true);
    if let Some(d) = o.data.as_mut() {
        d.anonymized = false;
    }
    o.expires_at = None;
    let md = render(&ctx(), View::Ready(&o));
    assert!(md.contains("[!CAUTION]"), "{md}");
    assert!(md.contains("Anonymization was OFF"), "{md}");
    assert!(md.contains("after 7 days without updates"), "{md}");
    golden("comment_ready_not_anonymized", &md);
}

#[test]
fn failed_names_the_step() {
    let md = render(
        &ctx(),
        View::Failed {
            operation: Operation::Up,
            step: "copy production data",
            message: "copy failed: <script> | table wp_posts\nsecond line",
            rolled_back: true,
            outcome: None,
        },
    );
    assert!(md.contains("**copy production data**"), "{md}");
    assert!(md.contains("&lt;script&gt; \\| table"), "{md}");
    assert!(!md.contains("second line"), "{md}");
    golden("comment_failed", &md);
}

#[test]
fn torn_down_says_what_happened() {
    let mut o = crate::lifecycle::Outcome::new(Operation::Down, "railway", "pr-2");
    o.deleted = true;
    let md = render(&ctx(), View::TornDown(&o));
    assert!(md.contains("were deleted"), "{md}");
    golden("comment_torn_down", &md);
    assert!(is_torn_down(&md, ctx().pr));
    assert!(!is_torn_down(&md, ctx().pr + 1));
    o.deleted = false;
    assert!(render(&ctx(), View::TornDown(&o)).contains("already gone"));
    let ready = render(&ctx(), View::Starting(Operation::Up));
    assert!(!is_torn_down(&ready, ctx().pr));
}

#[test]
fn numbers_and_durations_read_well() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(1_000), "1,000");
    assert_eq!(thousands(1_234_567), "1,234,567");
    assert_eq!(bytes(512), "512 B");
    assert_eq!(bytes(1536), "1.5 KB");
    assert_eq!(seconds(0.4), "0.4s");
    assert_eq!(seconds(59.6), "1m 00s");
    assert_eq!(seconds(3725.0), "1h 02m");
    assert_eq!(when("2026-11-27T07:22:07Z"), "2026-11-27 07:22 UTC");
    assert_eq!(when("yesterday"), "yesterday");
    assert_eq!(previous_preview_url("no tag"), None);
}

#[test]
fn ready_from_the_base_says_which_snapshot_and_how_old() {
    let mut o = sample_up(2, SHA, true);
    let made = std::time::SystemTime::now() - Duration::from_secs(3 * 3600 + 5 * 60 + 20);
    if let Some(d) = o.data.as_mut() {
        d.base = Some("wpstage-base".to_owned());
        d.snapshot_time = humantime::format_rfc3339_seconds(made).to_string();
        d.anonymized_values = 0;
        d.anonymized_columns = 0;
    }
    let md = render(&ctx(), View::Ready(&o));
    assert_eq!(o.platform, "railway");
    assert!(
        md.contains("| **Data** | base snapshot wpstage-base (3h 5m old) of "),
        "{md}"
    );
    assert!(
        md.contains(
            "anonymized once, when the base snapshot `wpstage-base` was made from production \
             (the same pseudonyms on every base refresh); this copy did not read production."
        ),
        "{md}"
    );
    assert!(!md.contains("0 values in 0 columns"), "{md}");
    assert!(md.contains("18,244 production URLs rewritten"), "{md}");
}
