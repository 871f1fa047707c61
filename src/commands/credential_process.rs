//! `--credential-process`: the Version 1 JSON that the AWS CLI and SDKs read from a
//! `credential_process` helper, served from the cache (see `credential_cache`) while it is
//! fresh, so that the many invocations (every process start, every refresh) cost one STS
//! call per lifetime. The cache never stands between the consumer and its credentials: when
//! it cannot be trusted, read or written, a warning says so and fresh credentials are served.

use crate::adapters::cache::{self, Cache, SourceIdentity};
use crate::adapters::console::say;
use crate::domain::credentials::TemporaryCredentials;
use crate::domain::schedule;
use crate::engine::mfa::mfa_code;
use crate::engine::session::Session;
use crate::settings::{FileSettings, RotateSettings};
use anyhow::Context as _;
use std::io::Write as _;
use std::time::{Duration, SystemTime};

/// Prints credentials for the role on stdout: cached ones while they are valid beyond the
/// refresh margin, else fresh ones from STS (then cached).
pub async fn serve(settings: &RotateSettings, file: &FileSettings) -> anyhow::Result<()> {
    let source = source_identity(settings, file);
    let request = cache::Request {
        role: &settings.role,
        session_template: &settings.session_template,
        duration: settings.duration,
        options: &settings.options,
        mfa_serial: settings.mfa_serial.as_deref(),
        region: settings.connection.region.as_deref(),
    };
    let key = cache::cache_key(&request, &source);
    let label = cache::role_label(&settings.role);
    let cache = Cache::open(&file.credentials_file, key, &label)
        .map_err(|err| say!("rolecreds: warning: not using the cache: {err:#}"))
        .ok();
    // Held across the STS call so that consumers starting together make one call between
    // them; they may wait up to that call's timeout.
    let wait = file
        .lock_timeout
        .max(crate::adapters::aws::OPERATION_TIMEOUT + Duration::from_secs(5));
    let entry = cache.as_ref().and_then(|cache| {
        cache
            .lock(wait)
            .map_err(|err| say!("rolecreds: warning: not using the cache: {err:#}"))
            .ok()
    });
    let cached = entry.as_ref().and_then(|entry| entry.read());
    if let Some(credentials) = cached.filter(|c| {
        schedule::has_at_least(c.expiration(), settings.refresh_margin, SystemTime::now())
    }) {
        tracing::info!("serving cached credentials");
        return print_document(&credentials);
    }
    let mfa = mfa_code(settings)?;
    let session = Session::start(settings).await?;
    let credentials = session.assume(settings, mfa).await?;
    if let Some(entry) = &entry
        && let Err(err) = entry.write(process_document(&credentials))
    {
        say!(
            "rolecreds: warning: cannot cache the credentials in `{}` ({err:#}); serving them \
             uncached",
            entry.path().display()
        );
    }
    print_document(&credentials)
}

/// Who the source is, without resolving the source credentials (which for SSO or a
/// credential_process source would cost a call on every invocation): the profile in use and
/// the access key id where one is at hand, from the environment or the profile's static keys.
fn source_identity(settings: &RotateSettings, file: &FileSettings) -> SourceIdentity {
    let env_key = std::env::var("AWS_ACCESS_KEY_ID")
        .ok()
        .filter(|k| !k.is_empty());
    if settings.connection.source_profile.is_none()
        && let Some(key) = env_key
    {
        return SourceIdentity {
            profile: None,
            access_key_id: Some(key),
        };
    }
    let profile = settings.source_profile_in_use.clone();
    let access_key_id = profile.as_deref().and_then(|name| {
        let contents = file.open().ok()?.read_current().ok()?;
        crate::adapters::credentials_file::profile_value(&contents, name, "aws_access_key_id")
    });
    SourceIdentity {
        profile,
        access_key_id,
    }
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
