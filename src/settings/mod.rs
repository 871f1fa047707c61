//! The resolved settings: what the program does, derived once from the command line and the
//! environment, then passed down as plain values. Everything here is checked before any
//! network call or file write.

use crate::adapters::aws::Connection;
use crate::domain::assume::AssumeOptions;
use crate::domain::profile_name::ProfileName;
use crate::domain::role::RoleArn;
use crate::domain::secret::Secret;
use crate::error::UsageError;
use crate::{adapters::fs::checked_read, domain::request_limits};
pub mod role_profile;
pub mod targets;

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
    /// The AWS config file: `AWS_CONFIG_FILE`, else ~/.aws/config.
    pub config_file: PathBuf,
}

impl FileSettings {
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

/// The result format: a human line on stderr, or JSON on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Json,
}

/// STS's limits for DurationSeconds.
use crate::domain::request_limits::MIN_DURATION;
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
    /// `--mfa-process` (or the role profile's `mfa_process`): asked for each code needed.
    pub mfa_process: Option<MfaProcess>,
    /// How long a `--watch` MFA session (GetSessionToken) lasts before a new code is needed.
    pub mfa_session_duration: Duration,
    pub force: bool,
    pub dry_run: bool,
    /// What to do besides one write: watch, answer credential_process, or skip if fresh.
    pub mode: Mode,
    /// How long before expiry to refresh (and to stop reusing cached credentials).
    pub refresh_margin: Duration,
}

impl RotateSettings {
    /// The rotation of one target of a targets plan, kept fresh (`serve --targets`).
    pub fn for_target(plan: &targets::Plan, target: &targets::Target) -> Self {
        Self {
            role: target.role.clone(),
            profile: target.profile.clone(),
            connection: Connection {
                source_profile: target.source_profile.clone(),
                region: target.region.clone(),
            },
            source_profile_in_use: plan.source_profile_of(target).map(str::to_owned),
            duration: target.duration,
            session_template: target.session_template.clone(),
            options: AssumeOptions {
                external_id: target.external_id.clone(),
                ..plan.options.clone()
            },
            mfa_serial: None,
            token_code: None,
            mfa_process: None,
            mfa_session_duration: DEFAULT_MFA_SESSION,
            force: plan.force,
            dry_run: false,
            mode: Mode::Watch,
            refresh_margin: target.refresh_margin,
        }
    }
}

/// A command that prints the MFA code, split into words (it runs without a shell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaProcess {
    pub argv: Vec<String>,
    pub timeout: Duration,
}

/// How long one MFA code lasts by default (`--mfa-session-duration`).
pub const DEFAULT_MFA_SESSION: Duration = Duration::from_secs(12 * 3600);

/// `exec`: the command to run with the role's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecSettings {
    /// The program and its arguments.
    pub command: Vec<std::ffi::OsString>,
    /// Let the command see the user's own AWS config and credentials files.
    pub keep_aws_files: bool,
}

/// `serve`: where to listen and where the token goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeSettings {
    /// A loopback address (port 0: a free one).
    pub listen: std::net::SocketAddr,
    /// Where to write the token; `None`: a private temp directory.
    pub token_file: Option<PathBuf>,
    /// Detach once serving (the parent prints the exports and exits).
    pub background: bool,
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

pub fn check_duration(duration: Duration) -> Result<Duration, UsageError> {
    request_limits::check_duration("--duration", duration).map_err(UsageError)?;
    Ok(duration)
}

/// `--external-id`, when given, of a length STS accepts.
pub fn check_external_id(id: Option<String>) -> Result<Option<String>, UsageError> {
    if let Some(id) = &id {
        request_limits::check_external_id("--external-id", id).map_err(UsageError)?;
    }
    Ok(id)
}

/// GetSessionToken accepts 15 minutes to 36 hours.
pub fn check_mfa_session_duration(duration: Duration) -> Result<Duration, UsageError> {
    if (MIN_DURATION..=Duration::from_secs(129_600)).contains(&duration) {
        return Ok(duration);
    }
    Err(UsageError(format!(
        "--mfa-session-duration {} seconds is outside what STS accepts: 900 to 129600 (15m to 36h)",
        duration.as_secs()
    )))
}

pub fn check_length(
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
pub fn token_code_from_arg(arg: &str) -> Result<Secret, UsageError> {
    if arg != "-" {
        return check_token_code(arg);
    }
    let mut line = String::new();
    // One short line is a code; the bound keeps `--token-code - < /dev/zero` from filling the
    // memory (no newline ever comes).
    let mut stdin = std::io::Read::take(std::io::stdin().lock(), 64);
    if let Err(err) = std::io::BufRead::read_line(&mut stdin, &mut line) {
        zeroize::Zeroize::zeroize(&mut line);
        return Err(UsageError(format!(
            "cannot read --token-code from standard input: {err}"
        )));
    }
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
pub fn read_policy(path: Option<&Path>) -> Result<Option<String>, UsageError> {
    let Some(path) = path else { return Ok(None) };
    let text = read_input_file("--policy", path, MAX_POLICY_FILE_BYTES)?;
    request_limits::pack_policy(&text)
        .map(Some)
        .map_err(|err| UsageError(format!("--policy `{}` {err}", path.display())))
}
