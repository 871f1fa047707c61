//! The compatibility matrix: a profile rolecreds writes, and a `credential_process` profile
//! that runs rolecreds, each used by the AWS CLI, boto3, the AWS SDK for JavaScript v3
//! (`fromIni` / `fromProcess`) and the AWS SDK for Rust to call GetCallerIdentity against
//! the emulator with auth enforced. Every cell must return the assumed-role ARN.

mod emulator;

use emulator::{Moto, ROLE_DNS_EDITOR_ARN, Sandbox};
use std::path::PathBuf;
use std::process::Output;

const SESSION_ARN: &str =
    "arn:aws:sts::123456789012:assumed-role/dns_editor/alice@dns_editor.123456789012";

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

fn node_caller_arn(sandbox: &Sandbox, how: &str, profile: &str) -> Result<String, String> {
    let installed = js_dir().join("node_modules/@aws-sdk/client-sts");
    assert!(
        installed.exists(),
        "the JS SDK is not installed: run scripts/test-deps"
    );
    let output: Output = sandbox
        .consumer_command("node")
        .current_dir(js_dir())
        .args(["caller-identity.mjs", how, profile])
        .env("NODE_NO_WARNINGS", "1")
        .output()
        .map_err(|e| format!("cannot run node (scripts/test-deps installs it): {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Every consumer's answer for `profile`; `js` is how the JS SDK loads it.
fn matrix_row(
    sandbox: &Sandbox,
    profile: &str,
    js: &str,
) -> Vec<(&'static str, Result<String, String>)> {
    vec![
        ("AWS CLI", sandbox.aws_cli_caller_arn(profile)),
        ("boto3", sandbox.boto3_caller_arn(profile)),
        ("JS SDK v3", node_caller_arn(sandbox, js, profile)),
        ("Rust SDK", sandbox.rust_sdk_caller_arn(profile)),
    ]
}

fn assert_row(row: Vec<(&str, Result<String, String>)>, what: &str) {
    for (consumer, answer) in row {
        assert_eq!(answer.as_deref(), Ok(SESSION_ARN), "{consumer} with {what}");
    }
}

#[test]
fn a_written_profile_works_for_every_consumer() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let rotated = sandbox
        .rolecreds()
        .args([
            "--role-arn",
            ROLE_DNS_EDITOR_ARN,
            "--profile-name",
            "written",
        ])
        .output()
        .unwrap();
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    assert_row(matrix_row(&sandbox, "written", "ini"), "a written profile");
}

#[test]
fn a_credential_process_profile_works_for_every_consumer() {
    let moto = Moto::start();
    let sandbox = moto.sandbox();
    let alice = moto.alice();
    std::fs::write(
        sandbox.credentials_file(),
        format!(
            "[alice]\naws_access_key_id={}\naws_secret_access_key={}\n",
            alice.id, alice.secret
        ),
    )
    .unwrap();
    // The command names its own environment: the Rust SDK runs it from this test process,
    // whose environment is not the sandbox's.
    let var = |name: &str| sandbox.var(name).unwrap().to_str().unwrap().to_owned();
    std::fs::write(
        sandbox.config_file(),
        format!(
            "[profile via-rolecreds]\ncredential_process = env AWS_ENDPOINT_URL={} \
             AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE={} \
             AWS_SHARED_CREDENTIALS_FILE={} {} --role-arn {ROLE_DNS_EDITOR_ARN} \
             --credential-process --source-profile alice\n",
            var("AWS_ENDPOINT_URL"),
            sandbox.config_file().display(),
            sandbox.credentials_file().display(),
            env!("CARGO_BIN_EXE_rolecreds")
        ),
    )
    .unwrap();
    assert_row(
        matrix_row(&sandbox, "via-rolecreds", "process"),
        "a credential_process profile",
    );
}
