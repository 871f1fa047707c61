//! From what the user typed (the clap types of this module's parent) to the resolved
//! settings the rest of the program uses: every flag checked, every default filled in, once.
//! The settings know nothing of clap; this is the one place the two meet.

use super::{FileArgs, OutputArgs, OutputFormat, RotateArgs};
use crate::adapters::aws::Connection;
use crate::adapters::console::say;
use crate::adapters::credentials_file::location;
use crate::domain::assume::AssumeOptions;
use crate::domain::profile_name::ProfileName;
use crate::domain::request_limits;
use crate::domain::role::RoleArn;
use crate::domain::role_profile::{RoleProfile, Source};
use crate::domain::schedule;
use crate::domain::session_name::{self, DEFAULT_TEMPLATE, SessionParts};
use crate::error::UsageError;
use crate::settings::targets::{Fallbacks, Plan};
use crate::settings::{
    self, DEFAULT_DURATION, ExecSettings, FileSettings, MfaProcess, Mode, OutputSettings,
    RotateSettings, ServeSettings, check_duration, check_external_id, check_length,
    check_mfa_session_duration, check_regions, read_policy, token_code_from_arg,
};
use anyhow::Context as _;
use std::ffi::OsString;
use std::path::PathBuf;

/// The file settings: `var` reads the environment; `home` is the password database's
/// home directory, used when `HOME` is unset (cron).
pub fn file_settings(
    args: &FileArgs,
    var: impl Fn(&str) -> Option<OsString>,
    home: Option<PathBuf>,
) -> anyhow::Result<FileSettings> {
    let home = location::home_dir(&var, home);
    let credentials_file = match &args.credentials_file {
        Some(path) => path.clone(),
        // No home and no path is the user's to fix (set HOME or name the file): exit 2.
        None => location::credentials_file_path(&var, home.clone())
            .map_err(|err| UsageError(err.to_string()))?,
    };
    Ok(FileSettings {
        credentials_file,
        lock_timeout: args.lock_timeout,
        config_file: match var("AWS_CONFIG_FILE").filter(|p| !p.is_empty()) {
            Some(path) => PathBuf::from(path),
            None => home.clone().unwrap_or_default().join(".aws").join("config"),
        },
        home,
    })
}

/// How results are shown.
pub fn output_settings(args: &OutputArgs) -> OutputSettings {
    OutputSettings {
        format: match args.output {
            OutputFormat::Text => settings::OutputFormat::Text,
            OutputFormat::Json => settings::OutputFormat::Json,
        },
        quiet: args.quiet,
        verbosity: args.verbose,
    }
}

/// Checks and resolves the rotation flags; `var` reads the environment; `from_profile`
/// is the role profile `--from-profile` named, whose values the flags override.
pub fn rotate_settings(
    args: &RotateArgs,
    var: impl Fn(&str) -> Option<OsString>,
    from_profile: Option<&RoleProfile>,
) -> Result<RotateSettings, UsageError> {
    let usage = |message: String| UsageError(message);
    let role = match (&args.role_arn, &args.account_id, &args.role_name) {
        (Some(arn), _, _) => RoleArn::parse(arn),
        (None, None, None) if from_profile.is_some() => {
            let role_arn = from_profile
                .map(|p| p.role_arn.as_str())
                .unwrap_or_default();
            RoleArn::parse(role_arn).map_err(|err| format!("in the role profile: {err}"))
        }
        (None, Some(account), Some(name)) => RoleArn::from_parts(account, name),
        _ => Err(
            "name the role to assume: --account-id ID --role-name NAME, or --role-arn \
                  ARN (see rolecreds --help)"
                .to_owned(),
        ),
    }
    .map_err(usage)?;
    let profile = match (&args.profile_name, &args.from_profile) {
        (Some(profile), _) => profile.clone(),
        // Not the config profile's own name: static keys under that name in the
        // credentials file would override the role profile for every consumer.
        (None, Some(name)) => {
            ProfileName::parse(&format!("{name}-rolecreds")).map_err(|e| usage(e.to_string()))?
        }
        (None, None) => ProfileName::parse(role.account_id()).map_err(|e| usage(e.to_string()))?,
    };
    let from = |pick: fn(&RoleProfile) -> Option<String>| from_profile.and_then(pick);
    let region = args.region.clone().or_else(|| from(|p| p.region.clone()));
    check_regions(region.as_deref(), &var)?;
    request_limits::check_tags(&args.tag).map_err(usage)?;
    request_limits::check_policy_arns(&args.policy_arn).map_err(usage)?;
    let source_profile = args.source_profile.clone().or_else(|| {
        from(|p| match &p.source {
            Source::Profile(name) => Some(name.clone()),
            Source::CredentialSource(_) => None,
        })
    });
    let session_name = args
        .session_name
        .clone()
        .or_else(|| from(|p| p.role_session_name.clone()));
    let session_template = session_name.as_deref().unwrap_or(DEFAULT_TEMPLATE);
    let sample = SessionParts {
        user: "user",
        role: role.name(),
        account: role.account_id(),
    };
    session_name::render(session_template, sample).map_err(usage)?;
    let text = |name: &str| var(name).and_then(|v| v.into_string().ok());
    let source_profile_in_use = source_profile
        .clone()
        .or_else(|| default_source_profile(text));
    let duration = args
        .duration
        .or_else(|| from_profile.and_then(|p| p.duration))
        .unwrap_or(DEFAULT_DURATION);
    let duration = check_duration(duration)?;
    let refresh = &args.refresh;
    if let Some(before) = refresh.refresh_before {
        schedule::check_refresh_before(before, duration, schedule::FLAG_NAMES).map_err(usage)?;
    }
    let mode = match (
        refresh.watch,
        refresh.credential_process,
        refresh.min_remaining,
    ) {
        (true, _, _) => Mode::Watch,
        (_, true, _) => Mode::CredentialProcess,
        (_, _, Some(min)) => Mode::OnceUnlessFresh(min),
        _ => Mode::Once,
    };
    Ok(RotateSettings {
        mode,
        refresh_margin: schedule::refresh_margin(duration, refresh.refresh_before),
        connection: Connection {
            source_profile,
            region,
        },
        source_profile_in_use,
        duration,
        session_template: session_template.to_owned(),
        options: AssumeOptions {
            external_id: check_external_id(
                args.external_id
                    .clone()
                    .or_else(|| from(|p| p.external_id.clone())),
            )?,
            source_identity: check_length("--source-identity", &args.source_identity, 2, 64)?,
            policy_arns: args.policy_arn.clone(),
            policy: read_policy(args.policy.as_deref())?,
            tags: args.tag.clone(),
        },
        mfa_serial: check_length(
            "--mfa-serial",
            &args
                .mfa_serial
                .clone()
                .or_else(|| from(|p| p.mfa_serial.clone())),
            9,
            256,
        )?,
        token_code: args
            .token_code
            .as_deref()
            .map(token_code_from_arg)
            .transpose()?,
        mfa_process: mfa_process(args, from_profile)?,
        mfa_session_duration: check_mfa_session_duration(args.mfa_session_duration)?,
        force: args.force,
        dry_run: args.dry_run,
        role,
        profile,
    })
}

/// Reads and checks the targets file and the flags that go with it; nothing is sent.
pub fn targets_plan(
    args: &RotateArgs,
    var: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Plan> {
    let path = args.targets.as_deref().context("no --targets file")?;
    refuse_unsupported_flags(args)?;
    let text = settings::read_input_file("--targets", path, settings::MAX_TARGETS_FILE_BYTES)?;
    request_limits::check_tags(&args.tag).map_err(UsageError)?;
    request_limits::check_policy_arns(&args.policy_arn).map_err(UsageError)?;
    let fallbacks = Fallbacks {
        duration: args.duration,
        refresh_before: args.refresh.refresh_before,
        external_id: args.external_id.clone(),
        session_name: args.session_name.clone(),
        source_profile: args.source_profile.clone(),
        region: args.region.clone(),
    };
    let targets = crate::settings::targets::parse(&text, &fallbacks).map_err(|problems| {
        let shown = path.display();
        let mut lines: Vec<String> = problems
            .iter()
            .map(|problem| match problem.line {
                0 => format!("{shown}: {}", problem.message),
                line => format!("{shown}:{line}: {}", problem.message),
            })
            .collect();
        let last = lines.pop().unwrap_or_default();
        for line in lines {
            say!("rolecreds: error: {line}");
        }
        UsageError(last)
    })?;
    Ok(Plan {
        targets,
        jobs: usize::from(args.jobs),
        watch: args.refresh.watch,
        force: args.force,
        min_remaining: args.refresh.min_remaining,
        options: AssumeOptions {
            source_identity: args.source_identity.clone(),
            policy_arns: args.policy_arn.clone(),
            tags: args.tag.clone(),
            ..AssumeOptions::default()
        },
        default_source_profile: default_source_profile(var),
    })
}

/// The profile the SDK's default chain takes source credentials from: none when keys are in
/// the environment (they come first), else `AWS_PROFILE` or `default`.
fn default_source_profile(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    let keys_in_environment = var("AWS_ACCESS_KEY_ID").is_some_and(|k| !k.is_empty());
    (!keys_in_environment).then(|| var("AWS_PROFILE").unwrap_or_else(|| "default".into()))
}

fn refuse_unsupported_flags(args: &RotateArgs) -> Result<(), UsageError> {
    let unsupported = [
        ("--mfa-serial", args.mfa_serial.is_some()),
        ("--policy", args.policy.is_some()),
    ];
    match unsupported.into_iter().find(|(_, given)| *given) {
        Some((flag, _)) => Err(UsageError(format!(
            "{flag} does not go with --targets; run that role on its own"
        ))),
        None => Ok(()),
    }
}

/// `exec`: the rotation (no profile is written) and the command to run.
pub fn exec_settings(
    args: &super::ExecArgs,
    var: impl Fn(&str) -> Option<OsString>,
    from_profile: Option<&RoleProfile>,
) -> Result<(RotateSettings, ExecSettings), UsageError> {
    refuse_flags_of_other_modes("exec", &args.rotate, true)?;
    let rotation = rotate_settings(&args.rotate, var, from_profile)?;
    let exec = ExecSettings {
        command: args.command.clone(),
        keep_aws_files: args.keep_aws_files,
    };
    Ok((rotation, exec))
}

/// `serve`: the address, checked to be loopback (the SDKs take plain HTTP only from there).
pub fn serve_settings(args: &super::ServeArgs) -> Result<ServeSettings, UsageError> {
    refuse_flags_of_other_modes("serve", &args.rotate, false)?;
    if !args.listen.ip().is_loopback() {
        return Err(UsageError(format!(
            "--listen {} is not a loopback address; the SDKs fetch credentials over plain HTTP \
             only from loopback: use 127.0.0.1:PORT",
            args.listen
        )));
    }
    Ok(ServeSettings {
        listen: args.listen,
        token_file: args.token_file.clone(),
        background: args.background,
    })
}

/// The rotation flags that make no sense for `exec`/`serve` (they write no profile and keep
/// the credentials fresh by themselves); `--targets` only with `serve`.
fn refuse_flags_of_other_modes(
    mode: &str,
    args: &RotateArgs,
    one_role: bool,
) -> Result<(), UsageError> {
    let given = [
        ("--targets", one_role && args.targets.is_some()),
        ("--profile-name", args.profile_name.is_some()),
        ("--force", args.force),
        ("--dry-run", args.dry_run),
        ("--watch", args.refresh.watch),
        ("--credential-process", args.refresh.credential_process),
        ("--min-remaining", args.refresh.min_remaining.is_some()),
    ];
    match given.into_iter().find(|(_, given)| *given) {
        Some((flag, _)) => Err(UsageError(format!(
            "{flag} does not go with `{mode}`, which writes no profile and keeps the \
             credentials fresh by itself; drop it"
        ))),
        None => Ok(()),
    }
}

/// `--mfa-process`, else the role profile's `mfa_process` (unless a code is given): split
/// into words, checked to go with an MFA device.
fn mfa_process(
    args: &RotateArgs,
    from_profile: Option<&RoleProfile>,
) -> Result<Option<MfaProcess>, UsageError> {
    let given = args.mfa_process.clone().or_else(|| {
        from_profile
            .filter(|_| args.token_code.is_none())
            .and_then(|p| p.mfa_process.clone())
    });
    let Some(text) = given else {
        return Ok(None);
    };
    let has_serial =
        args.mfa_serial.is_some() || from_profile.is_some_and(|p| p.mfa_serial.is_some());
    if !has_serial {
        return Err(UsageError(
            "--mfa-process needs --mfa-serial (or mfa_serial in the role profile): the device \
             whose code it prints"
                .into(),
        ));
    }
    let argv = crate::domain::command_line::split(&text)
        .map_err(|err| UsageError(format!("--mfa-process {text:?}: {err}")))?;
    Ok(Some(MfaProcess {
        argv,
        timeout: args.mfa_process_timeout,
    }))
}
