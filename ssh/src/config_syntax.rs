//! The line syntax of an ssh_config file, as OpenSSH's `readconf.c` reads it: `Keyword value`
//! lines and the words of a value, quoted or not.

/// `Keyword value`, `Keyword=value` or `Keyword = value`: the keyword in lower case.
pub fn split_line(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    let end = line.find(|c: char| c.is_whitespace() || c == '=')?;
    let (key, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
    (!key.is_empty() && !rest.is_empty()).then(|| (key.to_ascii_lowercase(), rest.to_owned()))
}

/// Whitespace-separated words, `"double quoted"` ones kept whole.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut current));
                    any = false;
                }
            }
            c => {
                current.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(current);
    }
    out
}

pub fn unquote(value: &str) -> String {
    let value = value.trim();
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_syntax() {
        assert_eq!(split_line("User=me"), Some(("user".into(), "me".into())));
        assert_eq!(split_line("  Port = 22"), Some(("port".into(), "22".into())));
        assert_eq!(words(r#"a "b c" d"#), ["a", "b c", "d"]);
    }
}
