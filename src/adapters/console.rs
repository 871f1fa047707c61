//! Lines for the user on standard error, each written with one `write(2)`.
//!
//! `eprintln!` hands every piece of its format to the unbuffered stderr separately (a report
//! line was ten writes), so a line can interleave with another process's output in a shared
//! log (cron mail, the systemd journal, `2>>file`), and it panics, which aborts the run, when
//! stderr is a pipe whose reader has gone. [`say!`] formats the whole line first and writes it
//! once; a failed write is ignored, because a message nobody can read is no reason to fail
//! a run whose work is done.

use std::fmt;
use std::io::Write as _;

/// Writes `message` and a newline to standard error in one write, ignoring failure.
pub fn line(message: fmt::Arguments<'_>) {
    let mut text = fmt::format(message);
    text.push('\n');
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `eprintln!` for the user's messages: the same arguments, one write, no panic.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::adapters::console::line(::std::format_args!($($arg)*))
    };
}

pub(crate) use say;
