//! rolecreds: keeps AWS temporary credentials fresh in the shared credentials file.
//!
//! `main.rs` only parses and dispatches; [`run`] resolves settings and calls the modules,
//! whose data flows one way: arguments → settings → credentials → edit → commit → report.

pub mod adapters;
pub mod cli;
pub mod credential_process;
pub mod domain;
pub mod error;
pub mod exit;
pub mod generate;
pub mod report;
pub mod rotate;
pub mod settings;
pub mod status;
pub mod targets;
pub mod watch;

use anyhow::Context as _;
use cli::{Cli, Command};
use settings::{FileSettings, OutputSettings, RotateSettings};
use std::io::Read as _;

/// Runs the parsed command line; the caller prints the error and exits with its code.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(kind) = cli.generate {
        return generate::generate(kind, &mut std::io::stdout().lock())
            .context("cannot write the generated file");
    }
    let output = OutputSettings::from(&cli.output);
    adapters::logging::init(output.verbosity);
    let var = |name: &str| std::env::var_os(name);
    let file = FileSettings::resolve(&cli.file, var, dirs::home_dir())?;
    if let (Some(command), Some(flag)) = (&cli.command, cli.rotate.first_given()) {
        let message = format!(
            "{flag} is for a rotation and does not go with `{}`; drop it",
            command.name()
        );
        return Err(error::UsageError(message).into());
    }
    match cli.command {
        Some(Command::Import(args)) => import_from_stdin(&file, &output, &args.profile_name),
        Some(Command::Status(args)) => {
            let min_remaining = args.min_remaining.unwrap_or_default();
            status::show(&file, &output, args.profile.as_ref(), min_remaining)
        }
        None if cli.rotate.targets.is_some() => block_on(targets::run(&cli.rotate, &file, &output)),
        None => {
            let role_profile = match &cli.rotate.from_profile {
                Some(name) => Some(read_role_profile(name, &file, var)?),
                None => None,
            };
            let rotation = RotateSettings::resolve(&cli.rotate, var, role_profile.as_ref())?;
            block_on(rotate::run(&rotation, &file, &output))
        }
    }
}

/// Runs the async part of a command on a single-threaded runtime (a CLI makes a few calls;
/// more threads would only cost start-up time and memory).
fn block_on<T>(future: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(future)
}

/// Reads `--from-profile`'s role profile from the config file (`AWS_CONFIG_FILE`, else
/// ~/.aws/config) together with the credentials file, where source profiles often live.
fn read_role_profile(
    name: &str,
    file: &FileSettings,
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> anyhow::Result<domain::role_profile::RoleProfile> {
    let config_path = match var("AWS_CONFIG_FILE").filter(|p| !p.is_empty()) {
        Some(path) => std::path::PathBuf::from(path),
        None => file
            .home
            .clone()
            .unwrap_or_default()
            .join(".aws")
            .join("config"),
    };
    let rules = adapters::fs::checked_read::Rules {
        max_bytes: settings::MAX_INPUT_FILE_BYTES,
        follow_symlink: true,
        owner: adapters::fs::checked_read::Owner::UserOrRoot,
        writers: adapters::fs::checked_read::Writers::NotOthers,
    };
    let config = adapters::fs::checked_read::read(&config_path, &rules)
        .map_err(|err| error::UsageError(format!("the AWS config file: {err}")))?
        .map(|(bytes, _)| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let credentials = file.open()?.read_current()?;
    let credentials = String::from_utf8_lossy(&credentials);
    domain::role_profile::read_role_profile(&config, &credentials, name)
        .map_err(|message| error::UsageError(message).into())
}

fn import_from_stdin(
    file: &FileSettings,
    output: &OutputSettings,
    profile: &domain::profile_name::ProfileName,
) -> anyhow::Result<()> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read standard input")?;
    let credentials = domain::credentials_json::parse_credentials_json(&input)?;
    let credentials_file = file.open()?;
    credentials_file.check_before_network()?;
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
