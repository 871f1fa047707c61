//! The committed completions and man page match what the current flags generate; if this
//! fails, run `scripts/generate` and commit the result. Also checks they are well-formed:
//! `bash -n` on the bash completion, and groff renders the man page without warnings.

use std::process::Command;

const GENERATED: [(&str, &str); 6] = [
    ("bash", "completions/rolecreds.bash"),
    ("zsh", "completions/_rolecreds"),
    ("fish", "completions/rolecreds.fish"),
    ("powershell", "completions/_rolecreds.ps1"),
    ("elvish", "completions/rolecreds.elv"),
    ("man", "man/rolecreds.1"),
];

fn path(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

#[test]
fn committed_files_match_fresh_output() {
    for (kind, file) in GENERATED {
        let fresh = Command::new(env!("CARGO_BIN_EXE_rolecreds"))
            .args(["--generate", kind])
            .output()
            .unwrap();
        assert!(fresh.status.success(), "--generate {kind} failed");
        let committed = std::fs::read(path(file)).unwrap_or_default();
        assert!(
            committed == fresh.stdout,
            "{file} is stale: run scripts/generate and commit the result"
        );
    }
}

#[test]
fn bash_completion_parses() {
    let status = Command::new("bash")
        .arg("-n")
        .arg(path("completions/rolecreds.bash"))
        .status()
        .expect("bash is needed to check the completion");
    assert!(status.success());
}

#[test]
fn man_page_renders_without_warnings() {
    let output = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(path("man/rolecreds.1"))
        .output()
        .expect("groff is needed to check the man page (scripts/test-deps installs it)");
    let warnings = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && warnings.is_empty(), "{warnings}");
    for section in ["EXAMPLES", "EXIT STATUS", "ENVIRONMENT", "FILES", "OPTIONS"] {
        let page = std::fs::read_to_string(path("man/rolecreds.1")).unwrap();
        assert!(
            page.contains(&format!(".SH {section}"))
                || page.contains(&format!(".SH \"{section}\"")),
            "{section}"
        );
    }
}
