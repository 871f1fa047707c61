//! rolecreds: keeps AWS temporary credentials fresh in the shared credentials file.
//!
//! `main.rs` only parses and dispatches; [`run`] resolves settings and calls the modules,
//! whose data flows one way: arguments → settings → credentials → edit → commit → report.

pub mod cli;
pub mod credentials;
pub mod credentials_file;
pub mod exit;
pub mod import;
pub mod profile_name;
pub mod report;
pub mod secret;
pub mod settings;

use anyhow::Context as _;
use cli::{Cli, Command};
use credentials_file::CredentialsFile;
use settings::FileSettings;
use std::io::Read as _;

/// Runs the parsed command line; the caller prints the error and exits with its code.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let settings =
        FileSettings::resolve(&cli.file, |name| std::env::var_os(name), dirs::home_dir())?;
    match cli.command {
        Some(Command::Import(args)) => import_from_stdin(&settings, &args.profile_name),
        None => Err(exit::UsageError(
            "nothing to do; see `rolecreds --help` for the commands".into(),
        )
        .into()),
    }
}

fn import_from_stdin(
    settings: &FileSettings,
    profile: &profile_name::ProfileName,
) -> anyhow::Result<()> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read standard input")?;
    let credentials = import::parse_credentials_json(&input)?;
    let file = CredentialsFile::new(&settings.credentials_file)?;
    let mut locked = file.lock(settings.lock_timeout)?;
    let written = locked.write_profile(profile, &credentials)?;
    drop(locked);
    report::profile_written(settings, file.path(), profile, &credentials, &written);
    Ok(())
}

/// Lets a write past the file-size limit (`ulimit -f`) fail with an error, which rolecreds
/// reports and cleans up after, instead of killing the process with SIGXFSZ.
pub fn ignore_file_size_signal() {
    // SAFETY: setting a signal to SIG_IGN installs no handler code and is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}
