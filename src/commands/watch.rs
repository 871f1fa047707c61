//! `--watch`: a keeper (see `engine::keeper`) whose outlet is the credentials file: rotate now,
//! then again before each expiry, until SIGTERM or SIGINT; SIGHUP refreshes at once. While a
//! refresh fails, the last good credentials stay in the file.

use crate::adapters::credentials_file::{self, CredentialsFile};
use crate::adapters::signals::Signals;
use crate::commands::{report, rotate};
use crate::domain::credentials::TemporaryCredentials;
use crate::domain::schedule;
use crate::engine::keeper::{self, Outlet};
use crate::engine::session::Session;
use crate::settings::{FileSettings, OutputSettings, RotateSettings};
use std::time::{Duration, SystemTime};

/// Keeps the profile fresh until stopped; `Ok` after SIGTERM or SIGINT.
pub async fn run(
    settings: &RotateSettings,
    file: &FileSettings,
    output: &OutputSettings,
) -> anyhow::Result<()> {
    let mut signals = Signals::listen()?;
    let credentials_file = rotate::check_before_network(settings, file)?;
    let outlet = FileOutlet {
        settings,
        file,
        output,
        credentials_file: &credentials_file,
    };
    keeper::keep_fresh(settings, &outlet, &mut signals).await
}

/// The profile in the credentials file, written under the lock and reported.
struct FileOutlet<'a> {
    settings: &'a RotateSettings,
    file: &'a FileSettings,
    output: &'a OutputSettings,
    credentials_file: &'a CredentialsFile,
}

impl Outlet for FileOutlet<'_> {
    /// Under the lock: the expiry of credentials another rolecreds wrote into the profile
    /// after `last_seen`, if still fresh beyond the margin (then no STS call is needed).
    fn adopt(
        &self,
        last_seen: Option<SystemTime>,
        margin: Duration,
    ) -> anyhow::Result<Option<SystemTime>> {
        let locked = self.credentials_file.lock(self.file.lock_timeout)?;
        let current =
            credentials_file::profile_expiration(locked.contents(), &self.settings.profile);
        if let Some(current) = current
            && last_seen.is_none_or(|seen| current > seen)
            && schedule::has_at_least(current, margin, SystemTime::now())
        {
            tracing::info!(
                "profile {} was refreshed by another rolecreds (expires {}): no STS call",
                self.settings.profile,
                humantime::format_rfc3339_seconds(current)
            );
            return Ok(Some(current));
        }
        Ok(None)
    }

    /// Writes the profile under the lock (taken only now: the STS call before it can take up
    /// to the operation timeout, and writers of other profiles must not wait on the network).
    fn publish(
        &self,
        session: &Session,
        credentials: &TemporaryCredentials,
    ) -> anyhow::Result<SystemTime> {
        let mut locked = self.credentials_file.lock(self.file.lock_timeout)?;
        let written = rotate::write(
            self.settings,
            self.credentials_file,
            &mut locked,
            credentials,
        )?;
        drop(locked);
        let report = rotate::written_report(
            session,
            self.settings,
            self.credentials_file,
            credentials,
            &written,
        );
        report::profile_written(self.output, &report);
        Ok(whole_seconds(credentials.expiration()))
    }
}

/// The file records expiries in whole seconds; compare like with like.
fn whole_seconds(time: SystemTime) -> SystemTime {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    SystemTime::UNIX_EPOCH + Duration::from_secs(since.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_seconds_drops_the_fraction() {
        let exact = SystemTime::UNIX_EPOCH + Duration::from_millis(1_500);
        assert_eq!(
            whole_seconds(exact),
            SystemTime::UNIX_EPOCH + Duration::from_secs(1)
        );
    }
}
