//! Pure values and rules: no I/O, no network, no clock of their own. Everything above builds
//! on these.

pub mod assume;
pub mod child_config;
pub mod command_line;
pub mod credentials;
pub mod credentials_json;
pub mod editor;
pub mod profile_name;
pub mod quote;
pub mod request_limits;
pub mod role;
pub mod role_profile;
pub mod schedule;
pub mod secret;
pub mod session_name;
