//! Account ids, role names and role ARNs, checked before any network call.

use std::fmt;

/// A role to assume, as a parsed IAM role ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    partition: String,
    account_id: String,
    /// The path between `role/` and the name, e.g. `team/` in `role/team/x`; empty for `/`.
    path: String,
    name: String,
}

const PARTITIONS: [&str; 3] = ["aws", "aws-cn", "aws-us-gov"];

/// The fields of `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArnFields<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> ArnFields<'a> {
    /// Splits an ARN into its fields; `None` unless it starts `arn:` and has all six.
    pub fn split(arn: &'a str) -> Option<Self> {
        let mut fields = arn.splitn(6, ':');
        if fields.next()? != "arn" {
            return None;
        }
        Some(Self {
            partition: fields.next()?,
            service: fields.next()?,
            region: fields.next()?,
            account: fields.next()?,
            resource: fields.next()?,
        })
    }
}

impl RoleArn {
    /// `arn:aws:iam::{account}:role/{name}` from `--account-id` and `--role-name`.
    pub fn from_parts(account_id: &str, role_name: &str) -> Result<Self, String> {
        check_account_id(account_id)?;
        let (path, name) = split_role_path(role_name)
            .ok_or_else(|| format!("invalid --role-name {role_name:?}: {ROLE_NAME_RULE}"))?;
        Ok(Self {
            partition: "aws".into(),
            account_id: account_id.into(),
            path,
            name,
        })
    }

    /// Parses `arn:{aws|aws-cn|aws-us-gov}:iam::{12 digits}:role/{path/}{name}`.
    pub fn parse(arn: &str) -> Result<Self, String> {
        let invalid = |why: &str| {
            format!(
                "invalid --role-arn {arn:?}: {why}; expected arn:aws:iam::123456789012:role/NAME"
            )
        };
        let Some(ArnFields {
            partition,
            service,
            region,
            account,
            resource: rest,
        }) = ArnFields::split(arn)
        else {
            return Err(invalid("it does not have the six ARN fields"));
        };
        if !PARTITIONS.contains(&partition) {
            return Err(invalid("the partition must be aws, aws-cn or aws-us-gov"));
        }
        if service != "iam" || !region.is_empty() {
            return Err(invalid("a role ARN names the iam service and no region"));
        }
        check_account_id(account).map_err(|_| invalid("the account id must be 12 digits"))?;
        let role = rest
            .strip_prefix("role/")
            .ok_or_else(|| invalid("the resource must start with role/"))?;
        let (path, name) = split_role_path(role).ok_or_else(|| invalid(ROLE_NAME_RULE))?;
        Ok(Self {
            partition: partition.into(),
            account_id: account.into(),
            path,
            name,
        })
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The role's name without its path (`x` for `role/team/x`).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn partition(&self) -> &str {
        &self.partition
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (partition, account, path, name) =
            (&self.partition, &self.account_id, &self.path, &self.name);
        write!(f, "arn:{partition}:iam::{account}:role/{path}{name}")
    }
}

const ROLE_NAME_RULE: &str = "a role name is 1-64 of letters, digits and +=,.@_- \
     (optionally after a path like team/)";

/// Checks a 12-digit AWS account id.
pub fn check_account_id(account_id: &str) -> Result<(), String> {
    if account_id.len() == 12 && account_id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "invalid --account-id {account_id:?}: an AWS account id is exactly 12 digits"
        ))
    }
}

/// Splits `team/sub/name` into (`team/sub/`, `name`), checking IAM's rules for both.
fn split_role_path(role: &str) -> Option<(String, String)> {
    let (path, name) = match role.rfind('/') {
        Some(i) => (&role[..=i], &role[i + 1..]),
        None => ("", role),
    };
    let name_ok = (1..=64).contains(&name.len()) && name.chars().all(is_role_name_char);
    let path_ok = path.len() <= 510
        && path
            .split('/')
            .all(|segment| segment.chars().all(is_role_name_char))
        && !path.starts_with('/')
        && !path.contains("//");
    (name_ok && path_ok).then(|| (path.to_owned(), name.to_owned()))
}

fn is_role_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_arn_from_account_and_role() {
        let arn = RoleArn::from_parts("123456789012", "dns_editor").unwrap();
        assert_eq!(arn.to_string(), "arn:aws:iam::123456789012:role/dns_editor");
        let arn = RoleArn::from_parts("123456789012", "team/x").unwrap();
        assert_eq!(arn.to_string(), "arn:aws:iam::123456789012:role/team/x");
        assert_eq!(arn.name(), "x");
    }

    #[test]
    fn parses_every_partition_and_role_paths() {
        for text in [
            "arn:aws:iam::123456789012:role/dns_editor",
            "arn:aws-cn:iam::123456789012:role/a+b=c,d.e@f_g-h",
            "arn:aws-us-gov:iam::123456789012:role/team/sub/x",
        ] {
            assert_eq!(RoleArn::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            RoleArn::parse("arn:aws:iam::123456789012:role/team/x")
                .unwrap()
                .name(),
            "x"
        );
    }

    #[test]
    fn refuses_what_iam_would_refuse() {
        let cases = [
            ("arn:aws:iam::1:role/x", "12 digits"),
            ("arn:aws:s3:::bucket", "iam service"),
            ("arn:aws:iam:us-east-1:123456789012:role/x", "no region"),
            ("arn:aws-iso:iam::123456789012:role/x", "partition"),
            ("arn:aws:iam::123456789012:user/x", "role/"),
            ("arn:aws:iam::123456789012:role/", "1-64"),
            ("arn:aws:iam::123456789012:role/has space", "1-64"),
            ("arn:aws:iam::123456789012:role//x", "1-64"),
            ("role/x", "six ARN fields"),
        ];
        for (text, expected) in cases {
            let err = RoleArn::parse(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
        assert!(
            RoleArn::from_parts("12345", "x")
                .unwrap_err()
                .contains("12 digits")
        );
        assert!(RoleArn::from_parts("12345678901a", "x").is_err());
        let too_long = "r".repeat(65);
        assert!(
            RoleArn::from_parts("123456789012", &too_long)
                .unwrap_err()
                .contains("1-64")
        );
        assert!(RoleArn::from_parts("123456789012", "a b").is_err());
    }
}
