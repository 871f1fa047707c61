//! `--targets` with `--watch`: every target on its own schedule, one loop and one lock. The
//! loop sleeps until the earliest refresh point, then refreshes every target due within a
//! small window of it (5% of that target's usable lifetime, at most a minute early) and writes
//! them in one commit. Failures are retried per target with backoff; a target refused for good
//! (access denied) is dropped and the others go on. SIGHUP refreshes all; SIGTERM and SIGINT
//! stop (exit 0).

use crate::adapters::console::say;
use crate::adapters::credentials_file::CredentialsFile;
use crate::adapters::signals::{Signals, Wake};
use crate::commands::targets::{rebuild, report_outcomes};
use crate::domain::schedule;
use crate::engine::batch::{Outcome, SessionNames, check_before_network, profiles, rotate_batch};
use crate::engine::guards::LongTermKeys;
use crate::engine::refresh::{arrived_stale, fit_margin, is_retryable, stale_warning};
use crate::settings::targets::Plan;
use crate::settings::{FileSettings, OutputSettings};
use std::time::{Duration, SystemTime};

/// The most a refresh is moved earlier to share a commit with another.
const MAX_BATCHING_WINDOW: Duration = Duration::from_secs(60);

/// Where one target stands.
#[derive(Debug, Clone)]
struct State {
    due: SystemTime,
    failures: u32,
    /// False once the target failed in a way retrying cannot fix.
    active: bool,
    /// How early this target may be refreshed to join a batch.
    window: Duration,
}

/// Keeps every target fresh until stopped; `Ok` after SIGTERM or SIGINT, the last error when
/// no target is left to refresh.
pub async fn run(plan: &Plan, file: &FileSettings, output: &OutputSettings) -> anyhow::Result<()> {
    let mut signals = Signals::listen()?;
    let credentials_file = &file.open()?;
    credentials_file.check_before_network()?;
    let now = SystemTime::now();
    let mut states: Vec<State> = plan
        .targets
        .iter()
        .map(|target| State {
            due: now,
            failures: 0,
            active: true,
            window: window(target.duration, target.refresh_margin),
        })
        .collect();
    let mut names = SessionNames::default();
    let mut last_error = None;
    loop {
        let due = due_now(&states, SystemTime::now());
        // A file that cannot be read now fails the writes below, which are retried.
        let contents = credentials_file.read_current().unwrap_or_default();
        let holders = LongTermKeys::in_file(&contents, &profiles(plan));
        let mut ready = Vec::new();
        for index in due {
            let target = &plan.targets[index];
            match check_before_network(plan, target, credentials_file, &holders) {
                Ok(()) => ready.push(index),
                Err(err) => {
                    let outcome = Outcome::Failed(std::sync::Arc::new(err));
                    let unit = fastrand::f64();
                    last_error = settle(plan, &mut states, index, &outcome, unit).or(last_error);
                    report_batch(plan, output, credentials_file, vec![(index, outcome)]);
                }
            }
        }
        // A signal during the STS calls cancels them; the write after them has no await
        // point, so a write that has begun always finishes.
        let batch = tokio::select! {
            batch = rotate_batch(plan, &ready, credentials_file, file, &mut names) => batch,
            () = signals.stopped() => {
                tracing::info!("stopping on signal");
                return Ok(());
            }
        };
        // One jitter draw per batch: targets written together stay due together.
        let unit = fastrand::f64();
        for (index, outcome) in &batch {
            last_error = settle(plan, &mut states, *index, outcome, unit).or(last_error);
        }
        report_batch(plan, output, credentials_file, batch);
        let Some(next) = states.iter().filter(|s| s.active).map(|s| s.due).min() else {
            return Err(last_error
                .unwrap_or_else(|| anyhow::anyhow!("no target is left to refresh"))
                .context("every target failed; nothing is left to refresh"));
        };
        tracing::info!(
            "next refresh at {}",
            humantime::format_rfc3339_seconds(next)
        );
        match signals.wait_until(next, SystemTime::now).await {
            Wake::Due => {}
            Wake::Now => states.iter_mut().for_each(|s| s.due = SystemTime::now()),
            Wake::Stop => {
                tracing::info!("stopping on signal");
                return Ok(());
            }
        }
    }
}

/// 5% of the time between issue and refresh, at most [`MAX_BATCHING_WINDOW`].
fn window(lifetime: Duration, margin: Duration) -> Duration {
    (lifetime.saturating_sub(margin) / 20).min(MAX_BATCHING_WINDOW)
}

/// The active targets due at `now`, or due soon enough after it to join the batch.
fn due_now(states: &[State], now: SystemTime) -> Vec<usize> {
    states
        .iter()
        .enumerate()
        .filter(|(_, s)| s.active && s.due <= now + s.window)
        .map(|(index, _)| index)
        .collect()
}

/// Schedules a target's next refresh from its outcome; returns the error that dropped it.
fn settle(
    plan: &Plan,
    states: &mut [State],
    index: usize,
    outcome: &Outcome,
    unit: f64,
) -> Option<anyhow::Error> {
    let target = &plan.targets[index];
    let state = &mut states[index];
    match outcome {
        Outcome::Written(assumed, _) => {
            let lifetime = assumed.duration;
            let margin = fit_margin(target.refresh_margin, lifetime);
            let expiration = assumed.credentials.expiration();
            if arrived_stale(expiration, margin) {
                state.failures += 1;
                let wait = schedule::backoff(state.failures, unit);
                let profile = target.profile.as_str();
                say!(
                    "{}",
                    stale_warning(Some(profile), expiration, state.failures, wait)
                );
                state.due = SystemTime::now() + wait;
                return None;
            }
            state.failures = 0;
            state.window = window(lifetime, margin);
            state.due = schedule::refresh_at(expiration, lifetime, margin, unit);
            None
        }
        Outcome::Fresh(expiration) => {
            state.due =
                schedule::refresh_at(*expiration, target.duration, target.refresh_margin, unit);
            None
        }
        Outcome::Failed(err) if is_retryable(err) => {
            state.failures += 1;
            let wait = schedule::backoff(state.failures, unit);
            say!(
                "rolecreds: warning: target {}: refresh failed (attempt {}), retrying in {}",
                target.profile,
                state.failures,
                humantime::format_duration(Duration::from_secs(wait.as_secs().max(1)))
            );
            state.due = SystemTime::now() + wait;
            None
        }
        Outcome::Failed(err) => {
            state.active = false;
            say!(
                "rolecreds: warning: target {} is no longer refreshed",
                target.profile
            );
            Some(rebuild(err))
        }
    }
}

/// Reports a batch in the targets file's order.
fn report_batch(
    plan: &Plan,
    output: &OutputSettings,
    credentials_file: &CredentialsFile,
    mut batch: Vec<(usize, Outcome)>,
) {
    if batch.is_empty() {
        return;
    }
    batch.sort_by_key(|(index, _)| *index);
    let (targets, outcomes): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|(index, outcome)| (plan.targets[index].clone(), outcome))
        .unzip();
    report_outcomes(output, &targets, credentials_file, &outcomes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_a_twentieth_of_the_usable_lifetime_capped_at_a_minute() {
        let secs = Duration::from_secs;
        assert_eq!(window(secs(900), secs(895)), Duration::from_millis(250));
        assert_eq!(window(secs(3600), secs(900)), secs(60));
        assert_eq!(window(secs(900), secs(450)), Duration::from_millis(22_500));
    }

    #[test]
    fn targets_due_within_their_window_join_the_batch() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let state = |due_in: u64, window: u64, active: bool| State {
            due: now + Duration::from_secs(due_in),
            failures: 0,
            active,
            window: Duration::from_secs(window),
        };
        let states = [
            state(0, 1, true),
            state(5, 10, true),
            state(5, 1, true),
            state(0, 1, false),
        ];
        assert_eq!(due_now(&states, now), vec![0, 1]);
    }
}
