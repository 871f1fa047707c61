//! The credentials file: find it, lock it, edit one profile losslessly, replace it atomically.
//!
//! Data flows one way: lock the sidecar → read the current bytes → `edit::upsert_profile`
//! (pure) → `validate::confirm_section_edit` (the SDK's parser on the edited section, a byte
//! comparison for the rest; once per entry of a batch) → `commit::replace_atomically`.

pub mod location;

use crate::adapters::fs::{commit, lock};

use crate::domain::editor::{edit, scan, validate};

use crate::adapters::fs::checked_read;
use crate::domain::credentials::TemporaryCredentials;
use crate::domain::profile_name::ProfileName;
use anyhow::{Context as _, bail};
use std::fmt;
use std::fs::{self, DirBuilder, Metadata};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Marks every failure to read, edit or replace the credentials file (exit code 4); the
/// message names the file the user passed, the cause chain says what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannotUpdate {
    pub path: PathBuf,
}

impl fmt::Display for CannotUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot update `{}`", self.path.display())
    }
}

/// A credentials file as the user named it, and the regular file it finally points to.
#[derive(Debug, Clone)]
pub struct CredentialsFile {
    path: PathBuf,
    target: PathBuf,
    /// The home directory in use: a file there owned by the home's owner may be written by
    /// root (`sudo rolecreds` keeps the user's file and its owner).
    #[cfg_attr(
        not(unix),
        expect(dead_code, reason = "Windows files have no owner uid")
    )]
    home: Option<PathBuf>,
}

/// The largest credentials file rolecreds reads (real ones hold kilobytes; a cap keeps a
/// planted or runaway file from exhausting memory).
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// What one profile write did, for the report and the warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteReport {
    /// False when the file already held exactly these credentials.
    pub changed: bool,
    /// The old mode when it let group or others read the file; the new file is owner-only.
    pub narrowed_from: Option<u32>,
}

impl CredentialsFile {
    /// Follows `path` through any symlinks (dotfiles setups), so that the link stays a link
    /// and the file it points to is the one replaced.
    /// `home` is the home directory in use (see [`CredentialsFile::home`]).
    pub fn new(path: impl Into<PathBuf>, home: Option<&Path>) -> anyhow::Result<Self> {
        let path = path.into();
        let target =
            resolve_symlinks(&path).with_context(|| CannotUpdate { path: path.clone() })?;
        Ok(Self {
            path,
            target,
            home: home.map(Path::to_owned),
        })
    }

    /// The file's bytes, read without the lock (empty when it does not exist yet), after the
    /// same checks as under the lock: a regular file, of bounded size, owned by the user.
    pub fn read_current(&self) -> anyhow::Result<Vec<u8>> {
        let current = self.read_checked().with_context(|| CannotUpdate {
            path: self.path.clone(),
        })?;
        Ok(current.map(|(bytes, _)| bytes).unwrap_or_default())
    }

    /// Checks what can be checked before any network call: the file (if any) is one rolecreds
    /// may read and replace, and the lock beside it is usable.
    pub fn check_before_network(&self) -> anyhow::Result<Vec<u8>> {
        let contents = self.read_current()?;
        lock::check_lock_file(&self.lock_path()).with_context(|| CannotUpdate {
            path: self.path.clone(),
        })?;
        Ok(contents)
    }

    fn lock_path(&self) -> PathBuf {
        let dir = commit::parent_dir(&self.target);
        dir.join(format!(".{}.rolecreds.lock", self.file_name()))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the writers' lock, waiting up to `timeout`, and reads the file under it. The
    /// directory is created (0700) if missing.
    pub fn lock(&self, timeout: Duration) -> anyhow::Result<LockedCredentialsFile<'_>> {
        self.lock_inner(timeout).with_context(|| CannotUpdate {
            path: self.path.clone(),
        })
    }

    fn lock_inner(&self, timeout: Duration) -> anyhow::Result<LockedCredentialsFile<'_>> {
        let dir = commit::parent_dir(&self.target);
        create_private_dir(dir)?;
        let lock = lock::lock_exclusive(&self.lock_path(), timeout)?;
        commit::remove_abandoned_temp_files(dir, &self.file_name());
        let current = self.read_checked()?;
        Ok(LockedCredentialsFile {
            file: self,
            _lock: lock,
            current,
        })
    }

    fn file_name(&self) -> String {
        let name = self.target.file_name().unwrap_or_default();
        name.to_string_lossy().into_owned()
    }
}

/// The credentials file while this process holds the writers' lock.
#[derive(Debug)]
pub struct LockedCredentialsFile<'f> {
    file: &'f CredentialsFile,
    _lock: lock::SidecarLock,
    current: Option<(Vec<u8>, Metadata)>,
}

impl LockedCredentialsFile<'_> {
    /// The file's bytes as read under the lock (empty when it does not exist yet).
    pub fn contents(&self) -> &[u8] {
        self.current.as_ref().map_or(&[], |(bytes, _)| bytes)
    }

    /// Writes `credentials` into `profile`: edit, confirm with the SDK's parser, replace.
    /// On any error the file is left byte-for-byte as it was.
    pub fn write_profile(
        &mut self,
        profile: &ProfileName,
        credentials: &TemporaryCredentials,
    ) -> anyhow::Result<WriteReport> {
        self.write_profile_inner(profile, credentials)
            .with_context(|| CannotUpdate {
                path: self.file.path.clone(),
            })
    }

    fn write_profile_inner(
        &mut self,
        profile: &ProfileName,
        credentials: &TemporaryCredentials,
    ) -> anyhow::Result<WriteReport> {
        let batch = self.write_entries(&[(profile, credentials)])?;
        Ok(WriteReport {
            changed: batch.changed.first().copied().unwrap_or(false),
            narrowed_from: batch.narrowed_from,
        })
    }
}

/// What a write of many profiles did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchReport {
    /// For each entry, in order: false when the file already held exactly its credentials.
    pub changed: Vec<bool>,
    /// The old mode when it let group or others read the file; the new file is owner-only.
    pub narrowed_from: Option<u32>,
}

impl LockedCredentialsFile<'_> {
    /// Writes every entry's credentials into its profile in ONE replacement of the file: each
    /// edit is applied in memory and confirmed with the SDK's parser against the text before
    /// it, then the result is committed once. On any error nothing is written.
    pub fn write_profiles(
        &mut self,
        entries: &[(ProfileName, TemporaryCredentials)],
    ) -> anyhow::Result<BatchReport> {
        self.write_profiles_inner(entries)
            .with_context(|| CannotUpdate {
                path: self.file.path.clone(),
            })
    }

    fn write_profiles_inner(
        &mut self,
        entries: &[(ProfileName, TemporaryCredentials)],
    ) -> anyhow::Result<BatchReport> {
        let entries: Vec<_> = entries.iter().map(|(p, c)| (p, c)).collect();
        self.write_entries(&entries)
    }

    /// Applies every entry to the text in memory, confirming each step with
    /// `validate::confirm_section_edit` (each step leaves every byte outside its own section
    /// as the step before had it, so earlier entries stay intact), then replaces the file once.
    fn write_entries(
        &mut self,
        entries: &[(&ProfileName, &TemporaryCredentials)],
    ) -> anyhow::Result<BatchReport> {
        // The text so far: the file as read until the first edit (not copied: a large file
        // would cost its size again), then each edit's result.
        let mut edited: Option<Vec<u8>> = None;
        let mut changed = Vec::with_capacity(entries.len());
        for &(profile, credentials) in entries {
            let text = edited.as_deref().unwrap_or(self.contents());
            let planned = edit::plan_upsert(text, profile, credentials)?;
            validate::confirm_section_edit(text, &planned, profile, credentials)?;
            // The confirmation compared every byte outside the section already.
            let new_section = &planned.text.as_bytes()[planned.new_section.clone()];
            changed.push(new_section != &text[planned.old_section.clone()]);
            edited = Some(planned.text.into_bytes());
        }
        let text = edited.unwrap_or_default();
        let text = if self.current.is_none() {
            new_file_line_endings(text, NEW_FILE_CRLF)
        } else {
            text
        };
        if text.as_slice() == self.contents() || entries.is_empty() {
            let narrowed_from = match &self.current {
                Some((_, meta)) => commit::narrow_in_place(&self.file.target, meta)?,
                None => None,
            };
            return Ok(BatchReport {
                changed,
                narrowed_from,
            });
        }
        let existing = self.current.as_ref().map(|(_, meta)| meta);
        let committed = commit::replace_atomically(&self.file.target, existing, &text)?;
        let written = changed.iter().filter(|&&c| c).count();
        tracing::info!("committed {written} profiles in one write");
        self.current = Some((text, committed.metadata));
        Ok(BatchReport {
            changed,
            narrowed_from: committed.narrowed_from,
        })
    }
}

/// Whether `profile` in this credentials-file text has an access key but no session token:
/// someone's long-term keys, which a rotation must not silently replace.
pub fn holds_long_term_keys(contents: &[u8], profile: &ProfileName) -> bool {
    let Some(profiles) = parse_section(contents, profile) else {
        return false;
    };
    profiles.get_profile(profile.as_str()).is_some_and(|p| {
        p.get("aws_access_key_id").is_some() && p.get("aws_session_token").is_none()
    })
}

/// The profile's own section, parsed by aws-config on its own: no other section changes how
/// a section reads (see `validate::confirm_section_edit`), and a whole-file parse would cost
/// memory in proportion to the file (several times a 200 MB file) while the lock is held.
/// `None` when the file has no such section or cannot be edited safely (a write would fail
/// and say why).
fn parse_section(
    contents: &[u8],
    profile: &ProfileName,
) -> Option<aws_config::profile::ProfileSet> {
    let document = scan::scan(contents, profile).ok()?;
    document.target?;
    validate::parse_credentials_text(&document.text[document.section_range()]).ok()
}

/// The value of `key` in `profile` (a plain profile name), if the text parses and has it.
pub fn profile_value(contents: &[u8], profile: &str, key: &str) -> Option<String> {
    let profile = ProfileName::parse(profile).ok()?;
    let profiles = parse_section(contents, &profile)?;
    profiles
        .get_profile(profile.as_str())?
        .get(key)
        .map(str::to_owned)
}

/// When the credentials in `profile` expire, by `x_security_token_expires` (or the
/// `aws_credential_expiration` / `expiration` other tools write), if recorded and readable.
pub fn profile_expiration(contents: &[u8], profile: &ProfileName) -> Option<std::time::SystemTime> {
    let profiles = parse_section(contents, profile)?;
    let found = profiles.get_profile(profile.as_str())?;
    crate::domain::credentials_json::recorded_expiration(|key| found.get(key))
}

/// Follows symlinks in the last path component, including a dangling one, to the real file.
fn resolve_symlinks(path: &Path) -> anyhow::Result<PathBuf> {
    let mut current = path.to_owned();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)
                    .with_context(|| format!("cannot read the symlink `{}`", current.display()))?;
                current = commit::parent_dir(&current).join(link);
            }
            _ => return Ok(current),
        }
    }
    bail!("too many levels of symlinks at `{}`", path.display())
}

/// Whether a new file gets CRLF line endings: on Windows, as from the AWS CLI, which writes
/// the file in Python's text mode (`open(config_filename, 'a')` in
/// awscli/customizations/configure/writer.py turns each `\n` into `os.linesep`). An existing
/// file keeps its own line endings, whatever the system.
const NEW_FILE_CRLF: bool = cfg!(windows);

/// The editor's text for a file that did not exist (its own lines only, all LF) with CRLF
/// line endings when `crlf`.
fn new_file_line_endings(text: Vec<u8>, crlf: bool) -> Vec<u8> {
    if !crlf {
        return text;
    }
    let mut out = Vec::with_capacity(text.len() + text.len() / 16);
    for &byte in &text {
        if byte == b'\n' && out.last() != Some(&b'\r') {
            out.push(b'\r');
        }
        out.push(byte);
    }
    out
}

/// `dir` and its missing parents, 0700 on Unix; on Windows they inherit the profile
/// directory's ACL, which is private to the user already.
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create the directory `{}`", dir.display()))
}

impl CredentialsFile {
    /// Reads the target if it exists: a regular file (a FIFO or device is refused before it
    /// can block or flood the read) of at most [`MAX_FILE_BYTES`], owned by this user, or by
    /// the owner of the home directory it lies in (root running for a user).
    fn read_checked(&self) -> anyhow::Result<Option<(Vec<u8>, Metadata)>> {
        let rules = checked_read::Rules {
            max_bytes: MAX_FILE_BYTES,
            follow_symlink: true,
            owner: checked_read::Owner::User,
            // A mode open to others is narrowed to 0600 by the write, with a warning.
            writers: checked_read::Writers::Anyone,
        };
        match checked_read::read(&self.target, &rules) {
            Err(checked_read::ReadError::NotOwned { owner, .. }) if self.in_home_of(owner) => {
                let rules = checked_read::Rules {
                    owner: checked_read::Owner::UserOr(owner),
                    ..rules
                };
                Ok(checked_read::read(&self.target, &rules)?)
            }
            Err(checked_read::ReadError::NotOwned { owner, .. }) => bail!(
                "`{}` is owned by uid {owner}, not by you (uid {}); rolecreds writes only your \
                 own credentials file: run it as that user (e.g. sudo -u), or pass a file of \
                 yours",
                self.target.display(),
                checked_read::effective_uid()
            ),
            other => Ok(other?),
        }
    }

    /// Whether the target lies in the home directory in use and that home belongs to `owner`.
    #[cfg(unix)]
    fn in_home_of(&self, owner: u32) -> bool {
        use std::os::unix::fs::MetadataExt as _;
        let Some(home) = &self.home else { return false };
        let home_owner = fs::metadata(home).map(|meta| meta.uid()).ok();
        let canonical = |path: &Path| fs::canonicalize(path).ok();
        let inside = match (canonical(home), canonical(commit::parent_dir(&self.target))) {
            (Some(home), Some(dir)) => dir.starts_with(home),
            _ => false,
        };
        inside && home_owner == Some(owner)
    }

    /// Windows files have no owner uid, so a file is never refused as someone else's.
    #[cfg(not(unix))]
    fn in_home_of(&self, _owner: u32) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::new_file_line_endings;

    #[test]
    fn a_new_file_gets_crlf_only_when_asked() {
        let lf = b"[dev]\naws_access_key_id = A\n".to_vec();
        assert_eq!(new_file_line_endings(lf.clone(), false), lf);
        assert_eq!(
            new_file_line_endings(lf, true),
            b"[dev]\r\naws_access_key_id = A\r\n"
        );
        assert_eq!(new_file_line_endings(b"a\r\n".to_vec(), true), b"a\r\n");
    }
}
