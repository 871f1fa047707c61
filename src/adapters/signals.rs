//! The signals a long-running mode obeys (SIGTERM and SIGINT stop, SIGHUP refreshes now), and
//! the wait until a refresh point that wakes on either clock or on a signal.
//!
//! Windows has console events instead: Ctrl-C, Ctrl-Break, the console window closing and
//! the system shutting down all stop; nothing refreshes now (there is no SIGHUP).

use crate::domain::schedule;
use anyhow::Context as _;
use platform::{Refresh, Stop};
use std::time::SystemTime;

/// Why a wait ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Wake {
    /// The refresh point came.
    Due,
    /// SIGHUP: refresh now.
    Now,
    /// SIGTERM or SIGINT (a console event on Windows).
    Stop,
}

/// The stop and refresh signals, or none at all ([`Signals::inert`]).
pub struct Signals {
    stop: Option<Stop>,
    refresh: Option<Refresh>,
}

/// The next stop signal, or never when it is not listened to.
async fn stop_delivery(stop: &mut Option<Stop>) {
    match stop {
        Some(stop) => stop.recv().await,
        None => std::future::pending().await,
    }
}

/// The next refresh signal, or never when it is not listened to (or, on Windows, does not
/// exist).
async fn refresh_delivery(refresh: &mut Option<Refresh>) {
    match refresh {
        Some(refresh) => refresh.recv().await,
        None => std::future::pending().await,
    }
}

impl Signals {
    /// Registers the handlers before the first write, so a signal during a write is kept
    /// and acted on once the write is done.
    pub fn listen() -> anyhow::Result<Self> {
        Ok(Self {
            stop: Some(Stop::listen().context("cannot listen for signals")?),
            refresh: Refresh::listen().context("cannot listen for signals")?,
        })
    }

    /// Signals that never arrive: for a keeper whose process hands its signals to a child
    /// (`exec`), so that they neither stop nor refresh it.
    pub fn inert() -> Self {
        Self {
            stop: None,
            refresh: None,
        }
    }

    /// Resolves on SIGTERM, SIGINT or SIGHUP (at a prompt, a hangup means the terminal is
    /// gone).
    pub async fn any(&mut self) {
        tokio::select! {
            () = stop_delivery(&mut self.stop) => {}
            () = refresh_delivery(&mut self.refresh) => {}
        }
    }

    /// Resolves on SIGTERM or SIGINT (a console event on Windows).
    pub async fn stopped(&mut self) {
        stop_delivery(&mut self.stop).await;
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
                () = stop_delivery(&mut self.stop) => return Wake::Stop,
                () = refresh_delivery(&mut self.refresh) => return Wake::Now,
            }
        }
    }
}

/// The signals `exec` passes on to its child: those a user or a service manager sends to
/// stop, reload or poke a process (on Windows, the console events, which the child gets from
/// the console itself).
pub use platform::{Forwarded, Received};

/// The first of several futures to finish (a small `select_all`, to avoid a dependency).
#[cfg(unix)]
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

#[cfg(unix)]
mod platform {
    use anyhow::Context as _;
    use tokio::signal::unix::{Signal, SignalKind, signal};

    /// SIGTERM and SIGINT.
    pub struct Stop {
        terminate: Signal,
        interrupt: Signal,
    }

    impl Stop {
        pub fn listen() -> std::io::Result<Self> {
            Ok(Self {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }

        pub async fn recv(&mut self) {
            tokio::select! {
                _ = self.terminate.recv() => {}
                _ = self.interrupt.recv() => {}
            }
        }
    }

    /// SIGHUP.
    pub struct Refresh(Signal);

    impl Refresh {
        pub fn listen() -> std::io::Result<Option<Self>> {
            signal(SignalKind::hangup()).map(|hangup| Some(Self(hangup)))
        }

        pub async fn recv(&mut self) {
            self.0.recv().await;
        }
    }

    /// The number of a signal received, to send on to the child.
    pub type Received = libc::c_int;

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
        pub async fn next(&mut self) -> Received {
            let receivers = self.signals.iter_mut().map(|(number, listener)| {
                let number = *number;
                Box::pin(async move {
                    listener.recv().await;
                    number
                })
            });
            super::futures_select_all(receivers).await
        }
    }
}

#[cfg(windows)]
mod platform {
    use anyhow::Context as _;
    use tokio::signal::windows::{
        CtrlBreak, CtrlC, CtrlClose, CtrlShutdown, ctrl_break, ctrl_c, ctrl_close, ctrl_shutdown,
    };

    /// The console events that end a program: Ctrl-C, Ctrl-Break, the console closing, the
    /// system shutting down. For the last two Windows ends the process once the handler
    /// returns; tokio's handler does not return for them, so a write in flight finishes and
    /// rolecreds exits by itself (within the ~5 s Windows allows a closing console).
    pub struct Stop {
        ctrl_c: CtrlC,
        ctrl_break: CtrlBreak,
        ctrl_close: CtrlClose,
        ctrl_shutdown: CtrlShutdown,
    }

    impl Stop {
        pub fn listen() -> std::io::Result<Self> {
            Ok(Self {
                ctrl_c: ctrl_c()?,
                ctrl_break: ctrl_break()?,
                ctrl_close: ctrl_close()?,
                ctrl_shutdown: ctrl_shutdown()?,
            })
        }

        pub async fn recv(&mut self) {
            tokio::select! {
                _ = self.ctrl_c.recv() => {}
                _ = self.ctrl_break.recv() => {}
                _ = self.ctrl_close.recv() => {}
                _ = self.ctrl_shutdown.recv() => {}
            }
        }
    }

    /// Windows has no SIGHUP: nothing asks for a refresh now. No value of this type exists.
    pub enum Refresh {}

    impl Refresh {
        pub fn listen() -> std::io::Result<Option<Self>> {
            Ok(None)
        }

        pub async fn recv(&mut self) {
            match *self {}
        }
    }

    /// A console event received; the child, on the same console, gets it too.
    #[derive(Debug, Clone, Copy)]
    pub struct Received;

    /// While `exec`'s child runs, the console events must not end rolecreds before the child
    /// (which gets them itself and decides): listening for them does that.
    pub struct Forwarded(Stop);

    impl Forwarded {
        pub fn listen() -> anyhow::Result<Self> {
            Stop::listen()
                .map(Self)
                .context("cannot listen for console events")
        }

        pub async fn next(&mut self) -> Received {
            self.0.recv().await;
            Received
        }
    }
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
