//! `--watch`: rotate now, then again before each expiry, until SIGTERM or SIGINT; SIGHUP
//! refreshes at once. Transient failures are retried with backoff while the last good
//! credentials stay in place; failures that retrying cannot fix end the watch.

use crate::adapters::aws::AwsFailure;
use crate::adapters::credentials_file::{self, CannotUpdate, CredentialsFile};
use crate::domain::schedule;
use crate::report;
use crate::rotate::{self, Session};
use crate::settings::{FileSettings, OutputSettings, RotateSettings};
use anyhow::Context as _;
use std::time::{Duration, SystemTime};
use tokio::signal::unix::{Signal, SignalKind, signal};

/// Keeps the profile fresh until stopped; `Ok` after SIGTERM or SIGINT.
pub async fn watch(
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

/// Logs a failed attempt once and returns how long to wait before the next.
fn retry_after(failures: u32, err: &anyhow::Error) -> Duration {
    let wait = schedule::backoff(failures, fastrand::f64());
    eprintln!(
        "rolecreds: warning: refresh failed (attempt {failures}), retrying in {}: {err:#}",
        humantime::format_duration(Duration::from_secs(wait.as_secs().max(1)))
    );
    wait
}

/// Whether credentials STS just issued already have less than `margin` left by this clock.
pub(crate) fn arrived_stale(expiration: SystemTime, margin: Duration) -> bool {
    !schedule::has_at_least(expiration, margin, SystemTime::now())
}

/// The warning for credentials that arrived inside the refresh margin (`target` names the
/// target of a `--targets` watch).
pub(crate) fn stale_warning(
    target: Option<&str>,
    expiration: SystemTime,
    failures: u32,
    wait: Duration,
) -> String {
    let target = target.map(|t| format!("target {t}: ")).unwrap_or_default();
    format!(
        "rolecreds: warning: {target}refresh failed (attempt {failures}), retrying in {}: the \
         new credentials expire {} (by this machine's clock), too soon to be of use though \
         just issued; this machine's clock is probably wrong (check NTP)",
        humantime::format_duration(Duration::from_secs(wait.as_secs().max(1))),
        humantime::format_rfc3339_seconds(expiration)
    )
}

/// Whether the MFA session, if any, has less than the refresh margin left: time to ask for
/// a new code while the role credentials last written are still valid.
fn mfa_session_ending(session: &Session, margin: Duration) -> bool {
    session
        .mfa_session_expiry()
        .is_some_and(|expiry| !schedule::has_at_least(expiry, margin, SystemTime::now()))
}

/// Asks for the MFA code (when one is needed and not given) on a thread of its own, so that
/// SIGTERM, SIGINT and SIGHUP (the terminal closed) still stop the watch while the prompt
/// waits: a read on the runtime's only thread would block the signal handling too. `None`
/// when a signal came first.
async fn mfa_code_or_signal(
    settings: &RotateSettings,
    signals: &mut Signals,
) -> anyhow::Result<Option<Option<(String, crate::domain::secret::Secret)>>> {
    if settings.mfa_serial.is_none() || settings.token_code.is_some() {
        return rotate::mfa_code(settings).map(Some);
    }
    let (send, receive) = tokio::sync::oneshot::channel();
    let asking = settings.clone();
    // Left blocked in its read if a signal wins; the process exits without waiting for it.
    std::thread::spawn(move || {
        let _ = send.send(rotate::mfa_code(&asking));
    });
    tokio::select! {
        code = receive => code.context("the MFA prompt ended unexpectedly")?.map(Some),
        () = signals.any() => Ok(None),
    }
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

/// A margin that fits the lifetime actually granted (role chaining may have cut it to 1 h).
fn fit_margin(margin: Duration, lifetime: Duration) -> Duration {
    if margin < lifetime {
        return margin;
    }
    let fitted = schedule::refresh_margin(lifetime, None);
    eprintln!(
        "rolecreds: warning: --refresh-before {}s does not fit the {}s session; refreshing {}s \
         before expiry instead",
        margin.as_secs(),
        lifetime.as_secs(),
        fitted.as_secs()
    );
    fitted
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
        let report =
            self.session
                .written(self.settings, self.credentials_file, &credentials, &written);
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

/// Whether waiting and trying again can fix this: unreachable or throttled AWS, 5xx, a
/// held lock, a file the user is fixing. Access denied, MFA and bad input cannot.
pub(crate) fn is_retryable(err: &anyhow::Error) -> bool {
    match err.chain().find_map(|c| c.downcast_ref::<AwsFailure>()) {
        Some(AwsFailure::Unreachable(_) | AwsFailure::Transient(_) | AwsFailure::Other(_)) => true,
        Some(AwsFailure::Refused(_) | AwsFailure::MfaRequired(_) | AwsFailure::Invalid(_)) => false,
        None => err.downcast_ref::<CannotUpdate>().is_some(),
    }
}

/// Why a wait ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Wake {
    /// The refresh point came.
    Due,
    /// SIGHUP: refresh now.
    Now,
    /// SIGTERM or SIGINT.
    Stop,
}

pub(crate) struct Signals {
    terminate: Signal,
    interrupt: Signal,
    hangup: Signal,
}

impl Signals {
    /// Registers the handlers before the first write, so a signal during a write is kept
    /// and acted on once the write is done.
    pub(crate) fn listen() -> anyhow::Result<Self> {
        let listen = |kind| signal(kind).context("cannot listen for signals");
        Ok(Self {
            terminate: listen(SignalKind::terminate())?,
            interrupt: listen(SignalKind::interrupt())?,
            hangup: listen(SignalKind::hangup())?,
        })
    }

    /// Resolves on SIGTERM, SIGINT or SIGHUP (at a prompt, a hangup means the terminal is
    /// gone).
    async fn any(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
            _ = self.hangup.recv() => {}
        }
    }

    /// Resolves on SIGTERM or SIGINT.
    pub(crate) async fn stopped(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }

    /// Waits until `due` by the wall clock or by the monotonic clock, whichever comes first:
    /// the wall clock catches a suspend (the monotonic clock stops while the machine sleeps),
    /// the monotonic clock catches a wall clock set back (which would make the refresh late,
    /// while the credentials expire by AWS's clock). Sleeps in slices of at most a minute.
    /// `now` reads the wall clock (a parameter so tests can make it jump).
    pub(crate) async fn wait_until(
        &mut self,
        due: SystemTime,
        now: impl Fn() -> SystemTime,
    ) -> Wake {
        let deadline = tokio::time::Instant::now() + due.duration_since(now()).unwrap_or_default();
        loop {
            let until_deadline = deadline.saturating_duration_since(tokio::time::Instant::now());
            let nap = schedule::next_sleep(now(), due).min(until_deadline);
            if nap.is_zero() {
                return Wake::Due;
            }
            tokio::select! {
                _ = tokio::time::sleep(nap) => {}
                _ = self.terminate.recv() => return Wake::Stop,
                _ = self.interrupt.recv() => return Wake::Stop,
                _ = self.hangup.recv() => return Wake::Now,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    const HOUR: Duration = Duration::from_secs(3600);

    /// A wall clock that follows tokio's paused clock, plus a jump the test can set.
    fn fake_clock(jump: Arc<AtomicU64>) -> impl Fn() -> SystemTime {
        let base = SystemTime::UNIX_EPOCH + 1000 * HOUR;
        let start = tokio::time::Instant::now();
        move || base + start.elapsed() + Duration::from_secs(jump.load(Ordering::SeqCst))
    }

    #[tokio::test(start_paused = true)]
    async fn waits_in_slices_until_the_refresh_point() {
        let mut signals = Signals::listen().unwrap();
        let clock = fake_clock(Arc::default());
        let due = clock() + 45 * 60 * Duration::from_secs(1);
        let started = tokio::time::Instant::now();
        assert_eq!(signals.wait_until(due, &clock).await, Wake::Due);
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(45 * 60) && waited < Duration::from_secs(45 * 60 + 1)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_suspend_past_the_refresh_point_refreshes_within_a_slice_of_waking() {
        let mut signals = Signals::listen().unwrap();
        let jump = Arc::new(AtomicU64::new(0));
        let clock = fake_clock(jump.clone());
        let due = clock() + 2 * HOUR;
        let waker = jump.clone();
        tokio::spawn(async move {
            // Ten minutes in, the machine "sleeps" for three hours: the wall clock leaps.
            tokio::time::sleep(Duration::from_secs(600)).await;
            waker.store(3 * 3600, Ordering::SeqCst);
        });
        let started = tokio::time::Instant::now();
        assert_eq!(signals.wait_until(due, &clock).await, Wake::Due);
        assert!(started.elapsed() <= Duration::from_secs(600) + schedule::MAX_SLICE);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wall_clock_set_back_does_not_make_the_refresh_late() {
        let mut signals = Signals::listen().unwrap();
        let jump_back = Arc::new(AtomicU64::new(0));
        let base = fake_clock(Arc::default());
        let due = base() + Duration::from_secs(600);
        let clock = {
            let jump_back = jump_back.clone();
            move || base() - Duration::from_secs(jump_back.load(Ordering::SeqCst))
        };
        let setter = jump_back.clone();
        tokio::spawn(async move {
            // Two minutes in, someone sets the clock back an hour.
            tokio::time::sleep(Duration::from_secs(120)).await;
            setter.store(3600, Ordering::SeqCst);
        });
        let started = tokio::time::Instant::now();
        assert_eq!(signals.wait_until(due, &clock).await, Wake::Due);
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(600) && waited < Duration::from_secs(601),
            "refreshed after {waited:?}, not after the 10 minutes that really passed"
        );
    }

    #[test]
    fn retryable_failures_are_the_ones_waiting_can_fix() {
        let aws = |failure: AwsFailure| anyhow::Error::from(failure);
        assert!(is_retryable(&aws(AwsFailure::Unreachable("down".into()))));
        assert!(is_retryable(&aws(AwsFailure::Transient(
            "throttled".into()
        ))));
        assert!(!is_retryable(&aws(AwsFailure::Refused(
            "AccessDenied".into()
        ))));
        assert!(!is_retryable(&aws(AwsFailure::MfaRequired("code".into()))));
        let locked = anyhow::anyhow!("timed out").context(CannotUpdate {
            path: "credentials".into(),
        });
        assert!(is_retryable(&locked));
        assert!(!is_retryable(&anyhow::anyhow!("bad input")));
    }

    #[test]
    fn whole_seconds_drops_the_fraction() {
        let exact = SystemTime::UNIX_EPOCH + Duration::from_millis(1_500);
        assert_eq!(
            whole_seconds(exact),
            SystemTime::UNIX_EPOCH + Duration::from_secs(1)
        );
    }
}
