//! `--from-profile`: a role profile of ~/.aws/config (read with aws-config's parser) drives the
//! rotation, its source chain followed by the SDK; flags override its values; the written
//! profile is one the AWS CLI can use, under a name that cannot shadow the role profile.

mod emulator;

use emulator::{Moto, ROLE_DNS_EDITOR_ARN};

const SESSION_ARN: &str =
    "arn:aws:sts::123456789012:assumed-role/dns_editor/alice@dns_editor.123456789012";

fn seed_files(sandbox: &emulator::Sandbox, moto: &Moto, config: &str) {
    let alice = moto.alice();
    std::fs::write(sandbox.credentials_file(), alice.profile("alice")).unwrap();
    std::fs::write(sandbox.config_file(), config).unwrap();
}

#[test]
fn a_role_profile_is_assumed_and_written_beside_it() {
    let moto = Moto::start();
    let mut sandbox = moto.sandbox();
    sandbox
        .remove("AWS_ACCESS_KEY_ID")
        .remove("AWS_SECRET_ACCESS_KEY");
    let config = format!(
        "[profile dns]\nrole_arn = {ROLE_DNS_EDITOR_ARN}\nsource_profile = alice\n\
         duration_seconds = 7200\n"
    );
    seed_files(&sandbox, &moto, &config);
    let output = sandbox
        .rolecreds()
        .args(["--from-profile", "dns", "--output", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["profile"], "dns-rolecreds", "{report}");
    assert_eq!(report["role_arn"], ROLE_DNS_EDITOR_ARN);
    let expires = rolecreds::domain::credentials_json::parse_expiration(
        report["expiration"].as_str().unwrap(),
    )
    .unwrap();
    let left = expires
        .duration_since(std::time::SystemTime::now())
        .unwrap();
    assert!(
        left.as_secs() > 7000,
        "duration_seconds = 7200 was not used: {left:?}"
    );
    assert_eq!(
        sandbox.aws_cli_caller_arn("dns-rolecreds").as_deref(),
        Ok(SESSION_ARN)
    );
}

#[test]
fn flags_override_the_role_profile() {
    let moto = Moto::start();
    let mut sandbox = moto.sandbox();
    sandbox
        .remove("AWS_ACCESS_KEY_ID")
        .remove("AWS_SECRET_ACCESS_KEY");
    let config = format!(
        "[profile dns]\nrole_arn = {ROLE_DNS_EDITOR_ARN}\nsource_profile = alice\n\
         duration_seconds = 7200\nrole_session_name = from-config\n"
    );
    seed_files(&sandbox, &moto, &config);
    let output = sandbox
        .rolecreds()
        .args([
            "--from-profile",
            "dns",
            "--duration",
            "15m",
            "--profile-name",
            "mine",
        ])
        .args(["--output", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["profile"], "mine");
    assert_eq!(report["session_name"], "from-config");
    let expires = rolecreds::domain::credentials_json::parse_expiration(
        report["expiration"].as_str().unwrap(),
    )
    .unwrap();
    let left = expires
        .duration_since(std::time::SystemTime::now())
        .unwrap();
    assert!(
        left.as_secs() <= 900,
        "--duration did not override: {left:?}"
    );
}

#[test]
fn a_bad_role_profile_is_refused_before_any_network_call() {
    let moto = Moto::start();
    let mut sandbox = moto.sandbox();
    sandbox.set("AWS_ENDPOINT_URL", emulator::closed_endpoint());
    let cases = [
        (
            "[profile a]\nrole_arn = R\nsource_profile = b\n[profile b]\nrole_arn = R\nsource_profile = a\n",
            "a",
            "source_profile cycle a -> b -> a",
        ),
        (
            "[profile p]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = alice\n",
            "p",
            "in the role profile: invalid --role-arn",
        ),
        (
            "[profile w]\nrole_arn = R\nweb_identity_token_file = /t\n",
            "w",
            "web_identity_token_file is not supported",
        ),
        ("", "nope", "no such profile"),
    ];
    for (config, name, expected) in cases {
        seed_files(&sandbox, &moto, config);
        let before = std::fs::read(sandbox.credentials_file()).unwrap();
        let output = sandbox
            .rolecreds()
            .args(["--from-profile", name])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{config}: {stderr}");
        assert!(
            stderr.starts_with("rolecreds: error: ") && stderr.contains(expected),
            "{stderr}"
        );
        assert_eq!(std::fs::read(sandbox.credentials_file()).unwrap(), before);
    }
}

/// A role profile whose source is another role profile (outer → inner → alice's keys): the
/// SDK follows the chain in the region AWS_REGION names, with no `--region` and no region in
/// the config. moto's trust checks would refuse the second hop (the trust policy names alice,
/// not inner's session), so auth enforcement is off.
#[test]
fn a_chain_of_two_role_profiles_works_with_aws_region() {
    let moto = Moto::start();
    moto.set_auth_enforced(false);
    let mut sandbox = moto.sandbox();
    sandbox
        .remove("AWS_ACCESS_KEY_ID")
        .remove("AWS_SECRET_ACCESS_KEY")
        .set("AWS_REGION", emulator::REGION);
    let config = format!(
        "[profile outer]\nrole_arn = {ROLE_DNS_EDITOR_ARN}\nsource_profile = inner\n\n\
         [profile inner]\nrole_arn = {}\nsource_profile = alice\n",
        emulator::ROLE_TEAM_X_ARN
    );
    seed_files(&sandbox, &moto, &config);
    let output = sandbox
        .rolecreds()
        .args(["--from-profile", "outer", "--profile-name", "out"])
        .args(["--output", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["profile"], "out", "{report}");
    assert_eq!(report["role_arn"], ROLE_DNS_EDITOR_ARN, "{report}");
    let text = std::fs::read_to_string(sandbox.credentials_file()).unwrap();
    let profiles = rolecreds::domain::editor::validate::parse_credentials_text(&text).unwrap();
    let out = profiles
        .get_profile("out")
        .unwrap_or_else(|| panic!("no [out] profile:\n{text}"));
    assert!(
        out.get("aws_session_token").is_some_and(|t| !t.is_empty()),
        "[out] has no session token:\n{text}"
    );
    // The written keys are a dns_editor session (moto resolves them with auth off too).
    // Not counted through /moto-api/data.json: moto answers it with a 500 once iam:GetUser
    // was called with a session key, which naming this session may do.
    let caller = sandbox
        .aws_cli_caller_arn("out")
        .unwrap_or_else(|e| panic!("the AWS CLI cannot use [out]: {e}"));
    assert!(
        caller.starts_with("arn:aws:sts::123456789012:assumed-role/dns_editor/"),
        "{caller}"
    );
}
