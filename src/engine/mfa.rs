//! The MFA code: given (`--token-code`, or `-` for standard input, already read), printed by
//! `--mfa-process`, asked on the terminal, or refused at once where none of these can give
//! one; never waits on a pipe.

use crate::adapters::aws::AwsFailure;
use crate::adapters::mfa_process;
use crate::adapters::signals::Signals;
use crate::domain::secret::Secret;
use crate::settings::{self, RotateSettings};
use anyhow::Context as _;
use std::io::{BufRead as _, IsTerminal as _, Write as _};

/// The MFA code: `--token-code`, else asked on the terminal; never waits on a pipe.
pub fn mfa_code(settings: &RotateSettings) -> anyhow::Result<Option<(String, Secret)>> {
    let Some(serial) = &settings.mfa_serial else {
        return Ok(None);
    };
    if let Some(code) = &settings.token_code {
        return Ok(Some((serial.clone(), code.clone())));
    }
    if let Some(process) = &settings.mfa_process {
        let code = mfa_process::code_from(&process.argv, process.timeout)
            .map_err(AwsFailure::MfaRequired)?;
        let code = settings::check_token_code(code.expose()).map_err(|_| {
            AwsFailure::MfaRequired(format!(
                "the MFA process `{}` did not print a 6-digit code",
                process.argv[0]
            ))
        })?;
        return Ok(Some((serial.clone(), code)));
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() || settings.dry_run {
        return Err(AwsFailure::MfaRequired(format!(
            "the role needs an MFA code for {serial} and there is no terminal to ask on; pass \
             --token-code CODE"
        ))
        .into());
    }
    // One write, failure ignored (like adapters/console.rs): the prompt is a courtesy.
    let _ = std::io::stderr().write_all(format!("MFA code for {serial}: ").as_bytes());
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the MFA code")?;
    let code = settings::check_token_code(&line)?;
    Ok(Some((serial.clone(), code)))
}

/// Asks for the MFA code (when one is needed and not given) on a thread of its own, so that
/// SIGTERM, SIGINT and SIGHUP (the terminal closed) still stop the watch while the prompt
/// waits: a read on the runtime's only thread would block the signal handling too. `None`
/// when a signal came first.
pub async fn mfa_code_or_signal(
    settings: &RotateSettings,
    signals: &mut Signals,
) -> anyhow::Result<Option<Option<(String, crate::domain::secret::Secret)>>> {
    if settings.mfa_serial.is_none() || settings.token_code.is_some() {
        return mfa_code(settings).map(Some);
    }
    let (send, receive) = tokio::sync::oneshot::channel();
    let asking = settings.clone();
    // Left blocked in its read if a signal wins; the process exits without waiting for it.
    std::thread::spawn(move || {
        let _ = send.send(mfa_code(&asking));
    });
    tokio::select! {
        code = receive => code.context("the MFA prompt ended unexpectedly")?.map(Some),
        () = signals.any() => Ok(None),
    }
}
