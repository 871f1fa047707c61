//! IAM Identity Center (SSO) as the source credentials: aws-config's SSO provider reads the
//! access token that `aws sso login` cached in `~/.aws/sso/cache/<sha1>.json`, trades it at
//! the portal (tests/sso_portal/mod.rs, pointed at by `AWS_ENDPOINT_URL_SSO`, which aws-sdk-sso
//! prefers to the sandbox's `AWS_ENDPOINT_URL`) for role credentials, and rolecreds assumes a
//! role in moto with them. Both profile forms: legacy (`sso_start_url` in the profile; cache
//! file named by the start URL) and `sso_session` (an `[sso-session NAME]` section; cache file
//! named by the session name).
//!
//! The portal hands out real credentials of a moto session of the role
//! `AWSReservedSSO_DNSAdmin_…` for `jane@example.com`, the shape IAM Identity Center gives,
//! so moto keeps enforcing signatures, policies and trust policies throughout.

mod emulator;
mod sso_portal;

use emulator::{ACCOUNT_ID, ALICE_ARN, Moto, ROLE_DNS_EDITOR, ROLE_DNS_EDITOR_ARN, Sandbox};
use sso_portal::{Grant, Request, RoleCredentials, SsoPortal};
use std::process::Output;
use std::time::{Duration, SystemTime};

const START_URL: &str = "https://d-9067c0ffee.awsapps.com/start";
/// The portal's region; the portal is reached through `AWS_ENDPOINT_URL_SSO` whatever it is.
const SSO_REGION: &str = "eu-west-1";
const SSO_SESSION: &str = "corp";
/// The permission set, as `sso_role_name` names it.
const PERMISSION_SET: &str = "DNSAdmin";
/// The role IAM Identity Center makes for the permission set in the account.
const SSO_ROLE: &str = "AWSReservedSSO_DNSAdmin_0123456789abcdef";
const SSO_ROLE_PATH: &str = "/aws-reserved/sso.amazonaws.com/";
/// Identity Center names the role session after the user's login.
const SSO_USER: &str = "jane@example.com";
const SSO_CALLER_ARN: &str = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_DNSAdmin_0123456789abcdef/jane@example.com";
/// The access token `aws sso login` would cache.
const ACCESS_TOKEN: &str = "aoaAAAAAGcorpSsoAccessToken0123456789abcdefQ7z9K2w4X8v6B3n5M1p0";
const OUT: &str = "out";
/// rolecreds' default session name `{user}@{role}.{account}` with the name from the caller ARN.
const SESSION_NAME: &str = "jane@example.com@dns_editor.123456789012";

const CONFIG: &str = "\
[profile sso-legacy]
sso_start_url = https://d-9067c0ffee.awsapps.com/start
sso_region = eu-west-1
sso_account_id = 123456789012
sso_role_name = DNSAdmin
region = us-east-1

[profile sso-session]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = DNSAdmin
region = us-east-1

[sso-session corp]
sso_start_url = https://d-9067c0ffee.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
";

/// How a profile names its SSO login, which decides the cache file aws-config reads.
#[derive(Clone, Copy, Debug)]
enum Form {
    /// `sso_start_url` in the profile: the cache file is named by the start URL.
    Legacy,
    /// `sso_session = corp`: the cache file is named by the session name.
    Session,
}

impl Form {
    fn profile(self) -> &'static str {
        match self {
            Form::Legacy => "sso-legacy",
            Form::Session => "sso-session",
        }
    }

    fn cache_key(self) -> &'static str {
        match self {
            Form::Legacy => START_URL,
            Form::Session => SSO_SESSION,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Makes moto's side of an Identity Center assignment: the `AWSReservedSSO_…` role (allowed
/// to assume roles) and a session of it for jane, which `dns_editor` then trusts; returns the
/// session's credentials as the portal hands them out. Leaves auth enforced.
fn provision_sso_session(moto: &Moto) -> RoleCredentials {
    moto.set_auth_enforced(false);
    let config = moto.sdk_config(moto.alice(), None);
    let credentials = Moto::block_on(async move {
        let iam = aws_sdk_iam::Client::new(&config);
        let trusts = |principals: &[&str]| {
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"AWS": principals},
                    "Action": "sts:AssumeRole"
                }]
            })
            .to_string()
        };
        iam.create_role()
            .role_name(SSO_ROLE)
            .path(SSO_ROLE_PATH)
            .assume_role_policy_document(trusts(&[ALICE_ARN]))
            .send()
            .await
            .expect("CreateRole for the SSO role");
        let permissions = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]
        });
        iam.put_role_policy()
            .role_name(SSO_ROLE)
            .policy_name("assume-roles")
            .policy_document(permissions.to_string())
            .send()
            .await
            .expect("PutRolePolicy for the SSO role");
        iam.update_assume_role_policy()
            .role_name(ROLE_DNS_EDITOR)
            .policy_document(trusts(&[ALICE_ARN, SSO_CALLER_ARN]))
            .send()
            .await
            .expect("UpdateAssumeRolePolicy for dns_editor");
        let session = aws_sdk_sts::Client::new(&config)
            .assume_role()
            .role_arn(format!(
                "arn:aws:iam::{ACCOUNT_ID}:role{SSO_ROLE_PATH}{SSO_ROLE}"
            ))
            .role_session_name(SSO_USER)
            .send()
            .await
            .expect("AssumeRole of the SSO role");
        session
            .credentials()
            .cloned()
            .expect("SSO role credentials")
    });
    moto.set_auth_enforced(true);
    RoleCredentials {
        access_key_id: credentials.access_key_id().to_owned(),
        secret_access_key: credentials.secret_access_key().to_owned(),
        session_token: credentials.session_token().to_owned(),
        expiration_millis: credentials
            .expiration()
            .to_millis()
            .expect("expiration in millis"),
    }
}

/// Credentials the portal hands out in tests that fail before they could be used.
fn unusable_credentials() -> RoleCredentials {
    RoleCredentials {
        access_key_id: "ASIASSOPORTAL0000001".into(),
        secret_access_key: "sso/portal/secret/never/used/000000000000".into(),
        session_token: "sso-portal-session-token-never-used".into(),
        expiration_millis: millis(SystemTime::now() + Duration::from_secs(3600)),
    }
}

fn millis(time: SystemTime) -> i64 {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970");
    i64::try_from(since.as_millis()).expect("millis fit i64")
}

fn grant(credentials: RoleCredentials) -> Grant {
    Grant {
        token: ACCESS_TOKEN.into(),
        account_id: ACCOUNT_ID.into(),
        role_name: PERMISSION_SET.into(),
        credentials,
    }
}

/// The one request the portal should see for a profile of [`CONFIG`].
fn expected_request() -> Request {
    Request {
        method: "GET".into(),
        path: "/federation/credentials".into(),
        account_id: Some(ACCOUNT_ID.into()),
        role_name: Some(PERMISSION_SET.into()),
        bearer_token: Some(ACCESS_TOKEN.into()),
    }
}

/// `~/.aws/sso/cache/<hex sha1 of key>.json`, where aws-config looks for the token.
fn cache_file(sandbox: &Sandbox, key: &str) -> std::path::PathBuf {
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, key.as_bytes());
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    sandbox
        .home()
        .join(".aws/sso/cache")
        .join(format!("{hex}.json"))
}

/// Writes [`CONFIG`] and a cached token for `form` as `aws sso login` leaves it, expiring at
/// `expires_at`. No refresh fields: aws-config must use the token as it is, never refresh it.
fn log_in(sandbox: &Sandbox, form: Form, token: &str, expires_at: SystemTime) {
    std::fs::write(sandbox.config_file(), CONFIG).expect("write ~/.aws/config");
    let path = cache_file(sandbox, form.cache_key());
    std::fs::create_dir_all(path.parent().expect("cache dir")).expect("create the SSO cache");
    let cached = serde_json::json!({
        "startUrl": START_URL,
        "region": SSO_REGION,
        "accessToken": token,
        "expiresAt": humantime::format_rfc3339_seconds(expires_at).to_string(),
    });
    std::fs::write(&path, cached.to_string()).expect("write the cached SSO token");
}

fn in_hours(hours: u64) -> SystemTime {
    SystemTime::now() + Duration::from_secs(hours * 3600)
}

fn hours_ago(hours: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(hours * 3600)
}

/// The sandbox's environment, pointed at `portal` for SSO, without any source keys.
fn sso_only(sandbox: &mut Sandbox, portal: &SsoPortal) {
    sandbox
        .set("AWS_ENDPOINT_URL_SSO", portal.endpoint())
        .remove("AWS_ACCESS_KEY_ID")
        .remove("AWS_SECRET_ACCESS_KEY");
}

fn rolecreds(sandbox: &Sandbox, args: &[&str]) -> Output {
    sandbox
        .rolecreds()
        .args(args)
        .output()
        .expect("run rolecreds")
}

fn describe(output: &Output) -> String {
    format!(
        "{}\n  stdout: {:?}\n  stderr: {:?}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Exit 0 and the `--output json` report; checks the written profile works for the AWS CLI
/// as the session named after the SSO user.
fn assert_assumed_from_sso(sandbox: &Sandbox, output: &Output, portal: &SsoPortal) {
    assert_eq!(output.status.code(), Some(0), "{}", describe(output));
    assert_eq!(
        portal.requests(),
        [expected_request()],
        "{}",
        describe(output)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON report ({e}): {}", describe(output)));
    assert_eq!(report["profile"], OUT, "{report}");
    assert_eq!(report["role_arn"], ROLE_DNS_EDITOR_ARN, "{report}");
    assert_eq!(report["session_name"], SESSION_NAME, "{report}");
    assert_eq!(
        sandbox.aws_cli_caller_arn(OUT),
        Ok(format!(
            "arn:aws:sts::123456789012:assumed-role/dns_editor/{SESSION_NAME}"
        ))
    );
}

/// Exit 3 (AWS refused), one `rolecreds: error:` line that tells the user to run
/// `aws sso login`, nothing written, and no token in the message.
fn assert_needs_sso_login(sandbox: &Sandbox, output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{}", describe(output));
    assert!(
        stderr.starts_with("rolecreds: error: ") && stderr.trim_end().lines().count() == 1,
        "expected one line starting `rolecreds: error: `: {}",
        describe(output)
    );
    assert!(
        stderr.contains("aws sso login"),
        "the message should say to run `aws sso login`: {}",
        describe(output)
    );
    assert!(!stderr.contains(ACCESS_TOKEN), "the token leaked: {stderr}");
    assert!(
        !sandbox.credentials_file().exists(),
        "nothing should be written: {:?}",
        std::fs::read_to_string(sandbox.credentials_file())
    );
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
fn a_legacy_sso_profile_is_the_source_profile() {
    let moto = Moto::start();
    let portal = SsoPortal::start(grant(provision_sso_session(&moto)));
    // alice's keys stay in the environment: --source-profile must win over them.
    let mut sandbox = moto.sandbox();
    sandbox.set("AWS_ENDPOINT_URL_SSO", portal.endpoint());
    log_in(&sandbox, Form::Legacy, ACCESS_TOKEN, in_hours(8));
    let output = rolecreds(
        &sandbox,
        &[
            "--role-arn",
            ROLE_DNS_EDITOR_ARN,
            "--profile-name",
            OUT,
            "--source-profile",
            Form::Legacy.profile(),
            "--output",
            "json",
        ],
    );
    assert_assumed_from_sso(&sandbox, &output, &portal);
}

#[test]
fn an_sso_session_profile_in_aws_profile_is_the_source() {
    let moto = Moto::start();
    let portal = SsoPortal::start(grant(provision_sso_session(&moto)));
    let mut sandbox = moto.sandbox();
    sso_only(&mut sandbox, &portal);
    sandbox.set("AWS_PROFILE", Form::Session.profile());
    log_in(&sandbox, Form::Session, ACCESS_TOKEN, in_hours(8));
    let output = rolecreds(
        &sandbox,
        &[
            "--role-arn",
            ROLE_DNS_EDITOR_ARN,
            "--profile-name",
            OUT,
            "--output",
            "json",
        ],
    );
    assert_assumed_from_sso(&sandbox, &output, &portal);
}

#[test]
fn an_expired_sso_session_token_asks_for_aws_sso_login() {
    let portal = SsoPortal::start(grant(unusable_credentials()));
    let mut sandbox = Sandbox::offline();
    sso_only(&mut sandbox, &portal);
    sandbox.set("AWS_PROFILE", Form::Session.profile());
    log_in(&sandbox, Form::Session, ACCESS_TOKEN, hours_ago(1));
    let output = rolecreds(
        &sandbox,
        &["--role-arn", ROLE_DNS_EDITOR_ARN, "--profile-name", OUT],
    );
    // aws-config sees the expiry itself and never asks the portal.
    assert_eq!(portal.requests(), [], "{}", describe(&output));
    assert_needs_sso_login(&sandbox, &output);
}

#[test]
fn an_expired_legacy_sso_token_asks_for_aws_sso_login() {
    // aws-config does not read the expiry of a legacy profile's token: it sends it, and the
    // portal, which no longer knows it, answers 401.
    let portal = SsoPortal::start(grant(unusable_credentials()));
    let mut sandbox = Sandbox::offline();
    sso_only(&mut sandbox, &portal);
    let expired_token = "aoaAAAAAGexpiredSsoAccessToken000000000000000000000000000000";
    log_in(&sandbox, Form::Legacy, expired_token, hours_ago(1));
    let output = rolecreds(
        &sandbox,
        &[
            "--role-arn",
            ROLE_DNS_EDITOR_ARN,
            "--profile-name",
            OUT,
            "--source-profile",
            Form::Legacy.profile(),
        ],
    );
    let sent: Vec<Option<String>> = portal
        .requests()
        .into_iter()
        .map(|r| r.bearer_token)
        .collect();
    assert_eq!(
        sent,
        [Some(expired_token.to_owned())],
        "{}",
        describe(&output)
    );
    assert_needs_sso_login(&sandbox, &output);
}

#[test]
fn a_revoked_sso_token_asks_for_aws_sso_login() {
    let portal = SsoPortal::start(grant(unusable_credentials()));
    portal.revoke();
    let mut sandbox = Sandbox::offline();
    sso_only(&mut sandbox, &portal);
    sandbox.set("AWS_PROFILE", Form::Session.profile());
    log_in(&sandbox, Form::Session, ACCESS_TOKEN, in_hours(8));
    let output = rolecreds(
        &sandbox,
        &["--role-arn", ROLE_DNS_EDITOR_ARN, "--profile-name", OUT],
    );
    assert_eq!(
        portal.requests(),
        [expected_request()],
        "{}",
        describe(&output)
    );
    assert_needs_sso_login(&sandbox, &output);
}

#[test]
fn without_an_sso_login_rolecreds_asks_for_aws_sso_login() {
    for form in [Form::Legacy, Form::Session] {
        let portal = SsoPortal::start(grant(unusable_credentials()));
        let mut sandbox = Sandbox::offline();
        sso_only(&mut sandbox, &portal);
        sandbox.set("AWS_PROFILE", form.profile());
        std::fs::write(sandbox.config_file(), CONFIG).expect("write ~/.aws/config");
        let output = rolecreds(
            &sandbox,
            &["--role-arn", ROLE_DNS_EDITOR_ARN, "--profile-name", OUT],
        );
        assert_eq!(portal.requests(), [], "{form:?}: {}", describe(&output));
        assert_needs_sso_login(&sandbox, &output);
    }
}
