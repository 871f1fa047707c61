//! Helpers shared by the integration tests that drive the real `rolecreds` binary: building
//! credential JSON, running the binary with stdin and a deadline, and reading the file back the
//! way botocore (Python's strict `RawConfigParser`), the AWS SDK for Rust and (in `readers`) the
//! AWS SDK for JavaScript v3 do.

// Each test crate that includes this module uses its own subset of it.
#![allow(dead_code)]

pub mod readers;

use std::collections::BTreeMap;
use std::ffi::CString;
use std::fs;
use std::io::{Read as _, Write as _};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The binary under test, built by cargo for the integration tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_rolecreds");

/// The expiry every generated credential set carries.
pub const EXPIRATION: &str = "2026-11-21T12:00:00Z";

/// How long any single run may take before the test calls it hung.
pub const RUN_DEADLINE: Duration = Duration::from_secs(60);

/// One set of credentials as rolecreds writes them. For index `i` every value carries `i`, so a
/// reader holding a key of one write and a secret of another can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creds {
    pub key: String,
    pub secret: String,
    pub token: String,
}

impl Creds {
    pub fn for_index(i: usize) -> Self {
        Self {
            key: format!("ASIA{i:08}"),
            secret: format!("wJalrS+/{i:08}sEcReT"),
            token: format!("FwoGT{i:08}tOkEn//+="),
        }
    }

    /// The index these credentials were generated from, if they came from [`Creds::for_index`].
    pub fn index_of_key(key: &str) -> Option<usize> {
        key.strip_prefix("ASIA")?.parse().ok()
    }

    /// A credential_process document (`{"Version": 1, ...}`) for these values.
    pub fn json(&self) -> String {
        serde_json::json!({
            "Version": 1,
            "AccessKeyId": self.key,
            "SecretAccessKey": self.secret,
            "SessionToken": self.token,
            "Expiration": EXPIRATION,
        })
        .to_string()
    }

    /// The values as parsed `TemporaryCredentials`, for computing the expected edit.
    pub fn temporary(&self) -> rolecreds::domain::credentials::TemporaryCredentials {
        rolecreds::domain::credentials::TemporaryCredentials::new(
            self.key.clone(),
            rolecreds::domain::secret::Secret::new(self.secret.clone()),
            rolecreds::domain::secret::Secret::new(self.token.clone()),
            rolecreds::domain::credentials_json::parse_expiration(EXPIRATION)
                .expect("a valid expiration"),
        )
        .expect("generated credentials are valid")
    }

    /// The four keys rolecreds writes, with these values.
    pub fn as_properties(&self) -> BTreeMap<String, String> {
        [
            ("aws_access_key_id", self.key.as_str()),
            ("aws_secret_access_key", self.secret.as_str()),
            ("aws_session_token", self.token.as_str()),
            ("x_security_token_expires", EXPIRATION),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }
}

/// `rolecreds import --credentials-file PATH [global...] --profile-name NAME`, stdio piped.
///
/// The global options follow the subcommand: that spelling parses whether or not the top-level
/// command lets its own options conflict with subcommands.
pub fn import_command(path: &Path, profile: &str, global: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    import_args(&mut cmd, path, profile, global);
    cmd
}

/// Appends `import --credentials-file PATH [global...] --profile-name NAME` to `cmd` (whose
/// program or last argument is the binary), and pipes all stdio.
pub fn import_args(cmd: &mut Command, path: &Path, profile: &str, global: &[&str]) {
    cmd.args(["import", "--credentials-file"])
        .arg(path)
        .args(global)
        .args(["--profile-name", profile])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
}

/// Starts `cmd` without feeding stdin yet, so many processes can be started before any runs.
pub fn spawn(cmd: &mut Command) -> Child {
    cmd.spawn().expect("start rolecreds")
}

/// Writes `stdin` to the child and closes its stdin.
pub fn feed(child: &mut Child, stdin: &str) {
    let mut pipe = child.stdin.take().expect("stdin is piped");
    // A child that already failed may have closed its end; its exit status tells the story.
    let _ = pipe.write_all(stdin.as_bytes());
}

/// Waits for the child up to `deadline`; a child still running then is killed and the test fails.
pub fn wait_with_deadline(mut child: Child, deadline: Duration) -> Output {
    let started = Instant::now();
    loop {
        if child.try_wait().expect("poll rolecreds").is_some() {
            break;
        }
        if started.elapsed() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rolecreds still ran after {deadline:?}: it hung");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(child.stdin.take());
    let mut output = Output {
        status: child.wait().expect("reap rolecreds"),
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    if let Some(mut out) = child.stdout.take() {
        out.read_to_end(&mut output.stdout).expect("read stdout");
    }
    if let Some(mut err) = child.stderr.take() {
        err.read_to_end(&mut output.stderr).expect("read stderr");
    }
    output
}

/// Runs `cmd` with `stdin`, waiting at most [`RUN_DEADLINE`].
pub fn run(cmd: &mut Command, stdin: &str) -> Output {
    let mut child = spawn(cmd);
    feed(&mut child, stdin);
    wait_with_deadline(child, RUN_DEADLINE)
}

/// Imports `creds` into `profile` of the file at `path`, and checks that neither the secret nor
/// the token shows up in what the process printed, whatever the outcome.
pub fn import(path: &Path, profile: &str, creds: &Creds, global: &[&str]) -> Output {
    let output = run(&mut import_command(path, profile, global), &creds.json());
    assert_no_leak(&output, &[&creds.secret, &creds.token]);
    output
}

/// Panics if any of `secrets` appears in the process's stdout or stderr.
pub fn assert_no_leak(output: &Output, secrets: &[&str]) {
    let printed = [stdout(output), stderr(output)].concat();
    for secret in secrets {
        assert!(
            !printed.contains(secret),
            "rolecreds printed a secret value ({secret:?}):\n{printed}"
        );
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts a successful run.
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "rolecreds failed ({}):\n{}",
        output.status,
        stderr(output)
    );
}

/// Asserts that rolecreds failed with `code` and one `rolecreds: error: ...` line on stderr that
/// contains every one of `needles`.
pub fn assert_error(output: &Output, code: i32, needles: &[&str]) {
    let err = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(code),
        "expected exit code {code}, stderr:\n{err}"
    );
    assert!(
        err.starts_with("rolecreds: error: ") && err.ends_with('\n') && err.lines().count() == 1,
        "expected one `rolecreds: error:` line, got:\n{err}"
    );
    for needle in needles {
        assert!(err.contains(needle), "stderr lacks {needle:?}:\n{err}");
    }
}

/// The exit status's signal, if the process was killed by one.
pub fn signal_of(status: &ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(status)
}

/// Names in `dir` that look like rolecreds temp files (`.NAME.rolecreds-XXXX.tmp`), any NAME.
pub fn temp_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("list the directory")
        .map(|entry| entry.expect("a directory entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| {
            name.starts_with('.') && name.contains(".rolecreds-") && name.ends_with(".tmp")
        })
        .collect();
    names.sort();
    names
}

/// All names in `dir`, sorted.
pub fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("list the directory")
        .map(|entry| entry.expect("a directory entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The permission bits of `path` (following symlinks).
pub fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("stat").permissions().mode() & 0o7777
}

pub fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Writes `bytes` to `path` with `mode`.
pub fn write_file(path: &Path, bytes: impl AsRef<[u8]>, mode: u32) {
    fs::write(path, bytes).expect("write the test file");
    set_mode(path, mode);
}

/// A temp directory with the path of a `credentials` file in it (not created).
pub fn credentials_in_tempdir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("create a temp dir");
    let path = dir.path().join("credentials");
    (dir, path)
}

/// Profile name → key → value, as one reader reads a credentials file.
pub type Sections = BTreeMap<String, BTreeMap<String, String>>;

/// Reads the file with Python's `configparser.RawConfigParser(strict=True)`, botocore's parser;
/// panics if Python rejects the file.
pub fn python_read(path: &Path) -> Sections {
    const SCRIPT: &str = r#"
import configparser, json, sys
parser = configparser.RawConfigParser(strict=True)
with open(sys.argv[1], encoding="utf-8") as f:
    parser.read_file(f)
json.dump({s: dict(parser.items(s)) for s in parser.sections()}, sys.stdout)
"#;
    let output = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(path)
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "Python's strict RawConfigParser rejected `{}`:\n{}",
        path.display(),
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout).expect("python printed JSON")
}

/// Parses credentials-file text with the AWS SDK for Rust's parser (panics on a parse error).
pub fn sdk_read(text: &str) -> aws_config::profile::ProfileSet {
    rolecreds::domain::editor::validate::parse_credentials_text(text)
        .unwrap_or_else(|err| panic!("the AWS SDK's parser rejected the file: {err}\n{text}"))
}

/// The four written keys of `profile` as the SDK reads them, `None` if the profile is missing.
pub fn sdk_credentials(set: &aws_config::profile::ProfileSet, profile: &str) -> Option<Creds> {
    let p = set.get_profile(profile)?;
    Some(Creds {
        key: p.get("aws_access_key_id")?.to_owned(),
        secret: p.get("aws_secret_access_key")?.to_owned(),
        token: p.get("aws_session_token")?.to_owned(),
    })
}

/// The effective user id of the test process.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// A second local user, created for this test and removed when dropped. The name carries the
/// process id and a counter: nextest runs tests in parallel processes.
pub struct TestUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

impl TestUser {
    pub fn create() -> TestUser {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "rctest{}c{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        // Parallel useradd runs contend for /etc/passwd's lock (exit 10): retry a few times.
        let mut last = String::new();
        for _ in 0..20 {
            let output = Command::new("useradd")
                .args(["--no-create-home", "--shell", "/usr/sbin/nologin", &name])
                .output()
                .expect("run useradd");
            if output.status.success() {
                let id = |flag: &str| -> u32 {
                    let out = Command::new("id").args([flag, &name]).output().expect("id");
                    assert!(out.status.success(), "id {flag} {name}: {}", stderr(&out));
                    String::from_utf8_lossy(&out.stdout)
                        .trim()
                        .parse()
                        .expect("a number")
                };
                let (uid, gid) = (id("-u"), id("-g"));
                return TestUser { name, uid, gid };
            }
            last = format!("{}: {}", output.status, stderr(&output));
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("useradd {name} failed: {last}");
    }

    pub fn chown(&self, path: &Path) {
        std::os::unix::fs::lchown(path, Some(self.uid), Some(self.gid)).expect("chown");
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.name).output();
    }
}

pub fn mkfifo(path: &Path) {
    let c_path = CString::new(path.as_os_str().as_bytes()).expect("no NUL in the path");
    // SAFETY: c_path is a valid NUL-terminated string for the duration of the call.
    let result = unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) };
    assert_eq!(result, 0, "mkfifo: {}", std::io::Error::last_os_error());
}

/// A finished run and its peak resident set size in KiB (from wait4's rusage).
pub struct Measured {
    pub output: Output,
    pub max_rss_kib: i64,
}

/// Runs `cmd` with stdin closed, reaping it with wait4 to learn its peak resident memory
/// (KiB); kills it and fails as hung after `deadline`.
pub fn run_measured(cmd: Command, deadline: Duration) -> Measured {
    run_measured_with_stdin(cmd, Stdio::null(), deadline)
}

/// [`run_measured`] with `stdin` as the child's standard input.
// The child is reaped by wait4, which clippy does not count as a wait.
#[allow(clippy::zombie_processes)]
pub fn run_measured_with_stdin(mut cmd: Command, stdin: Stdio, deadline: Duration) -> Measured {
    cmd.stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start rolecreds");
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    // Drained on threads: a child blocked on a full pipe would look hung.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let (status, usage) = loop {
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: pid is our own unreaped child; status and usage are valid for writes.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(reaped >= 0, "wait4: {}", std::io::Error::last_os_error());
        if reaped == pid {
            break (status, usage);
        }
        if started.elapsed() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rolecreds still ran after {deadline:?}: it hung");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Measured {
        output: Output {
            status: std::os::unix::process::ExitStatusExt::from_raw(status),
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        },
        max_rss_kib: usage.ru_maxrss,
    }
}
