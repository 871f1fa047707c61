//! What rolecreds tells the user: one human line on stderr per result, warnings, never secrets.

use crate::credentials::TemporaryCredentials;
use crate::credentials_file::WriteReport;
use crate::profile_name::ProfileName;
use crate::settings::FileSettings;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Reports a profile write, e.g.
/// `wrote profile dev to ~/.aws/credentials, expires 2026-11-21T13:05:00Z, in 1h`.
pub fn profile_written(
    settings: &FileSettings,
    path: &Path,
    profile: &ProfileName,
    credentials: &TemporaryCredentials,
    written: &WriteReport,
) {
    if let Some(mode) = written.narrowed_from {
        eprintln!(
            "rolecreds: warning: `{}` was mode {mode:04o}, readable by others; it is now {:04o}",
            path.display(),
            mode & 0o600
        );
    }
    if settings.quiet {
        return;
    }
    let verb = if written.changed { "wrote" } else { "kept" };
    eprintln!(
        "{verb} profile {profile} in {}, expires {}, {}",
        path.display(),
        credentials.expiration_rfc3339(),
        time_left(credentials.expiration(), SystemTime::now())
    );
}

/// `in 1h 5m`, or `expired 3m ago`, to the minute.
pub fn time_left(expiration: SystemTime, now: SystemTime) -> String {
    let minutes = |d: Duration| Duration::from_secs(d.as_secs() / 60 * 60);
    match expiration.duration_since(now) {
        Ok(left) if left >= Duration::from_secs(60) => {
            format!("in {}", humantime::format_duration(minutes(left)))
        }
        Ok(_) => "in less than a minute".to_owned(),
        Err(past) => format!(
            "expired {} ago",
            humantime::format_duration(minutes(past.duration()).max(Duration::from_secs(60)))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_naturally() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let cases = [
            (3_900i64, "in 1h 5m"),
            (3_659, "in 1h"),
            (30, "in less than a minute"),
            (-200, "expired 3m ago"),
            (-5, "expired 1m ago"),
        ];
        for (offset, expected) in cases {
            let expiration = if offset >= 0 {
                now + Duration::from_secs(offset as u64)
            } else {
                now - Duration::from_secs(offset.unsigned_abs())
            };
            assert_eq!(time_left(expiration, now), expected, "{offset}");
        }
    }
}
