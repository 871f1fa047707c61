//! STS's limits on what an AssumeRole request may carry (session tags, managed policy ARNs,
//! the session policy, the region, the lifetime, the external id), checked before any network call so that bad input is
//! exit 2 with one line that names the rule, not an SDK error after a round trip.

use std::time::Duration;

/// STS's limits for DurationSeconds.
pub const MIN_DURATION: Duration = Duration::from_secs(900);
pub const MAX_DURATION: Duration = Duration::from_secs(43_200);
/// STS's limits on an external id's length.
const EXTERNAL_ID_CHARS: std::ops::RangeInclusive<usize> = 2..=1224;

/// A session lifetime STS accepts; `name` is how the user spells the setting.
pub fn check_duration(name: &str, duration: Duration) -> Result<(), String> {
    if (MIN_DURATION..=MAX_DURATION).contains(&duration) {
        return Ok(());
    }
    Err(format!(
        "{name} {} seconds is outside what STS accepts: 900 to 43200 (15m to 12h)",
        duration.as_secs()
    ))
}

/// An external id of a length STS accepts; `name` is how the user spells the setting.
pub fn check_external_id(name: &str, id: &str) -> Result<(), String> {
    if EXTERNAL_ID_CHARS.contains(&id.len()) {
        return Ok(());
    }
    Err(format!(
        "{name} must be {} to {} characters long",
        EXTERNAL_ID_CHARS.start(),
        EXTERNAL_ID_CHARS.end()
    ))
}

/// STS accepts at most 50 session tags.
pub const MAX_TAGS: usize = 50;
const MAX_TAG_KEY: usize = 128;
const MAX_TAG_VALUE: usize = 256;
/// STS accepts at most 10 managed session policies.
pub const MAX_POLICY_ARNS: usize = 10;
/// STS caps the session policy's plaintext at 2,048 characters; whitespace is not needed, so
/// the policy is sent packed (minified) and the limit applies to that.
pub const MAX_POLICY_CHARS: usize = 2048;

/// Session tags: at most 50, keys 1–128 and values 0–256 characters of the tag alphabet,
/// no `aws:` prefix, keys unique ignoring case (STS treats `Env` and `env` as one key).
pub fn check_tags(tags: &[(String, String)]) -> Result<(), String> {
    if tags.len() > MAX_TAGS {
        return Err(format!(
            "{} --tag given; STS accepts at most {MAX_TAGS} session tags",
            tags.len()
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (key, value) in tags {
        let key_len = key.chars().count();
        if !(1..=MAX_TAG_KEY).contains(&key_len) {
            return Err(format!(
                "--tag key {:?} has {key_len} characters; STS accepts 1 to {MAX_TAG_KEY}",
                shorten(key)
            ));
        }
        let value_len = value.chars().count();
        if value_len > MAX_TAG_VALUE {
            return Err(format!(
                "--tag {key}: the value has {value_len} characters; STS accepts at most \
                 {MAX_TAG_VALUE}"
            ));
        }
        if key.to_lowercase().starts_with("aws:") {
            return Err(format!(
                "--tag {key}: keys starting with aws: are reserved for AWS; rename the key"
            ));
        }
        if let Some(bad) = key.chars().chain(value.chars()).find(|&c| !is_tag_char(c)) {
            return Err(format!(
                "--tag {}: {bad:?} is not allowed in tags; use letters, digits, spaces and \
                 _.:/=+-@",
                shorten(key)
            ));
        }
        if !seen.insert(key.to_lowercase()) {
            return Err(format!(
                "--tag {key} is given twice (tag keys must be unique, ignoring case)"
            ));
        }
    }
    Ok(())
}

/// STS's tag alphabet: `[\p{L}\p{Z}\p{N}_.:/=+\-@]`.
fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
}

/// Managed session policies: at most 10, each an IAM policy ARN
/// (`arn:PARTITION:iam::ACCOUNT|aws:policy/PATH/NAME`).
pub fn check_policy_arns(arns: &[String]) -> Result<(), String> {
    if arns.len() > MAX_POLICY_ARNS {
        return Err(format!(
            "{} --policy-arn given; STS accepts at most {MAX_POLICY_ARNS}",
            arns.len()
        ));
    }
    for arn in arns {
        if !is_policy_arn(arn) {
            return Err(format!(
                "--policy-arn {:?} is not a policy ARN; expected \
                 arn:aws:iam::aws:policy/NAME or arn:aws:iam::123456789012:policy/NAME",
                shorten(arn)
            ));
        }
    }
    Ok(())
}

fn is_policy_arn(arn: &str) -> bool {
    let Some(crate::domain::role::ArnFields {
        partition,
        service: "iam",
        region: "",
        account,
        resource,
    }) = crate::domain::role::ArnFields::split(arn)
    else {
        return false;
    };
    let partition_ok = partition == "aws"
        || partition.strip_prefix("aws-").is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        });
    let account_ok =
        account == "aws" || account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    let name_ok = resource.strip_prefix("policy/").is_some_and(|path| {
        let name = path.rsplit('/').next().unwrap_or_default();
        !name.is_empty()
            && path.len() <= 2048
            && path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-/".contains(c))
    });
    partition_ok && account_ok && name_ok && arn.len() <= 2048
}

/// The session policy: a JSON object, returned packed (no insignificant whitespace) as it
/// will be sent, when that fits STS's 2,048 characters.
pub fn pack_policy(text: &str) -> Result<String, String> {
    let document: serde_json::Value = serde_json::from_str(text)
        .map_err(|err| format!("is not JSON ({err}); pass an IAM policy document"))?;
    if !document.is_object() {
        return Err(
            "is not a JSON object; pass an IAM policy document ({\"Version\": ...})".into(),
        );
    }
    let packed = document.to_string();
    let chars = packed.chars().count();
    if chars > MAX_POLICY_CHARS {
        return Err(format!(
            "has {chars} characters without whitespace; STS accepts at most {MAX_POLICY_CHARS}: \
             narrow it, or use --policy-arn with a managed policy"
        ));
    }
    Ok(packed)
}

/// A region name as AWS spells them (`eu-west-1`): lowercase letters, digits and dashes.
/// Anything else would be sent into a host name.
pub fn check_region(source: &str, region: &str) -> Result<(), String> {
    let ok = !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-');
    if ok {
        return Ok(());
    }
    Err(format!(
        "{source} {:?} is not a region name; use one like us-east-1 or eu-west-1",
        shorten(region)
    ))
}

/// At most 40 characters of user input, for messages.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn tags_follow_sts_rules() {
        assert!(
            check_tags(&tags(&[
                ("team", "dns"),
                ("cost center", ""),
                ("a:b/c", "x=y+z@w")
            ]))
            .is_ok()
        );
        let many: Vec<(String, String)> = (0..50).map(|i| (format!("k{i}"), "v".into())).collect();
        assert!(check_tags(&many).is_ok());
        let too_many: Vec<(String, String)> =
            (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
        let cases: [(Vec<(String, String)>, &str); 6] = [
            (too_many, "at most 50"),
            (tags(&[(&"k".repeat(129), "v")]), "1 to 128"),
            (tags(&[("k", &"v".repeat(257))]), "at most 256"),
            (tags(&[("AWS:x", "1")]), "reserved"),
            (tags(&[("Env", "a"), ("env", "b")]), "twice"),
            (tags(&[("k", "a\nb")]), "not allowed"),
        ];
        for (given, expected) in cases {
            let err = check_tags(&given).unwrap_err();
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn policy_arns_must_be_policy_arns() {
        let good = [
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::123456789012:policy/team/x",
            "arn:aws-us-gov:iam::aws:policy/job-function/ViewOnlyAccess",
        ];
        assert!(check_policy_arns(&good.map(String::from)).is_ok());
        for bad in [
            "nonsense",
            "arn:aws:iam::aws:role/x",
            "arn:aws:iam::12345:policy/x",
            "arn:aws:iam::aws:policy/",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::aws:policy/a b",
        ] {
            let err = check_policy_arns(&[bad.to_owned()]).unwrap_err();
            assert!(err.contains("not a policy ARN"), "{bad}: {err}");
        }
        let eleven = vec![good[0].to_owned(); 11];
        assert!(
            check_policy_arns(&eleven)
                .unwrap_err()
                .contains("at most 10")
        );
    }

    #[test]
    fn policies_are_packed_and_capped() {
        let spaced = format!(
            "{{\n  \"Version\": \"2012-10-17\",{}\n  \"Statement\": []\n}}",
            " ".repeat(3000)
        );
        let packed = pack_policy(&spaced).unwrap();
        assert_eq!(
            packed.len(),
            r#"{"Version":"2012-10-17","Statement":[]}"#.len()
        );
        assert!(!packed.contains(' '), "{packed}");
        let big = format!(r#"{{"Sid":"{}"}}"#, "x".repeat(2100));
        assert!(pack_policy(&big).unwrap_err().contains("at most 2048"));
        assert!(pack_policy("[]").unwrap_err().contains("JSON object"));
        assert!(pack_policy("nope").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn regions_are_plain_names() {
        for good in ["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"] {
            assert!(check_region("--region", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "us-east-1\nx",
            "../x",
            "us_east_1",
            "US-EAST-1",
            "a.b",
            "-x",
        ] {
            assert!(
                check_region("--region", bad)
                    .unwrap_err()
                    .contains("not a region"),
                "{bad:?}"
            );
        }
    }
}
