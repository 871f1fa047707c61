//! End-to-end tests of the modes that keep credentials fresh, against a real STS/IAM endpoint
//! (moto's server, see tests/emulator/mod.rs):
//!
//! - `--watch`: rotates at once and again before each expiry, refreshes on SIGHUP, stops
//!   cleanly on SIGTERM, rides out an endpoint outage with backoff while the last good
//!   credentials stay, ends with exit 3 on AccessDenied, and cooperates with a second watcher
//!   on the same file without ever leaving it unreadable;
//! - `--min-remaining`: no STS call (no network at all) while the profile is fresh enough;
//! - `--credential-process`: the AWS CLI, boto3 and the AWS SDK for Rust each get the role's
//!   credentials through `credential_process` in `~/.aws/config`, and a 0600 cache makes the
//!   many invocations cost one AssumeRole.
//!
//! AssumeRole calls are counted from moto's model data ([`Moto::assumed_role_keys`]), since
//! its request log does not name actions. Watchers are started with `--duration 900
//! --refresh-before 895s` where a test needs refreshes about every 5 s, and with the default
//! 1 h session where only a signal may explain a new key.

// Unix only: it exercises Unix modes, signals or process groups (scripts/cross-check runs
// the Windows binary under Wine instead).
#![cfg(unix)]

mod emulator;

use emulator::background::Background;
use emulator::{Moto, ROLE_DNS_EDITOR_ARN, ROLE_NO_TRUST_ARN, Sandbox};
use rolecreds::domain::editor::validate::parse_credentials_text;
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

const DNS_EDITOR_SESSION_ARN: &str =
    "arn:aws:sts::123456789012:assumed-role/dns_editor/alice@dns_editor.123456789012";
/// Refresh about every 5 s: 900 s sessions refreshed 895 s before expiry.
const FAST: [&str; 4] = ["--duration", "900", "--refresh-before", "895s"];
const WRITTEN_KEYS: [&str; 4] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "x_security_token_expires",
];
const RETRY_WARNING: &str = "rolecreds: warning: refresh failed (attempt ";
const SKIPPED: &str = "was refreshed by another rolecreds";

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Starts `rolecreds ARGS...` (a watcher) in the background in `sandbox`.
fn spawn_watcher(sandbox: &Sandbox, args: &[&str]) -> Background {
    let mut command = sandbox.rolecreds();
    command.args(args);
    Background::spawn(command)
}

/// SIGTERM, then exit 0 within `within`; returns how long it took.
fn terminate(watcher: &mut Background, within: Duration) -> Duration {
    watcher.signal(libc::SIGTERM);
    match watcher.wait_exit(within) {
        Some((status, took)) => {
            assert_eq!(
                status.code(),
                Some(0),
                "SIGTERM should end the watch with exit 0:\n{}",
                watcher.describe()
            );
            took
        }
        None => panic!(
            "still running {within:?} after SIGTERM:\n{}",
            watcher.describe()
        ),
    }
}

/// Each profile's properties, parsed with aws-config's own parser; `Err` when that parser
/// refuses the text. A missing file reads as no profiles.
fn parse_file(path: &Path) -> Result<BTreeMap<String, BTreeMap<String, String>>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let parsed = parse_credentials_text(&text)
        .map_err(|e| format!("aws-config cannot parse the file ({e}):\n{text}"))?;
    let mut profiles = BTreeMap::new();
    for name in parsed.profiles() {
        let profile = parsed.get_profile(name).expect("listed profile");
        let values = WRITTEN_KEYS
            .iter()
            .filter_map(|key| profile.get(key).map(|v| ((*key).to_owned(), v.to_owned())))
            .collect();
        profiles.insert(name.to_owned(), values);
    }
    Ok(profiles)
}

/// The access key in `profile`, if the profile is there; panics if the file does not parse.
fn current_key(path: &Path, profile: &str) -> Option<String> {
    let profiles = parse_file(path).unwrap_or_else(|e| panic!("{e}"));
    profiles.get(profile)?.get("aws_access_key_id").cloned()
}

/// Polls until the profile's key differs from `previous` (or appears); the new key and how
/// long it took.
fn wait_for_new_key(
    path: &Path,
    profile: &str,
    previous: Option<&str>,
    timeout: Duration,
) -> Option<(String, Duration)> {
    let start = Instant::now();
    loop {
        if let Some(key) = current_key(path, profile)
            && Some(key.as_str()) != previous
        {
            return Some((key, start.elapsed()));
        }
        if start.elapsed() > timeout {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Asserts every profile in `names` holds a complete set of written keys.
fn assert_complete_profiles(path: &Path, names: &[&str]) {
    let profiles = parse_file(path).unwrap_or_else(|e| panic!("final file: {e}"));
    for name in names {
        let values = profiles
            .get(*name)
            .unwrap_or_else(|| panic!("no [{name}] in the final file: {profiles:?}"));
        for key in WRITTEN_KEYS {
            assert!(values.contains_key(key), "[{name}] lacks {key}: {values:?}");
        }
    }
}

fn watch_args<'a>(profile: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--role-arn",
        ROLE_DNS_EDITOR_ARN,
        "--profile-name",
        profile,
        "--watch",
    ];
    args.extend_from_slice(extra);
    args
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// A reader that parses the credentials file in a loop until stopped, as a consumer
/// starting at an unlucky moment would. Reports how many reads it made and the first
/// problem: a parse failure, an incomplete profile, or a profile that vanished.
struct Reader {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<(usize, Option<String>)>,
}

impl Reader {
    fn start(path: PathBuf, profiles: &[&str]) -> Reader {
        let stop = Arc::new(AtomicBool::new(false));
        let profiles: Vec<String> = profiles.iter().map(|p| (*p).to_owned()).collect();
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut reads = 0;
            let mut seen = BTreeSet::new();
            while !flag.load(Ordering::Relaxed) {
                reads += 1;
                let parsed = match parse_file(&path) {
                    Ok(parsed) => parsed,
                    Err(e) => return (reads, Some(format!("read {reads}: {e}"))),
                };
                for name in &profiles {
                    match parsed.get(name) {
                        Some(values) if values.len() == WRITTEN_KEYS.len() => {
                            seen.insert(name.clone());
                        }
                        Some(values) => {
                            return (
                                reads,
                                Some(format!("read {reads}: incomplete [{name}]: {values:?}")),
                            );
                        }
                        None if seen.contains(name) => {
                            return (
                                reads,
                                Some(format!("read {reads}: [{name}] vanished: {parsed:?}")),
                            );
                        }
                        None => {}
                    }
                }
            }
            (reads, None)
        });
        Reader { stop, thread }
    }

    fn finish(self) -> (usize, Option<String>) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("reader thread")
    }
}

/// The `access_key_id` and `expiration` of each `--output json` line a watcher printed.
fn json_writes(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .map(|line| {
            let report: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line:?}"));
            (
                report["access_key_id"]
                    .as_str()
                    .expect("access_key_id")
                    .to_owned(),
                report["expiration"]
                    .as_str()
                    .expect("expiration")
                    .to_owned(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// --watch
// ---------------------------------------------------------------------------------------

#[test]
fn watch_refreshes_before_each_expiry_and_stops_cleanly_on_sigterm() {
    const PROFILE: &str = "watched";
    const WINDOW: Duration = Duration::from_secs(18);
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let file = sandbox.credentials_file();
    let mut watcher = spawn_watcher(&sandbox, &watch_args(PROFILE, &FAST));

    let mut keys = Vec::<String>::new();
    let start = Instant::now();
    while start.elapsed() < WINDOW {
        let profiles = parse_file(&file).unwrap_or_else(|e| panic!("while watching: {e}"));
        if let Some(key) = profiles
            .get(PROFILE)
            .and_then(|p| p.get("aws_access_key_id"))
            && keys.last() != Some(key)
        {
            keys.push(key.clone());
        }
        assert!(
            watcher.is_running(),
            "the watcher exited:\n{}",
            watcher.describe()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let took = terminate(&mut watcher, Duration::from_secs(2));
    if let Some(key) = current_key(&file, PROFILE)
        && keys.last() != Some(&key)
    {
        keys.push(key);
    }
    let stderr = watcher.stderr();
    println!(
        "{}\nkeys: {keys:?}\nSIGTERM to exit: {took:?}",
        watcher.describe()
    );

    let distinct: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(distinct.len(), keys.len(), "a key came back: {keys:?}");
    // At 0 s and about every 5 s after: 4 or 5 in 18 s. A watcher that did not wait between
    // refreshes would write dozens.
    assert!(
        (3..=7).contains(&keys.len()),
        "{} keys in {WINDOW:?}, expected about one per 5 s: {keys:?}\n{stderr}",
        keys.len()
    );
    let writes = stderr.matches("wrote profile watched").count();
    assert_eq!(
        writes,
        keys.len(),
        "one `wrote profile` line per key seen:\n{stderr}"
    );
    assert!(
        !stderr.contains("warning") && !stderr.contains("error"),
        "{stderr}"
    );
    assert_eq!(
        moto.assumed_role_keys().len(),
        keys.len(),
        "one AssumeRole per write"
    );

    assert_complete_profiles(&file, &[PROFILE]);
    assert_eq!(mode(&file), 0o600, "credentials file mode");
    assert_eq!(
        current_key(&file, PROFILE).as_ref(),
        keys.last(),
        "the last key seen is the one left"
    );
    assert_eq!(
        sandbox.aws_cli_caller_arn(PROFILE),
        Ok(DNS_EDITOR_SESSION_ARN.to_owned()),
        "the AWS CLI with the final profile"
    );
}

#[test]
fn sighup_refreshes_at_once() {
    const PROFILE: &str = "hup";
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let file = sandbox.credentials_file();
    // The default 1 h session is next refreshed in about 45 min: only SIGHUP can explain a
    // new key within seconds.
    let mut watcher = spawn_watcher(&sandbox, &watch_args(PROFILE, &["-v"]));
    let (first, _) = wait_for_new_key(&file, PROFILE, None, Duration::from_secs(15))
        .unwrap_or_else(|| panic!("no first write:\n{}", watcher.describe()));

    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        current_key(&file, PROFILE).as_deref(),
        Some(first.as_str()),
        "refreshed without a signal:\n{}",
        watcher.describe()
    );

    let mut keys = vec![first];
    let mut delays = Vec::new();
    for _ in 0..2 {
        watcher.signal(libc::SIGHUP);
        let (key, took) = wait_for_new_key(
            &file,
            PROFILE,
            keys.last().map(String::as_str),
            Duration::from_secs(5),
        )
        .unwrap_or_else(|| panic!("no refresh within 5 s of SIGHUP:\n{}", watcher.describe()));
        keys.push(key);
        delays.push(took);
        assert!(watcher.is_running(), "SIGHUP ended the watch");
    }
    // SIGINT (Ctrl-C) ends the watch as cleanly as SIGTERM.
    watcher.signal(libc::SIGINT);
    let stopped = watcher.wait_exit(Duration::from_secs(2));
    println!("{}\nSIGHUP to new key: {delays:?}", watcher.describe());
    let (status, _) = stopped.expect("still running 2 s after SIGINT");
    assert_eq!(
        status.code(),
        Some(0),
        "SIGINT should end the watch with exit 0"
    );
    for took in &delays {
        assert!(
            *took < Duration::from_secs(1),
            "SIGHUP refreshes took {delays:?}"
        );
    }
    let stderr = watcher.stderr();
    assert_eq!(
        stderr.matches("wrote profile hup").count(),
        3,
        "the start and two SIGHUPs:\n{stderr}"
    );
    assert_eq!(moto.assumed_role_keys(), keys, "AssumeRole calls, in order");
    assert_eq!(
        sandbox.rust_sdk_caller_arn(PROFILE),
        Ok(DNS_EDITOR_SESSION_ARN.to_owned())
    );
}

#[test]
fn watch_survives_an_endpoint_outage_and_recovers() {
    const PROFILE: &str = "outage";
    let mut moto = Moto::start();
    // A restarted moto forgets alice's key: keep auth off throughout, as after the restart.
    moto.set_auth_enforced(false);
    let sandbox = moto.sandbox();
    let file = sandbox.credentials_file();
    let mut watcher = spawn_watcher(&sandbox, &watch_args(PROFILE, &FAST));
    wait_for_new_key(&file, PROFILE, None, Duration::from_secs(15))
        .unwrap_or_else(|| panic!("no first write:\n{}", watcher.describe()));

    moto.kill_server();
    let down = Instant::now();
    // The next refresh is due within about 5 s; each failed one is retried with backoff.
    assert!(
        watcher.wait_for_stderr(RETRY_WARNING, 2, Duration::from_secs(20)),
        "no two retry warnings while the endpoint was down:\n{}",
        watcher.describe()
    );
    let during = std::fs::read(&file).expect("credentials file");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        watcher.is_running(),
        "the watch ended on an unreachable endpoint:\n{}",
        watcher.describe()
    );
    let last_good = current_key(&file, PROFILE);

    moto.start_again();
    let outage = down.elapsed();
    let attempts = watcher.stderr().matches(RETRY_WARNING).count();
    let (key, took) = wait_for_new_key(
        &file,
        PROFILE,
        last_good.as_deref(),
        Duration::from_secs(20),
    )
    .unwrap_or_else(|| {
        panic!(
            "no new credentials within 20 s of the endpoint's return:\n{}",
            watcher.describe()
        )
    });
    terminate(&mut watcher, Duration::from_secs(2));
    let stderr = watcher.stderr();
    println!(
        "{}\noutage {outage:?}, {attempts} failed attempts, new key {took:?} after restart",
        watcher.describe()
    );

    assert_eq!(
        moto.assumed_role_keys(),
        vec![key.clone()],
        "the new key came from the restarted endpoint"
    );
    // The file holds the last good credentials all through the outage: the failed attempts
    // never touched it.
    let written_during = String::from_utf8_lossy(&during);
    assert!(
        last_good
            .as_deref()
            .is_some_and(|k| written_during.contains(k)),
        "{written_during}"
    );
    for (n, line) in stderr
        .lines()
        .filter(|line| line.starts_with(RETRY_WARNING))
        .enumerate()
    {
        let expected = format!("{RETRY_WARNING}{}), retrying in ", n + 1);
        assert!(
            line.starts_with(&expected),
            "retry warning {n}: {line:?}\n{stderr}"
        );
    }
    // Backoff from 1 s doubling: a few attempts over the outage, not a busy loop.
    assert!(
        attempts <= 2 + outage.as_secs() as usize,
        "{attempts} attempts in an outage of {outage:?}:\n{stderr}"
    );
    assert!(!stderr.contains("rolecreds: error"), "{stderr}");
    assert_complete_profiles(&file, &[PROFILE]);
}

#[test]
fn two_watchers_on_other_profiles_of_one_file_never_corrupt_it() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let file = sandbox.credentials_file();
    std::fs::write(
        &file,
        "# kept by hand\n[default]\nregion = us-east-1\n\n[other]\nregion = eu-west-1\n",
    )
    .unwrap();
    let reader = Reader::start(file.clone(), &["first", "second"]);
    let json = ["--output", "json", "-v"];
    let mut first = spawn_watcher(
        &sandbox,
        &watch_args("first", &[&FAST[..], &json[..]].concat()),
    );
    let mut second = spawn_watcher(
        &sandbox,
        &watch_args("second", &[&FAST[..], &json[..]].concat()),
    );
    std::thread::sleep(Duration::from_secs(10));
    terminate(&mut first, Duration::from_secs(2));
    terminate(&mut second, Duration::from_secs(2));
    let (reads, problem) = reader.finish();
    println!("{}\n{}\n{reads} reads", first.describe(), second.describe());
    assert_eq!(problem, None, "a reader saw a broken file");
    assert!(reads > 100, "the reader made only {reads} reads");

    let profiles = parse_file(&file).unwrap();
    assert_complete_profiles(&file, &["first", "second"]);
    assert!(
        profiles.contains_key("default") && profiles.contains_key("other"),
        "hand-written profiles lost: {profiles:?}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# kept by hand\n"), "{text}");
    let mut issued = 0;
    for (watcher, name) in [(&first, "first"), (&second, "second")] {
        let writes = json_writes(&watcher.stdout());
        issued += writes.len();
        assert!(
            writes.len() >= 2,
            "{name}: only {} writes in 10 s",
            writes.len()
        );
        // No lost update: each profile holds what its own watcher wrote last.
        assert_eq!(
            profiles[name].get("aws_access_key_id"),
            writes.last().map(|(key, _)| key),
            "[{name}] does not hold its watcher's last write"
        );
        assert_eq!(
            sandbox.rust_sdk_caller_arn(name),
            Ok(DNS_EDITOR_SESSION_ARN.to_owned()),
            "[{name}] with the AWS SDK for Rust"
        );
    }
    assert_eq!(
        moto.assumed_role_keys().len(),
        issued,
        "one AssumeRole per write"
    );
}

#[test]
fn two_watchers_on_the_same_profile_share_the_refreshes() {
    const PROFILE: &str = "shared";
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let file = sandbox.credentials_file();
    let reader = Reader::start(file.clone(), &[PROFILE]);
    let args = watch_args(PROFILE, &[&FAST[..], &["--output", "json", "-v"]].concat());
    let mut first = spawn_watcher(&sandbox, &args);
    let mut second = spawn_watcher(&sandbox, &args);
    std::thread::sleep(Duration::from_secs(10));
    terminate(&mut first, Duration::from_secs(2));
    terminate(&mut second, Duration::from_secs(2));
    let (reads, problem) = reader.finish();
    println!("{}\n{}\n{reads} reads", first.describe(), second.describe());
    assert_eq!(problem, None, "a reader saw a broken file");
    assert!(reads > 100, "the reader made only {reads} reads");

    let skips = first.stderr().matches(SKIPPED).count() + second.stderr().matches(SKIPPED).count();
    assert!(
        skips >= 1,
        "neither watcher adopted the other's fresh credentials (no `{SKIPPED}` at -v)"
    );
    let writes: Vec<(String, String)> = [first.stdout(), second.stdout()]
        .iter()
        .flat_map(|stdout| json_writes(stdout))
        .collect();
    let assumed = moto.assumed_role_keys();
    assert_eq!(
        assumed.len(),
        writes.len(),
        "one AssumeRole per write, none for a skipped refresh"
    );
    // Each watcher alone would write at 0 s and about every 5 s: 2 × 3 in 10 s. Each skip
    // is one refresh that cost no STS call.
    println!("{} writes, {skips} skipped refreshes", writes.len());

    // The file holds the newest credentials either one wrote (writes are serialised by the
    // lock, so the newest is the last).
    assert_complete_profiles(&file, &[PROFILE]);
    let newest = writes
        .iter()
        .map(|(_, expiration)| expiration.as_str())
        .max()
        .expect("some writes");
    let left = current_key(&file, PROFILE).unwrap();
    assert!(
        writes
            .iter()
            .any(|(key, expiration)| *key == left && expiration == newest),
        "the file holds {left}, not one of the newest writes {writes:?}"
    );
    assert_eq!(
        sandbox.aws_cli_caller_arn(PROFILE),
        Ok(DNS_EDITOR_SESSION_ARN.to_owned())
    );
}

#[test]
fn access_denied_ends_the_watch_with_exit_3() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let file = sandbox.credentials_file();

    // A role that never trusted alice: the first refresh is refused.
    let mut watcher = spawn_watcher(
        &sandbox,
        &[
            "--role-arn",
            ROLE_NO_TRUST_ARN,
            "--profile-name",
            "denied",
            "--watch",
        ],
    );
    let (status, took) = watcher
        .wait_exit(Duration::from_secs(5))
        .unwrap_or_else(|| panic!("still watching after AccessDenied:\n{}", watcher.describe()));
    let stderr = watcher.stderr();
    println!("{}\nexit after {took:?}", watcher.describe());
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(
        !stderr.contains(RETRY_WARNING),
        "retried AccessDenied:\n{stderr}"
    );
    assert!(
        stderr.starts_with("rolecreds: error: ") && stderr.trim_end().lines().count() == 1,
        "one error line:\n{stderr}"
    );
    assert!(stderr.contains("AccessDenied"), "{stderr}");
    assert!(
        !file.exists(),
        "a refused watch created the credentials file"
    );

    // Trust withdrawn while a watch runs: the next refresh (SIGHUP) is refused, the watch
    // ends with exit 3, and the last good credentials stay in the file.
    let mut watcher = spawn_watcher(&sandbox, &watch_args("revoked", &[]));
    wait_for_new_key(&file, "revoked", None, Duration::from_secs(15))
        .unwrap_or_else(|| panic!("no first write:\n{}", watcher.describe()));
    let before = std::fs::read(&file).unwrap();
    moto.set_auth_enforced(false);
    let trust_bob_only = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": emulator::BOB_ARN},
            "Action": "sts:AssumeRole"
        }]
    });
    let config = moto.sdk_config(moto.alice(), None);
    Moto::block_on(async {
        aws_sdk_iam::Client::new(&config)
            .update_assume_role_policy()
            .role_name(emulator::ROLE_DNS_EDITOR)
            .policy_document(trust_bob_only.to_string())
            .send()
            .await
            .expect("UpdateAssumeRolePolicy");
    });
    moto.set_auth_enforced(true);
    watcher.signal(libc::SIGHUP);
    let (status, took) = watcher
        .wait_exit(Duration::from_secs(5))
        .unwrap_or_else(|| panic!("still watching after AccessDenied:\n{}", watcher.describe()));
    let stderr = watcher.stderr();
    println!("{}\nexit {took:?} after SIGHUP", watcher.describe());
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(
        !stderr.contains(RETRY_WARNING),
        "retried AccessDenied:\n{stderr}"
    );
    assert!(
        stderr.contains("rolecreds: error: ") && stderr.contains("AccessDenied"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the refused refresh changed the file"
    );
    assert_eq!(
        moto.assumed_role_keys().len(),
        1,
        "only the first refresh got through"
    );
}

/// A hung endpoint (accepts connections, never answers: here moto under SIGSTOP) must not
/// hang the watcher: it should give up on the attempt and retry, stay responsive to SIGTERM,
/// and not keep other writers of the file waiting on its lock meanwhile.
///
/// Fails today: the STS call has no timeout, is made while holding the credentials-file lock,
/// and signals are only looked at between attempts, so the watcher waits silently for as long
/// as the endpoint hangs, `import` of another profile times out on the lock (exit 4), and
/// SIGTERM is ignored until the endpoint answers.
#[test]
fn watch_stays_responsive_while_the_endpoint_hangs() {
    const PROFILE: &str = "hung";
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let file = sandbox.credentials_file();
    let mut watcher = spawn_watcher(&sandbox, &watch_args(PROFILE, &FAST));
    wait_for_new_key(&file, PROFILE, None, Duration::from_secs(15))
        .unwrap_or_else(|| panic!("no first write:\n{}", watcher.describe()));
    let moto_pid = libc::pid_t::try_from(moto.pid()).unwrap();
    /// Lets moto run again however the test ends (before `moto` is dropped and reaped).
    struct Thaw(libc::pid_t);
    impl Drop for Thaw {
        fn drop(&mut self) {
            // SAFETY: kill(2) on the moto process this test started and has not reaped.
            unsafe { libc::kill(self.0, libc::SIGCONT) };
        }
    }
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(moto_pid, libc::SIGSTOP) }, 0);
    let _thaw = Thaw(moto_pid);
    // The next refresh is due within about 5 s; give it time to be stuck in the call.
    std::thread::sleep(Duration::from_secs(7));

    let mut import = sandbox
        .rolecreds()
        .args(["import", "--profile-name", "other", "--lock-timeout", "2s"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut import.stdin.take().unwrap(),
        br#"{"Version": 1, "AccessKeyId": "ASIAOTHER00000000000", "SecretAccessKey": "abc",
            "SessionToken": "tok", "Expiration": "2099-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let import = import.wait_with_output().unwrap();
    let import_stderr = String::from_utf8_lossy(&import.stderr).into_owned();

    watcher.signal(libc::SIGTERM);
    let stopped = watcher.wait_exit(Duration::from_secs(2));
    println!(
        "{}\nimport: {:?} {import_stderr}",
        watcher.describe(),
        import.status
    );
    assert!(
        stopped.is_some(),
        "SIGTERM ignored while the endpoint hangs"
    );
    assert_eq!(
        import.status.code(),
        Some(0),
        "another profile could not be written while the watcher waited on the endpoint: \
         {import_stderr}"
    );
}

// ---------------------------------------------------------------------------------------
// --min-remaining
// ---------------------------------------------------------------------------------------

#[test]
fn min_remaining_skips_a_fresh_profile_without_any_call() {
    const PROFILE: &str = "cron";
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let file = sandbox.credentials_file();
    let run = |sandbox: &Sandbox, extra: &[&str]| {
        let output = sandbox
            .rolecreds()
            .args(["--role-arn", ROLE_DNS_EDITOR_ARN, "--profile-name", PROFILE])
            .args(extra)
            .output()
            .expect("run rolecreds");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        println!("rolecreds {extra:?}: {:?}\n{stderr}", output.status);
        (output.status.code(), stderr)
    };

    let (code, stderr) = run(&sandbox, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let before = std::fs::read(&file).unwrap();
    assert_eq!(moto.assumed_role_keys().len(), 1);

    let (code, stderr) = run(&sandbox, &["--min-remaining", "10m", "-v"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("nothing to do"), "{stderr}");
    assert!(!stderr.contains("wrote profile"), "{stderr}");
    assert_eq!(std::fs::read(&file).unwrap(), before, "file changed");
    assert_eq!(moto.assumed_role_keys().len(), 1, "an AssumeRole was made");

    // No network call at all: the same run against a port that refuses connections.
    let mut offline = moto.sandbox();
    offline.set("AWS_ENDPOINT_URL", emulator::closed_endpoint());
    offline.set("AWS_SHARED_CREDENTIALS_FILE", &file);
    let (code, stderr) = run(&offline, &["--min-remaining", "10m"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(std::fs::read(&file).unwrap(), before, "file changed");

    // A 1 h profile does not have 2 h left: rotate.
    let old_key = current_key(&file, PROFILE);
    let (code, stderr) = run(&sandbox, &["--min-remaining", "2h", "-v"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("rotating") && stderr.contains("wrote profile cron"),
        "{stderr}"
    );
    let assumed = moto.assumed_role_keys();
    assert_eq!(assumed.len(), 2, "one more AssumeRole");
    assert_ne!(current_key(&file, PROFILE), old_key);
    assert_eq!(current_key(&file, PROFILE).as_ref(), assumed.last());
    assert_eq!(
        sandbox.rust_sdk_caller_arn(PROFILE),
        Ok(DNS_EDITOR_SESSION_ARN.to_owned())
    );
}

// ---------------------------------------------------------------------------------------
// --credential-process
// ---------------------------------------------------------------------------------------

/// Set (to a profile name) for the helper test that acts as an AWS SDK for Rust consumer.
const CONSUMER_PROFILE_VAR: &str = "ROLECREDS_TEST_RUST_CONSUMER_PROFILE";
const CONSUMER_ARN_PREFIX: &str = "CALLER_ARN=";

/// Not a test: the AWS SDK for Rust as a consumer process, run by
/// [`rust_sdk_consumer_arn`] in a sandbox's environment. It loads the default chain for the
/// named profile (so `credential_process` in the config file, run with this process's
/// environment), calls GetCallerIdentity and prints the ARN.
#[test]
#[ignore = "helper process for credential_process_serves_aws_cli_boto3_and_rust_sdk"]
fn rust_sdk_consumer_process() {
    let Some(profile) = std::env::var_os(CONSUMER_PROFILE_VAR) else {
        return;
    };
    let profile = profile.into_string().expect("profile name");
    let arn = emulator::rust_sdk_caller_arn_here(Some(&profile));
    // libtest prints `test NAME ... ` on the same line first: the ARN is one word.
    println!("\n{CONSUMER_ARN_PREFIX}{arn}");
}

/// Runs [`rust_sdk_consumer_process`] (this test binary again) without source keys in its
/// environment; returns the caller ARN it printed.
fn rust_sdk_consumer_arn(sandbox: &Sandbox, profile: &str) -> Result<String, String> {
    let mut command = sandbox.consumer_command(std::env::current_exe().expect("test binary"));
    command
        .args(["rust_sdk_consumer_process", "--exact", "--ignored"])
        .args(["--nocapture", "--test-threads", "1"])
        .env(CONSUMER_PROFILE_VAR, profile);
    let leaked: Vec<_> = command
        .get_envs()
        .filter(|(name, value)| name.to_str().unwrap().starts_with("AWS_ACCESS") && value.is_some())
        .collect();
    assert!(
        leaked.is_empty(),
        "source keys in the consumer's env: {leaked:?}"
    );
    let output = command.output().map_err(|e| format!("cannot run: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .split_whitespace()
        .find_map(|word| word.strip_prefix(CONSUMER_ARN_PREFIX))
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "{}: stdout {stdout:?}, stderr {:?}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        })
}

#[test]
fn credential_process_serves_aws_cli_boto3_and_rust_sdk() {
    let moto = Moto::start();
    let mut sandbox = moto.sandbox();
    // Only the [alice] profile holds the source keys.
    sandbox
        .remove("AWS_ACCESS_KEY_ID")
        .remove("AWS_SECRET_ACCESS_KEY");
    let alice = moto.alice();
    let file = sandbox.credentials_file();
    std::fs::write(&file, alice.profile("alice")).unwrap();
    std::fs::write(
        sandbox.config_file(),
        format!(
            "[profile consumer]\ncredential_process = {} --role-arn {ROLE_DNS_EDITOR_ARN} \
             --credential-process --source-profile alice\nregion = us-east-1\n",
            env!("CARGO_BIN_EXE_rolecreds")
        ),
    )
    .unwrap();
    let credentials_before = std::fs::read(&file).unwrap();

    type Consumer = fn(&Sandbox, &str) -> Result<String, String>;
    let consumers: [(&str, Consumer); 5] = [
        ("AWS CLI", Sandbox::aws_cli_caller_arn),
        ("boto3", Sandbox::boto3_caller_arn),
        ("AWS SDK for Rust", rust_sdk_consumer_arn),
        ("AWS CLI again", Sandbox::aws_cli_caller_arn),
        ("boto3 again", Sandbox::boto3_caller_arn),
    ];
    for (name, consumer) in consumers {
        let started = Instant::now();
        let arn = consumer(&sandbox, "consumer")
            .unwrap_or_else(|e| panic!("{name} via credential_process: {e}"));
        println!("{name}: {arn} in {:?}", started.elapsed());
        assert_eq!(arn, DNS_EDITOR_SESSION_ARN, "{name}");
    }
    let assumed = moto.assumed_role_keys();
    assert_eq!(
        assumed.len(),
        1,
        "five consumer runs should cost one AssumeRole (the cache serves the rest)"
    );

    // The cache: one file, owner-only, in <credentials dir>/rolecreds/cache.
    let cache_dir = file.parent().unwrap().join("rolecreds/cache");
    let cached: Vec<PathBuf> = std::fs::read_dir(&cache_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", cache_dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
    assert_eq!(mode(&cached[0]), 0o600, "cache file mode");
    assert_eq!(mode(&cache_dir) & 0o077, 0, "cache directory is private");

    // Called directly: stdout is exactly one Version 1 document, from the cache.
    let output = sandbox
        .consumer_command(env!("CARGO_BIN_EXE_rolecreds"))
        .args(["--role-arn", ROLE_DNS_EDITOR_ARN])
        .args(["--credential-process", "--source-profile", "alice"])
        .output()
        .unwrap();
    let document = emulator::process_document(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(document["AccessKeyId"].as_str(), Some(assumed[0].as_str()));
    let expiration = humantime::parse_rfc3339(document["Expiration"].as_str().unwrap())
        .expect("Expiration is RFC 3339");
    let left = expiration.duration_since(SystemTime::now()).unwrap();
    assert!(
        left > Duration::from_secs(50 * 60),
        "a 1 h session has {left:?} left"
    );
    for secret in ["SecretAccessKey", "SessionToken"] {
        assert!(
            !stderr.contains(document[secret].as_str().unwrap()),
            "{secret} on stderr"
        );
    }
    assert_eq!(moto.assumed_role_keys().len(), 1, "served from the cache");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        credentials_before,
        "credential_process must not write the credentials file"
    );

    // A cached document inside the refresh margin (15 min for 1 h) is not served.
    let mut stale = document.clone();
    stale["Expiration"] =
        humantime::format_rfc3339_seconds(SystemTime::now() + Duration::from_secs(600))
            .to_string()
            .into();
    std::fs::write(&cached[0], stale.to_string()).unwrap();
    std::fs::set_permissions(&cached[0], std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = sandbox
        .consumer_command(env!("CARGO_BIN_EXE_rolecreds"))
        .args(["--role-arn", ROLE_DNS_EDITOR_ARN])
        .args(["--credential-process", "--source-profile", "alice"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let fresh: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let assumed = moto.assumed_role_keys();
    assert_eq!(assumed.len(), 2, "a stale cache needs a new AssumeRole");
    assert_eq!(fresh["AccessKeyId"].as_str(), Some(assumed[1].as_str()));
    assert_eq!(
        mode(&cached[0]),
        0o600,
        "a refreshed cache file is owner-only again"
    );
}

/// A watcher started before the endpoint is reachable (at boot, say) waits and retries
/// instead of exiting, and writes as soon as the endpoint answers.
#[test]
fn watch_started_while_the_endpoint_is_down_waits_for_it() {
    const PROFILE: &str = "early";
    let mut moto = Moto::start();
    moto.set_auth_enforced(false);
    let sandbox = moto.sandbox();
    let file = sandbox.credentials_file();
    moto.kill_server();
    let mut watcher = spawn_watcher(&sandbox, &watch_args(PROFILE, &FAST));
    assert!(
        watcher.wait_for_stderr(RETRY_WARNING, 2, Duration::from_secs(20)),
        "no retry warnings while the endpoint was down:\n{}",
        watcher.describe()
    );
    assert!(
        watcher.is_running(),
        "exited instead of waiting:\n{}",
        watcher.describe()
    );
    moto.start_again();
    wait_for_new_key(&file, PROFILE, None, Duration::from_secs(20)).unwrap_or_else(|| {
        panic!(
            "no write after the endpoint came up:\n{}",
            watcher.describe()
        )
    });
    terminate(&mut watcher, Duration::from_secs(2));
}
