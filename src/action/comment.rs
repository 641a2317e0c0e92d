//! The sticky PR comment, written for the agency's project manager rather than for developers:
//! where the preview is, what data it holds, whether personal data was anonymized, how long it
//! lives and how to refresh it. States: starting → ready → failed → torn down.
//!
//! Rendering is pure; the caller redacts secrets from the result (the `Outcome` holds none).

use std::time::Duration;

use crate::lifecycle::{Operation, Outcome};

/// Appends one formatted line.
macro_rules! put {
    ($md:expr, $($arg:tt)*) => {{
        $md.push_str(&format!($($arg)*));
        $md.push('\n');
    }};
}

/// Hidden line that carries the last preview URL to the next run (for the `in_progress`
/// deployment status, which must keep `environment_url`).
const URL_TAG: &str = "<!-- wpstage:preview-url ";

/// What the comment needs besides the outcome.
#[derive(Debug, Clone)]
pub struct Context {
    pub marker: String,
    pub pr: u64,
    pub sha: Option<String>,
    pub branch: Option<String>,
    pub environment_name: String,
    pub run_url: Option<String>,
    /// The refresh workflow's page (`…/actions/workflows/refresh.yml`).
    pub refresh_url: Option<String>,
    pub refresh_workflow: String,
    pub ttl: Duration,
}

/// The state to show.
#[derive(Debug, Clone, Copy)]
pub enum View<'a> {
    Starting(Operation),
    Ready(&'a Outcome),
    Failed {
        operation: Operation,
        step: &'a str,
        message: &'a str,
        rolled_back: bool,
        outcome: Option<&'a Outcome>,
    },
    TornDown(&'a Outcome),
}

/// The comment body, starting with the marker.
pub fn render(ctx: &Context, view: View<'_>) -> String {
    let mut md = format!("{}\n", ctx.marker);
    md.push_str(&render_body(ctx, view));
    md
}

/// The body without the marker (also used for the step summary).
pub fn render_body(ctx: &Context, view: View<'_>) -> String {
    let mut md = String::new();
    match view {
        View::Starting(op) => starting(&mut md, ctx, op),
        View::Ready(outcome) => ready(&mut md, ctx, outcome),
        View::Failed {
            operation,
            step,
            message,
            rolled_back,
            outcome,
        } => failed(&mut md, ctx, operation, step, message, rolled_back, outcome),
        View::TornDown(outcome) => torn_down(&mut md, ctx, outcome),
    }
    md.push_str("\n<sub>Maintained by wpstage");
    if let Some(run) = &ctx.run_url {
        md.push_str(&format!(" · [run log]({run})"));
    }
    md.push_str(" · this comment updates itself</sub>\n");
    md
}

/// The preview URL a previous comment recorded.
pub fn previous_preview_url(body: &str) -> Option<String> {
    let start = body.find(URL_TAG)? + URL_TAG.len();
    let rest = &body[start..];
    let url = rest[..rest.find(" -->")?].trim();
    (url.starts_with("https://") || url.starts_with("http://")).then(|| url.to_owned())
}

fn starting(md: &mut String, ctx: &Context, op: Operation) {
    let what = match op {
        Operation::Refresh => "Refreshing production data in staging",
        Operation::Down => "Removing staging",
        _ => "Preparing staging",
    };
    put!(md, "### ⏳ {what} for PR #{}\n", ctx.pr);
    if let Some(sha) = &ctx.sha {
        put!(md, "Code: commit `{}`{}.", short(sha), branch_suffix(ctx));
    }
    match &ctx.run_url {
        Some(run) => {
            put!(
                md,
                "This usually takes a few minutes; follow it in the [workflow run]({run})."
            );
        }
        None => md.push_str("This usually takes a few minutes.\n"),
    }
}

fn ready(md: &mut String, ctx: &Context, o: &Outcome) {
    let title = if o.operation == Operation::Refresh {
        "Staging data refreshed"
    } else {
        "Staging is ready"
    };
    put!(md, "### ✅ {title} for PR #{}\n", ctx.pr);
    md.push_str("| | |\n| --- | --- |\n");
    if let Some(url) = &o.preview_url {
        put!(md, "| **Preview** | {url} |");
    }
    if let Some(admin) = admin_url(o) {
        put!(md, "| **WordPress admin** | {admin} |");
    }
    let sha = o
        .deployment
        .as_ref()
        .map(|d| d.sha.as_str())
        .or(ctx.sha.as_deref());
    if let Some(sha) = sha {
        put!(
            md,
            "| **Code** | commit `{}`{} |",
            short(sha),
            branch_suffix(ctx)
        );
    }
    if let Some(data) = &o.data {
        put!(
            md,
            "| **Data** | {} of {}: {} rows in {} tables, {} |",
            data.origin(),
            when(&data.snapshot_time),
            thousands(data.rows),
            data.tables,
            bytes(data.bytes)
        );
    }
    if let Some(d) = o.deployment.as_ref().filter(|d| !d.services.is_empty()) {
        let names: Vec<String> = d
            .services
            .iter()
            .map(|s| format!("{} ({})", s.name, s.status.to_lowercase()))
            .collect();
        put!(md, "| **Also running** | {} |", names.join(", "));
    }
    put!(md, "| **Environment** | `{}` |", code(&o.environment_name));
    put!(md, "| **Expires** | {} |", expiry(ctx, o));
    md.push('\n');
    if let Some(data) = &o.data {
        if let (true, Some(base)) = (data.anonymized, &data.base) {
            put!(
                md,
                "- **Personal data:** anonymized once, when the base snapshot `{}` was made from \
                 production{}; this copy did not read production.",
                code(base),
                if data.random_key {
                    " (new pseudonyms on every base refresh)"
                } else {
                    " (the same pseudonyms on every base refresh)"
                }
            );
        } else if data.anonymized {
            put!(
                md,
                "- **Personal data:** anonymized: {} values in {} columns replaced with consistent \
                 fake data{}.",
                thousands(data.anonymized_values),
                thousands(data.anonymized_columns),
                if data.random_key {
                    " (new pseudonyms on every refresh)"
                } else {
                    " (the same pseudonyms on every refresh)"
                }
            );
        } else {
            md.push_str(
                "> [!CAUTION]\n> **Anonymization was OFF.** This staging site holds real \
                 customer and user data copied from production. Share the link with no one \
                 outside the project, and turn `anonymize` back on unless this was intended.\n\n",
            );
        }
        put!(
            md,
            "- **Links:** {} production URLs rewritten to the preview address.",
            thousands(data.url_replacements)
        );
        if data.rows_dropped > 0 {
            put!(
                md,
                "- **Left out:** {} rows, as the copy rules say.",
                thousands(data.rows_dropped)
            );
        }
        md.push('\n');
    }
    notes(md, o);
    timings(md, o);
    refresh_hint(md, ctx);
    if let Some(url) = &o.preview_url {
        put!(md, "{URL_TAG}{url} -->");
    }
}

#[allow(clippy::too_many_arguments)]
fn failed(
    md: &mut String,
    ctx: &Context,
    op: Operation,
    step: &str,
    message: &str,
    rolled_back: bool,
    outcome: Option<&Outcome>,
) {
    let what = match op {
        Operation::Down => "Removing staging failed",
        Operation::Refresh => "Refreshing staging data failed",
        _ => "Staging failed",
    };
    put!(md, "### ❌ {what} for PR #{}\n", ctx.pr);
    put!(md, "The step **{}** did not succeed.", inline(step));
    let first = message.lines().next().unwrap_or_default();
    if !first.is_empty() {
        put!(md, "\n> {}\n", inline(first));
    }
    if rolled_back {
        md.push_str("Nothing was left half-done: what this run created was removed again.\n");
    } else if op != Operation::Down {
        md.push_str("The staging environment was left as it is.\n");
    }
    match &ctx.run_url {
        Some(run) => {
            put!(
                md,
                "\nA developer can read the [run log]({run}) and re-run the job; this comment \
                 will update."
            );
        }
        None => md.push_str("\nRe-run the job to try again; this comment will update.\n"),
    }
    if let Some(o) = outcome {
        md.push('\n');
        timings(md, o);
    }
}

fn torn_down_heading(pr: u64) -> String {
    format!("### 🧹 Staging removed for PR #{pr}")
}

/// Whether a sticky comment's body already reports the PR's staging as removed.
pub fn is_torn_down(body: &str, pr: u64) -> bool {
    let heading = torn_down_heading(pr);
    body.lines().any(|l| l == heading)
}

fn torn_down(md: &mut String, ctx: &Context, o: &Outcome) {
    put!(md, "{}\n", torn_down_heading(ctx.pr));
    if o.deleted {
        put!(
            md,
            "The staging environment `{}` and its copy of the production data were deleted.",
            code(&o.environment_name)
        );
    } else {
        put!(
            md,
            "The staging environment `{}` was already gone; nothing was left to delete.",
            code(&o.environment_name)
        );
    }
    md.push_str("Reopening the PR brings up a fresh one.\n");
}

fn notes(md: &mut String, o: &Outcome) {
    if o.warnings.is_empty() && o.fidelity.is_empty() {
        return;
    }
    put!(
        md,
        "<details><summary>Notes ({})</summary>\n",
        o.warnings.len() + o.fidelity.len()
    );
    for w in &o.warnings {
        put!(md, "- {}", inline(w));
    }
    for f in &o.fidelity {
        put!(
            md,
            "- differs from production ({}): {}",
            f.kind,
            inline(&f.detail)
        );
    }
    md.push_str("\n</details>\n\n");
}

fn timings(md: &mut String, o: &Outcome) {
    if o.phases.is_empty() {
        return;
    }
    put!(
        md,
        "<details><summary>Timings ({} in total)</summary>\n\n| Phase | Time |\n| --- | ---: |",
        seconds(o.duration_seconds)
    );
    for p in &o.phases {
        put!(md, "| {} | {} |", inline(&p.phase), seconds(p.seconds));
    }
    md.push_str("\n</details>\n\n");
}

fn refresh_hint(md: &mut String, ctx: &Context) {
    let link = match &ctx.refresh_url {
        Some(url) => format!("[{}]({url})", ctx.refresh_workflow),
        None => format!("`{}`", ctx.refresh_workflow),
    };
    put!(
        md,
        "**Need fresher data?** Run the {link} workflow with `pr_number` = {pr} (or `gh workflow \
         run {wf} -f pr_number={pr}`). New commits redeploy the code but keep the data.\n",
        pr = ctx.pr,
        wf = ctx.refresh_workflow,
    );
}

fn admin_url(o: &Outcome) -> Option<String> {
    o.admin_url.clone().or_else(|| {
        o.preview_url
            .as_ref()
            .map(|u| format!("{}/wp-admin/", u.trim_end_matches('/')))
    })
}

fn expiry(ctx: &Context, o: &Outcome) -> String {
    match &o.expires_at {
        Some(at) => format!("{} (sooner if this PR closes)", when(at)),
        None => format!(
            "when this PR closes, or after {} without updates",
            human_duration(ctx.ttl)
        ),
    }
}

fn branch_suffix(ctx: &Context) -> String {
    ctx.branch
        .as_deref()
        .map(|b| format!(" on `{}`", code(b)))
        .unwrap_or_default()
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// Text safe inside a code span.
fn code(text: &str) -> String {
    text.replace('`', "'")
}

/// Text safe inline: no HTML, no table breaks, no newlines.
fn inline(text: &str) -> String {
    text.replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

/// `2026-11-27T07:22:07Z` → `2026-11-27 07:22 UTC`; anything else unchanged.
fn when(rfc3339: &str) -> String {
    let t = rfc3339.trim();
    let utc = t.ends_with('Z') || t.ends_with("+00:00");
    match (t.get(..10), t.get(11..16), t.as_bytes().get(10)) {
        (Some(date), Some(hm), Some(b'T' | b' ')) if utc => format!("{date} {hm} UTC"),
        _ => t.to_owned(),
    }
}

pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

pub fn seconds(s: f64) -> String {
    let total = s.max(0.0).round() as u64;
    match total {
        0 if s > 0.0 => format!("{s:.1}s"),
        t if t < 60 => format!("{t}s"),
        t if t < 3600 => format!("{}m {:02}s", t / 60, t % 60),
        t => format!("{}h {:02}m", t / 3600, (t % 3600) / 60),
    }
}

fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s.is_multiple_of(86_400) && s > 0 => plural(s / 86_400, "day"),
        s if s.is_multiple_of(3_600) && s > 0 => plural(s / 3_600, "hour"),
        s => plural(s.div_ceil(60), "minute"),
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
#[path = "comment_tests.rs"]
mod tests;
