//! Reads credentials-file text the way four reader families do, keeping every byte, and
//! refuses text that any of them would reject or that they would read differently.
//!
//! The readers: botocore (Python's strict `RawConfigParser`: the AWS CLI, boto3), the AWS SDK
//! for Rust (aws-runtime's `env_config`), the AWS SDK for JavaScript v3 (`parseIni` in
//! @smithy/core) and the AWS SDK for Go v2 (`internal/ini`'s line tokenizer); their rules are
//! in docs/reader-models.md. Each line must be the same kind of line to all four (header,
//! key, continuation, comment), every header must name the same section and every key the
//! same key; where that fails, scanning stops with the line number and a fix. Values of keys
//! an edit does not touch are the readers' own business (inline comments and quotes differ)
//! and are never changed.

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

/// A character that at least one reader takes for whitespace but that is not a space or a
/// tab: Python's `str.isspace` adds U+001C-U+001F to Rust's `char::is_whitespace`, and
/// JavaScript's `\s` adds the byte-order mark U+FEFF.
fn is_odd_whitespace(c: char) -> bool {
    c != ' ' && c != '\t' && (c.is_whitespace() || matches!(c, '\u{1c}'..='\u{1f}' | '\u{feff}'))
}

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
    let mut lines = Lines::new(text);
    while let Some((content, ending)) = lines.next_line().map_err(|line| {
        unsafe_at(
            line,
            "a carriage return that does not end the line: Python reads it as a line break, \
             the AWS SDKs do not; remove it",
        )
    })? {
        let index = lines.index - 1;
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

/// The text's lines as `(content, ending)`, the ending `\r\n`, `\n`, or `""` at the very end,
/// from ONE vectorised pass that finds every LF and CR (the lines themselves are not read
/// here: a session token's 800 characters are only ever skipped over).
struct Lines<'a> {
    text: &'a str,
    breaks: memchr::Memchr2<'a>,
    start: usize,
    /// Lines returned so far.
    index: usize,
}

/// A line's content and its ending.
type LineParts<'a> = (&'a str, &'a str);

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            breaks: memchr::memchr2_iter(b'\n', b'\r', text.as_bytes()),
            start: 0,
            index: 0,
        }
    }

    /// The next line as `(content, ending)`, or the 0-based index of a line holding a CR
    /// that ends no line.
    fn next_line(&mut self) -> Result<Option<LineParts<'a>>, usize> {
        let (text, bytes) = (self.text, self.text.as_bytes());
        if self.start >= text.len() {
            return Ok(None);
        }
        let (end, next) = match self.breaks.next() {
            Some(at) if bytes[at] == b'\n' => (at, at + 1),
            Some(at) if bytes.get(at + 1) == Some(&b'\n') => {
                self.breaks.next();
                (at, at + 2)
            }
            Some(_) => return Err(self.index),
            None => (text.len(), text.len()),
        };
        let line = (&text[self.start..end], &text[end..next]);
        self.start = next;
        self.index += 1;
        Ok(Some(line))
    }
}

/// A fast hasher for section names, which come from a file this user owns (no flooding to
/// defend against): std's SipHash was an eighth of the scan at 10,000 profiles.
#[derive(Default, Clone, Copy)]
struct NameHasher(u64);

impl std::hash::Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.write(&[byte]);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type NameMap<K> = HashMap<K, usize, std::hash::BuildHasherDefault<NameHasher>>;

/// What the scanner knows about the section it is in.
struct CurrentSection<'a> {
    name: &'a str,
    is_target: bool,
    /// The last property line, and its key when rolecreds rewrites it.
    last_property: Option<(usize, Option<&'static str>)>,
    /// Whether that property's value is empty, making indented lines sub-properties.
    opens_sub_properties: bool,
}

struct Scanner<'a, 't> {
    target: &'t ProfileName,
    section_lines: Vec<Line<'a>>,
    last_line: Option<Line<'a>>,
    line_count: usize,
    /// Every section by name (the same name to every reader, or scanning stopped).
    sections: NameMap<&'a str>,
    /// Sections whose name the JavaScript SDK rewrites (`[profile x]` is `profile.x` to it) or
    /// could collide with such a name (one with a `.`), by the name it reads.
    js_sections: NameMap<Cow<'a, str>>,
    /// The current section's keys, lowercased, with their line: a handful, so a vector (one,
    /// reused) beats a map.
    keys: Vec<(Cow<'a, str>, usize)>,
    /// The keys of the `[DEFAULT]` sections so far: configparser merges repeated `[DEFAULT]`
    /// sections (so does every SDK) but rejects a key that two of them set.
    default_keys: Vec<(Cow<'a, str>, usize)>,
    current: Option<CurrentSection<'a>>,
    target_section: Option<TargetSection>,
}

/// botocore's section of defaults, which configparser (alone) gives to every profile.
const DEFAULT_SECTION: &str = "DEFAULT";

impl<'a, 't> Scanner<'a, 't> {
    fn new(target: &'t ProfileName) -> Self {
        Self {
            target,
            section_lines: Vec::new(),
            last_line: None,
            line_count: 0,
            sections: NameMap::default(),
            js_sections: NameMap::default(),
            keys: Vec::new(),
            default_keys: Vec::new(),
            current: None,
            target_section: None,
        }
    }

    fn classify(&mut self, index: usize, content: &'a str) -> Result<LineKind<'a>, UnsafeFile> {
        let Some(&first) = content.as_bytes().first() else {
            return Ok(LineKind::Blank);
        };
        match first {
            b'#' | b';' => Ok(LineKind::Comment),
            b'[' => self.header(index, content),
            b' ' | b'\t' if content.trim_matches(WHITESPACE).is_empty() => Ok(LineKind::Blank),
            b' ' | b'\t' => self.continuation(index, content),
            _ if content.starts_with(is_odd_whitespace) => Err(unsafe_at(
                index,
                format!(
                    "an invisible whitespace character (U+{:04X}) at the start of the line: \
                     Python reads the line as indented, the AWS SDKs do not; delete it",
                    content.chars().next().map_or(0, u32::from)
                ),
            )),
            _ => self.property(index, content),
        }
    }

    fn continuation(&mut self, index: usize, content: &str) -> Result<LineKind<'a>, UnsafeFile> {
        let Some(section) = &self.current else {
            return Err(unsafe_at(
                index,
                "an indented line before any [profile] header; the AWS SDKs reject the file, \
                 remove the indentation or the line",
            ));
        };
        let Some((above, rewritten)) = section.last_property else {
            return Err(unsafe_at(
                index,
                "an indented line with no key above it; the AWS SDKs reject the file, \
                 remove the indentation",
            ));
        };
        if let Some(key) = rewritten {
            return Err(unsafe_at(
                index,
                format!(
                    "this indented line would become part of {key} (line {}) in the AWS SDKs; \
                     remove the indentation or the line",
                    above + 1
                ),
            ));
        }
        // The JavaScript and Go SDKs trim every kind of whitespace before looking for `[`.
        let text = content.trim_start_matches(|c: char| c.is_whitespace() || is_odd_whitespace(c));
        if text.starts_with('[') {
            return Err(unsafe_at(
                index,
                format!(
                    "an indented line starting with '[': the JavaScript and Go SDKs read it as a \
                     section header, botocore and the AWS SDK for Rust as more of the key on \
                     line {}; remove the indentation or the line",
                    above + 1
                ),
            ));
        }
        if section.opens_sub_properties {
            sdk_property(content).map_err(|_| {
                unsafe_at(
                    index,
                    "an indented line under a key with an empty value must be a \
                     sub-property name=value; the AWS SDKs reject the file",
                )
            })?;
            if colon_before_equals(content) {
                return Err(unsafe_at(
                    index,
                    "a ':' before the '=': the AWS SDK for Go splits this sub-property at the \
                     ':', the other readers at the '='; write it as name=value",
                ));
            }
            return Ok(LineKind::Continuation);
        }
        let is_comment = content.trim_start_matches(WHITESPACE).starts_with(COMMENT);
        if !is_comment && memchr::memchr2(b'=', b':', content.as_bytes()).is_some() {
            return Err(unsafe_at(
                index,
                format!(
                    "an indented line with '=' or ':': botocore and the AWS SDK for Rust read it \
                     as more of the value on line {}, the JavaScript and Go SDKs as a key of its \
                     own; remove the indentation or the line",
                    above + 1
                ),
            ));
        }
        Ok(LineKind::Continuation)
    }

    fn header(&mut self, index: usize, content: &'a str) -> Result<LineKind<'a>, UnsafeFile> {
        let name = header_name(content).map_err(|p| unsafe_at(index, p))?;
        let is_default = name == DEFAULT_SECTION;
        if let Some(first) = self.sections.insert(name, index)
            && !is_default
        {
            return Err(unsafe_at(
                index,
                format!(
                    "section [{name}] appears again (first on line {}); botocore rejects every \
                     profile of such a file, merge the two sections",
                    first + 1
                ),
            ));
        }
        if name.bytes().any(|b| b == b' ' || b == b'.') {
            let js_name = js_section_name(name);
            if let Some(js_name) = js_name
                && let Some(first) = self.js_sections.insert(js_name.clone(), index)
            {
                return Err(unsafe_at(
                    index,
                    format!(
                        "the AWS SDK for JavaScript reads this header and the one on line {} as \
                         the same section [{js_name}], the other readers as two; rename one",
                        first + 1
                    ),
                ));
            }
        }
        self.close_section(index);
        let is_target = name == self.target.as_str();
        if is_target {
            self.target_section = Some(TargetSection {
                header: index,
                end: index + 1,
            });
        }
        self.keys.clear();
        if is_default {
            self.keys.append(&mut self.default_keys);
        }
        self.current = Some(CurrentSection {
            name,
            is_target,
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
        let parsed = property_key(content).map_err(|p| unsafe_at(index, p))?;
        let key = parsed.key;
        if let Some(&(_, first)) = self.keys.iter().find(|(seen, _)| *seen == key) {
            return Err(unsafe_at(
                index,
                format!(
                    "key {key} appears twice in [{}] (first on line {}); botocore rejects every \
                     profile of such a file, delete one",
                    section.name,
                    first + 1
                ),
            ));
        }
        self.keys.push((key.clone(), index));
        if section.name == DEFAULT_SECTION && key == STALE_KEY {
            return Err(unsafe_at(
                index,
                "[DEFAULT] sets aws_security_token, which botocore adds to every profile and \
                 reads before a fresh aws_session_token; delete this line",
            ));
        }
        let rewritten = section.is_target.then(|| rewritten_key(&key)).flatten();
        section.opens_sub_properties = false;
        // What rolecreds rewrites may be spelled any way botocore reads it; every other key
        // must read the same to all four readers.
        if rewritten.is_none() {
            let problem = match parsed.sdk {
                _ if parsed.has_uppercase => Some(format!(
                    "the AWS SDK for JavaScript keeps this key's case and would not read it as \
                     {key}, which botocore and the other SDKs do; write the key in lowercase"
                )),
                SdkReading::CommentBeforeEquals | SdkReading::NoEquals => Some(
                    "a line with no '=' before its comment; the AWS SDKs reject the file, \
                     write it as key=value"
                        .to_owned(),
                ),
                SdkReading::GoCutsKey => Some(
                    "a '#' or ';' in the key: the AWS SDK for Go cuts the line there, the \
                     other readers do not; rename the key"
                        .to_owned(),
                ),
                SdkReading::Value { is_empty } => {
                    section.opens_sub_properties = is_empty;
                    None
                }
            };
            if let Some(problem) = problem {
                return Err(unsafe_at(index, problem));
            }
        }
        section.last_property = Some((index, rewritten));
        Ok(LineKind::Property { key })
    }

    fn close_section(&mut self, end: usize) {
        let Some(current) = &self.current else {
            return;
        };
        if current.is_target
            && let Some(target) = &mut self.target_section
        {
            target.end = end;
        }
        if current.name == DEFAULT_SECTION {
            self.default_keys = std::mem::take(&mut self.keys);
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
    rewritten_key(key).is_some()
}

/// The key as rolecreds writes it, if an edit replaces or removes it in the target profile.
fn rewritten_key(key: &str) -> Option<&'static str> {
    WRITTEN_KEYS
        .into_iter()
        .chain([STALE_KEY])
        .find(|written| *written == key)
}

/// The section name of a header line, the same for every reader, or why the readers would
/// disagree about it (or reject it).
///
/// botocore matches `\[(.+)\]` greedily from the start, so it reads up to the LAST `]`; the
/// Rust and Go SDKs cut at the first `#`/`;` and trim; the JavaScript SDK cuts only at a
/// `#`/`;` that follows whitespace, and sees a header only if the rest ends in `]`; Go joins
/// the words of a name with one space. A name that passes the checks below reads the same to
/// all of them.
fn header_name(content: &str) -> Result<&str, String> {
    let plain = |b: &u8| (0x20..0x7f).contains(b) || *b == b'\t';
    if !content.as_bytes().iter().all(plain)
        && let Some(odd) = content.chars().find(|&c| is_odd_whitespace(c))
    {
        return Err(format!(
            "an invisible whitespace character (U+{:04X}) in a section header, which the \
             readers treat differently; delete it",
            u32::from(odd)
        ));
    }
    let Some(close) = memchr::memchr(b']', content.as_bytes()) else {
        return Err(
            "a section header without its closing ']'; the AWS SDKs reject the file".into(),
        );
    };
    let name = &content[1..close];
    let tail = &content[close + 1..];
    if !tail.is_empty() {
        let comment = tail.trim_start_matches(WHITESPACE);
        if comment.len() == tail.len() && tail.starts_with(COMMENT) {
            return Err(format!(
                "a comment right after ']': the AWS SDK for JavaScript needs a space before it \
                 and would not see this header, reading the lines below into the section above; \
                 write [{name}] {tail}"
            ));
        }
        if !comment.is_empty() && !comment.starts_with(COMMENT) {
            return Err(
                "a section header without its closing ']'; the AWS SDKs reject the file".into(),
            );
        }
        if memchr::memchr(b']', comment.as_bytes()).is_some() {
            return Err(
                "a ']' in the comment after this header: botocore reads the name up to the last \
                 ']'; remove it from the comment"
                    .into(),
            );
        }
    }
    let trimmed = name.trim_matches(WHITESPACE);
    if trimmed.is_empty() {
        return Err("an empty section name; botocore rejects the file".into());
    }
    let (mut cut, mut odd_spacing, mut previous) = (false, false, b'x');
    for &b in name.as_bytes() {
        cut |= matches!(b, b'[' | b'#' | b';');
        odd_spacing |= b == b'\t' || (b == b' ' && previous == b' ');
        previous = b;
    }
    if cut {
        return Err(
            "a '[', '#' or ';' inside the brackets: the readers cut the name at different \
             places; rename the section"
                .into(),
        );
    }
    if trimmed.len() != name.len() {
        return Err(format!(
            "the AWS CLI reads this header as [{name}] but the AWS SDKs as [{trimmed}]; write \
             it as [{trimmed}] with nothing else on the line"
        ));
    }
    if odd_spacing {
        return Err(
            "the AWS SDK for Go reads the spaces inside this name as one, botocore keeps them; \
             separate its words with single spaces"
                .into(),
        );
    }
    if name == "__proto__" || name == "profile __proto__" {
        return Err(
            "the AWS SDK for JavaScript stops reading the file at a section of this name; \
             rename it"
                .into(),
        );
    }
    Ok(name)
}

/// The section name the AWS SDK for JavaScript reads, `None` when it ignores the section: a
/// name of two words matching its `prefixKeyRegex` becomes `prefix.name` for the prefixes it
/// knows and is dropped for others.
fn js_section_name(name: &str) -> Option<Cow<'_, str>> {
    let word = |s: &str, extra: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(c))
    };
    let Some((prefix, rest)) = name.split_once(' ') else {
        return Some(Cow::Borrowed(name));
    };
    let inner = match rest.as_bytes() {
        [quote @ (b'"' | b'\''), .., last] if rest.len() >= 3 && last == quote => {
            &rest[1..rest.len() - 1]
        }
        _ => rest,
    };
    if !word(prefix, "-") || !word(inner, "-@+.%:/") {
        return Some(Cow::Borrowed(name));
    }
    ["profile", "sso-session", "services"]
        .contains(&prefix)
        .then(|| Cow::Owned(format!("{prefix}.{inner}")))
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

/// Whether a `:` comes before the first `=` (botocore and Go split there, the others do not).
fn colon_before_equals(content: &str) -> bool {
    let bytes = content.as_bytes();
    memchr::memchr(b':', bytes)
        .is_some_and(|colon| memchr::memchr(b'=', bytes).is_some_and(|equals| colon < equals))
}

/// A property line's key as every reader reads it, and what the AWS SDKs make of the rest.
struct PropertyKey<'a> {
    /// Lowercased (borrowed from the line when it already was).
    key: Cow<'a, str>,
    has_uppercase: bool,
    sdk: SdkReading,
}

/// How the Rust, JavaScript and Go SDKs read a `key=value` line beyond its key.
enum SdkReading {
    /// `key: value`: botocore and Go split at the `:`, the Rust and JavaScript SDKs find no `=`.
    NoEquals,
    /// `key #x=1`: a `#`/`;` after whitespace starts a comment, so there is no `=` for them.
    CommentBeforeEquals,
    /// `k#x=1`: Go cuts the line at any `#`/`;`, the others keep it in the key.
    GoCutsKey,
    /// An ordinary assignment; `is_empty` when the value is nothing but a comment or blanks
    /// (then indented lines below are sub-properties).
    Value { is_empty: bool },
}

/// The key of a property line, lowercased as the readers do, from one pass over the key's
/// bytes (never over the value: a session token is 800 characters). botocore and Go split at
/// the first `=` or `:`; the Rust and JavaScript SDKs only at `=`, so a `:` before the `=`
/// makes the readers disagree. Keys must be ASCII without control characters: Python and Go
/// lowercase other letters by Unicode rules (the Kelvin sign becomes `k`), and Python strips
/// U+001C-U+001F as whitespace.
fn property_key(content: &str) -> Result<PropertyKey<'_>, String> {
    let bytes = content.as_bytes();
    let split = memchr::memchr2(b'=', b':', bytes).ok_or(
        "a line with no '='; botocore and the AWS SDKs reject the file, write it as key=value",
    )?;
    let separator_is_colon = bytes[split] == b':';
    if separator_is_colon && memchr::memchr(b'=', &bytes[split..]).is_some() {
        return Err(
            "a ':' before the '=': botocore and the AWS SDKs would read different keys; \
                    write it as key=value"
                .into(),
        );
    }
    let raw = &content[..split];
    // The common key (`aws_session_token`, `region`): lowercase letters, digits, `_`, `-`,
    // `.`. Checked without early exits so that it compiles to a vector loop.
    let KeyCharacters {
        has_uppercase,
        comment,
        glued_comment,
    } = key_characters(raw)?;
    let key = raw.trim_matches(WHITESPACE);
    if key.is_empty() {
        return Err("a line with no key before its '='; botocore rejects the file".into());
    }
    let sdk = if separator_is_colon {
        SdkReading::NoEquals
    } else if comment {
        SdkReading::CommentBeforeEquals
    } else if glued_comment {
        SdkReading::GoCutsKey
    } else {
        SdkReading::Value {
            is_empty: sdk_value_is_empty(&content[split + 1..]),
        }
    };
    let key = if has_uppercase {
        Cow::Owned(key.to_ascii_lowercase())
    } else {
        Cow::Borrowed(key)
    };
    Ok(PropertyKey {
        key,
        has_uppercase,
        sdk,
    })
}

/// What a key's bytes hold that the readers treat differently.
#[derive(Default)]
struct KeyCharacters {
    has_uppercase: bool,
    /// A `#`/`;` after whitespace: a comment to the Rust and JavaScript SDKs.
    comment: bool,
    /// A `#`/`;` right after another character: Go cuts the line there.
    glued_comment: bool,
}

/// One pass over a key's bytes; refuses non-ASCII and control characters.
fn key_characters(raw: &str) -> Result<KeyCharacters, String> {
    // The common key (`aws_session_token`, `region`): lowercase letters, digits, `_`, `-`,
    // `.`. Checked without early exits so that it compiles to a vector loop.
    let plain = raw.bytes().fold(true, |plain, b| {
        plain
            & (b.is_ascii_lowercase()
                | b.is_ascii_digit()
                | (b == b'_')
                | (b == b'-')
                | (b == b'.'))
    });
    let mut found = KeyCharacters::default();
    if plain {
        return Ok(found);
    }
    let mut previous = b'x';
    for &b in raw.as_bytes() {
        if !b.is_ascii() || (b.is_ascii_control() && b != b'\t') {
            return Err(odd_key_character(raw));
        }
        found.has_uppercase |= b.is_ascii_uppercase();
        if b == b'#' || b == b';' {
            if previous == b' ' || previous == b'\t' {
                found.comment = true;
            } else {
                found.glued_comment = true;
            }
        }
        previous = b;
    }
    Ok(found)
}

/// The refusal for a key holding a non-ASCII or control character.
fn odd_key_character(raw: &str) -> String {
    let odd = raw
        .chars()
        .find(|&c| !c.is_ascii() || (c.is_ascii_control() && c != '\t'))
        .unwrap_or('?');
    if odd.is_ascii() || is_odd_whitespace(odd) {
        format!(
            "an invisible character (U+{:04X}) in the key, which Python reads as whitespace \
             and the AWS SDKs as part of the key; delete it",
            u32::from(odd)
        )
    } else {
        format!(
            "a non-ASCII character ({odd}) in the key: Python and Go lowercase it by Unicode \
             rules (the Kelvin sign becomes k), the other SDKs do not; write the key in ASCII"
        )
    }
}

/// Whether the SDKs read the text after a line's `=` as an empty value: only whitespace up
/// to the end or to a comment (a `#`/`;` after whitespace, Unicode whitespace as in
/// aws-runtime). Looks at the value's first characters only.
fn sdk_value_is_empty(value: &str) -> bool {
    let mut after_space = false;
    for c in value.chars() {
        match c {
            '#' | ';' => return after_space,
            c if c.is_whitespace() => after_space = true,
            _ => return false,
        }
    }
    true
}
