//! A session: the source credentials and the caller's name, resolved once, and the lifetime
//! fitted to the source (role chaining caps it at one hour); then AssumeRole from it, again
//! and again, with the source resolved afresh or taken from an MFA session.

use crate::adapters::aws::{AssumeRole, Aws};
use crate::adapters::console::say;
use crate::domain::credentials::TemporaryCredentials;
use crate::domain::secret::Secret;
use crate::domain::session_name::{self, SessionName, SessionParts};
use crate::error::UsageError;
use crate::settings::RotateSettings;
use aws_credential_types::Credentials;
use std::time::{Duration, SystemTime};

/// Role chaining (temporary source credentials) caps sessions at one hour.
const ROLE_CHAINING_LIMIT: Duration = Duration::from_secs(3600);

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
        let duration = fit_duration(settings.duration, aws.source_is_temporary, None);
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
            duration: fit_duration(settings.duration, true, None),
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
pub fn fit_duration(
    requested: Duration,
    source_is_temporary: bool,
    target: Option<&str>,
) -> Duration {
    if source_is_temporary && requested > ROLE_CHAINING_LIMIT {
        let target = target.map(|t| format!("target {t}: ")).unwrap_or_default();
        say!(
            "rolecreds: warning: {target}the source credentials are temporary (role chaining), \
             which STS caps at 1h; asking for 1h instead of {}",
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
