//! What is not worth copying to staging: logs, sessions, caches and data WordPress rebuilds.
//! Their tables are copied schema-only (or without the wasteful rows) unless `--copy-all`;
//! post revisions are left out only with `--skip-revisions`.
//!
//! Pure: this decides per table and writes the SQL predicate of the rows to leave out; the
//! sync engine measures and applies it inside the snapshot.

use serde::Serialize;

/// Which exclusions a run applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WastePolicy {
    /// Copy everything (no default exclusions).
    pub copy_all: bool,
    /// Leave out post revisions and their meta.
    pub skip_revisions: bool,
}

/// Rows of one table to leave out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waste {
    pub reason: &'static str,
    /// SQL predicate over the table's rows (its columns quoted): rows for which it is true are
    /// left out; `true` copies the table schema-only.
    pub leave_out_where: String,
}

/// Looks up a sibling table (same prefix and blog) by logical name: its qualified name and
/// column names.
pub type Sibling<'a> = &'a dyn Fn(&str) -> Option<(String, Vec<String>)>;

/// Why post revisions were (or would be) left out.
pub const REVISIONS: &str = "post revisions (--skip-revisions)";

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The real (quoted) name of `wanted` among `columns`, compared case-insensitively.
fn column(columns: &[String], wanted: &str) -> Option<String> {
    columns
        .iter()
        .find(|c| c.eq_ignore_ascii_case(wanted))
        .map(|c| quote(c))
}

fn all_rows(reason: &'static str) -> Option<Waste> {
    Some(Waste {
        reason,
        leave_out_where: "true".into(),
    })
}

fn rows(reason: &'static str, predicate: String) -> Option<Waste> {
    Some(Waste {
        reason,
        leave_out_where: predicate,
    })
}

const SPAM_OR_TRASH: &str = "('spam', 'trash')";

/// The default exclusion of a table, by logical name (after the prefix), if any.
pub fn default_waste(logical: &str, columns: &[String], sibling: Sibling<'_>) -> Option<Waste> {
    match logical {
        "actionscheduler_logs" => all_rows("Action Scheduler logs"),
        "actionscheduler_actions" => rows(
            "finished Action Scheduler actions",
            format!(
                "{} IN ('complete', 'failed', 'canceled')",
                column(columns, "status")?
            ),
        ),
        "woocommerce_sessions" => all_rows("WooCommerce sessions"),
        "options" => {
            let name = column(columns, "option_name")?;
            rows(
                "transients",
                format!("{name} LIKE '\\_transient\\_%' OR {name} LIKE '\\_site\\_transient\\_%'"),
            )
        }
        "sitemeta" => rows(
            "site transients",
            format!(
                "{} LIKE '\\_site\\_transient\\_%'",
                column(columns, "meta_key")?
            ),
        ),
        "wfhits" | "wflogins" | "wfblocks7" | "wfblockediplog" => {
            all_rows("Wordfence hits, logins and blocks")
        }
        "redirection_404" | "redirection_logs" => all_rows("Redirection logs"),
        "rank_math_404_logs" => all_rows("Rank Math 404 log"),
        "wpml_mails" => all_rows("WP Mail Logging mail log"),
        "wpmailsmtp_emails_log" | "wpmailsmtp_debug_events" => all_rows("WP Mail SMTP mail log"),
        "post_smtp_logs" | "post_smtp_logmeta" => all_rows("Post SMTP mail log"),
        "statistics_visitor"
        | "statistics_visitors"
        | "statistics_visitor_relationships"
        | "statistics_useronline" => all_rows("WP Statistics visitors"),
        "comments" => rows(
            "spam and trashed comments",
            format!(
                "{} IN {SPAM_OR_TRASH}",
                column(columns, "comment_approved")?
            ),
        ),
        "commentmeta" => {
            let (comments, cols) = sibling("comments")?;
            rows(
                "meta of spam and trashed comments",
                format!(
                    "{} IN (SELECT {} FROM {comments} WHERE {} IN {SPAM_OR_TRASH})",
                    column(columns, "comment_id")?,
                    column(&cols, "comment_id")?,
                    column(&cols, "comment_approved")?
                ),
            )
        }
        _ => None,
    }
}

/// Rows of `logical` that are post revisions or their meta.
pub fn revisions(logical: &str, columns: &[String], sibling: Sibling<'_>) -> Option<Waste> {
    match logical {
        "posts" => rows(
            REVISIONS,
            format!("{} = 'revision'", column(columns, "post_type")?),
        ),
        "postmeta" => {
            let (posts, cols) = sibling("posts")?;
            rows(
                REVISIONS,
                format!(
                    "{} IN (SELECT {} FROM {posts} WHERE {} = 'revision')",
                    column(columns, "post_id")?,
                    column(&cols, "id")?,
                    column(&cols, "post_type")?
                ),
            )
        }
        _ => None,
    }
}

/// What `policy` leaves out of one table.
pub fn decide(
    logical: &str,
    columns: &[String],
    sibling: Sibling<'_>,
    policy: WastePolicy,
) -> Option<Waste> {
    if policy.skip_revisions
        && let Some(w) = revisions(logical, columns, sibling)
    {
        return Some(w);
    }
    if policy.copy_all {
        return None;
    }
    default_waste(logical, columns, sibling)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn comments(name: &str) -> Option<(String, Vec<String>)> {
        (name == "comments").then(|| {
            (
                "public.wp_comments".to_string(),
                cols(&["comment_ID", "comment_approved"]),
            )
        })
    }

    #[test]
    fn commentmeta_of_spam_uses_the_real_column_names() {
        let w = decide(
            "commentmeta",
            &cols(&["meta_id", "comment_id"]),
            &comments,
            WastePolicy::default(),
        )
        .unwrap();
        assert_eq!(
            w.leave_out_where,
            "\"comment_id\" IN (SELECT \"comment_ID\" FROM public.wp_comments \
             WHERE \"comment_approved\" IN ('spam', 'trash'))"
        );
    }

    #[test]
    fn copy_all_keeps_everything_but_revisions_when_asked() {
        let none = |_: &str| None;
        let all = WastePolicy {
            copy_all: true,
            skip_revisions: false,
        };
        assert_eq!(decide("actionscheduler_logs", &[], &none, all), None);
        assert_eq!(
            decide("actionscheduler_logs", &[], &none, WastePolicy::default())
                .unwrap()
                .leave_out_where,
            "true"
        );
        let posts = cols(&["ID", "post_type"]);
        assert_eq!(decide("posts", &posts, &none, WastePolicy::default()), None);
        let skip = WastePolicy {
            copy_all: true,
            skip_revisions: true,
        };
        assert_eq!(
            decide("posts", &posts, &none, skip).unwrap().reason,
            REVISIONS
        );
    }

    #[test]
    fn a_table_without_the_column_is_copied_whole() {
        let none = |_: &str| None;
        assert_eq!(
            decide("comments", &cols(&["id"]), &none, WastePolicy::default()),
            None
        );
    }
}
