//! The command line as the user types it (clap). Nothing here is resolved or checked beyond
//! syntax; `settings` turns it into what the program does.

pub mod generate;
pub mod resolve;

use crate::domain::profile_name::ProfileName;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

/// Keeps AWS temporary credentials fresh in ~/.aws/credentials.
///
/// rolecreds writes one profile of the shared credentials file without touching the rest of
/// it: comments, other profiles and formatting stay byte for byte, the file is replaced
/// atomically under a lock, and it stays readable by its owner only.
///
/// Example: rolecreds --account-id 123456789012 --role-name dns_editor --profile-name dns
#[derive(Debug, Parser)]
#[command(name = "rolecreds", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub rotate: RotateArgs,

    #[command(flatten)]
    pub file: FileArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Print a shell completion script or the man page (used by scripts/generate)
    #[arg(long, value_name = "KIND", hide = true, exclusive = true)]
    pub generate: Option<Generated>,
}

// What to assume and where to write it (the main job). (A plain comment: a doc comment here
// would become the about text of exec and serve, which flatten these options.)
#[derive(Debug, Args)]
#[command(next_help_heading = "Role")]
pub struct RotateArgs {
    /// The 12-digit account that owns the role (with --role-name)
    #[arg(long, alias = "account_id", value_name = "ID", requires = "role_name")]
    pub account_id: Option<String>,

    /// The role's name, with its path if it has one (e.g. dns_editor, team/deployer)
    #[arg(
        long,
        alias = "role_name",
        value_name = "NAME",
        requires = "account_id"
    )]
    pub role_name: Option<String>,

    /// The role's full ARN, instead of --account-id and --role-name
    #[arg(long, value_name = "ARN", conflicts_with_all = ["account_id", "role_name"])]
    pub role_arn: Option<String>,

    /// Take the role and its options from this role profile of ~/.aws/config (role_arn,
    /// source_profile, external_id, ...); flags given as well override its values
    #[arg(long, value_name = "NAME", conflicts_with_all = ["account_id", "role_name", "role_arn"])]
    pub from_profile: Option<String>,

    /// Assume every role a targets file lists, concurrently, and write all profiles in one
    /// atomic edit (see README: "Many accounts and roles")
    #[arg(long, value_name = "FILE",
          conflicts_with_all = ["account_id", "role_name", "role_arn", "from_profile", "profile_name",
                                "credential_process", "dry_run"])]
    pub targets: Option<PathBuf>,

    /// With --targets: how many roles to assume at once
    #[arg(long, value_name = "N", default_value_t = 8, requires = "targets",
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,

    /// The credentials-file profile to write [default: the account id]
    #[arg(long, alias = "profile_name", value_name = "NAME")]
    pub profile_name: Option<ProfileName>,

    /// Take the source credentials from this profile instead of the default chain
    #[arg(long, value_name = "NAME", help_heading = "Source credentials")]
    pub source_profile: Option<String>,

    /// The region for STS [default: AWS_REGION, the profile's region, else us-east-1]
    #[arg(long, value_name = "REGION", help_heading = "Source credentials")]
    pub region: Option<String>,

    /// Session lifetime: seconds or a duration like 1h, 90m (900 s to 12 h)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg,
          help_heading = "AssumeRole")]
    pub duration: Option<Duration>,

    /// Session name template with {user}, {role}, {account} [default:
    /// {user}@{role}.{account}]
    #[arg(long, value_name = "TEMPLATE", help_heading = "AssumeRole")]
    pub session_name: Option<String>,

    /// The external id the role's trust policy requires
    #[arg(long, value_name = "ID", help_heading = "AssumeRole")]
    pub external_id: Option<String>,

    /// A source identity to stamp on the session (shown in CloudTrail)
    #[arg(long, value_name = "ID", help_heading = "AssumeRole")]
    pub source_identity: Option<String>,

    /// A managed policy ARN to narrow the session's permissions (repeatable)
    #[arg(long, value_name = "ARN", help_heading = "AssumeRole")]
    pub policy_arn: Vec<String>,

    /// A JSON session-policy file to narrow the session's permissions
    #[arg(long, value_name = "FILE", help_heading = "AssumeRole")]
    pub policy: Option<PathBuf>,

    /// A session tag KEY=VALUE (repeatable)
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_tag, help_heading = "AssumeRole")]
    pub tag: Vec<(String, String)>,

    /// The MFA device's serial number or ARN, for roles that require MFA
    #[arg(long, value_name = "ARN", help_heading = "AssumeRole")]
    pub mfa_serial: Option<String>,

    /// The current MFA code, or - to read it from standard input (a code on the command line
    /// shows in `ps`); without it rolecreds asks on the terminal
    #[arg(
        long,
        value_name = "CODE",
        requires = "mfa_serial",
        help_heading = "AssumeRole"
    )]
    pub token_code: Option<String>,

    /// A command that prints the current MFA code (e.g. 'ykman oath accounts code -s aws'),
    /// run without a shell whenever a code is needed: for modes without a terminal
    #[arg(
        long,
        value_name = "CMD",
        conflicts_with = "token_code",
        help_heading = "AssumeRole"
    )]
    pub mfa_process: Option<String>,

    /// How long --mfa-process may take to print the code
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = parse_duration_arg,
          help_heading = "AssumeRole")]
    pub mfa_process_timeout: Duration,

    /// With --watch and --mfa-serial: how long one MFA code lasts (an STS session the role is
    /// assumed from without asking again)
    #[arg(long, value_name = "DURATION", default_value = "12h", value_parser = parse_duration_arg,
          help_heading = "AssumeRole")]
    pub mfa_session_duration: Duration,

    /// Overwrite the profile even if it holds long-term keys (no session token)
    #[arg(long)]
    pub force: bool,

    /// Resolve everything and call only read-only APIs; print what would be written
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub refresh: RefreshArgs,
}

// Keeping credentials fresh (a plain comment, like RotateArgs': see there).
#[derive(Debug, Args)]
#[command(next_help_heading = "Keeping fresh")]
pub struct RefreshArgs {
    /// Keep running: rotate now, then again before each expiry (SIGHUP: now; SIGTERM: stop;
    /// on Windows Ctrl-C or Ctrl-Break stops, and there is no SIGHUP)
    #[arg(long, conflicts_with_all = ["dry_run", "credential_process", "min_remaining"])]
    pub watch: bool,

    /// Refresh this long before expiry [default: 15m or half the lifetime, if smaller]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg)]
    pub refresh_before: Option<Duration>,

    /// Do nothing if the profile's credentials are still valid for at least this long (cron)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg,
          conflicts_with = "credential_process")]
    pub min_remaining: Option<Duration>,

    /// Print credential_process JSON on stdout (cached until near expiry) instead of writing
    /// a profile
    #[arg(long, conflicts_with_all = ["dry_run", "profile_name", "force"])]
    pub credential_process: bool,
}

impl RotateArgs {
    /// The first rotation flag given, if any (they do not go with a subcommand).
    pub fn first_given(&self) -> Option<&'static str> {
        let given = [
            ("--account-id", self.account_id.is_some()),
            ("--role-name", self.role_name.is_some()),
            ("--role-arn", self.role_arn.is_some()),
            ("--from-profile", self.from_profile.is_some()),
            ("--targets", self.targets.is_some()),
            ("--profile-name", self.profile_name.is_some()),
            ("--source-profile", self.source_profile.is_some()),
            ("--duration", self.duration.is_some()),
            ("--mfa-serial", self.mfa_serial.is_some()),
            ("--force", self.force),
            ("--dry-run", self.dry_run),
            ("--watch", self.refresh.watch),
            ("--credential-process", self.refresh.credential_process),
        ];
        given
            .into_iter()
            .find(|(_, is_given)| *is_given)
            .map(|(flag, _)| flag)
    }
}

/// How results are shown.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Result format: a human line on stderr, or JSON on stdout (never secrets)
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, global = true)]
    pub output: OutputFormat,

    /// Print nothing on success; errors still go to stderr
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Say more on stderr: -v what was decided and why, -vv debugging detail
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// `3600`, `1h`, `90m`, `1h30m`.
fn parse_duration_arg(text: &str) -> Result<Duration, String> {
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    humantime::parse_duration(text)
        .map_err(|_| format!("{text:?} is not a duration; write seconds (3600) or 1h, 90m"))
}

/// `KEY=VALUE` for session tags.
fn parse_tag(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

/// Where and how the credentials file is written.
#[derive(Debug, Args)]
#[command(next_help_heading = "Credentials file")]
pub struct FileArgs {
    /// The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else
    /// ~/.aws/credentials]
    #[arg(long, global = true, value_name = "PATH")]
    pub credentials_file: Option<PathBuf>,

    /// How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)
    #[arg(long, global = true, value_name = "DURATION", default_value = "10s",
          value_parser = humantime::parse_duration)]
    pub lock_timeout: Duration,
}

// Deferred: a run builds the options of its own subcommand only, not exec's and serve's
// copies of the role options (60 of the ~90 options), which was a tenth of a one-shot import's
// CPU (0.07 ms, 21 page faults). Help, completions and the man page build the whole tree.
// Three effects to know: a flattened options struct's doc comment would replace the
// subcommand's about text (so those structs carry plain comments, and so does this enum,
// whose doc comment would feed the top-level about); and in exec's and serve's help the
// global options (credentials file, output) come before the role options.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Write credentials given as JSON on standard input into a profile.
    ///
    /// Reads the output of `aws sts assume-role` (`{"Credentials": {...}}`), of
    /// `aws configure export-credentials --format process`, or of any credential_process
    /// (`{"Version": 1, "AccessKeyId": ...}`). Secrets stay off the command line.
    ///
    /// Example: aws sts assume-role --role-arn ARN --role-session-name me | rolecreds import
    /// --profile-name dev
    Import(ImportArgs),

    /// List the profiles holding temporary credentials, with each one's expiry.
    ///
    /// With --profile, the exit code says whether that profile is fresh: 0 when it is valid
    /// for at least --min-remaining (default: not expired), 7 otherwise. Never shows secrets.
    ///
    /// Example: rolecreds status --profile dns --min-remaining 10m || rolecreds ...
    Status(StatusArgs),

    /// Run a command with the role's credentials, kept fresh for as long as it runs.
    ///
    /// The command gets a local credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI and
    /// AWS_CONTAINER_AUTHORIZATION_TOKEN), which every AWS SDK and the AWS CLI refresh from by
    /// themselves, so a run longer than one session never sees expired credentials. The
    /// command's environment loses AWS_ACCESS_KEY_ID, AWS_PROFILE and the like, and its
    /// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE are private copies without credentials
    /// (the user's region and settings stay), so nothing can shadow the role. rolecreds passes
    /// signals on and exits with the command's status.
    ///
    /// Example: rolecreds exec --role-arn arn:aws:iam::123456789012:role/deployer --
    /// terraform apply
    Exec(ExecArgs),

    /// Serve the role's credentials on a local endpoint until stopped.
    ///
    /// Prints the `export` lines a shell evaluates (eval "$(rolecreds serve ...)"); every
    /// process started with them gets the role's credentials and refreshes them by itself.
    /// With --targets, each target's profile is served at its own URL. SIGTERM or SIGINT
    /// stops it, SIGHUP refreshes now (on Windows, Ctrl-C, Ctrl-Break or closing the console
    /// stops it, and there is no SIGHUP).
    ///
    /// Example: eval "$(rolecreds serve --role-arn arn:aws:iam::123456789012:role/dev)"
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub rotate: RotateArgs,

    /// Give the command the user's own AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE (a
    /// profile there with keys, or one the command names, may then win over the role)
    #[arg(long)]
    pub keep_aws_files: bool,

    /// The command to run, and its arguments
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub rotate: RotateArgs,

    /// The loopback address to listen on (the SDKs accept plain HTTP only from loopback)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,

    /// Write the token here (0600 on Unix, removed on exit) instead of a private temp directory, so
    /// that consumers can name a fixed AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// Go on serving in the background once ready, print the export lines (and
    /// ROLECREDS_SERVE_PID, to stop it with kill) and exit: for eval "$(rolecreds serve ...)"
    #[arg(long)]
    pub background: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only this profile, and set the exit code by its freshness
    #[arg(long, value_name = "NAME")]
    pub profile: Option<ProfileName>,

    /// With --profile: how long it must still be valid
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg, requires = "profile")]
    pub min_remaining: Option<Duration>,
}

impl Command {
    /// The subcommand's name as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Import(_) => "import",
            Command::Status(_) => "status",
            Command::Exec(_) => "exec",
            Command::Serve(_) => "serve",
        }
    }
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The credentials-file profile to write (letters, digits and _-/.%@:+)
    #[arg(long, alias = "profile_name", value_name = "NAME")]
    pub profile_name: ProfileName,
}

/// What `--generate` can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Generated {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
    Man,
}
