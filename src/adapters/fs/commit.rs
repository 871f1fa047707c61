//! Replaces a file atomically: temp file beside it, fsync, rename over it, fsync the directory.
//!
//! A reader sees the old bytes or the new bytes, never a mix or an empty file. Any failure
//! before the rename leaves the original untouched and removes the temp file.
//!
//! Per platform: Unix keeps the mode (narrowed to the owner) and the owner; macOS flushes to
//! the medium with `F_FULLFSYNC` (a plain fsync leaves the data in the drive's cache); Windows
//! has no modes (the profile directory's ACL is inherited), cannot sync a directory, and
//! refuses the rename while a reader holds the file open, so the rename is retried briefly.

use anyhow::Context as _;
use std::fs::{self, File, Metadata};
use std::io::Write as _;
use std::path::Path;
#[cfg(windows)]
use std::time::{Duration, Instant};

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
    let temp_path = temp.path().to_owned();
    let written_to = || format!("cannot write `{}`", temp_path.display());
    temp.write_all(contents).with_context(written_to)?;
    keep_mode_and_owner(temp.as_file(), existing).with_context(written_to)?;
    sync_to_medium(temp.as_file()).with_context(written_to)?;
    let metadata = temp.as_file().metadata().with_context(written_to)?;
    persist(temp, target)
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
#[cfg(unix)]
pub fn readable_by_others(meta: &Metadata) -> Option<u32> {
    use std::os::unix::fs::MetadataExt as _;
    let mode = meta.mode() & 0o7777;
    (mode & 0o077 != 0).then_some(mode)
}

/// Windows has no mode bits: who may read the file is the profile directory's ACL's say.
#[cfg(not(unix))]
pub fn readable_by_others(_meta: &Metadata) -> Option<u32> {
    None
}

/// Narrows an unchanged file to its owner's read/write bits, in place (chmod is atomic).
#[cfg(unix)]
pub fn narrow_in_place(target: &Path, meta: &Metadata) -> anyhow::Result<Option<u32>> {
    use std::os::unix::fs::PermissionsExt as _;
    let Some(mode) = readable_by_others(meta) else {
        return Ok(None);
    };
    fs::set_permissions(target, fs::Permissions::from_mode(mode & 0o600))
        .with_context(|| format!("cannot chmod `{}` to owner-only", target.display()))?;
    Ok(Some(mode))
}

#[cfg(not(unix))]
pub fn narrow_in_place(_target: &Path, _meta: &Metadata) -> anyhow::Result<Option<u32>> {
    Ok(None)
}

/// The new file gets the old mode minus group and other bits (0600 for a new file), and keeps
/// a file owned by someone else (e.g. root editing a user's file) with its owner. Only a
/// privileged process can chown; for anyone else the file is theirs already, so failure is fine.
#[cfg(unix)]
fn keep_mode_and_owner(file: &File, existing: Option<&Metadata>) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let mode = existing.map_or(0o600, |meta| meta.mode() & 0o600);
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    let (Some(meta), Ok(ours)) = (existing, file.metadata()) else {
        return Ok(());
    };
    if ours.uid() != meta.uid() || ours.gid() != meta.gid() {
        let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
    }
    Ok(())
}

/// Windows: the temp file inherits the directory's ACL, as the file it replaces did.
#[cfg(not(unix))]
fn keep_mode_and_owner(_file: &File, _existing: Option<&Metadata>) -> std::io::Result<()> {
    Ok(())
}

/// Flushes the file's data and metadata to the storage device.
#[cfg(not(target_vendor = "apple"))]
fn sync_to_medium(file: &File) -> std::io::Result<()> {
    file.sync_all()
}

/// On macOS fsync only reaches the drive's cache; `F_FULLFSYNC` asks the drive to write it
/// out. Some file systems (network, FUSE) refuse it: then plain fsync is the best there is.
#[cfg(target_vendor = "apple")]
fn sync_to_medium(file: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd as _;
    // SAFETY: fcntl and fsync on a descriptor this File owns and keeps open.
    unsafe {
        if libc::fcntl(file.as_raw_fd(), libc::F_FULLFSYNC) != -1 {
            return Ok(());
        }
        if libc::fsync(file.as_raw_fd()) == 0 {
            return Ok(());
        }
    }
    Err(std::io::Error::last_os_error())
}

/// Renames the temp file over `target`.
#[cfg(not(windows))]
fn persist(temp: tempfile::NamedTempFile, target: &Path) -> std::io::Result<()> {
    temp.persist(target).map(drop).map_err(|err| err.error)
}

/// The longest a Windows rename is retried while a reader holds the target open.
#[cfg(windows)]
const RENAME_RETRY_FOR: Duration = Duration::from_millis(1500);

/// Renames the temp file over `target` (MoveFileExW with MOVEFILE_REPLACE_EXISTING, atomic).
/// Windows refuses while another process has the target open without FILE_SHARE_DELETE (an
/// editor, a virus scanner, an SDK reading it): access denied or a sharing violation, which
/// ends as soon as the reader closes it. So it is retried with growing pauses, ~1.5 s at most;
/// until it succeeds readers see the old file, and after a last failure the temp file is
/// removed (dropped), as for any failure before the rename. (An ACL that denies the rename
/// for good also reads as access denied; it then fails after the same ~1.5 s.)
#[cfg(windows)]
fn persist(mut temp: tempfile::NamedTempFile, target: &Path) -> std::io::Result<()> {
    const ERROR_ACCESS_DENIED: i32 = 5;
    const ERROR_SHARING_VIOLATION: i32 = 32;
    let started = Instant::now();
    const FIRST_PAUSE: Duration = Duration::from_millis(5);
    let mut pause = FIRST_PAUSE;
    loop {
        match temp.persist(target) {
            Ok(_) => return Ok(()),
            Err(err) => {
                let held = matches!(
                    err.error.raw_os_error(),
                    Some(ERROR_ACCESS_DENIED | ERROR_SHARING_VIOLATION)
                );
                if !held || started.elapsed() + pause > RENAME_RETRY_FOR {
                    return Err(err.error);
                }
                if pause == FIRST_PAUSE {
                    tracing::info!(
                        "another program holds `{}` open; retrying the rename",
                        target.display()
                    );
                }
                temp = err.file;
            }
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(250));
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
#[cfg(unix)]
fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    File::open(dir)
        .and_then(|d| sync_to_medium(&d))
        .with_context(|| format!("cannot sync the directory `{}`", dir.display()))
}

/// Windows cannot flush a directory handle; NTFS journals the rename itself, and the file's
/// data was flushed (FlushFileBuffers) before it.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> anyhow::Result<()> {
    Ok(())
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
