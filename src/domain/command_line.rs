//! A command line given as one string (`--mfa-process 'ykman oath accounts code -s aws'`),
//! split into words the way a POSIX shell would for the simple cases (whitespace, single and
//! double quotes, backslash escapes), so that it can be run without a shell: no expansion,
//! no substitution, no pipes.

/// The words of `text`; an error for an unclosed quote or an empty command.
pub fn split(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let quoted = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => quoted.push(c),
                        None => return Err("a ' has no closing '".into()),
                    }
                }
            }
            '"' => {
                let quoted = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => quoted.push(c),
                            Some(c) => {
                                quoted.push('\\');
                                quoted.push(c);
                            }
                            None => return Err("a \" has no closing \"".into()),
                        },
                        Some(c) => quoted.push(c),
                        None => return Err("a \" has no closing \"".into()),
                    }
                }
            }
            '\\' => {
                if let Some(c) = chars.next() {
                    word.get_or_insert_with(String::new).push(c);
                }
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    if words.is_empty() {
        return Err("the command is empty".into());
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell_without_expanding() {
        let cases: [(&str, &[&str]); 6] = [
            (
                "ykman oath accounts code -s aws",
                &["ykman", "oath", "accounts", "code", "-s", "aws"],
            ),
            (
                "  op  read 'op://vault/aws/one-time password' ",
                &["op", "read", "op://vault/aws/one-time password"],
            ),
            (
                r#"sh -c "echo \"$HOME\"""#,
                &["sh", "-c", r#"echo "$HOME""#],
            ),
            (r"a\ b c", &["a b", "c"]),
            ("x ''", &["x", ""]),
            ("$(rm -rf /) ; |", &["$(rm", "-rf", "/)", ";", "|"]),
        ];
        for (text, expected) in cases {
            assert_eq!(split(text).unwrap(), expected, "{text}");
        }
        assert!(split("a 'b").is_err());
        assert!(split("a \"b").is_err());
        assert!(split("   ").is_err());
    }
}
