//! The authorize URL the remote codex prints: validated before any browser sees it.
//!
//! A host that prints anything but `https://auth.openai.com/oauth/authorize?...` with a
//! loopback `redirect_uri` on one of codex's two registered ports is refused: this tool
//! opens the user's browser on the remote's say-so, and must not open anything else.

use http::Uri;

/// The issuer codex signs in with.
pub const ISSUER: &str = "auth.openai.com";
/// The redirect ports registered for codex: it falls back to the second when the first is busy.
pub const PORTS: [u16; 2] = [1455, 1457];
/// The suffix the issuer may append to the `state` it echoes; codex accepts it.
const STATE_DECORATION: &str = ".onboarding_entrypoint=life_sciences";
const MAX_LEN: usize = 8192;

/// Where the browser will be sent back to, on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redirect {
    /// `localhost` (older codex) rather than `127.0.0.1`: the browser may try `[::1]` too.
    pub localhost: bool,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeUrl {
    pub url: String,
    pub state: String,
    pub redirect: Redirect,
}

/// Whether a line of codex's output is a URL on a line of its own (and so must be either a
/// valid authorize URL or refused).
pub fn is_candidate(line: &str) -> bool {
    let line = line.trim();
    let Some((scheme, rest)) = line.split_once(':') else {
        return false;
    };
    !rest.is_empty()
        && !line.contains(char::is_whitespace)
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
}

/// An `https` URL on the issuer (auth.openai.com, or `extra_issuer` for tests), printable
/// ASCII only, without a user name.
fn issuer_url(line: &str, extra_issuer: Option<&str>) -> Result<Uri, String> {
    if line.len() > MAX_LEN {
        return Err(format!("it is longer than {MAX_LEN} bytes"));
    }
    if !line.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("it contains spaces, control or non-ASCII characters".into());
    }
    let uri: Uri = line.parse().map_err(|_| "it is not a well-formed URL".to_owned())?;
    if uri.scheme_str() != Some("https") {
        return Err("it is not an https URL".into());
    }
    let authority = uri.authority().ok_or("it names no host")?;
    if authority.as_str().contains('@') {
        return Err("it carries a user name before the host".into());
    }
    // The authority as written, not its parsed host: `auth.openai.com:evil.example` has the
    // issuer's host and a port that is not a number, which a browser would not take for a URL
    // (and may send to a search engine instead).
    let written = authority.as_str();
    let allowed =
        |host: &str| written.eq_ignore_ascii_case(host) || written.eq_ignore_ascii_case(&format!("{host}:443"));
    let issuer_ok = allowed(ISSUER) || extra_issuer.is_some_and(allowed);
    if !issuer_ok {
        return Err(format!("it points at {} instead of {ISSUER}", authority.as_str()));
    }
    Ok(uri)
}

/// The device-code page codex prints for `--device-auth` (`https://auth.openai.com/codex/device`),
/// validated like the authorize URL.
pub fn device_link(line: &str, extra_issuer: Option<&str>) -> Result<String, String> {
    let line = line.trim();
    let uri = issuer_url(line, extra_issuer)?;
    if uri.path() != "/codex/device" || uri.query().is_some() {
        return Err("it is not the issuer's /codex/device page".into());
    }
    Ok(line.to_owned())
}

/// A one-time device code as codex prints it (`ABCD-1234`), if `line` is one.
pub fn device_code(line: &str) -> Option<&str> {
    let code = line.trim();
    let groups: Vec<&str> = code.split('-').collect();
    (groups.len() >= 2
        && code.len() <= 32
        && groups
            .iter()
            .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())))
    .then_some(code)
}

/// `line` without ANSI escape sequences (codex colours its device-code prompt).
pub fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                // Parameters and intermediates, then one final byte in @..~.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

impl AuthorizeUrl {
    /// Validates `line`; `extra_issuer` is a second accepted issuer host (tests).
    pub fn parse(line: &str, extra_issuer: Option<&str>) -> Result<Self, String> {
        let line = line.trim();
        let uri = issuer_url(line, extra_issuer)?;
        if uri.path() != "/oauth/authorize" {
            return Err("its path is not /oauth/authorize".into());
        }
        let query = uri.query().unwrap_or_default();
        let param = |name: &str| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let state = param("state").filter(|s| !s.is_empty()).ok_or("it has no state")?;
        let redirect_uri = param("redirect_uri").ok_or("it has no redirect_uri")?;
        let redirect = parse_redirect(&redirect_uri)?;
        Ok(Self {
            url: line.to_owned(),
            state,
            redirect,
        })
    }

    /// Whether a callback's `state` (already URL-decoded) belongs to this sign-in.
    pub fn state_matches(&self, state: &str) -> bool {
        state == self.state || state.strip_suffix(STATE_DECORATION) == Some(self.state.as_str())
    }
}

fn parse_redirect(text: &str) -> Result<Redirect, String> {
    let bad = |why: &str| format!("its redirect_uri {why}");
    let uri: Uri = text.parse().map_err(|_| bad("is not a URL"))?;
    if uri.scheme_str() != Some("http") {
        return Err(bad("is not plain http on loopback"));
    }
    let authority = uri.authority().ok_or_else(|| bad("names no host"))?;
    if authority.as_str().contains('@') {
        return Err(bad("carries a user name"));
    }
    let localhost = match authority.host() {
        "127.0.0.1" => false,
        "localhost" => true,
        _ => return Err(bad("is not on 127.0.0.1 or localhost")),
    };
    let port = authority
        .port_u16()
        .filter(|p| PORTS.contains(p))
        .ok_or_else(|| bad("is not on port 1455 or 1457"))?;
    if uri.path() != "/auth/callback" || uri.query().is_some() {
        return Err(bad("is not /auth/callback"));
    }
    Ok(Redirect { localhost, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(redirect: &str) -> String {
        format!(
            "https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_x&redirect_uri={}&scope=openid&code_challenge=abc&code_challenge_method=S256&state=St4te",
            form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>()
        )
    }

    #[test]
    fn real_codex_urls() {
        let ok = AuthorizeUrl::parse(&url("http://127.0.0.1:1455/auth/callback"), None).unwrap();
        assert_eq!(
            (ok.state.as_str(), ok.redirect),
            (
                "St4te",
                Redirect {
                    localhost: false,
                    port: 1455
                }
            )
        );
        let old = AuthorizeUrl::parse(&url("http://localhost:1457/auth/callback"), None).unwrap();
        assert_eq!(
            old.redirect,
            Redirect {
                localhost: true,
                port: 1457
            }
        );
    }

    #[test]
    fn hostile_urls_are_refused() {
        let cases = [
            "javascript:alert(1)".to_owned(),
            "file:///etc/passwd".to_owned(),
            "data:text/html,<script>x</script>".to_owned(),
            url("http://127.0.0.1:1455/auth/callback").replace("https://", "http://"),
            url("http://127.0.0.1:1455/auth/callback").replace("auth.openai.com", "auth.openai.com.evil.example"),
            url("http://127.0.0.1:1455/auth/callback").replace("auth.openai.com", "auth.openai.com@evil.example"),
            url("http://127.0.0.1:1455/auth/callback").replace("auth.openai.com", "auth.openai.com:evil.example"),
            url("http://127.0.0.1:1455/auth/callback").replace("auth.openai.com", "auth.openai.com:"),
            url("http://127.0.0.1:1455/auth/callback").replace("/oauth/authorize", "/oauth/other"),
            url("http://127.0.0.1:8080/auth/callback"),
            url("http://evil.example:1455/auth/callback"),
            url("https://127.0.0.1:1455/auth/callback"),
            url("http://127.0.0.1:1455/elsewhere"),
            url("http://127.0.0.1:1455/auth/callback").replace("&state=St4te", ""),
            format!("{}\x1b[2J", url("http://127.0.0.1:1455/auth/callback")),
            format!(
                "{}&pad={}",
                url("http://127.0.0.1:1455/auth/callback"),
                "a".repeat(MAX_LEN)
            ),
        ];
        for case in cases {
            assert!(AuthorizeUrl::parse(&case, None).is_err(), "accepted {case:?}");
        }
    }

    #[test]
    fn extra_issuer_for_tests() {
        let test_url = url("http://127.0.0.1:1455/auth/callback").replace("auth.openai.com", "issuer.test:8443");
        assert!(AuthorizeUrl::parse(&test_url, None).is_err());
        assert!(AuthorizeUrl::parse(&test_url, Some("issuer.test:8443")).is_ok());
    }

    #[test]
    fn decorated_state_is_accepted() {
        let ok = AuthorizeUrl::parse(&url("http://127.0.0.1:1455/auth/callback"), None).unwrap();
        assert!(ok.state_matches("St4te"));
        assert!(ok.state_matches("St4te.onboarding_entrypoint=life_sciences"));
        assert!(!ok.state_matches("St4te.onboarding_entrypoint=other"));
        assert!(!ok.state_matches("Old"));
    }

    #[test]
    fn device_prompt_as_codex_prints_it() {
        let link = strip_ansi("   \x1b[94mhttps://auth.openai.com/codex/device\x1b[0m");
        assert_eq!(
            device_link(&link, None).as_deref(),
            Ok("https://auth.openai.com/codex/device")
        );
        assert!(device_link("https://auth.openai.com.evil.example/codex/device", None).is_err());
        assert!(device_link("https://auth.openai.com/oauth/authorize", None).is_err());
        assert!(device_link("http://auth.openai.com/codex/device", None).is_err());
        assert_eq!(
            device_code(&strip_ansi("   \x1b[94mABCD-EF12\x1b[0m")),
            Some("ABCD-EF12")
        );
        assert_eq!(device_code("2. Enter this one-time code"), None);
        assert_eq!(device_code("ABCD"), None);
        assert_eq!(device_code("-"), None);
    }

    #[test]
    fn candidates() {
        assert!(is_candidate("  https://auth.openai.com/oauth/authorize?x=1\n"));
        assert!(is_candidate("javascript:alert(1)"));
        assert!(!is_candidate("Starting local login server on http://localhost:1455."));
        assert!(!is_candidate("Error: boom"));
        assert!(!is_candidate(""));
    }
}
