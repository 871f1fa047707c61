//! `rolecreds serve`: the local credentials endpoint on its own, until stopped, for shells,
//! IDEs and several consumers at once: one role at `/role`, or each target of a targets file
//! at `/profile/NAME`, each kept fresh by its own keeper. It prints the `export` lines a shell
//! evaluates; SIGTERM or SIGINT stops it (exit 0), SIGHUP refreshes every role now.

use crate::adapters::endpoint::{self, CredentialsFeed};
use crate::adapters::signals::Signals;
use crate::engine::endpoint_outlet::{EndpointOutlet, first_credentials};
use crate::engine::keeper::{self, Outlet};
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
    let token_file = TokenFile::write(token.expose())?;
    let mut keepers = JoinSet::new();
    let mut feeds = Vec::with_capacity(routes.len());
    let single = routes.len() == 1;
    for route in &routes {
        let feed = start_keeper(route, single, &mut keepers).await?;
        feeds.push((route.path.clone(), feed));
    }
    print_exports(&routes, &bound, token.expose(), token_file.path())?;
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
            eprintln!(
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
        Ok(Err(err)) => eprintln!(
            "rolecreds: warning: a role can no longer be refreshed ({err:#}); its credentials \
             are served until they expire"
        ),
        Err(err) => eprintln!("rolecreds: warning: a keeper stopped: {err}"),
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

/// `value` in single quotes, safe for any POSIX shell's `eval`.
fn shell_quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// The token in a 0600 file in a private directory, removed when `serve` ends.
struct TokenFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl TokenFile {
    fn write(token: &str) -> anyhow::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt as _;
        let dir = tempfile::Builder::new()
            .prefix("rolecreds-serve-")
            .tempdir()
            .context("cannot create the token's private directory")?;
        let path = dir.path().join("token");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("cannot create `{}`", path.display()))?;
        file.write_all(token.as_bytes())
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        Ok(Self { _dir: dir, path })
    }

    fn path(&self) -> &Path {
        &self.path
    }
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
