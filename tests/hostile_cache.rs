//! The `--credential-process` cache (`<credentials dir>/rolecreds/cache/*.json`) against a
//! real STS (moto's server, auth enforcement off so that any source key is accepted): its key
//! covers everything that changes what STS returns, including who asks; an entry someone else
//! could have planted (another owner, a group- or world-writable directory, a symlinked
//! directory, a FIFO, `/dev/zero`) is never served and never hangs the run; a cache that
//! cannot be written still lets the credentials through, with one warning; and a temp file a
//! killed run left behind is cleaned up.
//!
//! AssumeRole calls are counted from moto's model data ([`emulator::Moto::assumed_role_keys`]).

mod emulator;
mod support;

use emulator::{Moto, ROLE_DNS_EDITOR_ARN, Sandbox};
use std::collections::BTreeSet;
use std::ffi::CString;
use std::fs;
use std::io::Read as _;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::{MetadataExt as _, symlink};
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::stderr;

/// How long a run may take where a hostile cache entry could make it hang.
const HANG_DEADLINE: Duration = Duration::from_secs(10);

/// A valid session policy, small enough for STS.
const DENY_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// moto (auth off) and a sandbox pointing at it.
struct Fixture {
    moto: Moto,
    sandbox: Sandbox,
}

impl Fixture {
    fn new() -> Fixture {
        let moto = Moto::start();
        moto.set_auth_enforced(false);
        let sandbox = moto.sandbox();
        Fixture { moto, sandbox }
    }

    /// `rolecreds --role-arn DNS_EDITOR --credential-process EXTRA...` in the sandbox.
    fn command(&self, extra: &[&str]) -> Command {
        let mut cmd = self.sandbox.rolecreds();
        cmd.args(["--role-arn", ROLE_DNS_EDITOR_ARN, "--credential-process"])
            .args(extra);
        cmd
    }

    /// Runs [`Fixture::command`]; fails as hung after `deadline`.
    fn serve(&self, extra: &[&str]) -> Output {
        run(self.command(extra), support::RUN_DEADLINE)
    }

    fn calls(&self) -> usize {
        self.moto.assumed_role_keys().len()
    }

    /// The access key of the latest AssumeRole.
    fn last_issued(&self) -> String {
        self.moto
            .assumed_role_keys()
            .pop()
            .expect("at least one AssumeRole")
    }

    fn cache_dir(&self) -> PathBuf {
        self.sandbox
            .credentials_file()
            .parent()
            .unwrap()
            .join("rolecreds/cache")
    }

    /// The one `.json` entry in the cache (after one plain run).
    fn only_entry(&self) -> PathBuf {
        let entries = json_files(&self.cache_dir());
        assert_eq!(entries.len(), 1, "{entries:?}");
        entries.into_iter().next().unwrap()
    }

    /// Fills the cache with one plain run; returns the served document.
    fn fill(&self) -> serde_json::Value {
        let doc = document(&self.serve(&[]));
        assert_eq!(self.calls(), 1, "the first run assumes the role");
        doc
    }

    /// Runs once more and asserts fresh credentials from a new AssumeRole (the cache was not
    /// served); returns the output for more checks.
    fn assert_not_served(&self, extra: &[&str], deadline: Duration) -> Output {
        let before = self.calls();
        let output = run(self.command(extra), deadline);
        let doc = document(&output);
        assert_eq!(
            self.calls(),
            before + 1,
            "the cache was served; stderr:\n{}",
            stderr(&output)
        );
        assert_eq!(
            doc["AccessKeyId"].as_str(),
            Some(self.last_issued().as_str())
        );
        output
    }
}

/// Runs `cmd` with stdin closed and piped output; kills it and fails as hung past `deadline`.
fn run(mut cmd: Command, deadline: Duration) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    support::wait_with_deadline(support::spawn(&mut cmd), deadline)
}

/// The `.json` files of `dir`, sorted.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

/// Asserts exit 0 and that stdout is exactly one Version 1 credential_process document;
/// returns it.
fn document(output: &Output) -> serde_json::Value {
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout {out:?}, stderr:\n{}",
        stderr(output)
    );
    assert_eq!(out.lines().count(), 1, "one line on stdout: {out:?}");
    let doc: serde_json::Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {out:?}"));
    let fields: BTreeSet<&str> = doc
        .as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from([
            "AccessKeyId",
            "Expiration",
            "SecretAccessKey",
            "SessionToken",
            "Version"
        ]),
        "{out}"
    );
    assert_eq!(doc["Version"], 1, "{out}");
    doc
}

/// Asserts that stderr holds exactly one `rolecreds: warning:` line and that it contains
/// every one of `needles`; no error line.
fn assert_one_warning(output: &Output, needles: &[&str]) {
    let err = stderr(output);
    let warnings: Vec<&str> = err
        .lines()
        .filter(|line| line.starts_with("rolecreds: warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "expected one warning line:\n{err}");
    for needle in needles {
        assert!(
            warnings[0].contains(needle),
            "the warning lacks {needle:?}:\n{err}"
        );
    }
    assert!(!err.contains("rolecreds: error:"), "{err}");
}

/// A second local user, created for this test and removed when dropped. The name carries the
/// process id and a counter: nextest runs tests in parallel processes.
struct TestUser {
    name: String,
    uid: u32,
    gid: u32,
}

impl TestUser {
    fn create() -> TestUser {
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

    fn chown(&self, path: &Path) {
        std::os::unix::fs::lchown(path, Some(self.uid), Some(self.gid)).expect("chown");
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.name).output();
    }
}

fn mkfifo(path: &Path) {
    let c_path = CString::new(path.as_os_str().as_bytes()).expect("no NUL in the path");
    // SAFETY: c_path is a valid NUL-terminated string for the duration of the call.
    let result = unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) };
    assert_eq!(result, 0, "mkfifo: {}", std::io::Error::last_os_error());
}

/// A finished run and its peak resident set size in KiB (from wait4's rusage).
struct Measured {
    output: Output,
    max_rss_kib: i64,
}

/// Runs `cmd` like [`run`], reaping it with wait4 to learn its peak memory.
// The child is reaped by wait4, which clippy does not count as a wait.
#[allow(clippy::zombie_processes)]
fn run_measured(mut cmd: Command, deadline: Duration) -> Measured {
    cmd.stdin(Stdio::null())
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
            status: ExitStatus::from_raw(status),
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        },
        max_rss_kib: usage.ru_maxrss,
    }
}

// ---------------------------------------------------------------------------------------
// 1. The cache key
// ---------------------------------------------------------------------------------------

#[test]
fn every_setting_that_changes_what_sts_returns_gets_its_own_entry() {
    let fixture = Fixture::new();
    let policy = fixture.sandbox.home().join("deny.json");
    fs::write(&policy, DENY_POLICY).unwrap();
    let policy = policy.to_str().unwrap();
    let variants: [&[&str]; 5] = [
        &[],
        &["--policy", policy],
        &["--tag", "team=x"],
        &["--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess"],
        &["--source-identity", "ops-1"],
    ];
    // First pass: each variant is a new AssumeRole with its own credentials.
    let mut keys = Vec::new();
    for (i, extra) in variants.iter().enumerate() {
        let doc = document(&fixture.serve(extra));
        assert_eq!(
            fixture.calls(),
            i + 1,
            "{extra:?} was served another variant's cache entry"
        );
        let key = doc["AccessKeyId"].as_str().unwrap().to_owned();
        assert!(!keys.contains(&key), "{extra:?} got another variant's key");
        keys.push(key);
    }
    // Second pass: each variant is served its own entry, with no new call.
    for (extra, key) in variants.iter().zip(&keys) {
        let doc = document(&fixture.serve(extra));
        assert_eq!(
            fixture.calls(),
            variants.len(),
            "{extra:?} missed its cache entry"
        );
        assert_eq!(doc["AccessKeyId"].as_str(), Some(key.as_str()), "{extra:?}");
    }
}

#[test]
fn different_source_keys_get_different_entries_and_no_key_is_stored_in_clear() {
    let mut fixture = Fixture::new();
    let source_keys = ["AKIAAAAAAAAAAAAAAAAA", "AKIABBBBBBBBBBBBBBBB"];
    // A fixed session name: the default one needs iam:GetUser, and moto's GetUser for a key
    // it never issued breaks its /moto-api/data.json (500) that counts the calls.
    let fixed_name = ["--session-name", "cache-test"];
    let mut issued = Vec::new();
    for (i, source) in source_keys.iter().enumerate() {
        fixture.sandbox.set("AWS_ACCESS_KEY_ID", source);
        let doc = document(&fixture.serve(&fixed_name));
        assert_eq!(
            fixture.calls(),
            i + 1,
            "source key {source} was served another source's cache entry"
        );
        issued.push(doc["AccessKeyId"].as_str().unwrap().to_owned());
    }
    // Each source is then served its own entry.
    for (source, key) in source_keys.iter().zip(&issued) {
        fixture.sandbox.set("AWS_ACCESS_KEY_ID", source);
        let doc = document(&fixture.serve(&fixed_name));
        assert_eq!(doc["AccessKeyId"].as_str(), Some(key.as_str()), "{source}");
    }
    assert_eq!(fixture.calls(), source_keys.len());
    // Neither a file name nor a file's bytes under the cache name a source key.
    let mut stack = vec![fixture.cache_dir()];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            seen += 1;
            let name = path.to_string_lossy().into_owned();
            let bytes = if meta.is_file() {
                fs::read(&path).unwrap()
            } else {
                Vec::new()
            };
            let text = String::from_utf8_lossy(&bytes);
            for source in source_keys {
                assert!(!name.contains(source), "{name} names the source key");
                assert!(!text.contains(source), "{name} holds the source key");
            }
        }
    }
    assert!(
        seen >= 2,
        "expected at least two cache entries, saw {seen} files"
    );
}

// ---------------------------------------------------------------------------------------
// 2. An untrusted cache is never served
// ---------------------------------------------------------------------------------------

#[test]
fn a_cache_file_owned_by_another_user_is_not_served() {
    let fixture = Fixture::new();
    fixture.fill();
    let user = TestUser::create();
    user.chown(&fixture.only_entry());
    let output = fixture.assert_not_served(&[], support::RUN_DEADLINE);
    assert_one_warning(&output, &["owned by"]);
}

#[test]
fn a_world_writable_cache_directory_is_not_used() {
    let fixture = Fixture::new();
    fixture.fill();
    support::set_mode(&fixture.cache_dir(), 0o777);
    let output = fixture.assert_not_served(&[], support::RUN_DEADLINE);
    assert_one_warning(&output, &[]);
}

#[test]
fn a_cache_directory_symlinked_to_a_shared_directory_is_not_used() {
    let fixture = Fixture::new();
    fixture.fill();
    let entry = fixture.only_entry();
    // A sticky world-writable directory anyone could have filled, holding a valid entry.
    let shared = tempfile::Builder::new()
        .prefix("rolecreds-shared-")
        .tempdir_in("/tmp")
        .unwrap();
    support::set_mode(shared.path(), 0o1777);
    fs::copy(&entry, shared.path().join(entry.file_name().unwrap())).unwrap();
    let cache = fixture.cache_dir();
    fs::rename(&cache, cache.with_file_name("cache.moved")).unwrap();
    symlink(shared.path(), &cache).unwrap();
    let output = fixture.assert_not_served(&[], support::RUN_DEADLINE);
    assert_one_warning(&output, &["symlink"]);
}

#[test]
fn a_fifo_as_the_cache_file_does_not_hang_the_run() {
    let fixture = Fixture::new();
    fixture.fill();
    let entry = fixture.only_entry();
    fs::remove_file(&entry).unwrap();
    mkfifo(&entry);
    fixture.assert_not_served(&[], HANG_DEADLINE);
}

#[test]
fn a_cache_file_linked_to_dev_zero_is_not_read() {
    let fixture = Fixture::new();
    fixture.fill();
    let entry = fixture.only_entry();
    fs::remove_file(&entry).unwrap();
    symlink("/dev/zero", &entry).unwrap();
    let before = fixture.calls();
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent. The limit
    // (2 GiB of address space) only keeps a blow-up from taking the machine down with it.
    let mut cmd = fixture.command(&[]);
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 2 << 30,
                rlim_max: 2 << 30,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let measured = run_measured(cmd, HANG_DEADLINE);
    let doc = document(&measured.output);
    assert_eq!(fixture.calls(), before + 1, "fresh credentials expected");
    assert_eq!(
        doc["AccessKeyId"].as_str(),
        Some(fixture.last_issued().as_str())
    );
    assert!(
        measured.max_rss_kib < 100 * 1024,
        "peak RSS {} KiB: /dev/zero was read",
        measured.max_rss_kib
    );
    // Root replacing the link's target instead of the link would destroy /dev/zero.
    use std::os::unix::fs::FileTypeExt as _;
    let dev_zero = fs::metadata("/dev/zero").unwrap();
    assert!(
        dev_zero.file_type().is_char_device(),
        "/dev/zero was replaced"
    );
}

// ---------------------------------------------------------------------------------------
// 3. A cache that cannot be written
// ---------------------------------------------------------------------------------------

/// The run still prints the credentials, and says once, as a warning, that it could not
/// cache them.
fn assert_served_with_a_cache_warning(output: &Output) {
    document(output);
    let err = stderr(output);
    assert_eq!(err.lines().count(), 1, "expected exactly one line:\n{err}");
    assert!(err.starts_with("rolecreds: warning: "), "{err}");
    assert!(err.contains("cache"), "{err}");
}

#[test]
fn a_file_where_the_cache_directory_goes_still_serves_the_credentials() {
    let fixture = Fixture::new();
    let rolecreds_dir = fixture.cache_dir().parent().unwrap().to_owned();
    fs::create_dir_all(&rolecreds_dir).unwrap();
    fs::write(rolecreds_dir.join("cache"), "not a directory\n").unwrap();
    let output = fixture.serve(&[]);
    assert_served_with_a_cache_warning(&output);
    assert_eq!(fixture.calls(), 1);
}

#[test]
fn a_file_size_limit_still_serves_the_credentials() {
    let fixture = Fixture::new();
    let mut cmd = fixture.command(&[]);
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = run(cmd, support::RUN_DEADLINE);
    assert_served_with_a_cache_warning(&output);
    assert_eq!(fixture.calls(), 1);
}

// ---------------------------------------------------------------------------------------
// 4. A killed run's temp file
// ---------------------------------------------------------------------------------------

#[test]
fn a_temp_file_left_by_a_killed_run_is_removed() {
    let fixture = Fixture::new();
    fixture.fill();
    let entry = fixture.only_entry();
    let name = entry.file_name().unwrap().to_string_lossy().into_owned();
    let leftover = fixture
        .cache_dir()
        .join(format!(".{name}.rolecreds-ab12CD.tmp"));
    support::write_file(
        &leftover,
        "{\"Version\": 1, \"AccessKeyId\": \"ASIAHALF",
        0o600,
    );
    document(&fixture.serve(&[]));
    assert!(
        !leftover.exists(),
        "the temp file is still there: {:?}",
        support::dir_names(&fixture.cache_dir())
    );
    assert_eq!(
        fs::metadata(&entry).map(|m| m.uid()).ok(),
        Some(support::euid()),
        "the entry itself stays"
    );
}
