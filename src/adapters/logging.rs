//! `-v` / `-vv`: tracing to stderr. The AWS crates stay at `warn` even at `-vv`, because their
//! debug output describes requests whose headers carry session tokens.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

/// Installs the stderr logger for the given number of `-v` flags (none: no logger).
pub fn init(verbosity: u8) {
    let own_level = match verbosity {
        0 => return,
        1 => LevelFilter::INFO,
        _ => LevelFilter::DEBUG,
    };
    let filter = Targets::new()
        .with_target("rolecreds", own_level)
        // aws-config warns on every load about a missing AWS_CONFIG_FILE; only errors here.
        .with_target("aws_config", LevelFilter::ERROR)
        .with_default(LevelFilter::WARN);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(verbosity > 1)
        .without_time();
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
}
