//! The rolecreds binary: parse the command line, run, print any error on one line, exit with
//! its documented code.

use clap::Parser as _;
use rolecreds::exit::Exit;
use std::io::Write as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match rolecreds::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version: clap prints them to stdout.
            let _ = err.print();
            return Exit::Success.into();
        }
        Err(err) => {
            // One write, failure ignored, like every report line (adapters/console.rs).
            let line = format!("rolecreds: error: {}\n", one_line(&err.to_string()));
            let _ = std::io::stderr().write_all(line.as_bytes());
            return Exit::Usage.into();
        }
    };
    rolecreds::app::run(cli)
}

/// clap's message without its `error: ` prefix and the trailing usage hint, so every error
/// rolecreds prints is one `rolecreds: error: ...` line.
fn one_line(clap_message: &str) -> String {
    let message: Vec<&str> = clap_message
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .map(str::trim)
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    format!("{message} (see rolecreds --help)")
}

/// The C library's `pow`, for the one caller in the dependencies (the SDK's adaptive-retry
/// rate limiter takes a cube root with `f64::powf`). Defined here, the linker needs nothing
/// from libm.so, so the binary does not load it at every start: 0.07 ms of CPU per run, a
/// measurable part of a one-shot edit (build.rs, tests/process_start.rs). The
/// implementation is musl's, ported by the Rust project (the `libm` crate).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[unsafe(no_mangle)]
pub extern "C" fn pow(base: f64, exponent: f64) -> f64 {
    libm::pow(base, exponent)
}
