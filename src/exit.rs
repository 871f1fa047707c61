//! The process exit codes, documented in the README and kept stable for scripts and cron.

use crate::adapters::aws::AwsFailure;
use crate::adapters::credentials_file::CannotUpdate;
use crate::domain::credentials::InvalidCredentialValue;
use crate::domain::profile_name::InvalidProfileName;
use crate::error::UsageError;

/// Exit codes; scripts branch on these, so a code's meaning never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Success = 0,
    /// Anything not covered below.
    Failure = 1,
    /// Bad arguments or input; nothing was sent or written.
    Usage = 2,
    /// AWS refused the request (access denied, expired or invalid source credentials).
    AwsRefused = 3,
    /// The credentials file was refused, could not be written, or its lock timed out.
    CredentialsFile = 4,
    /// The role needs an MFA code and none could be asked for.
    MfaRequired = 5,
    /// AWS could not be reached.
    Network = 6,
    /// `status --profile`: the profile is missing, expired, or expires too soon.
    NotFresh = 7,
    /// `--targets`: some targets failed (each reported on its own line); the others were
    /// written.
    SomeTargetsFailed = 8,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

/// The exit code for an error, from the typed errors and markers in its chain.
pub fn exit_code_for(err: &anyhow::Error) -> Exit {
    if err
        .downcast_ref::<crate::commands::targets::SomeTargetsFailed>()
        .is_some()
    {
        return Exit::SomeTargetsFailed;
    }
    if err
        .downcast_ref::<crate::commands::status::NotFresh>()
        .is_some()
    {
        return Exit::NotFresh;
    }
    if err.downcast_ref::<CannotUpdate>().is_some() {
        return Exit::CredentialsFile;
    }
    if let Some(failure) = err.chain().find_map(|c| c.downcast_ref::<AwsFailure>()) {
        return match failure {
            AwsFailure::Refused(_) => Exit::AwsRefused,
            AwsFailure::Unreachable(_) | AwsFailure::Transient(_) => Exit::Network,
            AwsFailure::MfaRequired(_) => Exit::MfaRequired,
            AwsFailure::Invalid(_) => Exit::Usage,
            AwsFailure::Other(_) => Exit::Failure,
        };
    }
    let is_usage = |cause: &(dyn std::error::Error + 'static)| {
        cause.is::<UsageError>()
            || cause.is::<InvalidProfileName>()
            || cause.is::<InvalidCredentialValue>()
    };
    if err.chain().any(is_usage) {
        return Exit::Usage;
    }
    Exit::Failure
}
