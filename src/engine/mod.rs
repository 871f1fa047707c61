//! What every mode is made of: a session (source credentials, caller name, one role-chaining
//! cap), the guards every write passes, MFA codes, and the refresh rules (retry, backoff,
//! credentials that arrive stale).

pub mod batch;
pub mod guards;
pub mod keeper;
pub mod mfa;
pub mod refresh;
pub mod session;
