//! Replaces a file atomically: temp file beside it, fsync, rename over it, fsync the directory.
//!
//! A reader sees the old bytes or the new bytes, never a mix or an empty file. Any failure
//! before the rename leaves the original untouched and removes the temp file.

use anyhow::Context as _;
use std::fs::{self, File, Metadata, Permissions};
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// What a commit did besides writing.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The old mode when it gave group or others access, which the new file no longer does.
    pub narrowed_from: Option<u32>,
    /// The new file's metadata (taken before the rename, which keeps the inode).
    pub metadata: Metadata,
}

/// The characters tempfile puts between our prefix and suffix.
const RANDOM_LEN: usize = 6;

/// The prefix and suffix of rolecreds' temp files for `file_name`, so that a later run holding
/// the lock can remove what a killed run left behind.
pub fn temp_file_affixes(file_name: &str) -> (String, &'static str) {
    (format!(".{file_name}.rolecreds-"), ".tmp")
}

/// Writes `contents` to `target` (a path whose last component is not a symlink) atomically.
/// `existing` is the current file's metadata: its mode is kept minus group and other bits,
/// and its owner is kept where this process may set it. A new file is created 0600.
pub fn replace_atomically(
    target: &Path,
    existing: Option<&Metadata>,
    contents: &[u8],
) -> anyhow::Result<Committed> {
    let dir = parent_dir(target);
    let file_name = target.file_name().unwrap_or_default().to_string_lossy();
    let (prefix, suffix) = temp_file_affixes(&file_name);
    let mut temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(suffix)
        .rand_bytes(RANDOM_LEN)
        .tempfile_in(dir)
        .with_context(|| {
            format!(
                "cannot create a temporary file in `{}`: rolecreds replaces the credentials file \
                 atomically and needs write access to its directory",
                dir.display()
            )
        })?;
    let narrowed_from = existing.and_then(readable_by_others);
    let mode = existing.map_or(0o600, |meta| meta.mode() & 0o600);
    let temp_path = temp.path().to_owned();
    let written_to = || format!("cannot write `{}`", temp_path.display());
    temp.write_all(contents).with_context(written_to)?;
    temp.as_file()
        .set_permissions(Permissions::from_mode(mode))
        .with_context(written_to)?;
    if let Some(meta) = existing {
        keep_owner(temp.as_file(), meta);
    }
    temp.as_file().sync_all().with_context(written_to)?;
    let metadata = temp.as_file().metadata().with_context(written_to)?;
    temp.persist(target)
        .map_err(|err| err.error)
        .with_context(|| format!("cannot rename the new file over `{}`", target.display()))?;
    // The file is replaced now; a failed directory sync only weakens durability after a
    // crash, so it is reported without turning the write into a failure.
    if let Err(err) = sync_dir(dir) {
        tracing::warn!("{err:#}");
    }
    Ok(Committed {
        narrowed_from,
        metadata,
    })
}

/// The file's mode when group or others may access it.
pub fn readable_by_others(meta: &Metadata) -> Option<u32> {
    let mode = meta.mode() & 0o7777;
    (mode & 0o077 != 0).then_some(mode)
}

/// Narrows an unchanged file to its owner's read/write bits, in place (chmod is atomic).
pub fn narrow_in_place(target: &Path, meta: &Metadata) -> anyhow::Result<Option<u32>> {
    let Some(mode) = readable_by_others(meta) else {
        return Ok(None);
    };
    fs::set_permissions(target, Permissions::from_mode(mode & 0o600))
        .with_context(|| format!("cannot chmod `{}` to owner-only", target.display()))?;
    Ok(Some(mode))
}

/// Keeps a file owned by someone else (e.g. root editing a user's file) with its owner. Only a
/// privileged process can do so; for anyone else the file is theirs already, so failure is fine.
fn keep_owner(file: &File, meta: &Metadata) {
    let Ok(ours) = file.metadata() else { return };
    if ours.uid() != meta.uid() || ours.gid() != meta.gid() {
        let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
    }
}

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Makes the rename durable: without this a crash can bring back the old directory entry.
fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync the directory `{}`", dir.display()))
}

/// Removes temp files that a killed rolecreds left in `dir`; call only while holding the lock.
pub fn remove_abandoned_temp_files(dir: &Path, file_name: &str) {
    let (prefix, suffix) = temp_file_affixes(file_name);
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let is_ours = name.len() == prefix.len() + RANDOM_LEN + suffix.len()
            && name.starts_with(&prefix)
            && name.ends_with(suffix)
            && name[prefix.len()..name.len() - suffix.len()]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric());
        if is_ours {
            let _ = fs::remove_file(entry.path());
        }
    }
}
