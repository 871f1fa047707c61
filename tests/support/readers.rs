//! The readers outside Rust that check edited credentials files: botocore's parser (Python's
//! strict `RawConfigParser`, tests/data/botocore_reads.py) and the AWS SDK for JavaScript v3's
//! loader (tests/js/credentials-reads.mjs). Each runs once per batch of files: a process per
//! file would cost more than the checks.

use super::Sections;
use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// A reader that [`reader_failures`] runs on a batch of edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// botocore's parser, Python's `configparser.RawConfigParser(strict=True)`.
    Botocore,
    /// The JS SDK v3's `loadSharedConfigFiles` / `parseKnownFiles` (`@smithy/core/config`).
    JsSdk,
}

impl Reader {
    pub fn name(self) -> &'static str {
        match self {
            Reader::Botocore => "botocore",
            Reader::JsSdk => "the JS SDK's loader",
        }
    }

    /// The program and its arguments; `extra` goes after the script.
    fn command(self, extra: &[&str]) -> Command {
        let (program, script) = match self {
            Reader::Botocore => (
                "python3",
                format!("{MANIFEST_DIR}/tests/data/botocore_reads.py"),
            ),
            Reader::JsSdk => (
                "node",
                format!("{MANIFEST_DIR}/tests/js/credentials-reads.mjs"),
            ),
        };
        let mut cmd = Command::new(program);
        cmd.arg(script).args(extra);
        cmd
    }

    /// Runs the reader with `input` on stdin; returns its status, stdout and stderr. A missing
    /// program fails the test: a reader that cannot run must not pass as one that agreed.
    fn run(self, extra: &[&str], input: Vec<u8>) -> std::process::Output {
        let mut child = self
            .command(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                let program = if self == Reader::Botocore {
                    "python3"
                } else {
                    "node"
                };
                panic!(
                    "cannot run {program} for {} ({e}): it is required, scripts/test-deps \
                     installs it",
                    self.name()
                )
            });
        let mut stdin = child.stdin.take().unwrap();
        // Written from a thread: a large batch would fill the pipe while the reader prints.
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let output = child.wait_with_output().unwrap();
        writer
            .join()
            .unwrap()
            .expect("write the batch to the reader");
        output
    }
}

/// One edited file for a reader to check.
#[derive(Debug, Clone)]
pub struct ReadCheck {
    /// The file after the edit.
    pub path: PathBuf,
    /// The file before the edit, if the other sections should be compared.
    pub before: Option<PathBuf>,
    /// rolecreds accepted `before`, so a reader that cannot parse it is a failure (botocore;
    /// the JS loader never rejects a file: it reads an unreadable one as empty).
    pub before_must_parse: bool,
    pub profile: String,
    /// The keys rolecreds wrote, with their values.
    pub expected: BTreeMap<String, String>,
}

/// Runs `reader` once over `checks`; returns `(index into checks, problem)` for every failure
/// it reports (problems name keys and sections, never values).
pub fn reader_failures(reader: Reader, checks: &[ReadCheck]) -> Vec<(usize, String)> {
    let input: Vec<_> = checks
        .iter()
        .map(|c| {
            serde_json::json!({
                "path": c.path, "before": c.before, "before_must_parse": c.before_must_parse,
                "profile": c.profile, "expected": c.expected,
            })
        })
        .collect();
    let output = reader.run(&[], serde_json::to_vec(&input).unwrap());
    let by_path: HashMap<String, usize> = checks
        .iter()
        .enumerate()
        .map(|(i, c)| (c.path.display().to_string(), i))
        .collect();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let failures: Vec<(usize, String)> = stdout
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (path, problem) = line.split_once(": ").unwrap_or((line, ""));
            let index = *by_path
                .get(path)
                .unwrap_or_else(|| panic!("{} printed an unexpected line: {line}", reader.name()));
            (index, problem.to_owned())
        })
        .collect();
    // A reader that failed without naming a file crashed (a missing module, a bad script).
    assert!(
        output.status.success() || !failures.is_empty(),
        "{} failed to run ({}):\n{}",
        reader.name(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    failures
}

/// Writes `before` and `after` into `dir` as the `index`th pair and returns their check.
pub fn write_check(
    dir: &Path,
    index: usize,
    before: &[u8],
    after: &str,
    profile: &str,
    expected: BTreeMap<String, String>,
) -> ReadCheck {
    let before_path = dir.join(format!("{index}-before"));
    let after_path = dir.join(format!("{index}-after"));
    std::fs::write(&before_path, before).unwrap();
    std::fs::write(&after_path, after).unwrap();
    ReadCheck {
        path: after_path,
        before: Some(before_path),
        before_must_parse: false,
        profile: profile.to_owned(),
        expected,
    }
}

/// How the JS SDK's loader reads each file: the credentials-file map, keyed by the raw
/// section name (`[profile dev]` is `profile.dev`), key case kept. The loader never rejects.
pub fn js_read_all(paths: &[PathBuf]) -> Vec<Sections> {
    let output = Reader::JsSdk.run(&["--read"], serde_json::to_vec(paths).unwrap());
    assert!(
        output.status.success(),
        "the JS loader failed to run ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the JS reader printed JSON")
}

/// How botocore reads each file: `None` if strict `RawConfigParser` rejects it, else every
/// section's items (with what `[DEFAULT]` gives it, as botocore does) and `[DEFAULT]` itself.
pub fn botocore_read_all(paths: &[PathBuf]) -> Vec<Option<Sections>> {
    const SCRIPT: &str = r#"
import configparser, json, sys
readings = []
for path in json.load(sys.stdin):
    parser = configparser.RawConfigParser(strict=True)
    try:
        with open(path, encoding="utf-8") as f:
            parser.read_file(f)
    except (configparser.Error, UnicodeDecodeError):
        readings.append(None)
        continue
    view = {name: dict(parser.items(name)) for name in parser.sections()}
    view["DEFAULT"] = dict(parser.defaults())
    readings.append(view)
json.dump(readings, sys.stdout)
"#;
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is required (botocore's parser is Python's)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(paths).unwrap())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the botocore reading failed");
    serde_json::from_slice(&output.stdout).expect("python printed JSON")
}
