//! Generic file-system pieces: reading files rolecreds did not create (`checked_read`),
//! replacing a file atomically (`commit`), and the sidecar lock (`lock`).

pub mod checked_read;
pub mod commit;
pub mod lock;
#[cfg(all(test, windows))]
mod windows_tests;

/// Lets a write past the file-size limit (`ulimit -f`) fail with an error, which rolecreds
/// reports and cleans up after, instead of killing the process with SIGXFSZ. Windows has no
/// such signal: a write past a quota fails with an error there already.
#[cfg(unix)]
pub fn ignore_file_size_signal() {
    // SAFETY: setting a signal to SIG_IGN installs no handler code and is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

#[cfg(not(unix))]
pub fn ignore_file_size_signal() {}
