//! rolecreds: keeps AWS temporary credentials fresh in the shared credentials file.
//!
//! The layers, each importing only those below it (`tests/architecture.rs` keeps it so):
//! `app` (dispatch, exit codes via `exit`) → `cli` (what the user typed, resolved into
//! settings) → `commands` (one file per mode) → `engine` (sessions, guards, batches, the
//! refresh loop) → `settings` (resolved values) → `adapters` (STS/IAM, files, cache, signals)
//! → `domain` (pure values and rules) → `error`. See README "Architecture".

mod adapters;
pub mod app;
pub mod cli;
mod commands;
pub mod domain;
mod engine;
mod error;
pub mod exit;
mod settings;
