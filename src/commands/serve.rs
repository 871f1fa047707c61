//! `rolecreds serve`: the local credentials endpoint on its own, until stopped, for shells,
//! IDEs and several consumers at once: one role at `/role`, or each target of a targets file
//! at `/profile/NAME`, each kept fresh by its own keeper. It prints the `export` lines a shell
//! evaluates; SIGTERM or SIGINT stops it (exit 0), SIGHUP refreshes every role now. On
//! Windows, Ctrl-C, Ctrl-Break or closing the console stops it; nothing refreshes on demand.

use crate::adapters::console::say;
use crate::adapters::endpoint::{self, CredentialsFeed};
use crate::adapters::fs::checked_read::{self, Owner, Writers};
use crate::adapters::fs::commit;
use crate::adapters::signals::Signals;
use crate::engine::endpoint_outlet::{EndpointOutlet, first_credentials};
use crate::engine::keeper::{self, Outlet};
use crate::error::UsageError;
use crate::settings::{RotateSettings, ServeSettings};
use anyhow::Context as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use tokio::task::JoinSet;

/// One role to serve, at its path.
#[derive(Debug, Clone)]
pub struct Route {
    /// `/role`, or `/profile/NAME` for a target.
    pub path: String,
    /// The target's profile name, for the start-up lines.
    pub profile: Option<String>,
    pub settings: RotateSettings,
}

/// Serves every route until a stop signal.
pub async fn run(routes: Vec<Route>, serve: &ServeSettings) -> anyhow::Result<()> {
    let mut signals = Signals::listen()?;
    let bound = endpoint::bind(serve.listen).await?;
    let token = endpoint::token();
    let token_file = TokenFile::write(token.expose(), serve.token_file.as_deref())?;
    let mut keepers = JoinSet::new();
    let mut feeds = Vec::with_capacity(routes.len());
    let single = routes.len() == 1;
    for route in &routes {
        let feed = start_keeper(route, single, &mut keepers).await?;
        feeds.push((route.path.clone(), feed));
    }
    print_exports(&routes, &bound, token.expose(), token_file.path())?;
    if std::env::var_os(DETACHED).is_some() {
        leave_the_pipes();
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = bound.serve(token, feeds, async {
        let _ = stopped.await;
    });
    tokio::pin!(server);
    loop {
        tokio::select! {
            () = signals.stopped() => break,
            Some(ended) = keepers.join_next() => report_keeper_end(ended),
            result = &mut server => return result,
        }
    }
    tracing::info!("stopping on signal");
    let _ = stop.send(());
    server.await
}

/// Takes the route's first set (for one role, a failure ends `serve` with its exit code; for
/// a target, it is reported and its keeper keeps trying) and starts its keeper.
async fn start_keeper(
    route: &Route,
    single: bool,
    keepers: &mut JoinSet<anyhow::Result<()>>,
) -> anyhow::Result<CredentialsFeed> {
    let settings = route.settings.clone();
    let (outlet, feed) = EndpointOutlet::new(&settings);
    let first = match first_credentials(&settings).await {
        Ok(first) => Some(first),
        Err(err) if single => return Err(err),
        Err(err) => {
            say!(
                "rolecreds: warning: {}: {err:#}; retrying",
                route.profile.as_deref().unwrap_or(&route.path)
            );
            None
        }
    };
    if let Some((session, credentials)) = &first {
        outlet.publish(session, credentials)?;
    }
    keepers.spawn(async move {
        // Its own signal listeners: SIGHUP refreshes it, SIGTERM and SIGINT stop it.
        let mut signals = Signals::listen()?;
        match first {
            Some((session, credentials)) => {
                let published = credentials.expiration();
                keeper::keep_fresh_after(&settings, session, published, &outlet, &mut signals).await
            }
            None => keeper::keep_fresh(&settings, &outlet, &mut signals).await,
        }
    });
    Ok(feed)
}

fn report_keeper_end(ended: Result<anyhow::Result<()>, tokio::task::JoinError>) {
    match ended {
        Ok(Ok(())) => {}
        Ok(Err(err)) => say!(
            "rolecreds: warning: a role can no longer be refreshed ({err:#}); its credentials \
             are served until they expire"
        ),
        Err(err) => say!("rolecreds: warning: a keeper stopped: {err}"),
    }
}

/// The lines a shell evaluates, on stdout: one comment line per target naming its profile and
/// URL, then the endpoint (the first route's) and the token, as a file and as a value (older
/// SDKs, among them Go SDK v2 releases in Terraform providers, read only the value).
fn print_exports(
    routes: &[Route],
    bound: &endpoint::Bound,
    token: &str,
    token_file: &Path,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for route in routes {
        if let Some(profile) = &route.profile {
            writeln!(out, "# profile {profile}: {}", bound.url(&route.path))?;
        }
    }
    let first = routes.first().context("nothing to serve")?;
    let lines = [
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", bound.url(&first.path)),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            token_file.display().to_string(),
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", token.to_owned()),
    ];
    for (name, value) in lines {
        writeln!(out, "export {name}={}", shell_quoted(&value))?;
    }
    out.flush().context("cannot write to stdout")
}

/// Set for the background copy `--background` starts.
const DETACHED: &str = "ROLECREDS_SERVE_DETACHED";

/// The export lines end with this variable; the background copy is ready once it has printed.
const LAST_EXPORT: &str = "export AWS_CONTAINER_AUTHORIZATION_TOKEN=";

/// `serve --background`: starts a copy of this command in a session of its own, passes on its
/// export lines once it serves (plus `ROLECREDS_SERVE_PID`), and returns without waiting for
/// it. If the copy ends before it serves, its error and exit code are this command's.
pub fn start_in_background() -> anyhow::Result<u8> {
    use std::io::{BufRead as _, Read as _};
    let program = std::env::current_exe().context("cannot find rolecreds' own path")?;
    let args = std::env::args_os()
        .skip(1)
        .filter(|arg| arg.as_os_str() != "--background");
    let mut command = std::process::Command::new(program);
    command
        .args(args)
        .env(DETACHED, "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    detach(&mut command);
    let mut child = command
        .spawn()
        .context("cannot start rolecreds in the background")?;
    let stdout = child
        .stdout
        .take()
        .context("no pipe from the background copy")?;
    let mut exports = String::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.context("cannot read from the background copy")?;
        exports.push_str(&line);
        exports.push('\n');
        if line.starts_with(LAST_EXPORT) {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{exports}export ROLECREDS_SERVE_PID={}", child.id())?;
            out.flush().context("cannot write to stdout")?;
            return Ok(0);
        }
    }
    let mut said = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut said);
    }
    // Relayed as it was said, in one write; a closed stderr must not hide the exit status.
    let _ = std::io::stderr().write_all(said.as_bytes());
    let status = child
        .wait()
        .context("cannot wait for the background copy")?;
    Ok(u8::try_from(status.code().unwrap_or(1)).unwrap_or(1))
}

/// Starts the copy in a session of its own, which keeps the server alive when the terminal
/// that started it closes.
#[cfg(unix)]
fn detach(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt as _;
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
}

/// Windows: without a console (`DETACHED_PROCESS`: closing the starting console does not end
/// it) and in a process group of its own (`CREATE_NEW_PROCESS_GROUP`: the starting console's
/// Ctrl-C does not reach it). It is stopped by its pid (`taskkill /F /PID`).
///
/// A new Windows process inherits every inheritable handle of its parent, not only the three
/// it is given: the pipe a shell reads this command's output from
/// (`eval "$(rolecreds serve --background)"`) would stay open in the server, and the shell
/// would wait for it forever (seen under Wine). So this process's own standard handles stop
/// being inheritable first; the copy gets its own pipes and NUL.
#[cfg(windows)]
fn detach(command: &mut std::process::Command) {
    use std::os::windows::process::CommandExt as _;
    use windows_sys::Win32::Foundation::{HANDLE_FLAG_INHERIT, SetHandleInformation};
    use windows_sys::Win32::System::Console::{
        GetStdHandle, STD_ERROR_HANDLE, STD_INPUT_HANDLE, STD_OUTPUT_HANDLE,
    };
    const DETACHED_PROCESS: u32 = 0x0000_0008;
    const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
    for which in [STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE] {
        // SAFETY: a standard handle of this process, or null/invalid, which the call refuses.
        unsafe {
            SetHandleInformation(GetStdHandle(which), HANDLE_FLAG_INHERIT, 0);
        }
    }
    command.creation_flags(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP);
}

/// In the background copy, once the exports are out: stdout and stderr to /dev/null, since
/// the pipes to the starting command close when it exits (a later warning would then fail).
#[cfg(unix)]
fn leave_the_pipes() {
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        use std::os::fd::AsRawFd as _;
        // SAFETY: dup2 onto the standard descriptors with a valid open descriptor.
        unsafe {
            libc::dup2(null.as_raw_fd(), 1);
            libc::dup2(null.as_raw_fd(), 2);
        }
    }
}

/// Windows: the standard handles to `NUL` (std looks them up at each write, so this covers
/// every later print), and the pipe ends closed, as `dup2` closes them on Unix.
#[cfg(windows)]
fn leave_the_pipes() {
    use std::os::windows::io::IntoRawHandle as _;
    use windows_sys::Win32::Foundation::CloseHandle;
    use windows_sys::Win32::System::Console::{
        GetStdHandle, STD_ERROR_HANDLE, STD_OUTPUT_HANDLE, SetStdHandle,
    };
    let Ok(null) = std::fs::OpenOptions::new().write(true).open("NUL") else {
        return;
    };
    // Kept open for the rest of the process, as the standard handles are.
    let null = null.into_raw_handle();
    for which in [STD_OUTPUT_HANDLE, STD_ERROR_HANDLE] {
        // SAFETY: Get/SetStdHandle with valid constants and a handle we own; the old handle
        // is the pipe end this process inherited, closed once nothing refers to it.
        unsafe {
            let old = GetStdHandle(which);
            if SetStdHandle(which, null) != 0 && !old.is_null() && old != null {
                CloseHandle(old);
            }
        }
    }
}

/// `value` in single quotes, safe for any POSIX shell's `eval`.
fn shell_quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// The token in a 0600 file, removed when `serve` ends: in a private temp directory, or
/// where `--token-file` says (its directory must be the user's own and writable by nobody
/// else, since whoever can replace the file can hand consumers another token).
struct TokenFile {
    _dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl TokenFile {
    fn write(token: &str, at: Option<&Path>) -> anyhow::Result<Self> {
        let (dir, path) = match at {
            Some(path) => {
                check_token_dir(path)?;
                (None, path.to_owned())
            }
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("rolecreds-serve-")
                    .tempdir()
                    .context("cannot create the token's private directory")?;
                let path = dir.path().join("token");
                (Some(dir), path)
            }
        };
        commit::replace_atomically(&path, None, token.as_bytes())
            .with_context(|| format!("cannot write the token file `{}`", path.display()))?;
        Ok(Self { _dir: dir, path })
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TokenFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// `--token-file`'s directory must exist, be a directory of the user's, and be writable by
/// nobody else.
fn check_token_dir(path: &Path) -> anyhow::Result<()> {
    let dir = commit::parent_dir(path);
    let meta = std::fs::metadata(dir)
        .with_context(|| format!("--token-file: cannot use the directory `{}`", dir.display()))?;
    if !meta.is_dir() {
        anyhow::bail!("--token-file: `{}` is not a directory", dir.display());
    }
    checked_read::check_owner_and_mode(dir, &meta, Owner::User, Writers::OwnerOnly)
        .map_err(|err| UsageError(format!("--token-file: {err}")).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_for_eval() {
        assert_eq!(shell_quoted("/tmp/a b"), "'/tmp/a b'");
        assert_eq!(shell_quoted("it's"), r"'it'\''s'");
    }
}
