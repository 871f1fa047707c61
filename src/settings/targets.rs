//! The targets file: TOML text in, checked targets out (pure; no environment, no network).
//!
//! ```toml
//! [defaults]                 # optional; every key may also be set per target
//! duration = "1h"
//! source_profile = "sso-admin"
//!
//! [[target]]
//! profile = "dns-prod"
//! role_arn = "arn:aws:iam::123456789012:role/dns_editor"
//!
//! [[target]]
//! profile = "dns-dev"
//! account_id = "210987654321"
//! role_name = "dns_editor"
//! external_id = "a-shared-secret"
//! ```
//!
//! Every problem is found in one pass and reported with the line it is on, so a file is fixed
//! in one go; a file with any problem is refused as a whole.

use crate::domain::assume::AssumeOptions;
use crate::domain::profile_name::ProfileName;
use crate::domain::request_limits;
use crate::domain::role::{self, RoleArn};
use crate::domain::schedule;
use crate::domain::session_name::{self, DEFAULT_TEMPLATE, SessionParts};
use crate::settings::DEFAULT_DURATION;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;
use toml::Spanned;

/// One role to assume into one profile, fully resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The line of the target's first key, for messages.
    pub line: usize,
    pub profile: ProfileName,
    pub role: RoleArn,
    pub duration: Duration,
    /// How long before expiry `--watch` refreshes this target.
    pub refresh_margin: Duration,
    pub external_id: Option<String>,
    pub session_template: String,
    /// The profile the source credentials come from; `None`: the default chain.
    pub source_profile: Option<String>,
    pub region: Option<String>,
}

/// Values the command line gives for every target, below the file's `[defaults]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fallbacks {
    pub duration: Option<Duration>,
    pub refresh_before: Option<Duration>,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
    pub source_profile: Option<String>,
    pub region: Option<String>,
}

/// One problem, at a line of the file (0 when the parser could not say where).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => f.write_str(&self.message),
            line => write!(f, "{line}: {}", self.message),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    defaults: Option<Spanned<Options>>,
    #[serde(default)]
    target: Vec<Spanned<RawTarget>>,
}

/// The keys `[defaults]` and a target share.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    duration: Option<Spanned<DurationValue>>,
    refresh_before: Option<Spanned<DurationValue>>,
    external_id: Option<Spanned<String>>,
    session_name: Option<Spanned<String>>,
    source_profile: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    profile: Option<Spanned<String>>,
    role_arn: Option<Spanned<String>>,
    account_id: Option<Spanned<String>>,
    role_name: Option<Spanned<String>>,
    duration: Option<Spanned<DurationValue>>,
    refresh_before: Option<Spanned<DurationValue>>,
    external_id: Option<Spanned<String>>,
    session_name: Option<Spanned<String>>,
    source_profile: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
}

/// `3600` or `"1h"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum DurationValue {
    Seconds(i64),
    Text(String),
}

/// Parses and checks a whole targets file; `Err` lists every problem, in line order.
pub fn parse(text: &str, fallbacks: &Fallbacks) -> Result<Vec<Target>, Vec<Problem>> {
    let lines = LineIndex::new(text);
    let unknown = unknown_keys(text, &lines);
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let raw: RawFile = toml::from_str(text).map_err(|err| {
        let line = err.span().map_or(0, |span| lines.line(span.start));
        let message = err.message().trim().replace('\n', "; ");
        vec![Problem { line, message }]
    })?;
    let mut problems = Vec::new();
    let defaults = raw.defaults.map(Spanned::into_inner).unwrap_or_default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut targets = Vec::new();
    for entry in raw.target {
        let line = lines.line(entry.span().start);
        if let Some(name) = &entry.get_ref().profile {
            if let Some(first) = seen.get(name.get_ref()) {
                problems.push(Problem {
                    line: lines.line(name.span().start),
                    message: format!(
                        "profile {} is already written by the target on line {first}; each \
                         profile takes one target",
                        name.get_ref()
                    ),
                });
                continue;
            }
            seen.insert(name.get_ref().clone(), line);
        }
        let mut check = Checker {
            lines: &lines,
            problems: &mut problems,
        };
        targets.extend(check.target(line, entry.into_inner(), &defaults, fallbacks));
    }
    if targets.is_empty() && problems.is_empty() {
        problems.push(Problem {
            line: 0,
            message: "no targets: add a [[target]] table with profile and role_arn".into(),
        });
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(problems);
    }
    Ok(targets)
}

const FILE_KEYS: [&str; 2] = ["defaults", "target"];
const OPTION_KEYS: [&str; 6] = [
    "duration",
    "refresh_before",
    "external_id",
    "session_name",
    "source_profile",
    "region",
];
/// A target takes these besides every [`OPTION_KEYS`] one.
const TARGET_ONLY_KEYS: [&str; 4] = ["profile", "role_arn", "account_id", "role_name"];

/// Every key the file has that rolecreds does not know, each at its line (serde stops at the
/// first, and a file is best fixed in one go). Syntax errors are left to the full parse.
fn unknown_keys(text: &str, lines: &LineIndex) -> Vec<Problem> {
    use toml::de::{DeTable, DeValue};
    let Ok(file) = DeTable::parse(text) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    let mut check = |table: &DeTable<'_>, allowed: &[&[&str]]| {
        let allowed: Vec<&str> = allowed.concat();
        for (key, _) in table.iter() {
            let name: &str = key.get_ref();
            if !allowed.contains(&name) {
                let expected: Vec<String> = allowed.iter().map(|k| format!("`{k}`")).collect();
                problems.push(Problem {
                    line: lines.line(key.span().start),
                    message: format!(
                        "unknown field `{name}`, expected one of {}",
                        expected.join(", ")
                    ),
                });
            }
        }
    };
    let file = file.get_ref();
    check(file, &[&FILE_KEYS]);
    for (key, value) in file.iter() {
        match (&**key.get_ref(), value.get_ref()) {
            ("defaults", DeValue::Table(defaults)) => check(defaults, &[&OPTION_KEYS]),
            ("target", DeValue::Array(targets)) => {
                for target in targets.iter() {
                    if let DeValue::Table(target) = target.get_ref() {
                        check(target, &[&TARGET_ONLY_KEYS, &OPTION_KEYS]);
                    }
                }
            }
            _ => {}
        }
    }
    problems.sort_by_key(|p| p.line);
    problems
}

struct Checker<'a> {
    lines: &'a LineIndex,
    problems: &'a mut Vec<Problem>,
}

impl Checker<'_> {
    fn problem<T>(&mut self, line: usize, message: String) -> Option<T> {
        self.problems.push(Problem { line, message });
        None
    }

    fn line_of<T>(&self, value: &Spanned<T>) -> usize {
        self.lines.line(value.span().start)
    }

    /// Resolves one target; pushes its problems and returns `None` if it has any.
    fn target(
        &mut self,
        line: usize,
        raw: RawTarget,
        defaults: &Options,
        fallbacks: &Fallbacks,
    ) -> Option<Target> {
        let before = self.problems.len();
        let profile = match &raw.profile {
            Some(name) => ProfileName::parse(name.get_ref())
                .map_err(|err| self.problem::<()>(self.line_of(name), err.to_string()))
                .ok(),
            None => self.problem(line, "this target has no profile = \"NAME\"".into()),
        };
        let role = self.role(line, &raw);
        let duration = self
            .duration(
                "duration",
                raw.duration.as_ref().or(defaults.duration.as_ref()),
            )
            .or(fallbacks.duration)
            .unwrap_or(DEFAULT_DURATION);
        if let Err(message) = request_limits::check_duration("duration", duration) {
            let at = raw.duration.as_ref().or(defaults.duration.as_ref());
            let at = at.map_or(line, |d| self.line_of(d));
            self.problem::<()>(at, message);
        }
        let refresh_at = raw
            .refresh_before
            .as_ref()
            .or(defaults.refresh_before.as_ref());
        let refresh_before = self
            .duration("refresh_before", refresh_at)
            .or(fallbacks.refresh_before);
        if let Some(before) = refresh_before
            && let Err(message) =
                schedule::check_refresh_before(before, duration, ("refresh_before", "duration"))
        {
            let at = refresh_at.map_or(line, |d| self.line_of(d));
            self.problem::<()>(at, message);
        }
        let external_id = pick(&raw.external_id, &defaults.external_id);
        if let Some(id) = external_id
            && let Err(message) = request_limits::check_external_id("external_id", id.get_ref())
        {
            self.problem::<()>(self.line_of(id), message);
        }
        let template = pick(&raw.session_name, &defaults.session_name);
        let session_template = template
            .map(|t| t.get_ref().clone())
            .or_else(|| fallbacks.session_name.clone())
            .unwrap_or_else(|| DEFAULT_TEMPLATE.to_owned());
        if let Some(role) = &role {
            let sample = SessionParts {
                user: "user",
                role: role.name(),
                account: role.account_id(),
            };
            if let Err(err) = session_name::render(&session_template, sample) {
                self.problem::<()>(template.map_or(line, |t| self.line_of(t)), err);
            }
        }
        let source_profile = pick(&raw.source_profile, &defaults.source_profile);
        if let Some(source) = source_profile
            && source.get_ref().is_empty()
        {
            self.problem::<()>(
                self.line_of(source),
                "source_profile is empty; leave it out to use the default credentials".into(),
            );
        }
        if self.problems.len() > before {
            return None;
        }
        Some(Target {
            line,
            profile: profile?,
            role: role?,
            duration,
            refresh_margin: schedule::refresh_margin(duration, refresh_before),
            external_id: external_id
                .map(|id| id.get_ref().clone())
                .or_else(|| fallbacks.external_id.clone()),
            session_template,
            source_profile: source_profile
                .map(|s| s.get_ref().clone())
                .or_else(|| fallbacks.source_profile.clone()),
            region: pick(&raw.region, &defaults.region)
                .map(|r| r.get_ref().clone())
                .or_else(|| fallbacks.region.clone()),
        })
    }

    /// `role_arn`, or `account_id` with `role_name`.
    fn role(&mut self, line: usize, raw: &RawTarget) -> Option<RoleArn> {
        let in_file = |message: String| {
            message
                .replace("--role-arn", "role_arn")
                .replace("--account-id", "account_id")
                .replace("--role-name", "role_name")
        };
        match (&raw.role_arn, &raw.account_id, &raw.role_name) {
            (Some(arn), None, None) => RoleArn::parse(arn.get_ref())
                .map_err(|err| self.problem::<()>(self.line_of(arn), in_file(err)))
                .ok(),
            (None, Some(account), Some(name)) => {
                if let Err(err) = role::check_account_id(account.get_ref()) {
                    return self.problem(self.line_of(account), in_file(err));
                }
                RoleArn::from_parts(account.get_ref(), name.get_ref())
                    .map_err(|err| self.problem::<()>(self.line_of(name), in_file(err)))
                    .ok()
            }
            (Some(arn), _, _) => self.problem(
                self.line_of(arn),
                "give role_arn, or account_id with role_name, not both".into(),
            ),
            (None, Some(account), None) => self.problem(
                self.line_of(account),
                "account_id needs role_name (or give role_arn instead)".into(),
            ),
            (None, None, Some(name)) => self.problem(
                self.line_of(name),
                "role_name needs account_id (or give role_arn instead)".into(),
            ),
            (None, None, None) => self.problem(
                line,
                "this target names no role: add role_arn, or account_id and role_name".into(),
            ),
        }
    }

    fn duration(&mut self, key: &str, value: Option<&Spanned<DurationValue>>) -> Option<Duration> {
        let value = value?;
        let parsed = match value.get_ref() {
            DurationValue::Seconds(seconds) => {
                u64::try_from(*seconds).ok().map(Duration::from_secs)
            }
            DurationValue::Text(text) => text
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs)
                .or_else(|| humantime::parse_duration(text).ok()),
        };
        if parsed.is_none() {
            let shown = match value.get_ref() {
                DurationValue::Seconds(seconds) => seconds.to_string(),
                DurationValue::Text(text) => format!("{text:?}"),
            };
            self.problem::<()>(
                self.line_of(value),
                format!("{key} {shown} is not a duration; write seconds (3600) or \"1h\", \"90m\""),
            );
        }
        parsed
    }
}

/// The target's own value, else the `[defaults]` one.
fn pick<'v, T>(
    own: &'v Option<Spanned<T>>,
    default: &'v Option<Spanned<T>>,
) -> Option<&'v Spanned<T>> {
    own.as_ref().or(default.as_ref())
}

/// Byte offsets to 1-based line numbers.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let newlines = text.match_indices('\n').map(|(i, _)| i + 1);
        Self {
            starts: std::iter::once(0).chain(newlines).collect(),
        }
    }

    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }
}

/// The checked targets file and what applies to every target.
#[derive(Debug, Clone)]
pub struct Plan {
    pub targets: Vec<Target>,
    /// How many AssumeRole calls may be in flight at once.
    pub jobs: usize,
    /// `--watch`: keep every target fresh until stopped.
    pub watch: bool,
    pub force: bool,
    /// Skip targets whose profile is still valid this long (`--min-remaining`).
    pub min_remaining: Option<Duration>,
    /// What every target asks for (each target's external id goes in per target).
    pub options: AssumeOptions,
    /// The profile the default chain takes credentials from, if it takes them from one.
    pub default_source_profile: Option<String>,
}

impl Plan {
    /// The profile a target's source credentials come from, when they come from a profile.
    pub fn source_profile_of<'p>(&'p self, target: &'p Target) -> Option<&'p str> {
        target
            .source_profile
            .as_deref()
            .or(self.default_source_profile.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match parse(text, &Fallbacks::default()) {
            Ok(targets) => panic!("accepted: {targets:?}"),
            Err(problems) => problems.iter().map(ToString::to_string).collect(),
        }
    }

    const ARN: &str = "arn:aws:iam::123456789012:role/dns_editor";

    #[test]
    fn reads_defaults_and_both_ways_of_naming_a_role() {
        let text = format!(
            "[defaults]\nduration = \"2h\"\nsource_profile = \"admin\"\n\n\
             [[target]]\nprofile = \"a\"\nrole_arn = \"{ARN}\"\n\n\
             [[target]]\nprofile = \"b\"\naccount_id = \"210987654321\"\nrole_name = \"team/x\"\n\
             duration = 900\nrefresh_before = \"5m\"\nexternal_id = \"shared\"\n\
             session_name = \"ci-{{role}}\"\nsource_profile = \"other\"\n"
        );
        let targets = parse(&text, &Fallbacks::default()).unwrap();
        assert_eq!(targets.len(), 2);
        let (a, b) = (&targets[0], &targets[1]);
        assert_eq!((a.line, a.profile.as_str()), (5, "a"));
        assert_eq!(a.role.to_string(), ARN);
        assert_eq!(a.duration, Duration::from_secs(7200));
        assert_eq!(a.refresh_margin, Duration::from_secs(900));
        assert_eq!(a.source_profile.as_deref(), Some("admin"));
        assert_eq!(a.session_template, DEFAULT_TEMPLATE);
        assert_eq!(b.line, 9);
        assert_eq!(b.role.to_string(), "arn:aws:iam::210987654321:role/team/x");
        assert_eq!(b.duration, Duration::from_secs(900));
        assert_eq!(b.refresh_margin, Duration::from_secs(300));
        assert_eq!(b.external_id.as_deref(), Some("shared"));
        assert_eq!(b.session_template, "ci-{role}");
        assert_eq!(b.source_profile.as_deref(), Some("other"));
    }

    #[test]
    fn the_command_line_fills_in_below_the_defaults() {
        let text = format!(
            "[defaults]\nregion = \"eu-west-1\"\n[[target]]\nprofile = \"a\"\nrole_arn = \"{ARN}\"\n"
        );
        let fallbacks = Fallbacks {
            duration: Some(Duration::from_secs(1800)),
            region: Some("us-east-2".into()),
            source_profile: Some("cli".into()),
            ..Fallbacks::default()
        };
        let target = &parse(&text, &fallbacks).unwrap()[0];
        assert_eq!(target.duration, Duration::from_secs(1800));
        assert_eq!(target.region.as_deref(), Some("eu-west-1"));
        assert_eq!(target.source_profile.as_deref(), Some("cli"));
    }

    #[test]
    fn every_unknown_key_is_reported_not_only_the_first() {
        let text = format!(
            "[defaults]\nduraton = 900\n[[target]]\nprofile = \"a\"\nrole_arn = \"{ARN}\"\n\
             colour = \"red\"\n[[target]]\nprofile = \"b\"\nrole_arn = \"{ARN}\"\nflavour = 1\n\
             [extra]\n"
        );
        let problems = parse(&text, &Fallbacks::default()).unwrap_err();
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 4, "{shown:?}");
        for (at, expected) in [
            (0, "2: unknown field `duraton`"),
            (1, "6: unknown field `colour`"),
            (2, "10: unknown field `flavour`"),
            (3, "11: unknown field `extra`"),
        ] {
            assert!(shown[at].starts_with(expected), "{shown:?}");
        }
    }

    #[test]
    fn every_problem_is_reported_at_its_line() {
        let t = |body: &str| format!("[[target]]\n{body}");
        let cases: Vec<(String, &str)> = vec![
            // (file, expected problem, with its line)
            (
                t("profile = \"a\"\nrole_arn = \"arn:aws:iam::1:role/x\"\n"),
                "3: invalid role_arn",
            ),
            (
                t(&format!(
                    "profile = \"a\"\nrole_arn = \"{ARN}\"\ncolour = \"red\"\n"
                )),
                "4: unknown field `colour`",
            ),
            (
                format!(
                    "[defaults]\nduraton = 900\n[[target]]\nprofile = \"a\"\nrole_arn = \"{ARN}\"\n"
                ),
                "2: unknown field `duraton`",
            ),
            (
                t(&format!("profile = \"a b\"\nrole_arn = \"{ARN}\"\n")),
                "2: invalid profile name \"a b\"",
            ),
            (
                t(&format!("role_arn = \"{ARN}\"\n")),
                "1: this target has no profile",
            ),
            (t("profile = \"a\"\n"), "1: this target names no role"),
            (
                t("profile = \"a\"\naccount_id = \"12345\"\nrole_name = \"x\"\n"),
                "3: invalid account_id \"12345\"",
            ),
            (
                t("profile = \"a\"\naccount_id = \"123456789012\"\nrole_name = \"a b\"\n"),
                "4: invalid role_name \"a b\"",
            ),
            (
                t("profile = \"a\"\naccount_id = \"123456789012\"\n"),
                "3: account_id needs role_name",
            ),
            (
                t("profile = \"a\"\nrole_name = \"x\"\n"),
                "3: role_name needs account_id",
            ),
            (
                t(&format!(
                    "profile = \"a\"\nrole_arn = \"{ARN}\"\nrole_name = \"x\"\n"
                )),
                "3: give role_arn, or account_id",
            ),
            (
                t("profile = \"a\"\naccount_id = 123456789012\nrole_name = \"x\"\n"),
                "3: invalid type: integer",
            ),
            (
                t(&format!(
                    "profile = \"a\"\nrole_arn = \"{ARN}\"\nduration = 600\n"
                )),
                "4: duration 600 seconds is outside",
            ),
            (
                t(&format!(
                    "profile = \"a\"\nrole_arn = \"{ARN}\"\nduration = \"13h\"\n"
                )),
                "4: duration 46800 seconds is outside",
            ),
            (
                t(&format!(
                    "profile = \"a\"\nrole_arn = \"{ARN}\"\nduration = \"soon\"\n"
                )),
                "4: duration \"soon\" is not a duration",
            ),
            (
                t(&format!(
                    "profile = \"a\"\nrole_arn = \"{ARN}\"\nduration = 900\nrefresh_before = 900\n"
                )),
                "5: refresh_before 900s must be shorter",
            ),
            (
                t(&format!(
                    "profile = \"a\"\nrole_arn = \"{ARN}\"\nexternal_id = \"x\"\n"
                )),
                "4: external_id must be 2 to 1224",
            ),
            (
                t(&format!(
                    "profile = \"a\"\nrole_arn = \"{ARN}\"\nsession_name = \"{{nope}}\"\n"
                )),
                "4: ",
            ),
            (
                t(&format!(
                    "profile = \"a\"\nrole_arn = \"{ARN}\"\nsource_profile = \"\"\n"
                )),
                "4: source_profile is empty",
            ),
            (
                t(&format!(
                    "profile = \"a\"\nprofile = \"b\"\nrole_arn = \"{ARN}\"\n"
                )),
                "3: ",
            ),
            (
                format!(
                    "[[target]]\nprofile = \"a\"\nrole_arn = \"{ARN}\"\n\n[[target]]\nprofile = \"a\"\nrole_arn = \"{ARN}\"\n"
                ),
                "6: profile a is already written by the target on line 1",
            ),
            (
                format!(
                    "[[target]]\nprofile = \"a\"\nrole_arn = \"{ARN}\"\n[[targets]]\nprofile = \"b\"\n"
                ),
                "4: unknown field `targets`",
            ),
            ("# nothing here\n".into(), "no targets"),
            ("[[target]\n".into(), "1: "),
        ];
        for (text, expected) in cases {
            let found = problems(&text);
            assert!(
                found.len() == 1 && found[0].starts_with(expected),
                "{text:?}: expected {expected:?}, got {found:?}"
            );
        }
    }

    #[test]
    fn all_problems_are_reported_in_line_order() {
        let text = format!(
            "[[target]]\nprofile = \"a\"\nrole_arn = \"bad\"\n\n\
             [[target]]\nprofile = \"b\"\nrole_arn = \"{ARN}\"\nduration = 1\n\n\
             [[target]]\nprofile = \"b\"\nrole_arn = \"{ARN}\"\n"
        );
        let found = problems(&text);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].starts_with("3: invalid role_arn"), "{found:?}");
        assert!(found[1].starts_with("8: duration 1 seconds"), "{found:?}");
        assert!(
            found[2].starts_with("11: profile b is already written by the target on line 5"),
            "{found:?}"
        );
    }

    #[test]
    fn line_numbers_count_from_one() {
        let lines = LineIndex::new("a\nbc\n\nd");
        let cases = [(0, 1), (1, 1), (2, 2), (4, 2), (5, 3), (6, 4), (7, 4)];
        for (offset, line) in cases {
            assert_eq!(lines.line(offset), line, "{offset}");
        }
    }
}
