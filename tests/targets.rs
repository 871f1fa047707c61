//! End-to-end tests of `--targets FILE` against a real STS/IAM endpoint (moto's server, see
//! tests/emulator/mod.rs): 50 roles across 5 accounts written in one commit and usable by the
//! AWS CLI, a target the source may not assume failing alone (exit 8), JSON results, a file
//! refused as a whole before any network call, and `--watch` batching due targets into one
//! commit per refresh.
//!
//! Accounts: moto keeps one IAM backend per account. The emulator seeds account 123456789012
//! (alice, `dns_editor`, `no_trust`); [`seed_roles`] creates ten roles there and ten in each of
//! four more accounts, the latter through credentials of a session assumed into that account
//! while auth is briefly off (moto keys a session's access key to the account in the role
//! ARN). With auth on, moto checks alice's own policy for every AssumeRole, but a role's trust
//! policy only when the role is in alice's account: it looks the role up in the caller's
//! backend and skips the trust check for roles it does not find there. So the other accounts'
//! roles trust alice (as they would have to on AWS) without moto enforcing it, and the target
//! that must fail alone is `no_trust`, in alice's account, where the trust policy is checked.

// Unix only: it exercises Unix modes, signals or process groups (scripts/cross-check runs
// the Windows binary under Wine instead).
#![cfg(unix)]

mod emulator;

use emulator::{ACCOUNT_ID, AccessKey, Moto, ROLE_DNS_EDITOR_ARN, ROLE_NO_TRUST_ARN, Sandbox};
use rolecreds::domain::editor::validate::parse_credentials_text;
use std::fmt::Write as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

const ACCOUNTS: [&str; 5] = [
    ACCOUNT_ID,
    "111111111111",
    "222222222222",
    "333333333333",
    "444444444444",
];
const ROLES_PER_ACCOUNT: usize = 10;

/// Creates `role_00`..`role_09` trusting alice in each of [`ACCOUNTS`]; returns
/// (account, role name) in creation order.
fn seed_roles(moto: &Moto) -> Vec<(String, String)> {
    moto.set_auth_enforced(false);
    let seeding = AccessKey {
        id: "AKIDSEEDING000000000".into(),
        secret: "seeding".into(),
    };
    let base = moto.sdk_config(&seeding, None);
    let roles = Moto::block_on(async {
        let mut roles = Vec::new();
        for account in ACCOUNTS {
            let config = if account == ACCOUNT_ID {
                base.clone()
            } else {
                let issued = aws_sdk_sts::Client::new(&base)
                    .assume_role()
                    .role_arn(format!("arn:aws:iam::{account}:role/seeder"))
                    .role_session_name("seeder")
                    .send()
                    .await
                    .expect("assume a session in the other account");
                let c = issued.credentials().expect("credentials");
                let key = AccessKey {
                    id: c.access_key_id().to_owned(),
                    secret: c.secret_access_key().to_owned(),
                };
                moto.sdk_config(&key, Some(c.session_token().to_owned()))
            };
            let iam = aws_sdk_iam::Client::new(&config);
            let trust = serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": emulator::ALICE_ARN},
                               "Action": "sts:AssumeRole"}]
            });
            for n in 0..ROLES_PER_ACCOUNT {
                let name = format!("role_{n:02}");
                let created = iam
                    .create_role()
                    .role_name(&name)
                    .assume_role_policy_document(trust.to_string())
                    .send()
                    .await
                    .expect("CreateRole");
                let arn = created.role().expect("role").arn().to_owned();
                assert_eq!(arn, format!("arn:aws:iam::{account}:role/{name}"));
                roles.push((account.to_owned(), name));
            }
        }
        roles
    });
    moto.set_auth_enforced(true);
    roles
}

/// The targets file for `roles`: profile `p-ACCOUNT-ROLE`, half named by ARN, half by account
/// id and role name.
fn targets_toml(roles: &[(String, String)]) -> String {
    let mut text = String::from("# fifty roles\n[defaults]\nduration = \"1h\"\n");
    for (n, (account, role)) in roles.iter().enumerate() {
        let _ = write!(text, "\n[[target]]\nprofile = \"p-{account}-{role}\"\n");
        if n % 2 == 0 {
            let _ = writeln!(text, "role_arn = \"arn:aws:iam::{account}:role/{role}\"");
        } else {
            let _ = writeln!(text, "account_id = \"{account}\"\nrole_name = \"{role}\"");
        }
    }
    text
}

fn write_targets(sandbox: &Sandbox, text: &str) -> PathBuf {
    let path = sandbox.home().join("targets.toml");
    std::fs::write(&path, text).expect("write targets.toml");
    path
}

fn run(sandbox: &Sandbox, args: &[&str]) -> Output {
    sandbox
        .rolecreds()
        .args(args)
        .output()
        .expect("run rolecreds")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Each profile's access key, by aws-config's parser.
fn keys(path: &Path) -> std::collections::BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).expect("read the credentials file");
    let parsed = parse_credentials_text(&text).expect("aws-config parses the file");
    parsed
        .profiles()
        .filter_map(|name| {
            let key = parsed.get_profile(name)?.get("aws_access_key_id")?;
            Some((name.to_owned(), key.to_owned()))
        })
        .collect()
}

#[test]
fn fifty_roles_in_five_accounts_are_written_in_one_commit_and_usable() {
    let moto = Moto::start();
    let roles = seed_roles(&moto);
    assert_eq!(roles.len(), 50);
    let sandbox = moto.sandbox();
    let credentials = sandbox.credentials_file();
    let before = "# my keys\n[other]\naws_access_key_id = AKIAKEEP\nregion = eu-west-1\n";
    std::fs::write(&credentials, before).expect("seed the credentials file");
    let inode_before = std::fs::metadata(&credentials).unwrap().ino();
    let targets = write_targets(&sandbox, &targets_toml(&roles));
    let issued_before = moto.assumed_role_keys().len();

    let started = Instant::now();
    let output = run(&sandbox, &["--targets", targets.to_str().unwrap(), "-v"]);
    let took = started.elapsed();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");

    // One commit: one log line for all 50, and the file was replaced (new inode) once.
    assert_eq!(err.matches("committed ").count(), 1, "{err}");
    assert!(err.contains("committed 50 profiles in one write"), "{err}");
    assert_ne!(std::fs::metadata(&credentials).unwrap().ino(), inode_before);
    assert_eq!(err.matches("wrote profile p-").count(), 50, "{err}");
    assert_eq!(moto.assumed_role_keys().len() - issued_before, 50);
    // The source is resolved and named once (one GetUser), not once per target.
    assert_eq!(err.matches("session names use").count(), 1, "{err}");

    let text = std::fs::read_to_string(&credentials).unwrap();
    assert!(
        text.starts_with(before),
        "the old text must stay byte for byte:\n{text}"
    );
    let written = keys(&credentials);
    assert_eq!(written.len(), 51);
    assert_eq!(written["other"], "AKIAKEEP");

    // A sample of the profiles, one per account, works for the AWS CLI as that role.
    for (account, role) in roles.iter().step_by(ROLES_PER_ACCOUNT + 1) {
        let profile = format!("p-{account}-{role}");
        let arn = sandbox
            .aws_cli_caller_arn(&profile)
            .unwrap_or_else(|e| panic!("aws --profile {profile}: {e}"));
        assert_eq!(
            arn,
            format!("arn:aws:sts::{account}:assumed-role/{role}/alice@{role}.{account}")
        );
    }
    eprintln!("50 targets took {took:?}");
}

#[test]
fn a_target_the_source_may_not_assume_fails_alone() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let text = format!(
        "[[target]]\nprofile = \"dns\"\nrole_arn = \"{ROLE_DNS_EDITOR_ARN}\"\n\n\
         [[target]]\nprofile = \"refused\"\nrole_arn = \"{ROLE_NO_TRUST_ARN}\"\n\n\
         [[target]]\nprofile = \"team\"\naccount_id = \"{ACCOUNT_ID}\"\nrole_name = \"team/x\"\n"
    );
    let targets = write_targets(&sandbox, &text);
    let output = run(&sandbox, &["--targets", targets.to_str().unwrap(), "-v"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(8), "{err}");
    let refused: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("rolecreds: error: target "))
        .collect();
    assert_eq!(refused.len(), 1, "{err}");
    assert!(
        refused[0].starts_with("rolecreds: error: target refused: sts:AssumeRole: AccessDenied"),
        "{err}"
    );
    assert!(err.contains("committed 2 profiles in one write"), "{err}");
    assert!(
        err.contains("rolecreds: error: 1 of 3 targets failed"),
        "{err}"
    );
    let written = keys(&sandbox.credentials_file());
    assert_eq!(
        written.keys().map(String::as_str).collect::<Vec<_>>(),
        ["dns", "team"]
    );
    assert!(sandbox.aws_cli_caller_arn("team").is_ok());
}

#[test]
fn json_reports_each_target_and_no_secret() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let text = format!(
        "[defaults]\nsession_name = \"ci-{{role}}\"\n\n\
         [[target]]\nprofile = \"dns\"\nrole_arn = \"{ROLE_DNS_EDITOR_ARN}\"\n\n\
         [[target]]\nprofile = \"refused\"\nrole_arn = \"{ROLE_NO_TRUST_ARN}\"\n"
    );
    let targets = write_targets(&sandbox, &text);
    let output = run(
        &sandbox,
        &["--targets", targets.to_str().unwrap(), "--output", "json"],
    );
    assert_eq!(output.status.code(), Some(8), "{}", stderr(&output));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let entries: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON array");
    let entries = entries.as_array().expect("an array");
    assert_eq!(entries.len(), 2, "{stdout}");
    assert_eq!(entries[0]["profile"], "dns");
    assert_eq!(entries[0]["role_arn"], ROLE_DNS_EDITOR_ARN);
    assert_eq!(entries[0]["session_name"], "ci-dns_editor");
    assert_eq!(entries[0]["error"], serde_json::Value::Null);
    assert_eq!(entries[0]["changed"], true);
    let key = entries[0]["access_key_id"].as_str().expect("a key id");
    assert_eq!(keys(&sandbox.credentials_file())["dns"], key);
    assert!(entries[0]["expiration"].as_str().unwrap().ends_with('Z'));
    assert_eq!(entries[1]["profile"], "refused");
    assert_eq!(entries[1]["access_key_id"], serde_json::Value::Null);
    assert!(
        entries[1]["error"]
            .as_str()
            .unwrap()
            .contains("AccessDenied"),
        "{stdout}"
    );
    let text = std::fs::read_to_string(sandbox.credentials_file()).unwrap();
    for line in text.lines() {
        if let Some(secret) = line.strip_prefix("aws_secret_access_key=") {
            assert!(!stdout.contains(secret), "a secret reached stdout");
        }
        if let Some(token) = line.strip_prefix("aws_session_token=") {
            assert!(!stdout.contains(token), "a token reached stdout");
        }
    }
}

#[test]
fn when_every_target_fails_the_exit_code_is_the_first_failures() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let text = format!("[[target]]\nprofile = \"refused\"\nrole_arn = \"{ROLE_NO_TRUST_ARN}\"\n");
    let targets = write_targets(&sandbox, &text);
    let output = run(&sandbox, &["--targets", targets.to_str().unwrap()]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(
        err.contains("all 1 targets failed; the first, refused"),
        "{err}"
    );
    assert!(!sandbox.credentials_file().exists());
}

#[test]
fn a_bad_file_is_refused_whole_with_line_numbers_before_any_network_call() {
    // A closed port: any network call would fail with exit 6, not 2.
    let sandbox = Sandbox::offline();
    let text = format!(
        "[defaults]\nduration = \"1h\"\n\n\
         [[target]]\nprofile = \"ok\"\nrole_arn = \"{ROLE_DNS_EDITOR_ARN}\"\n\n\
         [[target]]\nprofile = \"bad\"\nrole_arn = \"arn:aws:iam::42:role/x\"\n\n\
         [[target]]\nprofile = \"ok\"\nrole_arn = \"{ROLE_DNS_EDITOR_ARN}\"\n"
    );
    let targets = write_targets(&sandbox, &text);
    let shown = targets.display().to_string();
    let output = run(&sandbox, &["--targets", &shown]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with(&format!("rolecreds: error: {shown}:10: invalid role_arn")),
        "{err}"
    );
    assert!(
        lines[1].starts_with(&format!(
            "rolecreds: error: {shown}:13: profile ok is already written by the target on line 4"
        )),
        "{err}"
    );
    assert!(!sandbox.credentials_file().exists());

    std::fs::write(&targets, "[[target]]\nprofile = \"a\"\nrole = \"x\"\n").unwrap();
    let output = run(&sandbox, &["--targets", &shown]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with(&format!(
            "rolecreds: error: {shown}:3: unknown field `role`"
        )),
        "{}",
        stderr(&output)
    );
}

/// A running `rolecreds --targets … --watch`, stderr going to a file the test reads.
struct Watcher {
    child: Child,
    _dir: tempfile::TempDir,
    stderr: PathBuf,
}

impl Watcher {
    fn spawn(sandbox: &Sandbox, args: &[&str]) -> Watcher {
        let dir = tempfile::tempdir().unwrap();
        let stderr = dir.path().join("stderr");
        let child = sandbox
            .rolecreds()
            .args(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("start rolecreds --watch");
        Watcher {
            child,
            _dir: dir,
            stderr,
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    fn wait_for(&mut self, needle: &str, times: usize, timeout: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if self.stderr().matches(needle).count() >= times {
                return true;
            }
            if !matches!(self.child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.stderr().matches(needle).count() >= times
    }

    fn terminate(&mut self) -> Option<i32> {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) with the pid of our own unreaped child.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn watch_refreshes_each_target_on_its_schedule_and_batches_those_due_together() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    // `fast-a` and `fast-b` fall due together about every 5 s (900 s sessions refreshed 895 s
    // before expiry); `slow` every 10 s.
    let text = format!(
        "[defaults]\nduration = 900\nrefresh_before = \"895s\"\n\n\
         [[target]]\nprofile = \"fast-a\"\nrole_arn = \"{ROLE_DNS_EDITOR_ARN}\"\n\n\
         [[target]]\nprofile = \"fast-b\"\nrole_arn = \"arn:aws:iam::{ACCOUNT_ID}:role/team/x\"\n\n\
         [[target]]\nprofile = \"slow\"\nrole_arn = \"{ROLE_DNS_EDITOR_ARN}\"\nrefresh_before = 890\n"
    );
    let targets = write_targets(&sandbox, &text);
    let mut watcher = Watcher::spawn(
        &sandbox,
        &["--targets", targets.to_str().unwrap(), "--watch", "-v"],
    );
    assert!(
        watcher.wait_for(
            "committed 3 profiles in one write",
            1,
            Duration::from_secs(20)
        ),
        "{}",
        watcher.stderr()
    );
    let first = keys(&sandbox.credentials_file());
    assert!(
        watcher.wait_for("wrote profile fast-a", 3, Duration::from_secs(20)),
        "{}",
        watcher.stderr()
    );
    assert!(
        watcher.wait_for("wrote profile slow", 2, Duration::from_secs(20)),
        "{}",
        watcher.stderr()
    );
    assert!(
        watcher.wait_for(
            "committed 2 profiles in one write",
            1,
            Duration::from_secs(20)
        ),
        "the two fast targets should be refreshed together:\n{}",
        watcher.stderr()
    );
    assert_eq!(watcher.terminate(), Some(0), "{}", watcher.stderr());
    let log = watcher.stderr();
    // Every commit wrote only what was due: no commit of one fast target alone.
    for line in log.lines().filter(|l| l.contains("committed ")) {
        assert!(
            line.contains("committed 2 ")
                || line.contains("committed 3 ")
                || line.contains("committed 1 "),
            "{log}"
        );
    }
    let fast_writes = log.matches("wrote profile fast-a").count();
    let slow_writes = log.matches("wrote profile slow").count();
    assert!(
        fast_writes > slow_writes,
        "fast-a {fast_writes}, slow {slow_writes}:\n{log}"
    );
    assert_eq!(
        fast_writes,
        log.matches("wrote profile fast-b").count(),
        "{log}"
    );
    let last = keys(&sandbox.credentials_file());
    assert_ne!(first["fast-a"], last["fast-a"]);
    for profile in ["fast-a", "fast-b", "slow"] {
        sandbox
            .aws_cli_caller_arn(profile)
            .unwrap_or_else(|e| panic!("{profile}: {e}"));
    }
}
