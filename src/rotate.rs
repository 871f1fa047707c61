//! The one-shot rotation: resolve the caller, assume the role, write the profile, report.

use crate::adapters::aws::{AssumeRole, Aws, AwsFailure};
use crate::adapters::credentials_file::{
    CannotUpdate, CredentialsFile, LockedCredentialsFile, WriteReport,
};
use crate::domain::credentials::TemporaryCredentials;
use crate::domain::schedule;
use crate::domain::secret::Secret;
use crate::domain::session_name::{self, SessionName, SessionParts};
use crate::error::UsageError;
use crate::report::{self, Written};
use crate::settings::{self, FileSettings, Mode, OutputSettings, RotateSettings};
use anyhow::Context as _;
use aws_credential_types::Credentials;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::time::{Duration, SystemTime};

/// Role chaining (temporary source credentials) caps sessions at one hour.
const ROLE_CHAINING_LIMIT: Duration = Duration::from_secs(3600);

/// Runs a rotation in the mode the settings name.
pub async fn run(
    settings: &RotateSettings,
    file: &FileSettings,
    output: &OutputSettings,
) -> anyhow::Result<()> {
    match settings.mode {
        Mode::Watch => crate::watch::watch(settings, file, output).await,
        Mode::CredentialProcess => crate::credential_process::serve(settings, file).await,
        Mode::OnceUnlessFresh(needed) if profile_is_fresh(settings, file, needed)? => Ok(()),
        Mode::Once | Mode::OnceUnlessFresh(_) => rotate_once(settings, file, output).await,
    }
}

/// Runs one rotation end to end.
async fn rotate_once(
    settings: &RotateSettings,
    file: &FileSettings,
    output: &OutputSettings,
) -> anyhow::Result<()> {
    let credentials_file = check_before_network(settings, file)?;
    let mfa_code = mfa_code(settings)?;
    let session = Session::start(settings).await?;
    if settings.dry_run {
        let role = settings.role.to_string();
        report::dry_run(
            output,
            &settings.profile,
            credentials_file.path(),
            &role,
            session.name.as_str(),
            session.duration,
        );
        return Ok(());
    }
    let credentials = session.assume(settings, mfa_code).await?;
    let mut locked = credentials_file.lock(file.lock_timeout)?;
    let written = write(settings, &credentials_file, &mut locked, &credentials)?;
    drop(locked);
    report::profile_written(
        output,
        &session.written(settings, &credentials_file, &credentials, &written),
    );
    Ok(())
}

/// The checks that need no network: the target profile may be written.
pub fn check_before_network(
    settings: &RotateSettings,
    file: &FileSettings,
) -> anyhow::Result<CredentialsFile> {
    let credentials_file = file.open()?;
    ensure_target_is_not_the_source(settings, &credentials_file)?;
    let contents = credentials_file.check_before_network()?;
    ensure_no_long_term_keys(settings, &credentials_file, &contents)?;
    Ok(credentials_file)
}

/// Writes `credentials` under the lock, re-checking for long-term keys there.
pub fn write(
    settings: &RotateSettings,
    credentials_file: &CredentialsFile,
    locked: &mut LockedCredentialsFile<'_>,
    credentials: &TemporaryCredentials,
) -> anyhow::Result<WriteReport> {
    ensure_no_long_term_keys(settings, credentials_file, locked.contents())?;
    locked.write_profile(&settings.profile, credentials)
}

/// `--min-remaining`: true (and nothing to do) when the profile's credentials, by their
/// `x_security_token_expires`, are still valid for at least `needed`.
fn profile_is_fresh(
    settings: &RotateSettings,
    file: &FileSettings,
    needed: Duration,
) -> anyhow::Result<bool> {
    let contents = file.open()?.read_current()?;
    let expiration =
        crate::adapters::credentials_file::profile_expiration(&contents, &settings.profile);
    let fresh = expiration.is_some_and(|at| schedule::has_at_least(at, needed, SystemTime::now()));
    match expiration {
        Some(at) if fresh => tracing::info!(
            "profile {} expires {}, at least {} away: nothing to do",
            settings.profile,
            humantime::format_rfc3339_seconds(at),
            humantime::format_duration(needed)
        ),
        Some(at) => tracing::info!(
            "profile {} expires {}, less than {} away: rotating",
            settings.profile,
            humantime::format_rfc3339_seconds(at),
            humantime::format_duration(needed)
        ),
        None => tracing::info!(
            "profile {} has no expiry on record: rotating",
            settings.profile
        ),
    }
    Ok(fresh)
}

/// What stays the same across refreshes: the session name, the lifetime to ask for, and an
/// MFA session to assume the role from, if there is one.
#[derive(Debug)]
pub struct Session {
    pub name: SessionName,
    pub duration: Duration,
    mfa_session: Option<(Credentials, SystemTime)>,
    /// The connection made at start, used for the first AssumeRole so that a one-shot run
    /// resolves its source credentials (maybe a credential_process, an SSO token) only once.
    first_connection: std::sync::Mutex<Option<Aws>>,
}

impl Session {
    /// Connects once to learn the caller's name, and fits the duration to the source.
    pub async fn start(settings: &RotateSettings) -> anyhow::Result<Self> {
        let aws = Aws::connect(&settings.connection).await?;
        let name = session_name_for(&aws, settings).await?;
        let duration = fit_duration(settings.duration, aws.source_is_temporary);
        Ok(Self {
            name,
            duration,
            mfa_session: None,
            first_connection: std::sync::Mutex::new(Some(aws)),
        })
    }

    /// For `--watch` with MFA: one GetSessionToken with the code, then the role is assumed
    /// from that session without MFA until it nears its end (role chaining: 1 h sessions).
    pub async fn start_with_mfa_session(
        settings: &RotateSettings,
        (serial, code): (String, Secret),
    ) -> anyhow::Result<Self> {
        let aws = Aws::connect(&settings.connection).await?;
        let name = session_name_for(&aws, settings).await?;
        let mfa_session = aws
            .mfa_session(&serial, &code, settings.mfa_session_duration)
            .await?;
        tracing::info!(
            "MFA session valid until {}",
            humantime::format_rfc3339_seconds(mfa_session.1)
        );
        Ok(Self {
            name,
            duration: fit_duration(settings.duration, true),
            mfa_session: Some(mfa_session),
            first_connection: std::sync::Mutex::new(None),
        })
    }

    /// When the MFA session ends, if the role is assumed from one.
    pub fn mfa_session_expiry(&self) -> Option<SystemTime> {
        self.mfa_session.as_ref().map(|(_, expiry)| *expiry)
    }

    /// Uses the start's connection the first time, then resolves the source credentials
    /// afresh (they may rotate too), or uses the MFA session; and assumes the role.
    pub async fn assume(
        &self,
        settings: &RotateSettings,
        mfa: Option<(String, Secret)>,
    ) -> anyhow::Result<TemporaryCredentials> {
        let (aws, mfa) = match &self.mfa_session {
            Some((credentials, _)) => {
                let aws = Aws::with_source(&settings.connection, credentials.clone()).await?;
                (aws, None)
            }
            None => {
                let first = self
                    .first_connection
                    .lock()
                    .ok()
                    .and_then(|mut first| first.take());
                let aws = match first {
                    Some(aws) => aws,
                    None => Aws::connect(&settings.connection).await?,
                };
                (aws, mfa)
            }
        };
        let request = assume_role_request(settings, self.name.clone(), self.duration, mfa);
        Ok(aws.assume_role(&request).await?)
    }

    /// The report of a write.
    pub fn written<'a>(
        &self,
        settings: &'a RotateSettings,
        credentials_file: &'a CredentialsFile,
        credentials: &'a TemporaryCredentials,
        report: &'a WriteReport,
    ) -> Written<'a> {
        Written {
            profile: &settings.profile,
            credentials_file: credentials_file.path(),
            role_arn: Some(settings.role.to_string()),
            session_name: Some(self.name.to_string()),
            credentials,
            report,
        }
    }
}

/// Writing into the profile the source credentials come from would replace the user's keys.
fn ensure_target_is_not_the_source(
    settings: &RotateSettings,
    file: &CredentialsFile,
) -> anyhow::Result<()> {
    if settings.source_profile_in_use.as_deref() == Some(settings.profile.as_str()) {
        return Err(anyhow::anyhow!(
            "the source credentials come from profile {0}; writing temporary credentials \
             there would replace them. Pass another --profile-name",
            settings.profile
        ))
        .context(CannotUpdate {
            path: file.path().to_owned(),
        });
    }
    Ok(())
}

/// A profile with keys but no session token holds someone's long-term keys: keep them unless
/// the user says `--force`.
fn ensure_no_long_term_keys(
    settings: &RotateSettings,
    file: &CredentialsFile,
    contents: &[u8],
) -> anyhow::Result<()> {
    if settings.force
        || !crate::adapters::credentials_file::holds_long_term_keys(contents, &settings.profile)
    {
        return Ok(());
    }
    Err(anyhow::anyhow!(
        "profile {} holds long-term keys (no aws_session_token); rolecreds will not overwrite \
         them. Pass another --profile-name, or --force to replace them",
        settings.profile
    ))
    .context(CannotUpdate {
        path: file.path().to_owned(),
    })
}

/// The MFA code: `--token-code`, else asked on the terminal; never waits on a pipe.
pub fn mfa_code(settings: &RotateSettings) -> anyhow::Result<Option<(String, Secret)>> {
    let Some(serial) = &settings.mfa_serial else {
        return Ok(None);
    };
    if let Some(code) = &settings.token_code {
        return Ok(Some((serial.clone(), code.clone())));
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() || settings.dry_run {
        return Err(AwsFailure::MfaRequired(format!(
            "the role needs an MFA code for {serial} and there is no terminal to ask on; pass \
             --token-code CODE"
        ))
        .into());
    }
    eprint!("MFA code for {serial}: ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the MFA code")?;
    let code = settings::check_token_code(&line)?;
    Ok(Some((serial.clone(), code)))
}

async fn session_name_for(aws: &Aws, settings: &RotateSettings) -> anyhow::Result<SessionName> {
    let needs_user = settings.session_template.contains("{user}");
    let user = if needs_user {
        let (user, source) = aws.caller_username().await?;
        tracing::info!("session name uses {user:?} from {source}");
        user
    } else {
        String::new()
    };
    let parts = SessionParts {
        user: &user,
        role: settings.role.name(),
        account: settings.role.account_id(),
    };
    let name = session_name::render(&settings.session_template, parts).map_err(UsageError)?;
    tracing::info!("session name {name}");
    Ok(name)
}

/// Caps the lifetime at one hour when chaining roles, where STS refuses more.
fn fit_duration(requested: Duration, source_is_temporary: bool) -> Duration {
    if source_is_temporary && requested > ROLE_CHAINING_LIMIT {
        eprintln!(
            "rolecreds: warning: the source credentials are temporary (role chaining), which \
             STS caps at 1h; asking for 1h instead of {}",
            humantime::format_duration(requested)
        );
        return ROLE_CHAINING_LIMIT;
    }
    requested
}

fn assume_role_request(
    settings: &RotateSettings,
    session_name: SessionName,
    duration: Duration,
    mfa: Option<(String, Secret)>,
) -> AssumeRole {
    AssumeRole {
        role_arn: settings.role.to_string(),
        session_name,
        duration,
        options: settings.options.clone(),
        mfa,
    }
}
