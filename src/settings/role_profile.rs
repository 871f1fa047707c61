//! `--from-profile`: the role profile read from the AWS config file (`AWS_CONFIG_FILE`, else
//! ~/.aws/config, as resolved into the file settings) and the credentials file, through the
//! checked file reads; the rules of what a role profile may say are in `domain::role_profile`.

use super::{FileSettings, MAX_INPUT_FILE_BYTES};
use crate::adapters::fs::checked_read;
use crate::domain::role_profile::{self, RoleProfile};
use crate::error::UsageError;

/// Reads `--from-profile`'s role profile from the config file together with the credentials
/// file, where source profiles often live.
pub fn read(name: &str, file: &FileSettings) -> anyhow::Result<RoleProfile> {
    let config = config_text(file)?;
    let credentials = file.open()?.read_current()?;
    let credentials = String::from_utf8_lossy(&credentials);
    role_profile::read_role_profile(&config, &credentials, name)
        .map_err(|message| UsageError(message).into())
}

/// The AWS config file's text (empty when there is none), read under the input-file rules.
pub fn config_text(file: &FileSettings) -> anyhow::Result<String> {
    let rules = checked_read::Rules {
        max_bytes: MAX_INPUT_FILE_BYTES,
        follow_symlink: true,
        owner: checked_read::Owner::UserOrRoot,
        writers: checked_read::Writers::NotOthers,
    };
    let config = checked_read::read(&file.config_file, &rules)
        .map_err(|err| UsageError(format!("the AWS config file: {err}")))?
        .map(|(bytes, _)| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    Ok(config)
}
