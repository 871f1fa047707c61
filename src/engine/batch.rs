//! Many roles at once (`--targets`): the guards per target, the source credentials resolved
//! once per distinct source, the AssumeRole calls run concurrently (at most `jobs` at once),
//! and every success written in ONE locked, atomic edit of the credentials file.

use crate::adapters::aws::{AssumeRole, Aws, AwsFailure, Connection};
use crate::adapters::credentials_file::{CredentialsFile, WriteReport};
use crate::domain::assume::AssumeOptions;
use crate::domain::credentials::TemporaryCredentials;
use crate::domain::profile_name::ProfileName;
use crate::domain::session_name::{self, SessionName, SessionParts};
use crate::engine::guards::{self, LongTermKeys};
use crate::engine::session::fit_duration;
use crate::error::UsageError;
use crate::settings::FileSettings;
use crate::settings::targets::{Plan, Target};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::task::JoinSet;

/// What happened to one target.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Written (or already held exactly these credentials).
    Written(Box<Assumed>, WriteReport),
    /// `--min-remaining`: the profile is valid long enough; expires then.
    Fresh(SystemTime),
    Failed(Arc<anyhow::Error>),
}

/// A role's credentials and the session they belong to.
#[derive(Debug, Clone)]
pub struct Assumed {
    pub credentials: TemporaryCredentials,
    pub session_name: SessionName,
    /// The lifetime asked for (role chaining may have capped it).
    pub duration: Duration,
}

/// The caller's name per source, learned once (GetUser) and kept across refreshes.
#[derive(Debug, Default)]
pub struct SessionNames {
    users: HashMap<SourceKey, String>,
}

/// Targets with the same source profile and region share one set of source credentials.
pub type SourceKey = (Option<String>, Option<String>);

fn source_key(target: &Target) -> SourceKey {
    (target.source_profile.clone(), target.region.clone())
}

/// Assumes the roles of `indexes` and writes every success in one commit.
pub async fn rotate_batch(
    plan: &Plan,
    indexes: &[usize],
    credentials_file: &CredentialsFile,
    file: &FileSettings,
    names: &mut SessionNames,
) -> Vec<(usize, Outcome)> {
    if indexes.is_empty() {
        return Vec::new();
    }
    let assumed = assume_all(plan, indexes, names).await;
    write_all(plan, credentials_file, file, assumed)
}

/// Connects once per distinct source, then runs the AssumeRole calls, at most `plan.jobs` at
/// once, on this thread.
async fn assume_all(
    plan: &Plan,
    indexes: &[usize],
    names: &mut SessionNames,
) -> Vec<(usize, anyhow::Result<Assumed>)> {
    let sources = connect_all(plan, indexes, names).await;
    let mut results = Vec::with_capacity(indexes.len());
    let mut running = JoinSet::new();
    for &index in indexes {
        let target = &plan.targets[index];
        let aws = match &sources[&source_key(target)] {
            Ok(aws) => aws.clone(),
            Err(failure) => {
                results.push((index, Err(failure.clone().into())));
                continue;
            }
        };
        let request = match assume_request(plan, target, &aws, names) {
            Ok(request) => request,
            Err(err) => {
                results.push((index, Err(err)));
                continue;
            }
        };
        if running.len() >= plan.jobs
            && let Some(done) = running.join_next().await
        {
            results.push(joined(done));
        }
        running.spawn(async move {
            let duration = request.duration;
            let session_name = request.session_name.clone();
            let result = aws.assume_role(&request).await.map(|credentials| Assumed {
                credentials,
                session_name,
                duration,
            });
            (index, result.map_err(anyhow::Error::from))
        });
    }
    while let Some(done) = running.join_next().await {
        results.push(joined(done));
    }
    results
}

fn joined<T>(done: Result<T, tokio::task::JoinError>) -> T {
    // The tasks are never cancelled while joined; a panic is passed on as it was.
    done.unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
}

/// Resolves each distinct source's credentials once, concurrently, and learns the caller's
/// name (once per process) for the sources whose targets' session names need `{user}`.
async fn connect_all(
    plan: &Plan,
    indexes: &[usize],
    names: &mut SessionNames,
) -> HashMap<SourceKey, Result<Arc<Aws>, AwsFailure>> {
    let mut needs_user: HashMap<SourceKey, bool> = HashMap::new();
    for &index in indexes {
        let target = &plan.targets[index];
        let key = source_key(target);
        let needs = target.session_template.contains("{user}") && !names.users.contains_key(&key);
        *needs_user.entry(key).or_default() |= needs;
    }
    let mut connecting = JoinSet::new();
    for (key, needs_user) in needs_user {
        connecting.spawn(async move {
            let connection = Connection {
                source_profile: key.0.clone(),
                region: key.1.clone(),
            };
            let connected = connect(&connection, needs_user).await;
            (key, connected)
        });
    }
    let mut sources = HashMap::new();
    while let Some(done) = connecting.join_next().await {
        let (key, connected) = joined(done);
        let connected = connected.map(|(aws, user)| {
            if let Some(user) = user {
                names.users.insert(key.clone(), user);
            }
            aws
        });
        sources.insert(key, connected);
    }
    sources
}

/// One source: its clients and, if asked, the caller's name.
async fn connect(
    connection: &Connection,
    needs_user: bool,
) -> Result<(Arc<Aws>, Option<String>), AwsFailure> {
    let aws = Aws::connect(connection).await?;
    let user = if needs_user {
        let (user, source) = aws.caller_username().await?;
        tracing::info!("session names use {user:?} from {source}");
        Some(user)
    } else {
        None
    };
    Ok((Arc::new(aws), user))
}

/// The AssumeRole request for one target.
fn assume_request(
    plan: &Plan,
    target: &Target,
    aws: &Aws,
    names: &SessionNames,
) -> anyhow::Result<AssumeRole> {
    let user = names
        .users
        .get(&source_key(target))
        .map_or("", String::as_str);
    let parts = SessionParts {
        user,
        role: target.role.name(),
        account: target.role.account_id(),
    };
    let session_name = session_name::render(&target.session_template, parts).map_err(UsageError)?;
    let duration = fit_duration(
        target.duration,
        aws.source_is_temporary,
        Some(target.profile.as_str()),
    );
    Ok(AssumeRole {
        role_arn: target.role.to_string(),
        session_name,
        duration,
        options: AssumeOptions {
            external_id: target.external_id.clone(),
            ..plan.options.clone()
        },
        mfa: None,
    })
}

/// Takes the lock once and writes every success in one commit; failures pass through.
fn write_all(
    plan: &Plan,
    credentials_file: &CredentialsFile,
    file: &FileSettings,
    assumed: Vec<(usize, anyhow::Result<Assumed>)>,
) -> Vec<(usize, Outcome)> {
    let mut outcomes = Vec::with_capacity(assumed.len());
    let mut ready = Vec::new();
    for (index, result) in assumed {
        match result {
            Ok(assumed) => ready.push((index, assumed)),
            Err(err) => outcomes.push((index, Outcome::Failed(Arc::new(err)))),
        }
    }
    if ready.is_empty() {
        return outcomes;
    }
    let mut locked = match credentials_file.lock(file.lock_timeout) {
        Ok(locked) => locked,
        Err(err) => {
            fail_all(&mut outcomes, ready, err);
            return outcomes;
        }
    };
    // Re-checked under the lock: another writer may have put long-term keys there.
    let holders = LongTermKeys::in_file(locked.contents(), &profiles(plan));
    let mut accepted = Vec::with_capacity(ready.len());
    for (index, assumed) in ready {
        let target = &plan.targets[index];
        match holders.ensure_absent(&guarded(plan, target), plan.force, credentials_file) {
            Ok(()) => accepted.push((index, assumed)),
            Err(err) => outcomes.push((index, Outcome::Failed(Arc::new(err)))),
        }
    }
    let ready = accepted;
    let entries: Vec<(ProfileName, TemporaryCredentials)> = ready
        .iter()
        .map(|(index, assumed)| {
            let profile = plan.targets[*index].profile.clone();
            (profile, assumed.credentials.clone())
        })
        .collect();
    match locked.write_profiles(&entries) {
        Ok(batch) => {
            for (n, (index, assumed)) in ready.into_iter().enumerate() {
                let report = WriteReport {
                    changed: batch.changed[n],
                    narrowed_from: batch.narrowed_from.filter(|_| n == 0),
                };
                outcomes.push((index, Outcome::Written(Box::new(assumed), report)));
            }
        }
        Err(err) => fail_all(&mut outcomes, ready, err),
    }
    outcomes
}

/// Marks every target of `ready` failed with the one error that stopped them all.
fn fail_all<T>(outcomes: &mut Vec<(usize, Outcome)>, ready: Vec<(usize, T)>, err: anyhow::Error) {
    let err = Arc::new(err);
    outcomes.extend(
        ready
            .into_iter()
            .map(|(i, _)| (i, Outcome::Failed(err.clone()))),
    );
}

/// The guards' view of a target.
pub fn guarded<'p>(plan: &'p Plan, target: &'p Target) -> guards::Target<'p> {
    guards::Target {
        profile: &target.profile,
        source_profile: plan.source_profile_of(target),
        another: format!("Name another profile on line {}", target.line),
    }
}

/// The checks that need no network, per target: the profile is not the one the source
/// credentials come from, and holds no long-term keys (unless `--force`).
pub fn check_before_network(
    plan: &Plan,
    target: &Target,
    credentials_file: &CredentialsFile,
    holders: &LongTermKeys,
) -> anyhow::Result<()> {
    let guarded = guarded(plan, target);
    guards::ensure_not_the_source(&guarded, credentials_file)?;
    holders.ensure_absent(&guarded, plan.force, credentials_file)
}

/// The profiles of the plan, for [`LongTermKeys::in_file`].
pub fn profiles(plan: &Plan) -> Vec<&ProfileName> {
    plan.targets.iter().map(|target| &target.profile).collect()
}
