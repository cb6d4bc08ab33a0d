//! OpenSSH's `*` and `?` wildcards, as in its `match_pattern`, for host patterns and
//! `SendEnv` names; and its pattern lists with `!` negation, as in `match_pattern_list`.

pub fn glob(pattern: &str, text: &str) -> bool {
    matches(pattern.as_bytes(), text.as_bytes())
}

/// Whether `subject` matches a list of patterns (a `Host` line's words, `Match host a,!b,*.c`),
/// without regard to case: some pattern matches it, and no negated one (`!pattern`) does.
pub fn list_matches<'a>(patterns: impl IntoIterator<Item = &'a str>, subject: &str) -> bool {
    let subject = subject.to_ascii_lowercase();
    let mut matched = false;
    for pattern in patterns {
        let pattern = pattern.to_ascii_lowercase();
        match pattern.strip_prefix('!') {
            Some(negated) if glob(negated, &subject) => return false,
            Some(_) => {}
            None => matched |= glob(&pattern, &subject),
        }
    }
    matched
}

fn matches(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.split_first(), text.split_first()) {
        (None, None) => true,
        (Some((b'*', rest)), _) => (0..=text.len()).any(|skip| matches(rest, &text[skip..])),
        (Some((b'?', rest)), Some((_, text_rest))) => matches(rest, text_rest),
        (Some((p, rest)), Some((t, text_rest))) if p == t => matches(rest, text_rest),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{glob, list_matches};

    #[test]
    fn wildcards() {
        assert!(glob("*.example.com", "dev.example.com"));
        assert!(glob("LC_*", "LC_ALL"));
        assert!(glob("h?st", "host"));
        assert!(!glob("h?st", "hst"));
        assert!(!glob("*.example.com", "example.com"));
        assert!(glob("*", ""));
    }

    /// A negated pattern decides, wherever it stands; case does not matter.
    #[test]
    fn lists() {
        assert!(list_matches(["*.Example.com", "!bad.example.com"], "Dev.example.COM"));
        assert!(!list_matches(["!bad.example.com", "*.example.com"], "bad.example.com"));
        assert!(!list_matches(["!bad"], "good"), "a negation alone matches nothing");
        assert!(!list_matches([], "x"));
    }
}
