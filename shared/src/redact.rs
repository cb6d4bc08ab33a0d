//! Keeping secrets and hostile bytes out of what people and logs see.
//!
//! A callback URL carries the authorization `code`, and codex's redirect to `/success` carries
//! the id_token: such URLs are shown with every query value replaced. Text that came from the
//! remote host is shown with control characters escaped, so a hostile host cannot drive the
//! user's terminal.

use std::fmt;

/// Longest piece of remote text shown to a person.
pub const MAX_SHOWN: usize = 300;

/// A URL with its query values (and fragment) replaced by `…`, keeping the names for
/// diagnosis: `/auth/callback?code=…&state=…`.
pub fn url(url: &str) -> String {
    let url = url.split('#').next().unwrap_or_default();
    let Some((base, query)) = url.split_once('?') else {
        return printable(url);
    };
    let names: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) => format!("{}=…", printable(name)),
            // A bare word is shown only when it looks like a flag's name, not like a value.
            None if pair.len() <= 32 && pair.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => pair.to_owned(),
            None => "…".to_owned(),
        })
        .collect();
    format!("{}?{}", printable(base), names.join("&"))
}

/// Remote text made safe for a terminal: control characters escaped, length bounded.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_SHOWN));
    for (count, ch) in text.chars().enumerate() {
        if count == MAX_SHOWN {
            out.push('…');
            break;
        }
        if ch.is_control() {
            out.extend(ch.escape_default());
        } else {
            out.push(ch);
        }
    }
    out
}

/// A log line from the host with anything token-shaped masked: JWTs (`eyJ...`), API keys
/// (`sk-...`), and the values of sensitive query parameters or `key=value` pairs. Control
/// characters are escaped as in [`printable`].
pub fn log_line(text: &str) -> String {
    const KEYS: [&str; 8] = [
        "code",
        "id_token",
        "access_token",
        "refresh_token",
        "code_verifier",
        "api_key",
        "token",
        "state",
    ];
    let mut out = mask_runs(text, "eyJ", |run| run.matches('.').count() >= 2);
    out = mask_runs(&out, "sk-", |run| run.len() > 8);
    let words: Vec<String> = out
        .split(' ')
        .map(|word| {
            // `name=value` pairs, possibly several joined by `&` (query strings).
            word.split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, value))
                        if !value.is_empty() && KEYS.contains(&name.trim_start_matches(['?', '/', '"'])) =>
                    {
                        format!("{name}=…")
                    }
                    _ => pair.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("&")
        })
        .collect();
    printable(&words.join(" "))
}

/// Replaces each run of token characters that starts with `prefix` and passes `is_secret`.
fn mask_runs(text: &str, prefix: &str, is_secret: impl Fn(&str) -> bool) -> String {
    let token_char = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let starts_word = rest[..at].chars().next_back().is_none_or(|c| !token_char(c));
        let run_len = rest[at..].find(|c: char| !token_char(c)).unwrap_or(rest.len() - at);
        let run = &rest[at..at + run_len];
        out.push_str(&rest[..at]);
        out.push_str(if starts_word && is_secret(run) { "…" } else { run });
        rest = &rest[at + run_len..];
    }
    out.push_str(rest);
    out
}

/// A secret held in memory: shows as `[redacted]` in any `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hides_every_query_value() {
        let shown = url("/success?id_token=eyJhbGc.eyJ.sig&plan_type=plus#frag");
        assert_eq!(shown, "/success?id_token=…&plan_type=…");
        assert_eq!(
            url("/auth/callback?code=abc&state=xyz"),
            "/auth/callback?code=…&state=…"
        );
        assert_eq!(url("/cancel"), "/cancel");
        assert_eq!(
            url("/x?flag&eyJhbGciOi.eyJzdWIiOjF9.sig"),
            "/x?flag&…",
            "a bare value is hidden too"
        );
    }

    #[test]
    fn printable_escapes_terminal_controls() {
        let shown = printable("ok\x1b]52;c;aGk=\x07\r\nnext");
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(shown.starts_with("ok\\u{1b}]52"));
    }

    #[test]
    fn printable_bounds_length() {
        let shown = printable(&"x".repeat(10_000));
        assert_eq!(shown.chars().count(), MAX_SHOWN + 1);
    }

    #[test]
    fn log_lines_lose_their_tokens() {
        let line = r#"INFO exchanged code=abc123&state=xyz id="eyJhbGciOi.eyJzdWIiOjF9.sig" key sk-proj-abcdefgh1234 has_code=false"#;
        let shown = log_line(line);
        for secret in ["abc123", "xyz", "eyJhbGciOi", "sk-proj-abcdefgh1234"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("has_code=false"),
            "booleans of codex's own log stay: {shown}"
        );
        assert!(shown.contains("code=…&state=…"), "{shown}");
    }

    #[test]
    fn secret_never_displays() {
        let s = Secret::new("sk-live".into());
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "sk-live");
    }
}
