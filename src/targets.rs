//! `--targets FILE`: many roles in one run. The file is checked as a whole before any network
//! call; the source credentials are resolved once per distinct source profile; the roles are
//! assumed concurrently (at most `--jobs` at once); every success is written in ONE locked,
//! atomic edit of the credentials file; each failure is reported on its own line and the rest
//! are still written (exit code 8 when some failed).

pub mod file;
mod watch;

use crate::adapters::aws::{AssumeRole, Aws, AwsFailure, Connection};
use crate::adapters::credentials_file::{self, CannotUpdate, CredentialsFile, WriteReport};
use crate::cli::{OutputFormat, RotateArgs};
use crate::domain::assume::AssumeOptions;
use crate::domain::credentials::TemporaryCredentials;
use crate::domain::profile_name::ProfileName;
use crate::domain::request_limits;
use crate::domain::schedule;
use crate::domain::session_name::{self, SessionName, SessionParts};
use crate::error::UsageError;
use crate::report::{self, Written};
use crate::settings::{self, FileSettings, OutputSettings};
use anyhow::Context as _;
use file::{Fallbacks, Target};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::task::JoinSet;

/// Role chaining (temporary source credentials) caps sessions at one hour.
const ROLE_CHAINING_LIMIT: Duration = Duration::from_secs(3600);

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

/// The checked targets file and what applies to every target.
#[derive(Debug, Clone)]
pub struct Plan {
    pub targets: Vec<Target>,
    /// How many AssumeRole calls may be in flight at once.
    pub jobs: usize,
    pub force: bool,
    /// Skip targets whose profile is still valid this long (`--min-remaining`).
    pub min_remaining: Option<Duration>,
    /// What every target asks for (each target's external id goes in per target).
    pub options: AssumeOptions,
    /// The profile the default chain takes credentials from, if it takes them from one.
    pub default_source_profile: Option<String>,
}

impl Plan {
    /// Reads and checks the targets file and the flags that go with it; nothing is sent.
    pub fn resolve(
        args: &RotateArgs,
        var: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let path = args.targets.as_deref().context("no --targets file")?;
        refuse_unsupported_flags(args)?;
        let text = settings::read_input_file("--targets", path, settings::MAX_TARGETS_FILE_BYTES)?;
        request_limits::check_tags(&args.tag).map_err(UsageError)?;
        request_limits::check_policy_arns(&args.policy_arn).map_err(UsageError)?;
        let fallbacks = Fallbacks {
            duration: args.duration,
            refresh_before: args.refresh.refresh_before,
            external_id: args.external_id.clone(),
            session_name: args.session_name.clone(),
            source_profile: args.source_profile.clone(),
            region: args.region.clone(),
        };
        let targets = file::parse(&text, &fallbacks).map_err(|problems| {
            let shown = path.display();
            let mut lines: Vec<String> = problems
                .iter()
                .map(|problem| match problem.line {
                    0 => format!("{shown}: {}", problem.message),
                    line => format!("{shown}:{line}: {}", problem.message),
                })
                .collect();
            let last = lines.pop().unwrap_or_default();
            for line in lines {
                eprintln!("rolecreds: error: {line}");
            }
            UsageError(last)
        })?;
        let keys_in_environment = var("AWS_ACCESS_KEY_ID").is_some_and(|k| !k.is_empty());
        Ok(Self {
            targets,
            jobs: usize::from(args.jobs),
            force: args.force,
            min_remaining: args.refresh.min_remaining,
            options: AssumeOptions {
                source_identity: args.source_identity.clone(),
                policy_arns: args.policy_arn.clone(),
                tags: args.tag.clone(),
                ..AssumeOptions::default()
            },
            default_source_profile: (!keys_in_environment)
                .then(|| var("AWS_PROFILE").unwrap_or_else(|| "default".into())),
        })
    }

    /// The profile a target's source credentials come from, when they come from a profile.
    fn source_profile_of<'p>(&'p self, target: &'p Target) -> Option<&'p str> {
        target
            .source_profile
            .as_deref()
            .or(self.default_source_profile.as_deref())
    }
}

fn refuse_unsupported_flags(args: &RotateArgs) -> Result<(), UsageError> {
    let unsupported = [
        ("--mfa-serial", args.mfa_serial.is_some()),
        ("--policy", args.policy.is_some()),
    ];
    match unsupported.into_iter().find(|(_, given)| *given) {
        Some((flag, _)) => Err(UsageError(format!(
            "{flag} does not go with --targets; run that role on its own"
        ))),
        None => Ok(()),
    }
}

/// Assumes every role the targets file lists and writes all profiles in one atomic edit.
pub async fn run(
    args: &RotateArgs,
    file: &FileSettings,
    output: &OutputSettings,
) -> anyhow::Result<()> {
    let var = |name: &str| std::env::var(name).ok();
    let plan = Plan::resolve(args, var)?;
    let credentials_file = file.open()?;
    let contents = credentials_file.check_before_network()?;
    if args.refresh.watch {
        return watch::watch(&plan, &credentials_file, file, output).await;
    }
    let holders = LongTermKeys::in_file(&contents);
    let mut outcomes: Vec<Option<Outcome>> = vec![None; plan.targets.len()];
    let mut due = Vec::new();
    for (index, target) in plan.targets.iter().enumerate() {
        if let Some(expiration) = still_fresh(&plan, target, &contents) {
            tracing::info!("profile {} is fresh enough: nothing to do", target.profile);
            outcomes[index] = Some(Outcome::Fresh(expiration));
            continue;
        }
        match check_before_network(&plan, target, &credentials_file, &holders) {
            Ok(()) => due.push(index),
            Err(err) => outcomes[index] = Some(Outcome::Failed(Arc::new(err))),
        }
    }
    let mut names = SessionNames::default();
    let batch = rotate_batch(&plan, &due, &credentials_file, file, &mut names).await;
    for (index, outcome) in batch {
        outcomes[index] = Some(outcome);
    }
    let outcomes: Vec<Outcome> = outcomes.into_iter().flatten().collect();
    report_outcomes(output, &plan.targets, &credentials_file, &outcomes);
    conclude(&plan.targets, &outcomes)
}

/// What happened to one target.
#[derive(Debug, Clone)]
enum Outcome {
    /// Written (or already held exactly these credentials).
    Written(Box<Assumed>, WriteReport),
    /// `--min-remaining`: the profile is valid long enough; expires then.
    Fresh(SystemTime),
    Failed(Arc<anyhow::Error>),
}

/// A role's credentials and the session they belong to.
#[derive(Debug, Clone)]
struct Assumed {
    credentials: TemporaryCredentials,
    session_name: SessionName,
    /// The lifetime asked for (role chaining may have capped it).
    duration: Duration,
}

/// The caller's name per source, learned once (GetUser) and kept across refreshes.
#[derive(Debug, Default)]
struct SessionNames {
    users: HashMap<SourceKey, String>,
}

/// Targets with the same source profile and region share one set of source credentials.
type SourceKey = (Option<String>, Option<String>);

fn source_key(target: &Target) -> SourceKey {
    (target.source_profile.clone(), target.region.clone())
}

/// Assumes the roles of `indexes` and writes every success in one commit.
async fn rotate_batch(
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
    let duration = if aws.source_is_temporary && target.duration > ROLE_CHAINING_LIMIT {
        tracing::warn!(
            "target {}: the source credentials are temporary (role chaining), which STS caps at \
             1h; asking for 1h",
            target.profile
        );
        ROLE_CHAINING_LIMIT
    } else {
        target.duration
    };
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
    let holders = LongTermKeys::in_file(locked.contents());
    let mut accepted = Vec::with_capacity(ready.len());
    for (index, assumed) in ready {
        let target = &plan.targets[index];
        match ensure_no_long_term_keys(plan, target, credentials_file, &holders) {
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

/// The checks that need no network, per target: the profile is not the one the source
/// credentials come from, and holds no long-term keys (unless `--force`).
fn check_before_network(
    plan: &Plan,
    target: &Target,
    credentials_file: &CredentialsFile,
    holders: &LongTermKeys,
) -> anyhow::Result<()> {
    if plan.source_profile_of(target) == Some(target.profile.as_str()) {
        return Err(anyhow::anyhow!(
            "the source credentials come from profile {0}; writing temporary credentials \
             there would replace them. Name another profile on line {1}",
            target.profile,
            target.line
        ))
        .context(CannotUpdate {
            path: credentials_file.path().to_owned(),
        });
    }
    ensure_no_long_term_keys(plan, target, credentials_file, holders)
}

/// The profiles holding long-term keys (an access key, no session token), from one parse of
/// the file (a parse per target would cost quadratic time for many targets).
#[derive(Debug, Default)]
struct LongTermKeys(std::collections::HashSet<String>);

impl LongTermKeys {
    fn in_file(contents: &[u8]) -> Self {
        let Ok(text) = std::str::from_utf8(contents) else {
            return Self::default();
        };
        let Ok(profiles) = crate::domain::editor::validate::parse_credentials_text(text) else {
            return Self::default();
        };
        let holders = profiles
            .profiles()
            .filter(|name| {
                profiles.get_profile(name).is_some_and(|p| {
                    p.get("aws_access_key_id").is_some() && p.get("aws_session_token").is_none()
                })
            })
            .map(str::to_owned)
            .collect();
        Self(holders)
    }
}

fn ensure_no_long_term_keys(
    plan: &Plan,
    target: &Target,
    credentials_file: &CredentialsFile,
    holders: &LongTermKeys,
) -> anyhow::Result<()> {
    if plan.force || !holders.0.contains(target.profile.as_str()) {
        return Ok(());
    }
    Err(anyhow::anyhow!(
        "profile {} holds long-term keys (no aws_session_token); rolecreds will not overwrite \
         them. Name another profile, or pass --force to replace them",
        target.profile
    ))
    .context(CannotUpdate {
        path: credentials_file.path().to_owned(),
    })
}

/// `--min-remaining`: the profile's expiry when it is valid at least that long.
fn still_fresh(plan: &Plan, target: &Target, contents: &[u8]) -> Option<SystemTime> {
    let needed = plan.min_remaining?;
    let expiration = credentials_file::profile_expiration(contents, &target.profile)?;
    schedule::has_at_least(expiration, needed, SystemTime::now()).then_some(expiration)
}

/// One line per target on stderr (text), or one JSON array on stdout; errors always on stderr.
fn report_outcomes(
    output: &OutputSettings,
    targets: &[Target],
    credentials_file: &CredentialsFile,
    outcomes: &[Outcome],
) {
    let mut json = Vec::new();
    for (target, outcome) in targets.iter().zip(outcomes) {
        if let Outcome::Failed(err) = outcome {
            eprintln!("rolecreds: error: target {}: {err:#}", target.profile);
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
            let written = Written {
                profile: &target.profile,
                credentials_file: credentials_file.path(),
                role_arn: Some(target.role.to_string()),
                session_name: Some(assumed.session_name.to_string()),
                credentials: &assumed.credentials,
                report: write,
            };
            report::profile_written(output, &written);
        }
        Outcome::Fresh(expiration) if !output.quiet => eprintln!(
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
fn rebuild(err: &anyhow::Error) -> anyhow::Error {
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
