//! `--targets FILE`: many roles in one run (being built; see the issue on targets files).

pub mod file;

use crate::cli::RotateArgs;
use crate::exit::UsageError;
use crate::settings::{FileSettings, OutputSettings};

/// Assumes every role the targets file lists and writes all profiles in one atomic edit.
pub async fn run(
    _args: &RotateArgs,
    _file: &FileSettings,
    _output: &OutputSettings,
) -> anyhow::Result<()> {
    Err(UsageError("--targets is not implemented yet".into()).into())
}
