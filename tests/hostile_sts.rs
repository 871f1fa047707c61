//! rolecreds against an STS that answers badly (tests/standin/mod.rs plays STS and IAM on
//! loopback): malformed documents, error messages that quote a secret, huge and endless
//! bodies, an expiry before 1970, credentials that are expired on arrival. Whatever STS sends,
//! rolecreds must never print a secret it was given, must stay within bounded memory, time
//! and output, must fail with an exit code rather than a crash, and in `--watch` must keep
//! running and back off instead of hammering STS.
//!
//! Every run's stdout and stderr go to files and the child is reaped with `wait4(2)`, which
//! also reports its peak RSS ([`emulator::background::Background`]).

// Unix only: it exercises Unix modes, signals or process groups (scripts/cross-check runs
// the Windows binary under Wine instead).
#![cfg(unix)]

mod emulator;
mod standin;

use emulator::Sandbox;
use emulator::background::{Background, Finished};
use standin::{Answer, CANARY_SECRET, ROLE_ARN, StandIn, canary_token};
use std::os::unix::process::ExitStatusExt as _;
use std::time::{Duration, SystemTime};

const RETRY_WARNING: &str = "rolecreds: warning: refresh failed (attempt ";
/// Any run that should end on its own gets this long (the machine is loaded).
const DEADLINE: Duration = Duration::from_secs(60);
/// How long a watch may take to exit after SIGTERM (the machine is loaded).
const STOP_WITHIN: Duration = Duration::from_secs(20);
/// A leak of this many consecutive characters of a canary counts, not only a whole one.
const LEAK_SLICE: usize = 20;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Starts rolecreds in `sandbox` with `args` in the background; `stdin` is its standard
/// input (empty if `None`).
fn spawn_run(sandbox: &Sandbox, args: &[&str], stdin: Option<&str>) -> Background {
    let mut command = sandbox.rolecreds();
    command.args(args);
    Background::options()
        .stdin(stdin.unwrap_or_default())
        .spawn(command)
}

/// The first [`LEAK_SLICE`]-character slice of either canary that `text` holds, if any.
fn leaked_slice(text: &str) -> Option<String> {
    [CANARY_SECRET.to_owned(), canary_token()]
        .iter()
        .flat_map(|canary| canary.as_bytes().windows(LEAK_SLICE))
        .map(|slice| String::from_utf8_lossy(slice).into_owned())
        .find(|slice| text.contains(slice.as_str()))
}

/// What the run printed of a canary, on which stream, if anything.
fn leak_in(run: &mut Background) -> Option<String> {
    let (stdout, stderr) = (run.stdout(), run.stderr());
    let (stream, slice) = leaked_slice(&stdout)
        .map(|slice| ("stdout", slice))
        .or_else(|| leaked_slice(&stderr).map(|slice| ("stderr", slice)))?;
    Some(format!(
        "a secret leaked on {stream} ({slice:?}):\n{}",
        run.describe()
    ))
}

/// Panics if the run printed a canary or a slice of one.
fn assert_no_leak(run: &mut Background) {
    if let Some(leak) = leak_in(run) {
        panic!("{leak}");
    }
}

/// Failed expectations collected over several runs, reported together so that one failure
/// does not hide how the other modes behave.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn check(&mut self, ok: bool, problem: impl FnOnce() -> String) {
        if !ok {
            self.0.push(problem());
        }
    }

    fn check_no_leak(&mut self, run: &mut Background) {
        if let Some(leak) = leak_in(run) {
            self.0.push(leak);
        }
    }

    fn assert_none(self) {
        assert!(
            self.0.is_empty(),
            "{} problem(s):\n\n{}",
            self.0.len(),
            self.0.join("\n\n")
        );
    }
}

/// Asserts the run ended with exit `code` on its own, not by a signal.
fn assert_exit(run: &mut Background, finished: Finished, code: i32) {
    assert_eq!(
        finished.status.code(),
        Some(code),
        "expected exit {code}:\n{}",
        run.describe()
    );
}

/// The one-shot rotation of the role into profile `p`.
fn one_shot(extra: &[&'static str]) -> Vec<&'static str> {
    let mut args = vec!["--role-arn", ROLE_ARN, "--profile-name", "p"];
    args.extend_from_slice(extra);
    args
}

/// A stand-in whose AssumeRole answers a valid document with this expiration.
fn sts_expiring(expiration: fn() -> String) -> StandIn {
    StandIn::start([("AssumeRole", Answer::AssumeRoleWith { expiration })])
}

fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

/// The control: with a well-formed answer the stand-in is a good enough STS for rolecreds to
/// write the profile, so the failures below are about the answers, not the stand-in.
#[test]
fn the_stand_in_issues_credentials_that_rolecreds_writes() {
    let sts = sts_expiring(|| rfc3339(SystemTime::now() + Duration::from_secs(3600)));
    let sandbox = sts.sandbox();
    let mut run = spawn_run(&sandbox, &one_shot(&["-vv"]), None);
    let finished = run.finish(DEADLINE);
    assert_exit(&mut run, finished, 0);
    assert_no_leak(&mut run);
    let written = std::fs::read_to_string(sandbox.credentials_file()).expect("the written file");
    assert!(
        written.contains(&format!("aws_secret_access_key={CANARY_SECRET}"))
            && written.contains(&canary_token()),
        "the profile should hold the issued secret and token:\n{written}"
    );
    assert_eq!(
        sts.count("GetUser"),
        1,
        "the session name comes from GetUser"
    );
    assert_eq!(sts.count("AssumeRole"), 1);
}

#[test]
fn a_malformed_answer_never_prints_its_secrets_in_any_mode() {
    let sts = sts_expiring(|| "tomorrow".to_owned());
    let sandbox = sts.sandbox();
    let mut problems = Problems::default();

    // One-shot: a failure of sts:AssumeRole, exit 1, nothing written.
    let mut run = spawn_run(&sandbox, &one_shot(&["-vv"]), None);
    let finished = run.finish(DEADLINE);
    problems.check_no_leak(&mut run);
    problems.check(finished.status.code() == Some(1), || {
        format!("one-shot: expected exit 1:\n{}", run.describe())
    });
    problems.check(run.stderr().contains("sts:AssumeRole"), || {
        format!(
            "one-shot: the error should name the call:\n{}",
            run.describe()
        )
    });
    problems.check(!sandbox.credentials_file().exists(), || {
        "one-shot: nothing may be written from a malformed answer".to_owned()
    });

    // credential_process: exit 1 and nothing on stdout, which the calling SDK would parse.
    let mut run = spawn_run(
        &sandbox,
        &["--role-arn", ROLE_ARN, "--credential-process", "-vv"],
        None,
    );
    let finished = run.finish(DEADLINE);
    problems.check_no_leak(&mut run);
    problems.check(
        finished.status.code() == Some(1) && run.stdout().is_empty(),
        || {
            format!(
                "credential_process: expected exit 1, empty stdout:\n{}",
                run.describe()
            )
        },
    );

    // Targets: both fail (exit 1 or 8, depending on how the batch reports it).
    let targets = sandbox.home().join("targets.toml");
    std::fs::write(
        &targets,
        format!(
            "[[target]]\nprofile = \"a\"\nrole_arn = \"{ROLE_ARN}\"\n\n\
             [[target]]\nprofile = \"b\"\naccount_id = \"123456789012\"\nrole_name = \"x\"\n"
        ),
    )
    .expect("write targets.toml");
    let targets = targets.to_str().expect("a UTF-8 temp path");
    let mut run = spawn_run(&sandbox, &["--targets", targets, "-vv"], None);
    let finished = run.finish(DEADLINE);
    problems.check_no_leak(&mut run);
    problems.check(finished.status.code().is_some_and(|code| code != 0), || {
        format!(
            "targets: two failed targets must fail the run:\n{}",
            run.describe()
        )
    });

    // Watch: keeps retrying (each failure a warning line), and stops cleanly on SIGTERM.
    let mut run = spawn_run(&sandbox, &one_shot(&["--watch", "-q", "-vv"]), None);
    let retried = run.wait_for_stderr(RETRY_WARNING, 2, Duration::from_secs(10));
    let running = run.is_running();
    let stopped = run.stop(STOP_WITHIN);
    problems.check_no_leak(&mut run);
    problems.check(retried && running, || {
        format!(
            "watch: expected 2 retry warnings within 10 s, still running:\n{}",
            run.describe()
        )
    });
    problems.check(stopped.is_some_and(|f| f.status.code() == Some(0)), || {
        format!(
            "watch: SIGTERM should end it with exit 0:\n{}",
            run.describe()
        )
    });

    // import: the same kind of document on stdin is bad input, exit 2.
    let document = serde_json::json!({
        "Version": 1,
        "AccessKeyId": standin::ACCESS_KEY_ID,
        "SecretAccessKey": CANARY_SECRET,
        "SessionToken": canary_token(),
        "Expiration": "tomorrow",
    })
    .to_string();
    let mut run = spawn_run(
        &sandbox,
        &["import", "--profile-name", "p", "-vv"],
        Some(&document),
    );
    let finished = run.finish(DEADLINE);
    problems.check_no_leak(&mut run);
    problems.check(finished.status.code() == Some(2), || {
        format!("import: expected exit 2:\n{}", run.describe())
    });

    problems.assert_none();
}

#[test]
fn an_error_message_that_quotes_a_secret_is_redacted() {
    let error = standin::error_response(
        "Sender",
        "ValidationError",
        &format!("bad value {CANARY_SECRET}"),
    );
    let sts = StandIn::start([("AssumeRole", Answer::Xml(400, error))]);
    let sandbox = sts.sandbox();
    let mut run = spawn_run(&sandbox, &one_shot(&[]), None);
    let finished = run.finish(DEADLINE);
    assert_exit(&mut run, finished, 3);
    assert!(
        run.stderr().contains("ValidationError"),
        "the error code should still be shown:\n{}",
        run.describe()
    );
    assert_no_leak(&mut run);
}

/// Limits for a hostile body: how long rolecreds may take, print and hold in memory.
const HOSTILE_TIME: Duration = Duration::from_secs(40);
const HOSTILE_STDERR_BYTES: u64 = 2_000;
const HOSTILE_RSS_KIB: i64 = 100 * 1024;

#[test]
fn huge_and_endless_answers_are_bounded() {
    let cases = [
        (
            "a 64 MiB body",
            Answer::Huge {
                bytes: 64 * 1024 * 1024,
            },
        ),
        ("an endless chunked body", Answer::EndlessChunked),
    ];
    let mut problems = Problems::default();
    for (what, answer) in cases {
        let sts = StandIn::start([("AssumeRole", answer)]);
        let sandbox = sts.sandbox();
        let mut run = spawn_run(&sandbox, &one_shot(&[]), None);
        // The bound is checked below; the longer deadline only keeps a hang finite.
        let finished = run.finish(DEADLINE);
        let description = format!("{what}: {}", run.describe());
        problems.check(finished.status.code().is_some_and(|code| code != 0), || {
            format!("expected a failure exit code:\n{description}")
        });
        problems.check(finished.took < HOSTILE_TIME, || {
            format!(
                "took {:?}, more than {HOSTILE_TIME:?}:\n{description}",
                finished.took
            )
        });
        problems.check(run.stderr_len() < HOSTILE_STDERR_BYTES, || {
            format!("stderr must stay under {HOSTILE_STDERR_BYTES} bytes:\n{description}")
        });
        problems.check(finished.max_rss_kib < HOSTILE_RSS_KIB, || {
            format!(
                "peak RSS {} KiB, limit {HOSTILE_RSS_KIB} KiB:\n{description}",
                finished.max_rss_kib
            )
        });
        problems.check(run.stderr().contains("larger than"), || {
            format!("the error should say the answer was larger than the limit:\n{description}")
        });
    }
    problems.assert_none();
}

#[test]
fn an_expiration_before_1970_is_an_error_not_a_crash() {
    let sts = sts_expiring(|| "1969-07-20T20:17:40Z".to_owned());
    let sandbox = sts.sandbox();
    let mut problems = Problems::default();

    // One-shot: a plain failure (exit 1), not a panic (101) or an abort (SIGABRT, 134).
    let mut run = spawn_run(&sandbox, &one_shot(&[]), None);
    let finished = run.finish(DEADLINE);
    problems.check(
        finished.status.signal().is_none() && finished.status.code() == Some(1),
        || format!("one-shot: expected exit 1:\n{}", run.describe()),
    );
    problems.check(run.stderr().contains("1970"), || {
        format!(
            "one-shot: the error should say the expiry is before 1970:\n{}",
            run.describe()
        )
    });
    problems.check_no_leak(&mut run);

    // Watch: a bad answer is one failed attempt among others; it retries and keeps running.
    let mut run = spawn_run(&sandbox, &one_shot(&["--watch"]), None);
    let survived = run.keeps_running_for(Duration::from_secs(4), || false);
    problems.check(survived, || {
        format!("watch: should ride this out:\n{}", run.describe())
    });
    problems.check(run.stderr().contains(RETRY_WARNING), || {
        format!("watch: expected a retry warning:\n{}", run.describe())
    });
    let stopped = run.stop(STOP_WITHIN);
    problems.check(
        !survived || stopped.is_some_and(|f| f.status.code() == Some(0)),
        || {
            format!(
                "watch: SIGTERM should end it with exit 0:\n{}",
                run.describe()
            )
        },
    );
    problems.check_no_leak(&mut run);

    problems.assert_none();
}

#[test]
fn credentials_expired_on_arrival_are_retried_with_backoff() {
    let sts = sts_expiring(|| rfc3339(SystemTime::now() - Duration::from_secs(3600)));
    let sandbox = sts.sandbox();
    let mut problems = Problems::default();
    let mut run = spawn_run(&sandbox, &one_shot(&["--watch"]), None);
    // Backoff from 1 s, doubling, with jitter: 2 to 6 calls in 8 s. Stop looking as soon as
    // there are more than that (a loop without backoff makes thousands).
    let most = 6;
    run.keeps_running_for(Duration::from_secs(8), || sts.count("AssumeRole") > most);
    let calls = sts.count("AssumeRole");
    let running = run.is_running();
    let stopped = run.stop(STOP_WITHIN);
    problems.check((2..=most).contains(&calls), || {
        format!(
            "{calls} AssumeRole calls: expired credentials must be retried with backoff, \
             2 to {most} calls in 8 s:\n{}",
            run.describe()
        )
    });
    problems.check(running, || {
        format!("the watch should keep running:\n{}", run.describe())
    });
    problems.check(stopped.is_some_and(|f| f.status.code() == Some(0)), || {
        format!(
            "SIGTERM should end the watch with exit 0:\n{}",
            run.describe()
        )
    });
    problems.check(run.stderr().contains("clock"), || {
        format!(
            "the warning should say the local clock is probably wrong:\n{}",
            run.describe()
        )
    });
    problems.check_no_leak(&mut run);
    problems.assert_none();
}
