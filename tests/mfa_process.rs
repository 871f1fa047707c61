//! `--mfa-process CMD` and a role profile's `mfa_process`: the MFA code comes from a program
//! (a hardware key's CLI, a password manager) for modes without a terminal. It runs without
//! a shell, its output never shows, a hanging one is cut off by the timeout, and a failing or
//! wrong one is exit 5 with one line.
//!
//! moto does not check MFA codes, so that the code reached STS is read from the process
//! having run (it leaves a marker) and from the profile being written; auth enforcement is
//! off because moto does not register GetSessionToken sessions (see tests/mfa_watch.rs).

// Unix only: it exercises Unix modes, signals or process groups (scripts/cross-check runs
// the Windows binary under Wine instead).
#![cfg(unix)]

mod emulator;
mod support;

use emulator::{Moto, ROLE_DNS_EDITOR_ARN};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};
use support::{assert_error, assert_success, stderr, stdout};

const MFA_SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
const CODE: &str = "975310";

/// An executable shell script in `dir` with `body`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn one_shot(sandbox: &emulator::Sandbox, extra: &[&str]) -> Output {
    let mut command = sandbox.rolecreds();
    command
        .args(["--role-arn", ROLE_DNS_EDITOR_ARN, "--profile-name", "mfa"])
        .args(["--mfa-serial", MFA_SERIAL])
        .args(extra);
    run(&mut command)
}

/// Runs `command` to the end with empty stdin, its output captured.
fn run(command: &mut std::process::Command) -> Output {
    use std::process::Stdio;
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    support::run(command, "")
}

fn assert_no_code(output: &Output) {
    let printed = format!("{}{}", stdout(output), stderr(output));
    assert!(
        !printed.contains(CODE),
        "the MFA code was printed:\n{printed}"
    );
}

#[test]
fn a_process_that_prints_the_code_is_run_without_a_shell() {
    let moto = Moto::start();
    moto.set_auth_enforced(false);
    let sandbox = moto.sandbox();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("args");
    let code = script(
        dir.path(),
        "code.sh",
        &format!(
            "printf '%s\\n' \"$@\" > '{}'\necho {CODE}",
            marker.display()
        ),
    );
    let command = format!("{} '$HOME' \"two words\"", code.display());
    let output = one_shot(&sandbox, &["--mfa-process", &command, "-v"]);
    assert_success(&output);
    assert_no_code(&output);
    let args = std::fs::read_to_string(&marker).expect("the MFA process ran");
    assert_eq!(
        args, "$HOME\ntwo words\n",
        "no shell expanded or split the arguments"
    );
    let written = std::fs::read_to_string(sandbox.credentials_file()).unwrap();
    assert!(written.contains("[mfa]"), "{written}");
}

#[test]
fn a_role_profile_names_its_mfa_process() {
    let moto = Moto::start();
    moto.set_auth_enforced(false);
    let mut sandbox = moto.sandbox();
    let alice = moto.alice().clone();
    sandbox
        .remove("AWS_ACCESS_KEY_ID")
        .remove("AWS_SECRET_ACCESS_KEY");
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let code = script(
        dir.path(),
        "code.sh",
        &format!("touch '{}'\necho {CODE}", marker.display()),
    );
    std::fs::write(sandbox.credentials_file(), alice.profile("alice")).unwrap();
    std::fs::write(
        sandbox.config_file(),
        format!(
            "[profile mfa-role]\nrole_arn = {ROLE_DNS_EDITOR_ARN}\nsource_profile = alice\n\
             mfa_serial = {MFA_SERIAL}\nmfa_process = {}\n",
            code.display()
        ),
    )
    .unwrap();
    let mut command = sandbox.rolecreds();
    command.args(["--from-profile", "mfa-role", "--profile-name", "out"]);
    let output = run(&mut command);
    assert_success(&output);
    assert_no_code(&output);
    assert!(
        marker.exists(),
        "the role profile's mfa_process did not run"
    );
}

#[test]
fn a_hanging_process_is_cut_off_by_the_timeout() {
    let moto = Moto::start();
    moto.set_auth_enforced(false);
    let sandbox = moto.sandbox();
    let dir = tempfile::tempdir().unwrap();
    let hang = script(dir.path(), "hang.sh", "exec sleep 30");
    let started = Instant::now();
    let output = one_shot(
        &sandbox,
        &[
            "--mfa-process",
            hang.to_str().unwrap(),
            "--mfa-process-timeout",
            "1s",
        ],
    );
    let took = started.elapsed();
    assert_error(
        &output,
        5,
        &["printed no code within 1s", "--mfa-process-timeout"],
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(
        !sandbox.credentials_file().exists(),
        "nothing may be written without a code"
    );
}

#[test]
fn a_failing_or_wrong_process_is_exit_5() {
    let moto = Moto::start();
    moto.set_auth_enforced(false);
    let sandbox = moto.sandbox();
    let dir = tempfile::tempdir().unwrap();
    let failing = script(dir.path(), "fail.sh", "echo 975310; exit 3");
    let output = one_shot(&sandbox, &["--mfa-process", failing.to_str().unwrap()]);
    assert_error(&output, 5, &["failed", "exit status: 3"]);
    assert_no_code(&output);
    let wrong = script(dir.path(), "wrong.sh", "echo 'SECRET-ISH not a code'");
    let output = one_shot(&sandbox, &["--mfa-process", wrong.to_str().unwrap()]);
    assert_error(&output, 5, &["did not print a 6-digit code"]);
    assert!(
        !stderr(&output).contains("SECRET-ISH"),
        "{}",
        stderr(&output)
    );
    let missing = one_shot(&sandbox, &["--mfa-process", "/nonexistent/mfa-helper"]);
    assert_error(&missing, 5, &["cannot run the MFA process"]);
}

#[test]
fn mfa_process_needs_an_mfa_device_and_a_well_formed_command() {
    let sandbox = emulator::Sandbox::offline();
    let mut command = sandbox.rolecreds();
    command.args(["--role-arn", ROLE_DNS_EDITOR_ARN, "--mfa-process", "echo 1"]);
    assert_error(&run(&mut command), 2, &["needs --mfa-serial"]);
    let mut command = sandbox.rolecreds();
    command
        .args([
            "--role-arn",
            ROLE_DNS_EDITOR_ARN,
            "--mfa-serial",
            MFA_SERIAL,
        ])
        .args(["--mfa-process", "echo 'unclosed"]);
    assert_error(&run(&mut command), 2, &["--mfa-process", "no closing"]);
}
