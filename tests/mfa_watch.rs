//! `--watch` with an MFA role: one GetSessionToken with the code, then AssumeRole from that
//! session on every refresh without asking again; when the MFA session nears its end and no
//! terminal can ask for a new code, the watch ends with exit 5 and says why.
//!
//! moto does not register GetSessionToken credentials for its signature checks, so these
//! tests turn its auth enforcement off after seeding; that one MFA session serves every
//! refresh is read from rolecreds' own `-v` log.

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
