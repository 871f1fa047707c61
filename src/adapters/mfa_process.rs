//! `--mfa-process CMD` (or `mfa_process` in a role profile): a program whose standard output
//! is the current MFA code (a hardware key's CLI, a password manager, a desktop prompt), for
//! modes with no terminal to ask on. It runs without a shell, with the user's standard input
//! and error (so it may prompt), within a timeout; what it prints is read, bounded, and
//! never logged.

use crate::domain::secret::Secret;
use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use zeroize::Zeroize as _;

/// The most of its output read: a code is six digits and a newline.
const MAX_OUTPUT: u64 = 1024;

/// Runs `argv` and returns what it printed, trimmed; the error says what went wrong (never
/// what it printed).
pub fn code_from(argv: &[String], timeout: Duration) -> Result<Secret, String> {
    let (program, args) = argv.split_first().ok_or("--mfa-process is empty")?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|err| format!("cannot run the MFA process `{program}`: {err}"))?;
    let stdout = child.stdout.take().ok_or("no pipe from the MFA process")?;
    // Read on a thread: a process that prints nothing and never exits must not block us.
    let reader = std::thread::spawn(move || {
        let mut output = Vec::new();
        let _ = stdout.take(MAX_OUTPUT).read_to_end(&mut output);
        output
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the MFA process `{program}` printed no code within {}; check it, or raise \
                     --mfa-process-timeout",
                    humantime::format_duration(timeout)
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(err) => {
                return Err(format!(
                    "cannot wait for the MFA process `{program}`: {err}"
                ));
            }
        }
    };
    let mut output = reader.join().unwrap_or_default();
    if !status.success() {
        output.zeroize();
        return Err(format!("the MFA process `{program}` failed ({status})"));
    }
    let code = String::from_utf8_lossy(&output).trim().to_owned();
    output.zeroize();
    Ok(Secret::new(code))
}
