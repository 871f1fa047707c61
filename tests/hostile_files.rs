//! Hostile files and inputs, refused before any network call and without hanging: FIFOs,
//! symlinks and other users' files where the lock, the credentials file, `--policy`,
//! `--targets` or `AWS_CONFIG_FILE` should be; `/dev/zero` as an endless input; oversized or
//! malformed policies, targets, session tags, policy ARNs, regions and session names; no home
//! directory at all; the MFA code read from stdin; and root writing through a symlink into
//! another user's file.
//!
//! Every run is against a closed endpoint ([`emulator::Sandbox::offline`]): a run that passes
//! every local check fails with exit 6 (network), so exit 2 or 4 proves a check ran before
//! any network call. Every run has a 10 s deadline and fails as hung past it; runs that may
//! read `/dev/zero` get a 2 GiB address-space limit, so a blow-up fails fast instead of eating
//! the machine, and must peak under 100 MiB of resident memory.

// Unix only: it exercises Unix modes, signals or process groups (scripts/cross-check runs
// the Windows binary under Wine instead).
#![cfg(unix)]

mod emulator;
mod support;

use emulator::{ROLE_DNS_EDITOR_ARN, Sandbox};
use std::fs;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, symlink};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use support::{
    Creds, Measured, TestUser, assert_error, assert_success, mkfifo, stderr, write_file,
};

/// How long any run here may take before the test calls it hung.
const HANG_DEADLINE: Duration = Duration::from_secs(10);

/// An address-space limit for runs that may read an endless file: far above what rolecreds
/// needs, far below what the machine has.
const MEMORY_LIMIT: u64 = 2 << 30;

/// A hand-edited credentials file that no refused run may change.
const SEED: &str = "# notes the user keeps\n[keep]\naws_access_key_id = AKIAKEEPKEEPKEEP\n\
                    aws_secret_access_key = keep/secret+value\n";

const MFA_SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The one-shot rotation every case starts from.
fn one_shot() -> Vec<String> {
    ["--role-arn", ROLE_DNS_EDITOR_ARN, "--profile-name", "p"]
        .map(str::to_owned)
        .to_vec()
}

/// `one_shot()` followed by `extra`.
fn one_shot_with<S: AsRef<str>>(extra: &[S]) -> Vec<String> {
    let mut args = one_shot();
    args.extend(extra.iter().map(|a| a.as_ref().to_owned()));
    args
}

/// Runs `cmd` with `stdin`; kills it and fails the test as hung after [`HANG_DEADLINE`].
fn run_command(mut cmd: Command, stdin: &str) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = support::spawn(&mut cmd);
    support::feed(&mut child, stdin);
    support::wait_with_deadline(child, HANG_DEADLINE)
}

/// Runs rolecreds in `sandbox` with `args` and `stdin`. The case is printed first so that a
/// hang (a panic inside the wait) says which run it was.
fn run_in<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(
    sandbox: &Sandbox,
    args: &[S],
    stdin: &str,
) -> Output {
    eprintln!("running rolecreds {args:?}");
    let mut cmd = sandbox.rolecreds();
    cmd.args(args);
    run_command(cmd, stdin)
}

/// Like [`run_in`], under [`MEMORY_LIMIT`], for runs that may read `/dev/zero`; also fails
/// if the run's peak resident memory reached 100 MiB (it read the endless file).
fn run_limited<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(
    sandbox: &Sandbox,
    args: &[S],
) -> Output {
    run_limited_with_stdin(sandbox, args, Stdio::null())
}

/// [`run_limited`] with `stdin` as standard input (e.g. `/dev/zero` itself).
fn run_limited_with_stdin<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(
    sandbox: &Sandbox,
    args: &[S],
    stdin: Stdio,
) -> Output {
    eprintln!("running rolecreds {args:?} under a {MEMORY_LIMIT}-byte address-space limit");
    let mut cmd = sandbox.rolecreds();
    cmd.args(args);
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: MEMORY_LIMIT,
                rlim_max: MEMORY_LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let Measured {
        output,
        max_rss_kib,
    } = support::run_measured_with_stdin(cmd, stdin, HANG_DEADLINE);
    assert!(
        max_rss_kib < 100 * 1024,
        "peak RSS {max_rss_kib} KiB: the endless file was read; stderr:\n{}",
        stderr(&output)
    );
    output
}

/// Asserts that the run got past every local check: exit 6, the closed endpoint refused it.
fn assert_reached_the_network(output: &Output) {
    assert_eq!(
        output.status.code(),
        Some(6),
        "expected exit 6 (the closed endpoint) after every local check passed; stderr:\n{}",
        stderr(output)
    );
}

fn is_fifo(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

fn assert_unchanged(path: &Path, before: &[u8]) {
    let now = fs::read(path).expect("read the file back");
    assert!(
        now == before,
        "`{}` changed:\n{}",
        path.display(),
        String::from_utf8_lossy(&now)
    );
}

/// The sandbox's credentials file, seeded with [`SEED`] (0600).
fn seeded(sandbox: &Sandbox) -> PathBuf {
    let path = sandbox.credentials_file();
    write_file(&path, SEED, 0o600);
    path
}

/// The writers' lock beside the sandbox's credentials file.
fn lock_path(sandbox: &Sandbox) -> PathBuf {
    sandbox
        .credentials_file()
        .with_file_name(".credentials.rolecreds.lock")
}

/// A temp dir under /tmp (mode 1777 on the way) owned by `user`, with `mode`.
fn dir_owned_by(user: &TestUser, mode: u32) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("rolecreds-user-")
        .tempdir_in("/tmp")
        .expect("temp dir");
    user.chown(dir.path());
    support::set_mode(dir.path(), mode);
    dir
}

/// A targets file with one valid target, in the sandbox's home.
fn targets_file(sandbox: &Sandbox) -> PathBuf {
    let path = sandbox.home().join("targets.toml");
    fs::write(
        &path,
        format!("[[target]]\nprofile = \"t\"\nrole_arn = \"{ROLE_DNS_EDITOR_ARN}\"\n"),
    )
    .unwrap();
    path
}

/// One named check of a test that has many.
type Case<'a> = (String, Box<dyn Fn() + 'a>);

fn case<'a>(name: impl Into<String>, check: impl Fn() + 'a) -> Case<'a> {
    (name.into(), Box::new(check))
}

/// Runs every case even after one fails, then fails listing every failure: one run shows
/// each check that is missing, not only the first.
fn check_all(cases: Vec<Case<'_>>) {
    let total = cases.len();
    let failures: Vec<String> = cases
        .into_iter()
        .filter_map(|(name, check)| {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(check));
            outcome.err().map(|panic| {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                format!("- {name}: {message}")
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn owner_and_mode(path: &Path) -> (u32, u32, u32) {
    let meta = fs::metadata(path).expect("stat");
    (meta.uid(), meta.gid(), meta.mode() & 0o7777)
}

// ---------------------------------------------------------------------------------------
// 1. The lock file
// ---------------------------------------------------------------------------------------

/// The one-shot rotation and `import` both refuse the planted lock with `needles`, exit 4,
/// and leave the credentials file as it was.
fn check_lock_refused(sandbox: &Sandbox, needles: &'static [&'static str]) {
    let path = sandbox.credentials_file();
    check_all(vec![
        case("one-shot", || {
            assert_error(&run_in(sandbox, &one_shot(), ""), 4, needles);
            assert_unchanged(&path, SEED.as_bytes());
        }),
        case("import", || {
            let import = ["import", "--profile-name", "p"];
            let output = run_in(sandbox, &import, &Creds::for_index(1).json());
            assert_error(&output, 4, needles);
            assert_unchanged(&path, SEED.as_bytes());
        }),
    ]);
}

#[test]
fn a_fifo_as_the_lock_file_is_refused_without_hanging() {
    let sandbox = Sandbox::offline();
    seeded(&sandbox);
    mkfifo(&lock_path(&sandbox));
    check_lock_refused(&sandbox, &["lock", "not a regular file"]);
    assert!(is_fifo(&lock_path(&sandbox)), "the FIFO was replaced");
}

#[test]
fn a_symlink_as_the_lock_file_is_refused() {
    let sandbox = Sandbox::offline();
    seeded(&sandbox);
    // Root may write anywhere: a lock path planted as a symlink must not be followed.
    let elsewhere = sandbox.home().join("not-a-lock");
    write_file(&elsewhere, "someone's data\n", 0o400);
    symlink(&elsewhere, lock_path(&sandbox)).unwrap();
    check_lock_refused(&sandbox, &["lock", "symlink"]);
    assert_unchanged(&elsewhere, b"someone's data\n");
}

#[test]
fn a_lock_file_owned_by_another_user_is_refused() {
    let user = TestUser::create();
    let sandbox = Sandbox::offline();
    seeded(&sandbox);
    let lock = lock_path(&sandbox);
    write_file(&lock, "", 0o600);
    user.chown(&lock);
    check_lock_refused(&sandbox, &["lock", "owned by"]);
}

// ---------------------------------------------------------------------------------------
// 2. The credentials file itself
// ---------------------------------------------------------------------------------------

#[test]
fn a_fifo_as_the_credentials_file_is_refused_by_every_command() {
    let sandbox = Sandbox::offline();
    let path = sandbox.credentials_file();
    mkfifo(&path);
    let targets = targets_file(&sandbox);
    let targets = targets.to_str().unwrap();
    let creds = Creds::for_index(1).json();
    let runs: Vec<(Vec<String>, &str)> = vec![
        (one_shot(), ""),
        (vec!["status".into()], ""),
        (vec!["status".into(), "--profile".into(), "p".into()], ""),
        (one_shot_with(&["--min-remaining", "10m"]), ""),
        (one_shot_with(&["--watch"]), ""),
        (
            vec!["import".into(), "--profile-name".into(), "p".into()],
            &creds,
        ),
        (vec!["--targets".into(), targets.into()], ""),
    ];
    let cases: Vec<Case<'_>> = runs
        .into_iter()
        .map(|(args, stdin)| {
            let name = format!("{args:?}");
            let (sandbox, path) = (&sandbox, &path);
            let check = move || {
                let output = run_in(sandbox, &args, stdin);
                assert_error(&output, 4, &["not a regular file"]);
                assert!(is_fifo(path), "the FIFO was replaced");
            };
            (name, Box::new(check) as Box<dyn Fn()>)
        })
        .collect();
    check_all(cases);
}

#[test]
fn a_credentials_file_linked_to_dev_zero_is_refused_without_reading_it() {
    let sandbox = Sandbox::offline();
    let path = sandbox.credentials_file();
    symlink("/dev/zero", &path).unwrap();
    for args in [one_shot(), vec!["status".to_owned()]] {
        let output = run_limited(&sandbox, &args);
        assert_error(&output, 4, &["not a regular file"]);
    }
    assert_eq!(fs::read_link(&path).unwrap(), Path::new("/dev/zero"));
}

// ---------------------------------------------------------------------------------------
// 3. --policy
// ---------------------------------------------------------------------------------------

/// A valid session policy with `statements` statements, minified.
fn policy_with(statements: usize) -> serde_json::Value {
    let statement = |i: usize| {
        serde_json::json!({
            "Sid": format!("S{i}"),
            "Effect": "Deny",
            "Action": "s3:DeleteObject",
            "Resource": format!("arn:aws:s3:::bucket-{i}/*"),
        })
    };
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": (0..statements).map(statement).collect::<Vec<_>>(),
    })
}

#[test]
fn a_policy_that_is_a_fifo_or_dev_zero_is_refused_without_hanging() {
    let sandbox = Sandbox::offline();
    let fifo = sandbox.home().join("policy.json");
    mkfifo(&fifo);
    check_all(vec![
        case("a FIFO", || {
            let args = one_shot_with(&["--policy", fifo.to_str().unwrap()]);
            assert_error(
                &run_in(&sandbox, &args, ""),
                2,
                &["--policy", "not a regular file"],
            );
        }),
        case("/dev/zero", || {
            let output = run_limited(&sandbox, &one_shot_with(&["--policy", "/dev/zero"]));
            assert_error(&output, 2, &["--policy"]);
        }),
    ]);
}

#[test]
fn a_policy_is_checked_for_size_and_shape_after_packing() {
    let sandbox = Sandbox::offline();
    let run_policy = |name: &str, text: &str| {
        let path = sandbox.home().join(name);
        fs::write(&path, text).unwrap();
        run_in(
            &sandbox,
            &one_shot_with(&["--policy", path.to_str().unwrap()]),
            "",
        )
    };
    let too_big = policy_with(40).to_string();
    assert!(too_big.len() > 2048, "{} characters", too_big.len());
    // Over 2,048 characters only because of indentation: STS counts the packed form.
    let small = policy_with(2);
    assert!(small.to_string().len() < 2048);
    let indented = serde_json::to_string_pretty(&small)
        .unwrap()
        .lines()
        .map(|line| format!("{:200}{line}", ""))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(indented.len() > 2048, "{} characters", indented.len());
    let run_policy = &run_policy;
    check_all(vec![
        (
            format!("a {}-character policy", too_big.len()),
            Box::new(move || {
                assert_error(&run_policy("big.json", &too_big), 2, &["--policy", "2048"]);
            }),
        ),
        (
            "[]".into(),
            Box::new(move || {
                assert_error(
                    &run_policy("array.json", "[]"),
                    2,
                    &["--policy", "JSON object"],
                );
            }),
        ),
        (
            "\"x\"".into(),
            Box::new(move || {
                let output = run_policy("string.json", "\"x\"");
                assert_error(&output, 2, &["--policy", "JSON object"]);
            }),
        ),
        (
            format!("a {}-character indented policy", indented.len()),
            Box::new(move || assert_reached_the_network(&run_policy("indented.json", &indented))),
        ),
    ]);
}

// ---------------------------------------------------------------------------------------
// 4. --targets
// ---------------------------------------------------------------------------------------

#[test]
fn a_targets_file_that_is_a_fifo_or_too_big_is_refused() {
    let sandbox = Sandbox::offline();
    seeded(&sandbox);
    let fifo = sandbox.home().join("targets-fifo.toml");
    mkfifo(&fifo);
    // Valid TOML with one valid target, padded past 1 MiB with comments.
    let big = sandbox.home().join("big.toml");
    let mut text = String::new();
    while text.len() <= 1 << 20 {
        text.push_str("# a comment that pads the file past one mebibyte ...............\n");
    }
    text.push_str(&format!(
        "[[target]]\nprofile = \"t\"\nrole_arn = \"{ROLE_DNS_EDITOR_ARN}\"\n"
    ));
    fs::write(&big, &text).unwrap();
    check_all(vec![
        case("a FIFO", || {
            let output = run_in(&sandbox, &["--targets", fifo.to_str().unwrap()], "");
            assert_error(&output, 2, &["--targets"]);
        }),
        case(format!("a {}-byte file", text.len()), || {
            let output = run_in(&sandbox, &["--targets", big.to_str().unwrap()], "");
            assert_error(&output, 2, &["--targets", "larger than"]);
        }),
    ]);
    assert_unchanged(&sandbox.credentials_file(), SEED.as_bytes());
}

#[test]
fn every_unknown_key_of_a_targets_file_is_named() {
    let sandbox = Sandbox::offline();
    let path = sandbox.home().join("targets.toml");
    fs::write(
        &path,
        format!(
            "[[target]]\nprofile = \"a\"\nrole_arn = \"{ROLE_DNS_EDITOR_ARN}\"\ncolour = \"red\"\n\n\
             [[target]]\nprofile = \"b\"\nrole_arn = \"{ROLE_DNS_EDITOR_ARN}\"\nduraton = \"1h\"\n"
        ),
    )
    .unwrap();
    let output = run_in(&sandbox, &["--targets", path.to_str().unwrap()], "");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    for key in ["colour", "duraton"] {
        assert!(err.contains(key), "stderr does not name `{key}`:\n{err}");
    }
    assert!(
        err.lines()
            .all(|line| line.starts_with("rolecreds: error: ")),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// 5. AWS_CONFIG_FILE
// ---------------------------------------------------------------------------------------

#[test]
fn a_config_file_that_is_a_fifo_is_refused_without_hanging() {
    let mut sandbox = Sandbox::offline();
    let config = sandbox.config_file();
    mkfifo(&config);
    sandbox.set("AWS_CONFIG_FILE", &config);
    let output = run_in(&sandbox, &["--from-profile", "x"], "");
    assert_error(&output, 2, &["not a regular file"]);
}

// ---------------------------------------------------------------------------------------
// 6. Session tags and policy ARNs
// ---------------------------------------------------------------------------------------

/// `--tag` for each pair.
fn tag_args(tags: &[(String, String)]) -> Vec<String> {
    tags.iter()
        .flat_map(|(k, v)| ["--tag".to_owned(), format!("{k}={v}")])
        .collect()
}

fn numbered_tags(n: usize) -> Vec<(String, String)> {
    (0..n).map(|i| (format!("k{i}"), "v".to_owned())).collect()
}

#[test]
fn session_tags_are_checked_against_the_sts_limits() {
    let sandbox = Sandbox::offline();
    let sandbox = &sandbox;
    let refused = |tags: Vec<(String, String)>, needles: &'static [&'static str]| {
        Box::new(move || {
            let output = run_in(sandbox, &one_shot_with(&tag_args(&tags)), "");
            assert_error(&output, 2, needles);
        }) as Box<dyn Fn()>
    };
    // Tag keys are case-insensitive to STS: Env and env are one key given twice.
    let same_key_twice = Box::new(move || {
        let tags = [
            ("Env".to_owned(), "a".to_owned()),
            ("env".into(), "b".into()),
        ];
        let output = run_in(sandbox, &one_shot_with(&tag_args(&tags)), "");
        // Either spelling may be named; the message must say why they collide.
        assert_error(&output, 2, &[]);
        let err = stderr(&output);
        assert!(
            err.contains("Env") || err.contains("env"),
            "the message should name the key:\n{err}"
        );
        assert!(
            err.contains("unique") || err.contains("twice"),
            "the message should say the keys collide:\n{err}"
        );
    }) as Box<dyn Fn()>;
    let fifty = Box::new(move || {
        let output = run_in(sandbox, &one_shot_with(&tag_args(&numbered_tags(50))), "");
        assert_reached_the_network(&output);
    }) as Box<dyn Fn()>;
    check_all(vec![
        ("51 tags".into(), refused(numbered_tags(51), &["50"])),
        (
            "a 129-character key".into(),
            refused(vec![("k".repeat(129), "v".into())], &["128"]),
        ),
        (
            "a 257-character value".into(),
            refused(vec![("k".into(), "v".repeat(257))], &["256"]),
        ),
        (
            "an aws: key".into(),
            refused(vec![("aws:x".into(), "1".into())], &["aws:"]),
        ),
        ("Env and env".into(), same_key_twice),
        ("50 valid tags".into(), fifty),
    ]);
}

#[test]
fn policy_arns_are_checked_before_any_network_call() {
    let sandbox = Sandbox::offline();
    let sandbox = &sandbox;
    let eleven: Vec<String> = (0..11)
        .flat_map(|i| {
            [
                "--policy-arn".to_owned(),
                format!("arn:aws:iam::123456789012:policy/p{i}"),
            ]
        })
        .collect();
    check_all(vec![
        (
            "11 policy ARNs".into(),
            Box::new(move || {
                assert_error(&run_in(sandbox, &one_shot_with(&eleven), ""), 2, &["10"]);
            }),
        ),
        (
            "--policy-arn nonsense".into(),
            Box::new(move || {
                let output = run_in(sandbox, &one_shot_with(&["--policy-arn", "nonsense"]), "");
                assert_error(&output, 2, &["policy ARN"]);
            }),
        ),
        (
            "an AWS managed and a customer managed policy ARN".into(),
            Box::new(move || {
                let valid = [
                    "--policy-arn",
                    "arn:aws:iam::aws:policy/ReadOnlyAccess",
                    "--policy-arn",
                    "arn:aws:iam::123456789012:policy/team/x",
                ];
                assert_reached_the_network(&run_in(sandbox, &one_shot_with(&valid), ""));
            }),
        ),
    ]);
}

// ---------------------------------------------------------------------------------------
// 7. Region, 8. session name
// ---------------------------------------------------------------------------------------

/// A refused region: exit 2 with one short line, not the SDK's Debug dump of its request.
fn assert_region_refused(output: &Output) {
    assert_error(output, 2, &["region"]);
    assert!(
        output.stderr.len() < 500,
        "{} bytes on stderr:\n{}",
        output.stderr.len(),
        stderr(output)
    );
}

#[test]
fn a_malformed_region_is_one_usage_error() {
    let mut cases: Vec<Case<'_>> = ["us-east-1\nx", "../x", "us_east_1", "US-EAST-1"]
        .into_iter()
        .map(|region| {
            let check = move || {
                let sandbox = Sandbox::offline();
                let output = run_in(&sandbox, &one_shot_with(&["--region", region]), "");
                assert_region_refused(&output);
            };
            (
                format!("--region {region:?}"),
                Box::new(check) as Box<dyn Fn()>,
            )
        })
        .collect();
    cases.push((
        "AWS_REGION=\"eu-west-1\\n\"".into(),
        Box::new(|| {
            let mut sandbox = Sandbox::offline();
            sandbox.set("AWS_REGION", "eu-west-1\n");
            assert_region_refused(&run_in(&sandbox, &one_shot(), ""));
        }),
    ));
    cases.push((
        "--region eu-west-1".into(),
        Box::new(|| {
            let sandbox = Sandbox::offline();
            let output = run_in(&sandbox, &one_shot_with(&["--region", "eu-west-1"]), "");
            assert_reached_the_network(&output);
        }),
    ));
    check_all(cases);
}

#[test]
fn an_empty_session_name_is_a_usage_error() {
    let sandbox = Sandbox::offline();
    let output = run_in(&sandbox, &one_shot_with(&["--session-name", ""]), "");
    assert_error(&output, 2, &["--session-name"]);
}

// ---------------------------------------------------------------------------------------
// 9. No home directory anywhere
// ---------------------------------------------------------------------------------------

#[test]
fn no_home_and_no_password_entry_is_a_usage_error() {
    // An unused uid: no password-database entry, so no home directory to fall back on.
    let uid = 54_000 + std::process::id() % 1000;
    let lookup = Command::new("getent")
        .args(["passwd", &uid.to_string()])
        .output()
        .expect("run getent");
    assert!(
        !lookup.status.success(),
        "uid {uid} has a password entry; pick another: {}",
        String::from_utf8_lossy(&lookup.stdout)
    );
    let mut sandbox = Sandbox::offline();
    sandbox.remove("HOME").remove("AWS_SHARED_CREDENTIALS_FILE");
    let mut cmd = sandbox.rolecreds();
    cmd.arg("status").current_dir("/");
    // SAFETY: setgroups, setgid and setuid are async-signal-safe and touch no parent memory.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setgroups(0, std::ptr::null()) == -1
                || libc::setgid(uid) == -1
                || libc::setuid(uid) == -1
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = run_command(cmd, "");
    assert_error(&output, 2, &["HOME"]);
}

// ---------------------------------------------------------------------------------------
// 10. --token-code -
// ---------------------------------------------------------------------------------------

#[test]
fn token_code_dash_reads_the_code_from_stdin() {
    let sandbox = Sandbox::offline();
    let args = one_shot_with(&["--mfa-serial", MFA_SERIAL, "--token-code", "-"]);
    assert_reached_the_network(&run_in(&sandbox, &args, "123456\n"));
    assert_error(&run_in(&sandbox, &args, "12ab\n"), 2, &["6 digits"]);
    let output = run_in(&sandbox, &args, "");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "empty stdin: {err}");
    assert!(err.starts_with("rolecreds: error: "), "{err}");
}

/// Standard input is bounded too: an endless `--token-code -` (no newline ever) or `import`
/// input is refused with exit 2, within the deadline and the memory bound, writing nothing;
/// and `import` input that is not text says so.
#[test]
fn endless_standard_input_is_refused_not_read() {
    let mut sandbox = Sandbox::offline();
    let file = sandbox.home().join("bounded-credentials");
    sandbox.set("AWS_SHARED_CREDENTIALS_FILE", &file);
    let zero = || Stdio::from(fs::File::open("/dev/zero").expect("open /dev/zero"));
    let import = run_limited_with_stdin(&sandbox, &["import", "--profile-name", "p"], zero());
    assert_error(&import, 2, &["standard input is over 1024 KiB"]);
    assert!(!file.exists(), "import wrote a file from endless input");
    let args = one_shot_with(&["--mfa-serial", MFA_SERIAL, "--token-code", "-"]);
    let token = run_limited_with_stdin(&sandbox, &args, zero());
    assert_error(&token, 2, &["6 digits"]);
    // Bytes that are not text at all get their own message, not the JSON parser's.
    let binary = sandbox.home().join("binary-input");
    write_file(&binary, b"{\"Version\": 1, \xff\xfe}", 0o600);
    let stdin = Stdio::from(fs::File::open(&binary).unwrap());
    let import = run_limited_with_stdin(&sandbox, &["import", "--profile-name", "p"], stdin);
    assert_error(&import, 2, &["not UTF-8"]);
    assert!(!file.exists(), "import wrote a file from binary input");
}

// ---------------------------------------------------------------------------------------
// 11. Root writing into another user's file
// ---------------------------------------------------------------------------------------

#[test]
fn root_does_not_write_through_a_symlink_into_another_users_file() {
    let user = TestUser::create();
    let theirs = dir_owned_by(&user, 0o700);
    let target = theirs.path().join("credentials");
    write_file(&target, SEED, 0o600);
    user.chown(&target);
    let before = owner_and_mode(&target);

    let mut sandbox = Sandbox::offline();
    let link = sandbox.home().join("linked-credentials");
    symlink(&target, &link).unwrap();
    sandbox.set("AWS_SHARED_CREDENTIALS_FILE", &link);
    let output = run_in(
        &sandbox,
        &["import", "--profile-name", "p"],
        &Creds::for_index(1).json(),
    );
    assert_error(&output, 4, &["owned by"]);
    assert_unchanged(&target, SEED.as_bytes());
    assert_eq!(owner_and_mode(&target), before, "owner or mode changed");
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(support::temp_files(theirs.path()), Vec::<String>::new());
}

#[test]
fn root_may_write_the_default_file_in_the_users_own_home() {
    let user = TestUser::create();
    let home = dir_owned_by(&user, 0o700);
    let aws = home.path().join(".aws");
    fs::create_dir(&aws).unwrap();
    user.chown(&aws);
    support::set_mode(&aws, 0o700);
    let file = aws.join("credentials");
    write_file(&file, SEED, 0o600);
    user.chown(&file);

    let mut sandbox = Sandbox::offline();
    sandbox
        .set("HOME", home.path())
        .remove("AWS_SHARED_CREDENTIALS_FILE");
    let creds = Creds::for_index(1);
    let output = run_in(&sandbox, &["import", "--profile-name", "p"], &creds.json());
    assert_success(&output);
    assert_eq!(
        owner_and_mode(&file),
        (user.uid, user.gid, 0o600),
        "the user's file must stay theirs"
    );
    let text = fs::read_to_string(&file).unwrap();
    assert!(text.starts_with(SEED), "{text}");
    assert_eq!(
        support::sdk_credentials(&support::sdk_read(&text), "p"),
        Some(creds)
    );
}
