//! What every run pays around its work: a report line that cannot fail a run whose work is
//! done.
#![cfg(unix)]

mod support;

use std::process::Stdio;
use support::*;

/// A report line written to a pipe whose reader is gone (`rolecreds import ... 2>&1 | true`
/// in a script) is lost, not fatal: the profile is written and the run succeeds. (eprintln!
/// panics on the EPIPE, and with panic=abort the run died of SIGABRT after its write.)
#[test]
fn a_closed_stderr_pipe_does_not_fail_a_finished_import() {
    let (_dir, path) = credentials_in_tempdir();
    let creds = Creds::for_index(1);
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let mut cmd = import_command(&path, "dev", &[]);
    cmd.stderr(Stdio::from(writer));
    let mut child = spawn(&mut cmd);
    feed(&mut child, &creds.json());
    let output = wait_with_deadline(child, RUN_DEADLINE);
    assert!(
        output.status.success(),
        "rolecreds failed with its stderr closed: {} (signal {:?})",
        output.status,
        signal_of(&output.status)
    );
    let written = std::fs::read_to_string(&path).expect("the credentials file");
    assert!(
        written.contains(&format!("aws_session_token={}", creds.token)),
        "the profile was not written:\n{written}"
    );
}
