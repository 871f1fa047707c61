//! Checks an edit with the AWS SDK for Rust's own profile parser before it is committed.

use super::edit::Untouched;
use super::scan::{STALE_KEY, WRITTEN_KEYS};
use crate::credentials::TemporaryCredentials;
use crate::profile_name::ProfileName;
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
    if let Some(key) = untouched
        .profile_keys
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
