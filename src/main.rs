//! The rolecreds binary: parse the command line, run, print any error on one line, exit with
//! its documented code.

use clap::Parser as _;
use rolecreds::exit::{Exit, exit_code_for};
use std::process::ExitCode;

fn main() -> ExitCode {
    rolecreds::ignore_file_size_signal();
    let cli = rolecreds::cli::Cli::parse();
    match rolecreds::run(cli) {
        Ok(()) => Exit::Success.into(),
        Err(err) => {
            eprintln!("rolecreds: error: {err:#}");
            exit_code_for(&err).into()
        }
    }
}
