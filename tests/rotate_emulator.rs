//! End-to-end tests of the rotation command against a real STS/IAM endpoint (moto's server
//! with auth, policies and trust policies enforced; see tests/emulator/mod.rs).
//!
//! Each test runs the built binary with an empty environment plus a sandbox (temp HOME and
//! credentials file, alice's keys, the endpoint), then checks what real consumers see: the
//! AWS CLI, boto3 and the AWS SDK for Rust read the written profile and call
//! GetCallerIdentity, which moto answers only for genuinely valid key + secret + token.
//! Failure cases check the exit code, the one-line message, and that the credentials file is
//! byte-identical afterwards. Input errors are checked against a closed port, which proves
//! they are found before any network call.

// Unix only: it exercises Unix modes, signals or process groups (scripts/cross-check runs
// the Windows binary under Wine instead).
#![cfg(unix)]

mod emulator;

use emulator::{ACCOUNT_ID, AccessKey, Moto, ROLE_DNS_EDITOR_ARN, Sandbox};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

const PROFILE: &str = "dns_editor_profile";
const DNS_EDITOR_SESSION_ARN: &str =
    "arn:aws:sts::123456789012:assumed-role/dns_editor/alice@dns_editor.123456789012";

/// A hand-edited file that must survive every refused run byte for byte.
const EXISTING_FILE: &str = "\
# my credentials; keep this comment
[other]
aws_access_key_id = AKIAOTHER00000000000
aws_secret_access_key = otherSecretKey0000000000000000000000000000

[stale]
aws_access_key_id=ASIASTALE00000000000
aws_secret_access_key=staleSecret000000000000000000000000000000
aws_session_token=staleToken0000000000000000000000000000000000
";

/// The target profile holds long-term keys: no session token.
const LONG_TERM_FILE: &str = "\
[default]
region = us-east-1

[dns_editor_profile]
aws_access_key_id = AKIALONGTERM00000000
aws_secret_access_key = longTermSecret00000000000000000000000000
";

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    args: Vec<String>,
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rolecreds {:?}\n  exit: {:?}\n  stdout: {:?}\n  stderr: {:?}",
            self.args, self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the command with `args`; prints the outcome (shown by nextest for failing tests).
fn run(mut command: Command, args: &[&str]) -> Outcome {
    let output = command.args(args).output().expect("run rolecreds");
    let outcome = Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
    };
    println!("{outcome:?}");
    outcome
}

fn rolecreds(sandbox: &Sandbox, args: &[&str]) -> Outcome {
    run(sandbox.rolecreds(), args)
}

fn assert_success(outcome: &Outcome) {
    assert_eq!(outcome.code, Some(0), "expected success:\n{outcome:?}");
}

/// Exit code `code`, and stderr is exactly one line starting `rolecreds: error: `.
fn assert_error(outcome: &Outcome, code: i32) {
    assert_eq!(
        outcome.code,
        Some(code),
        "expected exit {code}:\n{outcome:?}"
    );
    assert!(
        outcome.stderr.starts_with("rolecreds: error: ")
            && outcome.stderr.trim_end().lines().count() == 1,
        "expected one line starting `rolecreds: error: ` on stderr:\n{outcome:?}"
    );
}

fn snapshot(path: &Path) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("read {}: {e}", path.display()),
    }
}

fn assert_unchanged(path: &Path, before: &Option<Vec<u8>>, outcome: &Outcome) {
    let after = snapshot(path);
    assert!(
        &after == before,
        "credentials file changed (before {:?}, after {:?}):\n{outcome:?}",
        before.as_deref().map(String::from_utf8_lossy),
        after.as_deref().map(String::from_utf8_lossy),
    );
}

/// The key = value pairs of one `[section]` of an INI text (last occurrence wins).
fn read_profile(path: &Path, name: &str) -> Option<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut sections: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with(['#', ';']) {
            continue;
        }
        if let Some(section) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            sections.push((section.to_owned(), BTreeMap::new()));
        } else if let Some((key, value)) = trimmed.split_once('=')
            && let Some((_, map)) = sections.last_mut()
        {
            map.insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    sections
        .into_iter()
        .rev()
        .find(|(section, _)| section == name)
        .map(|(_, map)| map)
}

/// The written profile's key, secret and token; panics if any is missing.
fn written_credentials(sandbox: &Sandbox, profile: &str) -> (String, String, String) {
    let path = sandbox.credentials_file();
    let values = read_profile(&path, profile).unwrap_or_else(|| {
        panic!(
            "no [{profile}] in {}: {:?}",
            path.display(),
            std::fs::read_to_string(&path)
        )
    });
    let get = |key: &str| {
        values
            .get(key)
            .cloned()
            .unwrap_or_else(|| panic!("[{profile}] has no {key}: {values:?}"))
    };
    (
        get("aws_access_key_id"),
        get("aws_secret_access_key"),
        get("aws_session_token"),
    )
}

fn assert_rust_sdk_sees(sandbox: &Sandbox, profile: &str, expected_arn: &str) {
    let arn = sandbox
        .rust_sdk_caller_arn(profile)
        .unwrap_or_else(|e| panic!("AWS SDK for Rust cannot use profile {profile}: {e}"));
    assert_eq!(arn, expected_arn, "caller identity of profile {profile}");
}

// ---------------------------------------------------------------------------------------
// Success: the written profile works for real consumers
// ---------------------------------------------------------------------------------------

#[test]
fn rotation_writes_a_profile_that_aws_cli_boto3_and_rust_sdk_accept() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let file = sandbox.credentials_file();
    let outcome = rolecreds(
        &sandbox,
        &[
            "--account-id",
            ACCOUNT_ID,
            "--role-name",
            "dns_editor",
            "--profile-name",
            PROFILE,
        ],
    );
    assert_success(&outcome);
    let (key, _, _) = written_credentials(&sandbox, PROFILE);
    assert_ne!(
        key,
        moto.alice().id,
        "wrote alice's own key, not the role's"
    );
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "new credentials file mode");

    let aws = sandbox.aws_cli_caller_arn(PROFILE);
    let boto3 = sandbox.boto3_caller_arn(PROFILE);
    let rust = sandbox.rust_sdk_caller_arn(PROFILE);
    let expected = Ok(DNS_EDITOR_SESSION_ARN.to_owned());
    assert!(
        aws == expected && boto3 == expected && rust == expected,
        "every consumer should be {DNS_EDITOR_SESSION_ARN}:\n  aws cli: {aws:?}\n  boto3: \
         {boto3:?}\n  rust sdk: {rust:?}\n  file: {:?}",
        std::fs::read_to_string(&file)
    );
}

#[test]
fn success_message_names_profile_file_and_time_left() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let file = sandbox.credentials_file();
    let outcome = rolecreds(
        &sandbox,
        &[
            "--account-id",
            ACCOUNT_ID,
            "--role-name",
            "dns_editor",
            "--profile-name",
            PROFILE,
        ],
    );
    assert_success(&outcome);
    // `wrote profile P [(session)] in FILE, expires ..., in 1h`: a fresh default session
    // lasts 3600 s, so the time left should read 1h.
    let line = outcome.stderr.trim_end();
    assert!(
        line.starts_with(&format!("wrote profile {PROFILE} "))
            && line.contains(&format!(" in {}, expires ", file.display()))
            && line.ends_with(", in 1h")
            && line.lines().count() == 1,
        "stderr should be one line `wrote profile {PROFILE} in {}, expires ..., in 1h`:\n\
         {outcome:?}",
        file.display()
    );
}

#[test]
fn role_arn_with_a_path_is_assumed() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let outcome = rolecreds(
        &sandbox,
        &[
            "--role-arn",
            emulator::ROLE_TEAM_X_ARN,
            "--profile-name",
            "p",
        ],
    );
    assert_success(&outcome);
    assert_rust_sdk_sees(
        &sandbox,
        "p",
        "arn:aws:sts::123456789012:assumed-role/x/alice@x.123456789012",
    );
}

#[test]
fn profile_name_defaults_to_the_account_id() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let outcome = rolecreds(
        &sandbox,
        &["--account-id", ACCOUNT_ID, "--role-name", "dns_editor"],
    );
    assert_success(&outcome);
    assert_rust_sdk_sees(&sandbox, ACCOUNT_ID, DNS_EDITOR_SESSION_ARN);
}

#[test]
fn hidden_underscore_aliases_are_accepted() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let outcome = rolecreds(
        &sandbox,
        &[
            "--account_id",
            ACCOUNT_ID,
            "--role_name",
            "dns_editor",
            "--profile_name",
            "aliased",
        ],
    );
    assert_success(&outcome);
    assert_rust_sdk_sees(&sandbox, "aliased", DNS_EDITOR_SESSION_ARN);
}

#[test]
fn session_name_template_user_gives_the_plain_username() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let outcome = rolecreds(
        &sandbox,
        &[
            "--account-id",
            ACCOUNT_ID,
            "--role-name",
            "dns_editor",
            "--profile-name",
            PROFILE,
            "--session-name",
            "{user}",
        ],
    );
    assert_success(&outcome);
    assert_rust_sdk_sees(
        &sandbox,
        PROFILE,
        "arn:aws:sts::123456789012:assumed-role/dns_editor/alice",
    );
}

#[test]
fn quiet_prints_nothing_on_success() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let outcome = rolecreds(
        &sandbox,
        &[
            "-q",
            "--account-id",
            ACCOUNT_ID,
            "--role-name",
            "dns_editor",
            "--profile-name",
            PROFILE,
        ],
    );
    assert_success(&outcome);
    assert!(
        outcome.stdout.is_empty() && outcome.stderr.is_empty(),
        "-q should print nothing:\n{outcome:?}"
    );
    written_credentials(&sandbox, PROFILE);
}

#[test]
fn json_output_describes_the_write_without_secrets() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let outcome = rolecreds(
        &sandbox,
        &[
            "--account-id",
            ACCOUNT_ID,
            "--role-name",
            "dns_editor",
            "--profile-name",
            PROFILE,
            "--duration",
            "90m",
            "--output",
            "json",
        ],
    );
    assert_success(&outcome);
    let json: serde_json::Value = serde_json::from_str(outcome.stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}):\n{outcome:?}"));
    let object = json.as_object().expect("a JSON object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "access_key_id",
            "changed",
            "credentials_file",
            "expiration",
            "profile",
            "role_arn",
            "session_name"
        ],
        "JSON fields:\n{outcome:?}"
    );
    let (key, secret, token) = written_credentials(&sandbox, PROFILE);
    assert_eq!(json["profile"], PROFILE);
    assert_eq!(
        json["credentials_file"],
        sandbox.credentials_file().to_str().unwrap()
    );
    assert_eq!(json["role_arn"], emulator::ROLE_DNS_EDITOR_ARN);
    assert_eq!(json["session_name"], "alice@dns_editor.123456789012");
    assert_eq!(json["access_key_id"], key.as_str());
    assert_eq!(json["changed"], true);
    // moto honours DurationSeconds exactly: 90m must arrive as 5400 s.
    let expiration = json["expiration"].as_str().expect("expiration is a string");
    let expires = humantime::parse_rfc3339(expiration)
        .unwrap_or_else(|e| panic!("expiration {expiration:?} is not RFC 3339: {e}"));
    let remaining = expires
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    assert!(
        remaining > Duration::from_secs(5400 - 120) && remaining <= Duration::from_secs(5400),
        "--duration 90m should expire in 5400 s, got {remaining:?} ({expiration})"
    );
    for (what, value) in [("secret", &secret), ("session token", &token)] {
        assert!(
            !outcome.stdout.contains(value.as_str()) && !outcome.stderr.contains(value.as_str()),
            "the {what} leaked into the output:\n{outcome:?}"
        );
    }
    assert_rust_sdk_sees(&sandbox, PROFILE, DNS_EDITOR_SESSION_ARN);
}

#[test]
fn dry_run_writes_nothing() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let file = sandbox.credentials_file();
    let args = [
        "--account-id",
        ACCOUNT_ID,
        "--role-name",
        "dns_editor",
        "--profile-name",
        PROFILE,
        "--dry-run",
    ];

    let outcome = rolecreds(&sandbox, &args);
    assert_success(&outcome);
    assert_unchanged(&file, &None, &outcome);
    let leftovers: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        leftovers.is_empty(),
        "--dry-run left files in ~/.aws: {leftovers:?}"
    );

    std::fs::write(&file, EXISTING_FILE).unwrap();
    let before = snapshot(&file);
    let outcome = rolecreds(&sandbox, &args);
    assert_success(&outcome);
    assert_unchanged(&file, &before, &outcome);
}

// ---------------------------------------------------------------------------------------
// AWS refuses: exit 3
// ---------------------------------------------------------------------------------------

#[test]
fn role_that_does_not_trust_the_user_is_refused_with_exit_3() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let file = sandbox.credentials_file();
    std::fs::write(&file, EXISTING_FILE).unwrap();
    let before = snapshot(&file);
    let outcome = rolecreds(
        &sandbox,
        &[
            "--account-id",
            ACCOUNT_ID,
            "--role-name",
            emulator::ROLE_NO_TRUST,
            "--profile-name",
            PROFILE,
        ],
    );
    assert_error(&outcome, 3);
    assert!(
        outcome.stderr.contains("AccessDenied")
            || outcome.stderr.contains(emulator::ROLE_NO_TRUST_ARN),
        "the message should name AccessDenied or the role ARN:\n{outcome:?}"
    );
    assert_unchanged(&file, &before, &outcome);
}

#[test]
fn invalid_source_credentials_are_refused_with_exit_3() {
    let moto = Moto::start();
    let cases = [
        (
            "wrong secret",
            AccessKey {
                id: moto.alice().id.clone(),
                secret: "wrongSecretKey0000000000000000000000000000".into(),
            },
        ),
        (
            "unknown key id",
            AccessKey {
                id: "AKIAUNKNOWN000000000".into(),
                secret: moto.alice().secret.clone(),
            },
        ),
    ];
    let mut failures = Vec::new();
    for (what, key) in cases {
        let sandbox = Sandbox::new(&moto.endpoint(), &key);
        let file = sandbox.credentials_file();
        std::fs::write(&file, EXISTING_FILE).unwrap();
        let before = snapshot(&file);
        let outcome = rolecreds(
            &sandbox,
            &[
                "--account-id",
                ACCOUNT_ID,
                "--role-name",
                "dns_editor",
                "--profile-name",
                PROFILE,
            ],
        );
        let ok = outcome.code == Some(3)
            && outcome.stderr.starts_with("rolecreds: error: ")
            && snapshot(&file) == before;
        if !ok {
            failures.push(format!("{what}: {outcome:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "expected exit 3, one error line, file unchanged:\n{}",
        failures.join("\n")
    );
}

#[test]
fn no_source_credentials_at_all_is_exit_3() {
    let moto = Moto::start();
    let mut sandbox = moto.sandbox();
    sandbox
        .remove("AWS_ACCESS_KEY_ID")
        .remove("AWS_SECRET_ACCESS_KEY");
    let outcome = rolecreds(
        &sandbox,
        &[
            "--account-id",
            ACCOUNT_ID,
            "--role-name",
            "dns_editor",
            "--profile-name",
            PROFILE,
        ],
    );
    assert_error(&outcome, 3);
    assert_unchanged(&sandbox.credentials_file(), &None, &outcome);
}

// ---------------------------------------------------------------------------------------
// Network: exit 6
// ---------------------------------------------------------------------------------------

#[test]
fn stopped_endpoint_is_exit_6() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    moto.stop();
    let file = sandbox.credentials_file();
    std::fs::write(&file, EXISTING_FILE).unwrap();
    let before = snapshot(&file);
    let outcome = rolecreds(
        &sandbox,
        &[
            "--account-id",
            ACCOUNT_ID,
            "--role-name",
            "dns_editor",
            "--profile-name",
            PROFILE,
        ],
    );
    assert_error(&outcome, 6);
    assert_unchanged(&file, &before, &outcome);
}

// ---------------------------------------------------------------------------------------
// Invalid input: exit 2 before any network call
// ---------------------------------------------------------------------------------------

/// Each case: the arguments, and words the message must contain (case-insensitive) to
/// name the flag and the problem.
fn invalid_input_cases() -> Vec<(Vec<&'static str>, Vec<&'static str>)> {
    let role = ["--role-name", "dns_editor", "--profile-name", PROFILE];
    let with_role = |extra: &[&'static str]| {
        let mut args = vec!["--account-id", ACCOUNT_ID];
        args.extend(role);
        args.extend(extra);
        args
    };
    vec![
        (
            vec!["--account-id", "12345", "--role-name", "dns_editor"],
            vec!["account", "12345"],
        ),
        (
            vec!["--account-id", ACCOUNT_ID, "--role-name", "dns editor"],
            vec!["role", "dns editor"],
        ),
        (
            vec![
                "--role-arn",
                "arn:aws:iam::1:role/x",
                "--profile-name",
                PROFILE,
            ],
            vec!["arn", "arn:aws:iam::1:role/x"],
        ),
        (
            vec![
                "--account-id",
                ACCOUNT_ID,
                "--role-name",
                "dns_editor",
                "--profile-name",
                "a b",
            ],
            vec!["profile", "a b"],
        ),
        (with_role(&["--duration", "10"]), vec!["duration", "900"]),
        (
            with_role(&["--duration", "50000"]),
            vec!["duration", "43200"],
        ),
        (with_role(&["--tag", "novalue"]), vec!["tag", "novalue"]),
        (
            with_role(&["--policy", "/nonexistent/policy.json"]),
            vec!["policy", "/nonexistent/policy.json"],
        ),
    ]
}

#[test]
fn invalid_input_is_exit_2_before_any_network_call() {
    // The endpoint is a closed port: a check that waited for the network would exit 6.
    let sandbox = Sandbox::offline();
    let file = sandbox.credentials_file();
    std::fs::write(&file, EXISTING_FILE).unwrap();
    let before = snapshot(&file);
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for (args, words) in invalid_input_cases() {
        let outcome = rolecreds(&sandbox, &args);
        seen.push(format!(
            "{:?} -> {:?} {:?}",
            args, outcome.code, outcome.stderr
        ));
        let mut problems = Vec::new();
        if outcome.code != Some(2) {
            problems.push("exit code is not 2".to_owned());
        }
        let lower = outcome.stderr.to_lowercase();
        let missing: Vec<_> = words.iter().filter(|w| !lower.contains(*w)).collect();
        if !missing.is_empty() {
            problems.push(format!("message does not mention {missing:?}"));
        }
        if snapshot(&file) != before {
            problems.push("credentials file changed".to_owned());
        }
        if !problems.is_empty() {
            failures.push(format!("{}:\n{outcome:?}", problems.join(", ")));
        }
    }
    println!("invalid-input messages:\n{}", seen.join("\n"));
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn invalid_input_errors_are_one_rolecreds_line() {
    let sandbox = Sandbox::offline();
    let mut failures = Vec::new();
    for (args, _) in invalid_input_cases() {
        let outcome = rolecreds(&sandbox, &args);
        if !(outcome.stderr.starts_with("rolecreds: error: ")
            && outcome.stderr.trim_end().lines().count() == 1)
        {
            failures.push(format!("{outcome:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "errors should be one line starting `rolecreds: error: `:\n{}",
        failures.join("\n\n")
    );
}

// ---------------------------------------------------------------------------------------
// The credentials file refuses: exit 4
// ---------------------------------------------------------------------------------------

#[test]
fn long_term_keys_in_the_target_profile_need_force() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let file = sandbox.credentials_file();
    std::fs::write(&file, LONG_TERM_FILE).unwrap();
    let before = snapshot(&file);
    let args = [
        "--account-id",
        ACCOUNT_ID,
        "--role-name",
        "dns_editor",
        "--profile-name",
        PROFILE,
    ];

    let outcome = rolecreds(&sandbox, &args);
    assert_error(&outcome, 4);
    assert!(
        outcome.stderr.contains("--force"),
        "the message should name the fix (--force):\n{outcome:?}"
    );
    assert_unchanged(&file, &before, &outcome);

    let mut forced = args.to_vec();
    forced.push("--force");
    let outcome = rolecreds(&sandbox, &forced);
    assert_success(&outcome);
    assert_rust_sdk_sees(&sandbox, PROFILE, DNS_EDITOR_SESSION_ARN);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("AKIALONGTERM00000000") && text.contains("region = us-east-1"),
        "--force should replace the long-term keys and keep [default]:\n{text}"
    );
}

#[test]
fn source_profile_works_and_cannot_be_the_target() {
    let moto = Moto::start();
    let mut sandbox = moto.sandbox();
    sandbox
        .remove("AWS_ACCESS_KEY_ID")
        .remove("AWS_SECRET_ACCESS_KEY");
    let file = sandbox.credentials_file();
    let alice = moto.alice();
    std::fs::write(&file, alice.profile("alice")).unwrap();
    let before = snapshot(&file);

    let outcome = rolecreds(
        &sandbox,
        &[
            "--source-profile",
            "alice",
            "--account-id",
            ACCOUNT_ID,
            "--role-name",
            "dns_editor",
            "--profile-name",
            "alice",
        ],
    );
    assert_error(&outcome, 4);
    assert_unchanged(&file, &before, &outcome);

    let outcome = rolecreds(
        &sandbox,
        &[
            "--source-profile",
            "alice",
            "--account-id",
            ACCOUNT_ID,
            "--role-name",
            "dns_editor",
            "--profile-name",
            PROFILE,
        ],
    );
    assert_success(&outcome);
    assert_rust_sdk_sees(&sandbox, PROFILE, DNS_EDITOR_SESSION_ARN);
}

// ---------------------------------------------------------------------------------------
// Secrets never reach the terminal
// ---------------------------------------------------------------------------------------

#[test]
fn secrets_never_appear_in_output_even_at_vv() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let alice_secret = moto.alice().secret.clone();
    let mut leaks = Vec::new();
    let mut check = |outcome: &Outcome, secrets: &[(&str, &str)]| {
        for (what, secret) in secrets {
            if outcome.stdout.contains(secret) || outcome.stderr.contains(secret) {
                leaks.push(format!("{what} leaked:\n{outcome:?}"));
            }
        }
    };

    let base = [
        "-vv",
        "--account-id",
        ACCOUNT_ID,
        "--role-name",
        "dns_editor",
        "--profile-name",
        PROFILE,
    ];
    let outcome = rolecreds(&sandbox, &base);
    assert_success(&outcome);
    let (_, secret, token) = written_credentials(&sandbox, PROFILE);
    check(
        &outcome,
        &[
            ("alice's secret", &alice_secret),
            ("written secret", &secret),
            ("written token", &token),
        ],
    );

    // A second run reads the previous credentials back from the file, in JSON mode.
    let mut json = base.to_vec();
    json.extend(["--output", "json"]);
    let outcome = rolecreds(&sandbox, &json);
    assert_success(&outcome);
    let (_, new_secret, new_token) = written_credentials(&sandbox, PROFILE);
    check(
        &outcome,
        &[
            ("alice's secret", &alice_secret),
            ("previous secret", &secret),
            ("previous token", &token),
            ("written secret", &new_secret),
            ("written token", &new_token),
        ],
    );

    // A refused run with a wrong secret must not echo that secret either.
    let wrong = "wrongSecretCanary000000000000000000000000";
    let mut refused = Sandbox::new(
        &moto.endpoint(),
        &AccessKey {
            id: moto.alice().id.clone(),
            secret: wrong.into(),
        },
    );
    refused.set("AWS_SHARED_CREDENTIALS_FILE", sandbox.credentials_file());
    let outcome = rolecreds(&refused, &base);
    assert_eq!(outcome.code, Some(3), "wrong secret:\n{outcome:?}");
    check(
        &outcome,
        &[
            ("the wrong secret", wrong),
            ("written secret", &new_secret),
            ("written token", &new_token),
        ],
    );

    assert!(leaks.is_empty(), "\n{}", leaks.join("\n\n"));
}

// ---------------------------------------------------------------------------------------
// Negative control: the consumers' check is only as strong as moto's auth enforcement
// ---------------------------------------------------------------------------------------

#[test]
fn harness_consumers_reject_a_forged_profile() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let alice = moto.alice();
    std::fs::write(
        sandbox.credentials_file(),
        format!(
            "{}\n[forged]\naws_access_key_id = ASIAFORGED0000000000\n\
             aws_secret_access_key = forgedSecret000000000000000000000000000\n\
             aws_session_token = forgedToken\n",
            alice.profile("alice")
        ),
    )
    .unwrap();
    assert_eq!(
        sandbox.rust_sdk_caller_arn("alice"),
        Ok(emulator::ALICE_ARN.to_owned())
    );
    assert!(
        sandbox.rust_sdk_caller_arn("forged").is_err(),
        "moto accepted forged credentials: auth is not enforced"
    );
    assert!(
        sandbox.boto3_caller_arn("forged").is_err(),
        "boto3 with forged credentials succeeded: auth is not enforced"
    );
}

// ---------------------------------------------------------------------------------------
// Source credentials from the rest of the chain
// ---------------------------------------------------------------------------------------

/// aws-config is built without its default features; this proves the credential_process
/// provider is still compiled in and used for a source profile in ~/.aws/config.
#[test]
fn a_credential_process_source_profile_works() {
    let moto = Moto::start();
    let mut sandbox = moto.sandbox();
    sandbox
        .remove("AWS_ACCESS_KEY_ID")
        .remove("AWS_SECRET_ACCESS_KEY");
    let alice = moto.alice();
    let document = sandbox.home().join("alice.json");
    std::fs::write(
        &document,
        format!(
            r#"{{"Version": 1, "AccessKeyId": "{}", "SecretAccessKey": "{}"}}"#,
            alice.id, alice.secret
        ),
    )
    .unwrap();
    // The process logs each run, so the test can tell the chain was resolved only once.
    let runs = sandbox.home().join("runs");
    let script = sandbox.home().join("source.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho run >> {}\ncat {}\n",
            runs.display(),
            document.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(
        sandbox.config_file(),
        format!(
            "[profile via-process]\ncredential_process = {}\nregion = us-east-1\n",
            script.display()
        ),
    )
    .unwrap();
    let outcome = rolecreds(
        &sandbox,
        &[
            "--source-profile",
            "via-process",
            "--role-arn",
            ROLE_DNS_EDITOR_ARN,
            "--profile-name",
            PROFILE,
        ],
    );
    assert_success(&outcome);
    let runs = std::fs::read_to_string(&runs).unwrap_or_default();
    assert_eq!(
        runs.lines().count(),
        1,
        "the source credential_process ran {runs:?}"
    );
    assert_rust_sdk_sees(&sandbox, PROFILE, DNS_EDITOR_SESSION_ARN);
}

/// Temporary source credentials (role chaining) cap the session at one hour: rolecreds asks
/// for 1 h with a warning instead of failing with STS's ValidationError. (The dry run shows
/// the request; moto's trust policies would refuse the chained AssumeRole itself.)
#[test]
fn role_chaining_caps_the_duration_at_one_hour_with_a_warning() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let first = rolecreds(
        &sandbox,
        &["--role-arn", ROLE_DNS_EDITOR_ARN, "--profile-name", "hop1"],
    );
    assert_success(&first);
    let (key, secret, token) = written_credentials(&sandbox, "hop1");
    let mut chained = moto.sandbox();
    chained
        .set("AWS_ACCESS_KEY_ID", &key)
        .set("AWS_SECRET_ACCESS_KEY", &secret)
        .set("AWS_SESSION_TOKEN", &token);
    let outcome = rolecreds(
        &chained,
        &[
            "--role-arn",
            ROLE_DNS_EDITOR_ARN,
            "--profile-name",
            "hop2",
            "--duration",
            "4h",
            "--dry-run",
            "--output",
            "json",
        ],
    );
    assert_success(&outcome);
    assert!(
        outcome
            .stderr
            .contains("caps at 1h; asking for 1h instead of 4h"),
        "no role-chaining warning:\n{outcome:?}"
    );
    let report: serde_json::Value = serde_json::from_str(outcome.stdout.trim()).unwrap();
    assert_eq!(report["duration_seconds"], 3600, "{outcome:?}");

    let unchained = rolecreds(
        &sandbox,
        &[
            "--role-arn",
            ROLE_DNS_EDITOR_ARN,
            "--duration",
            "4h",
            "--dry-run",
            "--output",
            "json",
        ],
    );
    let report: serde_json::Value = serde_json::from_str(unchained.stdout.trim()).unwrap();
    assert_eq!(report["duration_seconds"], 14400, "{unchained:?}");
}
