//! The resolved settings: what the program does, derived once from the command line and the
//! environment, then passed down as plain values. Everything here is checked before any
//! network call or file write.

use crate::adapters::aws::Connection;
use crate::adapters::credentials_file::location;
use crate::cli::{FileArgs, OutputArgs, OutputFormat, RotateArgs};
use crate::domain::assume::AssumeOptions;
use crate::domain::profile_name::ProfileName;
use crate::domain::role::RoleArn;
use crate::domain::role_profile::{RoleProfile, Source};
use crate::domain::schedule;
use crate::domain::secret::Secret;
use crate::domain::session_name::{self, DEFAULT_TEMPLATE, SessionParts};
use crate::error::UsageError;
use crate::{adapters::fs::checked_read, domain::request_limits};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How the credentials file is found and written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSettings {
    /// The credentials file, as the user or the environment named it.
    pub credentials_file: PathBuf,
    /// The longest wait for another writer's lock.
    pub lock_timeout: Duration,
    /// The home directory in use (`HOME`, else the password database's), if any.
    pub home: Option<PathBuf>,
}

impl FileSettings {
    /// `var` reads the environment; `home` is the password database's home directory.
    pub fn resolve(
        args: &FileArgs,
        var: impl Fn(&str) -> Option<OsString>,
        home: Option<PathBuf>,
    ) -> anyhow::Result<Self> {
        let home = var("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or(home);
        let credentials_file = match &args.credentials_file {
            Some(path) => path.clone(),
            // No home and no path is the user's to fix (set HOME or name the file): exit 2.
            None => location::credentials_file_path(var, home.clone())
                .map_err(|err| UsageError(err.to_string()))?,
        };
        Ok(Self {
            credentials_file,
            lock_timeout: args.lock_timeout,
            home,
        })
    }

    /// The credentials file to read and write, its symlinks followed.
    pub fn open(&self) -> anyhow::Result<crate::adapters::credentials_file::CredentialsFile> {
        crate::adapters::credentials_file::CredentialsFile::new(
            &self.credentials_file,
            self.home.as_deref(),
        )
    }
}

/// How results are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputSettings {
    pub format: OutputFormat,
    pub quiet: bool,
    pub verbosity: u8,
}

impl From<&OutputArgs> for OutputSettings {
    fn from(args: &OutputArgs) -> Self {
        Self {
            format: args.output,
            quiet: args.quiet,
            verbosity: args.verbose,
        }
    }
}

/// STS's limits for DurationSeconds.
pub const MIN_DURATION: Duration = Duration::from_secs(900);
pub const MAX_DURATION: Duration = Duration::from_secs(43_200);
/// The default session lifetime, as in the AWS CLI.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(3600);

/// One rotation: which role, into which profile, with which AssumeRole options.
#[derive(Debug, Clone)]
pub struct RotateSettings {
    pub role: RoleArn,
    pub profile: ProfileName,
    pub connection: Connection,
    /// The profile the source credentials come from, when they come from a profile.
    pub source_profile_in_use: Option<String>,
    pub duration: Duration,
    pub session_template: String,
    pub options: AssumeOptions,
    pub mfa_serial: Option<String>,
    pub token_code: Option<Secret>,
    /// How long a `--watch` MFA session (GetSessionToken) lasts before a new code is needed.
    pub mfa_session_duration: Duration,
    pub force: bool,
    pub dry_run: bool,
    /// What to do besides one write: watch, answer credential_process, or skip if fresh.
    pub mode: Mode,
    /// How long before expiry to refresh (and to stop reusing cached credentials).
    pub refresh_margin: Duration,
}

/// How a rotation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write the profile once.
    Once,
    /// Write the profile once unless it is valid for at least this long.
    OnceUnlessFresh(Duration),
    /// Keep the profile fresh until stopped.
    Watch,
    /// Print credential_process JSON, from the cache while it is fresh.
    CredentialProcess,
}

impl RotateSettings {
    /// Checks and resolves the rotation flags; `var` reads the environment; `from_profile`
    /// is the role profile `--from-profile` named, whose values the flags override.
    pub fn resolve(
        args: &RotateArgs,
        var: impl Fn(&str) -> Option<OsString>,
        from_profile: Option<&RoleProfile>,
    ) -> Result<Self, UsageError> {
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
            (None, Some(name)) => ProfileName::parse(&format!("{name}-rolecreds"))
                .map_err(|e| usage(e.to_string()))?,
            (None, None) => {
                ProfileName::parse(role.account_id()).map_err(|e| usage(e.to_string()))?
            }
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
        let source_profile_in_use = source_profile.clone().or_else(|| {
            let keys_in_environment = text("AWS_ACCESS_KEY_ID").is_some_and(|k| !k.is_empty());
            (!keys_in_environment).then(|| text("AWS_PROFILE").unwrap_or_else(|| "default".into()))
        });
        let duration = args
            .duration
            .or_else(|| from_profile.and_then(|p| p.duration))
            .unwrap_or(DEFAULT_DURATION);
        let duration = check_duration(duration)?;
        let refresh = &args.refresh;
        if let Some(before) = refresh.refresh_before {
            schedule::check_refresh_before(before, duration).map_err(usage)?;
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
        Ok(Self {
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
                external_id: check_length(
                    "--external-id",
                    &args
                        .external_id
                        .clone()
                        .or_else(|| from(|p| p.external_id.clone())),
                    2,
                    1224,
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
            mfa_session_duration: check_mfa_session_duration(args.mfa_session_duration)?,
            force: args.force,
            dry_run: args.dry_run,
            role,
            profile,
        })
    }
}

fn check_duration(duration: Duration) -> Result<Duration, UsageError> {
    if (MIN_DURATION..=MAX_DURATION).contains(&duration) {
        return Ok(duration);
    }
    Err(UsageError(format!(
        "--duration {} seconds is outside what STS accepts: 900 to 43200 (15m to 12h)",
        duration.as_secs()
    )))
}

/// GetSessionToken accepts 15 minutes to 36 hours.
fn check_mfa_session_duration(duration: Duration) -> Result<Duration, UsageError> {
    if (MIN_DURATION..=Duration::from_secs(129_600)).contains(&duration) {
        return Ok(duration);
    }
    Err(UsageError(format!(
        "--mfa-session-duration {} seconds is outside what STS accepts: 900 to 129600 (15m to 36h)",
        duration.as_secs()
    )))
}

fn check_length(
    flag: &str,
    value: &Option<String>,
    min: usize,
    max: usize,
) -> Result<Option<String>, UsageError> {
    match value {
        Some(text) if !(min..=max).contains(&text.len()) => Err(UsageError(format!(
            "{flag} must be {min} to {max} characters long"
        ))),
        _ => Ok(value.clone()),
    }
}

/// The region rolecreds will use, from the flag, the role profile or the environment, must be
/// a plain region name: anything else would end up in a host name.
pub fn check_regions(
    region: Option<&str>,
    var: impl Fn(&str) -> Option<OsString>,
) -> Result<(), UsageError> {
    if let Some(region) = region {
        request_limits::check_region("--region", region).map_err(UsageError)?;
    }
    for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(value) = var(name).filter(|v| !v.is_empty()) {
            let value = value.to_string_lossy();
            request_limits::check_region(name, &value).map_err(UsageError)?;
        }
    }
    Ok(())
}

/// `--token-code CODE`, or `--token-code -` to read it from standard input (a code on the
/// command line is visible to every local user in `ps`).
fn token_code_from_arg(arg: &str) -> Result<Secret, UsageError> {
    if arg != "-" {
        return check_token_code(arg);
    }
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut line).map_err(|err| {
        UsageError(format!(
            "cannot read --token-code from standard input: {err}"
        ))
    })?;
    let code = check_token_code(&line);
    zeroize::Zeroize::zeroize(&mut line);
    code
}

/// An MFA code is six digits; anything else would only be refused by STS.
pub fn check_token_code(code: &str) -> Result<Secret, UsageError> {
    let code = code.trim();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Secret::new(code))
    } else {
        Err(UsageError(
            "the MFA code must be the 6 digits your device shows".into(),
        ))
    }
}

/// The largest targets file read (a generous cap: real ones are a few kilobytes).
pub const MAX_TARGETS_FILE_BYTES: u64 = 1 << 20;
/// The largest AWS config file read (generated configs with thousands of profiles fit).
pub const MAX_INPUT_FILE_BYTES: u64 = 16 << 20;
/// The largest session-policy file read; what is sent is capped by STS's 2,048 characters.
const MAX_POLICY_FILE_BYTES: u64 = 64 << 10;

/// Reads an input file the user names (a regular file of bounded size, not writable by
/// others, owned by the user or root), as text.
pub fn read_input_file(flag: &str, path: &Path, max_bytes: u64) -> Result<String, UsageError> {
    let rules = checked_read::Rules {
        max_bytes,
        follow_symlink: true,
        owner: checked_read::Owner::UserOrRoot,
        writers: checked_read::Writers::NotOthers,
    };
    match checked_read::read(path, &rules) {
        Ok(Some((bytes, _))) => String::from_utf8(bytes)
            .map_err(|_| UsageError(format!("{flag} `{}` is not UTF-8 text", path.display()))),
        Ok(None) => Err(UsageError(format!(
            "{flag} `{}` does not exist",
            path.display()
        ))),
        Err(err) => Err(UsageError(format!("{flag}: {err}"))),
    }
}

/// The session policy, packed as it will be sent.
fn read_policy(path: Option<&Path>) -> Result<Option<String>, UsageError> {
    let Some(path) = path else { return Ok(None) };
    let text = read_input_file("--policy", path, MAX_POLICY_FILE_BYTES)?;
    request_limits::pack_policy(&text)
        .map(Some)
        .map_err(|err| UsageError(format!("--policy `{}` {err}", path.display())))
}
