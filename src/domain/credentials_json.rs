//! Credentials as JSON: the two shapes rolecreds reads (`aws sts assume-role` output and a
//! credential_process document), RFC 3339 expiries, and the expiry keys of a profile.

use crate::domain::credentials::TemporaryCredentials;
use crate::domain::secret::Secret;
use crate::error::UsageError;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde_json::Value;
use std::time::SystemTime;

/// What standard input should be, for the fix in every message about it.
pub const PIPE_IN_CREDENTIALS: &str =
    "pipe in the output of `aws sts assume-role` or of a credential_process";

/// Reads `aws sts assume-role` output (`{"Credentials": {...}}`) or a credential_process
/// document (`{"Version": 1, ...}`). Errors name the field, never its value.
pub fn parse_credentials_json(text: &str) -> Result<TemporaryCredentials, UsageError> {
    let document: Value = serde_json::from_str(text).map_err(|err| {
        UsageError(format!(
            "standard input is not JSON ({}:{}); {PIPE_IN_CREDENTIALS}",
            err.line(),
            err.column()
        ))
    })?;
    let fields = document.get("Credentials").unwrap_or(&document);
    let field = |name: &str| {
        fields.get(name).and_then(Value::as_str).ok_or_else(|| {
            UsageError(format!(
                "the JSON on standard input has no string field {name}; expected the output of \
                 `aws sts assume-role` or of a credential_process"
            ))
        })
    };
    let expiration = parse_expiration(field("Expiration")?)?;
    TemporaryCredentials::new(
        field("AccessKeyId")?,
        Secret::new(field("SecretAccessKey")?),
        Secret::new(field("SessionToken")?),
        expiration,
    )
    .map_err(|err| UsageError(err.to_string()))
}

/// The keys rolecreds and other tools record an expiry under in a credentials-file profile,
/// in the order they are trusted: rolecreds' (and saml2aws'), aws-vault's, awsume's.
pub const EXPIRY_KEYS: [&str; 3] = [
    "x_security_token_expires",
    "aws_credential_expiration",
    "expiration",
];

/// The expiry recorded by `get` (a profile's key lookup), if any and readable.
pub fn recorded_expiration<'v>(get: impl Fn(&str) -> Option<&'v str>) -> Option<SystemTime> {
    EXPIRY_KEYS
        .iter()
        .find_map(|key| get(key))
        .and_then(|value| parse_expiration(value).ok())
}

/// Parses RFC 3339 with `Z` or an offset, with or without fractional seconds (moto sends
/// microseconds, the AWS CLI prints `+00:00`).
pub fn parse_expiration(text: &str) -> Result<SystemTime, UsageError> {
    DateTime::from_str(text, Format::DateTimeWithOffset)
        .ok()
        .and_then(|time| SystemTime::try_from(time).ok())
        .ok_or_else(|| {
            UsageError(format!(
                "Expiration {:?} is not an RFC 3339 time such as 2026-11-21T13:05:00Z",
                crate::domain::quote::quote_safely(text)
            ))
        })
        .and_then(|time| {
            crate::domain::credentials::check_expiration(time)
                .map(|()| time)
                .map_err(|err| UsageError(format!("Expiration {text:?}: {err}")))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn reads_both_shapes_and_every_expiry_spelling() {
        let expected = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        let shapes = [
            r#"{"Credentials":{"AccessKeyId":"ASIA1","SecretAccessKey":"s/+=","SessionToken":"t","Expiration":"2026-11-18T11:06:40+00:00"}}"#,
            r#"{"Version":1,"AccessKeyId":"ASIA1","SecretAccessKey":"s/+=","SessionToken":"t","Expiration":"2026-11-18T11:06:40Z"}"#,
            r#"{"Version":1,"AccessKeyId":"ASIA1","SecretAccessKey":"s/+=","SessionToken":"t","Expiration":"2026-11-18T12:06:40+01:00"}"#,
        ];
        for json in shapes {
            let creds = parse_credentials_json(json).unwrap();
            assert_eq!(creds.access_key_id(), "ASIA1");
            assert_eq!(creds.expiration(), expected, "{json}");
        }
        let micros = parse_expiration("2026-11-21T09:56:12.828293Z").unwrap();
        assert_eq!(
            humantime::format_rfc3339_seconds(micros).to_string(),
            "2026-11-21T09:56:12Z"
        );
    }

    #[test]
    fn errors_name_the_problem_but_never_a_secret() {
        let cases = [
            ("not json", "not JSON"),
            (r#"{"Version":1}"#, "no string field"),
            (
                r#"{"AccessKeyId":"A","SecretAccessKey":"CANARY x","SessionToken":"t","Expiration":"2026-11-18T11:06:40Z"}"#,
                "aws_secret_access_key",
            ),
            (
                r#"{"AccessKeyId":"A","SecretAccessKey":"s","SessionToken":"t","Expiration":"tomorrow"}"#,
                "RFC 3339",
            ),
        ];
        for (json, expected) in cases {
            let err = parse_credentials_json(json).unwrap_err().to_string();
            assert!(err.contains(expected), "{json}: {err}");
            assert!(!err.contains("CANARY"), "{err}");
        }
    }
}
