//! When to refresh: the margin before expiry, jitter, sleep slices and retry backoff, as pure
//! functions of values (the caller passes the clock and the random draws).

use std::time::{Duration, SystemTime};

/// The default margin is at most this long.
pub const DEFAULT_MARGIN_CAP: Duration = Duration::from_secs(15 * 60);
/// The longest single sleep: the watcher looks at the wall clock at least this often, so a
/// machine that slept through the refresh point refreshes within this long of waking.
pub const MAX_SLICE: Duration = Duration::from_secs(60);
/// Jitter is at most this long, and at most a tenth of the time between issue and refresh.
pub const MAX_JITTER: Duration = Duration::from_secs(60);
/// The first retry waits this long; each further one doubles, up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How long before expiry to refresh: `refresh_before` if given, else the smaller of 15
/// minutes and half the lifetime (a run started just before a late refresh still gets time).
pub fn refresh_margin(lifetime: Duration, refresh_before: Option<Duration>) -> Duration {
    refresh_before.unwrap_or_else(|| DEFAULT_MARGIN_CAP.min(lifetime / 2))
}

/// The refresh margin must leave some lifetime before the refresh point. `names` are how the
/// user spells the two settings (`--refresh-before`/`--duration`, or a targets file's keys).
pub fn check_refresh_before(
    refresh_before: Duration,
    lifetime: Duration,
    names: (&str, &str),
) -> Result<(), String> {
    if refresh_before < lifetime {
        return Ok(());
    }
    Err(format!(
        "{} {}s must be shorter than the session lifetime ({}s, {})",
        names.0,
        refresh_before.as_secs(),
        lifetime.as_secs(),
        names.1
    ))
}

/// How the command line spells the refresh margin and the lifetime.
pub const FLAG_NAMES: (&str, &str) = ("--refresh-before", "--duration");

/// When to refresh credentials that expire at `expiration`: `margin` before it, moved
/// earlier by jitter (`unit` is a random draw in [0, 1)) so that many watchers do not call
/// STS together. Jitter only ever makes a refresh earlier, never late.
pub fn refresh_at(
    expiration: SystemTime,
    lifetime: Duration,
    margin: Duration,
    unit: f64,
) -> SystemTime {
    let usable = lifetime.saturating_sub(margin);
    let jitter = (usable / 10).min(MAX_JITTER).mul_f64(unit.clamp(0.0, 1.0));
    expiration
        .checked_sub(margin + jitter)
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// How long to sleep before looking at the wall clock again: until `due`, but never more than
/// [`MAX_SLICE`]; zero when `due` has passed. (A wall clock set back makes `due` look further
/// away; the watcher therefore also keeps a monotonic deadline, see `watch::Signals`.)
pub fn next_sleep(now: SystemTime, due: SystemTime) -> Duration {
    due.duration_since(now).unwrap_or_default().min(MAX_SLICE)
}

/// The wait before retry number `failures` (1 for the first): exponential from 1 s, capped at
/// 60 s, with jitter drawn from the upper half (`unit` in [0, 1)).
pub fn backoff(failures: u32, unit: f64) -> Duration {
    let exponent = failures.saturating_sub(1).min(16);
    let ceiling = (FIRST_BACKOFF * 2u32.pow(exponent)).min(MAX_BACKOFF);
    ceiling.mul_f64(0.5 + unit.clamp(0.0, 1.0) / 2.0)
}

/// Whether credentials expiring at `expiration` still have at least `needed` left at `now`.
pub fn has_at_least(expiration: SystemTime, needed: Duration, now: SystemTime) -> bool {
    expiration
        .duration_since(now)
        .is_ok_and(|left| left >= needed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);
    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn margins_default_to_fifteen_minutes_or_half_the_lifetime() {
        let secs = Duration::from_secs;
        let cases = [
            (HOUR, None, 15 * MIN),
            (12 * HOUR, None, 15 * MIN),
            (secs(900), None, secs(450)),
            (20 * MIN, None, 10 * MIN),
            (secs(900), Some(secs(895)), secs(895)),
            (HOUR, Some(5 * MIN), 5 * MIN),
        ];
        for (lifetime, given, expected) in cases {
            assert_eq!(
                refresh_margin(lifetime, given),
                expected,
                "{lifetime:?} {given:?}"
            );
        }
    }

    #[test]
    fn refresh_before_must_be_shorter_than_the_lifetime() {
        let secs = Duration::from_secs;
        assert!(check_refresh_before(secs(895), secs(900), FLAG_NAMES).is_ok());
        let err = check_refresh_before(secs(900), secs(900), FLAG_NAMES).unwrap_err();
        assert!(
            err.contains("--refresh-before 900s must be shorter"),
            "{err}"
        );
        assert!(check_refresh_before(2 * HOUR, HOUR, FLAG_NAMES).is_err());
    }

    #[test]
    fn refresh_points_with_jitter_bounds() {
        let expiration = SystemTime::UNIX_EPOCH + 100 * HOUR;
        let secs = Duration::from_secs;
        // (lifetime, margin, unit, how long before expiry)
        let cases = [
            (HOUR, 15 * MIN, 0.0, 15 * MIN),
            // 45 min usable: jitter up to min(4.5 min, 60 s) = 60 s.
            (HOUR, 15 * MIN, 0.999_999, 16 * MIN),
            (HOUR, 15 * MIN, 0.5, 15 * MIN + secs(30)),
            // --duration 900 --refresh-before 895s: 5 s usable, jitter at most 0.5 s.
            (secs(900), secs(895), 0.0, secs(895)),
            (
                secs(900),
                secs(895),
                0.999_999,
                secs(895) + Duration::from_millis(500),
            ),
        ];
        for (lifetime, margin, unit, before) in cases {
            let at = refresh_at(expiration, lifetime, margin, unit);
            let actual = expiration.duration_since(at).unwrap();
            let error = actual.abs_diff(before);
            assert!(
                error < Duration::from_millis(1),
                "{lifetime:?} {margin:?} {unit}: {actual:?}"
            );
        }
    }

    #[test]
    fn sleeps_are_sliced_and_survive_clock_jumps() {
        let now = SystemTime::UNIX_EPOCH + 100 * HOUR;
        let secs = Duration::from_secs;
        assert_eq!(next_sleep(now, now + secs(5)), secs(5));
        assert_eq!(next_sleep(now, now + HOUR), MAX_SLICE);
        // Suspended past the refresh point, or the clock jumped forward: refresh at once.
        assert_eq!(next_sleep(now + 3 * HOUR, now + HOUR), Duration::ZERO);
        // The clock jumped back an hour: still only one slice before looking again.
        assert_eq!(next_sleep(now - HOUR, now + secs(5)), MAX_SLICE);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let secs = Duration::from_secs;
        let cases = [
            (1, 0.0, Duration::from_millis(500)),
            (1, 0.999_999, secs(1)),
            (2, 0.0, secs(1)),
            (3, 0.999_999, secs(4)),
            (6, 0.999_999, secs(32)),
            (7, 0.999_999, secs(60)),
            (7, 0.0, secs(30)),
            (1000, 0.999_999, secs(60)),
        ];
        for (failures, unit, expected) in cases {
            let wait = backoff(failures, unit);
            assert!(
                wait.abs_diff(expected) < Duration::from_millis(1),
                "{failures}: {wait:?}"
            );
        }
    }

    #[test]
    fn remaining_lifetime_is_compared_against_the_clock() {
        let now = SystemTime::UNIX_EPOCH + 100 * HOUR;
        assert!(has_at_least(now + 30 * MIN, 20 * MIN, now));
        assert!(!has_at_least(now + 10 * MIN, 20 * MIN, now));
        assert!(!has_at_least(now - MIN, Duration::ZERO, now));
    }
}
