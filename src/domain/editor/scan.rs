//! Reads credentials-file text the way botocore and the AWS SDKs do, keeping every byte, and
//! refuses text that either reader would reject or that the two would read differently.
//!
//! The rules mirror botocore's strict `RawConfigParser` and aws-runtime's `env_config` parser
//! (see shared/reference/credentials-file.md): where either would fail the whole file, or where
//! the lines an edit owns could be misread, scanning stops with the line number and a fix.

use crate::domain::profile_name::ProfileName;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// The keys rolecreds writes into its profile, in the order it appends them.
pub const WRITTEN_KEYS: [&str; 4] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "x_security_token_expires",
];

/// A key that botocore reads before `aws_session_token`: a stale one hides the fresh token.
pub const STALE_KEY: &str = "aws_security_token";

const BOM: &[u8] = b"\xEF\xBB\xBF";
/// The AWS SDK parser treats only space and tab as whitespace.
const WHITESPACE: &[char] = &[' ', '\t'];
const COMMENT: &[char] = &['#', ';'];

/// A scanned text: the target profile's lines (each with its own line ending) and where
/// they are. Only those lines are kept, so scanning a file costs memory in proportion to the
/// target section, not to the file (a 200 MB file is scanned in a few MB beyond its text).
#[derive(Debug)]
pub struct Document<'a> {
    /// The whole text the lines were cut from.
    pub text: &'a str,
    /// The target profile's section, if the file has one.
    pub target: Option<TargetSection>,
    /// The target section's lines, header first (empty when there is no target section).
    pub section_lines: Vec<Line<'a>>,
    /// The file's last line, if it has any (appending a section looks at it).
    pub last_line: Option<Line<'a>>,
    /// The line ending new lines get: the file's first one, LF for a file without any.
    pub newline: &'static str,
}

impl Document<'_> {
    /// The target section's bytes in the text (empty at the end when there is none).
    pub fn section_range(&self) -> std::ops::Range<usize> {
        let offset = |line: &Line<'_>| line.content.as_ptr() as usize - self.text.as_ptr() as usize;
        match (self.section_lines.first(), self.section_lines.last()) {
            (Some(first), Some(last)) => {
                offset(first)..offset(last) + last.content.len() + last.ending.len()
            }
            _ => self.text.len()..self.text.len(),
        }
    }
}

/// One line: its text without the ending, the ending (`""` only on a last line without one).
#[derive(Debug, Clone)]
pub struct Line<'a> {
    pub content: &'a str,
    pub ending: &'a str,
    pub kind: LineKind<'a>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind<'a> {
    Blank,
    Comment,
    Header,
    /// `key=value` (or `key: value` for a key rolecreds replaces); the key lowercased
    /// (borrowed from the line when it already was).
    Property {
        key: Cow<'a, str>,
    },
    /// An indented line, which both readers append to the property above it.
    Continuation,
}

/// Line indices of the target profile: its header and one past its last line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetSection {
    pub header: usize,
    pub end: usize,
}

/// Why the file cannot be edited safely; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsafeFile {
    pub line: Option<usize>,
    pub problem: String,
}

impl fmt::Display for UnsafeFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.problem),
            None => f.write_str(&self.problem),
        }
    }
}

impl std::error::Error for UnsafeFile {}

fn unsafe_at(line: usize, problem: impl Into<String>) -> UnsafeFile {
    UnsafeFile {
        line: Some(line + 1),
        problem: problem.into(),
    }
}

/// Scans `bytes` for an edit of `target`, refusing anything either reader would reject.
pub fn scan<'a>(bytes: &'a [u8], target: &ProfileName) -> Result<Document<'a>, UnsafeFile> {
    let text = decode(bytes)?;
    let mut scanner = Scanner::new(target);
    for (index, (content, ending)) in split_lines(text).enumerate() {
        let kind = scanner.classify(index, content)?;
        let line = Line {
            content,
            ending,
            kind,
        };
        if scanner
            .current
            .as_ref()
            .is_some_and(|section| section.is_target)
        {
            scanner.section_lines.push(line.clone());
        }
        scanner.last_line = Some(line);
        scanner.line_count = index + 1;
    }
    scanner.finish(text)
}

fn decode(bytes: &[u8]) -> Result<&str, UnsafeFile> {
    if bytes.starts_with(BOM) {
        return Err(UnsafeFile {
            line: None,
            problem:
                "the file starts with a UTF-8 byte-order mark, which botocore and the AWS SDK \
                      for Rust reject; save it as UTF-8 without BOM"
                    .into(),
        });
    }
    std::str::from_utf8(bytes).map_err(|err| {
        let line = bytes[..err.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        unsafe_at(
            line,
            "not valid UTF-8; the AWS SDKs would ignore or reject the whole file, save it as UTF-8",
        )
    })
}

/// Splits into `(content, ending)` pairs; the ending is `\r\n`, `\n`, or `""` at the very end.
fn split_lines(text: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, tail) = match rest.find('\n') {
            Some(i) => (&rest[..=i], &rest[i + 1..]),
            None => (rest, ""),
        };
        rest = tail;
        let content_len = line
            .strip_suffix("\r\n")
            .or_else(|| line.strip_suffix('\n'))
            .unwrap_or(line)
            .len();
        Some(line.split_at(content_len))
    })
}

/// What the scanner knows about the section it is in.
struct CurrentSection<'a> {
    botocore_name: &'a str,
    is_target: bool,
    /// Keys seen in this section, botocore-lowercased, with their line; a handful per section,
    /// so a vector beats a hash map (thousands of sections, each with its own map).
    keys: Vec<(Cow<'a, str>, usize)>,
    /// The last property line, and its key when rolecreds rewrites it.
    last_property: Option<(usize, Option<String>)>,
    /// Whether that property's value is empty, making indented lines sub-properties.
    opens_sub_properties: bool,
}

struct Scanner<'a, 't> {
    target: &'t ProfileName,
    section_lines: Vec<Line<'a>>,
    last_line: Option<Line<'a>>,
    line_count: usize,
    sections: HashMap<&'a str, usize>,
    /// The same sections by the name the AWS SDKs read.
    sdk_sections: HashMap<&'a str, usize>,
    current: Option<CurrentSection<'a>>,
    target_section: Option<TargetSection>,
}

impl<'a, 't> Scanner<'a, 't> {
    fn new(target: &'t ProfileName) -> Self {
        Self {
            target,
            section_lines: Vec::new(),
            last_line: None,
            line_count: 0,
            sections: HashMap::new(),
            sdk_sections: HashMap::new(),
            current: None,
            target_section: None,
        }
    }

    fn classify(&mut self, index: usize, content: &'a str) -> Result<LineKind<'a>, UnsafeFile> {
        if memchr::memchr(b'\r', content.as_bytes()).is_some() {
            return Err(unsafe_at(
                index,
                "a carriage return that does not end the line: Python reads it as a line break, \
                 the AWS SDKs do not; remove it",
            ));
        }
        if content.trim_matches(WHITESPACE).is_empty() {
            return Ok(LineKind::Blank);
        }
        if content.starts_with(COMMENT) {
            return Ok(LineKind::Comment);
        }
        if content.starts_with(WHITESPACE) {
            return self.continuation(index, content);
        }
        if content.starts_with('[') {
            return self.header(index, content);
        }
        self.property(index, content)
    }

    fn continuation(&mut self, index: usize, content: &str) -> Result<LineKind<'a>, UnsafeFile> {
        let Some(section) = &self.current else {
            return Err(unsafe_at(
                index,
                "an indented line before any [profile] header; the AWS SDKs reject the file, \
                 remove the indentation or the line",
            ));
        };
        match &section.last_property {
            None => Err(unsafe_at(
                index,
                "an indented line with no key above it; the AWS SDKs reject the file, \
                 remove the indentation",
            )),
            Some((line, Some(key))) => Err(unsafe_at(
                index,
                format!(
                    "this indented line would become part of {key} (line {}) in the AWS SDKs; \
                     remove the indentation or the line",
                    line + 1
                ),
            )),
            Some((_, None)) if section.opens_sub_properties => {
                sdk_property(content).map_err(|_| {
                    unsafe_at(
                        index,
                        "an indented line under a key with an empty value must be a \
                         sub-property name=value; the AWS SDKs reject the file",
                    )
                })?;
                Ok(LineKind::Continuation)
            }
            Some((_, None)) => Ok(LineKind::Continuation),
        }
    }

    fn header(&mut self, index: usize, content: &'a str) -> Result<LineKind<'a>, UnsafeFile> {
        let (sdk_name, botocore_name) = header_names(content).map_err(|p| unsafe_at(index, p))?;
        let target = self.target.as_str();
        if (sdk_name == target) != (botocore_name == target) {
            return Err(unsafe_at(
                index,
                format!(
                    "the AWS CLI reads this header as [{botocore_name}] but the AWS SDKs as \
                     [{sdk_name}]; write it as [{sdk_name}] with nothing else on the line"
                ),
            ));
        }
        if let Some(first) = self.sections.insert(botocore_name, index) {
            return Err(unsafe_at(
                index,
                format!(
                    "section [{botocore_name}] appears again (first on line {}); botocore \
                     rejects every profile of such a file, merge the two sections",
                    first + 1
                ),
            ));
        }
        // `[dev]` and `[ dev ]` are two sections to botocore but one to the AWS SDK for Rust,
        // which merges them in no fixed order (a later run may read the other one's values).
        if let Some(first) = self.sdk_sections.insert(sdk_name, index) {
            return Err(unsafe_at(
                index,
                format!(
                    "the AWS SDKs read this header as [{sdk_name}], like the one on line {}, \
                     and merge the two in no fixed order, while botocore keeps them apart; \
                     write one [{sdk_name}] section",
                    first + 1
                ),
            ));
        }
        self.close_section(index);
        let is_target = sdk_name == target;
        if is_target {
            self.target_section = Some(TargetSection {
                header: index,
                end: index + 1,
            });
        }
        self.current = Some(CurrentSection {
            botocore_name,
            is_target,
            keys: Vec::new(),
            last_property: None,
            opens_sub_properties: false,
        });
        Ok(LineKind::Header)
    }

    fn property(&mut self, index: usize, content: &'a str) -> Result<LineKind<'a>, UnsafeFile> {
        let Some(section) = &mut self.current else {
            return Err(unsafe_at(
                index,
                "a key before any [profile] header; botocore and the AWS SDKs reject the file, \
                 move it under a header or delete it",
            ));
        };
        let key = property_key(content).map_err(|p| unsafe_at(index, p))?;
        // botocore lowercases keys with Unicode rules, so `É` and `é` are one key to it.
        let folded: Cow<'a, str> = if key.is_ascii() {
            key.clone()
        } else {
            Cow::Owned(key.to_lowercase())
        };
        if let Some(&(_, first)) = section.keys.iter().find(|(seen, _)| *seen == folded) {
            return Err(unsafe_at(
                index,
                format!(
                    "key {key} appears twice in [{}] (first on line {}); botocore rejects every \
                     profile of such a file, delete one",
                    section.botocore_name,
                    first + 1
                ),
            ));
        }
        section.keys.push((folded, index));
        if section.botocore_name == "DEFAULT" && key == STALE_KEY {
            return Err(unsafe_at(
                index,
                "[DEFAULT] sets aws_security_token, which botocore adds to every profile and \
                 reads before a fresh aws_session_token; delete this line",
            ));
        }
        let rewritten = section.is_target && is_rewritten_key(&key);
        section.opens_sub_properties = false;
        if !rewritten {
            let (sdk_key, value_is_empty) =
                sdk_property(content).map_err(|p| unsafe_at(index, p))?;
            // The SDKs lowercase ASCII letters only, as `key` was lowercased.
            if !sdk_key.eq_ignore_ascii_case(&key) || sdk_key.len() != key.len() {
                return Err(unsafe_at(
                    index,
                    "botocore and the AWS SDKs would read different keys on this line; write \
                     it as key=value",
                ));
            }
            section.opens_sub_properties = value_is_empty;
        }
        section.last_property = Some((index, rewritten.then(|| key.to_string())));
        Ok(LineKind::Property { key })
    }

    fn close_section(&mut self, end: usize) {
        if let (Some(current), Some(target)) = (&self.current, &mut self.target_section)
            && current.is_target
        {
            target.end = end;
        }
    }

    fn finish(mut self, text: &'a str) -> Result<Document<'a>, UnsafeFile> {
        self.close_section(self.line_count);
        let newline = match text.find('\n') {
            Some(i) if text[..i].ends_with('\r') => "\r\n",
            _ => "\n",
        };
        Ok(Document {
            text,
            target: self.target_section,
            section_lines: self.section_lines,
            last_line: self.last_line,
            newline,
        })
    }
}

/// Whether an edit replaces or removes this key in the target profile.
pub fn is_rewritten_key(key: &str) -> bool {
    key == STALE_KEY || WRITTEN_KEYS.contains(&key)
}

/// The section name as the AWS SDKs read it and as botocore reads it.
fn header_names(content: &str) -> Result<(&str, &str), &'static str> {
    // aws-runtime: trim, cut at the first `#`/`;`, expect `[...]`, trim the inside.
    let sdk_line = content.trim_matches(WHITESPACE);
    let sdk_line = sdk_line
        .find(COMMENT)
        .map_or(sdk_line, |i| &sdk_line[..i])
        .trim_matches(WHITESPACE);
    let sdk_name = sdk_line
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .ok_or("a section header without its closing ']'; the AWS SDKs reject the file")?
        .trim_matches(WHITESPACE);
    // botocore: `\[(?P<header>.+)\]` matched greedily against the stripped line.
    let stripped = content.trim();
    let botocore_name = stripped
        .rfind(']')
        .filter(|&close| close >= 2)
        .map(|close| &stripped[1..close])
        .ok_or("an empty section name; botocore rejects the file")?;
    if sdk_name.is_empty() {
        return Err("an empty section name; botocore rejects the file");
    }
    Ok((sdk_name, botocore_name))
}

/// A property line as the AWS SDKs read it: its key (not lowercased) and whether its value is
/// empty. They cut a ` #` or ` ;` comment off before looking for `=`, so `k #=v` has none.
fn sdk_property(content: &str) -> Result<(&str, bool), &'static str> {
    let line = content.trim_matches(WHITESPACE);
    // As in aws-runtime: any Unicode whitespace before `#`/`;` starts a comment. Only the
    // (rare) `#`/`;` positions are visited, not every character of an 800-character token.
    let comment = memchr::memchr2_iter(b'#', b';', line.as_bytes())
        .find(|&i| {
            line[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_whitespace)
        })
        .unwrap_or(line.len());
    let Some(equals) = memchr::memchr(b'=', &line.as_bytes()[..comment]) else {
        return Err(
            "a line with no '=' before its comment; the AWS SDKs reject the file, \
                    write it as key=value",
        );
    };
    let (key, value) = (&line[..equals], &line[equals + 1..comment]);
    let key = key.trim_matches(WHITESPACE);
    if key.is_empty() {
        return Err("a line with no key before its '='; the AWS SDKs reject the file");
    }
    Ok((key, value.trim_matches(WHITESPACE).is_empty()))
}

/// The key of a property line, lowercased as both readers do. botocore splits at the first `=`
/// or `:`; the SDKs only at `=`, so a `:` before the `=` makes the readers disagree.
fn property_key(content: &str) -> Result<Cow<'_, str>, &'static str> {
    let split = memchr::memchr2(b'=', b':', content.as_bytes()).ok_or(
        "a line with no '='; botocore and the AWS SDKs reject the file, write it as key=value",
    )?;
    if content.as_bytes()[split] == b':'
        && memchr::memchr(b'=', &content.as_bytes()[split..]).is_some()
    {
        return Err(
            "a ':' before the '=': botocore and the AWS SDKs would read different keys; \
                    write it as key=value",
        );
    }
    let key = content[..split].trim();
    if key.is_empty() {
        return Err("a line with no key before its '='; botocore rejects the file");
    }
    Ok(if key.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(key.to_ascii_lowercase())
    } else {
        Cow::Borrowed(key)
    })
}
