//! The editor's table of cases (tests/data/edit-cases.json): exact output bytes for every
//! preservation rule, exact refusals for every unsafe file, each output read back by the AWS
//! SDK for Rust's parser, by botocore's (Python's strict RawConfigParser) and by the AWS SDK for
//! JavaScript v3's loader.

mod support;

use rolecreds::domain::credentials::TemporaryCredentials;
use rolecreds::domain::credentials_json::parse_expiration;
use rolecreds::domain::editor::edit::upsert_profile;
use rolecreds::domain::editor::validate::parse_credentials_text;
use rolecreds::domain::profile_name::ProfileName;
use rolecreds::domain::secret::Secret;
use serde_json::Value;
use std::collections::BTreeMap;
use support::readers::{Reader, reader_failures, write_check};

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
