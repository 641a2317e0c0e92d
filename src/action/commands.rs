//! GitHub Actions workflow commands (stdout), step outputs (`$GITHUB_OUTPUT`) and the step
//! summary (`$GITHUB_STEP_SUMMARY`), plus the secret registry every printed byte goes through.
//!
//! Messages are escaped as the runner expects (`%` → `%25`, `\r` → `%0D`, `\n` → `%0A`); outputs
//! use a random `ghadelimiter_<hex>` heredoc delimiter that is refused when it occurs in a value.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rand::RngExt;

/// GitHub's limit for one step's summary.
pub const SUMMARY_LIMIT: usize = 1024 * 1024;

/// Why an output or the summary could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(
        "the value of output `{name}` contains the heredoc delimiter; it was not written \
         (re-run: the delimiter is random)"
    )]
    DelimiterInValue { name: String },
    #[error("output name {name:?} is invalid; use letters, digits, `_` and `-`")]
    BadName { name: String },
    #[error("could not write {what} ({path}): {source}; check that the runner's file is writable")]
    File {
        what: &'static str,
        path: String,
        source: io::Error,
    },
    #[error(
        "cannot write {what} ({path}): {source}. This container runs as uid {uid}, which may not \
         write the runner's files: run the action's container as root (GitHub-hosted runners \
         do; on a self-hosted runner do not set another container user, or make the runner's \
         work directory writable for uid {uid}). Nothing was changed."
    )]
    NotWritable {
        what: &'static str,
        path: String,
        uid: u32,
        source: io::Error,
    },
}

/// Annotation levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Notice,
    Debug,
}

impl Level {
    fn command(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
            Level::Debug => "debug",
        }
    }
}

/// Escapes a command's message.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property (`title=`), which also may not contain `:` or `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// `::add-mask::` lines for one secret: the whole value, and each line of a multi-line value
/// on its own (the runner masks line by line).
pub fn mask_lines(secret: &str) -> Vec<String> {
    let mut lines = Vec::new();
    if secret.trim().is_empty() {
        return lines;
    }
    lines.push(format!("::add-mask::{}", escape_data(secret)));
    if secret.contains(['\n', '\r']) {
        for part in secret.lines().map(str::trim).filter(|p| !p.is_empty()) {
            lines.push(format!("::add-mask::{}", escape_data(part)));
        }
    }
    lines
}

/// Writes an annotation.
pub fn annotate(
    out: &mut impl Write,
    level: Level,
    title: Option<&str>,
    message: &str,
) -> io::Result<()> {
    match title {
        Some(t) => writeln!(
            out,
            "::{} title={}::{}",
            level.command(),
            escape_property(t),
            escape_data(message)
        ),
        None => writeln!(out, "::{}::{}", level.command(), escape_data(message)),
    }
}

pub fn group(out: &mut impl Write, title: &str) -> io::Result<()> {
    writeln!(out, "::group::{}", escape_data(title))
}

pub fn endgroup(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "::endgroup::")
}

/// The secrets of this run. Every value is announced with `::add-mask::` through the sink the
/// moment it is added (before it can be printed) and redacted from everything wpstage writes
/// itself (comments, summary, outputs, messages). Cheap to clone; shared with the lifecycle,
/// which adds credentials it derives (e.g. the staging database's password).
#[derive(Clone)]
pub struct Secrets {
    inner: Arc<Mutex<Vec<String>>>,
    sink: Arc<dyn Fn(&str) + Send + Sync>,
}

impl Secrets {
    /// A registry whose mask commands go to `sink`, one line per call (without newline).
    pub fn new(sink: Arc<dyn Fn(&str) + Send + Sync>) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Vec::new())),
            sink,
        }
    }

    /// Mask commands go straight to the process' stdout (what the runner reads).
    pub fn stdout() -> Self {
        Self::new(Arc::new(|line: &str| {
            let mut stdout = io::stdout().lock();
            // If stdout is gone nothing can be printed either, so nothing can leak.
            if writeln!(stdout, "{line}")
                .and_then(|()| stdout.flush())
                .is_err()
            {
                tracing::debug!("stdout closed while masking");
            }
        }))
    }

    /// Registers and masks a secret (empty values are ignored).
    pub fn add(&self, secret: &str) {
        if secret.trim().is_empty() {
            return;
        }
        {
            let mut known = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            if known.iter().any(|k| k == secret) {
                return;
            }
            known.push(secret.to_owned());
            // Longest first, so a URL is replaced before the password inside it.
            known.sort_by_key(|k| std::cmp::Reverse(k.len()));
        }
        for line in mask_lines(secret) {
            (self.sink)(&line);
        }
    }

    /// `text` with every known secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let known = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = text.to_owned();
        for secret in known.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }
}

/// Appends `outputs` to the `$GITHUB_OUTPUT` file as heredocs with a fresh random delimiter.
pub fn write_outputs(path: &Path, outputs: &[(&str, String)]) -> Result<(), CommandError> {
    let delimiter = format!("ghadelimiter_{:032x}", rand::rng().random::<u128>());
    let text = format_outputs(outputs, &delimiter)?;
    append(path, "$GITHUB_OUTPUT", text.as_bytes())
}

/// The `$GITHUB_OUTPUT` text for `outputs` with the given delimiter.
pub fn format_outputs(outputs: &[(&str, String)], delimiter: &str) -> Result<String, CommandError> {
    let mut text = String::new();
    for (name, value) in outputs {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(CommandError::BadName {
                name: (*name).to_owned(),
            });
        }
        if value.contains(delimiter) {
            return Err(CommandError::DelimiterInValue {
                name: (*name).to_owned(),
            });
        }
        text.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
    }
    Ok(text)
}

/// The same outputs as one Kestra script-task line (`::{"outputs":{…}}::`), for runs outside
/// GitHub Actions.
pub fn kestra_outputs(outputs: &[(&str, String)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = outputs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
        .collect();
    format!("::{}::", serde_json::json!({ "outputs": map }))
}

/// Appends Markdown to the `$GITHUB_STEP_SUMMARY` file, cut to GitHub's 1 MiB limit.
pub fn append_summary(path: &Path, markdown: &str) -> Result<(), CommandError> {
    let mut text = markdown.to_owned();
    if text.len() > SUMMARY_LIMIT {
        let mut cut = SUMMARY_LIMIT - 64;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("\n\n_(summary cut at GitHub's 1 MiB limit)_\n");
    }
    append(path, "$GITHUB_STEP_SUMMARY", text.as_bytes())
}

/// Fails before any work when a runner file (`$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`) cannot be
/// appended to, e.g. a non-root container user on a self-hosted runner's files.
pub fn check_writable(path: &Path, what: &'static str) -> Result<(), CommandError> {
    match OpenOptions::new().create(true).append(true).open(path) {
        Ok(_) => Ok(()),
        Err(source) => Err(CommandError::NotWritable {
            what,
            path: path.display().to_string(),
            uid: nix::unistd::geteuid().as_raw(),
            source,
        }),
    }
}

fn append(path: &Path, what: &'static str, bytes: &[u8]) -> Result<(), CommandError> {
    let file_error = |source| CommandError::File {
        what,
        path: path.display().to_string(),
        source,
    };
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(file_error)?;
    file.write_all(bytes).map_err(file_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_escaped() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a: b, c"), "a%3A b%2C c");
        let mut out = Vec::new();
        annotate(&mut out, Level::Error, Some("step: copy"), "line1\nline2").unwrap();
        annotate(&mut out, Level::Notice, None, "100%").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "::error title=step%3A copy::line1%0Aline2\n::notice::100%25\n"
        );
    }

    #[test]
    fn groups_open_and_close() {
        let mut out = Vec::new();
        group(&mut out, "Copy data").unwrap();
        endgroup(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "::group::Copy data\n::endgroup::\n"
        );
    }

    #[test]
    fn secrets_are_masked_once_and_redacted_longest_first() {
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = Arc::clone(&seen);
        let secrets = Secrets::new(Arc::new(move |l: &str| {
            sink.lock().unwrap().push(l.to_owned());
        }));
        secrets.add("pw");
        secrets.add("postgres://u:pw@h/db");
        secrets.add("pw");
        secrets.add("  ");
        secrets.add("line-one\nline-two");
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                "::add-mask::pw",
                "::add-mask::postgres://u:pw@h/db",
                "::add-mask::line-one%0Aline-two",
                "::add-mask::line-one",
                "::add-mask::line-two",
            ]
        );
        assert_eq!(
            secrets.redact("url postgres://u:pw@h/db and pw"),
            "url *** and ***"
        );
    }

    #[test]
    fn outputs_use_the_delimiter_and_refuse_values_containing_it() {
        let text = format_outputs(
            &[
                ("preview_url", "https://pr-2.example".to_owned()),
                ("note", "two\nlines".to_owned()),
            ],
            "ghadelimiter_abc",
        )
        .unwrap();
        assert_eq!(
            text,
            "preview_url<<ghadelimiter_abc\nhttps://pr-2.example\nghadelimiter_abc\n\
             note<<ghadelimiter_abc\ntwo\nlines\nghadelimiter_abc\n"
        );
        let err = format_outputs(
            &[("x", "a\nghadelimiter_abc\nb".to_owned())],
            "ghadelimiter_abc",
        )
        .unwrap_err();
        assert!(
            matches!(err, CommandError::DelimiterInValue { .. }),
            "{err}"
        );
        assert!(format_outputs(&[("bad name", String::new())], "d").is_err());
    }

    #[test]
    fn outputs_append_with_a_random_delimiter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("output");
        write_outputs(&path, &[("a", "1".to_owned())]).unwrap();
        write_outputs(&path, &[("b", "2".to_owned())]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6);
        assert!(lines[0].starts_with("a<<ghadelimiter_"));
        let first = lines[0].trim_start_matches("a<<");
        let second = lines[3].trim_start_matches("b<<");
        assert_eq!(first.len(), "ghadelimiter_".len() + 32);
        assert_ne!(first, second);
        assert_eq!(lines[2], first);
    }

    #[test]
    fn an_unwritable_runner_file_names_the_uid_and_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("set_output");
        assert!(check_writable(&ok, "$GITHUB_OUTPUT").is_ok());
        let missing = dir.path().join("gone").join("set_output");
        let message = check_writable(&missing, "$GITHUB_OUTPUT")
            .unwrap_err()
            .to_string();
        let uid = nix::unistd::geteuid().as_raw();
        assert!(message.contains("$GITHUB_OUTPUT"), "{message}");
        assert!(message.contains(&format!("uid {uid}")), "{message}");
        assert!(message.contains("as root"), "{message}");
    }

    #[test]
    fn kestra_outputs_are_one_json_line() {
        assert_eq!(
            kestra_outputs(&[("operation", "up".to_owned())]),
            r#"::{"outputs":{"operation":"up"}}::"#
        );
    }

    #[test]
    fn the_summary_is_cut_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary");
        append_summary(&path, &"é".repeat(SUMMARY_LIMIT)).unwrap();
        let len = std::fs::metadata(&path).unwrap().len();
        assert!(len <= SUMMARY_LIMIT as u64, "{len}");
    }
}
