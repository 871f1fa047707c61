//! Text from the other side of a call (an AWS error message, what a credential_process
//! printed, a value that failed to parse), made safe to put in an error line.

/// The most of a message from AWS (or whatever answered) that rolecreds quotes.
const MAX_QUOTED_CHARS: usize = 300;

/// Text from the other side, made safe to print: anything that looks like a secret (a run
/// of 24 or more base64 characters, the shape of secret keys and session tokens) is
/// replaced by `[redacted]`, control characters become spaces (one line per error), and
/// the result is cut to [`MAX_QUOTED_CHARS`].
pub fn quote_safely(text: &str) -> String {
    const SECRET_RUN: usize = 24;
    let is_secret_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    let mut out = String::with_capacity(text.len().min(MAX_QUOTED_CHARS + 16));
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= SECRET_RUN {
            out.push_str("[redacted]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_secret_char(c) {
            run.push(c);
            continue;
        }
        flush(&mut run, &mut out);
        out.push(if c.is_control() { ' ' } else { c });
        if out.chars().count() > MAX_QUOTED_CHARS {
            break;
        }
    }
    flush(&mut run, &mut out);
    match out.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((end, _)) => format!("{}...", &out[..end]),
        None => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_loses_secrets_control_characters_and_length() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let quoted = quote_safely(&format!("bad value {secret}\nnext line"));
        assert_eq!(quoted, "bad value [redacted] next line");
        let arn = "arn:aws:iam::123456789012:role/dns_editor is not authorized";
        assert_eq!(quote_safely(arn), arn);
        let long = "word ".repeat(200);
        let quoted = quote_safely(&long);
        assert!(quoted.ends_with("...") && quoted.chars().count() == MAX_QUOTED_CHARS + 3);
    }
}
