//! `rolecreds import`: credentials JSON on standard input, written into a profile.

use crate::commands::report::{self, Written};
use crate::domain::credentials_json::parse_credentials_json;
use crate::domain::profile_name::ProfileName;
use crate::settings::{FileSettings, OutputSettings};
use anyhow::Context as _;
use std::io::Read as _;

/// Reads the JSON and writes the profile under the lock, which checks the file as it reads
/// it (no network call comes first, so there is nothing to check ahead of the lock, and a
/// second read of a large file would double the edit's cost).
pub fn run(
    file: &FileSettings,
    output: &OutputSettings,
    profile: &ProfileName,
) -> anyhow::Result<()> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read standard input")?;
    let credentials = parse_credentials_json(&input)?;
    let credentials_file = file.open()?;
    let mut locked = credentials_file.lock(file.lock_timeout)?;
    let written = locked.write_profile(profile, &credentials)?;
    drop(locked);
    let written = Written::new(profile, &credentials_file, &credentials, &written);
    report::profile_written(output, &written);
    Ok(())
}
