//! The application: resolve the settings once, dispatch to the command, run its async work on
//! one runtime, and turn the outcome into the exit code (printing the error on one line).

use crate::cli::{Cli, Command, resolve};
use crate::commands;
use crate::error::UsageError;
use crate::exit::{Exit, exit_code_for};
use crate::settings::{self, FileSettings, Mode, OutputSettings, RotateSettings};
use anyhow::Context as _;

/// Runs the parsed command line and returns the exit code; an error is printed first as one
/// `rolecreds: error: ...` line.
pub fn run(cli: Cli) -> Exit {
    crate::adapters::fs::ignore_file_size_signal();
    match dispatch(cli) {
        Ok(()) => Exit::Success,
        Err(err) => {
            eprintln!("rolecreds: error: {err:#}");
            exit_code_for(&err)
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    if let Some(kind) = cli.generate {
        return crate::cli::generate::generate(kind, &mut std::io::stdout().lock())
            .context("cannot write the generated file");
    }
    let output = resolve::output_settings(&cli.output);
    crate::adapters::logging::init(output.verbosity);
    let var = |name: &str| std::env::var_os(name);
    let file = resolve::file_settings(&cli.file, var, dirs::home_dir())?;
    refuse_rotation_flags_with_a_subcommand(&cli)?;
    match cli.command {
        Some(Command::Import(args)) => commands::import::run(&file, &output, &args.profile_name),
        Some(Command::Status(args)) => {
            let min_remaining = args.min_remaining.unwrap_or_default();
            commands::status::show(&file, &output, args.profile.as_ref(), min_remaining)
        }
        None if cli.rotate.targets.is_some() => {
            let plan = resolve::targets_plan(&cli.rotate, |name| std::env::var(name).ok())?;
            match plan.watch {
                true => block_on(commands::targets_watch::run(&plan, &file, &output)),
                false => block_on(commands::targets::run(&plan, &file, &output)),
            }
        }
        None => {
            let role_profile = match &cli.rotate.from_profile {
                Some(name) => Some(settings::role_profile::read(name, &file, var)?),
                None => None,
            };
            let rotation = resolve::rotate_settings(&cli.rotate, var, role_profile.as_ref())?;
            block_on(rotate(&rotation, &file, &output))
        }
    }
}

/// A rotation in the mode the settings name.
async fn rotate(
    settings: &RotateSettings,
    file: &FileSettings,
    output: &OutputSettings,
) -> anyhow::Result<()> {
    match settings.mode {
        Mode::Watch => commands::watch::run(settings, file, output).await,
        Mode::CredentialProcess => commands::credential_process::serve(settings, file).await,
        Mode::OnceUnlessFresh(needed) if commands::rotate::is_fresh(settings, file, needed)? => {
            Ok(())
        }
        Mode::Once | Mode::OnceUnlessFresh(_) => {
            commands::rotate::once(settings, file, output).await
        }
    }
}

/// Rotation flags do not go with a subcommand (`status`, `import`).
fn refuse_rotation_flags_with_a_subcommand(cli: &Cli) -> Result<(), UsageError> {
    match (&cli.command, cli.rotate.first_given()) {
        (Some(command), Some(flag)) => Err(UsageError(format!(
            "{flag} is for a rotation and does not go with `{}`; drop it",
            command.name()
        ))),
        _ => Ok(()),
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
