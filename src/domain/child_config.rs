//! The AWS config a child of `exec` sees: the user's own, less every key that names or holds
//! credentials, so that the SDK chain in the child finds no profile credentials and takes the
//! role from the container endpoint, while region, output, retry and S3 settings stay.

/// Keys that hold credentials or say where to get them. Any of them in a profile would make
/// an SDK use that source before (or instead of) the container endpoint.
const CREDENTIAL_KEYS: [&str; 20] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
    "credential_process",
    "credential_source",
    "source_profile",
    "role_arn",
    "role_session_name",
    "external_id",
    "mfa_serial",
    "duration_seconds",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
    "sso_registration_scopes",
    "login_session",
];

/// `config` without the lines that set a credential key (nor the indented lines that
/// continue them); every other line as it was.
pub fn without_credentials(config: &str) -> String {
    let mut kept = String::with_capacity(config.len());
    let mut dropping = false;
    for line in config.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let indented = content.starts_with([' ', '\t']) && !content.trim().is_empty();
        if indented && dropping {
            continue;
        }
        dropping = !indented && is_credential_line(content);
        if !dropping {
            kept.push_str(line);
        }
    }
    kept
}

/// Whether the line sets one of [`CREDENTIAL_KEYS`] (`key = value` or `key: value`).
fn is_credential_line(content: &str) -> bool {
    let trimmed = content.trim_start();
    if trimmed.starts_with(['#', ';', '[']) {
        return false;
    }
    let key = trimmed
        .split(['=', ':'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    CREDENTIAL_KEYS.contains(&key.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_go_and_settings_stay() {
        let config = "\
# my config\n[default]\nregion = eu-west-1\naws_access_key_id=AKIA1\n\
AWS_Secret_Access_Key : s3cr3t\noutput = json\n\
[profile sso]\nsso_session = corp\nsso_account_id = 1\nregion = us-east-1\n\
[profile chained]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n\
s3 =\n  max_concurrent_requests = 20\n\
[profile proc]\ncredential_process = /bin/helper\n  --continued\nretry_mode = adaptive\n\
[sso-session corp]\nsso_start_url = https://x\nsso_region = us-east-1\n";
        let expected = "\
# my config\n[default]\nregion = eu-west-1\noutput = json\n\
[profile sso]\nregion = us-east-1\n\
[profile chained]\n\
s3 =\n  max_concurrent_requests = 20\n\
[profile proc]\nretry_mode = adaptive\n\
[sso-session corp]\n";
        assert_eq!(without_credentials(config), expected);
    }

    #[test]
    fn crlf_and_a_missing_final_newline_are_kept() {
        assert_eq!(
            without_credentials("[default]\r\nregion=x\r\naws_session_token=t"),
            "[default]\r\nregion=x\r\n"
        );
    }
}
