//! Checks an edit with the AWS SDK for Rust's own profile parser before it is committed.

use super::edit::{Edit, Untouched};
use super::scan::{STALE_KEY, WRITTEN_KEYS};
use crate::domain::credentials::TemporaryCredentials;
use crate::domain::profile_name::ProfileName;
use aws_config::profile::ProfileSet;
pub use aws_runtime::env_config::file::EnvConfigFileKind;
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};
use std::collections::BTreeSet;
use std::fmt;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// The SDK would read the edited file differently from what rolecreds meant to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditNotConfirmed(String);

impl fmt::Display for EditNotConfirmed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the AWS SDK's parser does not read back what would be written ({}); \
             the file was left as it was, please report this with the file's layout",
            self.0
        )
    }
}

impl std::error::Error for EditNotConfirmed {}

/// Confirms that `new` reads back, under aws-config's parser, as the untouched part of the old
/// text with exactly `credentials` set in `profile`: written values equal,
/// `aws_security_token` gone, the profile's other keys and every other profile unchanged, no
/// profile added or lost.
///
/// This whole-file check parses the file twice; writes use [`confirm_section_edit`], and this
/// one is the oracle the property tests hold the section check against.
pub fn confirm_edit(
    untouched: &Untouched,
    new: &str,
    profile: &ProfileName,
    credentials: &TemporaryCredentials,
) -> Result<(), EditNotConfirmed> {
    let before = parse_credentials_text(&untouched.text)
        .map_err(|e| EditNotConfirmed(format!("the file as it was: {e}")))?;
    let after = parse_credentials_text(new)
        .map_err(|e| EditNotConfirmed(format!("the edited file: {e}")))?;
    let name = profile.as_str();
    let mut expected_names: BTreeSet<&str> = before.profiles().collect();
    expected_names.insert(name);
    if after.profiles().collect::<BTreeSet<_>>() != expected_names {
        return Err(EditNotConfirmed("the set of profiles changed".into()));
    }
    if let Some(changed) = expected_names
        .iter()
        .find(|&&other| other != name && before.get_profile(other) != after.get_profile(other))
    {
        return Err(EditNotConfirmed(format!("profile {changed} changed")));
    }
    check_read_back(
        &before,
        &after,
        profile,
        credentials,
        &untouched.profile_keys,
    )
}

/// Confirms an edit of one profile without parsing the whole file: every byte outside the
/// edited section must equal the original's, and aws-config's parser, given the edited
/// section alone, must read back exactly the written values, no `aws_security_token`, and the
/// profile's other keys as the old section had them.
///
/// Parsing the section alone is equivalent to parsing the file: the SDK's parser resets at
/// every section header, and the scanner has refused duplicate sections (the only way one
/// section's text could affect another profile), so byte-identical sections read back
/// identically. The property tests check this against whole-file parses.
pub fn confirm_section_edit(
    old: &[u8],
    edit: &Edit,
    profile: &ProfileName,
    credentials: &TemporaryCredentials,
) -> Result<(), EditNotConfirmed> {
    let new = edit.text.as_bytes();
    let (old_range, new_range) = (edit.old_section.clone(), edit.new_section.clone());
    if old[..old_range.start] != new[..new_range.start]
        || old[old_range.end..] != new[new_range.end..]
    {
        return Err(EditNotConfirmed("bytes outside the profile changed".into()));
    }
    let section = |bytes: &[u8], range: std::ops::Range<usize>| {
        String::from_utf8_lossy(&bytes[range]).into_owned()
    };
    let after = parse_credentials_text(&section(new, new_range))
        .map_err(|e| EditNotConfirmed(format!("the edited profile: {e}")))?;
    let before = parse_credentials_text(&edit.kept_section)
        .map_err(|e| EditNotConfirmed(format!("the profile as it was: {e}")))?;
    let name = profile.as_str();
    if after.profiles().collect::<Vec<_>>() != [name] {
        return Err(EditNotConfirmed(format!(
            "the edited text is not just profile {name}"
        )));
    }
    check_read_back(&before, &after, profile, credentials, &edit.kept_keys)
}

/// The checks both confirmations share: in `after`, `profile` holds exactly the written
/// values and no `aws_security_token`, and its `kept_keys` read as in `before`.
fn check_read_back(
    before: &ProfileSet,
    after: &ProfileSet,
    profile: &ProfileName,
    credentials: &TemporaryCredentials,
    kept_keys: &[String],
) -> Result<(), EditNotConfirmed> {
    let name = profile.as_str();
    let written = after
        .get_profile(name)
        .ok_or_else(|| EditNotConfirmed(format!("profile {name} is missing")))?;
    let expires = credentials.expiration_rfc3339();
    let expected = [
        credentials.access_key_id(),
        credentials.secret_access_key().expose(),
        credentials.session_token().expose(),
        expires.as_str(),
    ];
    for (key, value) in WRITTEN_KEYS.iter().zip(expected) {
        if written.get(key) != Some(value) {
            return Err(EditNotConfirmed(format!(
                "{key} in {name} reads back differently"
            )));
        }
    }
    let previous = before.get_profile(name);
    if let Some(key) = kept_keys
        .iter()
        .find(|key| previous.and_then(|p| p.get(key)) != written.get(key))
    {
        return Err(EditNotConfirmed(format!("{key} in {name} changed")));
    }
    if written.get(STALE_KEY).is_some() {
        return Err(EditNotConfirmed(format!("{STALE_KEY} is still in {name}")));
    }
    Ok(())
}

/// Parses credentials-file text with aws-config, as the SDK does when it loads a profile.
pub fn parse_credentials_text(text: &str) -> Result<ProfileSet, Box<dyn std::error::Error>> {
    parse_profile_texts(&[(EnvConfigFileKind::Credentials, text)])
}

/// Parses config- and credentials-file texts together with aws-config's own parser.
pub fn parse_profile_texts(
    texts: &[(EnvConfigFileKind, &str)],
) -> Result<ProfileSet, Box<dyn std::error::Error>> {
    let mut files = EnvConfigFiles::builder()
        .include_default_config_file(false)
        .include_default_credentials_file(false);
    for (kind, text) in texts {
        files = files.with_contents(*kind, *text);
    }
    let files = files.build();
    let fs = Fs::from_slice(&[]);
    let env = Env::from_slice(&[]);
    let loading = pin!(aws_config::profile::load(&fs, &env, &files, None));
    // Parsing text held in memory does no I/O, so the future is ready on its first poll.
    match loading.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(parsed) => Ok(parsed?),
        Poll::Pending => Err("aws-config's profile parser unexpectedly waited on I/O".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::editor::edit::plan_upsert;
    use crate::domain::secret::Secret;
    use std::time::{Duration, UNIX_EPOCH};

    fn credentials() -> TemporaryCredentials {
        let expiry = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        TemporaryCredentials::new("ASIA1", Secret::new("s"), Secret::new("t"), expiry).unwrap()
    }

    #[test]
    fn section_check_accepts_edits_and_catches_any_change_elsewhere() {
        let profile = ProfileName::parse("dev").unwrap();
        for old in [
            "",
            "[a]\nk=1\n",
            "[a]\nk=1\n[dev]\nregion=x\naws_access_key_id=O\n[b]\nk=2",
        ] {
            let edit = plan_upsert(old.as_bytes(), &profile, &credentials()).unwrap();
            confirm_section_edit(old.as_bytes(), &edit, &profile, &credentials()).unwrap();
            if edit.new_section.start > 0 {
                let mut tampered = edit.clone();
                tampered.text.replace_range(0..1, "#");
                let err = confirm_section_edit(old.as_bytes(), &tampered, &profile, &credentials());
                assert!(err.unwrap_err().to_string().contains("outside the profile"));
            }
            let mut wrong = edit.clone();
            wrong.text = wrong
                .text
                .replace("aws_session_token=t", "aws_session_token=u");
            assert!(
                confirm_section_edit(old.as_bytes(), &wrong, &profile, &credentials()).is_err()
            );
        }
    }
}
