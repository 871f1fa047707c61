//! `rolecreds status` as a real process: which profiles it lists, its exit code for one
//! profile's freshness, its JSON, and that no secret ever appears.

use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

fn status(file: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rolecreds"))
        .env_clear()
        .arg("status")
        .arg("--credentials-file")
        .arg(file)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn lists_temporary_profiles_and_answers_for_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    let now = SystemTime::now();
    let soon = rfc3339(now + Duration::from_secs(5 * 60));
    let later = rfc3339(now + Duration::from_secs(2 * 3600));
    let past = rfc3339(now - Duration::from_secs(600));
    std::fs::write(
        &file,
        format!(
            "[long]\naws_access_key_id=AKIALONG\naws_secret_access_key=CANARYSECRET\n\
             [soon]\naws_access_key_id=ASIASOON\naws_secret_access_key=CANARYSECRET\n\
             aws_session_token=CANARYTOKEN\nx_security_token_expires={soon}\n\
             [later]\naws_access_key_id=ASIALATER\naws_secret_access_key=CANARYSECRET\n\
             aws_session_token=CANARYTOKEN\naws_credential_expiration={later}\n\
             [gone]\naws_access_key_id=ASIAGONE\naws_secret_access_key=CANARYSECRET\n\
             aws_session_token=CANARYTOKEN\nexpiration={past}\n"
        ),
    )
    .unwrap();

    let all = status(&file, &[]);
    let text = String::from_utf8_lossy(&all.stdout);
    assert!(all.status.success());
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 4, "header + 3 temporary profiles:\n{text}");
    assert!(
        rows[1].starts_with("gone") && rows[1].contains("expired"),
        "{text}"
    );
    assert!(
        rows[2].starts_with("later") && rows[2].contains("in 2h"),
        "{text}"
    );
    assert!(
        rows[3].starts_with("soon") && rows[3].contains(&soon),
        "{text}"
    );
    assert!(
        !text.contains("long"),
        "long-term keys are not listed:\n{text}"
    );

    let cases: &[(&[&str], i32)] = &[
        (&["--profile", "later", "--min-remaining", "1h"], 0),
        (&["--profile", "soon"], 0),
        (&["--profile", "soon", "--min-remaining", "10m"], 7),
        (&["--profile", "gone"], 7),
        (&["--profile", "missing"], 7),
        (&["--profile", "a b"], 2),
    ];
    for (args, code) in cases {
        let out = status(&file, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {stderr}");
        if *code == 7 {
            assert!(stderr.starts_with("rolecreds: error: profile"), "{stderr}");
        }
    }

    let json = status(&file, &["--output", "json"]);
    let listed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(listed[0]["profile"], "gone");
    assert_eq!(listed[0]["expired"], true);
    assert_eq!(listed[1]["expiration"], later.as_str());
    assert!(listed[1]["seconds_left"].as_u64().unwrap() > 7000);

    for out in [all, json] {
        let shown = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!shown.contains("CANARY"), "a secret was shown:\n{shown}");
    }
}
