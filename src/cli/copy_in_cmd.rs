//! `wpstage copy-in` (hidden): the data copy as it runs inside a PR environment, started there
//! by `up --copy-in railway`. It reads its settings from the environment, and prints its report
//! (or its error) as one marked line for the orchestrating wpstage to read from the log.

use std::process::ExitCode;

use crate::platform::copy_job::{ERROR_MARKER, REPORT_MARKER};

pub async fn run() -> ExitCode {
    // vars_os: `vars()` panics on a non-UTF-8 variable; such variables are not ours.
    let vars = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    match crate::lifecycle::copy_in::run_job(&vars).await {
        Ok(report) => {
            println!("{REPORT_MARKER}{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            // One line: the orchestrator reads the first marked line as the whole error.
            let message = format!("{e:#}").replace(['\n', '\r'], " ");
            println!("{ERROR_MARKER}{message}");
            ExitCode::from(1)
        }
    }
}
