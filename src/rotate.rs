//! The one-shot rotation: resolve the caller, assume the role, write the profile, report.

use crate::aws::{AssumeRole, Aws, AwsFailure};
use crate::credentials_file::{CannotUpdate, CredentialsFile};
use crate::exit::UsageError;
use crate::report::{self, Written};
use crate::secret::Secret;
use crate::session_name::{self, SessionName, SessionParts};
use crate::settings::{self, FileSettings, OutputSettings, RotateSettings};
use anyhow::Context as _;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::time::Duration;

/// Role chaining (temporary source credentials) caps sessions at one hour.
const ROLE_CHAINING_LIMIT: Duration = Duration::from_secs(3600);

/// Runs one rotation end to end.
pub async fn rotate(
    settings: &RotateSettings,
    file: &FileSettings,
    output: &OutputSettings,
) -> anyhow::Result<()> {
    let credentials_file = CredentialsFile::new(&file.credentials_file)?;
    ensure_target_is_not_the_source(settings, &credentials_file)?;
    ensure_no_long_term_keys(
        settings,
        &credentials_file,
        &std::fs::read(&file.credentials_file).unwrap_or_default(),
    )?;
    let mfa_code = mfa_code(settings)?;
    let aws = Aws::connect(&settings.connection).await?;
    let session_name = session_name_for(&aws, settings).await?;
    let duration = fit_duration(settings.duration, aws.source_is_temporary);
    if settings.dry_run {
        let role = settings.role.to_string();
        report::dry_run(
            output,
            &settings.profile,
            credentials_file.path(),
            &role,
            session_name.as_str(),
            duration,
        );
        return Ok(());
    }
    let request = assume_role_request(settings, session_name, duration, mfa_code);
    let credentials = aws.assume_role(&request).await?;
    let mut locked = credentials_file.lock(file.lock_timeout)?;
    ensure_no_long_term_keys(settings, &credentials_file, locked.contents())?;
    let written = locked.write_profile(&settings.profile, &credentials)?;
    drop(locked);
    report::profile_written(
        output,
        &Written {
            profile: &settings.profile,
            credentials_file: credentials_file.path(),
            role_arn: Some(request.role_arn),
            session_name: Some(request.session_name.to_string()),
            credentials: &credentials,
            report: &written,
        },
    );
    Ok(())
}

/// Writing into the profile the source credentials come from would replace the user's keys.
fn ensure_target_is_not_the_source(
    settings: &RotateSettings,
    file: &CredentialsFile,
) -> anyhow::Result<()> {
    if settings.source_profile_in_use.as_deref() == Some(settings.profile.as_str()) {
        return Err(anyhow::anyhow!(
            "the source credentials come from profile {0}; writing temporary credentials \
             there would replace them. Pass another --profile-name",
            settings.profile
        ))
        .context(CannotUpdate {
            path: file.path().to_owned(),
        });
    }
    Ok(())
}

/// A profile with keys but no session token holds someone's long-term keys: keep them unless
/// the user says `--force`.
fn ensure_no_long_term_keys(
    settings: &RotateSettings,
    file: &CredentialsFile,
    contents: &[u8],
) -> anyhow::Result<()> {
    if settings.force || !crate::credentials_file::holds_long_term_keys(contents, &settings.profile)
    {
        return Ok(());
    }
    Err(anyhow::anyhow!(
        "profile {} holds long-term keys (no aws_session_token); rolecreds will not overwrite \
         them. Pass another --profile-name, or --force to replace them",
        settings.profile
    ))
    .context(CannotUpdate {
        path: file.path().to_owned(),
    })
}

/// The MFA code: `--token-code`, else asked on the terminal; never waits on a pipe.
fn mfa_code(settings: &RotateSettings) -> anyhow::Result<Option<(String, Secret)>> {
    let Some(serial) = &settings.mfa_serial else {
        return Ok(None);
    };
    if let Some(code) = &settings.token_code {
        return Ok(Some((serial.clone(), code.clone())));
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() || settings.dry_run {
        return Err(AwsFailure::MfaRequired(format!(
            "the role needs an MFA code for {serial} and there is no terminal to ask on; pass \
             --token-code CODE"
        ))
        .into());
    }
    eprint!("MFA code for {serial}: ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the MFA code")?;
    let code = settings::check_token_code(&line)?;
    Ok(Some((serial.clone(), code)))
}

async fn session_name_for(aws: &Aws, settings: &RotateSettings) -> anyhow::Result<SessionName> {
    let needs_user = settings.session_template.contains("{user}");
    let user = if needs_user {
        let (user, source) = aws.caller_username().await?;
        tracing::info!("session name uses {user:?} from {source}");
        user
    } else {
        String::new()
    };
    let parts = SessionParts {
        user: &user,
        role: settings.role.name(),
        account: settings.role.account_id(),
    };
    let name = session_name::render(&settings.session_template, parts).map_err(UsageError)?;
    tracing::info!("session name {name}");
    Ok(name)
}

/// Caps the lifetime at one hour when chaining roles, where STS refuses more.
fn fit_duration(requested: Duration, source_is_temporary: bool) -> Duration {
    if source_is_temporary && requested > ROLE_CHAINING_LIMIT {
        eprintln!(
            "rolecreds: warning: the source credentials are temporary (role chaining), which \
             STS caps at 1h; asking for 1h instead of {}",
            humantime::format_duration(requested)
        );
        return ROLE_CHAINING_LIMIT;
    }
    requested
}

fn assume_role_request(
    settings: &RotateSettings,
    session_name: SessionName,
    duration: Duration,
    mfa: Option<(String, Secret)>,
) -> AssumeRole {
    AssumeRole {
        role_arn: settings.role.to_string(),
        session_name,
        duration,
        external_id: settings.external_id.clone(),
        source_identity: settings.source_identity.clone(),
        policy_arns: settings.policy_arns.clone(),
        policy: settings.policy.clone(),
        tags: settings.tags.clone(),
        mfa,
    }
}
