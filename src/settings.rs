//! The resolved settings: what the program does, derived once from the command line and the
//! environment, then passed down as plain values.

use crate::cli::FileArgs;
use crate::credentials_file::location;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// How the credentials file is found and written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSettings {
    /// The credentials file, as the user or the environment named it.
    pub credentials_file: PathBuf,
    /// The longest wait for another writer's lock.
    pub lock_timeout: Duration,
    /// Whether to stay silent on success.
    pub quiet: bool,
}

impl FileSettings {
    /// `var` reads the environment; `home` is the password database's home directory.
    pub fn resolve(
        args: &FileArgs,
        var: impl Fn(&str) -> Option<OsString>,
        home: Option<PathBuf>,
    ) -> anyhow::Result<Self> {
        let credentials_file = match &args.credentials_file {
            Some(path) => path.clone(),
            None => location::credentials_file_path(var, home)?,
        };
        Ok(Self {
            credentials_file,
            lock_timeout: args.lock_timeout,
            quiet: args.quiet,
        })
    }
}
