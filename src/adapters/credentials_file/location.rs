//! Where the credentials file is: `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`
//! (`%USERPROFILE%\.aws\credentials` on Windows).

use anyhow::bail;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Resolves the credentials file as the AWS CLI and SDKs do. `var` reads the environment and
/// `home` is the home directory from the password database, used when `HOME` is unset (cron).
pub fn credentials_file_path(
    var: impl Fn(&str) -> Option<OsString>,
    home: Option<PathBuf>,
) -> anyhow::Result<PathBuf> {
    let home = home_dir(&var, home);
    if let Some(path) = var("AWS_SHARED_CREDENTIALS_FILE").filter(|p| !p.is_empty()) {
        return expand_tilde(Path::new(&path), home.as_deref());
    }
    match home {
        Some(home) => Ok(home.join(".aws").join("credentials")),
        None => bail!(
            "cannot find the home directory to locate ~/.aws/credentials; \
             set {HOME_VAR} or AWS_SHARED_CREDENTIALS_FILE, or pass --credentials-file"
        ),
    }
}

/// The variable naming the home directory. On Windows that is `USERPROFILE`, as for the AWS
/// CLI (Python's `expanduser` reads it and ignores `HOME`, which tools such as Git Bash or
/// Wine may set to a path in another form).
#[cfg(not(windows))]
pub const HOME_VAR: &str = "HOME";
#[cfg(windows)]
pub const HOME_VAR: &str = "USERPROFILE";

/// The home directory in use: [`HOME_VAR`] when set and not empty, else the system's (the
/// password database's; the profile folder on Windows).
pub fn home_dir(
    var: impl Fn(&str) -> Option<OsString>,
    passwd_home: Option<PathBuf>,
) -> Option<PathBuf> {
    var(HOME_VAR)
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or(passwd_home)
}

/// Expands a leading `~/`, as the AWS CLI does for `AWS_SHARED_CREDENTIALS_FILE`.
pub fn expand_tilde(path: &Path, home: Option<&Path>) -> anyhow::Result<PathBuf> {
    match path.strip_prefix("~") {
        Ok(rest) => match home {
            Some(home) => Ok(home.join(rest)),
            None => bail!(
                "cannot expand `~` in `{}`: no home directory is known",
                path.display()
            ),
        },
        Err(_) => Ok(path.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[cfg(not(windows))]
    #[test]
    fn resolves_like_the_aws_cli() {
        let passwd_home = Some(PathBuf::from("/home/from-passwd"));
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("HOME", "/home/a")], "/home/a/.aws/credentials"),
            (&[], "/home/from-passwd/.aws/credentials"),
            (&[("HOME", "")], "/home/from-passwd/.aws/credentials"),
            (
                &[
                    ("HOME", "/home/a"),
                    ("AWS_SHARED_CREDENTIALS_FILE", "/etc/creds"),
                ],
                "/etc/creds",
            ),
            (
                &[
                    ("HOME", "/home/a"),
                    ("AWS_SHARED_CREDENTIALS_FILE", "~/x/creds"),
                ],
                "/home/a/x/creds",
            ),
            (
                &[("HOME", "/home/a"), ("AWS_SHARED_CREDENTIALS_FILE", "")],
                "/home/a/.aws/credentials",
            ),
            (&[("AWS_SHARED_CREDENTIALS_FILE", "rel/creds")], "rel/creds"),
        ];
        for (vars, expected) in cases {
            let path = credentials_file_path(env(vars), passwd_home.clone()).unwrap();
            assert_eq!(path, PathBuf::from(expected), "{vars:?}");
        }
    }

    #[cfg(windows)]
    #[test]
    fn windows_uses_userprofile_not_home() {
        let profile = Some(PathBuf::from(r"C:\Users\from-system"));
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("USERPROFILE", r"C:\Users\a"), ("HOME", "/home/a")],
                r"C:\Users\a\.aws\credentials",
            ),
            (
                &[("HOME", "/home/a")],
                r"C:\Users\from-system\.aws\credentials",
            ),
            (
                &[
                    ("USERPROFILE", r"C:\Users\a"),
                    ("AWS_SHARED_CREDENTIALS_FILE", r"~\x\creds"),
                ],
                r"C:\Users\a\x\creds",
            ),
        ];
        for (vars, expected) in cases {
            let path = credentials_file_path(env(vars), profile.clone()).unwrap();
            assert_eq!(path, PathBuf::from(expected), "{vars:?}");
        }
    }

    #[test]
    fn no_home_anywhere_is_a_clear_error() {
        let err = credentials_file_path(env(&[]), None).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("set {HOME_VAR} or AWS_SHARED_CREDENTIALS_FILE"))
        );
    }
}
