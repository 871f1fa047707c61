//! A real STS/IAM endpoint for end-to-end tests: moto's server, started on a free loopback
//! port from `.venv-test/` (made by `scripts/test-deps`), seeded through the real IAM API,
//! then switched to enforce authentication, signatures, policies and trust policies.
//!
//! Use from a test file with `mod emulator;`:
//!
//! ```ignore
//! let moto = emulator::Moto::start();
//! let sandbox = moto.sandbox();                 // temp HOME, alice's keys in the env
//! let out = sandbox.rolecreds().args(["--account-id", emulator::ACCOUNT_ID]).output()?;
//! ```
//!
//! What is seeded (account 123456789012, moto's default):
//! - user `alice` (path `/`) with one access key ([`Moto::alice`]) and an inline policy that
//!   allows `sts:AssumeRole` on `*` and `iam:GetUser`;
//! - role `dns_editor` (path `/`) and role `x` (path `/team/`), both trusting alice's exact
//!   user ARN (moto denies `…:root` principals);
//! - role `no_trust` whose trust policy names only user `bob`, so alice is refused.
//!
//! Every command built here starts from an empty environment ([`Sandbox::command`]), so the
//! developer's own `~/.aws`, `AWS_PROFILE` or keys never leak into a test.
//!
//! [`background::Background`] runs the binary (or any program) in the background with its
//! output in files, for the tests that signal, poll and wait for it.

#![allow(dead_code)]

#[cfg(unix)]
pub mod background;

use std::ffi::{OsStr, OsString};
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};

/// moto's default account.
pub const ACCOUNT_ID: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const ALICE_ARN: &str = "arn:aws:iam::123456789012:user/alice";
pub const BOB_ARN: &str = "arn:aws:iam::123456789012:user/bob";
/// Role at path `/` that trusts alice.
pub const ROLE_DNS_EDITOR: &str = "dns_editor";
pub const ROLE_DNS_EDITOR_ARN: &str = "arn:aws:iam::123456789012:role/dns_editor";
/// Role at path `/team/` that trusts alice.
pub const ROLE_TEAM_X_ARN: &str = "arn:aws:iam::123456789012:role/team/x";
/// Role whose trust policy does not name alice.
pub const ROLE_NO_TRUST: &str = "no_trust";
pub const ROLE_NO_TRUST_ARN: &str = "arn:aws:iam::123456789012:role/no_trust";

const START_TIMEOUT: Duration = Duration::from_secs(30);
const START_ATTEMPTS: usize = 3;

/// Makes the process `command` starts die with the test (SIGKILL when the spawning thread
/// ends): if the test process dies without unwinding (nextest timeout, SIGKILL), a server or
/// watcher it started must not run on orphaned.
pub fn die_with_parent(command: &mut Command) {
    // Only Linux has a parent-death signal; elsewhere the test's own clean-up has to do.
    #[cfg(not(target_os = "linux"))]
    let _ = command;
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt as _;
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
}

/// Asserts exit 0 and that stdout is exactly one Version 1 credential_process document with
/// its five fields and no others; returns it.
pub fn process_document(output: &std::process::Output) -> serde_json::Value {
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout {out:?}, stderr:\n{err}"
    );
    assert_eq!(out.lines().count(), 1, "one line on stdout: {out:?}");
    let document: serde_json::Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {out:?}"));
    let fields: std::collections::BTreeSet<&str> = document
        .as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect();
    let expected = [
        "AccessKeyId",
        "Expiration",
        "SecretAccessKey",
        "SessionToken",
        "Version",
    ];
    assert_eq!(fields, expected.into_iter().collect(), "{out}");
    assert_eq!(document["Version"], 1, "{out}");
    document
}

/// Path of a program inside the test virtualenv (`.venv-test/bin/NAME`).
pub fn venv_bin(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".venv-test/bin")
        .join(name)
}

/// An access key pair.
#[derive(Clone, Debug)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
}

impl AccessKey {
    /// A credentials-file profile `[name]` holding these long-term keys.
    pub fn profile(&self, name: &str) -> String {
        format!(
            "[{name}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            self.id, self.secret
        )
    }
}

/// The caller ARN the AWS SDK for Rust gets in this process, from the default chain or from
/// `profile`, with the environment as it is (for a test binary re-run as a consumer child).
pub fn rust_sdk_caller_arn_here(profile: Option<&str>) -> String {
    Moto::block_on(async move {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(aws_smithy_http_client::Builder::new().build_http());
        if let Some(profile) = profile {
            loader = loader.profile_name(profile);
        }
        let config = loader.load().await;
        aws_sdk_sts::Client::new(&config)
            .get_caller_identity()
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetCallerIdentity (profile {profile:?}): {e:?}"))
            .arn()
            .map(str::to_owned)
            .expect("an Arn")
    })
}

/// A running, seeded moto server with auth enforced. Dropping it kills and reaps exactly
/// the process it started.
pub struct Moto {
    child: Child,
    port: u16,
    alice: AccessKey,
    log: tempfile::NamedTempFile,
}

impl Moto {
    /// Starts moto on a free loopback port, waits until it answers, seeds it, and turns
    /// auth enforcement on. Panics (never skips) if moto is not installed or does not start.
    pub fn start() -> Moto {
        let program = venv_bin("moto_server");
        if !program.is_file() {
            panic!(
                "moto is not installed: run scripts/test-deps (missing {})",
                program.display()
            );
        }
        let mut last_error = String::new();
        for _ in 0..START_ATTEMPTS {
            match Self::spawn(&program, free_port()) {
                Ok((child, port, log)) => {
                    let mut moto = Moto {
                        child,
                        port,
                        alice: AccessKey {
                            id: String::new(),
                            secret: String::new(),
                        },
                        log,
                    };
                    moto.alice = moto.seed();
                    moto.enforce_auth();
                    return moto;
                }
                // Most likely another process took the port between probe and bind: retry.
                Err(error) => last_error = error,
            }
        }
        panic!("moto did not start after {START_ATTEMPTS} attempts: {last_error}");
    }

    fn spawn(program: &Path, port: u16) -> Result<(Child, u16, tempfile::NamedTempFile), String> {
        let log = tempfile::NamedTempFile::new().expect("temp file for moto's log");
        let mut command = Command::new(program);
        // The signal follows the spawning thread, so start Moto on the thread that uses it.
        die_with_parent(&mut command);
        let mut child = command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(log.reopen().expect("moto log"))
            .stderr(log.reopen().expect("moto log"))
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "moto_server exited with {status} before answering on port {port}: {}",
                    read_log(&log)
                ));
            }
            // Only our own server writes this line to our log, so a 200 from some other
            // process that grabbed the port first is never mistaken for ours.
            let ours = std::fs::read_to_string(log.path())
                .is_ok_and(|text| text.contains(&format!("Running on http://127.0.0.1:{port}")));
            if ours
                && http_request(port, "GET", "/moto-api/", "", "")
                    .is_ok_and(|(code, _)| code == 200)
            {
                return Ok((child, port, log));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "moto_server did not answer GET /moto-api/ with 200 within {START_TIMEOUT:?} \
                     on port {port}: {}",
                    read_log(&log)
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id (e.g. to SIGSTOP it: a hung endpoint that accepts
    /// connections and never answers).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// alice's real access key (valid while auth is enforced).
    pub fn alice(&self) -> &AccessKey {
        &self.alice
    }

    /// moto's request log so far (for failure messages).
    pub fn log(&self) -> String {
        read_log(&self.log)
    }

    /// A sandbox whose environment runs the binary as alice against this moto.
    pub fn sandbox(&self) -> Sandbox {
        Sandbox::new(&self.endpoint(), &self.alice)
    }

    /// Stops the server now (e.g. to test an unreachable endpoint); dropping does the same.
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }

    /// Kills the server but keeps its port, so that [`Moto::start_again`] can bring an
    /// endpoint back where clients expect it (e.g. to test an outage and recovery).
    pub fn kill_server(&mut self) {
        self.kill();
    }

    /// Starts a fresh server on the same port after [`Moto::kill_server`]. moto keeps no
    /// state across restarts: nothing is seeded (alice's key is gone) and auth is not
    /// enforced, so any key is accepted. Panics if the port cannot be taken again.
    pub fn start_again(&mut self) {
        self.kill();
        let program = venv_bin("moto_server");
        let mut last_error = String::new();
        for _ in 0..START_ATTEMPTS {
            match Self::spawn(&program, self.port) {
                Ok((child, _, log)) => {
                    self.child = child;
                    self.log = log;
                    return;
                }
                Err(error) => {
                    last_error = error;
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
        panic!(
            "moto did not start again on port {} after {START_ATTEMPTS} attempts: {last_error}",
            self.port
        );
    }

    /// Turns auth enforcement on or off on the running server (off: any key is accepted and
    /// no policy is checked, as in a fresh moto).
    pub fn set_auth_enforced(&self, enforced: bool) {
        let count = if enforced { "0" } else { "inf" };
        let (code, body) = http_request(
            self.port,
            "POST",
            "/moto-api/reset-auth",
            "text/plain",
            count,
        )
        .unwrap_or_else(|e| panic!("POST /moto-api/reset-auth: {e}"));
        assert_eq!(
            code, 200,
            "POST /moto-api/reset-auth answered {code}: {body}"
        );
    }

    /// The access key ids of every AssumeRole session this server has issued, oldest first
    /// (from moto's `/moto-api/data.json`; the request log does not name actions).
    pub fn assumed_role_keys(&self) -> Vec<String> {
        let (code, body) = http_request(self.port, "GET", "/moto-api/data.json", "", "")
            .unwrap_or_else(|e| panic!("GET /moto-api/data.json: {e}"));
        assert_eq!(code, 200, "GET /moto-api/data.json answered {code}: {body}");
        let data: serde_json::Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("GET /moto-api/data.json is not JSON ({e}): {body:.200}"));
        data["sts"]["AssumedRole"]
            .as_array()
            .map(|roles| {
                roles
                    .iter()
                    .filter_map(|role| role["access_key_id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Runs a future to completion on a fresh current-thread tokio runtime.
    pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
            .block_on(future)
    }

    /// SDK configuration for this moto with the given static keys, built without reading
    /// any environment or file.
    pub fn sdk_config(&self, key: &AccessKey, token: Option<String>) -> aws_config::SdkConfig {
        sdk_config_for(
            &self.endpoint(),
            Credentials::new(&key.id, &key.secret, token, None, "rolecreds-tests"),
        )
    }

    fn seed(&self) -> AccessKey {
        let endpoint = self.endpoint();
        Self::block_on(async move {
            // Auth is not enforced yet: any key is accepted while seeding.
            let config = sdk_config_for(
                &endpoint,
                Credentials::new("AKIDSEEDING000000000", "seeding", None, None, "seed"),
            );
            let iam = aws_sdk_iam::Client::new(&config);
            let fail = |what: &str, e: &dyn std::fmt::Debug| -> ! {
                panic!("seeding moto: {what} failed: {e:?}")
            };
            for user in ["alice", "bob"] {
                iam.create_user()
                    .user_name(user)
                    .path("/")
                    .send()
                    .await
                    .unwrap_or_else(|e| fail("CreateUser", &e));
            }
            let key = iam
                .create_access_key()
                .user_name("alice")
                .send()
                .await
                .unwrap_or_else(|e| fail("CreateAccessKey", &e));
            let key = key.access_key().expect("CreateAccessKey returned a key");
            // moto evaluates iam:GetUser against resource "*" (it only resolves role ARNs),
            // so a statement scoped to alice's ARN would never match there; real AWS would
            // need only `Resource: ALICE_ARN`. Both are listed to show the intent.
            let user_policy = serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:GetSessionToken"], "Resource": "*"},
                    {"Effect": "Allow", "Action": "iam:GetUser", "Resource": [ALICE_ARN, "*"]}
                ]
            });
            iam.put_user_policy()
                .user_name("alice")
                .policy_name("assume-roles")
                .policy_document(user_policy.to_string())
                .send()
                .await
                .unwrap_or_else(|e| fail("PutUserPolicy", &e));
            for (name, path, trusted) in [
                (ROLE_DNS_EDITOR, "/", ALICE_ARN),
                ("x", "/team/", ALICE_ARN),
                (ROLE_NO_TRUST, "/", BOB_ARN),
            ] {
                let trust = serde_json::json!({
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Principal": {"AWS": trusted},
                        "Action": "sts:AssumeRole"
                    }]
                });
                iam.create_role()
                    .role_name(name)
                    .path(path)
                    .assume_role_policy_document(trust.to_string())
                    .max_session_duration(43200)
                    .send()
                    .await
                    .unwrap_or_else(|e| fail("CreateRole", &e));
            }
            AccessKey {
                id: key.access_key_id().to_owned(),
                secret: key.secret_access_key().to_owned(),
            }
        })
    }

    /// From now on moto checks every request: key, signature, policies, trust policies.
    fn enforce_auth(&self) {
        self.set_auth_enforced(true);
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.kill();
    }
}

/// SDK configuration for `endpoint` with static credentials, built without reading any
/// environment variable or file.
fn sdk_config_for(endpoint: &str, credentials: Credentials) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build()
}

fn read_log(log: &tempfile::NamedTempFile) -> String {
    let text = std::fs::read_to_string(log.path()).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(40).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// A loopback port nothing listens on right now (bound by us, then released).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral loopback port")
}

/// `http://127.0.0.1:1`, a port that refuses connections. A port below the ephemeral range
/// (32768 and up): a freed ephemeral port could be chosen as the client's own source port,
/// and a TCP connection to oneself then succeeds (simultaneous open) instead of failing.
pub fn closed_endpoint() -> String {
    "http://127.0.0.1:1".to_owned()
}

/// Minimal HTTP/1.1 request over a raw socket; returns (status, body).
fn http_request(
    port: u16,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    if !content_type.is_empty() {
        request.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let code = response
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {response:?}")))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((code, body))
}

/// A temporary HOME with `.aws/config` and `.aws/credentials` paths, and the environment
/// that points the binary (and the AWS CLI, boto3) at one endpoint with one source key.
pub struct Sandbox {
    dir: tempfile::TempDir,
    env: Vec<(OsString, OsString)>,
}

impl Sandbox {
    /// Environment: AWS_ENDPOINT_URL, AWS_REGION, the key in AWS_ACCESS_KEY_ID /
    /// AWS_SECRET_ACCESS_KEY, AWS_EC2_METADATA_DISABLED=true, and HOME, AWS_CONFIG_FILE,
    /// AWS_SHARED_CREDENTIALS_FILE inside a fresh temp dir (files not created).
    pub fn new(endpoint: &str, key: &AccessKey) -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join(".aws")).expect("create .aws");
        let mut sandbox = Sandbox {
            dir,
            env: Vec::new(),
        };
        let home = sandbox.home().to_owned();
        let config = sandbox.config_file();
        let credentials = sandbox.credentials_file();
        sandbox
            .set("AWS_ENDPOINT_URL", endpoint)
            .set("AWS_REGION", REGION)
            .set("AWS_ACCESS_KEY_ID", &key.id)
            .set("AWS_SECRET_ACCESS_KEY", &key.secret)
            .set("AWS_EC2_METADATA_DISABLED", "true")
            .set("HOME", home)
            .set("AWS_CONFIG_FILE", config)
            .set("AWS_SHARED_CREDENTIALS_FILE", credentials);
        sandbox
    }

    /// A sandbox pointing at a port that refuses connections, with a made-up key: for
    /// checks that must finish before any network call.
    pub fn offline() -> Sandbox {
        Sandbox::new(
            &closed_endpoint(),
            &AccessKey {
                id: "AKIAOFFLINE000000000".into(),
                secret: "offline/secret/key/0000000000000000000000".into(),
            },
        )
    }

    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_file(&self) -> PathBuf {
        self.dir.path().join(".aws/config")
    }

    pub fn credentials_file(&self) -> PathBuf {
        self.dir.path().join(".aws/credentials")
    }

    /// Sets (or replaces) one variable of the environment.
    pub fn set(&mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        self.remove(name.as_ref());
        self.env
            .push((name.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Removes one variable from the environment.
    pub fn remove(&mut self, name: impl AsRef<OsStr>) -> &mut Self {
        self.env.retain(|(n, _)| n != name.as_ref());
        self
    }

    /// The environment as (name, value) pairs.
    pub fn env(&self) -> &[(OsString, OsString)] {
        &self.env
    }

    /// The value of one variable of the environment.
    pub fn var(&self, name: &str) -> Option<&OsStr> {
        self.env
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_os_str())
    }

    /// `program` with an empty environment plus PATH and this sandbox's variables, run in
    /// the sandbox's HOME.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(n, v)| (n, v)))
            .current_dir(self.home())
            .stdin(Stdio::null());
        command
    }

    /// Like [`Sandbox::command`] but without the source keys (AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE): for consumers that must
    /// find their credentials in a profile of the credentials file and nowhere else.
    /// Adds AWS_DEFAULT_REGION, which the AWS CLI v1 reads instead of AWS_REGION.
    pub fn consumer_command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = self.command(program);
        command.env("AWS_DEFAULT_REGION", REGION);
        for name in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
        ] {
            command.env_remove(name);
        }
        command
    }

    /// The rolecreds binary under test, in this sandbox.
    pub fn rolecreds(&self) -> Command {
        self.command(env!("CARGO_BIN_EXE_rolecreds"))
    }
}

/// Consumers that read a written profile the way users' tools do. Each one gets its
/// credentials from the named profile of the sandbox's credentials file only, and calls
/// `sts:GetCallerIdentity` on the sandbox's endpoint; with auth enforced that succeeds only
/// if the written key, secret and token are genuinely valid. Each returns the caller's ARN.
impl Sandbox {
    /// `aws sts get-caller-identity --profile PROFILE` (AWS CLI v1 from `.venv-test`).
    pub fn aws_cli_caller_arn(&self, profile: &str) -> Result<String, String> {
        let output = self
            .consumer_command(venv_bin("aws"))
            .args([
                "sts",
                "get-caller-identity",
                "--output",
                "json",
                "--profile",
                profile,
            ])
            .output()
            .map_err(|e| format!("cannot run aws: {e}"))?;
        caller_arn_from_json(&output)
    }

    /// `boto3.Session(profile_name=PROFILE).client("sts").get_caller_identity()`.
    pub fn boto3_caller_arn(&self, profile: &str) -> Result<String, String> {
        let script = "import boto3, json, sys\n\
                      session = boto3.Session(profile_name=sys.argv[1])\n\
                      print(json.dumps(session.client('sts').get_caller_identity()))\n";
        let output = self
            .consumer_command(venv_bin("python"))
            .args(["-c", script, profile])
            .output()
            .map_err(|e| format!("cannot run python: {e}"))?;
        caller_arn_from_json(&output)
    }

    /// The AWS SDK for Rust: `ProfileFileCredentialsProvider` reading only this sandbox's
    /// credentials file (no environment credentials, no default files).
    pub fn rust_sdk_caller_arn(&self, profile: &str) -> Result<String, String> {
        use aws_config::profile::ProfileFileCredentialsProvider;
        use aws_runtime::env_config::file::{
            EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
        };
        let endpoint = self
            .var("AWS_ENDPOINT_URL")
            .and_then(OsStr::to_str)
            .expect("sandbox has AWS_ENDPOINT_URL")
            .to_owned();
        let mut files = ProfileFiles::builder()
            .include_default_config_file(false)
            .include_default_credentials_file(false)
            .with_file(ProfileFileKind::Credentials, self.credentials_file());
        // An explicitly named file must exist; a sandbox without a config file has none.
        if self.config_file().exists() {
            files = files.with_file(ProfileFileKind::Config, self.config_file());
        }
        let files = files.build();
        let provider = ProfileFileCredentialsProvider::builder()
            .profile_files(files)
            .profile_name(profile)
            .configure(
                &aws_config::provider_config::ProviderConfig::without_region()
                    .with_region(Some(Region::new(REGION)))
                    .with_http_client(aws_smithy_http_client::Builder::new().build_http()),
            )
            .build();
        let config = aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new(REGION))
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        Moto::block_on(async move {
            let identity = aws_sdk_sts::Client::new(&config)
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| format!("GetCallerIdentity with profile {profile}: {e:?}"))?;
            identity
                .arn()
                .map(str::to_owned)
                .ok_or_else(|| "GetCallerIdentity returned no Arn".to_owned())
        })
    }
}

fn caller_arn_from_json(output: &std::process::Output) -> Result<String, String> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "{}: stdout {stdout:?}, stderr {:?}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let identity: serde_json::Value =
        serde_json::from_str(stdout.trim()).map_err(|e| format!("not JSON ({e}): {stdout:?}"))?;
    identity["Arn"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no Arn in {stdout:?}"))
}
