//! The floor for `scripts/bench-edit`: the least work any durable profile edit must do, with
//! the standard library only. Reads credentials JSON on stdin and the credentials file,
//! replaces the profile's four credential lines by plain string search, writes a temp file
//! beside it, fsyncs it, renames it over the file and fsyncs the directory. No lock, no
//! checks, no validation: whatever rolecreds spends beyond this is the price of its safety.
//!
//! Usage: `edit_floor FILE PROFILE < credentials.json`

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

const KEYS: [(&str, &str); 4] = [
    ("aws_access_key_id", "AccessKeyId"),
    ("aws_secret_access_key", "SecretAccessKey"),
    ("aws_session_token", "SessionToken"),
    ("x_security_token_expires", "Expiration"),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, profile] = args.as_slice() else {
        eprintln!("usage: edit_floor FILE PROFILE < credentials.json");
        return ExitCode::from(2);
    };
    match edit(Path::new(path), profile) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("edit_floor: {err}");
            ExitCode::FAILURE
        }
    }
}

fn edit(path: &Path, profile: &str) -> Result<(), String> {
    let mut json = String::new();
    std::io::stdin()
        .read_to_string(&mut json)
        .map_err(|e| format!("stdin: {e}"))?;
    let values: Vec<&str> = KEYS
        .iter()
        .map(|(_, field)| json_string(&json, field).ok_or(format!("no {field} in the JSON")))
        .collect::<Result<_, _>>()?;
    let text = fs::read_to_string(path).map_err(|e| format!("read: {e}"))?;
    let new = replace_profile(&text, profile, &values);
    write_atomically(path, new.as_bytes()).map_err(|e| format!("write: {e}"))
}

/// The string value of `"field": "..."` in a flat JSON document (no escapes expected).
fn json_string<'j>(json: &'j str, field: &str) -> Option<&'j str> {
    let at = json.find(&format!("\"{field}\""))? + field.len() + 2;
    let rest = json[at..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    rest.find('"').map(|end| &rest[..end])
}

/// Replaces the value of each credential key inside `[profile]`, appending keys it lacks at the
/// end of the section, or a new section at the end of the file.
fn replace_profile(text: &str, profile: &str, values: &[&str]) -> String {
    let mut out = String::with_capacity(text.len() + values.iter().map(|v| v.len()).sum::<usize>());
    let header = format!("[{profile}]\n");
    let start = if text.starts_with(&header) {
        Some(0)
    } else {
        text.find(&format!("\n{header}")).map(|i| i + 1)
    };
    let Some(start) = start else {
        out.push_str(text);
        if !text.is_empty() && !text.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&header);
        for ((key, _), value) in KEYS.iter().zip(values) {
            out.push_str(&format!("{key}={value}\n"));
        }
        return out;
    };
    let body_start = start + header.len();
    let end = text[body_start..]
        .find("\n[")
        .map_or(text.len(), |i| body_start + i + 1);
    out.push_str(&text[..body_start]);
    let mut missing = Vec::new();
    let mut body = text[body_start..end].to_owned();
    for ((key, _), value) in KEYS.iter().zip(values) {
        let prefix = format!("{key}=");
        let line_start = if body.starts_with(&prefix) {
            Some(0)
        } else {
            body.find(&format!("\n{prefix}")).map(|i| i + 1)
        };
        match line_start {
            Some(line_start) => {
                let value_start = line_start + prefix.len();
                let value_end = body[value_start..]
                    .find('\n')
                    .map_or(body.len(), |i| value_start + i);
                body.replace_range(value_start..value_end, value);
            }
            None => missing.push(format!("{key}={value}\n")),
        }
    }
    out.push_str(&body);
    for line in missing {
        out.push_str(&line);
    }
    out.push_str(&text[end..]);
    out
}

fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(".{name}.floor-{}.tmp", std::process::id()));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temp, path)?;
    File::open(dir)?.sync_all()
}
