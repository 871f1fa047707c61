//! The Windows side of the atomic commit, run under Wine by scripts/cross-check: a rename
//! refused because another process holds the file open is retried until that process closes
//! it, and given up after the bound with the original intact and no temp file left.

use super::commit::replace_atomically;
use std::fs::{self, File, OpenOptions};
use std::path::Path;
use std::time::{Duration, Instant};

/// Opens `path` the way an editor or a virus scanner may: sharing reads only, so that no one
/// can rename over it or delete it meanwhile.
fn hold_open(path: &Path) -> File {
    use std::os::windows::fs::OpenOptionsExt as _;
    const FILE_SHARE_READ: u32 = 0x1;
    OpenOptions::new()
        .read(true)
        .share_mode(FILE_SHARE_READ)
        .open(path)
        .unwrap()
}

#[test]
fn a_rename_refused_while_a_reader_holds_the_file_lands_once_it_closes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    fs::write(&path, b"old\r\n").unwrap();
    let meta = fs::metadata(&path).unwrap();
    let reader = hold_open(&path);
    let closer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(reader);
    });
    let started = Instant::now();
    replace_atomically(&path, Some(&meta), b"new\r\n").unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "it was not refused"
    );
    closer.join().unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"new\r\n");
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "a temp file was left"
    );
}

#[test]
fn a_reader_that_never_closes_fails_the_write_within_the_bound_and_keeps_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    fs::write(&path, b"old\r\n").unwrap();
    let meta = fs::metadata(&path).unwrap();
    let _reader = hold_open(&path);
    let started = Instant::now();
    let err = replace_atomically(&path, Some(&meta), b"new\r\n").unwrap_err();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(3),
        "gave up after {took:?}"
    );
    assert!(
        format!("{err:#}").contains("cannot rename the new file over"),
        "{err:#}"
    );
    assert_eq!(fs::read(&path).unwrap(), b"old\r\n");
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "a temp file was left"
    );
}
