//! `rolecreds exec -- COMMAND`: assume the role, then run COMMAND with a local credentials
//! endpoint that every SDK refreshes from by itself, kept fresh by a keeper for as long as
//! COMMAND runs; pass signals on; exit with COMMAND's status.
//!
//! The child must get the role whatever else is configured: the SDK chains try environment
//! keys and profiles before the container endpoint, so those are taken out of its
//! environment, and its AWS config and credentials files are private copies without
//! credentials (unless `--keep-aws-files`).
//!
//! On Windows the child shares rolecreds' console and gets Ctrl-C and Ctrl-Break from it
//! directly, so nothing is forwarded: rolecreds only outlives those events and waits.

use crate::adapters::console::say;
use crate::adapters::endpoint::{self, CredentialsFeed};
use crate::adapters::signals::{Forwarded, Received, Signals};
use crate::domain::child_config;
use crate::engine::endpoint_outlet::{EndpointOutlet, first_credentials};
use crate::engine::keeper::{self, Outlet};
use crate::engine::session::Session;
use crate::settings::{ExecSettings, FileSettings, RotateSettings};
use anyhow::Context as _;
use std::ffi::OsString;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::SystemTime;

/// The endpoint's path for the one role.
const ROUTE: &str = "/role";

/// Variables that would make the child's SDK take credentials from somewhere else first.
const REMOVED: [&str; 11] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// Runs the command and returns its exit status (128+N when signal N ended it). On Windows
/// an exit code above 255 ends rolecreds here with that code, after the clean-up.
pub async fn run(
    settings: &RotateSettings,
    exec: &ExecSettings,
    file: &FileSettings,
) -> anyhow::Result<u8> {
    let (session, first) = first_credentials(settings).await?;
    let (outlet, feed) = EndpointOutlet::new(settings);
    outlet.publish(&session, &first)?;
    let bound = endpoint::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
    let token = endpoint::token();
    let url = bound.url(ROUTE);
    tracing::info!("credentials endpoint on {}", bound.local_addr());
    let files = if exec.keep_aws_files {
        None
    } else {
        Some(PrivateFiles::write(file)?)
    };
    let environment = child_environment(settings, &url, token.expose(), files.as_ref());
    let mut forwarded = Forwarded::listen()?;
    let mut child = spawn(&exec.command, &environment)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = bound.serve(token, routes(feed), async {
        let _ = stopped.await;
    });
    let keeper = keep(settings, session, first.expiration(), &outlet);
    tokio::pin!(server, keeper);
    let status = loop {
        tokio::select! {
            status = child.wait() => break status.context("cannot wait for the command")?,
            number = forwarded.next() => forward(&child, number),
            result = &mut keeper => report_keeper_end(result),
            result = &mut server => report_server_end(result),
        }
    };
    let _ = stop.send(());
    drop(files);
    Ok(pass_through(status))
}

/// The keeper after the first set; it takes no signals (they are the child's).
async fn keep(
    settings: &RotateSettings,
    session: Session,
    published: SystemTime,
    outlet: &EndpointOutlet,
) -> anyhow::Result<()> {
    let mut signals = Signals::inert();
    keeper::keep_fresh_after(settings, session, published, outlet, &mut signals).await
}

fn routes(feed: CredentialsFeed) -> Vec<(String, CredentialsFeed)> {
    vec![(ROUTE.to_owned(), feed)]
}

/// The keeper ends only on a failure retrying cannot fix (access denied, say): the command
/// keeps the credentials it has until they expire, then the endpoint answers 503.
fn report_keeper_end(result: anyhow::Result<()>) {
    if let Err(err) = result {
        say!(
            "rolecreds: warning: the credentials can no longer be refreshed ({err:#}); the \
             command keeps the current ones until they expire"
        );
    }
}

fn report_server_end(result: anyhow::Result<()>) {
    if let Err(err) = result {
        say!("rolecreds: warning: the credentials endpoint stopped: {err:#}");
    }
}

/// The child's environment: ours, less every source of credentials that would shadow the
/// endpoint, plus the endpoint, the private files and the region.
fn child_environment(
    settings: &RotateSettings,
    url: &str,
    token: &str,
    files: Option<&PrivateFiles>,
) -> Vec<(OsString, Option<OsString>)> {
    let mut changes: Vec<(OsString, Option<OsString>)> =
        REMOVED.iter().map(|name| (name.into(), None)).collect();
    changes.push((
        "AWS_CONTAINER_CREDENTIALS_FULL_URI".into(),
        Some(url.into()),
    ));
    changes.push((
        "AWS_CONTAINER_AUTHORIZATION_TOKEN".into(),
        Some(token.into()),
    ));
    if let Some(files) = files {
        changes.push(("AWS_CONFIG_FILE".into(), Some(files.config.clone().into())));
        changes.push((
            "AWS_SHARED_CREDENTIALS_FILE".into(),
            Some(files.credentials.clone().into()),
        ));
    }
    // Both names, since SDKs differ in which they read (boto3 and the AWS CLI v1 read only
    // AWS_DEFAULT_REGION): the region known from --region, the role profile or either one.
    let given = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let region = settings
        .connection
        .region
        .clone()
        .map(OsString::from)
        .or_else(|| given("AWS_REGION"))
        .or_else(|| given("AWS_DEFAULT_REGION"));
    if let Some(region) = region {
        for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            if given(name).is_none() {
                changes.push((name.into(), Some(region.clone())));
            }
        }
    }
    changes
}

fn spawn(
    command: &[OsString],
    environment: &[(OsString, Option<OsString>)],
) -> anyhow::Result<tokio::process::Child> {
    let (program, args) = command
        .split_first()
        .context("exec needs a command to run after --")?;
    let mut child = tokio::process::Command::new(program);
    child.args(args);
    for (name, value) in environment {
        match value {
            Some(value) => child.env(name, value),
            None => child.env_remove(name),
        };
    }
    child.spawn().map_err(|err| {
        crate::error::UsageError(format!("cannot run `{}`: {err}", program.to_string_lossy()))
            .into()
    })
}

/// Passes a signal on to the child (which, on a terminal, may get it from the terminal too:
/// it is in the same process group, as without rolecreds).
#[cfg(unix)]
fn forward(child: &tokio::process::Child, number: Received) {
    if let Some(pid) = child.id().and_then(|pid| libc::pid_t::try_from(pid).ok()) {
        // SAFETY: kill(2) on our own child's pid, which is not reaped while it is running.
        unsafe {
            libc::kill(pid, number);
        }
    }
}

/// Windows: the child got the console event from the console already.
#[cfg(not(unix))]
fn forward(_child: &tokio::process::Child, _event: Received) {}

/// The shell's convention: the exit code, or 128+N for a child ended by signal N.
#[cfg(unix)]
fn pass_through(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(1),
        (None, Some(signal)) => u8::try_from(128 + signal).unwrap_or(255),
        (None, None) => 1,
    }
}

/// Windows exit codes are 32 bits (a Ctrl-C'd program's is 0xC000013A) and `ExitCode` takes
/// only a byte on stable Rust, so a larger code is passed through by `process::exit`, which
/// is safe here: everything `run` cleans up is done.
#[cfg(not(unix))]
fn pass_through(status: std::process::ExitStatus) -> u8 {
    let code = status.code().unwrap_or(1);
    u8::try_from(code).unwrap_or_else(|_| std::process::exit(code))
}

/// The child's private AWS config (the user's, without credentials) and an empty
/// credentials file, in a 0700 directory removed when dropped.
struct PrivateFiles {
    _dir: tempfile::TempDir,
    config: PathBuf,
    credentials: PathBuf,
}

impl PrivateFiles {
    fn write(file: &FileSettings) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("rolecreds-exec-")
            .tempdir()
            .context("cannot create the command's private AWS directory")?;
        let config_text = crate::settings::role_profile::config_text(file)?;
        let config = dir.path().join("config");
        let credentials = dir.path().join("credentials");
        write_private(
            &config,
            child_config::without_credentials(&config_text).as_bytes(),
        )?;
        write_private(&credentials, b"")?;
        Ok(Self {
            _dir: dir,
            config,
            credentials,
        })
    }
}

/// A new file only the user can read: 0600 on Unix; on Windows the temp directory's ACL (in
/// the user profile) covers it.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options
        .open(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    out.write_all(bytes)
        .with_context(|| format!("cannot write `{}`", path.display()))
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_follows_the_shell() {
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(pass_through(std::process::ExitStatus::from_raw(7 << 8)), 7);
        assert_eq!(pass_through(std::process::ExitStatus::from_raw(0)), 0);
        assert_eq!(pass_through(std::process::ExitStatus::from_raw(15)), 143);
    }
}
