//! An exclusive lock on a sidecar file beside the file it guards (the credentials file, a
//! cache entry), taken by every writer.
//!
//! The credentials file itself cannot carry the lock: each commit renames a new inode over it.
//! The sidecar is created once and never renamed or deleted, so every rolecreds process that
//! writes the same file contends on the same inode.
//!
//! The lock is `File::try_lock`: `flock` on Unix, `LockFileEx` on Windows (where it is
//! mandatory for other handles' reads and writes of the lock file's byte range, which nothing
//! reads). Only rolecreds takes it, so both behave alike.

use crate::adapters::fs::checked_read;
use anyhow::Context as _;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Held while the credentials file is read, edited and replaced; released on drop.
#[derive(Debug)]
pub struct SidecarLock {
    _file: File,
}

/// Another writer held the lock for the whole wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockTimeout {
    pub lock_path: PathBuf,
    pub waited: Duration,
}

impl std::fmt::Display for LockTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "timed out after {} waiting for the lock `{}`: another process is writing the \
             credentials file; retry, raise --lock-timeout, or {}",
            humantime::format_duration(self.waited),
            self.lock_path.display(),
            FIND_THE_HOLDER.replace("{}", &self.lock_path.display().to_string())
        )
    }
}

impl std::error::Error for LockTimeout {}

/// How to find who holds the lock, in the timeout's message.
#[cfg(unix)]
const FIND_THE_HOLDER: &str = "find the holder with `fuser {}`";
/// Windows has no `fuser`; Resource Monitor's "Associated Handles" search finds the holder.
#[cfg(not(unix))]
const FIND_THE_HOLDER: &str =
    "find the holder by searching Resource Monitor's Associated Handles for `{}`";

/// Waits up to `timeout` for the exclusive lock, polling with growing, jittered pauses so that
/// many waiting writers do not retry in step.
pub fn lock_exclusive(lock_path: &Path, timeout: Duration) -> anyhow::Result<SidecarLock> {
    let file = open_lock_file(lock_path)?;
    let started = Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(SidecarLock { _file: file }),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(err)) => {
                return Err(err).with_context(|| format!("cannot lock `{}`", lock_path.display()));
            }
        }
        let waited = started.elapsed();
        if waited >= timeout {
            return Err(LockTimeout {
                lock_path: lock_path.to_owned(),
                waited,
            }
            .into());
        }
        std::thread::sleep(jittered(pause).min(timeout - waited));
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Opens (creating it 0600 if missing) the lock file, refusing what another user could have
/// planted there: a symlink (never followed), a FIFO or device (opened without blocking, then
/// refused), or a file owned by someone other than this user, root, or the directory's owner.
pub fn open_lock_file(lock_path: &Path) -> anyhow::Result<File> {
    loop {
        if let Some(file) = open_existing(lock_path)? {
            return Ok(file);
        }
        let created = create_options().open(lock_path);
        match created {
            Ok(file) => return Ok(file),
            // Another writer created it first: open theirs.
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(err) => {
                return Err(err).with_context(|| {
                    format!(
                        "cannot open the lock file `{}`: rolecreds locks a file beside the \
                         file it writes and needs write access to its directory",
                        lock_path.display()
                    )
                });
            }
        }
    }
}

/// Checks an existing lock file as [`open_lock_file`] would, without creating one: run before
/// any network call (also by `--dry-run`, which writes nothing), so a bad lock fails fast
/// instead of after AssumeRole.
pub fn check_lock_file(lock_path: &Path) -> anyhow::Result<()> {
    open_existing(lock_path).map(drop)
}

/// The existing lock file, checked; `None` when there is none.
fn open_existing(lock_path: &Path) -> anyhow::Result<Option<File>> {
    let context = || format!("cannot use the lock file `{}`", lock_path.display());
    let symlink = || {
        Err(anyhow::anyhow!(
            "it is a symlink, which rolecreds never follows for its lock; remove it"
        ))
        .with_context(context)
    };
    let file = match existing_options().open(lock_path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) if checked_read::is_symlink_refusal(&err) => return symlink(),
        Err(err) => return Err(err).with_context(context),
    };
    let meta = file.metadata().with_context(context)?;
    // Windows opened a symlink as itself (FILE_FLAG_OPEN_REPARSE_POINT) instead of failing.
    if meta.file_type().is_symlink() {
        return symlink();
    }
    if !meta.is_file() {
        anyhow::bail!(
            "the lock file `{}` is not a regular file (it is a {}); remove it",
            lock_path.display(),
            checked_read::describe_file_type(&meta)
        );
    }
    check_owner(lock_path, &meta)?;
    Ok(Some(file))
}

/// A new lock file: created 0600, never through a symlink.
#[cfg(unix)]
fn create_options() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = OpenOptions::new();
    options
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW);
    options
}

/// An existing lock file, opened without blocking on a FIFO or following a symlink.
#[cfg(unix)]
fn existing_options() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = OpenOptions::new();
    options
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    options
}

/// A new lock file on Windows: no mode (the profile directory's ACL is inherited); a
/// symlink planted meanwhile makes `create_new` fail, as on Unix.
#[cfg(windows)]
fn create_options() -> OpenOptions {
    use std::os::windows::fs::OpenOptionsExt as _;
    let mut options = OpenOptions::new();
    options
        .write(true)
        .create_new(true)
        .custom_flags(checked_read::FILE_FLAG_OPEN_REPARSE_POINT);
    options
}

/// An existing lock file on Windows: a symlink is opened as itself, then refused.
#[cfg(windows)]
fn existing_options() -> OpenOptions {
    use std::os::windows::fs::OpenOptionsExt as _;
    let mut options = OpenOptions::new();
    options
        .read(true)
        .custom_flags(checked_read::FILE_FLAG_OPEN_REPARSE_POINT);
    options
}

/// Refuses a lock file owned by someone other than this user, root, or the directory's owner.
#[cfg(unix)]
fn check_owner(lock_path: &Path, meta: &std::fs::Metadata) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    let dir_owner = std::fs::metadata(crate::adapters::fs::commit::parent_dir(lock_path))
        .map(|dir| dir.uid())
        .ok();
    let owner = meta.uid();
    if owner != checked_read::effective_uid() && owner != 0 && Some(owner) != dir_owner {
        anyhow::bail!(
            "the lock file `{}` is owned by uid {owner}, who does not own its directory; \
             remove it",
            lock_path.display()
        );
    }
    Ok(())
}

/// Windows has no owner uids; the profile directory's ACL keeps others from planting it.
#[cfg(not(unix))]
fn check_owner(_lock_path: &Path, _meta: &std::fs::Metadata) -> anyhow::Result<()> {
    Ok(())
}

/// A pause between 50 % and 150 % of `pause`.
fn jittered(pause: Duration) -> Duration {
    pause.mul_f64(0.5 + fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_half_and_one_and_a_half() {
        for _ in 0..1000 {
            let pause = jittered(Duration::from_millis(100));
            assert!(pause >= Duration::from_millis(50) && pause <= Duration::from_millis(150));
        }
    }

    #[test]
    fn second_lock_times_out_with_the_lock_path_in_the_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".credentials.rolecreds.lock");
        let _held = lock_exclusive(&path, Duration::from_secs(1)).unwrap();
        let started = Instant::now();
        let err = lock_exclusive(&path, Duration::from_millis(200)).unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(200));
        let timeout = err.downcast_ref::<LockTimeout>().expect("a LockTimeout");
        assert_eq!(timeout.lock_path, path);
        assert!(err.to_string().contains("timed out after"), "{err}");
    }

    #[test]
    fn lock_is_free_again_once_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        drop(lock_exclusive(&path, Duration::from_secs(1)).unwrap());
        lock_exclusive(&path, Duration::ZERO).unwrap();
    }
}
