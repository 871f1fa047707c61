//! Reading files rolecreds did not create (credentials, config, policy, targets, cache): open
//! without blocking on a FIFO, refuse anything but a regular file, check who owns it and who
//! may write it, and read at most a cap, so a planted FIFO, device or huge file can neither
//! hang nor exhaust memory, and nobody else's file is taken for the user's.
//!
//! Owners and modes are Unix concepts: on Windows the file type, symlink (reparse point) and
//! size checks stay, and what protects the files is the user profile directory's ACL.

use std::fs::{File, Metadata};
use std::io::Read as _;
#[cfg(unix)]
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};

/// What a file must be before it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// The most bytes read; a larger file is refused.
    pub max_bytes: u64,
    /// Whether a symlink as the last path component is followed (users symlink dotfiles) or
    /// refused (rolecreds' own cache and lock files are never symlinks).
    pub follow_symlink: bool,
    /// Who may own the file.
    pub owner: Owner,
    /// Who besides the owner may write the file.
    pub writers: Writers,
}

/// Who besides the owner may write a file rolecreds reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writers {
    /// Nobody (rolecreds' own files).
    OwnerOnly,
    /// The owner's group too (a user-private group, umask 002), never everybody.
    NotOthers,
    /// Anybody: the credentials file, whose mode rolecreds narrows itself when it writes.
    Anyone,
}

/// Who may own a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The user running rolecreds, or root (system-wide files such as /etc policies).
    UserOrRoot,
    /// Only the user running rolecreds (files rolecreds itself creates).
    User,
    /// The user running rolecreds or this uid (root writing a user's file in that user's home).
    UserOr(u32),
}

/// Why a file was not read; the message names the path and the fix.
#[derive(Debug)]
pub enum ReadError {
    NotRegular {
        path: PathBuf,
        kind: &'static str,
    },
    Symlink {
        path: PathBuf,
    },
    TooLarge {
        path: PathBuf,
        max_bytes: u64,
    },
    #[cfg_attr(not(unix), expect(dead_code, reason = "no owner uids on Windows"))]
    NotOwned {
        path: PathBuf,
        owner: u32,
    },
    #[cfg_attr(not(unix), expect(dead_code, reason = "no mode bits on Windows"))]
    Writable {
        path: PathBuf,
        mode: u32,
    },
    Io {
        path: PathBuf,
        err: std::io::Error,
    },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotRegular { path, kind } => write!(
                f,
                "`{}` is not a regular file (it is a {kind}); point rolecreds at a file",
                path.display()
            ),
            Self::Symlink { path } => write!(
                f,
                "`{}` is a symlink, which rolecreds does not follow there; remove it",
                path.display()
            ),
            Self::TooLarge { path, max_bytes } => write!(
                f,
                "`{}` is larger than {max_bytes} bytes, more than such a file ever needs; check \
                 the path",
                path.display()
            ),
            Self::NotOwned { path, owner } => write!(
                f,
                "`{}` is owned by uid {owner}, not by you (uid {}); rolecreds trusts only your \
                 own files there: remove it or run as its owner",
                path.display(),
                effective_uid()
            ),
            Self::Writable { path, mode } => write!(
                f,
                "`{}` may be written by others (mode {mode:04o}); chmod go-w it",
                path.display()
            ),
            Self::Io { path, err } => write!(f, "cannot read `{}`: {err}", path.display()),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads `path` under `rules`; `Ok(None)` when it does not exist.
pub fn read(path: &Path, rules: &Rules) -> Result<Option<(Vec<u8>, Metadata)>, ReadError> {
    let Some(file) = open(path, rules.follow_symlink)? else {
        return Ok(None);
    };
    let io = |err| ReadError::Io {
        path: path.to_owned(),
        err,
    };
    let meta = file.metadata().map_err(io)?;
    check(path, &meta, rules)?;
    // Sized from the stat (checked against the cap above) so the buffer is allocated once (a
    // 200 MB file costs 200 MB, not the doubling growth of an unknown length) and filled by
    // as few reads as the kernel allows (`read_to_end` starts at 8 KiB and doubles: eleven
    // reads for 10 MB); `take` bounds a file that grows meanwhile.
    let expected = usize::try_from(meta.len().min(rules.max_bytes)).unwrap_or(usize::MAX);
    let mut bytes = vec![0; expected];
    let mut filled = 0;
    let mut file = file.take(rules.max_bytes + 1);
    while filled < expected {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(io(err)),
        }
    }
    bytes.truncate(filled);
    if filled == expected {
        // The file may have grown since the stat: read the rest, still bounded.
        file.read_to_end(&mut bytes).map_err(io)?;
    }
    if bytes.len() as u64 > rules.max_bytes {
        return Err(ReadError::TooLarge {
            path: path.to_owned(),
            max_bytes: rules.max_bytes,
        });
    }
    Ok(Some((bytes, meta)))
}

/// Opens read-only without blocking (a FIFO with no writer would block `open` forever) and,
/// unless asked, without following a symlink.
fn open(path: &Path, follow_symlink: bool) -> Result<Option<File>, ReadError> {
    let symlink = || ReadError::Symlink {
        path: path.to_owned(),
    };
    let file = match open_options(follow_symlink).open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) if is_symlink_refusal(&err) && !follow_symlink => return Err(symlink()),
        Err(err) => {
            return Err(ReadError::Io {
                path: path.to_owned(),
                err,
            });
        }
    };
    // On Windows the link itself was opened (see `open_options`): refuse it now. On Unix
    // O_NOFOLLOW has refused it already.
    #[cfg(windows)]
    if !follow_symlink
        && file
            .metadata()
            .is_ok_and(|meta| meta.file_type().is_symlink())
    {
        return Err(symlink());
    }
    Ok(Some(file))
}

#[cfg(unix)]
fn open_options(follow_symlink: bool) -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY;
    if !follow_symlink {
        flags |= libc::O_NOFOLLOW;
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true).custom_flags(flags);
    options
}

/// Windows has no FIFOs that block an open; a symlink (a reparse point) is opened as itself
/// when it must not be followed, and refused once its type is known.
#[cfg(windows)]
fn open_options(follow_symlink: bool) -> std::fs::OpenOptions {
    use std::os::windows::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    if !follow_symlink {
        options.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT);
    }
    options
}

/// `FILE_FLAG_OPEN_REPARSE_POINT` (winbase.h): open a symlink or junction itself.
#[cfg(windows)]
pub const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;

/// Whether `open` failed because the last component is a symlink (`O_NOFOLLOW`'s `ELOOP`).
#[cfg(unix)]
pub fn is_symlink_refusal(err: &std::io::Error) -> bool {
    err.raw_os_error() == Some(libc::ELOOP)
}

/// Windows opens the link itself instead of failing (`FILE_FLAG_OPEN_REPARSE_POINT`).
#[cfg(not(unix))]
pub fn is_symlink_refusal(_err: &std::io::Error) -> bool {
    false
}

/// Checks an opened file's type, owner and mode against `rules`.
pub fn check(path: &Path, meta: &Metadata, rules: &Rules) -> Result<(), ReadError> {
    if !meta.is_file() {
        return Err(ReadError::NotRegular {
            path: path.to_owned(),
            kind: describe_file_type(meta),
        });
    }
    check_owner_and_mode(path, meta, rules.owner, rules.writers)
}

/// Checks who owns a file or directory and who else may write it.
#[cfg(unix)]
pub fn check_owner_and_mode(
    path: &Path,
    meta: &Metadata,
    owner: Owner,
    writers: Writers,
) -> Result<(), ReadError> {
    let me = effective_uid();
    let owner_ok = match owner {
        Owner::User => meta.uid() == me,
        Owner::UserOrRoot => meta.uid() == me || meta.uid() == 0,
        Owner::UserOr(uid) => meta.uid() == me || meta.uid() == uid,
    };
    if !owner_ok {
        return Err(ReadError::NotOwned {
            path: path.to_owned(),
            owner: meta.uid(),
        });
    }
    let forbidden = match writers {
        Writers::OwnerOnly => 0o022,
        Writers::NotOthers => 0o002,
        Writers::Anyone => 0,
    };
    let mode = meta.mode() & 0o7777;
    // A sticky directory (/tmp) lets others add entries but not replace ours.
    let sticky_dir = meta.is_dir() && mode & 0o1000 != 0 && writers != Writers::OwnerOnly;
    if mode & forbidden != 0 && !sticky_dir {
        return Err(ReadError::Writable {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// Windows files have no owner uid or mode bits to check: the user profile directory's ACL,
/// which the files there inherit, keeps other users out.
#[cfg(not(unix))]
pub fn check_owner_and_mode(
    _path: &Path,
    _meta: &Metadata,
    _owner: Owner,
    _writers: Writers,
) -> Result<(), ReadError> {
    Ok(())
}

/// A file type for messages.
pub fn describe_file_type(meta: &Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "directory";
    }
    if kind.is_symlink() {
        return "symlink";
    }
    #[cfg(unix)]
    {
        if kind.is_fifo() {
            return "FIFO";
        } else if kind.is_socket() {
            return "socket";
        } else if kind.is_block_device() || kind.is_char_device() {
            return "device";
        }
    }
    "special file"
}

/// The user rolecreds runs as.
#[cfg(unix)]
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Windows has no uids (users are SIDs); nothing there compares owners, so one constant
/// stands for "this user" in messages and cache keys (the cache is in the user's profile).
#[cfg(not(unix))]
pub fn effective_uid() -> u32 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Rules = Rules {
        max_bytes: 16,
        follow_symlink: false,
        owner: Owner::User,
        writers: Writers::OwnerOnly,
    };

    #[test]
    fn reads_a_small_private_file_and_reports_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        assert!(read(&path, &RULES).unwrap().is_none());
        std::fs::write(&path, b"0123456789abcdef").unwrap();
        let (bytes, _) = read(&path, &RULES).unwrap().unwrap();
        assert_eq!(bytes, b"0123456789abcdef");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_fifos_symlinks_large_and_writable_files() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let err = read(&fifo, &RULES).unwrap_err().to_string();
        assert!(err.contains("not a regular file (it is a FIFO)"), "{err}");

        let big = dir.path().join("big");
        std::fs::write(&big, [b'x'; 17]).unwrap();
        let err = read(&big, &RULES).unwrap_err().to_string();
        assert!(err.contains("larger than 16 bytes"), "{err}");

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&big, &link).unwrap();
        let err = read(&link, &RULES).unwrap_err().to_string();
        assert!(err.contains("is a symlink"), "{err}");
        let followed = Rules {
            follow_symlink: true,
            max_bytes: 17,
            ..RULES
        };
        assert!(read(&link, &followed).unwrap().is_some());

        let zero = Rules {
            follow_symlink: true,
            ..RULES
        };
        let err = read(Path::new("/dev/zero"), &zero).unwrap_err().to_string();
        assert!(err.contains("it is a device"), "{err}");

        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&big, std::fs::Permissions::from_mode(0o620)).unwrap();
        let err = read(&big, &followed).unwrap_err().to_string();
        assert!(err.contains("chmod go-w"), "{err}");
        let shared = Rules {
            writers: Writers::NotOthers,
            ..followed
        };
        assert!(read(&big, &shared).unwrap().is_some());
    }
}
