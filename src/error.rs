//! The error that every layer may raise: input the user must fix. It lives at the bottom so
//! that nothing imports upward for it; `exit` maps it (and the typed errors defined where
//! they arise) to exit codes.

use std::fmt;

/// Input the user must fix (exit code 2), for problems with no type of their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}
