//! The lossless edit: text in, text out, only the target profile's credential lines change.

use super::scan::{
    Document, LineKind, STALE_KEY, UnsafeFile, WRITTEN_KEYS, is_rewritten_key, scan,
};
use crate::domain::credentials::TemporaryCredentials;
use crate::domain::profile_name::ProfileName;
use std::ops::Range;

/// Sets `credentials` in profile `profile` of the credentials-file text `original` (empty for a
/// missing file) and returns the new text.
///
/// Lines outside the profile's credential keys keep every byte: comments, blank lines, other
/// profiles, unknown keys, key order, CRLF or LF, a missing final newline. Existing keys are
/// rewritten in place as `key=value`; missing ones follow the profile's last key; a stale
/// `aws_security_token` is removed; a missing profile is appended. The same input gives the
/// same output, so writing the same credentials twice changes nothing.
pub fn upsert_profile(
    original: &[u8],
    profile: &ProfileName,
    credentials: &TemporaryCredentials,
) -> Result<String, UnsafeFile> {
    plan_upsert(original, profile, credentials).map(|edit| edit.text)
}

/// An edit and where it happened, for [`super::validate::confirm_section_edit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The whole new text.
    pub text: String,
    /// The target profile's bytes in the original (empty at the end when it was appended).
    pub old_section: Range<usize>,
    /// The target profile's bytes in the new text; everything outside must equal the
    /// original outside `old_section`.
    pub new_section: Range<usize>,
    /// The target profile's keys the edit keeps (e.g. `region`).
    pub kept_keys: Vec<String>,
    /// The old section without the lines the edit rewrites or removes, which may be written
    /// in a way the SDK rejects (`aws_access_key_id: x`): what must read back unchanged.
    pub kept_section: String,
}

/// [`upsert_profile`], also saying which bytes changed, from a single scan.
pub fn plan_upsert(
    original: &[u8],
    profile: &ProfileName,
    credentials: &TemporaryCredentials,
) -> Result<Edit, UnsafeFile> {
    let document = scan(original, profile)?;
    let expires = credentials.expiration_rfc3339();
    let values = written_values(credentials, &expires);
    let mut text = String::with_capacity(original.len() + 256 + values_len(&values));
    // Only the target section is rebuilt line by line; the text before and after it is
    // copied whole (at 10,000 profiles, line-by-line copying cost ~11 ms).
    let old_section = match document.target {
        Some(_) => {
            let range = document.section_range();
            text.push_str(&document.text[..range.start]);
            rewrite_section(&document, &values, &mut text);
            text.push_str(&document.text[range.end..]);
            range
        }
        None => {
            append_section(&document, profile, &values, &mut text);
            original.len()..original.len()
        }
    };
    let suffix_len = original.len() - old_section.end;
    let new_section = old_section.start..text.len() - suffix_len;
    let kept_keys = kept_keys(&document);
    let kept_section = document
        .section_lines
        .iter()
        .filter(|line| !matches!(&line.kind, LineKind::Property { key } if is_rewritten_key(key)))
        .flat_map(|line| [line.content, line.ending])
        .collect();
    Ok(Edit {
        text,
        old_section,
        new_section,
        kept_keys,
        kept_section,
    })
}

/// The target profile's keys that an edit keeps (e.g. `region`).
fn kept_keys(document: &Document<'_>) -> Vec<String> {
    document
        .section_lines
        .iter()
        .filter_map(|line| match &line.kind {
            LineKind::Property { key } if !is_rewritten_key(key) => Some(key.to_string()),
            _ => None,
        })
        .collect()
}

/// The original text without the lines an edit of `profile` rewrites or removes, and the
/// profile's other keys: what must read back unchanged after the edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untouched {
    pub text: String,
    pub profile_keys: Vec<String>,
}

/// Computes [`Untouched`] for an edit of `profile` in `original` (for the whole-file check
/// [`super::validate::confirm_edit`], which the property tests use as an oracle).
pub fn untouched_part(original: &[u8], profile: &ProfileName) -> Result<Untouched, UnsafeFile> {
    let document = scan(original, profile)?;
    let range = document.section_range();
    let mut text = String::with_capacity(original.len());
    text.push_str(&document.text[..range.start]);
    for line in &document.section_lines {
        if !matches!(&line.kind, LineKind::Property { key } if is_rewritten_key(key)) {
            text.push_str(line.content);
            text.push_str(line.ending);
        }
    }
    text.push_str(&document.text[range.end..]);
    Ok(Untouched {
        text,
        profile_keys: kept_keys(&document),
    })
}

type KeyValues<'c> = [(&'static str, &'c str); 4];

fn written_values<'c>(credentials: &'c TemporaryCredentials, expires: &'c str) -> KeyValues<'c> {
    [
        (WRITTEN_KEYS[0], credentials.access_key_id()),
        (WRITTEN_KEYS[1], credentials.secret_access_key().expose()),
        (WRITTEN_KEYS[2], credentials.session_token().expose()),
        (WRITTEN_KEYS[3], expires),
    ]
}

fn values_len(values: &KeyValues<'_>) -> usize {
    values.iter().map(|(k, v)| k.len() + v.len() + 3).sum()
}

fn rewrite_section(document: &Document<'_>, values: &KeyValues<'_>, out: &mut String) {
    let insert_after = last_key_line(document);
    let mut written = [false; 4];
    for (index, line) in document.section_lines.iter().enumerate() {
        match &line.kind {
            LineKind::Property { key } if key == STALE_KEY => {}
            LineKind::Property { key } if WRITTEN_KEYS.contains(&key.as_ref()) => {
                let slot = WRITTEN_KEYS
                    .iter()
                    .position(|k| k == key)
                    .unwrap_or_default();
                written[slot] = true;
                push_assignment(out, values[slot], line.ending);
            }
            _ => {
                out.push_str(line.content);
                out.push_str(line.ending);
            }
        }
        if index == insert_after {
            let missing = values.iter().zip(written).filter(|(_, done)| !done);
            let missing: Vec<_> = missing.map(|(kv, _)| *kv).collect();
            push_missing(out, &missing, document.newline, line.ending.is_empty());
            written = [true; 4];
        }
    }
}

/// The line after which missing keys go: the profile's last key (or its continuation lines),
/// else its header. Comments and blank lines after it stay with whatever follows.
/// (An index into the section's lines; 0 is the header.)
fn last_key_line(document: &Document<'_>) -> usize {
    document
        .section_lines
        .iter()
        .rposition(|line| {
            let kind = &line.kind;
            let is_removed = matches!(kind, LineKind::Property { key } if key == STALE_KEY);
            !is_removed && matches!(kind, LineKind::Property { .. } | LineKind::Continuation)
        })
        .unwrap_or(0)
}

fn push_missing(
    out: &mut String,
    missing: &[(&str, &str)],
    newline: &str,
    after_unterminated: bool,
) {
    if missing.is_empty() {
        return;
    }
    if after_unterminated {
        out.push_str(newline);
    }
    for kv in missing {
        push_assignment(out, *kv, newline);
    }
}

fn append_section(
    document: &Document<'_>,
    profile: &ProfileName,
    values: &KeyValues<'_>,
    out: &mut String,
) {
    out.push_str(document.text);
    let newline = document.newline;
    if let Some(last) = &document.last_line {
        if last.ending.is_empty() {
            out.push_str(newline);
        }
        if last.kind != LineKind::Blank || last.ending.is_empty() {
            out.push_str(newline);
        }
    }
    out.push('[');
    out.push_str(profile.as_str());
    out.push(']');
    out.push_str(newline);
    for kv in values {
        push_assignment(out, *kv, newline);
    }
}

fn push_assignment(out: &mut String, (key, value): (&str, &str), ending: &str) {
    out.push_str(key);
    out.push('=');
    out.push_str(value);
    out.push_str(ending);
}
