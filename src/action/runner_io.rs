//! Everything the action prints or writes for the runner: workflow commands on stdout (through
//! [`Ui`], which redacts every line), step outputs and the step summary.

use std::io::{self, Write};

use super::commands::{self, Level, Secrets};
use super::config::ActionConfig;
use crate::lifecycle::Outcome;

/// Stdout for workflow commands and plain lines; every byte passes the secret redactor.
pub struct Ui<'a, W: Write> {
    out: &'a mut W,
    secrets: Secrets,
}

impl<'a, W: Write> Ui<'a, W> {
    pub fn new(out: &'a mut W, secrets: Secrets) -> Self {
        Self { out, secrets }
    }

    pub fn group(&mut self, title: &str) -> io::Result<()> {
        commands::group(self.out, &self.secrets.redact(title))?;
        self.out.flush()
    }

    pub fn endgroup(&mut self) -> io::Result<()> {
        commands::endgroup(self.out)?;
        self.out.flush()
    }

    pub fn annotate(&mut self, level: Level, title: &str, message: &str) -> io::Result<()> {
        commands::annotate(
            self.out,
            level,
            Some(&self.secrets.redact(title)),
            &self.secrets.redact(message),
        )?;
        self.out.flush()
    }

    pub fn line(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "{}", self.secrets.redact(text))?;
        self.out.flush()
    }

    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }
}

/// Values for the step outputs (all strings; empty when unknown).
#[derive(Debug, Default, Clone)]
pub struct Outputs {
    pub operation: String,
    pub preview_url: String,
    pub environment_name: String,
    pub environment_id: String,
    pub created: String,
    pub comment_id: String,
    pub deployment_id: String,
    pub rows_copied: String,
    pub bytes_copied: String,
    pub duration_seconds: String,
}

impl Outputs {
    pub fn from_outcome(o: &Outcome) -> Self {
        Self {
            operation: o.operation.as_str().to_owned(),
            preview_url: o.preview_url.clone().unwrap_or_default(),
            environment_name: o.environment_name.clone(),
            environment_id: o.environment_id.clone().unwrap_or_default(),
            created: o.created.to_string(),
            comment_id: String::new(),
            deployment_id: String::new(),
            rows_copied: o
                .data
                .as_ref()
                .map(|d| d.rows.to_string())
                .unwrap_or_default(),
            bytes_copied: o
                .data
                .as_ref()
                .map(|d| d.bytes.to_string())
                .unwrap_or_default(),
            duration_seconds: format!("{:.1}", o.duration_seconds),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("operation", self.operation.clone()),
            ("preview_url", self.preview_url.clone()),
            ("environment_name", self.environment_name.clone()),
            ("environment_id", self.environment_id.clone()),
            ("created", self.created.clone()),
            ("comment_id", self.comment_id.clone()),
            ("deployment_id", self.deployment_id.clone()),
            ("rows_copied", self.rows_copied.clone()),
            ("bytes_copied", self.bytes_copied.clone()),
            ("duration_seconds", self.duration_seconds.clone()),
        ]
    }

    /// Writes the outputs to `$GITHUB_OUTPUT`, or as a Kestra outputs line on stdout when the
    /// run is not on GitHub Actions.
    pub fn write<W: Write>(&self, cfg: &ActionConfig, ui: &mut Ui<'_, W>) -> anyhow::Result<()> {
        let pairs: Vec<(&str, String)> = self
            .pairs()
            .into_iter()
            .map(|(k, v)| (k, ui.secrets().redact(&v)))
            .collect();
        match &cfg.github.output {
            Some(path) => commands::write_outputs(path, &pairs)?,
            None => ui.line(&commands::kestra_outputs(&pairs))?,
        }
        Ok(())
    }
}

/// Appends `markdown` (redacted) to the step summary, when there is one.
pub fn write_summary<W: Write>(
    cfg: &ActionConfig,
    ui: &Ui<'_, W>,
    markdown: &str,
) -> anyhow::Result<()> {
    if let Some(path) = &cfg.github.step_summary {
        commands::append_summary(path, &ui.secrets().redact(markdown))?;
    }
    Ok(())
}

/// The summary of a base snapshot refresh.
pub fn base_summary(info: &crate::lifecycle::base::BaseInfo) -> String {
    let key = if info.key_fingerprint == "random" {
        "a random key: pseudonyms change with every refresh (set `anonymize_key` to keep them)"
            .to_owned()
    } else {
        format!("the key with fingerprint `{}`", info.key_fingerprint)
    };
    format!(
        "### wpstage: base snapshot refreshed\n\n\
         `{}` now holds production as of {} ({}): {} rows in {} tables, anonymized with {key}. \
         PR environments copy it from now on (`data_from` `auto` or `base`).\n",
        info.name.replace('`', "'"),
        info.snapshot_time,
        info.site_url.replace('`', "'"),
        info.rows,
        info.tables
    )
}

/// The summary of a reap.
pub fn reap_summary(o: &Outcome) -> String {
    let mut md = String::from("### wpstage: stale staging environments\n\n");
    if o.reaped.is_empty() {
        md.push_str(
            "Nothing to remove: every staging environment belongs to an open PR and is \
                     within its TTL.\n",
        );
    } else {
        let verb = if o.dry_run {
            "would be deleted (dry run)"
        } else {
            "deleted"
        };
        md.push_str(&format!("{} environment(s) {verb}:\n\n", o.reaped.len()));
        for name in &o.reaped {
            md.push_str(&format!("- `{}`\n", name.replace('`', "'")));
        }
    }
    if !o.reaped_helpers.is_empty() {
        let verb = if o.dry_run {
            "would be removed (dry run)"
        } else {
            "removed"
        };
        md.push_str(&format!(
            "\n{} helper database(s) left by interrupted copies {verb}:\n\n",
            o.reaped_helpers.len()
        ));
        for name in &o.reaped_helpers {
            md.push_str(&format!("- `{}`\n", name.replace('`', "'")));
        }
    }
    for w in &o.warnings {
        md.push_str(&format!("\n> {}\n", w.replace(['\r', '\n'], " ")));
    }
    md
}
