//! STS role session names: `{user}@{role}.{account}` by default, sanitised to STS's alphabet
//! and fitted into 2–64 characters deterministically, keeping the username whole if it can.

use std::fmt;

/// The default template; CloudTrail then shows who (`alice`) used which role in which account.
pub const DEFAULT_TEMPLATE: &str = "{user}@{role}.{account}";

const MAX_LEN: usize = 64;
const MIN_LEN: usize = 2;

/// A session name STS accepts: 2–64 characters of `[\w+=,.@-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionName(String);

impl SessionName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The values the placeholders stand for.
#[derive(Debug, Clone, Copy)]
pub struct SessionParts<'a> {
    pub user: &'a str,
    pub role: &'a str,
    pub account: &'a str,
}

/// Fills `template` (`{user}`, `{role}`, `{account}`) with `parts`. Characters STS refuses
/// become `-` in the parts; in the template's own text they are an error. Too long a name
/// shortens the role, then the account, then the user, each to a prefix plus a short hash so
/// that different long names stay different; too short a name is padded with `_`.
pub fn render(template: &str, parts: SessionParts<'_>) -> Result<SessionName, String> {
    let pieces = parse_template(template)?;
    let mut values = [
        sanitize(parts.user),
        sanitize(parts.role),
        sanitize(parts.account),
    ];
    let length = |values: &[String; 3]| -> usize {
        pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.len(),
                Piece::Part(i) => values[*i].len(),
            })
            .sum()
    };
    // Shorten the role first, then the account, then the user, never below a floor.
    for (slot, floor) in [(1, 8), (2, 4), (0, 8)] {
        let overflow = length(&values).saturating_sub(MAX_LEN);
        let room = values[slot].len().saturating_sub(floor);
        if overflow > 0 && room > 0 && pieces.contains(&Piece::Part(slot)) {
            let keep = values[slot].len() - overflow.min(room);
            values[slot] = shorten(&values[slot], keep);
        }
    }
    let mut name: String = pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => text,
            Piece::Part(i) => values[*i].as_str(),
        })
        .collect();
    name.truncate(MAX_LEN);
    while name.len() < MIN_LEN {
        name.push('_');
    }
    Ok(SessionName(name))
}

#[derive(Debug, PartialEq, Eq)]
enum Piece<'t> {
    Text(&'t str),
    /// 0 user, 1 role, 2 account.
    Part(usize),
}

fn parse_template(template: &str) -> Result<Vec<Piece<'_>>, String> {
    if template.is_empty() {
        return Err(
            "--session-name is empty; give a name or a template such as {user}@{role}.{account}"
                .to_owned(),
        );
    }
    let mut pieces = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        let Some(open) = rest.find('{') else {
            pieces.push(Piece::Text(rest));
            break;
        };
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        let close = rest[open..].find('}').map(|i| open + i).ok_or_else(|| {
            format!("invalid --session-name {template:?}: a '{{' has no closing '}}'")
        })?;
        pieces.push(Piece::Part(match &rest[open + 1..close] {
            "user" => 0,
            "role" => 1,
            "account" => 2,
            other => {
                return Err(format!(
                    "invalid --session-name {template:?}: unknown placeholder {{{other}}}; use \
                     {{user}}, {{role}} or {{account}}"
                ));
            }
        }));
        rest = &rest[close + 1..];
    }
    for piece in &pieces {
        if let Piece::Text(text) = piece
            && let Some(bad) = text.chars().find(|&c| !is_session_char(c))
        {
            return Err(format!(
                "invalid --session-name {template:?}: STS does not allow {bad:?} in session \
                 names; use letters, digits and _+=,.@-"
            ));
        }
    }
    Ok(pieces)
}

fn is_session_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

fn sanitize(part: &str) -> String {
    part.chars()
        .map(|c| if is_session_char(c) { c } else { '-' })
        .collect()
}

/// `keep` characters of `value`: a prefix plus `-` and 6 hex digits of its hash when there is
/// room for them, else a bare prefix. Values are ASCII after sanitising.
fn shorten(value: &str, keep: usize) -> String {
    if keep >= 12 {
        format!("{}-{:06x}", &value[..keep - 7], fnv1a(value) & 0xff_ffff)
    } else {
        value[..keep].to_owned()
    }
}

/// FNV-1a: a stable hash (std's hasher may change between Rust releases).
fn fnv1a(value: &str) -> u32 {
    value.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// Where the username in the session name came from, said with `-v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameSource {
    IamUser,
    CallerArn,
    OsUser,
}

impl fmt::Display for UsernameSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::IamUser => "the IAM user (iam:GetUser)",
            Self::CallerArn => "the caller's ARN (sts:GetCallerIdentity)",
            Self::OsUser => "the operating-system user",
        })
    }
}

/// The person's name in a caller ARN: the user, the role session (SSO puts the login there),
/// the federated user, or `root`.
pub fn name_from_caller_arn(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    if resource == "root" {
        return Some("root");
    }
    let name = resource.rsplit('/').next()?;
    (resource.contains('/') && !name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'a>(user: &'a str, role: &'a str, account: &'a str) -> SessionParts<'a> {
        SessionParts {
            user,
            role,
            account,
        }
    }

    #[test]
    fn renders_fits_and_sanitises() {
        let long_role = "a_really_long_role_name_for_the_data_platform_team_prod";
        let (u80, u_fitted) = ("u".repeat(80), format!("{}-154a35", "u".repeat(57)));
        let cases: &[(&str, SessionParts, &str)] = &[
            (
                DEFAULT_TEMPLATE,
                parts("alice", "dns_editor", "123456789012"),
                "alice@dns_editor.123456789012",
            ),
            ("{user}", parts("alice", "r", "1"), "alice"),
            ("ci-{role}", parts("alice", "deploy", "1"), "ci-deploy"),
            (
                DEFAULT_TEMPLATE,
                parts("alice smith", "r", "123456789012"),
                "alice-smith@r.123456789012",
            ),
            (
                DEFAULT_TEMPLATE,
                parts("jos\u{e9}", "r", "123456789012"),
                "jos-@r.123456789012",
            ),
            (
                DEFAULT_TEMPLATE,
                parts("alice/ops", "r", "123456789012"),
                "alice-ops@r.123456789012",
            ),
            // An email username stays whole; the role is shortened with a hash suffix.
            (
                DEFAULT_TEMPLATE,
                parts("first.last@example.com", long_role, "123456789012"),
                "first.last@example.com@a_really_long_role_na-bfe215.123456789012",
            ),
            // Then the account, then the username.
            (
                DEFAULT_TEMPLATE,
                parts(
                    "a.very.long.username.for.someone@subsidiary.example.com",
                    long_role,
                    "123456789012",
                ),
                "a.very.long.username.for.someone@subsidiary-2efa47@a_really.1234",
            ),
            ("{user}", parts("x", "r", "1"), "x_"),
            ("{user}", parts(&u80, "r", "1"), &u_fitted),
        ];
        for (template, parts, expected) in cases {
            let name = render(template, *parts).unwrap();
            assert_eq!(name.as_str(), *expected, "{template} {parts:?}");
            assert!((2..=64).contains(&name.as_str().len()));
            assert!(name.as_str().chars().all(is_session_char));
        }
    }

    #[test]
    fn long_names_that_differ_stay_different() {
        let a = render(
            DEFAULT_TEMPLATE,
            parts("alice", &format!("{}a", "r".repeat(70)), "123456789012"),
        );
        let b = render(
            DEFAULT_TEMPLATE,
            parts("alice", &format!("{}b", "r".repeat(70)), "123456789012"),
        );
        assert_ne!(a.unwrap(), b.unwrap());
    }

    #[test]
    fn every_fitted_name_is_valid_for_any_lengths() {
        for user_len in [1, 5, 20, 40, 63, 64, 70] {
            for role_len in [1, 10, 40, 64] {
                let user = "u".repeat(user_len);
                let role = "r".repeat(role_len);
                let name = render(DEFAULT_TEMPLATE, parts(&user, &role, "123456789012")).unwrap();
                assert!((2..=64).contains(&name.as_str().len()), "{name}");
                if user_len <= 40 {
                    assert!(name.as_str().starts_with(&format!("{user}@")), "{name}");
                }
            }
        }
    }

    #[test]
    fn refuses_bad_templates() {
        let cases = [
            ("{user} x", "does not allow ' '"),
            ("{who}", "unknown placeholder {who}"),
            ("{user", "no closing"),
            ("a#b", "does not allow '#'"),
        ];
        for (template, expected) in cases {
            let err = render(template, parts("a", "b", "c")).unwrap_err();
            assert!(err.contains(expected), "{template}: {err}");
        }
    }

    #[test]
    fn names_come_out_of_every_caller_arn_shape() {
        let cases = [
            ("arn:aws:iam::123456789012:user/alice", Some("alice")),
            (
                "arn:aws:iam::123456789012:user/division/team/alice",
                Some("alice"),
            ),
            (
                "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_1/alice@example.com",
                Some("alice@example.com"),
            ),
            ("arn:aws:sts::123456789012:federated-user/bob", Some("bob")),
            ("arn:aws:iam::123456789012:root", Some("root")),
            ("arn:aws:iam::123456789012:", None),
            ("not an arn", None),
        ];
        for (arn, expected) in cases {
            assert_eq!(name_from_caller_arn(arn), expected, "{arn}");
        }
    }
}
