//! What every mode is made of: a session (source credentials, caller name, one role-chaining
//! cap), the guards every write passes, MFA codes, the refresh rules (retry, backoff,
//! credentials that arrive stale), the keeper that keeps one role fresh for an outlet, and
//! the batch that assumes many roles and writes them in one commit.

pub mod batch;
pub mod endpoint_outlet;
pub mod guards;
pub mod keeper;
pub mod mfa;
pub mod refresh;
pub mod session;
