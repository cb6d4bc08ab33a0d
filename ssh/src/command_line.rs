//! Windows command lines, for a ProxyCommand run as Windows OpenSSH runs it: split into the
//! program and its arguments and started directly, never through `cmd /c` (whose quoting and
//! `%VAR%` expansion would change what the user wrote, and give a host name that carries
//! `&` a way into a shell). The rules are those of `CommandLineToArgvW` and the C runtime,
//! which is how the started program would split its own command line. Pure, so that the
//! Linux build tests them too.

/// `line` split as a Windows program splits its command line: arguments separated by spaces
/// or tabs; `"` quotes; `\` is literal except before a `"` (2n backslashes and a quote are n
/// backslashes and a quote that opens or closes; 2n+1 are n and a literal `"`); `""` inside
/// quotes is a literal `"`. The first word, the program, is taken as the system takes it:
/// up to the next quote when it starts with one, else up to whitespace, backslashes literal.
pub fn split(line: &str) -> Vec<String> {
    let line = line.trim_start_matches([' ', '\t']);
    let mut words = Vec::new();
    let rest = match line.strip_prefix('"') {
        Some(quoted) => {
            let end = quoted.find('"').unwrap_or(quoted.len());
            words.push(quoted[..end].to_owned());
            quoted.get(end + 1..).unwrap_or("")
        }
        None => {
            let end = line.find([' ', '\t']).unwrap_or(line.len());
            if end > 0 {
                words.push(line[..end].to_owned());
            }
            &line[end..]
        }
    };
    let mut chars = rest.chars().peekable();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' if !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                let mut count = 1;
                while chars.peek() == Some(&'\\') {
                    chars.next();
                    count += 1;
                }
                in_word = true;
                if chars.peek() == Some(&'"') {
                    word.extend(std::iter::repeat_n('\\', count / 2));
                    if count % 2 == 1 {
                        chars.next();
                        word.push('"');
                    }
                } else {
                    word.extend(std::iter::repeat_n('\\', count));
                }
            }
            '"' => {
                in_word = true;
                if quoted && chars.peek() == Some(&'"') {
                    chars.next();
                    word.push('"');
                } else {
                    quoted = !quoted;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// `value` as one word of a Windows command line, for a name already checked against
/// OpenSSH's rules (so without `"`, and a user name not ending in `\`): quoted only when it
/// holds whitespace or is empty.
pub fn word(value: &str) -> String {
    if value.is_empty() || value.contains([' ', '\t']) {
        format!("\"{value}\"")
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_windows_programs_do() {
        let cases: &[(&str, &[&str])] = &[
            ("ssh -W %h:%p gw", &["ssh", "-W", "%h:%p", "gw"]),
            (
                r#""C:\Program Files\OpenSSH\ssh.exe" -W host:22 "my gateway""#,
                &[r"C:\Program Files\OpenSSH\ssh.exe", "-W", "host:22", "my gateway"],
            ),
            // Backslashes are literal unless a quote follows them.
            (r"C:\bin\nc.exe C:\dir\ x", &[r"C:\bin\nc.exe", r"C:\dir\", "x"]),
            (r#"p a\\"b c" d"#, &["p", r"a\b c", "d"]),
            (r#"p a\"b"#, &["p", r#"a"b"#]),
            (r#"p "a""b" """#, &["p", r#"a"b"#, ""]),
            // No shell: `&`, `|`, `%VAR%` and `^` reach the program as written.
            (
                "nc.exe host 22 & calc %PATH% ^x",
                &["nc.exe", "host", "22", "&", "calc", "%PATH%", "^x"],
            ),
            ("  \tprog\t a  ", &["prog", "a"]),
            ("", &[]),
        ];
        for (line, want) in cases {
            assert_eq!(split(line), *want, "{line}");
        }
    }

    #[test]
    fn a_word_survives_the_split() {
        for value in ["alice", "Alice Smith", "DOMAIN\\alice", "a\tb", ""] {
            assert_eq!(split(&format!("p {} x", word(value))), ["p", value, "x"], "{value:?}");
        }
    }
}
