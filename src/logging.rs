//! Logging for CI: one line per event on stderr; `WPSTAGE_LOG` (then `RUST_LOG`) filters,
//! `NO_COLOR` is honoured.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `filter` is the value of `WPSTAGE_LOG`/`RUST_LOG`, if set.
pub fn init(filter: Option<&str>, no_color: bool) {
    let filter = filter
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("warn,wpstage=info"));
    let ansi = !no_color && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .try_init();
    if installed.is_err() {
        // A subscriber was already set (tests): keep it.
    }
}
