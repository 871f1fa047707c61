//! `--watch` with an MFA role: one GetSessionToken with the code, then AssumeRole from that
//! session on every refresh without asking again; when the MFA session nears its end and no
//! terminal can ask for a new code, the watch ends with exit 5 and says why.
//!
//! moto does not register GetSessionToken credentials for its signature checks, so these
//! tests turn its auth enforcement off after seeding; that one MFA session serves every
//! refresh is read from rolecreds' own `-v` log.

// Unix only: it exercises Unix modes, signals or process groups (scripts/cross-check runs
// the Windows binary under Wine instead).
#![cfg(unix)]

mod emulator;

use emulator::{Moto, ROLE_DNS_EDITOR_ARN};
use std::process::Stdio;
use std::time::{Duration, Instant};

const MFA_SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

fn access_key(path: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .skip_while(|line| *line != "[mfa]")
        .find_map(|line| line.strip_prefix("aws_access_key_id="))
        .map(str::to_owned)
}

#[test]
fn one_mfa_code_serves_many_refreshes() {
    let moto = Moto::start();
    moto.set_auth_enforced(false);
    let sandbox = moto.sandbox();
    let watcher = sandbox
        .rolecreds()
        .args([
            "--role-arn",
            ROLE_DNS_EDITOR_ARN,
            "--profile-name",
            "mfa",
            "--watch",
        ])
        .args(["--mfa-serial", MFA_SERIAL, "--token-code", "975310"])
        .args(["--duration", "900", "--refresh-before", "895s", "-v"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let file = sandbox.credentials_file();
    let mut keys = std::collections::BTreeSet::new();
    let started = Instant::now();
    while keys.len() < 3 && started.elapsed() < Duration::from_secs(25) {
        if let Some(key) = access_key(&file) {
            keys.insert(key);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    unsafe { libc::kill(watcher.id() as i32, libc::SIGTERM) };
    let output = watcher.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        keys.len() >= 3,
        "only {} key sets in 25 s:\n{stderr}",
        keys.len()
    );
    assert!(
        !stderr.contains("MFA code for"),
        "prompted although a code was given"
    );
    assert!(!stderr.contains("975310"), "the MFA code leaked:\n{stderr}");
    assert_eq!(
        stderr.matches("MFA session valid until").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.matches("wrote profile mfa").count() >= 3, "{stderr}");
}

#[test]
fn an_ending_mfa_session_without_a_terminal_is_exit_5() {
    let moto = Moto::start();
    moto.set_auth_enforced(false);
    let sandbox = moto.sandbox();
    let started = Instant::now();
    let output = sandbox
        .rolecreds()
        .args([
            "--role-arn",
            ROLE_DNS_EDITOR_ARN,
            "--profile-name",
            "mfa",
            "--watch",
        ])
        .args(["--mfa-serial", MFA_SERIAL, "--token-code", "975310"])
        .args(["--duration", "900", "--refresh-before", "895s"])
        .args(["--mfa-session-duration", "15m"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(stderr.contains("a new MFA code is needed"), "{stderr}");
    assert!(
        stderr.contains("restart rolecreds --watch with a fresh --token-code"),
        "{stderr}"
    );
    assert!(
        access_key(&sandbox.credentials_file()).is_some(),
        "the first write happened"
    );
}

/// A pseudo-terminal pair: the test holds the master, the watcher gets the slave.
fn open_pty() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd as _;
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two fds into the given ints; null name, termios and winsize
    // pointers are allowed. (`null_mut` fits both signatures: glibc takes const termios and
    // winsize pointers, Apple's libc mutable ones.)
    let result = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    assert_eq!(result, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both fds were just opened and are owned by nothing else. The master is
    // non-blocking (polled with a deadline) and not inherited by the watcher.
    unsafe {
        assert_eq!(
            libc::fcntl(master, libc::F_SETFL, libc::O_NONBLOCK),
            0,
            "fcntl"
        );
        assert_eq!(
            libc::fcntl(master, libc::F_SETFD, libc::FD_CLOEXEC),
            0,
            "fcntl"
        );
        (
            std::os::fd::OwnedFd::from_raw_fd(master),
            std::os::fd::OwnedFd::from_raw_fd(slave),
        )
    }
}

/// Reads the pty master until `needle` shows up; everything read if it does, `Err` with what
/// was read if the watcher exits or `timeout` passes first.
fn read_until(
    master: &std::os::fd::OwnedFd,
    needle: &str,
    timeout: Duration,
) -> Result<String, String> {
    use std::io::Read as _;
    let mut file = std::fs::File::from(master.try_clone().expect("dup the pty master"));
    let mut seen = Vec::new();
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    while started.elapsed() < timeout {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10));
            }
            // EIO: every slave fd is closed, the watcher has exited.
            Err(_) => break,
        }
        if String::from_utf8_lossy(&seen).contains(needle) {
            return Ok(String::from_utf8_lossy(&seen).into_owned());
        }
    }
    Err(String::from_utf8_lossy(&seen).into_owned())
}

/// Starts `--watch` with an MFA role on a real terminal (its own session, the pty as its
/// controlling terminal), waits for the MFA prompt, sends `signal`, and expects exit 0 within
/// 3 s: a watcher blocked reading the code must still stop when asked.
fn signal_at_the_mfa_prompt(sandbox: &emulator::Sandbox, signal: libc::c_int) {
    use std::os::unix::process::CommandExt as _;
    let (master, slave) = open_pty();
    let mut command = sandbox.rolecreds();
    command
        .args(["--watch", "--role-arn", ROLE_DNS_EDITOR_ARN])
        .args(["--profile-name", "m", "--mfa-serial", MFA_SERIAL])
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    // SAFETY: prctl, setsid and ioctl are async-signal-safe and touch no memory of the
    // parent. Only Linux has the parent-death signal; the ioctl request's type differs by
    // libc (`as _`).
    unsafe {
        command.pre_exec(|| {
            #[cfg(target_os = "linux")]
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::setsid() == -1 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    // The parent's copies of the slave go with the command, so the master sees EIO on exit.
    drop(command);
    let shown = read_until(&master, "MFA code for", Duration::from_secs(20));
    let reap = |child: &mut std::process::Child| {
        let _ = child.kill();
        let _ = child.wait();
    };
    if let Err(seen) = shown {
        reap(&mut child);
        panic!("no MFA prompt on the terminal within 20 s; it showed: {seen:?}");
    }
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) with the pid of our own unreaped child.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill");
    let signalled = Instant::now();
    while signalled.elapsed() < Duration::from_secs(3) {
        if let Some(status) = child.try_wait().unwrap() {
            // For the failure message: what the terminal showed (no NUL ever comes, so this
            // reads whatever is left for 200 ms).
            let rest = read_until(&master, "\u{0}", Duration::from_millis(200))
                .unwrap_or_else(|seen| seen);
            assert_eq!(
                status.code(),
                Some(0),
                "signal {signal} at the MFA prompt should end the watch with exit 0 \
                 ({status}); terminal: {rest:?}"
            );
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    reap(&mut child);
    panic!("signal {signal} at the MFA prompt: still running 3 s later (it hung)");
}

#[test]
fn signals_stop_the_watch_at_the_mfa_prompt() {
    let moto = Moto::start();
    moto.set_auth_enforced(false);
    let sandbox = moto.sandbox();
    let mut failures = Vec::new();
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // Each signal gets a fresh watcher; all three are tried before the test fails.
        let outcome = std::panic::catch_unwind(|| signal_at_the_mfa_prompt(&sandbox, signal));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| format!("{panic:?}"));
            failures.push(message);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        access_key(&sandbox.credentials_file()).is_none(),
        "nothing may be written without a code"
    );
}
