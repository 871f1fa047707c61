//! The one-shot rotation: resolve the caller, assume the role, write the profile, report.

use crate::adapters::credentials_file::{CredentialsFile, LockedCredentialsFile, WriteReport};
use crate::commands::report::{self, Written};
use crate::domain::credentials::TemporaryCredentials;
use crate::domain::schedule;
use crate::engine::guards::{self, LongTermKeys};
use crate::engine::mfa::mfa_code;
use crate::engine::session::Session;
use crate::settings::{FileSettings, OutputSettings, RotateSettings};
use std::time::{Duration, SystemTime};

/// Runs one rotation end to end.
pub async fn once(
    settings: &RotateSettings,
    file: &FileSettings,
    output: &OutputSettings,
) -> anyhow::Result<()> {
    let credentials_file = check_before_network(settings, file)?;
    let mfa_code = mfa_code(settings)?;
    let session = Session::start(settings).await?;
    if settings.dry_run {
        let role = settings.role.to_string();
        report::dry_run(
            output,
            &settings.profile,
            credentials_file.path(),
            &role,
            session.name.as_str(),
            session.duration,
        );
        return Ok(());
    }
    let credentials = session.assume(settings, mfa_code).await?;
    let mut locked = credentials_file.lock(file.lock_timeout)?;
    let written = write(settings, &credentials_file, &mut locked, &credentials)?;
    drop(locked);
    report::profile_written(
        output,
        &written_report(
            &session,
            settings,
            &credentials_file,
            &credentials,
            &written,
        ),
    );
    Ok(())
}

/// The checks that need no network: the target profile may be written.
pub fn check_before_network(
    settings: &RotateSettings,
    file: &FileSettings,
) -> anyhow::Result<CredentialsFile> {
    let credentials_file = file.open()?;
    guards::ensure_not_the_source(&guarded(settings), &credentials_file)?;
    let contents = credentials_file.check_before_network()?;
    ensure_no_long_term_keys(settings, &credentials_file, &contents)?;
    Ok(credentials_file)
}

/// Writes `credentials` under the lock, re-checking for long-term keys there.
pub fn write(
    settings: &RotateSettings,
    credentials_file: &CredentialsFile,
    locked: &mut LockedCredentialsFile<'_>,
    credentials: &TemporaryCredentials,
) -> anyhow::Result<WriteReport> {
    ensure_no_long_term_keys(settings, credentials_file, locked.contents())?;
    locked.write_profile(&settings.profile, credentials)
}

/// `--min-remaining`: true (and nothing to do) when the profile's credentials, by their
/// `x_security_token_expires`, are still valid for at least `needed`.
pub fn is_fresh(
    settings: &RotateSettings,
    file: &FileSettings,
    needed: Duration,
) -> anyhow::Result<bool> {
    let contents = file.open()?.read_current()?;
    let expiration =
        crate::adapters::credentials_file::profile_expiration(&contents, &settings.profile);
    let fresh = expiration.is_some_and(|at| schedule::has_at_least(at, needed, SystemTime::now()));
    match expiration {
        Some(at) if fresh => tracing::info!(
            "profile {} expires {}, at least {} away: nothing to do",
            settings.profile,
            humantime::format_rfc3339_seconds(at),
            humantime::format_duration(needed)
        ),
        Some(at) => tracing::info!(
            "profile {} expires {}, less than {} away: rotating",
            settings.profile,
            humantime::format_rfc3339_seconds(at),
            humantime::format_duration(needed)
        ),
        None => tracing::info!(
            "profile {} has no expiry on record: rotating",
            settings.profile
        ),
    }
    Ok(fresh)
}

/// The guards' view of the one profile a rotation writes.
fn guarded(settings: &RotateSettings) -> guards::Target<'_> {
    guards::Target {
        profile: &settings.profile,
        source_profile: settings.source_profile_in_use.as_deref(),
        another: "Pass another --profile-name".to_owned(),
    }
}

/// Refuses to overwrite long-term keys in the profile, unless `--force`.
fn ensure_no_long_term_keys(
    settings: &RotateSettings,
    file: &CredentialsFile,
    contents: &[u8],
) -> anyhow::Result<()> {
    LongTermKeys::in_file(contents, &[&settings.profile]).ensure_absent(
        &guarded(settings),
        settings.force,
        file,
    )
}

/// The report of a rotation's write.
pub(crate) fn written_report<'a>(
    session: &'a Session,
    settings: &'a RotateSettings,
    credentials_file: &'a CredentialsFile,
    credentials: &'a TemporaryCredentials,
    report: &'a WriteReport,
) -> Written<'a> {
    Written::new(&settings.profile, credentials_file, credentials, report)
        .by_role(&settings.role, &session.name)
}
