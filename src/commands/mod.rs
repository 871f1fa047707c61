//! One file per mode: each is a short sequence of named steps over the engine and the
//! adapters, and returns to `app`, which maps its result to an exit code.

pub mod credential_process;
pub mod exec;
pub mod import;
pub mod report;
pub mod rotate;
pub mod serve;
pub mod status;
pub mod targets;
pub mod targets_watch;
pub mod watch;
