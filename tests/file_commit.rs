//! Proves, with the real `rolecreds` binary running as separate processes on real files, that
//! a credentials-file write is safe under the conditions that break other tools:
//!
//! - 32 concurrent writers of one file all land (the sidecar lock serialises them) and the file
//!   still parses with both the AWS SDK for Rust and botocore's strict `RawConfigParser`;
//! - a reader polling the file during 200 writes never sees a torn file, a missing profile, a
//!   key/secret/token set mixed from two writes, or an older write after a newer one;
//! - a writer killed with SIGKILL at any moment leaves exactly the old or the new bytes, and the
//!   next run removes the temp file a killed run left behind;
//! - a write that hits the file-size limit or a full file system fails with exit code 4 and
//!   leaves the file byte-identical with no temp file;
//! - a symlinked file stays a symlink (the target is replaced), a dangling one gets its target;
//! - the file ends up owner-only (0644 is narrowed with a warning, 0400 is never widened), and a
//!   new file and directory are created 0600 / 0700;
//! - a read-only directory, a held lock, a directory or FIFO at the path, an unsafe file, a bad
//!   profile name or bad input are refused with the documented exit code and a one-line reason,
//!   never hanging and never changing a byte;
//! - no secret value ever appears in the program's output.

// Unix only: it exercises Unix modes, signals or process groups (scripts/cross-check runs
// the Windows binary under Wine instead).
#![cfg(unix)]

mod support;

use rolecreds::domain::editor::edit::upsert_profile;
use rolecreds::domain::editor::validate::parse_credentials_text;
use rolecreds::domain::profile_name::ProfileName;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{FileTypeExt as _, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};
use support::*;

/// A hand-edited file that every write must keep byte for byte.
const SEED: &str = "\
# Hand-written notes: rolecreds must keep this comment byte for byte.
[keep]
aws_access_key_id = AKIAKEEPKEEPKEEP
aws_secret_access_key=keep/secret+value
region=eu-west-1
; a comment between profiles

";

const KEEP_KEY: &str = "AKIAKEEPKEEPKEEP";

fn keep_section() -> BTreeMap<String, String> {
    [
        ("aws_access_key_id", KEEP_KEY),
        ("aws_secret_access_key", "keep/secret+value"),
        ("region", "eu-west-1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A credentials file with `profiles` other profiles, each with an 800-character token.
fn big_file(profiles: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::from("# a big credentials file\n");
    for n in 0..profiles {
        let token: String = (0..800)
            .map(|k| ALPHABET[(n * 7 + k * 13) % ALPHABET.len()] as char)
            .collect();
        writeln!(
            text,
            "[other{n}]\naws_access_key_id=AKIAOTHER{n:05}\naws_secret_access_key=other/{n}\n\
             aws_session_token={token}\n"
        )
        .unwrap();
    }
    text
}

fn read_text(path: &Path) -> String {
    String::from_utf8(fs::read(path).expect("read the credentials file")).expect("UTF-8")
}

/// Describes how two (possibly megabyte-long) byte strings differ, instead of printing them.
fn describe_difference(actual: &[u8], expected: &[u8]) -> String {
    let first = actual
        .iter()
        .zip(expected)
        .position(|(x, y)| x != y)
        .unwrap_or(actual.len().min(expected.len()));
    format!(
        "{} bytes vs {} expected, first difference at byte {first}",
        actual.len(),
        expected.len()
    )
}

fn assert_unchanged(path: &Path, before: &[u8]) {
    let now = fs::read(path).expect("read the credentials file");
    assert!(
        now == before,
        "the file changed: {}",
        describe_difference(&now, before)
    );
}

#[test]
fn thirty_two_concurrent_writers_all_land_in_one_parseable_file() {
    let (dir, path) = credentials_in_tempdir();
    write_file(&path, SEED, 0o600);
    const WRITERS: usize = 32;

    // Start every process first; each waits on its stdin, so once fed they race for the lock.
    let mut children: Vec<_> = (0..WRITERS)
        .map(|i| {
            let mut cmd = import_command(&path, &format!("p{i}"), &["--lock-timeout", "60s"]);
            spawn(&mut cmd)
        })
        .collect();
    for (i, child) in children.iter_mut().enumerate() {
        feed(child, &Creds::for_index(i).json());
    }
    for (i, child) in children.into_iter().enumerate() {
        let output = wait_with_deadline(child, RUN_DEADLINE);
        assert_success(&output);
        let creds = Creds::for_index(i);
        assert_no_leak(&output, &[&creds.secret, &creds.token]);
    }

    let text = read_text(&path);
    assert!(
        text.starts_with(SEED),
        "the hand-written part changed:\n{text}"
    );
    let expected_names: BTreeSet<String> = (0..WRITERS)
        .map(|i| format!("p{i}"))
        .chain(["keep".to_owned()])
        .collect();

    let sdk = sdk_read(&text);
    let sdk_names: BTreeSet<String> = sdk.profiles().map(str::to_owned).collect();
    assert_eq!(sdk_names, expected_names, "the AWS SDK sees other profiles");
    for i in 0..WRITERS {
        assert_eq!(
            sdk_credentials(&sdk, &format!("p{i}")),
            Some(Creds::for_index(i)),
            "profile p{i} as the AWS SDK reads it"
        );
    }
    let keep = sdk.get_profile("keep").expect("profile keep");
    assert_eq!(keep.get("aws_access_key_id"), Some(KEEP_KEY));

    let python = python_read(&path);
    assert_eq!(
        python.keys().cloned().collect::<BTreeSet<_>>(),
        expected_names,
        "botocore's parser sees other profiles"
    );
    for i in 0..WRITERS {
        assert_eq!(
            python[&format!("p{i}")],
            Creds::for_index(i).as_properties(),
            "profile p{i} as botocore reads it"
        );
    }
    assert_eq!(python["keep"], keep_section());
    assert_eq!(mode(&path), 0o600);
    assert_eq!(temp_files(dir.path()), Vec::<String>::new());
}

/// What the polling reader saw.
#[derive(Debug)]
struct ReaderStats {
    reads: u64,
    distinct_writes_seen: u64,
    last_index: usize,
}

/// Reads and parses the file until `done`, then once more; fails on the first bad read.
fn read_until_done(path: &Path, done: &AtomicBool) -> Result<ReaderStats, String> {
    let mut stats = ReaderStats {
        reads: 0,
        distinct_writes_seen: 0,
        last_index: 0,
    };
    let mut previous: Option<usize> = None;
    loop {
        let finished = done.load(Ordering::SeqCst);
        let read = stats.reads + 1;
        let bytes =
            fs::read(path).map_err(|e| format!("read {read}: cannot read the file: {e}"))?;
        let text = String::from_utf8(bytes).map_err(|e| format!("read {read}: not UTF-8: {e}"))?;
        let set = parse_credentials_text(&text)
            .map_err(|e| format!("read {read}: the AWS SDK's parser failed: {e}\n{text}"))?;
        let creds = sdk_credentials(&set, "dev")
            .ok_or_else(|| format!("read {read}: profile dev missing or incomplete:\n{text}"))?;
        let index = Creds::index_of_key(&creds.key)
            .ok_or_else(|| format!("read {read}: unexpected key {:?}", creds.key))?;
        if creds != Creds::for_index(index) {
            return Err(format!(
                "read {read}: a key/secret/token set mixed from different writes: {creds:?}"
            ));
        }
        let keep = set
            .get_profile("keep")
            .and_then(|p| p.get("aws_access_key_id"));
        if keep != Some(KEEP_KEY) {
            return Err(format!("read {read}: profile keep changed: {keep:?}"));
        }
        match previous {
            Some(p) if index < p => {
                return Err(format!(
                    "read {read}: write {index} seen after write {p}: an older file came back"
                ));
            }
            Some(p) if index == p => {}
            _ => stats.distinct_writes_seen += 1,
        }
        previous = Some(index);
        stats.reads = read;
        if finished {
            stats.last_index = index;
            return Ok(stats);
        }
    }
}

#[test]
fn a_reader_never_sees_a_torn_missing_or_mixed_profile() {
    let (dir, path) = credentials_in_tempdir();
    write_file(&path, SEED, 0o600);
    assert_success(&import(&path, "dev", &Creds::for_index(0), &[]));

    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (path, done) = (path.clone(), Arc::clone(&done));
        thread::spawn(move || read_until_done(&path, &done))
    };
    const WRITES: usize = 200;
    let started = Instant::now();
    let mut failure = None;
    for i in 1..=WRITES {
        let output = import(&path, "dev", &Creds::for_index(i), &[]);
        if !output.status.success() {
            failure = Some(format!("write {i} failed: {}", stderr(&output)));
            break;
        }
    }
    let writing = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let result = reader.join().expect("the reader thread panicked");
    if let Some(failure) = failure {
        panic!("{failure}");
    }
    let stats = result.unwrap_or_else(|problem| panic!("{problem}"));
    eprintln!("{WRITES} writes in {writing:?}; reader: {stats:?}");
    assert!(
        stats.reads > WRITES as u64,
        "the reader read only {} times",
        stats.reads
    );
    assert!(
        stats.distinct_writes_seen > 10,
        "the reader saw only {} different writes: it did not overlap the writers",
        stats.distinct_writes_seen
    );
    assert_eq!(stats.last_index, WRITES);
    assert!(read_text(&path).starts_with(SEED));
    assert_eq!(temp_files(dir.path()), Vec::<String>::new());
}

/// How one killed writer ended.
#[derive(Debug, Default)]
struct KillOutcomes {
    finished_before_kill: u32,
    killed_left_old: u32,
    killed_left_new: u32,
    left_a_temp_file: u32,
}

#[test]
fn sigkill_at_any_moment_leaves_the_old_or_the_new_bytes_and_no_temp_file() {
    let (dir, path) = credentials_in_tempdir();
    const OTHER_PROFILES: usize = 600;
    write_file(&path, big_file(OTHER_PROFILES), 0o600);
    let profile = ProfileName::parse("dev").unwrap();

    // How long an unhindered write of this file takes here (the fastest of three, as other
    // load only ever slows a run down); lowered whenever a run finishes before its kill.
    let mut write_time = (0..3)
        .map(|i| {
            let started = Instant::now();
            assert_success(&import(&path, "dev", &Creds::for_index(i), &[]));
            started.elapsed()
        })
        .min()
        .unwrap();

    let mut outcomes = KillOutcomes::default();
    const KILLS: usize = 60;
    for k in 0..KILLS {
        let creds = Creds::for_index(1000 + k);
        let old = fs::read(&path).unwrap();
        // The exact bytes a completed write must leave (computed only when needed: slow).
        let new = || {
            upsert_profile(&old, &profile, &creds.temporary())
                .expect("the file is editable")
                .into_bytes()
        };
        let leftovers_before = temp_files(dir.path());

        let started = Instant::now();
        let mut child = spawn(&mut import_command(&path, "dev", &[]));
        feed(&mut child, &creds.json());
        match k % 3 {
            // Anywhere in the run, from startup to exit.
            0 => thread::sleep(write_time.mul_f64(fastrand::f64())),
            // The second half, where the temp file is written, synced and renamed.
            1 => thread::sleep(write_time.mul_f64(0.5 + 0.5 * fastrand::f64())),
            // Right after this run's temp file appears, before or just after the rename.
            _ => {
                let deadline = Instant::now() + RUN_DEADLINE;
                while temp_files(dir.path()) == leftovers_before
                    && child.try_wait().unwrap().is_none()
                    && Instant::now() < deadline
                {
                    thread::yield_now();
                }
                thread::sleep(Duration::from_micros(fastrand::u64(0..2000)));
            }
        }
        if child.try_wait().unwrap().is_some() {
            write_time = write_time.min(started.elapsed());
        }
        let _ = child.kill();
        let output = wait_with_deadline(child, RUN_DEADLINE);
        assert_no_leak(&output, &[&creds.secret, &creds.token]);

        let now = fs::read(&path).unwrap();
        if output.status.success() {
            outcomes.finished_before_kill += 1;
            let new = new();
            assert!(
                now == new,
                "kill {k}: a finished run left other bytes than its edit: {}",
                describe_difference(&now, &new)
            );
        } else {
            assert_eq!(
                signal_of(&output.status),
                Some(libc::SIGKILL),
                "kill {k}: the run failed on its own: {}",
                stderr(&output)
            );
            if now == old {
                outcomes.killed_left_old += 1;
            } else {
                let new = new();
                assert!(
                    now == new,
                    "kill {k}: the file is neither the old nor the new bytes: vs old {}; vs new {}",
                    describe_difference(&now, &old),
                    describe_difference(&now, &new)
                );
                outcomes.killed_left_new += 1;
            }
        }
        assert_eq!(mode(&path), 0o600, "kill {k}");
        // Each run removes what earlier runs left, so at most the last run's temp file remains.
        let leftovers = temp_files(dir.path());
        assert!(
            leftovers.len() <= 1,
            "kill {k}: temp files pile up: {leftovers:?}"
        );
        if !leftovers.is_empty() && leftovers != leftovers_before {
            outcomes.left_a_temp_file += 1;
        }
    }
    eprintln!("write time {write_time:?}; {KILLS} kills: {outcomes:?}");
    let killed = outcomes.killed_left_old + outcomes.killed_left_new;
    assert!(
        killed >= KILLS as u32 / 4,
        "only {killed} of {KILLS} runs were killed mid-write: {outcomes:?}"
    );
    assert!(
        outcomes.left_a_temp_file >= 1,
        "no kill landed between creating the temp file and the rename: {outcomes:?}"
    );

    // A temp file from a killed run (planted, so the check never depends on timing) goes away
    // on the next run; other files' temp files and unrelated names stay.
    let ours = dir.path().join(".credentials.rolecreds-AbAnDn.tmp");
    let others = [
        ".credentials-old.rolecreds-AbAnDn.tmp",
        ".config.rolecreds-AbAnDn.tmp",
        "credentials.rolecreds-AbAnDn.tmp",
        ".credentials.rolecreds.lock",
    ];
    fs::write(&ours, "half a file").unwrap();
    for name in &others[..3] {
        fs::write(dir.path().join(name), "not ours").unwrap();
    }
    let old = fs::read(&path).unwrap();
    let creds = Creds::for_index(5000);
    let expected = upsert_profile(&old, &profile, &creds.temporary()).unwrap();
    assert_success(&import(&path, "dev", &creds, &[]));
    let now = fs::read(&path).unwrap();
    assert!(
        now == expected.as_bytes(),
        "{}",
        describe_difference(&now, expected.as_bytes())
    );
    let names = dir_names(dir.path());
    assert!(
        names
            .iter()
            .all(|n| !(n.starts_with(".credentials.rolecreds-") && n.ends_with(".tmp"))),
        "the next run left abandoned temp files: {names:?}"
    );
    for name in others {
        assert!(
            names.iter().any(|n| n == name),
            "{name} was removed: {names:?}"
        );
    }

    let text = read_text(&path);
    let sdk = sdk_read(&text);
    assert_eq!(sdk.profiles().count(), OTHER_PROFILES + 1);
    assert_eq!(sdk_credentials(&sdk, "dev"), Some(creds.clone()));
    let python = python_read(&path);
    assert_eq!(python.len(), OTHER_PROFILES + 1);
    assert_eq!(python["dev"], creds.as_properties());
    let original = big_file(OTHER_PROFILES);
    let original = sdk_read(&original);
    for n in [0, 1, OTHER_PROFILES / 2, OTHER_PROFILES - 1] {
        let name = format!("other{n}");
        assert_eq!(
            sdk.get_profile(&name),
            original.get_profile(&name),
            "{name}"
        );
    }
}

/// Runs an import with the file-size limit (`ulimit -f`, 1 KiB blocks) set to `blocks`.
fn import_with_file_size_limit(path: &Path, creds: &Creds, blocks: u32) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(format!(r#"ulimit -f {blocks} && exec "$0" "$@""#))
        .arg(BIN);
    import_args(&mut cmd, path, "dev", &[]);
    let output = run(&mut cmd, &creds.json());
    assert_no_leak(&output, &[&creds.secret, &creds.token]);
    output
}

#[test]
fn hitting_the_file_size_limit_fails_cleanly_and_leaves_the_file() {
    let (dir, path) = credentials_in_tempdir();
    write_file(&path, big_file(8), 0o600);
    let before = fs::read(&path).unwrap();
    assert!(before.len() > 4096, "the file must exceed the limit");

    let creds = Creds::for_index(1);
    let output = import_with_file_size_limit(&path, &creds, 4);
    assert_error(
        &output,
        4,
        &[
            &format!("cannot update `{}`", path.display()),
            "cannot write",
            "File too large",
        ],
    );
    assert_unchanged(&path, &before);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(temp_files(dir.path()), Vec::<String>::new());

    // The limit, not something else, was the cause: the same write succeeds without it.
    assert_success(&import(&path, "dev", &creds, &[]));
    assert_eq!(
        sdk_credentials(&sdk_read(&read_text(&path)), "dev"),
        Some(creds)
    );
}

/// Unmounts on drop, so a failing test does not leave the mount behind.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_file_system_fails_cleanly_and_leaves_the_file() {
    let root = tempfile::tempdir().unwrap();
    let mnt = root.path().join("mnt");
    fs::create_dir(&mnt).unwrap();
    let mount = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "rolecreds-test"])
        .arg(&mnt)
        .output();
    match mount {
        Ok(output) if output.status.success() => {}
        Ok(output) => {
            skip_outside_ci(&format!(
                "cannot mount a tmpfs here: {}",
                stderr(&output).trim()
            ));
            return;
        }
        Err(err) => {
            skip_outside_ci(&format!("cannot run mount: {err}"));
            return;
        }
    }
    let _mounted = Mounted(mnt.clone());
    let path = mnt.join("credentials");
    write_file(&path, big_file(16), 0o600);
    assert_success(&import(&path, "dev", &Creds::for_index(1), &[]));

    // Fill the file system to the last page.
    let mut filler = File::create(mnt.join("filler")).unwrap();
    let chunk = [0u8; 4096];
    let err = loop {
        if let Err(err) = filler.write_all(&chunk) {
            break err;
        }
    };
    assert_eq!(err.raw_os_error(), Some(libc::ENOSPC), "{err}");
    drop(filler);

    let before = fs::read(&path).unwrap();
    let creds = Creds::for_index(2);
    let output = import(&path, "dev", &creds, &[]);
    assert_error(
        &output,
        4,
        &[
            &format!("cannot update `{}`", path.display()),
            "No space left on device",
        ],
    );
    assert_unchanged(&path, &before);
    assert_eq!(temp_files(&mnt), Vec::<String>::new());

    fs::remove_file(mnt.join("filler")).unwrap();
    assert_success(&import(&path, "dev", &creds, &[]));
    assert_eq!(
        sdk_credentials(&sdk_read(&read_text(&path)), "dev"),
        Some(creds)
    );
}

#[test]
fn a_symlinked_file_stays_a_link_and_its_target_is_replaced() {
    let root = tempfile::tempdir().unwrap();
    let real_dir = root.path().join("dotfiles/aws");
    fs::create_dir_all(&real_dir).unwrap();
    let real = real_dir.join("credentials");
    write_file(&real, SEED, 0o600);
    let home = root.path().join("home/.aws");
    fs::create_dir_all(&home).unwrap();
    let link = home.join("credentials");
    symlink(&real, &link).unwrap();
    let other = root.path().join("other");
    fs::create_dir(&other).unwrap();
    let relative_link = other.join("creds");
    let relative_target = Path::new("../dotfiles/aws/credentials");
    symlink(relative_target, &relative_link).unwrap();

    for (i, (link, target)) in [(&link, real.as_path()), (&relative_link, relative_target)]
        .into_iter()
        .enumerate()
    {
        let creds = Creds::for_index(i);
        assert_success(&import(link, "dev", &creds, &[]));
        let meta = fs::symlink_metadata(link).unwrap();
        assert!(
            meta.file_type().is_symlink(),
            "{} is no longer a symlink",
            link.display()
        );
        assert_eq!(
            fs::read_link(link).unwrap(),
            target,
            "the link points elsewhere"
        );
        let text = read_text(&real);
        assert!(text.starts_with(SEED), "{text}");
        assert_eq!(sdk_credentials(&sdk_read(&text), "dev"), Some(creds));
        assert_eq!(mode(&real), 0o600);
    }
    // Lock and temp files live beside the real file, nothing lands beside the links.
    assert_eq!(dir_names(&home), ["credentials"]);
    assert_eq!(dir_names(&other), ["creds"]);
    assert_eq!(
        dir_names(&real_dir),
        [".credentials.rolecreds.lock", "credentials"]
    );
}

#[test]
fn a_dangling_symlink_gets_its_target_created() {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    fs::create_dir(&home).unwrap();
    // The target's directory exists; and one where it does not (created 0700).
    let existing_dir = root.path().join("dotfiles");
    fs::create_dir(&existing_dir).unwrap();
    let cases = [
        (home.join("a"), existing_dir.join("credentials")),
        (home.join("b"), root.path().join("missing/aws/credentials")),
    ];
    for (i, (link, target)) in cases.iter().enumerate() {
        symlink(target, link).unwrap();
        let creds = Creds::for_index(i);
        assert_success(&import(link, "dev", &creds, &[]));
        assert!(fs::symlink_metadata(link).unwrap().file_type().is_symlink());
        assert_eq!(&fs::read_link(link).unwrap(), target);
        let meta = fs::symlink_metadata(target).expect("the target was created");
        assert!(meta.is_file());
        assert_eq!(mode(target), 0o600);
        let set = sdk_read(&read_text(target));
        assert_eq!(set.profiles().collect::<Vec<_>>(), ["dev"]);
        assert_eq!(sdk_credentials(&set, "dev"), Some(creds));
    }
    assert_eq!(mode(&root.path().join("missing")), 0o700);
    assert_eq!(mode(&root.path().join("missing/aws")), 0o700);
    assert_eq!(dir_names(&home), ["a", "b"]);
}

#[test]
fn a_file_readable_by_others_is_narrowed_to_0600_with_a_warning() {
    for before in [0o644, 0o640, 0o604, 0o666] {
        let (_dir, path) = credentials_in_tempdir();
        write_file(&path, SEED, before);
        let creds = Creds::for_index(1);
        let output = import(&path, "dev", &creds, &[]);
        assert_success(&output);
        assert_eq!(mode(&path), 0o600, "from {before:04o}");
        let warning = format!(
            "rolecreds: warning: `{}` was mode {before:04o}, readable by others; it is now 0600",
            path.display()
        );
        assert!(stderr(&output).contains(&warning), "{}", stderr(&output));
        assert!(read_text(&path).starts_with(SEED));
    }
}

#[test]
fn an_owner_only_file_keeps_its_mode_and_read_only_is_never_widened() {
    for before in [0o600, 0o400] {
        let (_dir, path) = credentials_in_tempdir();
        write_file(&path, SEED, before);
        for i in 0..2 {
            let creds = Creds::for_index(i);
            let output = import(&path, "dev", &creds, &[]);
            assert_success(&output);
            assert!(!stderr(&output).contains("warning"), "{}", stderr(&output));
            let after = mode(&path);
            assert_eq!(
                after & !before,
                0,
                "{before:04o} was widened to {after:04o}"
            );
            assert_eq!(after, before, "{before:04o} became {after:04o}");
            assert_eq!(
                sdk_credentials(&sdk_read(&read_text(&path)), "dev"),
                Some(creds)
            );
        }
    }
}

#[test]
fn a_new_file_in_a_missing_directory_is_created_owner_only() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("home/.aws/credentials");
    let creds = Creds::for_index(7);
    assert_success(&import(&path, "dev", &creds, &[]));
    assert_eq!(mode(&root.path().join("home")), 0o700);
    assert_eq!(mode(&root.path().join("home/.aws")), 0o700);
    assert_eq!(mode(&path), 0o600);
    let python = python_read(&path);
    assert_eq!(python.keys().collect::<Vec<_>>(), ["dev"]);
    assert_eq!(python["dev"], creds.as_properties());
    assert_eq!(
        sdk_credentials(&sdk_read(&read_text(&path)), "dev"),
        Some(creds)
    );
}

/// An import run as `nobody` when the tests run as root (root ignores directory permissions).
fn unprivileged_import(path: &Path, creds: &Creds) -> Output {
    let mut cmd = if euid() == 0 {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN]);
        cmd
    } else {
        Command::new(BIN)
    };
    import_args(&mut cmd, path, "dev", &[]);
    let output = run(&mut cmd, &creds.json());
    assert_no_leak(&output, &[&creds.secret, &creds.token]);
    output
}

#[test]
fn a_read_only_directory_is_refused_with_the_reason_and_the_file_untouched() {
    // Under /tmp (mode 1777) so that `nobody` can reach it once the temp dir is opened up.
    let root = tempfile::Builder::new()
        .prefix("rolecreds-ro-")
        .tempdir_in("/tmp")
        .unwrap();
    set_mode(root.path(), 0o755);
    let dir = root.path().join("aws");
    fs::create_dir(&dir).unwrap();
    let path = dir.join("credentials");
    write_file(&path, SEED, 0o600);
    let lock = dir.join(".credentials.rolecreds.lock");
    write_file(&lock, "", 0o600);
    if euid() == 0 {
        for p in [&dir, &path, &lock] {
            std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap();
        }
    }
    let before = fs::read(&path).unwrap();
    let creds = Creds::for_index(1);

    // The lock file exists (an earlier run made it), so only the temp file needs the directory.
    set_mode(&dir, 0o500);
    let output = unprivileged_import(&path, &creds);
    set_mode(&dir, 0o700);
    assert_error(
        &output,
        4,
        &[
            &format!("cannot update `{}`", path.display()),
            &format!("cannot create a temporary file in `{}`", dir.display()),
            "needs write access to its directory",
        ],
    );
    assert_unchanged(&path, &before);
    assert_eq!(
        dir_names(&dir),
        [".credentials.rolecreds.lock", "credentials"]
    );

    // Without a lock file the run stops earlier, at creating it, with the file just as safe.
    fs::remove_file(&lock).unwrap();
    set_mode(&dir, 0o500);
    let output = unprivileged_import(&path, &creds);
    set_mode(&dir, 0o700);
    assert_error(
        &output,
        4,
        &[
            &format!("cannot open the lock file `{}`", lock.display()),
            "Permission denied",
        ],
    );
    assert_unchanged(&path, &before);
    assert_eq!(dir_names(&dir), ["credentials"]);
}

#[test]
fn a_held_lock_times_out_naming_the_lock_and_leaves_the_file_untouched() {
    let (dir, path) = credentials_in_tempdir();
    write_file(&path, SEED, 0o600);
    let before = fs::read(&path).unwrap();
    let lock_path = dir.path().join(".credentials.rolecreds.lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap();
    lock.lock().unwrap();

    let creds = Creds::for_index(1);
    let started = Instant::now();
    let output = import(&path, "dev", &creds, &["--lock-timeout", "300ms"]);
    let waited = started.elapsed();
    assert_error(
        &output,
        4,
        &["timed out after", &format!("`{}`", lock_path.display())],
    );
    assert!(
        waited >= Duration::from_millis(300),
        "gave up after {waited:?}"
    );
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");
    assert_unchanged(&path, &before);
    assert_eq!(temp_files(dir.path()), Vec::<String>::new());

    drop(lock);
    assert_success(&import(&path, "dev", &creds, &["--lock-timeout", "300ms"]));
    assert_eq!(
        sdk_credentials(&sdk_read(&read_text(&path)), "dev"),
        Some(creds)
    );
}

#[test]
fn a_directory_or_fifo_at_the_path_is_refused_without_hanging() {
    let (dir, path) = credentials_in_tempdir();
    fs::create_dir(&path).unwrap();
    let creds = Creds::for_index(1);
    let output = import(&path, "dev", &creds, &[]);
    assert_error(&output, 4, &["not a regular file (it is a directory)"]);
    assert!(fs::metadata(&path).unwrap().is_dir());
    assert_eq!(dir_names(&path), Vec::<String>::new());

    let fifo = dir.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let mut child = spawn(&mut import_command(&fifo, "dev", &[]));
    feed(&mut child, &creds.json());
    // A FIFO opened for reading with no writer would block forever.
    let output = wait_with_deadline(child, Duration::from_secs(10));
    assert_no_leak(&output, &[&creds.secret, &creds.token]);
    assert_error(&output, 4, &["not a regular file (it is a FIFO)"]);
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(temp_files(dir.path()), Vec::<String>::new());
}

#[test]
fn a_file_either_reader_would_reject_is_refused_byte_for_byte() {
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "a line without '='",
            b"[keep]\naws_access_key_id=AKIA\nthis line has no equals sign\n",
            "line 3: a line with no '='",
        ),
        (
            "a duplicate section",
            b"[a]\nx=1\n[a]\ny=2\n",
            "line 3: section [a] appears again",
        ),
        (
            "a duplicate key",
            b"[a]\nx=1\nX=2\n",
            "line 3: key x appears twice",
        ),
        (
            "a key before any header",
            b"x=1\n[a]\n",
            "line 1: a key before",
        ),
        ("a BOM", b"\xEF\xBB\xBF[a]\nx=1\n", "byte-order mark"),
        ("invalid UTF-8", b"[a]\nx=\xff\n", "line 2: not valid UTF-8"),
        (
            "an indented line under a rewritten key",
            b"[dev]\naws_session_token=abc\n  more\n",
            "line 3: this indented line",
        ),
    ];
    for (what, bytes, reason) in cases {
        let (dir, path) = credentials_in_tempdir();
        // 0644: a refused file is not even narrowed, nothing about it changes.
        write_file(&path, bytes, 0o644);
        let output = import(&path, "dev", &Creds::for_index(1), &[]);
        assert_error(
            &output,
            4,
            &[&format!("cannot update `{}`", path.display()), reason],
        );
        assert_unchanged(&path, bytes);
        assert_eq!(mode(&path), 0o644, "{what}");
        assert_eq!(temp_files(dir.path()), Vec::<String>::new(), "{what}");
    }
}

#[test]
fn usage_errors_touch_nothing() {
    let (dir, path) = credentials_in_tempdir();
    write_file(&path, SEED, 0o644);
    let names = dir_names(dir.path());

    for name in ["a b", "DEFAULT", "profile dev", "x]y", "a#b", ""] {
        let output = import(&path, name, &Creds::for_index(1), &[]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{name:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("invalid profile name"),
            "{name:?}: {}",
            stderr(&output)
        );
        assert_unchanged(&path, SEED.as_bytes());
        assert_eq!(dir_names(dir.path()), names, "{name:?} created files");
    }

    let bad_value = Creds {
        token: "has space".into(),
        ..Creds::for_index(1)
    };
    let output = import(&path, "dev", &bad_value, &[]);
    assert_error(&output, 2, &["aws_session_token", "base64 alphabet"]);
    let output = run(&mut import_command(&path, "dev", &[]), "{not json");
    assert_error(&output, 2, &["not JSON"]);
    assert_unchanged(&path, SEED.as_bytes());
    assert_eq!(mode(&path), 0o644);
    assert_eq!(dir_names(dir.path()), names);
}

#[test]
fn secret_values_never_appear_in_any_output() {
    let unique: String = (0..12).map(|_| fastrand::alphanumeric()).collect();
    let creds = Creds {
        key: "ASIACANARYKEY".into(),
        secret: format!("CANARYsecret{unique}+/="),
        token: format!("CANARYtoken{unique}//"),
    };
    let secrets = [creds.secret.as_str(), creds.token.as_str(), "CANARY"];
    let (dir, path) = credentials_in_tempdir();
    write_file(&path, SEED, 0o644);
    let mut runs: Vec<(&str, Output)> = Vec::new();

    runs.push((
        "a first write with a mode warning",
        import(&path, "dev", &creds, &[]),
    ));
    runs.push((
        "a write that changes nothing",
        import(&path, "dev", &creds, &[]),
    ));
    runs.push(("a quiet write", import(&path, "dev", &creds, &["--quiet"])));
    assert!(runs.iter().all(|(_, output)| output.status.success()));
    assert!(stderr(&runs[1].1).contains("kept profile dev"));
    let text = read_text(&path);
    assert!(
        text.contains(&creds.secret) && text.contains(&creds.token),
        "{text}"
    );

    let refused = dir.path().join("refused");
    write_file(&refused, "[dev]\nno equals here\n", 0o600);
    runs.push(("a refused file", import(&refused, "dev", &creds, &[])));

    let lock_path = dir.path().join(".credentials.rolecreds.lock");
    let lock = File::options().write(true).open(&lock_path).unwrap();
    lock.lock().unwrap();
    let timeout = ["--lock-timeout", "100ms"];
    runs.push(("a lock timeout", import(&path, "dev", &creds, &timeout)));
    drop(lock);

    let not_a_file = dir.path().join("a-directory");
    fs::create_dir(&not_a_file).unwrap();
    runs.push((
        "not a regular file",
        import(&not_a_file, "dev", &creds, &[]),
    ));
    runs.push(("a bad profile name", import(&path, "a b", &creds, &[])));

    let bad_char = Creds {
        token: format!("{} x", creds.token),
        ..creds.clone()
    };
    runs.push((
        "a token outside base64",
        import(&path, "dev", &bad_char, &[]),
    ));
    let bad_secret = Creds {
        secret: format!("{}\n[evil]", creds.secret),
        ..creds.clone()
    };
    runs.push((
        "a secret with a newline",
        import(&path, "dev", &bad_secret, &[]),
    ));
    let json = creds.json();
    let cut = &json[..json.find("SessionToken").unwrap() + 25];
    runs.push((
        "truncated JSON",
        run(&mut import_command(&path, "dev", &[]), cut),
    ));
    let no_expiry = json.replace("Expiration", "Expires");
    runs.push((
        "a missing field",
        run(&mut import_command(&path, "dev", &[]), &no_expiry),
    ));
    let bad_expiry = json.replace(EXPIRATION, "tomorrow");
    runs.push((
        "a bad expiry",
        run(&mut import_command(&path, "dev", &[]), &bad_expiry),
    ));

    for (what, output) in &runs {
        let printed = [stdout(output), stderr(output)].concat();
        for secret in secrets {
            assert!(
                !printed.contains(secret),
                "{what} printed {secret:?}:\n{printed}"
            );
        }
    }
    let failures = runs.iter().filter(|(_, o)| !o.status.success()).count();
    assert_eq!(
        failures,
        runs.len() - 3,
        "every run after the first three fails"
    );
}

/// A developer without root may skip the tmpfs test, with a note; CI (CI=true, root) may not.
fn skip_outside_ci(reason: &str) {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{reason}: CI runs as root and must run this test");
    }
    eprintln!("SKIPPED outside CI: {reason}");
}
