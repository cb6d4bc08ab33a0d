//! OpenSSH's `*` and `?` wildcards, as in its `match_pattern`, for host patterns and
//! `SendEnv` names.

pub fn glob(pattern: &str, text: &str) -> bool {
    matches(pattern.as_bytes(), text.as_bytes())
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
    use super::glob;

    #[test]
    fn wildcards() {
        assert!(glob("*.example.com", "dev.example.com"));
        assert!(glob("LC_*", "LC_ALL"));
        assert!(glob("h?st", "host"));
        assert!(!glob("h?st", "hst"));
        assert!(!glob("*.example.com", "example.com"));
        assert!(glob("*", ""));
    }
}
