//! The signals a long-running mode obeys (SIGTERM and SIGINT stop, SIGHUP refreshes now), and
//! the wait until a refresh point that wakes on either clock or on a signal.

use crate::domain::schedule;
use anyhow::Context as _;
use std::time::SystemTime;
use tokio::signal::unix::{Signal, SignalKind, signal};

/// Why a wait ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Wake {
    /// The refresh point came.
    Due,
    /// SIGHUP: refresh now.
    Now,
    /// SIGTERM or SIGINT.
    Stop,
}

/// The stop and refresh signals, or none at all ([`Signals::inert`]).
pub struct Signals {
    terminate: Option<Signal>,
    interrupt: Option<Signal>,
    hangup: Option<Signal>,
}

/// The next delivery of `signal`, or never when it is not listened to.
async fn delivery(signal: &mut Option<Signal>) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}

impl Signals {
    /// Registers the handlers before the first write, so a signal during a write is kept
    /// and acted on once the write is done.
    pub fn listen() -> anyhow::Result<Self> {
        let listen = |kind| signal(kind).context("cannot listen for signals");
        Ok(Self {
            terminate: Some(listen(SignalKind::terminate())?),
            interrupt: Some(listen(SignalKind::interrupt())?),
            hangup: Some(listen(SignalKind::hangup())?),
        })
    }

    /// Signals that never arrive: for a keeper whose process hands its signals to a child
    /// (`exec`), so that they neither stop nor refresh it.
    pub fn inert() -> Self {
        Self {
            terminate: None,
            interrupt: None,
            hangup: None,
        }
    }

    /// Resolves on SIGTERM, SIGINT or SIGHUP (at a prompt, a hangup means the terminal is
    /// gone).
    pub async fn any(&mut self) {
        tokio::select! {
            () = delivery(&mut self.terminate) => {}
            () = delivery(&mut self.interrupt) => {}
            () = delivery(&mut self.hangup) => {}
        }
    }

    /// Resolves on SIGTERM or SIGINT.
    pub async fn stopped(&mut self) {
        tokio::select! {
            () = delivery(&mut self.terminate) => {}
            () = delivery(&mut self.interrupt) => {}
        }
    }

    /// Waits until `due` by the wall clock or by the monotonic clock, whichever comes first:
    /// the wall clock catches a suspend (the monotonic clock stops while the machine sleeps),
    /// the monotonic clock catches a wall clock set back (which would make the refresh late,
    /// while the credentials expire by AWS's clock). Sleeps in slices of at most a minute.
    /// `now` reads the wall clock (a parameter so tests can make it jump).
    pub async fn wait_until(&mut self, due: SystemTime, now: impl Fn() -> SystemTime) -> Wake {
        let deadline = tokio::time::Instant::now() + due.duration_since(now()).unwrap_or_default();
        loop {
            let until_deadline = deadline.saturating_duration_since(tokio::time::Instant::now());
            let nap = schedule::next_sleep(now(), due).min(until_deadline);
            if nap.is_zero() {
                return Wake::Due;
            }
            tokio::select! {
                _ = tokio::time::sleep(nap) => {}
                () = delivery(&mut self.terminate) => return Wake::Stop,
                () = delivery(&mut self.interrupt) => return Wake::Stop,
                () = delivery(&mut self.hangup) => return Wake::Now,
            }
        }
    }
}

/// The signals `exec` passes on to its child: those a user or a service manager sends to
/// stop, reload or poke a process.
pub struct Forwarded {
    signals: Vec<(libc::c_int, Signal)>,
}

impl Forwarded {
    pub const KINDS: [libc::c_int; 6] = [
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGUSR2,
    ];

    /// Listens for every kind in [`Forwarded::KINDS`] (their default actions, which would
    /// end rolecreds and orphan the child, no longer apply).
    pub fn listen() -> anyhow::Result<Self> {
        let signals = Self::KINDS
            .iter()
            .map(|&number| {
                signal(SignalKind::from_raw(number))
                    .map(|listener| (number, listener))
                    .context("cannot listen for signals")
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { signals })
    }

    /// The number of the next signal received.
    pub async fn next(&mut self) -> libc::c_int {
        let receivers = self.signals.iter_mut().map(|(number, listener)| {
            let number = *number;
            Box::pin(async move {
                listener.recv().await;
                number
            })
        });
        futures_select_all(receivers).await
    }
}

/// The first of several futures to finish (a small `select_all`, to avoid a dependency).
async fn futures_select_all<F>(
    futures: impl IntoIterator<Item = std::pin::Pin<Box<F>>>,
) -> F::Output
where
    F: std::future::Future + ?Sized,
{
    let mut futures: Vec<_> = futures.into_iter().collect();
    std::future::poll_fn(move |cx| {
        for future in &mut futures {
            if let std::task::Poll::Ready(output) = future.as_mut().poll(cx) {
                return std::task::Poll::Ready(output);
            }
        }
        std::task::Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

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
}
