//! End-to-end tests of `rolecreds exec` and `rolecreds serve`, the two ways of handing a
//! role's credentials to other programs through a local container-credentials endpoint
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`), against a
//! real STS (moto's server with auth enforced, see tests/emulator/mod.rs): with auth on, a
//! consumer that gets the role's ARN from GetCallerIdentity proves it used the endpoint's
//! credentials, and not alice's keys that sit in the environment and files around it.
//!
//! - `exec`: every SDK's default chain (AWS CLI, boto3, JS SDK v3, Rust SDK) gets the role even
//!   with a `[default]` profile and `AWS_PROFILE` set; the child's environment holds no source
//!   secret and names the region; a long child sees fresh keys without a failed call; a role
//!   that cannot be assumed never starts the child; exit status and signals pass through; an
//!   STS outage leaves the last credentials in place;
//! - `serve`: the printed `export` lines are all a shell needs; the endpoint checks the token;
//!   `--targets` serves each profile at its own URL; SIGHUP refreshes, SIGTERM stops;
//!   a non-loopback `--listen` is refused.
//!
//! Child programs live in tests/data/exec_child.py and tests/js/default-chain.mjs.

// Unix only: it exercises Unix modes, signals or process groups (scripts/cross-check runs
// the Windows binary under Wine instead).
#![cfg(unix)]

mod emulator;

use emulator::background::{Background, Finished};
use emulator::{Moto, ROLE_DNS_EDITOR_ARN, ROLE_NO_TRUST_ARN, ROLE_TEAM_X_ARN, Sandbox};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const DNS_EDITOR_SESSION_ARN: &str =
    "arn:aws:sts::123456789012:assumed-role/dns_editor/alice@dns_editor.123456789012";
/// The session ARN of role `team/x` starts so (the path is not part of it).
const TEAM_X_SESSION_PREFIX: &str = "arn:aws:sts::123456789012:assumed-role/x/";
/// Refresh about every 5 s: 900 s sessions refreshed 895 s before expiry.
const FAST: [&str; 4] = ["--duration", "900", "--refresh-before", "895s"];
/// How long one `rolecreds exec` run may take before the test calls it hung.
const RUN_DEADLINE: Duration = Duration::from_secs(90);
/// What exec removes from the child's environment.
const SOURCE_VARIABLES: [&str; 6] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
];
const FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
const TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
const TOKEN_FILE: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Starts rolecreds (exec or serve) in the background in its own process group, so that
/// dropping it also SIGKILLs any child it started.
fn spawn_rolecreds(command: Command) -> Background {
    Background::options().own_process_group().spawn(command)
}

/// The binary under test, in the sandbox.
fn rolecreds(sandbox: &Sandbox) -> Command {
    sandbox.rolecreds()
}

/// `rolecreds exec FLAGS... -- CHILD...` in the sandbox.
fn exec_command<S: AsRef<std::ffi::OsStr>>(
    sandbox: &Sandbox,
    flags: &[&str],
    child: &[S],
) -> Command {
    let mut command = rolecreds(sandbox);
    command.arg("exec").args(flags).arg("--").args(child);
    command
}

/// Runs `rolecreds exec FLAGS... -- CHILD...` to the end.
fn run_exec<S: AsRef<std::ffi::OsStr>>(sandbox: &Sandbox, flags: &[&str], child: &[S]) -> Finished {
    spawn_rolecreds(exec_command(sandbox, flags, child)).finish(RUN_DEADLINE)
}

/// `python tests/data/exec_child.py MODE ARGS...` as an argument vector.
fn python_child(mode: &str, args: &[&str]) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec![
        emulator::venv_bin("python").into(),
        data_dir().join("exec_child.py").into(),
        mode.into(),
    ];
    argv.extend(args.iter().map(OsString::from));
    argv
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

/// The last line of stdout, trimmed (a consumer prints its caller ARN last).
fn last_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("")
}

/// The JSON document a child printed as the last line of its stdout.
fn child_json(finished: &Finished) -> serde_json::Value {
    finished.assert_code(0);
    let line = last_line(&finished.stdout);
    serde_json::from_str(line).unwrap_or_else(|e| {
        panic!(
            "the child did not print JSON ({e}):\n{}",
            finished.describe()
        )
    })
}

fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn epoch_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64()
}

/// alice's keys in `[default]` of the sandbox's credentials file, `AWS_PROFILE=default` and
/// `AWS_DEFAULT_PROFILE=default`: everything a child's SDK would reach for before a
/// container endpoint, were exec to leave it in view.
fn tempt_with_alices_default_profile(moto: &Moto, sandbox: &mut Sandbox) {
    let alice = moto.alice();
    std::fs::write(sandbox.credentials_file(), alice.profile("default"))
        .expect("write the sandbox's credentials file");
    sandbox
        .set("AWS_PROFILE", "default")
        .set("AWS_DEFAULT_PROFILE", "default");
}

/// Profile section name → key → value, from INI text (`[profile NAME]` is read as `NAME`).
fn ini_sections(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut sections = BTreeMap::<String, BTreeMap<String, String>>::new();
    let mut current = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim();
            let name = name
                .strip_prefix("profile ")
                .unwrap_or(name)
                .trim()
                .to_owned();
            sections.entry(name.clone()).or_default();
            current = Some(name);
        } else if let (Some(section), Some((key, value))) = (&current, line.split_once('=')) {
            sections
                .get_mut(section)
                .expect("section entered")
                .insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    sections
}

/// `http://127.0.0.1:PORT/PATH` → (port, "/PATH"); panics on anything else.
fn loopback_url(url: &str) -> (u16, String) {
    let rest = url
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("not an http://127.0.0.1:PORT/... URL: {url:?}"));
    let (port, path) = rest
        .find('/')
        .map(|i| rest.split_at(i))
        .unwrap_or_else(|| panic!("no path in {url:?}"));
    let port = port
        .parse()
        .unwrap_or_else(|_| panic!("no port in {url:?}"));
    (port, path.to_owned())
}

/// A token of at least 43 URL-safe characters (256 bits of base64url).
fn assert_token_shape(token: &str) {
    assert!(
        token.len() >= 43
            && token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c)),
        "the authorization token should be >= 43 URL-safe characters: {token:?}"
    );
}

/// What to send as the Authorization header.
#[derive(Clone, Copy, Debug)]
enum Auth<'a> {
    Absent,
    Header(&'a str),
}

/// `GET url` over a raw socket; (status, body). Understands a chunked body.
fn http_get(url: &str, auth: Auth) -> (u16, String) {
    let (port, path) = loopback_url(url);
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if let Auth::Header(value) = auth {
        request.push_str(&format!("Authorization: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("send to {url}: {e}"));
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .unwrap_or_else(|e| panic!("read from {url}: {e}"));
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or((response.as_str(), ""));
    let code = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response from {url}: {response:?}"));
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().replace(' ', "") == "transfer-encoding:chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (code, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].strip_prefix("\r\n").unwrap_or(&rest[size..]);
    }
    out
}

/// GETs the endpoint with the token and checks the document's shape; the document.
fn fetch_credentials(url: &str, token: &str) -> serde_json::Value {
    let (code, body) = http_get(url, Auth::Header(token));
    assert_eq!(code, 200, "GET {url} with the token: {body}");
    let document: serde_json::Value = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("GET {url}: not JSON ({e}): {body:?}"));
    for field in [
        "AccessKeyId",
        "SecretAccessKey",
        "Token",
        "Expiration",
        "RoleArn",
    ] {
        assert!(
            document[field].as_str().is_some_and(|v| !v.is_empty()),
            "GET {url}: no {field} in the document"
        );
    }
    let expiration = document["Expiration"].as_str().unwrap();
    let expires = humantime::parse_rfc3339_weak(expiration.trim_end_matches('Z'))
        .or_else(|_| humantime::parse_rfc3339(expiration))
        .unwrap_or_else(|e| panic!("Expiration {expiration:?} is not RFC 3339: {e}"));
    assert!(
        expires > SystemTime::now() + Duration::from_secs(60),
        "served credentials expire too soon: {expiration}"
    );
    document
}

/// GetCallerIdentity, from this process, with the credentials of an endpoint's document.
fn caller_arn_of(moto: &Moto, document: &serde_json::Value) -> String {
    let key = emulator::AccessKey {
        id: document["AccessKeyId"].as_str().unwrap().to_owned(),
        secret: document["SecretAccessKey"].as_str().unwrap().to_owned(),
    };
    let config = moto.sdk_config(&key, document["Token"].as_str().map(str::to_owned));
    Moto::block_on(async move {
        aws_sdk_sts::Client::new(&config)
            .get_caller_identity()
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetCallerIdentity with served credentials: {e:?}"))
            .arn()
            .expect("an Arn")
            .to_owned()
    })
}

/// One shell word as `sh` reads it: unquoted text, '...' (with '\'' for a quote), "...",
/// backslash escapes.
fn shell_word(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => out.extend(chars.by_ref().take_while(|&c| c != '\'')),
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => out.extend(chars.next()),
                        c => out.push(c),
                    }
                }
            }
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// The `export NAME=VALUE` lines of `stdout`, values unquoted.
fn exports(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|line| line.trim().strip_prefix("export "))
        .filter_map(|rest| rest.split_once('='))
        .map(|(name, value)| (name.trim().to_owned(), shell_word(value.trim())))
        .collect()
}

/// `rolecreds serve ARGS...`, waiting until stdout holds the three exports (and, with
/// `targets`, a URL line for each of them); the process and its exports.
fn start_serve(
    sandbox: &Sandbox,
    args: &[&str],
    targets: &[&str],
) -> (Background, BTreeMap<String, String>) {
    let mut command = rolecreds(sandbox);
    command.arg("serve").args(args);
    let mut serve = spawn_rolecreds(command);
    let ready = |serve: &mut Background| {
        let stdout = serve.stdout();
        let found = exports(&stdout);
        [FULL_URI, TOKEN_FILE, TOKEN]
            .iter()
            .all(|name| found.contains_key(*name))
            && targets.iter().all(|t| target_url(&stdout, t).is_some())
    };
    let start = Instant::now();
    while !ready(&mut serve) {
        assert!(
            serve.is_running(),
            "serve exited before printing its exports:\n{}",
            serve.describe()
        );
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no exports within 30 s:\n{}",
            serve.describe()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let found = exports(&serve.stdout());
    (serve, found)
}

/// The URL on the stdout line that names `profile` and a loopback URL.
fn target_url(stdout: &str, profile: &str) -> Option<String> {
    stdout
        .lines()
        .filter(|line| line.contains(profile))
        .find_map(|line| {
            let at = line.find("http://127.0.0.1:")?;
            let url: String = line[at..]
                .chars()
                .take_while(|c| !c.is_whitespace() && !"'\"".contains(*c))
                .collect();
            Some(url)
        })
}

/// A consumer command with only what a shell that evaluated serve's output would have:
/// PATH, an empty HOME, the endpoint and region, and the given variables. No AWS keys, no
/// AWS files.
fn bare_consumer(program: impl AsRef<std::ffi::OsStr>, home: &Path, moto: &Moto) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_REGION", emulator::REGION)
        .env("AWS_DEFAULT_REGION", emulator::REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(home)
        .stdin(Stdio::null());
    command
}

fn caller_arn_from_output(what: &str, output: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{what}: {}\n  stdout: {stdout}\n  stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let identity: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {stdout:?}"));
    identity["Arn"].as_str().expect("an Arn").to_owned()
}

// ---------------------------------------------------------------------------------------
// exec: consumers
// ---------------------------------------------------------------------------------------

/// Set for the helper test that acts as an AWS SDK for Rust consumer under `exec`.
const RUST_CONSUMER_VAR: &str = "ROLECREDS_TEST_EXEC_RUST_CONSUMER";
const CALLER_ARN_PREFIX: &str = "CALLER_ARN=";

/// Not a test: the AWS SDK for Rust's default chain as a child of `rolecreds exec` (this
/// test binary run again, see [`rust_sdk_child`]). Loads `aws_config::defaults`, calls
/// GetCallerIdentity and prints the ARN.
#[test]
#[ignore = "helper process for exec_gives_every_consumer_the_role_even_with_a_default_profile_and_aws_profile_set"]
fn rust_sdk_default_chain_consumer() {
    if std::env::var_os(RUST_CONSUMER_VAR).is_none() {
        return;
    }
    let arn = emulator::rust_sdk_caller_arn_here(None);
    // libtest prints `test NAME ... ` on the same line first: the ARN is one word.
    println!("\n{CALLER_ARN_PREFIX}{arn}");
}

/// The argument vector that runs [`rust_sdk_default_chain_consumer`].
fn rust_sdk_child() -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec![std::env::current_exe().expect("test binary").into()];
    argv.extend(
        [
            "rust_sdk_default_chain_consumer",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ]
        .map(OsString::from),
    );
    argv
}

#[test]
fn exec_gives_every_consumer_the_role_even_with_a_default_profile_and_aws_profile_set() {
    let moto = Moto::start();
    let mut sandbox = moto.sandbox();
    tempt_with_alices_default_profile(&moto, &mut sandbox);
    std::fs::write(sandbox.config_file(), "[default]\nregion = us-east-1\n").unwrap();
    // The AWS CLI v1 reads AWS_DEFAULT_REGION only; set here so that this test is about
    // credentials alone (the_child_environment_holds_no_source_secret checks the region).
    sandbox
        .set("AWS_DEFAULT_REGION", emulator::REGION)
        .set(RUST_CONSUMER_VAR, "1");
    // The sandbox runs commands in its HOME; node resolves @aws-sdk from the script's place.
    let consumers: Vec<(&str, Vec<OsString>)> = vec![
        (
            "AWS CLI",
            vec![
                emulator::venv_bin("aws").into(),
                "sts".into(),
                "get-caller-identity".into(),
                "--output".into(),
                "json".into(),
            ],
        ),
        (
            "boto3",
            vec![
                emulator::venv_bin("python").into(),
                "-c".into(),
                "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])".into(),
            ],
        ),
        (
            "JS SDK v3",
            vec!["node".into(), js_dir().join("default-chain.mjs").into()],
        ),
        ("AWS SDK for Rust", rust_sdk_child()),
    ];
    assert!(
        js_dir().join("node_modules/@aws-sdk/client-sts").exists(),
        "the JS SDK is not installed: run scripts/test-deps"
    );
    let mut failures = Vec::new();
    for (name, child) in &consumers {
        let finished = run_exec(&sandbox, &["--role-arn", ROLE_DNS_EDITOR_ARN], child);
        let arn = match *name {
            "AWS CLI" if finished.status.success() => {
                serde_json::from_str::<serde_json::Value>(finished.stdout.trim())
                    .ok()
                    .and_then(|v| v["Arn"].as_str().map(str::to_owned))
                    .unwrap_or_default()
            }
            "AWS SDK for Rust" => finished
                .stdout
                .split_whitespace()
                .find_map(|w| w.strip_prefix(CALLER_ARN_PREFIX))
                .unwrap_or_default()
                .to_owned(),
            _ => last_line(&finished.stdout).to_owned(),
        };
        println!("{name}: {arn:?}\n{}", finished.describe());
        if finished.status.code() != Some(0) || arn != DNS_EDITOR_SESSION_ARN {
            failures.push(format!(
                "{name}: got {arn:?}, want {DNS_EDITOR_SESSION_ARN}\n{}",
                finished.describe()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "consumers under exec that did not get the role:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_child_environment_holds_no_source_secret() {
    let moto = Moto::start();
    let mut sandbox = moto.sandbox();
    tempt_with_alices_default_profile(&moto, &mut sandbox);
    let alice = moto.alice().clone();
    // Non-credential settings that must survive, and a profile with keys that must not.
    std::fs::write(
        sandbox.config_file(),
        format!(
            "[default]\nregion = eu-west-1\n\n[profile alice]\naws_access_key_id = {}\n\
             aws_secret_access_key = {}\n",
            alice.id, alice.secret
        ),
    )
    .unwrap();
    let finished = run_exec(
        &sandbox,
        &["--role-arn", ROLE_DNS_EDITOR_ARN],
        &python_child("env", &[]),
    );
    let dump = child_json(&finished);
    assert!(
        !finished.stdout.contains(&alice.secret) && !finished.stdout.contains(&alice.id),
        "alice's key or secret reached the child (its environment or its AWS files):\n{}",
        finished.stdout
    );
    let env: BTreeMap<String, String> =
        serde_json::from_value(dump["env"].clone()).expect("env is a string map");
    for name in SOURCE_VARIABLES {
        assert!(
            !env.contains_key(name),
            "{name} is in the child's environment: {:?}",
            env.get(name)
        );
    }
    let uri = env
        .get(FULL_URI)
        .unwrap_or_else(|| panic!("no {FULL_URI} in the child's environment: {env:?}"));
    let (_, path) = loopback_url(uri);
    assert!(path.len() > 1, "{FULL_URI} has no path: {uri}");
    assert_token_shape(
        env.get(TOKEN)
            .unwrap_or_else(|| panic!("no {TOKEN} in the child's environment")),
    );
    // Kept: the endpoint, the metadata switch, HOME, the region already set.
    for (name, value) in [
        ("AWS_ENDPOINT_URL", moto.endpoint()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("HOME", sandbox.home().display().to_string()),
        ("AWS_REGION", emulator::REGION.to_owned()),
    ] {
        assert_eq!(
            env.get(name),
            Some(&value),
            "{name} in the child's environment"
        );
    }
    let sandbox_files = [
        ("AWS_CONFIG_FILE", sandbox.config_file()),
        ("AWS_SHARED_CREDENTIALS_FILE", sandbox.credentials_file()),
    ];
    for (name, own) in &sandbox_files {
        let file = &dump["files"][name];
        let path = file["path"].as_str().unwrap_or_else(|| {
            panic!("no {name} in the child's environment (it should name a private file)")
        });
        assert_ne!(
            Path::new(path),
            own.as_path(),
            "{name} still names the sandbox's own file"
        );
        let text = file["text"].as_str().unwrap_or_else(|| {
            panic!(
                "{name} = {path}: the child could not read it: {}",
                file["error"]
            )
        });
        assert!(
            !text.contains("aws_secret_access_key") && !text.contains("aws_access_key_id"),
            "{name} = {path} holds credentials:\n{text}"
        );
        let file_mode = file["mode"].as_u64().expect("mode");
        assert_eq!(
            file_mode & 0o077,
            0,
            "{name} = {path} is not private: mode {file_mode:o}"
        );
    }
    let config = dump["files"]["AWS_CONFIG_FILE"]["text"].as_str().unwrap();
    assert_eq!(
        ini_sections(config)
            .get("default")
            .and_then(|s| s.get("region"))
            .map(String::as_str),
        Some("eu-west-1"),
        "the child's config file lost `region = eu-west-1` of [default]:\n{config}"
    );

    // --keep-aws-files: the child sees the sandbox's own files (and still no source keys).
    let finished = run_exec(
        &sandbox,
        &["--role-arn", ROLE_DNS_EDITOR_ARN, "--keep-aws-files"],
        &python_child("env", &[]),
    );
    let dump = child_json(&finished);
    let env: BTreeMap<String, String> =
        serde_json::from_value(dump["env"].clone()).expect("env is a string map");
    for (name, own) in &sandbox_files {
        assert_eq!(
            env.get(*name).map(PathBuf::from).as_ref(),
            Some(own),
            "--keep-aws-files: {name}"
        );
    }
    for name in SOURCE_VARIABLES {
        assert!(
            !env.contains_key(name),
            "--keep-aws-files: {name} is in the child's environment"
        );
    }
    assert!(
        env.contains_key(FULL_URI) && env.contains_key(TOKEN),
        "{env:?}"
    );
}

/// "AWS_REGION/AWS_DEFAULT_REGION set when known and not already set", read as: each of the
/// two is set to the region rolecreds uses (from --region, else AWS_REGION or
/// AWS_DEFAULT_REGION of its own environment, else the profile's region) when the child would
/// otherwise not have it, and a value already there is left alone. AWS_REGION alone is not
/// enough for boto3 and the AWS CLI v1, which read AWS_DEFAULT_REGION only.
#[test]
fn exec_tells_the_child_the_region_it_knows() {
    let moto = Moto::start();
    let child_env = |sandbox: &Sandbox, flags: &[&str]| -> BTreeMap<String, String> {
        let mut all = vec!["--role-arn", ROLE_DNS_EDITOR_ARN];
        all.extend_from_slice(flags);
        let finished = run_exec(sandbox, &all, &python_child("env", &[]));
        serde_json::from_value(child_json(&finished)["env"].clone()).expect("a string map")
    };
    let regions = |env: &BTreeMap<String, String>| {
        (
            env.get("AWS_REGION").cloned(),
            env.get("AWS_DEFAULT_REGION").cloned(),
        )
    };
    let some = |a: &str, b: &str| (Some(a.to_owned()), Some(b.to_owned()));

    // Only AWS_REGION (the sandbox's): the child gets AWS_DEFAULT_REGION too.
    let sandbox = moto.sandbox();
    let env = child_env(&sandbox, &[]);
    assert_eq!(
        regions(&env),
        some(emulator::REGION, emulator::REGION),
        "AWS_REGION only"
    );

    // Neither variable, --region given: both.
    let mut sandbox = moto.sandbox();
    sandbox.remove("AWS_REGION");
    let env = child_env(&sandbox, &["--region", emulator::REGION]);
    assert_eq!(
        regions(&env),
        some(emulator::REGION, emulator::REGION),
        "--region with neither variable set"
    );

    // Both set (to different values): left as they are.
    let mut sandbox = moto.sandbox();
    sandbox.set("AWS_DEFAULT_REGION", "eu-west-3");
    let env = child_env(&sandbox, &[]);
    assert_eq!(
        regions(&env),
        some(emulator::REGION, "eu-west-3"),
        "both already set"
    );
}

/// Which side is measured: boto3's own view. botocore's container provider treats
/// credentials with less than 15 minutes left (its advisory refresh window) as due for a
/// refresh at every use, and a 900 s session always has less than that: so boto3 re-reads the
/// endpoint at each call, and the key it holds changes as soon as rolecreds rotates (checked
/// against a stand-in endpoint while writing this test: 4 keys in 6 s for one rotating every
/// 2 s). The access key id recorded is the one boto3 itself holds at each call.
#[test]
fn a_long_child_sees_fresh_keys_and_never_a_failed_call() {
    let moto = Moto::start();
    let mut sandbox = moto.sandbox();
    // boto3 reads AWS_DEFAULT_REGION, not AWS_REGION: given here, so that this test is about
    // freshness alone (exec_tells_the_child_the_region_it_knows checks the region).
    sandbox.set("AWS_DEFAULT_REGION", emulator::REGION);
    let mut flags = vec!["--role-arn", ROLE_DNS_EDITOR_ARN];
    flags.extend(FAST);
    let finished = run_exec(
        &sandbox,
        &flags,
        &python_child("boto3-loop", &["20", "0.2"]),
    );
    println!("{}", finished.describe());
    let summary = child_json(&finished);
    let failures: Vec<String> = serde_json::from_value(summary["failures"].clone()).unwrap();
    let keys: Vec<String> = serde_json::from_value(summary["keys"].clone()).unwrap();
    let arns: Vec<String> = serde_json::from_value(summary["arns"].clone()).unwrap();
    let calls = summary["calls"].as_u64().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {calls} calls failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(calls >= 40, "only {calls} calls in 20 s");
    assert_eq!(arns, [DNS_EDITOR_SESSION_ARN], "the caller throughout");
    let distinct: BTreeSet<&String> = keys.iter().collect();
    assert!(
        distinct.len() >= 3,
        "boto3 held {} distinct keys over 20 s, expected >= 3 (a rotation about every 5 s): \
         {keys:?}",
        distinct.len()
    );
    let issued = moto.assumed_role_keys();
    for key in &keys {
        assert!(
            issued.contains(key),
            "{key} was not issued by AssumeRole: {issued:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// exec: process behaviour
// ---------------------------------------------------------------------------------------

#[test]
fn a_role_that_cannot_be_assumed_never_starts_the_child() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("started");
    let finished = run_exec(
        &sandbox,
        &["--role-arn", ROLE_NO_TRUST_ARN],
        &[
            OsString::from("sh"),
            "-c".into(),
            "touch \"$1\"".into(),
            "sh".into(),
            marker.clone().into(),
        ],
    );
    println!("{}", finished.describe());
    finished.assert_code(3);
    assert!(
        finished.stderr.contains("rolecreds: error:"),
        "no error message:\n{}",
        finished.describe()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !marker.exists(),
        "the child ran although the role could not be assumed"
    );
    assert!(moto.assumed_role_keys().is_empty(), "moto issued a session");
}

#[test]
fn the_childs_exit_status_passes_through() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let flags = ["--role-arn", ROLE_DNS_EDITOR_ARN];
    let cases = [
        ("echo child-ran; exit 0", 0),
        ("echo child-ran; exit 7", 7),
        // Died of SIGTERM (15): 128 + 15, as a shell reports it.
        ("echo child-ran; kill -TERM $$", 143),
    ];
    let mut wrong = Vec::new();
    for (script, code) in cases {
        let finished = run_exec(&sandbox, &flags, &["sh", "-c", script]);
        println!("sh -c {script:?}: {}", finished.describe());
        if finished.status.code() != Some(code) || !finished.stdout.contains("child-ran") {
            wrong.push(format!(
                "sh -c {script:?}: expected exit {code} and the child's stdout, got {}",
                finished.describe()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn signals_are_forwarded_to_the_child() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("signals");
    let ready = dir.path().join("ready");
    let child = python_child("signals", &[out.to_str().unwrap(), ready.to_str().unwrap()]);
    let mut exec = spawn_rolecreds(exec_command(
        &sandbox,
        &["--role-arn", ROLE_DNS_EDITOR_ARN],
        &child,
    ));
    let started = wait_until(Duration::from_secs(30), || {
        ready.exists() || !exec.is_running()
    }) && ready.exists();
    assert!(started, "the child never got ready:\n{}", exec.describe());
    let received = || -> Vec<String> {
        std::fs::read_to_string(&out)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let signals = [
        (libc::SIGINT, "SIGINT"),
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGHUP, "SIGHUP"),
        (libc::SIGQUIT, "SIGQUIT"),
        (libc::SIGUSR1, "SIGUSR1"),
        (libc::SIGUSR2, "SIGUSR2"),
    ];
    let mut expected = Vec::new();
    for (signal, name) in signals {
        assert!(
            exec.is_running(),
            "rolecreds exited before {name}:\n{}",
            exec.describe()
        );
        exec.signal(signal);
        expected.push(name.to_owned());
        let got = wait_until(Duration::from_secs(5), || {
            received().len() >= expected.len()
        });
        assert!(
            got,
            "{name} sent to rolecreds did not reach the child within 5 s; the child got \
             {:?}\n{}",
            received(),
            exec.describe()
        );
    }
    // The child exits 0 on SIGUSR2, and rolecreds with it.
    let finished = exec.finish(Duration::from_secs(10));
    println!("{}", finished.describe());
    assert_eq!(received(), expected, "signals the child received, in order");
    finished.assert_code(0);
}

#[test]
fn while_sts_is_down_the_child_keeps_the_last_credentials() {
    let mut moto = Moto::start();
    let sandbox = moto.sandbox();
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    // 900 s sessions refreshed about every 5 s: during the 6 s outage rolecreds has a
    // refresh due, which fails; the endpoint must keep serving what it has.
    let mut flags = vec!["--role-arn", ROLE_DNS_EDITOR_ARN];
    flags.extend(FAST);
    let child = python_child("fetch-loop", &["8", "0.3", started.to_str().unwrap()]);
    let mut exec = spawn_rolecreds(exec_command(&sandbox, &flags, &child));
    let first = wait_until(Duration::from_secs(30), || {
        started.exists() || !exec.is_running()
    }) && started.exists();
    assert!(first, "the child never fetched:\n{}", exec.describe());
    std::thread::sleep(Duration::from_secs(2));
    moto.kill_server();
    let killed_at = epoch_now();
    let finished = exec.finish(RUN_DEADLINE);
    println!("{}", finished.describe());
    let answers = child_json(&finished);
    let answers = answers.as_array().expect("a list of answers");
    let mut after_kill = Vec::new();
    for answer in answers {
        assert_eq!(
            answer["status"].as_u64(),
            Some(200),
            "a fetch {:+.1} s from the outage did not get credentials: {answer}",
            answer["t"].as_f64().unwrap() - killed_at
        );
        let left = answer["left"].as_f64().unwrap();
        assert!(
            left > 60.0,
            "served credentials with {left} s left: {answer}"
        );
        // Half a second of grace for a refresh that was under way when STS went down.
        if answer["t"].as_f64().unwrap() > killed_at + 0.5 {
            after_kill.push(answer["key"].as_str().unwrap().to_owned());
        }
    }
    assert!(
        after_kill.len() >= 5,
        "only {} fetches during the outage",
        after_kill.len()
    );
    let distinct: BTreeSet<&String> = after_kill.iter().collect();
    assert_eq!(
        distinct.len(),
        1,
        "the key changed while STS was down: {after_kill:?}"
    );
}

// ---------------------------------------------------------------------------------------
// serve
// ---------------------------------------------------------------------------------------

#[test]
fn serve_prints_what_a_shell_evaluates_and_serves_consumers() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let (mut serve, found) = start_serve(&sandbox, &["--role-arn", ROLE_DNS_EDITOR_ARN], &[]);
    println!("exports: {found:?}\n{}", serve.describe());
    let uri = found[FULL_URI].clone();
    let token = found[TOKEN].clone();
    let token_file = PathBuf::from(&found[TOKEN_FILE]);
    loopback_url(&uri);
    assert_token_shape(&token);
    assert_eq!(mode(&token_file), 0o600, "token file mode");
    assert_eq!(
        std::fs::read_to_string(&token_file)
            .unwrap()
            .trim_end_matches(['\r', '\n']),
        token,
        "the token file holds the token"
    );

    // Consumers with nothing but what `eval "$(rolecreds serve ...)"` gives a shell.
    let home = tempfile::tempdir().unwrap();
    let all = [
        (FULL_URI, &uri),
        (TOKEN_FILE, &found[TOKEN_FILE]),
        (TOKEN, &token),
    ];
    let aws = bare_consumer(emulator::venv_bin("aws"), home.path(), &moto)
        .args(["sts", "get-caller-identity", "--output", "json"])
        .envs(all)
        .output()
        .unwrap();
    assert_eq!(
        caller_arn_from_output("AWS CLI", &aws),
        DNS_EDITOR_SESSION_ARN
    );
    let boto3 = "import boto3, json\nprint(json.dumps(boto3.client('sts').get_caller_identity()))";
    for (what, vars) in [
        ("boto3 with all three exports", all.to_vec()),
        (
            "boto3 with the token file only",
            vec![(FULL_URI, &uri), (TOKEN_FILE, &found[TOKEN_FILE])],
        ),
        (
            "boto3 with the token only",
            vec![(FULL_URI, &uri), (TOKEN, &token)],
        ),
    ] {
        let output = bare_consumer(emulator::venv_bin("python"), home.path(), &moto)
            .args(["-c", boto3])
            .envs(vars)
            .output()
            .unwrap();
        assert_eq!(
            caller_arn_from_output(what, &output),
            DNS_EDITOR_SESSION_ARN,
            "{what}"
        );
    }
    assert!(
        std::fs::read_dir(home.path()).unwrap().next().is_none(),
        "a consumer wrote into the empty HOME"
    );

    // The endpoint checks the token.
    let document = fetch_credentials(&uri, &token);
    assert_eq!(caller_arn_of(&moto, &document), DNS_EDITOR_SESSION_ARN);
    let wrong = format!("{}x", &token[..token.len() - 1]);
    for (what, auth, code) in [
        ("no Authorization header", Auth::Absent, 401),
        ("a wrong token", Auth::Header(&wrong), 403),
        ("an empty Authorization header", Auth::Header(""), 403),
    ] {
        let (got, body) = http_get(&uri, auth);
        assert_eq!(got, code, "GET with {what}: {body}");
        assert!(
            !body.contains(document["SecretAccessKey"].as_str().unwrap()),
            "GET with {what} answered the secret"
        );
    }

    serve.signal(libc::SIGTERM);
    let stopped = serve.wait_exit(Duration::from_secs(5));
    let (status, took) =
        stopped.unwrap_or_else(|| panic!("still running 5 s after SIGTERM:\n{}", serve.describe()));
    println!("SIGTERM to exit: {took:?}\n{}", serve.describe());
    assert_eq!(status.code(), Some(0), "{}", serve.describe());
    assert!(
        took <= Duration::from_secs(1),
        "SIGTERM took {took:?} to stop serve"
    );
    assert!(
        !token_file.exists(),
        "the token file {} is left after SIGTERM",
        token_file.display()
    );
}

#[test]
fn serve_with_targets_serves_each_profile_at_its_own_url() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let dir = tempfile::tempdir().unwrap();
    let targets = dir.path().join("targets.toml");
    std::fs::write(
        &targets,
        format!(
            "[[target]]\nprofile = \"dns-prod\"\nrole_arn = \"{ROLE_DNS_EDITOR_ARN}\"\n\n\
             [[target]]\nprofile = \"team-x\"\nrole_arn = \"{ROLE_TEAM_X_ARN}\"\n"
        ),
    )
    .unwrap();
    let port = emulator::free_port();
    let listen = format!("127.0.0.1:{port}");
    let (mut serve, found) = start_serve(
        &sandbox,
        &["--targets", targets.to_str().unwrap(), "--listen", &listen],
        &["dns-prod", "team-x"],
    );
    let stdout = serve.stdout();
    println!("{}", serve.describe());
    let token = found[TOKEN].clone();
    let mut documents = BTreeMap::new();
    for (profile, role_arn) in [
        ("dns-prod", ROLE_DNS_EDITOR_ARN),
        ("team-x", ROLE_TEAM_X_ARN),
    ] {
        let url = target_url(&stdout, profile).unwrap();
        assert!(
            url.starts_with(&format!("http://{listen}/")),
            "{profile}: {url} is not on --listen {listen}"
        );
        assert!(
            url.ends_with(&format!("/profile/{profile}")),
            "{profile} is served at {url}, expected .../profile/{profile}"
        );
        let document = fetch_credentials(&url, &token);
        let served_role = document["RoleArn"].as_str().unwrap();
        let role_name = role_arn.rsplit('/').next().unwrap();
        assert!(
            served_role == role_arn
                || served_role.starts_with(&format!(
                    "arn:aws:sts::123456789012:assumed-role/{role_name}/"
                )),
            "{profile}: RoleArn {served_role}, expected {role_arn}"
        );
        let (code, _) = http_get(&url, Auth::Absent);
        assert_eq!(code, 401, "{profile} without the token");
        documents.insert(profile, document);
    }
    assert_ne!(
        documents["dns-prod"]["AccessKeyId"], documents["team-x"]["AccessKeyId"],
        "both profiles served the same credentials"
    );
    assert_eq!(
        caller_arn_of(&moto, &documents["dns-prod"]),
        DNS_EDITOR_SESSION_ARN
    );
    let team_x = caller_arn_of(&moto, &documents["team-x"]);
    assert!(
        team_x.starts_with(TEAM_X_SESSION_PREFIX),
        "team-x's credentials are {team_x}"
    );
    serve.signal(libc::SIGINT);
    let (status, _) = serve
        .wait_exit(Duration::from_secs(5))
        .unwrap_or_else(|| panic!("still running 5 s after SIGINT:\n{}", serve.describe()));
    assert_eq!(status.code(), Some(0), "SIGINT ends serve with exit 0");
}

#[test]
fn serve_refreshes_at_once_on_sighup() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    // The default 1 h session is next refreshed in about 45 min: only SIGHUP can explain a
    // new key within seconds.
    let (mut serve, found) = start_serve(&sandbox, &["--role-arn", ROLE_DNS_EDITOR_ARN], &[]);
    let (uri, token) = (&found[FULL_URI], &found[TOKEN]);
    let first = fetch_credentials(uri, token)["AccessKeyId"].clone();
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        fetch_credentials(uri, token)["AccessKeyId"],
        first,
        "refreshed without a signal"
    );
    serve.signal(libc::SIGHUP);
    let refreshed = wait_until(Duration::from_secs(5), || {
        fetch_credentials(uri, token)["AccessKeyId"] != first
    });
    assert!(
        refreshed,
        "no new key within 5 s of SIGHUP:\n{}",
        serve.describe()
    );
    let now = fetch_credentials(uri, token);
    assert_eq!(
        moto.assumed_role_keys().last().map(String::as_str),
        now["AccessKeyId"].as_str(),
        "serves the newest session"
    );
    assert!(serve.is_running(), "SIGHUP ended serve");
    serve.signal(libc::SIGTERM);
    let (status, took) = serve
        .wait_exit(Duration::from_secs(5))
        .unwrap_or_else(|| panic!("still running 5 s after SIGTERM:\n{}", serve.describe()));
    assert_eq!(status.code(), Some(0));
    assert!(took <= Duration::from_secs(1), "SIGTERM took {took:?}");
}

#[test]
fn serve_refuses_a_non_loopback_listen_address() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    for address in ["0.0.0.0:0", "[::]:0", "10.1.2.3:8080"] {
        let mut command = rolecreds(&sandbox);
        command.args([
            "serve",
            "--role-arn",
            ROLE_DNS_EDITOR_ARN,
            "--listen",
            address,
        ]);
        let finished = spawn_rolecreds(command).finish(Duration::from_secs(30));
        println!("--listen {address}: {}", finished.describe());
        finished.assert_code(2);
        let ip = address.rsplit_once(':').unwrap().0.trim_matches(['[', ']']);
        assert!(
            finished.stderr.contains("listen") || finished.stderr.contains(ip),
            "--listen {address}: the error should be about the address:\n{}",
            finished.describe()
        );
        assert!(
            !finished.stdout.contains("export "),
            "--listen {address}: printed exports"
        );
    }
    assert!(
        moto.assumed_role_keys().is_empty(),
        "a refused --listen still assumed the role"
    );
    // The same command with a loopback address serves.
    let (mut serve, _) = start_serve(
        &sandbox,
        &["--role-arn", ROLE_DNS_EDITOR_ARN, "--listen", "127.0.0.1:0"],
        &[],
    );
    serve.signal(libc::SIGTERM);
    let (status, _) = serve
        .wait_exit(Duration::from_secs(5))
        .unwrap_or_else(|| panic!("still running after SIGTERM:\n{}", serve.describe()));
    assert_eq!(status.code(), Some(0));
}

/// With `--mfa-serial`, one MFA session (GetSessionToken with the code) is taken before the
/// child starts, and every refresh assumes the role from it without asking again. moto does
/// not register GetSessionToken credentials for its signature checks, so auth is off here;
/// that one session serves every refresh is read from rolecreds' own `-v` log.
#[test]
fn exec_with_mfa_takes_one_mfa_session_and_refreshes_from_it() {
    let moto = Moto::start();
    moto.set_auth_enforced(false);
    let mut sandbox = moto.sandbox();
    sandbox.set("AWS_DEFAULT_REGION", emulator::REGION);
    let mut flags = vec![
        "--role-arn",
        ROLE_DNS_EDITOR_ARN,
        "--mfa-serial",
        "arn:aws:iam::123456789012:mfa/alice",
        "--token-code",
        "975310",
        "-v",
    ];
    flags.extend(FAST);
    let finished = run_exec(&sandbox, &flags, &python_child("boto3-loop", &["8", "0.2"]));
    let summary = child_json(&finished);
    let failures: Vec<String> = serde_json::from_value(summary["failures"].clone()).unwrap();
    let keys: Vec<String> = serde_json::from_value(summary["keys"].clone()).unwrap();
    assert!(failures.is_empty(), "calls failed: {failures:?}");
    let distinct: BTreeSet<&String> = keys.iter().collect();
    assert!(
        distinct.len() >= 2,
        "expected refreshes within 8 s, saw {distinct:?}:\n{}",
        finished.describe()
    );
    assert_eq!(
        finished.stderr.matches("MFA session valid until").count(),
        1,
        "one MFA session for every refresh:\n{}",
        finished.stderr
    );
    assert!(
        !finished.stderr.contains("MFA code for"),
        "prompted although a code was given"
    );
    for printed in [&finished.stdout, &finished.stderr] {
        assert!(
            !printed.contains("975310"),
            "the MFA code leaked:\n{printed}"
        );
    }
}
