//! `--credential-process`: the Version 1 JSON that the AWS CLI and SDKs read from a
//! `credential_process` helper, served from a 0600 cache while it is fresh, so that the many
//! invocations (every process start, every refresh) cost one STS call per lifetime.

use crate::credentials::TemporaryCredentials;
use crate::credentials_file::commit::{self, parent_dir};
use crate::credentials_file::lock::lock_exclusive;
use crate::import::parse_credentials_json;
use crate::rotate::{self, Session};
use crate::schedule;
use crate::settings::{FileSettings, RotateSettings};
use anyhow::Context as _;
use std::fs::{self, DirBuilder};
use std::io::Write as _;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// Prints credentials for the role on stdout: cached ones while they are valid beyond the
/// refresh margin, else fresh ones from STS (then cached).
pub async fn serve(settings: &RotateSettings, file: &FileSettings) -> anyhow::Result<()> {
    let path = cache_path(settings, file);
    let dir = parent_dir(&path).to_owned();
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("cannot create the cache directory `{}`", dir.display()))?;
    let lock_path = path.with_extension("lock");
    // Held across the STS call so that consumers starting together make one call between
    // them; they may wait up to that call's timeout.
    let wait = file
        .lock_timeout
        .max(crate::aws::OPERATION_TIMEOUT + Duration::from_secs(5));
    let _lock = lock_exclusive(&lock_path, wait)?;
    let cached = fs::read_to_string(&path)
        .ok()
        .and_then(|text| parse_credentials_json(&text).ok());
    if let Some(credentials) = cached.filter(|c| {
        schedule::has_at_least(c.expiration(), settings.refresh_margin, SystemTime::now())
    }) {
        tracing::info!("serving cached credentials from `{}`", path.display());
        return print_document(&credentials);
    }
    let mfa = rotate::mfa_code(settings)?;
    let session = Session::start(settings).await?;
    let credentials = session.assume(settings, mfa).await?;
    let document = process_document(&credentials);
    let existing = fs::metadata(&path).ok();
    commit::replace_atomically(&path, existing.as_ref(), document.to_string().as_bytes())?;
    print_document(&credentials)
}

/// One cache file per role and the settings that change what STS returns.
fn cache_path(settings: &RotateSettings, file: &FileSettings) -> PathBuf {
    let key = format!(
        "{}:{}:{}:{}:{}",
        settings.role,
        settings.connection.source_profile.as_deref().unwrap_or(""),
        settings.session_template,
        settings.external_id.as_deref().unwrap_or(""),
        settings.duration.as_secs()
    );
    let readable: String = format!("{}-{}", settings.role.account_id(), settings.role.name())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = format!("{readable}-{:08x}.json", fnv1a(&key));
    parent_dir(&file.credentials_file)
        .join("rolecreds")
        .join("cache")
        .join(name)
}

/// FNV-1a, stable across Rust releases (the cache file name must not change).
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// The credential_process output format, Version 1.
fn process_document(credentials: &TemporaryCredentials) -> serde_json::Value {
    serde_json::json!({
        "Version": 1,
        "AccessKeyId": credentials.access_key_id(),
        "SecretAccessKey": credentials.secret_access_key().expose(),
        "SessionToken": credentials.session_token().expose(),
        "Expiration": credentials.expiration_rfc3339(),
    })
}

/// The one place rolecreds prints secrets: stdout, which the credential_process protocol
/// hands to the calling SDK.
fn print_document(credentials: &TemporaryCredentials) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", process_document(credentials)).context("cannot write to stdout")?;
    stdout.flush().context("cannot write to stdout")
}
