//! The editor's table of cases (tests/data/edit-cases.json): exact output bytes for every
//! preservation rule, exact refusals for every unsafe file, each output read back by the AWS
//! SDK for Rust's parser, by botocore's (Python's strict RawConfigParser) and by the AWS SDK for
//! JavaScript v3's loader, and each refusal marked `readers_disagree` shown to be one.
//!
//! Unix only: it shares tests/support (Unix process helpers) and runs the readers as
//! python3 and node children; the editor itself is covered on every system by the library's
//! unit tests, which scripts/cross-check runs under Wine.
#![cfg(unix)]

mod support;

use rolecreds::domain::credentials::TemporaryCredentials;
use rolecreds::domain::credentials_json::parse_expiration;
use rolecreds::domain::editor::edit::upsert_profile;
use rolecreds::domain::editor::validate::parse_credentials_text;
use rolecreds::domain::profile_name::ProfileName;
use rolecreds::domain::secret::Secret;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use support::Sections;
use support::readers::{Reader, botocore_read_all, js_read_all, reader_failures, write_check};

struct Table {
    credentials: TemporaryCredentials,
    edits: Vec<Value>,
    refusals: Vec<Value>,
}

fn load_table() -> Table {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/edit-cases.json");
    let table: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let c = &table["credentials"];
    let text = |key: &str| c[key].as_str().unwrap().to_owned();
    let credentials = TemporaryCredentials::new(
        text("access_key_id"),
        Secret::new(text("secret_access_key")),
        Secret::new(text("session_token")),
        parse_expiration(&text("expiration")).unwrap(),
    )
    .unwrap();
    let list = |key: &str| table[key].as_array().unwrap().clone();
    Table {
        credentials,
        edits: list("edits"),
        refusals: list("refusals"),
    }
}

fn input_bytes(case: &Value) -> Vec<u8> {
    match case.get("input_hex") {
        Some(hex) => (0..hex.as_str().unwrap().len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex.as_str().unwrap()[i..i + 2], 16).unwrap())
            .collect(),
        None => case["input"].as_str().unwrap().as_bytes().to_vec(),
    }
}

fn profile(case: &Value) -> ProfileName {
    ProfileName::parse(case["profile"].as_str().unwrap()).unwrap()
}

fn expected_values(credentials: &TemporaryCredentials) -> [(&'static str, String); 4] {
    [
        ("aws_access_key_id", credentials.access_key_id().to_owned()),
        (
            "aws_secret_access_key",
            credentials.secret_access_key().expose().to_owned(),
        ),
        (
            "aws_session_token",
            credentials.session_token().expose().to_owned(),
        ),
        ("x_security_token_expires", credentials.expiration_rfc3339()),
    ]
}

#[test]
fn every_edit_gives_exactly_the_expected_bytes_and_is_idempotent() {
    let table = load_table();
    assert!(table.edits.len() + table.refusals.len() >= 30);
    for case in &table.edits {
        let name = case["name"].as_str().unwrap();
        let output = upsert_profile(&input_bytes(case), &profile(case), &table.credentials)
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(output, case["output"].as_str().unwrap(), "{name}");
        let again = upsert_profile(output.as_bytes(), &profile(case), &table.credentials).unwrap();
        assert_eq!(
            again, output,
            "{name}: a second identical write changed bytes"
        );
    }
}

#[test]
fn every_unsafe_file_is_refused_with_its_line_and_problem() {
    let table = load_table();
    for case in &table.refusals {
        let name = case["name"].as_str().unwrap();
        let result = upsert_profile(&input_bytes(case), &profile(case), &table.credentials);
        let err = result.expect_err(name).to_string();
        let expected = case["error"].as_str().unwrap();
        assert!(
            err.contains(expected),
            "{name}: got {err:?}, want {expected:?}"
        );
        assert!(
            !err.contains("SECRET"),
            "{name}: error shows a secret: {err}"
        );
    }
}

#[test]
fn every_edit_reads_back_under_the_aws_sdk_parser() {
    let table = load_table();
    for case in &table.edits {
        let name = case["name"].as_str().unwrap();
        let target = profile(case);
        let output = case["output"].as_str().unwrap();
        let after = parse_credentials_text(output).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = after.get_profile(target.as_str()).expect(name);
        for (key, value) in expected_values(&table.credentials) {
            assert_eq!(written.get(key), Some(value.as_str()), "{name}: {key}");
        }
        assert_eq!(written.get("aws_security_token"), None, "{name}");
        if let Ok(before) = parse_credentials_text(case["input"].as_str().unwrap_or("")) {
            for other in before.profiles().filter(|p| *p != target.as_str()) {
                assert_eq!(
                    before.get_profile(other),
                    after.get_profile(other),
                    "{name}: profile {other} changed"
                );
            }
        }
    }
}

/// Every table edit as a check for a reader outside Rust: the output, the input before it
/// (other sections and the target's other keys must read back unchanged) and the four values.
fn edit_checks(table: &Table, dir: &std::path::Path) -> Vec<support::readers::ReadCheck> {
    let expected: BTreeMap<String, String> = expected_values(&table.credentials)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    table
        .edits
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let output = case["output"].as_str().unwrap();
            let profile = case["profile"].as_str().unwrap();
            write_check(
                dir,
                i,
                &input_bytes(case),
                output,
                profile,
                expected.clone(),
            )
        })
        .collect()
}

/// Runs `reader` over every table edit; fails naming each misread case and its problem.
fn assert_reader_agrees(reader: Reader) {
    let table = load_table();
    let dir = tempfile::tempdir().unwrap();
    let checks = edit_checks(&table, dir.path());
    let failures = reader_failures(reader, &checks);
    let report: Vec<String> = failures
        .iter()
        .map(|(i, problem)| format!("{}: {problem}", table.edits[*i]["name"]))
        .collect();
    assert!(
        failures.is_empty(),
        "{} misreads {} of {} table edits:\n{}",
        reader.name(),
        failures.len(),
        checks.len(),
        report.join("\n")
    );
}

#[test]
fn every_edit_reads_back_under_botocores_parser() {
    assert_reader_agrees(Reader::Botocore);
}

#[test]
fn every_edit_reads_back_under_the_js_sdk_loader() {
    assert_reader_agrees(Reader::JsSdk);
}

/// Inputs that the readers are known to read differently, checked beside the table's flagged
/// refusals (one of them, `[profile x]`, is a disagreement the scanner accepts because no
/// reader's lines move): they keep the comparison itself honest.
const KNOWN_DISAGREEMENTS: &[(&str, &str)] = &[
    (
        // JS: `#` only starts a comment after whitespace, so this is no header and B lands in
        // [default]; botocore and Rust read a [dev] with B.
        "a comment glued to a header",
        "[default]\naws_access_key_id=A\n[dev]# temporary\naws_access_key_id=B\n",
    ),
    (
        // JS: an indented header is a header, so B is dev's; botocore and Rust read `  [dev]`
        // as a continuation of region, and B as default's.
        "an indented header under a kept key",
        "[default]\nregion = x\n  [dev]\naws_access_key_id=B\n",
    ),
    (
        // Rust: a `[profile x]` section in the credentials file is dropped; botocore and JS
        // keep it (as `profile x` and `profile.x`). Harmless beside an edit of another
        // profile, but a disagreement all the same, so the comparison must see it.
        "a profile-prefixed section in the credentials file",
        "[dev]\naws_access_key_id=A\n[profile x]\naws_access_key_id=C\n",
    ),
];

/// The keys whose reading decides which credentials a profile yields, and `region`, where
/// they are used (the commonest key a hand-edited profile holds beside them).
const CREDENTIAL_KEYS: [&str; 6] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "x_security_token_expires",
    "aws_security_token",
    "region",
];

/// A reading reduced to what matters for credentials: profile -> credential key -> value,
/// keys spelled exactly as the SDK looks them up, profiles without such keys left out.
/// `None` is a reader that rejects the file.
type CredentialView = Option<Sections>;

fn credential_view(
    sections: impl IntoIterator<Item = (String, BTreeMap<String, String>)>,
) -> Sections {
    sections
        .into_iter()
        .map(|(name, keys)| {
            let keys: BTreeMap<_, _> = keys
                .into_iter()
                .filter(|(key, _)| CREDENTIAL_KEYS.contains(&key.as_str()))
                .collect();
            (name, keys)
        })
        .filter(|(_, keys)| !keys.is_empty())
        .collect()
}

/// The AWS SDK for Rust's reading; `get` lowercases the key as the SDK's lookups do. It has no
/// public way to list a profile's keys, so the credential keys are asked for one by one.
/// A file that is not UTF-8 reads as empty, as the SDK's file loader does.
fn rust_view(bytes: &[u8]) -> CredentialView {
    let text = std::str::from_utf8(bytes).unwrap_or("");
    let set = parse_credentials_text(text).ok()?;
    let sections = set.profiles().map(|name| {
        let profile = set.get_profile(name).unwrap();
        let keys = CREDENTIAL_KEYS
            .iter()
            .filter_map(|key| Some((key.to_string(), profile.get(key)?.to_owned())))
            .collect();
        (name.to_owned(), keys)
    });
    Some(credential_view(sections))
}

/// The JS loader's credentials map with its `prefix.name` keys (for `[profile name]`,
/// `[sso-session name]`, `[services name]`) spelled back as the header did, so that a naming
/// convention alone does not count as a disagreement.
fn js_view(sections: Sections) -> CredentialView {
    let renamed = sections.into_iter().map(|(name, keys)| {
        let name = match name.split_once('.') {
            Some((prefix, rest)) if ["profile", "sso-session", "services"].contains(&prefix) => {
                format!("{prefix} {rest}")
            }
            _ => name,
        };
        (name, keys)
    });
    Some(credential_view(renamed))
}

/// How botocore, the Rust SDK and the JS SDK read each input, as credential views.
fn readings(inputs: &[Vec<u8>]) -> Vec<[(&'static str, CredentialView); 3]> {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = inputs
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let path = dir.path().join(format!("input-{i}"));
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();
    let botocore = botocore_read_all(&paths);
    let js = js_read_all(&paths);
    inputs
        .iter()
        .zip(botocore.into_iter().zip(js))
        .map(|(bytes, (botocore, js))| {
            [
                ("botocore", botocore.map(credential_view)),
                ("the Rust SDK", rust_view(bytes)),
                ("the JS SDK", js_view(js)),
            ]
        })
        .collect()
}

/// A refusal marked `"readers_disagree": true` claims the readers read its input differently:
/// this proves it, so a refusal cannot hide behind a disagreement that is not there. Among
/// botocore, the Rust SDK and the JS SDK at least two must differ in which profiles hold
/// credential keys, which keys, or their values (a reader that rejects the file differs from
/// one that reads it).
#[test]
fn every_disagreement_refusal_is_real() {
    let table = load_table();
    let mut cases: Vec<(String, Vec<u8>)> = KNOWN_DISAGREEMENTS
        .iter()
        .map(|(name, input)| (format!("(known) {name}"), input.as_bytes().to_vec()))
        .collect();
    for case in &table.refusals {
        let flag = case.get("readers_disagree").unwrap_or(&Value::Bool(false));
        let name = case["name"].as_str().unwrap();
        assert!(
            flag.is_boolean(),
            "{name}: readers_disagree must be true or false"
        );
        if flag == &Value::Bool(true) {
            cases.push((name.to_owned(), input_bytes(case)));
        }
    }
    for case in &table.edits {
        assert!(
            case.get("readers_disagree").is_none(),
            "{}: readers_disagree belongs on refusals, an accepted edit must read alike",
            case["name"]
        );
    }
    let inputs: Vec<Vec<u8>> = cases.iter().map(|(_, bytes)| bytes.clone()).collect();
    let mut agreed = Vec::new();
    for ((name, _), readings) in cases.iter().zip(readings(&inputs)) {
        let [first, rest @ ..] = &readings;
        if rest.iter().all(|(_, view)| *view == first.1) {
            // Names only: the readings hold the file's values.
            let readers: Vec<&str> = readings.iter().map(|(reader, _)| *reader).collect();
            agreed.push(format!("{name}: {} all read it alike", readers.join(", ")));
        }
    }
    assert!(
        agreed.is_empty(),
        "refusals marked readers_disagree that the readers agree on:\n{}",
        agreed.join("\n")
    );
}
