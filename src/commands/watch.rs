//! `--watch`: rotate now, then again before each expiry, until SIGTERM or SIGINT; SIGHUP
//! refreshes at once. Transient failures are retried with backoff while the last good
//! credentials stay in place; failures that retrying cannot fix end the watch.

use crate::adapters::aws::AwsFailure;
use crate::adapters::credentials_file::{self, CredentialsFile};
use crate::adapters::signals::{Signals, Wake};
use crate::commands::report;
use crate::commands::rotate;
use crate::domain::schedule;
use crate::engine::mfa::mfa_code_or_signal;
use crate::engine::refresh::{arrived_stale, fit_margin, is_retryable, retry_after, stale_warning};
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
    let Some(mfa) = mfa_code_or_signal(settings, &mut signals).await? else {
        tracing::info!("stopping on signal");
        return Ok(());
    };
    let Some(mut session) = start_session(settings, mfa, &mut signals).await? else {
        return Ok(());
    };
    let margin = fit_margin(settings.refresh_margin, session.duration);
    if margin != settings.refresh_margin {
        eprintln!(
            "rolecreds: warning: --refresh-before {}s does not fit the {}s session; refreshing \
             {}s before expiry instead",
            settings.refresh_margin.as_secs(),
            session.duration.as_secs(),
            margin.as_secs()
        );
    }
    let mut last_seen = None;
    let mut failures = 0;
    let mut force = true;
    loop {
        if mfa_session_ending(&session, margin) {
            let Some(renewed) = renew_mfa_session(settings, &mut signals).await? else {
                tracing::info!("stopping on signal");
                return Ok(());
            };
            session = renewed;
        }
        let attempt = Refresh {
            settings,
            file,
            output,
            session: &session,
            credentials_file: &credentials_file,
            margin,
        };
        // A signal during the STS call cancels it; the write after it has no await point, so
        // a write that has begun always finishes.
        let outcome = tokio::select! {
            outcome = attempt.run(last_seen, force) => outcome,
            () = signals.stopped() => {
                tracing::info!("stopping on signal");
                return Ok(());
            }
        };
        let due = match outcome {
            // Just issued yet already inside the margin: the local clock is ahead of AWS's.
            // Retrying at once would get the same answer thousands of times a minute, and
            // STS throttles per account: back off as for any failure.
            Ok(expiration) if arrived_stale(expiration, margin) => {
                failures += 1;
                last_seen = Some(expiration);
                let wait = schedule::backoff(failures, fastrand::f64());
                eprintln!("{}", stale_warning(None, expiration, failures, wait));
                SystemTime::now() + wait
            }
            Ok(expiration) => {
                failures = 0;
                last_seen = Some(expiration);
                schedule::refresh_at(expiration, session.duration, margin, fastrand::f64())
            }
            Err(err) if is_retryable(&err) => {
                failures += 1;
                SystemTime::now() + retry_after(failures, &err)
            }
            Err(err) => return Err(err),
        };
        tracing::info!("next refresh at {}", humantime::format_rfc3339_seconds(due));
        match signals.wait_until(due, SystemTime::now).await {
            Wake::Due => force = false,
            Wake::Now => force = true,
            Wake::Stop => {
                tracing::info!("stopping on signal");
                return Ok(());
            }
        }
    }
}

/// Starts the session (the caller's name, an MFA session), retrying transient failures like
/// any refresh: a watcher started at boot before the network is up waits for it. `None`
/// when a signal stopped it first.
async fn start_session(
    settings: &RotateSettings,
    mfa: Option<(String, crate::domain::secret::Secret)>,
    signals: &mut Signals,
) -> anyhow::Result<Option<Session>> {
    let mut failures = 0;
    loop {
        let started = match &mfa {
            Some(mfa) => Session::start_with_mfa_session(settings, mfa.clone()).await,
            None => Session::start(settings).await,
        };
        match started {
            Ok(session) => return Ok(Some(session)),
            Err(err) if is_retryable(&err) && mfa.is_none() => {
                failures += 1;
                let due = SystemTime::now() + retry_after(failures, &err);
                if signals.wait_until(due, SystemTime::now).await == Wake::Stop {
                    return Ok(None);
                }
            }
            Err(err) => return Err(err),
        }
    }
}

/// Whether the MFA session, if any, has less than the refresh margin left: time to ask for
/// a new code while the role credentials last written are still valid.
fn mfa_session_ending(session: &Session, margin: Duration) -> bool {
    session
        .mfa_session_expiry()
        .is_some_and(|expiry| !schedule::has_at_least(expiry, margin, SystemTime::now()))
}

/// A new MFA session needs a new code: asked on the terminal, else the watch ends (exit 5).
/// `None` when a signal stopped the prompt.
async fn renew_mfa_session(
    settings: &RotateSettings,
    signals: &mut Signals,
) -> anyhow::Result<Option<Session>> {
    eprintln!("rolecreds: the MFA session is ending; a new MFA code is needed");
    let unattended = AwsFailure::MfaRequired(
        "the MFA session has ended and there is no terminal to ask for a new code; restart \
         rolecreds --watch with a fresh --token-code"
            .into(),
    );
    let mut fresh = settings.clone();
    fresh.token_code = None;
    match mfa_code_or_signal(&fresh, signals).await {
        Ok(None) => Ok(None),
        Ok(Some(Some(mfa))) => Session::start_with_mfa_session(settings, mfa)
            .await
            .map(Some),
        Ok(Some(None)) => Err(unattended.into()),
        Err(err) if err.downcast_ref::<AwsFailure>().is_some() => Err(unattended.into()),
        Err(err) => Err(err),
    }
}

/// One refresh attempt.
struct Refresh<'a> {
    settings: &'a RotateSettings,
    file: &'a FileSettings,
    output: &'a OutputSettings,
    session: &'a Session,
    credentials_file: &'a CredentialsFile,
    margin: Duration,
}

impl Refresh<'_> {
    /// Under the file lock: if another rolecreds already wrote credentials newer than the
    /// ones last seen and fresh beyond the margin, adopt them; else assume and write.
    /// Returns the expiry now in the profile.
    async fn run(&self, last_seen: Option<SystemTime>, force: bool) -> anyhow::Result<SystemTime> {
        if let Some(adopted) = self.written_by_another(last_seen, force)? {
            return Ok(adopted);
        }
        // The lock is not held during the STS call (up to the operation timeout), so writers
        // of other profiles never wait on the network.
        let credentials = self.session.assume(self.settings, None).await?;
        let mut locked = self.credentials_file.lock(self.file.lock_timeout)?;
        let written = rotate::write(
            self.settings,
            self.credentials_file,
            &mut locked,
            &credentials,
        )?;
        drop(locked);
        let report = rotate::written_report(
            self.session,
            self.settings,
            self.credentials_file,
            &credentials,
            &written,
        );
        report::profile_written(self.output, &report);
        Ok(whole_seconds(credentials.expiration()))
    }

    /// Under the lock: the expiry of credentials another rolecreds wrote into the profile
    /// after `last_seen`, if still fresh beyond the margin (then no STS call is needed).
    fn written_by_another(
        &self,
        last_seen: Option<SystemTime>,
        force: bool,
    ) -> anyhow::Result<Option<SystemTime>> {
        let locked = self.credentials_file.lock(self.file.lock_timeout)?;
        let current =
            credentials_file::profile_expiration(locked.contents(), &self.settings.profile);
        if let Some(current) = current.filter(|_| !force)
            && last_seen.is_none_or(|seen| current > seen)
            && schedule::has_at_least(current, self.margin, SystemTime::now())
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
