//! `rolecreds import`: credentials JSON on standard input, written into a profile.

use crate::commands::report::{self, Written};
use crate::domain::credentials_json::{PIPE_IN_CREDENTIALS, parse_credentials_json};
use crate::domain::profile_name::ProfileName;
use crate::error::UsageError;
use crate::settings::{FileSettings, OutputSettings};
use anyhow::Context as _;
use std::io::Read as _;

/// Credentials JSON is a few KiB (a session token is at most a few thousand characters): more
/// is not credentials, and reading it all would let `import < /dev/zero` fill the memory.
const MAX_INPUT: u64 = 1024 * 1024;

/// Room for any real document in one read (an empty String reads 32 bytes, then 64, ...).
const INPUT_BUFFER: usize = 16 * 1024;

/// Reads the JSON and writes the profile under the lock, which checks the file as it reads
/// it (no network call comes first, so there is nothing to check ahead of the lock, and a
/// second read of a large file would double the edit's cost).
pub fn run(
    file: &FileSettings,
    output: &OutputSettings,
    profile: &ProfileName,
) -> anyhow::Result<()> {
    let mut input = Vec::with_capacity(INPUT_BUFFER);
    std::io::stdin()
        .lock()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut input)
        .context("cannot read standard input")?;
    // The size first: a cut at the bound may split a character, and the message that helps
    // is that this is not credentials at all.
    if input.len() as u64 > MAX_INPUT {
        return Err(UsageError(format!(
            "standard input is over {} KiB, far more than credentials JSON; \
             {PIPE_IN_CREDENTIALS}",
            MAX_INPUT / 1024
        ))
        .into());
    }
    let input = String::from_utf8(input).map_err(|_| {
        UsageError(format!(
            "standard input is not UTF-8 text; {PIPE_IN_CREDENTIALS}"
        ))
    })?;
    let credentials = parse_credentials_json(&input)?;
    let credentials_file = file.open()?;
    let mut locked = credentials_file.lock(file.lock_timeout)?;
    let written = locked.write_profile(profile, &credentials)?;
    drop(locked);
    let written = Written::new(profile, &credentials_file, &credentials, &written);
    report::profile_written(output, &written);
    Ok(())
}
