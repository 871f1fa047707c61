//! The outlet `exec` and `serve` give a keeper: what the local endpoint serves for one role,
//! replaced in memory at each refresh (consumers read it without waiting on anything); and
//! the first set, taken in one attempt so that a role that cannot be assumed is reported at
//! once.

use crate::adapters::endpoint::{CredentialsFeed, ServedCredentials};
use crate::domain::credentials::TemporaryCredentials;
use crate::engine::keeper::Outlet;
use crate::engine::mfa::mfa_code;
use crate::engine::session::Session;
use crate::settings::RotateSettings;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// The MFA session (if any), the session and the first set: one attempt, so that a role
/// that cannot be assumed fails here, before the command starts, with its own exit code.
pub async fn first_credentials(
    settings: &RotateSettings,
) -> anyhow::Result<(Session, TemporaryCredentials)> {
    let session = match mfa_code(settings)? {
        Some(mfa) => Session::start_with_mfa_session(settings, mfa).await?,
        None => Session::start(settings).await?,
    };
    let credentials = session.assume(settings, None).await?;
    Ok((session, credentials))
}

/// What the endpoint serves, fed by the keeper.
pub struct EndpointOutlet {
    sender: watch::Sender<Option<Arc<ServedCredentials>>>,
    role_arn: String,
}

impl EndpointOutlet {
    /// An outlet for `settings`' role and the feed the endpoint serves it from.
    pub fn new(settings: &RotateSettings) -> (Self, CredentialsFeed) {
        let (sender, feed) = watch::channel(None);
        let outlet = Self {
            sender,
            role_arn: settings.role.to_string(),
        };
        (outlet, feed)
    }
}

impl Outlet for EndpointOutlet {
    fn adopt(&self, _: Option<SystemTime>, _: Duration) -> anyhow::Result<Option<SystemTime>> {
        Ok(None)
    }

    fn publish(
        &self,
        _: &Session,
        credentials: &TemporaryCredentials,
    ) -> anyhow::Result<SystemTime> {
        self.sender.send_replace(Some(Arc::new(ServedCredentials {
            credentials: credentials.clone(),
            role_arn: self.role_arn.clone(),
        })));
        tracing::info!(
            "serving new credentials, expiring {}",
            credentials.expiration_rfc3339()
        );
        Ok(credentials.expiration())
    }
}
