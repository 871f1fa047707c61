//! The lossless edit: text in, text out, only the target profile's credential lines change.

use super::scan::{
    Document, LineKind, STALE_KEY, TargetSection, UnsafeFile, WRITTEN_KEYS, is_rewritten_key, scan,
};
use crate::credentials::TemporaryCredentials;
use crate::profile_name::ProfileName;
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
        Some(section) => {
            let range = line_offset(&document, section.header)..line_offset(&document, section.end);
            text.push_str(&document.text[..range.start]);
            rewrite_section(&document, section, &values, &mut text);
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
    let kept_keys = document
        .target
        .map(|section| {
            document.lines[section.header..section.end]
                .iter()
                .filter_map(|line| match &line.kind {
                    LineKind::Property { key } if !is_rewritten_key(key) => Some(key.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let kept_section = document
        .target
        .map(|section| {
            document.lines[section.header..section.end]
                .iter()
                .filter(|line| {
                    !matches!(&line.kind, LineKind::Property { key } if is_rewritten_key(key))
                })
                .flat_map(|line| [line.content, line.ending])
                .collect()
        })
        .unwrap_or_default();
    Ok(Edit {
        text,
        old_section,
        new_section,
        kept_keys,
        kept_section,
    })
}

/// The byte offset where line `index` starts (the text's length past the last line): each
/// line is a slice of the text, so its offset is the distance between their addresses.
fn line_offset(document: &Document<'_>, index: usize) -> usize {
    document
        .lines
        .get(index)
        .map_or(document.text.len(), |line| {
            line.content.as_ptr() as usize - document.text.as_ptr() as usize
        })
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
    let section = document.target.map_or(0..0, |s| s.header..s.end);
    let mut untouched = Untouched {
        text: String::with_capacity(original.len()),
        profile_keys: Vec::new(),
    };
    for (index, line) in document.lines.iter().enumerate() {
        if let LineKind::Property { key } = &line.kind
            && section.contains(&index)
        {
            if is_rewritten_key(key) {
                continue;
            }
            untouched.profile_keys.push(key.to_string());
        }
        untouched.text.push_str(line.content);
        untouched.text.push_str(line.ending);
    }
    Ok(untouched)
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

fn rewrite_section(
    document: &Document<'_>,
    section: TargetSection,
    values: &KeyValues<'_>,
    out: &mut String,
) {
    let insert_after = last_key_line(document, section);
    let mut written = [false; 4];
    for index in section.header..section.end {
        let line = &document.lines[index];
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
fn last_key_line(document: &Document<'_>, section: TargetSection) -> usize {
    (section.header..section.end)
        .rev()
        .find(|&i| {
            let kind = &document.lines[i].kind;
            let is_removed = matches!(kind, LineKind::Property { key } if key == STALE_KEY);
            !is_removed && matches!(kind, LineKind::Property { .. } | LineKind::Continuation)
        })
        .unwrap_or(section.header)
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
    if let Some(last) = document.lines.last() {
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
