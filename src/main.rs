//! The rolecreds binary: parse the command line, run, print any error on one line, exit with
//! its documented code.

use clap::Parser as _;
use rolecreds::exit::Exit;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match rolecreds::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version: clap prints them to stdout.
            let _ = err.print();
            return Exit::Success.into();
        }
        Err(err) => return rolecreds::app::refuse_command_line(&err),
    };
    rolecreds::app::run(cli)
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

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::pow;

    /// The supplied `pow` is the one every `f64::powf` in the binary calls, so it must keep
    /// the C function's contract: exact where IEEE 754 and C say so, and the rate limiter's
    /// cube root.
    #[test]
    fn pow_keeps_the_c_library_contract() {
        assert_eq!(pow(2.0, 10.0), 1024.0);
        assert_eq!(pow(0.0, 0.0), 1.0);
        assert_eq!(pow(f64::NAN, 0.0), 1.0);
        assert_eq!(pow(1.0, f64::NAN), 1.0);
        assert!(pow(-8.0, 1.0 / 3.0).is_nan());
        assert_eq!(pow(0.0, -1.0), f64::INFINITY);
        assert_eq!(pow(10.0, -2.0), 0.01);
        assert!((pow(27.0, 1.0 / 3.0) - 3.0).abs() < 1e-15);
        // That f64::powf reaches this function, not libm.so's, is what
        // tests/process_start.rs checks: the binary does not load libm at all.
    }
}
