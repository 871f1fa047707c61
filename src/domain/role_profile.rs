//! Role profiles in ~/.aws/config, for `--from-profile`: read with aws-config's own parser,
//! checked (source chains, cycles, unsupported keys) before any network call.

use crate::domain::editor::validate::{EnvConfigFileKind, parse_profile_texts};
use aws_config::profile::ProfileSet;
use std::time::Duration;

/// What a role profile says about the role to assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleProfile {
    pub role_arn: String,
    pub source: Source,
    pub mfa_serial: Option<String>,
    /// A command that prints the MFA code (`mfa_process`, as aws-vault reads it).
    pub mfa_process: Option<String>,
    pub external_id: Option<String>,
    pub duration: Option<Duration>,
    pub role_session_name: Option<String>,
    pub region: Option<String>,
}

/// Where the source credentials of a role profile come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `source_profile = NAME`: that profile's credentials (which may chain further).
    Profile(String),
    /// `credential_source = Environment | Ec2InstanceMetadata | EcsContainer`.
    CredentialSource(String),
}

/// Keys of a role profile that rolecreds cannot honour; naming them beats ignoring them.
const UNSUPPORTED: [(&str, &str); 4] = [
    (
        "web_identity_token_file",
        "web identity roles are assumed by the SDKs themselves",
    ),
    (
        "credential_process",
        "a role profile takes its source from source_profile or credential_source",
    ),
    ("sso_start_url", "an SSO profile is not a role profile"),
    ("sso_session", "an SSO profile is not a role profile"),
];

/// Reads role profile `name` from the config text (and the credentials text, where source
/// profiles with static keys often live).
pub fn read_role_profile(
    config: &str,
    credentials: &str,
    name: &str,
) -> Result<RoleProfile, String> {
    let profiles = parse_profile_texts(&[
        (EnvConfigFileKind::Config, config),
        (EnvConfigFileKind::Credentials, credentials),
    ])
    .map_err(|err| format!("cannot parse the AWS config files: {err}"))?;
    resolve(&profiles, name)
}

/// Checks role profile `name` in `profiles` and returns what it says.
pub fn resolve(profiles: &ProfileSet, name: &str) -> Result<RoleProfile, String> {
    let profile = profiles.get_profile(name).ok_or_else(|| {
        format!("--from-profile {name}: no such profile in ~/.aws/config (or AWS_CONFIG_FILE)")
    })?;
    for (key, why) in UNSUPPORTED {
        if profile.get(key).is_some() {
            return Err(format!(
                "--from-profile {name}: {key} is not supported ({why})"
            ));
        }
    }
    let role_arn = profile.get("role_arn").ok_or_else(|| {
        format!("--from-profile {name}: the profile has no role_arn; name a role profile")
    })?;
    let source = match (
        profile.get("source_profile"),
        profile.get("credential_source"),
    ) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "--from-profile {name}: the profile sets both source_profile and \
                 credential_source; keep one"
            ));
        }
        (Some(source), None) => {
            check_source_chain(profiles, name, source)?;
            Source::Profile(source.to_owned())
        }
        (None, Some(source @ ("Environment" | "Ec2InstanceMetadata" | "EcsContainer"))) => {
            Source::CredentialSource(source.to_owned())
        }
        (None, Some(other)) => {
            return Err(format!(
                "--from-profile {name}: credential_source = {other} is not one of \
                 Environment, Ec2InstanceMetadata, EcsContainer"
            ));
        }
        (None, None) => {
            return Err(format!(
                "--from-profile {name}: the profile needs source_profile or credential_source"
            ));
        }
    };
    let duration = profile
        .get("duration_seconds")
        .map(|text| {
            text.parse::<u64>().map(Duration::from_secs).map_err(|_| {
                format!("--from-profile {name}: duration_seconds = {text} is not a number")
            })
        })
        .transpose()?;
    let text = |key: &str| profile.get(key).map(str::to_owned);
    Ok(RoleProfile {
        role_arn: role_arn.to_owned(),
        source,
        mfa_serial: text("mfa_serial"),
        mfa_process: text("mfa_process"),
        external_id: text("external_id"),
        duration,
        role_session_name: text("role_session_name"),
        region: text("region"),
    })
}

/// Follows `source_profile` links from `start` until a profile with credentials of its own,
/// refusing a missing link or a cycle. A profile naming itself as its source (role_arn plus
/// static keys) ends the chain, as in the AWS CLI.
fn check_source_chain(profiles: &ProfileSet, start: &str, first: &str) -> Result<(), String> {
    let mut path = vec![start.to_owned()];
    let mut next = first.to_owned();
    loop {
        let Some(profile) = profiles.get_profile(&next) else {
            return Err(format!(
                "--from-profile {start}: source profile {next} (reached via {}) does not exist",
                path.join(" -> ")
            ));
        };
        let previous = path.last().cloned().unwrap_or_default();
        if next == previous && profile.get("aws_access_key_id").is_some() {
            return Ok(());
        }
        if path.contains(&next) {
            path.push(next);
            return Err(format!(
                "--from-profile {start}: source_profile cycle {}",
                path.join(" -> ")
            ));
        }
        path.push(next.clone());
        match (profile.get("role_arn"), profile.get("source_profile")) {
            (Some(_), Some(source)) => next = source.to_owned(),
            _ => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::123456789012:role/dns_editor";

    fn read(config: &str, name: &str) -> Result<RoleProfile, String> {
        let credentials = "[alice]\naws_access_key_id=AKIA\naws_secret_access_key=s\n";
        read_role_profile(config, credentials, name)
    }

    #[test]
    fn reads_what_a_role_profile_says() {
        let config = format!(
            "[profile dns]\nrole_arn = {ROLE}\nsource_profile = alice\nexternal_id = ext-1\n\
             duration_seconds = 7200\nrole_session_name = ops\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\
             region = eu-west-1\n"
        );
        let profile = read(&config, "dns").unwrap();
        assert_eq!(
            profile,
            RoleProfile {
                role_arn: ROLE.into(),
                source: Source::Profile("alice".into()),
                mfa_serial: Some("arn:aws:iam::123456789012:mfa/alice".into()),
                mfa_process: None,
                external_id: Some("ext-1".into()),
                duration: Some(Duration::from_secs(7200)),
                role_session_name: Some("ops".into()),
                region: Some("eu-west-1".into()),
            }
        );
    }

    #[test]
    fn follows_chains_and_accepts_every_credential_source() {
        let ok: &[(&str, &str, Source)] = &[
            (
                "[profile a]\nrole_arn = R\nsource_profile = b\n[profile b]\nrole_arn = R\nsource_profile = alice\n",
                "a",
                Source::Profile("b".into()),
            ),
            (
                "[profile self]\nrole_arn = R\nsource_profile = self\naws_access_key_id = AKIA\naws_secret_access_key = s\n",
                "self",
                Source::Profile("self".into()),
            ),
            (
                "[profile e]\nrole_arn = R\ncredential_source = Environment\n",
                "e",
                Source::CredentialSource("Environment".into()),
            ),
            (
                "[profile i]\nrole_arn = R\ncredential_source = Ec2InstanceMetadata\n",
                "i",
                Source::CredentialSource("Ec2InstanceMetadata".into()),
            ),
            (
                "[default]\nrole_arn = R\nsource_profile = alice\n",
                "default",
                Source::Profile("alice".into()),
            ),
        ];
        for (config, name, source) in ok {
            assert_eq!(&read(config, name).unwrap().source, source, "{config}");
        }
    }

    #[test]
    fn refuses_with_the_reason() {
        let cases = [
            ("", "nope", "no such profile"),
            ("[profile p]\nregion = x\n", "p", "has no role_arn"),
            (
                "[profile p]\nrole_arn = R\n",
                "p",
                "needs source_profile or credential_source",
            ),
            (
                "[profile p]\nrole_arn = R\nsource_profile = alice\ncredential_source = Environment\n",
                "p",
                "both source_profile and credential_source",
            ),
            (
                "[profile p]\nrole_arn = R\ncredential_source = Magic\n",
                "p",
                "credential_source = Magic",
            ),
            (
                "[profile p]\nrole_arn = R\nsource_profile = ghost\n",
                "p",
                "source profile ghost (reached via p) does not exist",
            ),
            (
                "[profile a]\nrole_arn = R\nsource_profile = b\n[profile b]\nrole_arn = R\nsource_profile = a\n",
                "a",
                "source_profile cycle a -> b -> a",
            ),
            (
                "[profile a]\nrole_arn = R\nsource_profile = a\n",
                "a",
                "cycle a -> a",
            ),
            (
                "[profile w]\nrole_arn = R\nweb_identity_token_file = /t\n",
                "w",
                "web_identity_token_file is not supported",
            ),
            (
                "[profile p]\nrole_arn = R\nsource_profile = alice\nduration_seconds = 1h\n",
                "p",
                "duration_seconds = 1h is not a number",
            ),
        ];
        for (config, name, expected) in cases {
            let err = read(config, name).unwrap_err();
            assert!(err.contains(expected), "{config}: {err}");
        }
    }
}
