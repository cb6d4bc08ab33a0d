//! The authorize URL the remote codex prints: validated, then rebuilt, before any browser
//! sees it.
//!
//! A host that prints anything but `https://auth.openai.com/oauth/authorize?...` with a
//! loopback `redirect_uri` on one of codex's two registered ports is refused: this tool
//! opens the user's browser on the remote's say-so, and must not open anything else.
//!
//! What passes is never handed on as the host wrote it. Openers are programs, and some pass
//! their argument through a shell or PowerShell (wslu's `wslview` runs `Start "URL"` through
//! `powershell.exe -Command`, which evaluates `$(...)` inside the quotes). So the page is
//! rebuilt from its parsed parts as a [`PageUrl`]: the issuer's name as this tool spells it,
//! the fixed path, and each query key and value decoded and percent-encoded again, every byte
//! outside RFC 3986's unreserved set (`A-Z a-z 0-9 - . _ ~`) as `%XX`; the fragment is
//! dropped. What remains holds nothing any shell, PowerShell or cmd.exe parser acts on inside
//! one argument or a double-quoted string.

use std::fmt;

use http::Uri;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// The issuer codex signs in with.
pub const ISSUER: &str = "auth.openai.com";
/// The redirect ports registered for codex: it falls back to the second when the first is busy.
pub const PORTS: [u16; 2] = [1455, 1457];
/// The suffix the issuer may append to the `state` it echoes; codex accepts it.
const STATE_DECORATION: &str = ".onboarding_entrypoint=life_sciences";
const MAX_LEN: usize = 8192;
/// What stays as it is in a rebuilt query: RFC 3986's unreserved characters.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A page to open or show, rebuilt by this module from the parts it checked: `https://`, the
/// issuer, a fixed path, and for the authorize page `?k=v&...` with every key and value
/// percent-encoded outside the unreserved set. Only this module makes one, so every opener
/// (the default browser, `$BROWSER`, `--browser-command`, WSL), the QR code and the printed
/// line get the same safe text, never the host's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageUrl(String);

impl PageUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PageUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the browser will be sent back to, on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redirect {
    /// `localhost` (older codex) rather than `127.0.0.1`: the browser may try `[::1]` too.
    pub localhost: bool,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeUrl {
    /// The page, rebuilt: what the browser is sent to.
    pub url: PageUrl,
    /// The `state`, URL-decoded.
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
/// ASCII only, without a user name; with the issuer's name as this tool spells it, for the
/// rebuilt page.
fn issuer_url<'a>(line: &str, extra_issuer: Option<&'a str>) -> Result<(Uri, &'a str), String> {
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
    let issuer = match extra_issuer {
        _ if allowed(ISSUER) => ISSUER,
        Some(extra) if allowed(extra) => extra,
        _ => return Err(format!("it points at {} instead of {ISSUER}", authority.as_str())),
    };
    Ok((uri, issuer))
}

/// The device-code page codex prints for `--device-auth` (`https://auth.openai.com/codex/device`),
/// validated like the authorize URL.
/// The page is rebuilt: the issuer's own name and the fixed path, nothing of the line.
pub fn device_link(line: &str, extra_issuer: Option<&str>) -> Result<PageUrl, String> {
    let (uri, issuer) = issuer_url(line.trim(), extra_issuer)?;
    if uri.path() != "/codex/device" || uri.query().is_some() {
        return Err("it is not the issuer's /codex/device page".into());
    }
    Ok(PageUrl(format!("https://{issuer}/codex/device")))
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
    /// The page is rebuilt from the parts checked ([`PageUrl`]); the line itself, and its
    /// fragment, go no further.
    pub fn parse(line: &str, extra_issuer: Option<&str>) -> Result<Self, String> {
        let (uri, issuer) = issuer_url(line.trim(), extra_issuer)?;
        if uri.path() != "/oauth/authorize" {
            return Err("its path is not /oauth/authorize".into());
        }
        let pairs = query_pairs(uri.query().unwrap_or_default())?;
        // One value per key: this tool checks the first `redirect_uri`, and an issuer that
        // took the last would send the code wherever a second one said. codex never repeats one.
        if let Some((key, _)) = pairs
            .iter()
            .enumerate()
            .find_map(|(i, (key, _))| pairs[..i].iter().find(|(k, _)| k == key))
        {
            return Err(format!("its query names {} more than once", encode(key)));
        }
        let param = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let state = param("state").filter(|s| !s.is_empty()).ok_or("it has no state")?;
        let redirect_uri = param("redirect_uri").ok_or("it has no redirect_uri")?;
        let redirect = parse_redirect(&redirect_uri)?;
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        Ok(Self {
            url: PageUrl(format!("https://{issuer}/oauth/authorize?{}", query.join("&"))),
            state,
            redirect,
        })
    }

    /// Whether a callback's `state` (already URL-decoded) belongs to this sign-in.
    pub fn state_matches(&self, state: &str) -> bool {
        state == self.state || state.strip_suffix(STATE_DECORATION) == Some(self.state.as_str())
    }
}

/// The query's `key=value` pairs, decoded as the issuer decodes a form (`+` is a space, `%XX`
/// a byte; an empty pair is nothing), in order. Refused when a decoded part is not UTF-8.
fn query_pairs(query: &str) -> Result<Vec<(String, String)>, String> {
    let decode = |part: &str| {
        let plus = part.replace('+', " ");
        percent_encoding::percent_decode_str(&plus)
            .decode_utf8()
            .map(|text| text.into_owned())
            .map_err(|_| "its query does not decode to UTF-8 text".to_owned())
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(key)?, decode(value)?))
        })
        .collect()
}

/// `text` with every byte outside the unreserved set as `%XX`.
fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, RESERVED).to_string()
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

    /// A host's URL is never handed on as written: the fragment is dropped, and every query key
    /// and value is decoded and encoded again, so shell and PowerShell syntax (`$(`, a
    /// backtick, `'`, `;`, `&&`, `|`, `"`) arrives as `%XX` only; the `state` compared with
    /// the callback's is the decoded one.
    #[test]
    fn the_page_is_rebuilt_from_its_parts() {
        let hostile = format!(
            "{}&x=$(Start-Process('calc.exe'))&y=`whoami`&z=a;b&&w=c|d&v={{e}}&u=%22q%22+r*!#\";calc;\"",
            url("http://127.0.0.1:1455/auth/callback")
        );
        let parsed = AuthorizeUrl::parse(&hostile, None).unwrap();
        assert_eq!(
            parsed.url.as_str(),
            "https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_x\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback&scope=openid&code_challenge=abc\
             &code_challenge_method=S256&state=St4te&x=%24%28Start-Process%28%27calc.exe%27%29%29\
             &y=%60whoami%60&z=a%3Bb&w=c%7Cd&v=%7Be%7D&u=%22q%22%20r%2A%21"
        );
        for raw in ["$(", "`", "'", ";", "&&", "|", "\"", "#", "{", "+", "*", "!"] {
            assert!(!parsed.url.as_str().contains(raw), "{raw} reached the page");
        }

        // The issuer's spelling, whatever the host wrote; the state decoded (with its
        // decoration accepted as before).
        let odd = url("http://127.0.0.1:1455/auth/callback")
            .replace("auth.openai.com", "AUTH.OpenAI.com:443")
            .replace("state=St4te", "state=St%34te%2Bx+y");
        let parsed = AuthorizeUrl::parse(&odd, None).unwrap();
        assert!(
            parsed
                .url
                .as_str()
                .starts_with("https://auth.openai.com/oauth/authorize?")
        );
        assert!(parsed.url.as_str().ends_with("&state=St4te%2Bx%20y"), "{}", parsed.url);
        assert_eq!(parsed.state, "St4te+x y");
        assert!(parsed.state_matches("St4te+x y.onboarding_entrypoint=life_sciences"));

        // A query that is not UTF-8 once decoded is refused, not guessed at.
        let bad = format!("{}&x=%FF", url("http://127.0.0.1:1455/auth/callback"));
        assert!(AuthorizeUrl::parse(&bad, None).is_err());
    }

    /// A key given twice is refused, encoded or not: this tool checks the first
    /// `redirect_uri`, and an issuer that took the second would send the code elsewhere.
    #[test]
    fn a_key_given_twice_is_refused() {
        for twice in [
            "&redirect_uri=https%3A%2F%2Fevil.example%2Fcb",
            "&redirect%5Furi=https%3A%2F%2Fevil.example%2Fcb",
            "&state=Other",
        ] {
            let bad = format!("{}{twice}", url("http://127.0.0.1:1455/auth/callback"));
            assert!(
                AuthorizeUrl::parse(&bad, None).is_err_and(|why| why.contains("more than once")),
                "{twice}"
            );
        }
    }

    /// codex's own URL comes through as it was: its encoding is already the rebuilt one.
    #[test]
    fn codexs_own_url_is_unchanged() {
        let codex = "https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_EMoamEEZ73f0CkXaXp7hrann\
            &redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback&scope=openid%20profile%20email%20offline_access\
            &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256\
            &id_token_add_organizations=true&codex_cli_simplified_flow=true&state=hWqX_7yR-2b.Uk~9&originator=codex_cli_rs";
        assert_eq!(AuthorizeUrl::parse(codex, None).unwrap().url.as_str(), codex);
    }

    #[test]
    fn extra_issuer_for_tests() {
        let test_url = url("http://127.0.0.1:1455/auth/callback").replace("auth.openai.com", "issuer.test:8443");
        assert!(AuthorizeUrl::parse(&test_url, None).is_err());
        let parsed = AuthorizeUrl::parse(&test_url, Some("issuer.test:8443")).unwrap();
        assert!(
            parsed
                .url
                .as_str()
                .starts_with("https://issuer.test:8443/oauth/authorize?")
        );
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
            device_link(&link, None).map(|l| l.to_string()).as_deref(),
            Ok("https://auth.openai.com/codex/device")
        );
        // Rebuilt: the issuer as this tool spells it, nothing of the line.
        assert_eq!(
            device_link("https://AUTH.openai.com:443/codex/device#\"$(calc)", None)
                .map(|l| l.to_string())
                .as_deref(),
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
