//! What rolecreds tells the user: one human line on stderr, or JSON on stdout; never secrets.

use crate::adapters::console::say;
use crate::adapters::credentials_file::{CredentialsFile, WriteReport};
use crate::domain::credentials::TemporaryCredentials;
use crate::domain::profile_name::ProfileName;
use crate::domain::role::RoleArn;
use crate::domain::session_name::SessionName;
use crate::settings::OutputFormat;
use crate::settings::OutputSettings;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A profile that was written (or would be, with `--dry-run`).
#[derive(Debug)]
pub struct Written<'a> {
    pub profile: &'a ProfileName,
    pub credentials_file: &'a Path,
    pub role_arn: Option<String>,
    pub session_name: Option<String>,
    pub credentials: &'a TemporaryCredentials,
    pub report: &'a WriteReport,
}

impl<'a> Written<'a> {
    /// A write of `credentials` into `profile` of `credentials_file`, with what it did.
    pub fn new(
        profile: &'a ProfileName,
        credentials_file: &'a CredentialsFile,
        credentials: &'a TemporaryCredentials,
        report: &'a WriteReport,
    ) -> Self {
        Self {
            profile,
            credentials_file: credentials_file.path(),
            role_arn: None,
            session_name: None,
            credentials,
            report,
        }
    }

    /// The role and session the credentials come from (none for `import`).
    pub fn by_role(mut self, role: &RoleArn, session_name: &SessionName) -> Self {
        self.role_arn = Some(role.to_string());
        self.session_name = Some(session_name.to_string());
        self
    }
}

/// Reports a profile write, e.g. `wrote profile dns (alice@dns_editor.123456789012) in
/// ~/.aws/credentials, expires 14:05 local / 13:05Z, in 1h`.
pub fn profile_written(output: &OutputSettings, written: &Written<'_>) {
    if let Some(mode) = written.report.narrowed_from {
        say!(
            "rolecreds: warning: `{}` was mode {mode:04o}, readable by others; it is now {:04o}",
            written.credentials_file.display(),
            mode & 0o600
        );
    }
    let expiration = written.credentials.expiration();
    match output.format {
        OutputFormat::Json => println!("{}", json_line(written)),
        OutputFormat::Text if output.quiet => {}
        OutputFormat::Text => say!(
            "{} profile {}{} in {}, expires {}, {}",
            if written.report.changed {
                "wrote"
            } else {
                "kept"
            },
            written.profile,
            written
                .session_name
                .as_ref()
                .map(|name| format!(" ({name})"))
                .unwrap_or_default(),
            written.credentials_file.display(),
            local_and_utc(expiration),
            time_left(expiration, SystemTime::now())
        ),
    }
}

fn json_line(written: &Written<'_>) -> serde_json::Value {
    serde_json::json!({
        "profile": written.profile.as_str(),
        "credentials_file": written.credentials_file,
        "role_arn": written.role_arn,
        "session_name": written.session_name,
        "access_key_id": written.credentials.access_key_id(),
        "expiration": written.credentials.expiration_rfc3339(),
        "changed": written.report.changed,
    })
}

/// What `--dry-run` would do.
pub fn dry_run(
    output: &OutputSettings,
    profile: &ProfileName,
    credentials_file: &Path,
    role_arn: &str,
    session_name: &str,
    duration: Duration,
) {
    match output.format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::json!({
                "dry_run": true,
                "profile": profile.as_str(),
                "credentials_file": credentials_file,
                "role_arn": role_arn,
                "session_name": session_name,
                "duration_seconds": duration.as_secs(),
            })
        ),
        OutputFormat::Text if output.quiet => {}
        OutputFormat::Text => say!(
            "dry run: would assume {role_arn} as {session_name} for {} and write profile \
             {profile} in {}",
            humantime::format_duration(duration),
            credentials_file.display()
        ),
    }
}

/// `14:05 local / 13:05Z`.
fn local_and_utc(time: SystemTime) -> String {
    let utc = humantime::format_rfc3339_seconds(time).to_string();
    let utc_hm = &utc[11..16];
    match local_hour_minute(time) {
        Some(local) => format!("{local} local / {utc_hm}Z"),
        None => format!("{utc_hm}Z"),
    }
}

fn local_hour_minute(time: SystemTime) -> Option<String> {
    let seconds = time.duration_since(UNIX_EPOCH).ok()?.as_secs() as libc::time_t;
    let tm = local_time(seconds)?;
    Some(format!("{:02}:{:02}", tm.tm_hour, tm.tm_min))
}

/// The C library's local time for `seconds` (it knows the time zone rules).
#[cfg(unix)]
fn local_time(seconds: libc::time_t) -> Option<libc::tm> {
    // SAFETY: localtime_r writes only into `tm`, which we own; a zeroed tm is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let converted = unsafe { libc::localtime_r(&seconds, &mut tm) };
    (!converted.is_null()).then_some(tm)
}

/// Windows' C runtime has `localtime_s` (the thread-safe one, arguments the other way round,
/// an error number as the result).
#[cfg(windows)]
fn local_time(seconds: libc::time_t) -> Option<libc::tm> {
    // SAFETY: localtime_s writes only into `tm`, which we own; a zeroed tm is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let failed = unsafe { libc::localtime_s(&mut tm, &seconds) };
    (failed == 0).then_some(tm)
}

/// `in 1h 5m`, or `expired 3m ago`, to the nearest minute (a fresh 1 h session, 3599.9 s
/// away by the time it is printed, reads `in 1h`).
pub fn time_left(expiration: SystemTime, now: SystemTime) -> String {
    let minutes = |d: Duration| Duration::from_secs((d.as_secs() + 30) / 60 * 60);
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
            (3_659, "in 1h 1m"),
            (3_599, "in 1h"),
            (3_629, "in 1h"),
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

    #[test]
    fn expiry_shows_utc_hours_and_minutes() {
        let time = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        assert!(
            local_and_utc(time).ends_with("11:06Z"),
            "{}",
            local_and_utc(time)
        );
    }
}
