//! The application: resolve the settings once, dispatch to the command, run its async work on
//! one runtime, and turn the outcome into the exit code (printing the error on one line).

use crate::adapters::console::say;
use crate::cli::{Cli, Command, resolve};
use crate::commands;
use crate::error::UsageError;
use crate::exit::{Exit, exit_code_for};
use crate::settings::{self, FileSettings, Mode, OutputSettings, RotateSettings};
use anyhow::Context as _;

/// Runs the parsed command line and returns the exit code (for `exec`, its command's); an
/// error is printed first as one `rolecreds: error: ...` line.
pub fn run(cli: Cli) -> std::process::ExitCode {
    crate::adapters::fs::ignore_file_size_signal();
    match dispatch(cli) {
        Ok(Passed::Done) => Exit::Success.into(),
        Ok(Passed::Child(status)) => std::process::ExitCode::from(status),
        Err(err) => {
            say!("rolecreds: error: {err:#}");
            exit_code_for(&err).into()
        }
    }
}

/// Prints clap's refusal of the command line as one `rolecreds: error: ...` line, like every
/// other error, and returns the usage exit code.
pub fn refuse_command_line(err: &clap::Error) -> std::process::ExitCode {
    say!("rolecreds: error: {}", one_line(&err.to_string()));
    Exit::Usage.into()
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

/// How a command ended when it did not fail.
enum Passed {
    Done,
    /// `exec`: the command's own exit status, passed through.
    Child(u8),
}

/// The routes `serve` serves: each target of `--targets` at `/profile/NAME`, else one role.
fn serve_routes(
    args: &crate::cli::RotateArgs,
    file: &FileSettings,
) -> anyhow::Result<Vec<commands::serve::Route>> {
    let var = |name: &str| std::env::var_os(name);
    if args.targets.is_some() {
        let plan = resolve::targets_plan(args, |name| std::env::var(name).ok())?;
        return Ok(plan
            .targets
            .iter()
            .map(|target| commands::serve::Route {
                path: format!("/profile/{}", target.profile),
                profile: Some(target.profile.to_string()),
                settings: RotateSettings::for_target(&plan, target),
            })
            .collect());
    }
    let role_profile = role_profile(args, file)?;
    let settings = resolve::rotate_settings(args, var, role_profile.as_ref())?;
    Ok(vec![commands::serve::Route {
        path: "/role".to_owned(),
        profile: None,
        settings,
    }])
}

/// `--from-profile`'s role profile, if given.
fn role_profile(
    args: &crate::cli::RotateArgs,
    file: &FileSettings,
) -> anyhow::Result<Option<crate::domain::role_profile::RoleProfile>> {
    args.from_profile
        .as_deref()
        .map(|name| settings::role_profile::read(name, file))
        .transpose()
}

fn dispatch(cli: Cli) -> anyhow::Result<Passed> {
    if let Some(kind) = cli.generate {
        crate::cli::generate::generate(kind, &mut std::io::stdout().lock())
            .context("cannot write the generated file")?;
        return Ok(Passed::Done);
    }
    let output = resolve::output_settings(&cli.output);
    crate::adapters::logging::init(output.verbosity);
    let var = |name: &str| std::env::var_os(name);
    let file = resolve::file_settings(&cli.file, var, dirs::home_dir())?;
    refuse_rotation_flags_with_a_subcommand(&cli)?;
    let done = |result: anyhow::Result<()>| result.map(|()| Passed::Done);
    match cli.command {
        Some(Command::Import(args)) => {
            done(commands::import::run(&file, &output, &args.profile_name))
        }
        Some(Command::Status(args)) => {
            let min_remaining = args.min_remaining.unwrap_or_default();
            done(commands::status::show(
                &file,
                &output,
                args.profile.as_ref(),
                min_remaining,
            ))
        }
        Some(Command::Exec(args)) => {
            let role_profile = role_profile(&args.rotate, &file)?;
            let (rotation, exec) = resolve::exec_settings(&args, var, role_profile.as_ref())?;
            block_on(commands::exec::run(&rotation, &exec, &file)).map(Passed::Child)
        }
        Some(Command::Serve(args)) => {
            let serve = resolve::serve_settings(&args)?;
            if serve.background {
                return commands::serve::start_in_background().map(Passed::Child);
            }
            let routes = serve_routes(&args.rotate, &file)?;
            done(block_on(commands::serve::run(routes, &serve)))
        }
        None if cli.rotate.targets.is_some() => {
            let plan = resolve::targets_plan(&cli.rotate, |name| std::env::var(name).ok())?;
            done(match plan.watch {
                true => block_on(commands::targets_watch::run(&plan, &file, &output)),
                false => block_on(commands::targets::run(&plan, &file, &output)),
            })
        }
        None => {
            let role_profile = role_profile(&cli.rotate, &file)?;
            let rotation = resolve::rotate_settings(&cli.rotate, var, role_profile.as_ref())?;
            done(block_on(rotate(&rotation, &file, &output)))
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
