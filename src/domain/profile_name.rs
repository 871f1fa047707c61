//! The name of a profile in the credentials file, checked against what every reader accepts.

use std::fmt;

/// A credentials-file profile name that the AWS CLI, botocore, the Rust SDK and the Go SDK all
/// read the same way: `[A-Za-z0-9_\-/.%@:+]+`, not botocore's `DEFAULT`, no `profile ` prefix.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProfileName(String);

/// Why a profile name was refused; the message names the rule and how to comply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidProfileName {
    name: String,
    reason: &'static str,
}

impl fmt::Display for InvalidProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid profile name {:?}: {}", self.name, self.reason)
    }
}

impl std::error::Error for InvalidProfileName {}

impl ProfileName {
    pub fn parse(name: &str) -> Result<Self, InvalidProfileName> {
        let refuse = |reason| {
            Err(InvalidProfileName {
                name: name.to_owned(),
                reason,
            })
        };
        if name.is_empty() {
            return refuse("it is empty; name the profile to write, e.g. --profile-name dev");
        }
        if name == "DEFAULT" {
            return refuse(
                "botocore treats [DEFAULT] as defaults for every profile; pick another name",
            );
        }
        if name.starts_with("profile ") {
            return refuse(
                "[profile x] is config-file syntax; in the credentials file write the bare name",
            );
        }
        if !name.chars().all(is_profile_name_char) {
            return refuse(
                "use only letters, digits and _ - / . % @ : + (the AWS SDKs ignore other names)",
            );
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_profile_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c)
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ProfileName {
    type Err = InvalidProfileName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_every_reader_reads() {
        for name in [
            "default",
            "dev",
            "a.b-c_d",
            "team/dev",
            "x%y@z:1+2",
            "123456789012",
        ] {
            assert_eq!(ProfileName::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn refuses_names_readers_disagree_on() {
        let cases = [
            ("", "empty"),
            ("DEFAULT", "botocore"),
            ("profile dev", "config-file syntax"),
            ("a b", "only letters"),
            ("a]b", "only letters"),
            ("x]\naws_access_key_id=EVIL", "only letters"),
            ("caf\u{e9}", "only letters"),
            ("a#b", "only letters"),
            ("a;b", "only letters"),
        ];
        for (name, expected) in cases {
            let err = ProfileName::parse(name).unwrap_err().to_string();
            assert!(err.contains(expected), "{name:?}: {err}");
        }
    }
}
