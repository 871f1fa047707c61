//! Temporary AWS credentials as rolecreds writes them, with values checked before any write.

use crate::domain::secret::Secret;
use std::fmt;
use std::time::SystemTime;

/// A set of STS credentials. Every value is known to be safe to write as `key=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemporaryCredentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Secret,
    expiration: SystemTime,
}

/// A value that STS would never return; the message names the field, never the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidCredentialValue {
    field: &'static str,
    problem: String,
}

impl fmt::Display for InvalidCredentialValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refusing to write {}: {}", self.field, self.problem)
    }
}

impl std::error::Error for InvalidCredentialValue {}

impl TemporaryCredentials {
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: Secret,
        session_token: Secret,
        expiration: SystemTime,
    ) -> Result<Self, InvalidCredentialValue> {
        let access_key_id = access_key_id.into();
        check_value("aws_access_key_id", &access_key_id)?;
        check_value("aws_secret_access_key", secret_access_key.expose())?;
        check_value("aws_session_token", session_token.expose())?;
        check_expiration(expiration)?;
        Ok(Self {
            access_key_id,
            secret_access_key,
            session_token,
            expiration,
        })
    }

    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    pub fn secret_access_key(&self) -> &Secret {
        &self.secret_access_key
    }

    pub fn session_token(&self) -> &Secret {
        &self.session_token
    }

    pub fn expiration(&self) -> SystemTime {
        self.expiration
    }

    /// The expiry as RFC 3339 UTC with whole seconds, the one format all known readers share.
    pub fn expiration_rfc3339(&self) -> String {
        humantime::format_rfc3339_seconds(self.expiration).to_string()
    }
}

/// The latest expiry written: RFC 3339 has four-digit years.
const LATEST_EXPIRATION_SECS: u64 = 253_402_300_799; // 9999-12-31T23:59:59Z

/// An expiry before 1970 or after 9999 cannot be written (or compared) as RFC 3339 UTC, and
/// no STS ever sends one: it is a broken or hostile answer.
pub fn check_expiration(expiration: SystemTime) -> Result<(), InvalidCredentialValue> {
    let problem = match expiration.duration_since(std::time::UNIX_EPOCH) {
        Err(_) => "it is before 1970",
        Ok(since) if since.as_secs() > LATEST_EXPIRATION_SECS => "it is after the year 9999",
        Ok(_) => return Ok(()),
    };
    Err(InvalidCredentialValue {
        field: "the expiration",
        problem: problem.to_owned(),
    })
}

/// STS returns keys, secrets and tokens in the base64 alphabet. Anything else (whitespace,
/// CR/LF, `#`, `;`, quotes, backslash, `]`) could be misread or inject lines, so it is refused.
fn check_value(field: &'static str, value: &str) -> Result<(), InvalidCredentialValue> {
    let problem = if value.is_empty() {
        "it is empty".to_owned()
    } else if let Some(position) = value.find(|c: char| !is_base64_char(c)) {
        format!(
            "character {} is outside the base64 alphabet STS uses (letters, digits, + / =)",
            position + 1
        )
    } else {
        return Ok(());
    };
    Err(InvalidCredentialValue { field, problem })
}

fn is_base64_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn with_token(token: &str) -> Result<TemporaryCredentials, InvalidCredentialValue> {
        TemporaryCredentials::new(
            "ASIAEXAMPLE",
            Secret::new("c2VjcmV0+/="),
            Secret::new(token),
            UNIX_EPOCH + Duration::from_secs(1_795_000_000),
        )
    }

    #[test]
    fn accepts_base64_values_and_formats_expiry_as_utc_seconds() {
        let creds = with_token("FwoGZXIvYXdzEJr//////////wEaDM+abc==").unwrap();
        assert_eq!(creds.expiration_rfc3339(), "2026-11-18T11:06:40Z");
    }

    #[test]
    fn refuses_every_character_that_could_break_the_file() {
        let canary = "CANARYSECRET";
        assert!(with_token("").unwrap_err().to_string().contains("empty"));
        for bad in [
            " ", "\t", "\r", "\n", "\0", "#", ";", "\"", "'", "\\", "]", "[", "é",
        ] {
            let token = format!("{canary}{bad}");
            let err = with_token(&token).unwrap_err().to_string();
            assert!(err.contains("aws_session_token"), "{bad:?}: {err}");
            assert!(!err.contains(canary), "error leaks the value: {err}");
        }
        let err = with_token("x]\naws_access_key_id=EVIL").unwrap_err();
        assert!(err.to_string().contains("character 2"), "{err}");
    }

    #[test]
    fn expirations_outside_rfc_3339_years_are_refused() {
        let before_1970 = UNIX_EPOCH - Duration::from_secs(14_182_940);
        let err = TemporaryCredentials::new("A", Secret::new("s"), Secret::new("t"), before_1970)
            .unwrap_err();
        assert!(err.to_string().contains("before 1970"), "{err}");
        let after_9999 = UNIX_EPOCH + Duration::from_secs(LATEST_EXPIRATION_SECS + 1);
        assert!(check_expiration(after_9999).is_err());
        assert!(check_expiration(UNIX_EPOCH + Duration::from_secs(LATEST_EXPIRATION_SECS)).is_ok());
    }
}
