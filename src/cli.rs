//! The command line as the user types it (clap). Nothing here is resolved or checked beyond
//! syntax; `settings` turns it into what the program does.

use crate::profile_name::ProfileName;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

/// Keeps AWS temporary credentials fresh in ~/.aws/credentials.
///
/// rolecreds writes one profile of the shared credentials file without touching the rest of
/// it: comments, other profiles and formatting stay byte for byte, the file is replaced
/// atomically under a lock, and it stays readable by its owner only.
#[derive(Debug, Parser)]
#[command(name = "rolecreds", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub file: FileArgs,
}

/// Where and how the credentials file is written.
#[derive(Debug, Args)]
pub struct FileArgs {
    /// The credentials file to write [default: $AWS_SHARED_CREDENTIALS_FILE, else
    /// ~/.aws/credentials]
    #[arg(long, global = true, value_name = "PATH")]
    pub credentials_file: Option<PathBuf>,

    /// How long to wait for another rolecreds writing the same file (e.g. 500ms, 10s, 1m)
    #[arg(long, global = true, value_name = "DURATION", default_value = "10s",
          value_parser = humantime::parse_duration)]
    pub lock_timeout: Duration,

    /// Print nothing on success; errors still go to stderr
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
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
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The credentials-file profile to write (letters, digits and _-/.%@:+)
    #[arg(long, alias = "profile_name", value_name = "NAME")]
    pub profile_name: ProfileName,
}
