//! A keeper: one role kept fresh on the schedule, handing each new set of credentials to an
//! outlet. It asks for the MFA code (stoppable by a signal), starts the session (retrying
//! while the network is down), assumes the role now and again before each expiry, retries
//! failures that waiting can fix with backoff while the outlet keeps the last good set, renews
//! an MFA session before it ends, refreshes at once on SIGHUP and stops on SIGTERM or SIGINT.
//!
//! `--watch` is a keeper and the credentials-file outlet; `exec` and `serve` will be a keeper
//! and an outlet that updates what a local endpoint serves.

use crate::adapters::aws::AwsFailure;
use crate::adapters::console::say;
use crate::adapters::signals::{Signals, Wake};
use crate::domain::credentials::TemporaryCredentials;
use crate::domain::schedule;
use crate::domain::secret::Secret;
use crate::engine::mfa::mfa_code_or_signal;
use crate::engine::refresh::{arrived_stale, fit_margin, is_retryable, retry_after, stale_warning};
use crate::engine::session::Session;
use crate::settings::RotateSettings;
use std::time::{Duration, SystemTime};

/// Where a keeper's credentials go.
pub trait Outlet {
    /// Before a call to STS: the expiry of credentials already in place that are newer than
    /// `last_seen` and fresh beyond `margin` (another rolecreds put them there), so that no
    /// call is needed. Not asked on the first round or after SIGHUP.
    fn adopt(
        &self,
        last_seen: Option<SystemTime>,
        margin: Duration,
    ) -> anyhow::Result<Option<SystemTime>>;

    /// Puts a new set in place; returns the expiry now in place. It must not await: a
    /// signal then never interrupts a publication that has begun.
    fn publish(
        &self,
        session: &Session,
        credentials: &TemporaryCredentials,
    ) -> anyhow::Result<SystemTime>;
}

/// Keeps the role fresh in `outlet` until a signal stops it (`Ok`) or a failure that waiting
/// cannot fix ends it.
pub async fn keep_fresh(
    settings: &RotateSettings,
    outlet: &impl Outlet,
    signals: &mut Signals,
) -> anyhow::Result<()> {
    let Some(mfa) = mfa_code_or_signal(settings, signals).await? else {
        return stopped();
    };
    let Some(session) = start_session(settings, mfa, signals).await? else {
        return stopped();
    };
    keep(settings, session, None, outlet, signals).await
}

/// Keeps the role fresh in `outlet` from a session whose first set (expiring at
/// `published`) is already in place: `exec` starts its command only once that first call has
/// succeeded, and reports its failure instead of retrying.
pub async fn keep_fresh_after(
    settings: &RotateSettings,
    session: Session,
    published: SystemTime,
    outlet: &impl Outlet,
    signals: &mut Signals,
) -> anyhow::Result<()> {
    keep(settings, session, Some(published), outlet, signals).await
}

/// The loop: refresh, then wait for the refresh point, a retry or a signal.
async fn keep(
    settings: &RotateSettings,
    mut session: Session,
    published: Option<SystemTime>,
    outlet: &impl Outlet,
    signals: &mut Signals,
) -> anyhow::Result<()> {
    let margin = margin_for(settings, &session);
    let mut last_seen = published;
    let mut failures = 0;
    let mut forced = true;
    if let Some(expiration) = published {
        let due = schedule::refresh_at(expiration, session.duration, margin, fastrand::f64());
        match signals.wait_until(due, SystemTime::now).await {
            Wake::Due | Wake::Now => {}
            Wake::Stop => return stopped(),
        }
    }
    loop {
        if mfa_session_ending(&session, margin) {
            let Some(renewed) = renew_mfa_session(settings, signals).await? else {
                return stopped();
            };
            session = renewed;
        }
        // A signal during the STS call cancels it; publishing has no await point, so a
        // publication that has begun always finishes.
        let outcome = tokio::select! {
            outcome = refresh(settings, &session, outlet, last_seen, margin, forced) => outcome,
            () = signals.stopped() => return stopped(),
        };
        let due = match outcome {
            // Just issued yet already inside the margin: the local clock is ahead of AWS's.
            // Retrying at once would get the same answer thousands of times a minute, and
            // STS throttles per account: back off as for any failure.
            Ok(expiration) if arrived_stale(expiration, margin) => {
                failures += 1;
                last_seen = Some(expiration);
                let wait = schedule::backoff(failures, fastrand::f64());
                say!("{}", stale_warning(None, expiration, failures, wait));
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
            Wake::Due => forced = false,
            Wake::Now => forced = true,
            Wake::Stop => return stopped(),
        }
    }
}

fn stopped() -> anyhow::Result<()> {
    tracing::info!("stopping on signal");
    Ok(())
}

/// One round: adopt what another rolecreds put in place, else assume and publish. Returns
/// the expiry now in place.
async fn refresh(
    settings: &RotateSettings,
    session: &Session,
    outlet: &impl Outlet,
    last_seen: Option<SystemTime>,
    margin: Duration,
    forced: bool,
) -> anyhow::Result<SystemTime> {
    if !forced && let Some(adopted) = outlet.adopt(last_seen, margin)? {
        return Ok(adopted);
    }
    let credentials = session.assume(settings, None).await?;
    outlet.publish(session, &credentials)
}

/// The refresh margin fitted to the lifetime granted (role chaining may have cut it to 1 h).
fn margin_for(settings: &RotateSettings, session: &Session) -> Duration {
    let margin = fit_margin(settings.refresh_margin, session.duration);
    if margin != settings.refresh_margin {
        say!(
            "rolecreds: warning: --refresh-before {}s does not fit the {}s session; refreshing \
             {}s before expiry instead",
            settings.refresh_margin.as_secs(),
            session.duration.as_secs(),
            margin.as_secs()
        );
    }
    margin
}

/// Starts the session (the caller's name, an MFA session), retrying transient failures like
/// any refresh: a watcher started at boot before the network is up waits for it. `None`
/// when a signal stopped it first.
async fn start_session(
    settings: &RotateSettings,
    mfa: Option<(String, Secret)>,
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
/// a new code while the credentials last published are still valid.
fn mfa_session_ending(session: &Session, margin: Duration) -> bool {
    session
        .mfa_session_expiry()
        .is_some_and(|expiry| !schedule::has_at_least(expiry, margin, SystemTime::now()))
}

/// A new MFA session needs a new code: asked on the terminal, else the keeper ends (exit 5).
/// `None` when a signal stopped the prompt.
async fn renew_mfa_session(
    settings: &RotateSettings,
    signals: &mut Signals,
) -> anyhow::Result<Option<Session>> {
    say!("rolecreds: the MFA session is ending; a new MFA code is needed");
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
