//! `--from-profile`: the role profile read from the AWS config file (`AWS_CONFIG_FILE`, else
//! ~/.aws/config) and the credentials file, through the injected environment and the checked
//! file reads; the rules of what a role profile may say are in `domain::role_profile`.

use super::{FileSettings, MAX_INPUT_FILE_BYTES};
use crate::adapters::fs::checked_read;
use crate::domain::role_profile::{self, RoleProfile};
use crate::error::UsageError;

/// Reads `--from-profile`'s role profile from the config file (`AWS_CONFIG_FILE`, else
/// ~/.aws/config) together with the credentials file, where source profiles often live.
pub fn read(
    name: &str,
    file: &FileSettings,
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> anyhow::Result<RoleProfile> {
    let config_path = match var("AWS_CONFIG_FILE").filter(|p| !p.is_empty()) {
        Some(path) => std::path::PathBuf::from(path),
        None => file
            .home
            .clone()
            .unwrap_or_default()
            .join(".aws")
            .join("config"),
    };
    let rules = checked_read::Rules {
        max_bytes: MAX_INPUT_FILE_BYTES,
        follow_symlink: true,
        owner: checked_read::Owner::UserOrRoot,
        writers: checked_read::Writers::NotOthers,
    };
    let config = checked_read::read(&config_path, &rules)
        .map_err(|err| UsageError(format!("the AWS config file: {err}")))?
        .map(|(bytes, _)| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let credentials = file.open()?.read_current()?;
    let credentials = String::from_utf8_lossy(&credentials);
    role_profile::read_role_profile(&config, &credentials, name)
        .map_err(|message| UsageError(message).into())
}
