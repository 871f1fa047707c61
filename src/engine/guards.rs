//! The guards every write passes, for one profile or many: never into the profile the source
//! credentials come from (that would replace the user's keys), and never over long-term keys
//! (an access key without a session token) unless the user says `--force`.

use crate::adapters::credentials_file::{self, CannotUpdate, CredentialsFile};
use crate::domain::editor::validate::parse_credentials_text;
use crate::domain::profile_name::ProfileName;
use anyhow::Context as _;
use std::collections::HashSet;

/// One profile about to be written, as the guards see it.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub profile: &'a ProfileName,
    /// The profile the source credentials come from, when they come from a profile.
    pub source_profile: Option<&'a str>,
    /// How the user picks another profile, for the messages ("Pass another --profile-name").
    pub another: String,
}

/// Refuses to write into the profile the source credentials come from.
pub fn ensure_not_the_source(target: &Target<'_>, file: &CredentialsFile) -> anyhow::Result<()> {
    if target.source_profile != Some(target.profile.as_str()) {
        return Ok(());
    }
    Err(anyhow::anyhow!(
        "the source credentials come from profile {0}; writing temporary credentials there \
         would replace them. {1}",
        target.profile,
        target.another
    ))
    .context(CannotUpdate {
        path: file.path().to_owned(),
    })
}

/// The profiles of a file's text that hold long-term keys, among those about to be written.
#[derive(Debug, Default)]
pub struct LongTermKeys(HashSet<String>);

impl LongTermKeys {
    /// For one profile only its own section is parsed (a whole-file parse would cost several
    /// times a large file's size); for many, the file is parsed once (a section scan per
    /// profile would cost quadratic time).
    pub fn in_file(contents: &[u8], profiles: &[&ProfileName]) -> Self {
        if let [profile] = profiles {
            let held = credentials_file::holds_long_term_keys(contents, profile);
            return Self(
                held.then(|| profile.as_str().to_owned())
                    .into_iter()
                    .collect(),
            );
        }
        let Ok(text) = std::str::from_utf8(contents) else {
            return Self::default();
        };
        let Ok(parsed) = parse_credentials_text(text) else {
            return Self::default();
        };
        let holders = parsed
            .profiles()
            .filter(|name| {
                parsed.get_profile(name).is_some_and(|p| {
                    p.get("aws_access_key_id").is_some() && p.get("aws_session_token").is_none()
                })
            })
            .map(str::to_owned)
            .collect();
        Self(holders)
    }

    /// Refuses to overwrite `target` when it holds long-term keys, unless `force`.
    pub fn ensure_absent(
        &self,
        target: &Target<'_>,
        force: bool,
        file: &CredentialsFile,
    ) -> anyhow::Result<()> {
        if force || !self.0.contains(target.profile.as_str()) {
            return Ok(());
        }
        Err(anyhow::anyhow!(
            "profile {} holds long-term keys (no aws_session_token); rolecreds will not \
             overwrite them. {}, or pass --force to replace them",
            target.profile,
            target.another
        ))
        .context(CannotUpdate {
            path: file.path().to_owned(),
        })
    }
}
