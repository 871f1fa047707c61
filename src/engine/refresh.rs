//! The refresh rules every long-running mode shares: which failures waiting can fix, how
//! long to wait, credentials that arrive already stale (a clock ahead), and a margin that fits
//! the lifetime actually granted.

use crate::adapters::aws::AwsFailure;
use crate::adapters::console::say;
use crate::adapters::credentials_file::CannotUpdate;
use crate::domain::schedule;
use std::time::{Duration, SystemTime};

/// Logs a failed attempt once and returns how long to wait before the next.
pub fn retry_after(failures: u32, err: &anyhow::Error) -> Duration {
    let wait = schedule::backoff(failures, fastrand::f64());
    say!(
        "rolecreds: warning: refresh failed (attempt {failures}), retrying in {}: {err:#}",
        humantime::format_duration(Duration::from_secs(wait.as_secs().max(1)))
    );
    wait
}

/// Whether credentials STS just issued already have less than `margin` left by this clock.
pub fn arrived_stale(expiration: SystemTime, margin: Duration) -> bool {
    !schedule::has_at_least(expiration, margin, SystemTime::now())
}

/// The warning for credentials that arrived inside the refresh margin (`target` names the
/// target of a `--targets` watch).
pub fn stale_warning(
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

/// A margin that fits the lifetime actually granted (role chaining may have cut it to 1 h).
pub fn fit_margin(margin: Duration, lifetime: Duration) -> Duration {
    if margin < lifetime {
        return margin;
    }
    schedule::refresh_margin(lifetime, None)
}

/// Whether waiting and trying again can fix this: unreachable or throttled AWS, 5xx, a
/// held lock, a file the user is fixing. Access denied, MFA and bad input cannot.
pub fn is_retryable(err: &anyhow::Error) -> bool {
    match err.chain().find_map(|c| c.downcast_ref::<AwsFailure>()) {
        Some(AwsFailure::Unreachable(_) | AwsFailure::Transient(_) | AwsFailure::Other(_)) => true,
        Some(AwsFailure::Refused(_) | AwsFailure::MfaRequired(_) | AwsFailure::Invalid(_)) => false,
        None => err.downcast_ref::<CannotUpdate>().is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
