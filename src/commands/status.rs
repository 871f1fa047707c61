//! `rolecreds status`: which profiles hold temporary credentials, when each expires, and
//! (with `--profile`) an exit code that says whether one is fresh. Never shows secrets.

use crate::commands::report::time_left;
use crate::domain::credentials_json::recorded_expiration;
use crate::domain::editor::validate::parse_credentials_text;
use crate::domain::profile_name::ProfileName;
use crate::domain::schedule;
use crate::error::UsageError;
use crate::settings::OutputFormat;
use crate::settings::{FileSettings, OutputSettings};
use std::time::{Duration, SystemTime};

/// One profile with temporary credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileStatus {
    pub name: String,
    pub access_key_id: String,
    pub expiration: Option<SystemTime>,
}

/// The profiles of `text` that hold a session token, sorted by name.
pub fn temporary_profiles(text: &str) -> anyhow::Result<Vec<ProfileStatus>> {
    let profiles = parse_credentials_text(text)
        .map_err(|err| anyhow::anyhow!("the credentials file does not parse: {err}"))?;
    let mut found: Vec<ProfileStatus> = profiles
        .profiles()
        .filter_map(|name| {
            let profile = profiles.get_profile(name)?;
            profile.get("aws_session_token")?;
            Some(ProfileStatus {
                name: name.to_owned(),
                access_key_id: profile.get("aws_access_key_id").unwrap_or("").to_owned(),
                expiration: recorded_expiration(|key| profile.get(key)),
            })
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Prints the status; with `profile`, fails (exit 7) unless it is valid for `min_remaining`.
pub fn show(
    file: &FileSettings,
    output: &OutputSettings,
    profile: Option<&ProfileName>,
    min_remaining: Duration,
) -> anyhow::Result<()> {
    let path = &file.credentials_file;
    let bytes = file.open()?.read_current()?;
    let text = String::from_utf8(bytes)
        .map_err(|_| UsageError(format!("`{}` is not UTF-8", path.display())))?;
    let now = SystemTime::now();
    let mut listed = temporary_profiles(&text)?;
    if let Some(wanted) = profile {
        listed.retain(|p| p.name == wanted.as_str());
    }
    print(output.format, &listed, now);
    let Some(wanted) = profile else {
        return Ok(());
    };
    let fresh = listed
        .first()
        .and_then(|p| p.expiration)
        .is_some_and(|at| schedule::has_at_least(at, min_remaining, now));
    if fresh {
        return Ok(());
    }
    Err(NotFresh(format!(
        "profile {wanted} is missing, has no expiry on record, or expires within {}",
        humantime::format_duration(min_remaining)
    ))
    .into())
}

fn print(format: OutputFormat, listed: &[ProfileStatus], now: SystemTime) {
    match format {
        OutputFormat::Json => {
            let entries: Vec<_> = listed
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "profile": p.name,
                        "access_key_id": p.access_key_id,
                        "expiration": p.expiration.map(|t| humantime::format_rfc3339_seconds(t).to_string()),
                        "seconds_left": p.expiration.map(|t| t.duration_since(now).map_or(0, |d| d.as_secs())),
                        "expired": p.expiration.map(|t| t <= now),
                    })
                })
                .collect();
            println!("{}", serde_json::Value::from(entries));
        }
        OutputFormat::Text => {
            if !listed.is_empty() {
                println!(
                    "{:<30} {:<22} {:<22} LEFT",
                    "PROFILE", "ACCESS KEY", "EXPIRES"
                );
            }
            for p in listed {
                let (expires, left) = match p.expiration {
                    Some(at) => (
                        humantime::format_rfc3339_seconds(at).to_string(),
                        time_left(at, now),
                    ),
                    None => ("unknown".to_owned(), "no expiry recorded".to_owned()),
                };
                println!(
                    "{:<30} {:<22} {expires:<22} {left}",
                    p.name, p.access_key_id
                );
            }
        }
    }
}

/// `status --profile` found the profile missing, expired or expiring too soon (exit 7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFresh(pub String);

impl std::fmt::Display for NotFresh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotFresh {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_only_temporary_profiles_with_any_known_expiry_key() {
        let text = "\
[long]\naws_access_key_id=AKIA\naws_secret_access_key=s\n\
[mine]\naws_access_key_id=ASIA1\naws_secret_access_key=s\naws_session_token=t\n\
x_security_token_expires=2026-11-21T12:00:00Z\n\
[vault]\naws_access_key_id=ASIA2\naws_secret_access_key=s\naws_session_token=t\n\
aws_credential_expiration=2026-11-21T13:00:00+00:00\n\
[awsume]\naws_access_key_id=ASIA3\naws_secret_access_key=s\naws_session_token=t\n\
expiration=2026-11-21T14:00:00Z\n\
[bare]\naws_access_key_id=ASIA4\naws_secret_access_key=s\naws_session_token=t\n";
        let listed = temporary_profiles(text).unwrap();
        let names: Vec<_> = listed.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["awsume", "bare", "mine", "vault"]);
        let hours: Vec<_> = listed
            .iter()
            .map(|p| {
                p.expiration
                    .map(|t| humantime::format_rfc3339_seconds(t).to_string())
            })
            .collect();
        assert_eq!(hours[0].as_deref(), Some("2026-11-21T14:00:00Z"));
        assert_eq!(hours[1], None);
        assert_eq!(hours[2].as_deref(), Some("2026-11-21T12:00:00Z"));
        assert_eq!(hours[3].as_deref(), Some("2026-11-21T13:00:00Z"));
    }
}
