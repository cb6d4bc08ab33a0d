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
        push_shown(&mut out, ch);
    }
    out
}

/// Text of our own, which may hold remote text somewhere inside, made safe for a terminal
/// just before it is written: the last line of defence behind [`printable`]. Line ends are
/// kept (our messages have several lines); every other control is escaped. No length bound.
pub fn terminal(text: &str) -> String {
    if !text.chars().any(|ch| ch != '\n' && is_hostile(ch)) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for ch in text.chars() {
        if ch == '\n' {
            out.push(ch);
        } else {
            push_shown(&mut out, ch);
        }
    }
    out
}

/// A character that can drive a terminal or reorder what it shows: C0 and C1 controls and
/// DEL (ESC starts OSC 52 clipboard writes and title changes; BEL and ST end them), the
/// bidirectional overrides and isolates that make text read differently from what it is
/// (U+202A–U+202E, U+2066–U+2069, U+061C), zero-width and direction marks (U+200B–U+200F),
/// the line and paragraph separators (U+2028, U+2029) and the byte-order mark (U+FEFF).
pub fn is_hostile(ch: char) -> bool {
    ch.is_control()
        || matches!(ch, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        || matches!(ch, '\u{061C}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

fn push_shown(out: &mut String, ch: char) {
    if is_hostile(ch) {
        out.extend(ch.escape_default());
    } else {
        out.push(ch);
    }
}

/// A log line from the host with anything token-shaped masked: JWTs (`eyJ...`), API keys
/// (`sk-...`), `Bearer` tokens, and the values of sensitive names wherever they stand: query
/// parameters inside URLs (`...?code=abc&state=...`, URL-encoded too: `code%3Dabc%26...`),
/// `key=value` pairs, and JSON or debug-print fields (`"access_token":"..."`, `"code": "..."`).
/// Control characters are escaped as in [`printable`].
pub fn log_line(text: &str) -> String {
    let mut out = mask_runs(text, "eyJ", |run| run.matches('.').count() >= 2);
    out = mask_runs(&out, "sk-", |run| run.len() > 8);
    printable(&mask_pairs(&out))
}

/// Names whose values are secrets (compared without regard to case).
const SECRET_NAMES: [&str; 14] = [
    "code",
    "id_token",
    "access_token",
    "refresh_token",
    "code_verifier",
    "api_key",
    "openai_api_key",
    "token",
    "state",
    "authorization_code",
    "device_code",
    "client_secret",
    "password",
    "bearer",
];

/// Names so generic that a bare number after `name:` is not one (`code: 400` stays).
const WEAK_NAMES: [&str; 3] = ["code", "state", "token"];

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether `text` at `at` starts with `word`, ignoring ASCII case.
fn at_word(text: &str, at: usize, word: &str) -> bool {
    text.as_bytes()
        .get(at..at + word.len())
        .is_some_and(|b| b.eq_ignore_ascii_case(word.as_bytes()))
}

/// The first of `words` that `text` has at `at`.
fn at_any<'w>(text: &str, at: usize, words: &[&'w str]) -> Option<&'w str> {
    words.iter().copied().find(|w| at_word(text, at, w))
}

/// Where a name may start: not in the middle of another name (`has_code` is not `code`), but
/// right after URL-encoded separators (`%3F`, `%26`, `%22`, also encoded twice).
fn starts_name(text: &str, at: usize) -> bool {
    let before = &text.as_bytes()[..at];
    match before.last() {
        None => true,
        Some(&b) if !is_name_byte(b) => true,
        Some(_) => ["%3F", "%26", "%22", "%20", "%2C", "%7B", "%253F", "%2526", "%2522"]
            .iter()
            .any(|sep| {
                before.len() >= sep.len() && before[before.len() - sep.len()..].eq_ignore_ascii_case(sep.as_bytes())
            }),
    }
}

/// Masks the value after each secret name.
fn mask_pairs(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut at, mut copied) = (0, 0);
    while at < bytes.len() {
        // A URL-encoded byte (`%3F`) separates, it does not start a name.
        if bytes[at] == b'%'
            && bytes
                .get(at + 1..at + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        {
            at += 3;
            continue;
        }
        if !is_name_byte(bytes[at]) || !starts_name(text, at) {
            at += 1;
            continue;
        }
        let end = at + bytes[at..].iter().take_while(|b| is_name_byte(**b)).count();
        let name = &text[at..end];
        if SECRET_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
            && let Some((from, to)) = value_after(text, end, name)
        {
            out.push_str(&text[copied..from]);
            out.push('…');
            copied = to;
            at = to;
        } else {
            at = end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The byte range of the value that follows a secret name ending at `at`, if one does.
fn value_after(text: &str, mut at: usize, name: &str) -> Option<(usize, usize)> {
    const QUOTES: [&str; 5] = ["\\\"", "\"", "'", "%22", "%2522"];
    const SPACES: [&str; 2] = [" ", "\t"];
    let skip = |at: &mut usize, words: &[&str]| {
        while let Some(w) = at_any(text, *at, words) {
            *at += w.len();
        }
    };
    if name.eq_ignore_ascii_case("bearer") {
        // `Bearer <token>`: the token is the next word.
        if !at_word(text, at, " ") {
            return None;
        }
        let from = at + 1;
        let to = from + text[from..].find([' ', '"', '\'', ',']).unwrap_or(text.len() - from);
        return (to > from).then_some((from, to));
    }
    // The name's own closing quote, as in `"access_token":`.
    if let Some(q) = at_any(text, at, &QUOTES) {
        at += q.len();
    }
    skip(&mut at, &SPACES);
    let equals = if let Some(sep) = at_any(text, at, &["=", "%3D", "%253D"]) {
        at += sep.len();
        true
    } else if at_word(text, at, ":") {
        at += 1;
        false
    } else {
        return None;
    };
    skip(&mut at, &SPACES);
    if let Some(quote) = at_any(text, at, &QUOTES) {
        let from = at + quote.len();
        // Up to the same quote, not an escaped one.
        let mut to = from;
        while to < text.len() && !(at_word(text, to, quote) && !(quote == "\"" && text.as_bytes()[to - 1] == b'\\')) {
            to += text[to..].chars().next().map_or(1, char::len_utf8);
        }
        return (to > from).then_some((from, to));
    }
    if !equals && WEAK_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        return None;
    }
    // Unquoted: up to the next separator, a URL-encoded one included.
    const ENDS: [&str; 6] = ["%26", "%2526", "%22", "%20", "%23", "%2522"];
    let mut to = at;
    while to < text.len() {
        let b = text.as_bytes()[to];
        if b.is_ascii_whitespace() || b"&\"',;)]}<>#".contains(&b) || at_any(text, to, &ENDS).is_some() {
            break;
        }
        to += text[to..].chars().next().map_or(1, char::len_utf8);
    }
    (to > at).then_some((at, to))
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
    fn bidi_and_zero_width_are_escaped() {
        let shown = printable("evil\u{202e}txt.exe\u{2066}x\u{2069}\u{200b}\u{200f}\u{feff}\u{9b}31m");
        assert!(!shown.chars().any(is_hostile), "{shown:?}");
        assert!(shown.contains("\\u{202e}") && shown.contains("\\u{9b}"), "{shown}");
        assert_eq!(
            printable("naïve café ✓ 日本"),
            "naïve café ✓ 日本",
            "ordinary text is kept"
        );
    }

    #[test]
    fn terminal_keeps_lines_and_escapes_the_rest() {
        assert_eq!(terminal("a\nb"), "a\nb");
        assert_eq!(terminal("a\u{1b}]0;t\u{7}\nb"), "a\\u{1b}]0;t\\u{7}\nb");
    }

    #[test]
    fn codes_inside_urls_are_masked() {
        for (line, secret) in [
            ("GET https://h/auth/callback?code=abc123&state=st456 HTTP/1.1", "abc123"),
            (
                "redirect to http://127.0.0.1:1455/auth/callback?state=st456&code=abc123",
                "abc123",
            ),
            ("url=http%3A%2F%2Fh%2Fcb%3Fcode%3Dabc123%26state%3Dst456 next", "abc123"),
            ("twice: cb%253Fcode%253Dabc123%2526state%253Dst456", "abc123"),
            ("(code=abc123)", "abc123"),
            ("Code=abc123;", "abc123"),
        ] {
            let shown = log_line(line);
            assert!(!shown.contains(secret), "{secret} in {shown}");
            assert!(!shown.contains("st456"), "state in {shown}");
        }
    }

    #[test]
    fn json_style_tokens_are_masked() {
        let line = r#"body {"access_token":"at-1","refresh_token": "rt-2", "id_token" : "it-3", "OPENAI_API_KEY":"k-4", "code":"c-5", "expires_in":3600}"#;
        let shown = log_line(line);
        for secret in ["at-1", "rt-2", "it-3", "k-4", "c-5"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains(r#""expires_in":3600"#), "{shown}");
        let escaped =
            log_line(r#"raw "{\"refresh_token\":\"rt-9\",\"x\":1}" access_token: "at-8" Authorization: Bearer bt-7"#);
        for secret in ["rt-9", "at-8", "bt-7"] {
            assert!(!escaped.contains(secret), "{secret} in {escaped}");
        }
        assert_eq!(
            log_line("status code: 400"),
            "status code: 400",
            "a status code is no secret"
        );
    }

    #[test]
    fn secret_never_displays() {
        let s = Secret::new("sk-live".into());
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "sk-live");
    }
}
