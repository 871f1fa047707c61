//! rolecreds: keeps AWS temporary credentials fresh in the shared credentials file.
//!
//! `main.rs` only parses and dispatches; [`run`] resolves settings and calls the modules,
//! whose data flows one way: arguments → settings → credentials → edit → commit → report.

pub mod aws;
pub mod cli;
pub mod credential_process;
pub mod credentials;
pub mod credentials_file;
pub mod exit;
pub mod generate;
pub mod import;
pub mod logging;
pub mod profile_name;
pub mod report;
pub mod role;
pub mod rotate;
pub mod schedule;
pub mod secret;
pub mod session_name;
pub mod settings;
pub mod status;
pub mod watch;

use anyhow::Context as _;
use cli::{Cli, Command};
use credentials_file::CredentialsFile;
use settings::{FileSettings, OutputSettings, RotateSettings};
use std::io::Read as _;

/// Runs the parsed command line; the caller prints the error and exits with its code.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(kind) = cli.generate {
        return generate::generate(kind, &mut std::io::stdout().lock())
            .context("cannot write the generated file");
    }
    let output = OutputSettings::from(&cli.output);
    logging::init(output.verbosity);
    let var = |name: &str| std::env::var_os(name);
    let file = FileSettings::resolve(&cli.file, var, dirs::home_dir())?;
    match cli.command {
        Some(Command::Import(args)) => {
            if let Some(flag) = cli.rotate.first_given() {
                let message =
                    format!("{flag} is for a rotation and does not go with `import`; drop it");
                return Err(exit::UsageError(message).into());
            }
            import_from_stdin(&file, &output, &args.profile_name)
        }
        Some(Command::Status(args)) => {
            if let Some(flag) = cli.rotate.first_given() {
                let message = format!("{flag} is for a rotation and does not go with `status`");
                return Err(exit::UsageError(message).into());
            }
            let min_remaining = args.min_remaining.unwrap_or_default();
            status::show(&file, &output, args.profile.as_ref(), min_remaining)
        }
        None => {
            let rotation = RotateSettings::resolve(&cli.rotate, var)?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            runtime.block_on(rotate::run(&rotation, &file, &output))
        }
    }
}

fn import_from_stdin(
    file: &FileSettings,
    output: &OutputSettings,
    profile: &profile_name::ProfileName,
) -> anyhow::Result<()> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read standard input")?;
    let credentials = import::parse_credentials_json(&input)?;
    let credentials_file = CredentialsFile::new(&file.credentials_file)?;
    let mut locked = credentials_file.lock(file.lock_timeout)?;
    let written = locked.write_profile(profile, &credentials)?;
    drop(locked);
    let written = report::Written {
        profile,
        credentials_file: credentials_file.path(),
        role_arn: None,
        session_name: None,
        credentials: &credentials,
        report: &written,
    };
    report::profile_written(output, &written);
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
