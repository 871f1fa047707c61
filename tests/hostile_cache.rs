//! The `--credential-process` cache (`<credentials dir>/rolecreds/cache/*.json`) against a
//! real STS (moto's server, auth enforcement off so that any source key is accepted): its key
//! covers everything that changes what STS returns, including who asks; an entry someone else
//! could have planted (another owner, a group- or world-writable directory, a symlinked
//! directory, a FIFO, `/dev/zero`) is never served and never hangs the run; a cache that
//! cannot be written still lets the credentials through, with one warning; and a temp file a
//! killed run left behind is cleaned up.
//!
//! AssumeRole calls are counted from moto's model data ([`emulator::Moto::assumed_role_keys`]).

// Unix only: it exercises Unix modes, signals or process groups (scripts/cross-check runs
// the Windows binary under Wine instead).
#![cfg(unix)]

mod emulator;
mod support;

use emulator::{Moto, ROLE_DNS_EDITOR_ARN, Sandbox};
use std::fs;
use std::os::unix::fs::{MetadataExt as _, symlink};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use support::{TestUser, mkfifo, run_measured, stderr};

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
    emulator::process_document(output)
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
