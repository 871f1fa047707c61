//! Property tests for the lossless editor: random credentials files in, one profile edited,
//! every byte outside the target profile kept, every reader reading back what was meant.
//!
//! The files are generated from a model (comments, blank lines, headers, `key=value` in four
//! spellings, indented continuation lines, LF or CRLF, with or without a final newline), so the
//! byte offsets of every section are known independently of the editor's own scanner.
//! Properties: (a) bytes outside the target section unchanged, (b) the AWS SDK for Rust reads
//! the written values and every other profile as before, (c) the same edit twice is a no-op,
//! (d) random bytes never panic and an accepted edit parses and reads back; the cheap
//! section-only confirmation agrees with the whole-file one and catches corrupted edits; and,
//! through one `python3` run and one `node` run, botocore's parser (strict `RawConfigParser`)
//! and the AWS SDK for JavaScript v3's loader agree on all of it.
//!
//! Unix only, like tests/editor_cases.rs: it shares tests/support and runs the readers as
//! python3 and node children.
#![cfg(unix)]

use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use rolecreds::domain::credentials::TemporaryCredentials;
use rolecreds::domain::editor::edit::{plan_upsert, untouched_part, upsert_profile};
use rolecreds::domain::editor::validate::{
    confirm_edit, confirm_section_edit, parse_credentials_text,
};
use rolecreds::domain::profile_name::ProfileName;
use rolecreds::domain::secret::Secret;
use std::collections::BTreeSet;
use std::time::{Duration, UNIX_EPOCH};
use support::readers::{ReadCheck, Reader, reader_failures, write_check};

mod support;

/// Names a target is drawn from, so that the target often already has a section.
const TARGET_POOL: &[&str] = &["default", "dev", "prod", "team/dev", "x.y-z_1", "a@b:c+d%e"];
/// Section names in generated files: the targets plus names rolecreds never writes but a user
/// file may hold (`[profile x]`, a name with a space, botocore's `DEFAULT`, another case).
const SECTION_POOL: &[&str] = &[
    "default",
    "dev",
    "prod",
    "team/dev",
    "x.y-z_1",
    "a@b:c+d%e",
    "profile dev",
    "a b",
    "DEFAULT",
    "Dev",
];
/// The keys rolecreds writes or removes, then keys it must leave alone.
const CREDENTIAL_KEYS: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "x_security_token_expires",
    "aws_security_token",
];
const KEY_POOL: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "x_security_token_expires",
    "aws_security_token",
    "region",
    "output",
    "role_arn",
    "s3",
    "source_profile",
];
const WRITTEN_KEYS: [&str; 4] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "x_security_token_expires",
];

fn is_credential_key(key: &str) -> bool {
    CREDENTIAL_KEYS.contains(&key.to_ascii_lowercase().as_str())
}

/// A generated file: its lines (without endings), where each section starts, and the ending.
#[derive(Debug, Clone)]
struct Model {
    lines: Vec<String>,
    /// `(section name, index of its header line)`, in file order.
    sections: Vec<(&'static str, usize)>,
    /// `(section name, lowercased keys)` for every section.
    keys: Vec<(&'static str, Vec<&'static str>)>,
    newline: &'static str,
    final_newline: bool,
}

impl Model {
    fn text(&self) -> String {
        let mut text = String::new();
        for (i, line) in self.lines.iter().enumerate() {
            text.push_str(line);
            if self.final_newline || i + 1 < self.lines.len() {
                text.push_str(self.newline);
            }
        }
        text
    }

    /// Byte offset where line `index` starts (the text's length for one past the end).
    fn offset_of_line(&self, index: usize) -> usize {
        let text_len = self.text().len();
        let before: usize = self.lines[..index]
            .iter()
            .map(|l| l.len() + self.newline.len())
            .sum();
        before.min(text_len)
    }

    /// Byte range of `name`'s section: its header up to the next header (or the end).
    fn section_range(&self, name: &str) -> Option<(usize, usize)> {
        let position = self.sections.iter().position(|(n, _)| *n == name)?;
        let start = self.offset_of_line(self.sections[position].1);
        let end = match self.sections.get(position + 1) {
            Some((_, header)) => self.offset_of_line(*header),
            None => self.text().len(),
        };
        Some((start, end))
    }

    /// The line ending a new line gets: the file's own, LF when it has none.
    fn expected_newline(&self) -> &'static str {
        if self.text().contains('\n') {
            self.newline
        } else {
            "\n"
        }
    }

    fn keys_of(&self, name: &str) -> &[&'static str] {
        self.keys
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(&[], |(_, keys)| keys.as_slice())
    }
}

/// A comment at column 0 or a blank (possibly whitespace-only) line.
fn filler() -> impl Strategy<Value = String> {
    prop_oneof!["[#;][ -~]{0,20}", Just(String::new()), "[ \t]{1,3}",]
}

/// An indented line: `sub=value` under a key whose value the SDKs read as empty (a
/// sub-property to every reader), else free text without `=` or `:` (more of the value to
/// botocore and the Rust and Go SDKs; the JavaScript SDK, which has no continuations, skips it).
fn continuation(parent_opens_sub_properties: bool) -> impl Strategy<Value = String> {
    if parent_opens_sub_properties {
        ("[ \t]{1,3}", "[a-z]{1,6}", "( = )?", "[A-Za-z0-9]{0,6}")
            .prop_map(|(indent, key, sep, value)| {
                let sep = if sep.is_empty() { "=" } else { " = " };
                format!("{indent}{key}{sep}{value}")
            })
            .boxed()
    } else {
        "[ \t]{1,3}[A-Za-z0-9][A-Za-z0-9 ]{0,10}".boxed()
    }
}

/// Whether the SDKs read `value`, written after a separator that ends in whitespace or not,
/// as empty: nothing but whitespace before the end or a comment (a `#`/`;` that starts the
/// line's value after whitespace).
fn sdk_value_is_empty(value: &str, separator_ends_in_space: bool) -> bool {
    let text = value.trim_start();
    let after_space = separator_ends_in_space || text.len() < value.len();
    text.trim_end().is_empty() || (after_space && text.starts_with(['#', ';']))
}

#[derive(Debug, Clone, Copy)]
enum KeyStyle {
    Plain,
    Spaced,
    Tabbed,
    Capitalized,
    Upper,
}

fn render_property(key: &str, style: KeyStyle, value: &str) -> String {
    match style {
        KeyStyle::Plain => format!("{key}={value}"),
        KeyStyle::Spaced => format!("{key} = {value}"),
        KeyStyle::Tabbed => format!("{key}\t=\t{value}"),
        KeyStyle::Capitalized => {
            let mut chars = key.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            format!(
                "{}{}={value}",
                first.into_iter().collect::<String>(),
                chars.as_str()
            )
        }
        KeyStyle::Upper => format!("{}={value}", key.to_ascii_uppercase()),
    }
}

/// One property with the fillers before it and, for keys rolecreds leaves alone, its
/// continuation lines. Returns the lines in order.
fn property(key: &'static str) -> impl Strategy<Value = Vec<String>> {
    // Upper-case keys only where rolecreds rewrites them (see `shout_credential_keys`): the
    // JavaScript SDK keeps a key's case, so anywhere else the readers disagree.
    let style = prop_oneof![
        Just(KeyStyle::Plain),
        Just(KeyStyle::Spaced),
        Just(KeyStyle::Tabbed),
    ];
    let value = prop_oneof!["[A-Za-z0-9]{1,8}", "[A-Za-z0-9 ./:+=_#;-]{0,12}"];
    (
        prop::collection::vec(filler(), 0..3),
        style,
        value,
        any::<bool>(),
    )
        .prop_flat_map(move |(before, style, value, with_continuation)| {
            let opens_sub_properties =
                sdk_value_is_empty(&value, !matches!(style, KeyStyle::Plain));
            let count = if with_continuation && !is_credential_key(key) {
                1..3
            } else {
                0..1
            };
            let line = render_property(key, style, &value);
            prop::collection::vec(continuation(opens_sub_properties), count).prop_map(
                move |continuations| {
                    let mut lines = before.clone();
                    lines.push(line.clone());
                    lines.extend(continuations);
                    lines
                },
            )
        })
}

/// A section: header (optionally with an inline comment), properties with distinct keys in
/// random order, fillers at the end. `[DEFAULT]` holds `aws_security_token` only when
/// `stale_default` allows it: botocore gives that key to every profile, where it hides the
/// session token, so a safe file does not have it.
fn section(
    name: &'static str,
    stale_default: bool,
) -> impl Strategy<Value = (Vec<String>, Vec<&'static str>)> {
    let header = prop_oneof![
        3 => Just(format!("[{name}]")),
        1 => "[#;][ a-z]{0,8}".prop_map(move |note| format!("[{name}] {note}")),
    ];
    let pool: Vec<&str> = KEY_POOL
        .iter()
        .copied()
        .filter(|&key| stale_default || name != "DEFAULT" || key != "aws_security_token")
        .collect();
    let keys = subsequence(pool, 0..=6).prop_shuffle();
    (header, keys, prop::collection::vec(filler(), 0..3)).prop_flat_map(
        |(header, keys, trailing)| {
            let properties: Vec<_> = keys.iter().map(|&key| property(key)).collect();
            (properties, Just(keys)).prop_map(move |(properties, keys)| {
                let mut lines = vec![header.clone()];
                lines.extend(properties.into_iter().flatten());
                lines.extend(trailing.iter().cloned());
                (lines, keys)
            })
        },
    )
}

/// A file that rolecreds must accept; with `stale_default`, `[DEFAULT]` may also hold an
/// `aws_security_token`.
fn credentials_file(stale_default: bool) -> impl Strategy<Value = Model> {
    let names = subsequence(SECTION_POOL.to_vec(), 0..=6).prop_shuffle();
    (
        prop::collection::vec(filler(), 0..3),
        names,
        prop_oneof![Just("\n"), Just("\r\n")],
        prop::bool::weighted(0.8),
    )
        .prop_flat_map(move |(preamble, names, newline, final_newline)| {
            let sections: Vec<_> = names
                .iter()
                .map(|&name| section(name, stale_default))
                .collect();
            (sections, Just(names)).prop_map(move |(sections, names)| {
                let mut lines = preamble.clone();
                let mut starts = Vec::new();
                let mut keys = Vec::new();
                for (name, (section_lines, section_keys)) in names.iter().zip(sections) {
                    starts.push((*name, lines.len()));
                    keys.push((*name, section_keys));
                    lines.extend(section_lines);
                }
                Model {
                    lines,
                    sections: starts,
                    keys,
                    newline,
                    final_newline,
                }
            })
        })
}

fn target() -> impl Strategy<Value = ProfileName> {
    prop_oneof![
        3 => select(TARGET_POOL).prop_map(|name| ProfileName::parse(name).unwrap()),
        1 => "[A-Za-z0-9_./%@:+-]{1,10}"
            .prop_filter_map("not a valid profile name", |name| ProfileName::parse(&name).ok()),
    ]
}

/// A file, a target that has a section in it about half the time, and credentials.
fn case(stale_default: bool) -> impl Strategy<Value = (Model, ProfileName, TemporaryCredentials)> {
    credentials_file(stale_default)
        .prop_flat_map(|model| {
            let existing: Vec<ProfileName> = model
                .sections
                .iter()
                .filter_map(|(name, _)| ProfileName::parse(name).ok())
                .collect();
            let target = if existing.is_empty() {
                target().boxed()
            } else {
                prop_oneof![select(existing), target()].boxed()
            };
            (Just(model), target, credentials(), select(SHOUTS))
        })
        .prop_map(|(mut model, target, credentials, shout)| {
            shout_credential_keys(&mut model, target.as_str(), shout);
            (model, target, credentials)
        })
}

/// How the target's credential keys are spelled: as generated, `Aws_access_key_id` or
/// `AWS_ACCESS_KEY_ID`.
const SHOUTS: &[Option<KeyStyle>] = &[
    None,
    None,
    Some(KeyStyle::Capitalized),
    Some(KeyStyle::Upper),
];

/// Respells the credential keys of the target's section in `style` (rolecreds rewrites those
/// lines, so every reader reads the result alike).
fn shout_credential_keys(model: &mut Model, target: &str, style: Option<KeyStyle>) {
    let Some(style) = style else { return };
    let Some(position) = model.sections.iter().position(|(n, _)| *n == target) else {
        return;
    };
    let start = model.sections[position].1 + 1;
    let end = model
        .sections
        .get(position + 1)
        .map_or(model.lines.len(), |(_, header)| *header);
    for line in &mut model.lines[start..end] {
        let Some(key) = line_key(line).filter(|key| is_credential_key(key)) else {
            continue;
        };
        let rest = line[key.len()..].to_owned();
        let spelled = render_property(&key, style, "");
        *line = format!("{}{rest}", spelled.trim_end_matches('='));
    }
}

fn base64(max: usize) -> impl Strategy<Value = String> {
    prop::string::string_regex(&format!("[A-Za-z0-9+/=]{{1,{max}}}")).unwrap()
}

fn credentials() -> impl Strategy<Value = TemporaryCredentials> {
    (
        "ASIA[A-Z0-9]{16}",
        base64(40),
        base64(120),
        1_600_000_000u64..2_200_000_000,
    )
        .prop_map(|(key, secret, token, expires)| {
            TemporaryCredentials::new(
                key,
                Secret::new(secret),
                Secret::new(token),
                UNIX_EPOCH + Duration::from_secs(expires),
            )
            .unwrap()
        })
}

fn written_values(credentials: &TemporaryCredentials) -> [String; 4] {
    [
        credentials.access_key_id().to_owned(),
        credentials.secret_access_key().expose().to_owned(),
        credentials.session_token().expose().to_owned(),
        credentials.expiration_rfc3339(),
    ]
}

/// The key of a property line at column 0, lowercased; `None` for any other line.
fn line_key(line: &str) -> Option<String> {
    if line.starts_with(['#', ';', '[', ' ', '\t']) {
        return None;
    }
    line.split_once('=')
        .map(|(key, _)| key.trim().to_ascii_lowercase())
}

/// The lines of a section (endings dropped) that are not credential keys.
fn kept_lines(section: &str) -> Vec<&str> {
    section
        .lines()
        .filter(|line| !line_key(line).is_some_and(|k| is_credential_key(&k)))
        .collect()
}

/// The comments and blank lines that end a section, which belong to whatever follows.
fn trailing_fillers<'s>(lines: impl DoubleEndedIterator<Item = &'s str>) -> Vec<&'s str> {
    let mut fillers: Vec<&str> = lines
        .rev()
        .take_while(|line| line.trim().is_empty() || line.starts_with(['#', ';']))
        .collect();
    fillers.reverse();
    fillers
}

/// Property (a): bytes outside the target section are untouched.
fn check_bytes_outside_target(
    model: &Model,
    original: &str,
    out: &str,
    target: &ProfileName,
    credentials: &TemporaryCredentials,
) -> Result<(), TestCaseError> {
    let values = written_values(credentials);
    match model.section_range(target.as_str()) {
        Some((start, end)) => {
            let suffix = &original[end..];
            prop_assert!(out.len() >= start + suffix.len());
            prop_assert_eq!(&out[..start], &original[..start], "bytes before the target");
            prop_assert!(out.ends_with(suffix), "bytes after the target changed");
            let old_section = &original[start..end];
            let new_section = &out[start..out.len() - suffix.len()];
            prop_assert_eq!(
                kept_lines(old_section),
                kept_lines(new_section),
                "the target's other lines changed or moved"
            );
            let old_lines = old_section
                .lines()
                .filter(|l| line_key(l).as_deref() != Some("aws_security_token"));
            prop_assert_eq!(
                trailing_fillers(old_lines),
                trailing_fillers(new_section.lines()),
                "new keys went after the comments and blank lines that end the section"
            );
            for (key, value) in WRITTEN_KEYS.iter().zip(&values) {
                let assignment = format!("{key}={value}");
                let count = new_section.lines().filter(|l| *l == assignment).count();
                prop_assert_eq!(count, 1, "{} is not written exactly once", key);
            }
            prop_assert!(
                !new_section
                    .lines()
                    .any(|l| line_key(l).as_deref() == Some("aws_security_token")),
                "a stale aws_security_token survived"
            );
        }
        None => {
            let nl = model.expected_newline();
            prop_assert!(out.starts_with(original), "the original is not a prefix");
            let expected_section = format!(
                "[{target}]{nl}aws_access_key_id={}{nl}aws_secret_access_key={}{nl}\
                 aws_session_token={}{nl}x_security_token_expires={}{nl}",
                values[0], values[1], values[2], values[3]
            );
            let rest = &out[original.len()..];
            prop_assert!(rest.ends_with(&expected_section), "new section: {:?}", rest);
            let separator = &rest[..rest.len() - expected_section.len()];
            let allowed = [String::new(), nl.to_owned(), format!("{nl}{nl}")];
            prop_assert!(allowed.iter().any(|a| a == separator), "{:?}", separator);
            let before_header = &out[..out.len() - expected_section.len()];
            if !before_header.is_empty() {
                let previous_line = before_header.lines().last().unwrap_or_default();
                prop_assert!(before_header.ends_with('\n'), "header not at a line start");
                prop_assert!(
                    previous_line.trim().is_empty(),
                    "no blank line before the new header: {:?}",
                    previous_line
                );
            }
        }
    }
    Ok(())
}

/// Property (b): the SDK reads the written values, and every other profile as before.
fn check_reads_back(
    model: &Model,
    original: &str,
    out: &str,
    target: &ProfileName,
    credentials: &TemporaryCredentials,
) -> Result<(), TestCaseError> {
    let before = parse_credentials_text(original)
        .map_err(|e| TestCaseError::fail(format!("generated file does not parse: {e}")))?;
    let after = parse_credentials_text(out)
        .map_err(|e| TestCaseError::fail(format!("edited file does not parse: {e}")))?;
    let name = target.as_str();
    let written = after.get_profile(name);
    prop_assert!(written.is_some(), "profile {} missing after the edit", name);
    let written = written.unwrap();
    for (key, value) in WRITTEN_KEYS.iter().zip(written_values(credentials)) {
        prop_assert_eq!(written.get(key), Some(value.as_str()), "{}", key);
    }
    prop_assert_eq!(written.get("aws_security_token"), None);
    let previous = before.get_profile(name);
    for key in model.keys_of(name) {
        if !is_credential_key(key) {
            prop_assert_eq!(
                previous.and_then(|p| p.get(key)),
                written.get(key),
                "{} of the target",
                key
            );
        }
    }
    let mut expected: BTreeSet<&str> = before.profiles().collect();
    expected.insert(name);
    prop_assert_eq!(after.profiles().collect::<BTreeSet<_>>(), expected);
    for other in before.profiles().filter(|&p| p != name) {
        prop_assert_eq!(
            before.get_profile(other),
            after.get_profile(other),
            "profile {}",
            other
        );
    }
    Ok(())
}

/// Pinned case for the section confirmation: `key: value` is refused in general, but allowed for
/// a key the edit rewrites (it becomes `key=value`); the old section must then be read without
/// that line, as the whole-file confirmation does, or a valid edit is reported as unconfirmed.
#[test]
fn a_colon_separated_key_that_the_edit_rewrites_is_confirmed() {
    let credentials = TemporaryCredentials::new(
        "ASIAEXAMPLE",
        Secret::new("c2VjcmV0"),
        Secret::new("dG9rZW4="),
        UNIX_EPOCH + Duration::from_secs(1_795_000_000),
    )
    .unwrap();
    let target = ProfileName::parse("dev").unwrap();
    for original in [
        "[dev]\naws_access_key_id: old\n",
        "[dev]\nregion=x\nAWS_SESSION_TOKEN : t\n",
    ] {
        let result = check_section_confirmation(original.as_bytes(), &target, &credentials);
        assert!(result.is_ok(), "{original:?}: {result:?}");
    }
}

/// Chunks that make random text look like a credentials file often enough to reach the edit.
const GARBAGE_CHUNKS: &[&str] = &[
    "[",
    "]",
    "=",
    ":",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "#",
    ";",
    "\"",
    "\\",
    "a",
    "dev",
    "default",
    "[dev]\n",
    "[default]\n",
    "profile ",
    "aws_session_token",
    "aws_security_token",
    "aws_access_key_id=X\n",
    "region=eu-west-1\n",
    "\u{feff}",
    "é",
    "\0",
    "\u{85}",
    "\u{2028}",
];

/// Whole lines, well-formed or nearly so, that either reader may read differently.
const GARBAGE_LINES: &[&str] = &[
    "[dev]",
    "[default]",
    "[ dev ]",
    "[dev] # note",
    "[dev]x",
    "[dev",
    "[]",
    "[profile dev]",
    "[a#b]",
    "  [dev]",
    "k=v",
    "K = V",
    "k: v",
    "k:v=w",
    "=v",
    "k",
    "  indented",
    "\tsub=v",
    "# c",
    "; c",
    " # c",
    "",
    "   ",
    "aws_session_token=x",
    "aws_security_token = y",
    "AWS_ACCESS_KEY_ID=z",
    "aws_access_key_id:z",
    "region=eu # c",
    "s3 =",
    "s3 = # c",
    "  max=1",
    "  x",
    "k #=v",
    "k\u{85}#=v",
    "\u{c9}=upper",
    "\u{e9}=lower",
    "[DEFAULT]",
];
const GARBAGE_ENDINGS: &[&str] = &["\n", "\n", "\r\n", "\r", ""];

fn garbage() -> impl Strategy<Value = Vec<u8>> {
    let line = (select(GARBAGE_LINES), select(GARBAGE_ENDINGS));
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..256),
        1 => prop::collection::vec(select(GARBAGE_CHUNKS), 0..40)
            .prop_map(|chunks| chunks.concat().into_bytes()),
        2 => (
            select(&["", "[dev]\n", "[default]\r\n", "[other]\n"][..]),
            prop::collection::vec(line, 0..8)
        )
            .prop_map(|(first, lines)| {
                let text: String = lines.iter().map(|(l, e)| format!("{l}{e}")).collect();
                format!("{first}{text}").into_bytes()
            }),
    ]
}

/// Beyond (a)-(d): the cheap confirmation rolecreds commits with (compare the bytes around the
/// section, parse the section alone) accepts every edit the whole-file confirmation accepts,
/// and rejects a changed byte outside the section or a changed written value inside it.
fn check_section_confirmation(
    original: &[u8],
    target: &ProfileName,
    credentials: &TemporaryCredentials,
) -> Result<(), TestCaseError> {
    let Ok(edit) = plan_upsert(original, target, credentials) else {
        return Ok(());
    };
    let shown = String::from_utf8_lossy(original);
    let plain = upsert_profile(original, target, credentials);
    prop_assert_eq!(Ok(edit.text.as_str()), plain.as_deref());
    let untouched = untouched_part(original, target).unwrap();
    let whole = confirm_edit(&untouched, &edit.text, target, credentials);
    prop_assert!(
        whole.is_ok(),
        "whole-file confirmation of {:?}: {:?}",
        shown,
        whole
    );
    let local = confirm_section_edit(original, &edit, target, credentials);
    prop_assert!(
        local.is_ok(),
        "section confirmation of {:?}: {:?}",
        shown,
        local
    );
    // A byte changed outside the section (here the first or the last one) is caught.
    let outside = if edit.new_section.start > 0 {
        Some(0)
    } else if edit.new_section.end < edit.text.len() {
        Some(edit.text.len() - 1)
    } else {
        None
    };
    if let Some(at) = outside {
        let mut bytes = edit.text.clone().into_bytes();
        bytes[at] = if bytes[at] == b'#' { b';' } else { b'#' };
        let mut bad = edit.clone();
        bad.text = String::from_utf8(bytes).unwrap();
        let caught = confirm_section_edit(original, &bad, target, credentials);
        prop_assert!(
            caught.is_err(),
            "byte {} changed in {:?} went unnoticed",
            at,
            shown
        );
    }
    // A written value changed inside the section is caught.
    let token = credentials.session_token().expose();
    let mut bad = edit.clone();
    bad.text = edit.text.replacen(
        &format!("aws_session_token={token}"),
        &format!("aws_session_token=X{token}"),
        1,
    );
    prop_assert_ne!(&bad.text, &edit.text);
    let caught = confirm_section_edit(original, &bad, target, credentials);
    prop_assert!(
        caught.is_err(),
        "a changed token in {:?} went unnoticed",
        shown
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn edit_keeps_every_byte_outside_the_target_section((model, target, credentials) in case(false)) {
        let original = model.text();
        let out = upsert_profile(original.as_bytes(), &target, &credentials)
            .map_err(|e| TestCaseError::fail(format!("a safe file was refused: {e}")))?;
        check_bytes_outside_target(&model, &original, &out, &target, &credentials)?;
    }

    #[test]
    fn edit_reads_back_as_intended_under_the_sdk_parser((model, target, credentials) in case(false)) {
        let original = model.text();
        let out = upsert_profile(original.as_bytes(), &target, &credentials)
            .map_err(|e| TestCaseError::fail(format!("a safe file was refused: {e}")))?;
        check_reads_back(&model, &original, &out, &target, &credentials)?;
    }

    #[test]
    fn the_same_edit_twice_changes_nothing_more((model, target, credentials) in case(false)) {
        let original = model.text();
        let once = upsert_profile(original.as_bytes(), &target, &credentials)
            .map_err(|e| TestCaseError::fail(format!("a safe file was refused: {e}")))?;
        let twice = upsert_profile(once.as_bytes(), &target, &credentials)
            .map_err(|e| TestCaseError::fail(format!("the edited file was refused: {e}")))?;
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn the_section_confirmation_agrees_with_the_whole_file_one(
        (model, target, credentials) in case(false),
    ) {
        check_section_confirmation(model.text().as_bytes(), &target, &credentials)?;
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn arbitrary_bytes_never_panic_and_an_accepted_edit_parses(
        bytes in garbage(),
        target in target(),
        credentials in credentials(),
    ) {
        if let Ok(out) = upsert_profile(&bytes, &target, &credentials) {
            let text = String::from_utf8_lossy(&bytes);
            let parsed = parse_credentials_text(&out).map_err(|e| {
                TestCaseError::fail(format!("accepted {text:?} but the result does not parse: {e}"))
            })?;
            // Beyond (d): what was accepted also reads back, and a second edit is a no-op.
            let written = parsed.get_profile(target.as_str());
            prop_assert!(written.is_some(), "accepted {:?}: profile missing", text);
            for (key, value) in WRITTEN_KEYS.iter().zip(written_values(&credentials)) {
                let read = written.unwrap().get(key);
                prop_assert_eq!(read, Some(value.as_str()), "{} in {:?}", key, text);
            }
            prop_assert_eq!(written.unwrap().get("aws_security_token"), None, "in {:?}", text);
            let again = upsert_profile(out.as_bytes(), &target, &credentials);
            prop_assert_eq!(again.as_deref(), Ok(out.as_str()), "second edit of {:?}", text);
        }
    }

    #[test]
    fn the_section_confirmation_agrees_on_accepted_random_text(
        bytes in garbage(),
        target in target(),
        credentials in credentials(),
    ) {
        check_section_confirmation(&bytes, &target, &credentials)?;
    }
}

/// One accepted edit for the readers outside Rust.
struct AcceptedEdit {
    before: String,
    after: String,
    profile: ProfileName,
    credentials: TemporaryCredentials,
}

/// The edits both outside readers check: 512 generated files (with `[DEFAULT]` allowed an
/// `aws_security_token`, which rolecreds must refuse) and every accepted one of 4096 random
/// texts. Returns the edits and how many of them (the first ones) came from the model.
fn accepted_edits() -> (Vec<AcceptedEdit>, usize) {
    let mut runner = TestRunner::default();
    let mut edits = Vec::new();
    for _ in 0..512 {
        let (model, profile, credentials) = case(true).new_tree(&mut runner).unwrap().current();
        let before = model.text();
        let after = match upsert_profile(before.as_bytes(), &profile, &credentials) {
            Ok(after) => after,
            // Refusing is right for a [DEFAULT] with aws_security_token; anything else is safe.
            Err(_) if model.keys_of("DEFAULT").contains(&"aws_security_token") => continue,
            Err(e) => panic!("a safe file was refused: {e}\n{before:?}"),
        };
        edits.push(AcceptedEdit {
            before,
            after,
            profile,
            credentials,
        });
    }
    let generated = edits.len();
    let random = (garbage(), target(), credentials());
    for _ in 0..4096 {
        let (bytes, profile, credentials) = random.new_tree(&mut runner).unwrap().current();
        if let Ok(after) = upsert_profile(&bytes, &profile, &credentials) {
            let before = String::from_utf8(bytes).expect("accepted text is UTF-8");
            edits.push(AcceptedEdit {
                before,
                after,
                profile,
                credentials,
            });
        }
    }
    (edits, generated)
}

/// Runs `reader` once over fresh [`accepted_edits`] and fails with one example per kind of
/// problem. The accepted original must parse (botocore; the JS loader rejects nothing), the
/// written values read back, no `aws_security_token` reaches the profile (for botocore not
/// even from `[DEFAULT]`), every other section and the target's other keys are unchanged, and
/// no section appears. One process for all edits, so it cannot shrink; failures print the
/// input file (which holds no generated credentials: those are only in the edited file).
fn assert_reader_reads_every_accepted_edit(reader: Reader) {
    let (edits, generated) = accepted_edits();
    let dir = tempfile::tempdir().unwrap();
    let checks: Vec<ReadCheck> = edits
        .iter()
        .enumerate()
        .map(|(i, edit)| {
            let expected = WRITTEN_KEYS
                .iter()
                .zip(written_values(&edit.credentials))
                .map(|(key, value)| (key.to_string(), value))
                .collect();
            let profile = edit.profile.as_str();
            let mut check = write_check(
                dir.path(),
                i,
                edit.before.as_bytes(),
                &edit.after,
                profile,
                expected,
            );
            check.before_must_parse = true;
            check
        })
        .collect();
    let failures = reader_failures(reader, &checks);
    // One example per kind of problem: its text with section names and details cut out.
    let mut kinds = std::collections::BTreeMap::new();
    for (index, problem) in &failures {
        let kind = problem_kind(problem);
        let entry = kinds.entry(kind).or_insert((0, *index, problem));
        entry.0 += 1;
    }
    let report: Vec<String> = kinds
        .values()
        .map(|(count, index, problem)| {
            let edit = &edits[*index];
            let origin = if *index < generated {
                "generated"
            } else {
                "random"
            };
            format!(
                "{count} times: {problem}\n  e.g. {origin} file {:?}, profile {}",
                edit.before, edit.profile
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} edits misread by {}:\n{}",
        failures.len(),
        edits.len(),
        reader.name(),
        report.join("\n")
    );
}

/// A problem with its bracketed section name and anything after a colon dropped, so that
/// `section [dev] changed` and `section [prod] changed` count as one kind.
fn problem_kind(problem: &str) -> String {
    let mut kind = String::new();
    let mut depth = 0;
    for c in problem.split(':').next().unwrap_or_default().chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => kind.push(c),
            _ => {}
        }
    }
    kind
}

/// Beyond (a)-(d), for the readers outside Rust: botocore (Python's strict `RawConfigParser`)
/// reads every generated edit, and every edit of random text that rolecreds accepts, as
/// intended.
#[test]
fn botocore_reads_every_accepted_edit_as_intended() {
    assert_reader_reads_every_accepted_edit(Reader::Botocore);
}

/// The same for the AWS SDK for JavaScript v3's loader (`loadSharedConfigFiles`, keys case
/// kept, no continuation lines, `#`/`;` comments only after whitespace).
#[test]
fn the_js_sdk_loader_reads_every_accepted_edit_as_intended() {
    assert_reader_reads_every_accepted_edit(Reader::JsSdk);
}
