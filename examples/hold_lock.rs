//! A second Windows process for scripts/cross-check's checks under Wine: it holds a file the
//! way another program would, says `held` on stdout, keeps it for MILLIS, then exits.
//!
//! - `lock FILE MILLIS`: the exclusive lock rolecreds takes on its sidecar lock file
//!   (`File::lock`, `LockFileEx` on Windows), as a concurrent rolecreds would. Measured under
//!   Wine 8: a Linux `flock` on the same file does not conflict with it (rolecreds.exe wrote
//!   while it was held); a Linux `fcntl` lock does (wineserver mirrors Windows locks as
//!   `fcntl` locks), but neither is what a second rolecreds on Windows takes, this is.
//! - `open FILE MILLIS` (Windows only): the file open without `FILE_SHARE_DELETE`, as an
//!   editor or virus scanner may hold the credentials file, so that Windows refuses to rename
//!   another file over it until it is closed.
//!
//! Usage: `hold_lock lock|open FILE MILLIS`

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [how, path, millis] = args.as_slice() else {
        eprintln!("usage: hold_lock lock|open FILE MILLIS");
        return ExitCode::from(2);
    };
    let Ok(millis) = millis.parse::<u64>() else {
        eprintln!("hold_lock: MILLIS must be a whole number, not `{millis}`");
        return ExitCode::from(2);
    };
    let held = match how.as_str() {
        "lock" => lock(path),
        "open" => open_unshared(path),
        _ => Err(format!("unknown way to hold a file: `{how}`")),
    };
    let file = match held {
        Ok(file) => file,
        Err(err) => {
            eprintln!("hold_lock: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("held");
    let _ = std::io::stdout().flush();
    std::thread::sleep(Duration::from_millis(millis));
    drop(file);
    ExitCode::SUCCESS
}

fn lock(path: &str) -> Result<File, String> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|err| format!("cannot open `{path}`: {err}"))?;
    file.lock()
        .map_err(|err| format!("cannot lock `{path}`: {err}"))?;
    Ok(file)
}

#[cfg(windows)]
fn open_unshared(path: &str) -> Result<File, String> {
    use std::os::windows::fs::OpenOptionsExt as _;
    const FILE_SHARE_READ: u32 = 0x1;
    OpenOptions::new()
        .read(true)
        .share_mode(FILE_SHARE_READ)
        .open(path)
        .map_err(|err| format!("cannot open `{path}`: {err}"))
}

#[cfg(not(windows))]
fn open_unshared(_path: &str) -> Result<File, String> {
    Err("`open` holds a file the Windows way; there is no such thing here".to_owned())
}
