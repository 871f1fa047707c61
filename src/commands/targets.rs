//! `--targets FILE`: many roles in one run. The file is checked as a whole before any network
//! call; the source credentials are resolved once per distinct source profile; the roles are
//! assumed concurrently (at most `--jobs` at once); every success is written in ONE locked,
//! atomic edit of the credentials file; each failure is reported on its own line and the rest
//! are still written (exit code 8 when some failed).

use crate::adapters::aws::AwsFailure;
use crate::adapters::console::say;
use crate::adapters::credentials_file::{self, CannotUpdate, CredentialsFile};
use crate::commands::report::{self, Written};
use crate::domain::schedule;
use crate::engine::batch::{Outcome, SessionNames, check_before_network, profiles, rotate_batch};
use crate::engine::guards::LongTermKeys;
use crate::error::UsageError;
use crate::settings::OutputFormat;
use crate::settings::targets::{Plan, Target};
use crate::settings::{FileSettings, OutputSettings};
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

/// Some targets failed and the others were written (exit code 8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SomeTargetsFailed {
    pub failed: usize,
    pub total: usize,
}

impl fmt::Display for SomeTargetsFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} targets failed (each reported above); the others were written",
            self.failed, self.total
        )
    }
}

impl std::error::Error for SomeTargetsFailed {}

/// Assumes every role the targets file lists and writes all profiles in one atomic edit.
pub async fn run(plan: &Plan, file: &FileSettings, output: &OutputSettings) -> anyhow::Result<()> {
    let credentials_file = file.open()?;
    let contents = credentials_file.check_before_network()?;
    let holders = LongTermKeys::in_file(&contents, &profiles(plan));
    let mut outcomes: Vec<Option<Outcome>> = vec![None; plan.targets.len()];
    let mut due = Vec::new();
    for (index, target) in plan.targets.iter().enumerate() {
        if let Some(expiration) = still_fresh(plan, target, &contents) {
            tracing::info!("profile {} is fresh enough: nothing to do", target.profile);
            outcomes[index] = Some(Outcome::Fresh(expiration));
            continue;
        }
        match check_before_network(plan, target, &credentials_file, &holders) {
            Ok(()) => due.push(index),
            Err(err) => outcomes[index] = Some(Outcome::Failed(Arc::new(err))),
        }
    }
    let mut names = SessionNames::default();
    let batch = rotate_batch(plan, &due, &credentials_file, file, &mut names).await;
    for (index, outcome) in batch {
        outcomes[index] = Some(outcome);
    }
    let outcomes: Vec<Outcome> = outcomes.into_iter().flatten().collect();
    report_outcomes(output, &plan.targets, &credentials_file, &outcomes);
    conclude(&plan.targets, &outcomes)
}

/// `--min-remaining`: the profile's expiry when it is valid at least that long.
fn still_fresh(plan: &Plan, target: &Target, contents: &[u8]) -> Option<SystemTime> {
    let needed = plan.min_remaining?;
    let expiration = credentials_file::profile_expiration(contents, &target.profile)?;
    schedule::has_at_least(expiration, needed, SystemTime::now()).then_some(expiration)
}

/// One line per target on stderr (text), or one JSON array on stdout; errors always on stderr.
pub(crate) fn report_outcomes(
    output: &OutputSettings,
    targets: &[Target],
    credentials_file: &CredentialsFile,
    outcomes: &[Outcome],
) {
    let mut json = Vec::new();
    for (target, outcome) in targets.iter().zip(outcomes) {
        if let Outcome::Failed(err) = outcome {
            say!("rolecreds: error: target {}: {err:#}", target.profile);
        }
        match output.format {
            OutputFormat::Json => json.push(json_entry(target, outcome)),
            OutputFormat::Text => text_line(output, target, credentials_file, outcome),
        }
    }
    if output.format == OutputFormat::Json {
        println!("{}", serde_json::Value::Array(json));
    }
}

fn text_line(
    output: &OutputSettings,
    target: &Target,
    credentials_file: &CredentialsFile,
    outcome: &Outcome,
) {
    match outcome {
        Outcome::Written(assumed, write) => {
            let written = Written::new(
                &target.profile,
                credentials_file,
                &assumed.credentials,
                write,
            )
            .by_role(&target.role, &assumed.session_name);
            report::profile_written(output, &written);
        }
        Outcome::Fresh(expiration) if !output.quiet => say!(
            "kept profile {}: still valid, expires {}",
            target.profile,
            report::time_left(*expiration, SystemTime::now())
        ),
        Outcome::Fresh(_) | Outcome::Failed(_) => {}
    }
}

/// `{profile, role_arn, session_name, access_key_id, expiration, changed, error}`; never
/// secrets.
fn json_entry(target: &Target, outcome: &Outcome) -> serde_json::Value {
    let (session_name, access_key_id, expiration, changed, error) = match outcome {
        Outcome::Written(assumed, write) => (
            Some(assumed.session_name.to_string()),
            Some(assumed.credentials.access_key_id().to_owned()),
            Some(assumed.credentials.expiration_rfc3339()),
            write.changed,
            None,
        ),
        Outcome::Fresh(at) => (
            None,
            None,
            Some(humantime::format_rfc3339_seconds(*at).to_string()),
            false,
            None,
        ),
        Outcome::Failed(err) => (None, None, None, false, Some(format!("{err:#}"))),
    };
    serde_json::json!({
        "profile": target.profile.as_str(),
        "role_arn": target.role.to_string(),
        "session_name": session_name,
        "access_key_id": access_key_id,
        "expiration": expiration,
        "changed": changed,
        "error": error,
    })
}

/// Ok when nothing failed; exit 8 when some did; the first failure's own error (and exit
/// code) when every target failed.
fn conclude(targets: &[Target], outcomes: &[Outcome]) -> anyhow::Result<()> {
    let failed: Vec<(&Target, &Arc<anyhow::Error>)> = targets
        .iter()
        .zip(outcomes)
        .filter_map(|(target, outcome)| match outcome {
            Outcome::Failed(err) => Some((target, err)),
            _ => None,
        })
        .collect();
    match failed.first() {
        None => Ok(()),
        Some((target, err)) if failed.len() == outcomes.len() => {
            Err(rebuild(err).context(format!(
                "all {} targets failed; the first, {}",
                failed.len(),
                target.profile
            )))
        }
        Some(_) => Err(SomeTargetsFailed {
            failed: failed.len(),
            total: outcomes.len(),
        }
        .into()),
    }
}

/// A copy of a shared error that keeps what picks the exit code (an `AwsFailure`, a
/// `CannotUpdate`, a `UsageError`) and the message.
pub(crate) fn rebuild(err: &anyhow::Error) -> anyhow::Error {
    if let Some(failure) = err.downcast_ref::<AwsFailure>() {
        return failure.clone().into();
    }
    let rest: Vec<String> = err.chain().skip(1).map(ToString::to_string).collect();
    if let Some(cannot) = err.downcast_ref::<CannotUpdate>() {
        return anyhow::anyhow!(rest.join(": ")).context(cannot.clone());
    }
    let message = format!("{err:#}");
    if err.chain().any(|c| c.is::<UsageError>()) {
        return UsageError(message).into();
    }
    match err.chain().find_map(|c| c.downcast_ref::<AwsFailure>()) {
        Some(failure) => anyhow::Error::from(failure.clone()).context(message),
        None => anyhow::anyhow!(message),
    }
}
