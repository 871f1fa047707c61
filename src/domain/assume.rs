//! What one AssumeRole call asks for besides the role, the session name and the lifetime:
//! declared once, and used alike by the settings, the targets plan, the cache key and the
//! STS adapter.

/// The optional AssumeRole parameters, checked against STS's limits before they get here
/// (see `request_limits`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssumeOptions {
    /// The external id the role's trust policy requires.
    pub external_id: Option<String>,
    /// Stamped on the session (shown in CloudTrail).
    pub source_identity: Option<String>,
    /// Managed policies narrowing the session.
    pub policy_arns: Vec<String>,
    /// The session policy, packed (no insignificant whitespace), as it is sent.
    pub policy: Option<String>,
    /// Session tags.
    pub tags: Vec<(String, String)>,
}
