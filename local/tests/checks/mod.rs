//! What must hold for any input to each parser that reads what the outside sends: no panic,
//! and the invariants that keep secrets and terminals safe. Two drivers feed these: the
//! seeded mutation runner in `tests/fuzz.rs` (stable, in CI) and the cargo-fuzz targets in
//! `fuzz/` (libFuzzer, nightly, `scripts/fuzz`).

#![allow(dead_code)] // each cargo-fuzz target uses one check

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::OnceLock;

use codex_remote_login::parsers::{self as authorize, AuthorizeUrl, Route};
use codex_remote_login_shared::AuthJson;
use codex_remote_login_shared::protocol::{
    self, CollectEvent, ContainersEvent, DoctorEvent, HostEvent, LogoutEvent, PushEvent, SignInEvent, StatusEvent,
};
use codex_remote_login_shared::redact;
use codex_remote_login_shared::time::rfc3339_nanos;
use ssh::Settings;
use ssh::destination::Destination;
use ssh::{config, config_file, known_hosts, names};

/// The sign-in the callback checks expect: state `S1`, redirect to 127.0.0.1:1455.
fn expected() -> &'static AuthorizeUrl {
    static URL: OnceLock<AuthorizeUrl> = OnceLock::new();
    URL.get_or_init(|| {
        AuthorizeUrl::parse(
            "https://auth.openai.com/oauth/authorize?client_id=x&redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback&state=S1",
            None,
        )
        .unwrap()
    })
}

thread_local! {
    /// A directory of this thread's own for the parsers that read files.
    static SCRATCH: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
}

/// `name` in this thread's scratch directory (made on first use; see `remove_scratch`).
fn scratch(name: &str) -> PathBuf {
    SCRATCH.with(|dir| {
        let mut dir = dir.borrow_mut();
        let dir = dir.get_or_insert_with(|| {
            let thread = format!("{:?}", std::thread::current().id());
            let path = std::env::temp_dir().join(format!(
                "crl-fuzz-{}-{}",
                std::process::id(),
                thread.trim_start_matches("ThreadId(").trim_end_matches(')')
            ));
            std::fs::create_dir_all(path.join(".ssh")).unwrap();
            path
        });
        dir.join(name)
    })
}

/// Removes this thread's scratch directory, if it made one.
pub fn remove_scratch() {
    if let Some(dir) = SCRATCH.with(|dir| dir.borrow_mut().take()) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The shim's event stream, as every stage parses it.
pub fn shim_events(line: &str) {
    let _ = protocol::parse::<HostEvent>(line);
    let _ = protocol::parse::<SignInEvent>(line);
    let _ = protocol::parse::<StatusEvent>(line);
    let _ = protocol::parse::<DoctorEvent>(line);
    let _ = protocol::parse::<PushEvent>(line);
    let _ = protocol::parse::<ContainersEvent>(line);
    let _ = protocol::parse::<CollectEvent>(line);
    let _ = protocol::parse::<LogoutEvent>(line);
}

/// codex's output: the authorize URL passes only when it is exactly right, and so does the
/// device-code page.
pub fn codex_output(line: &str) {
    if let Ok(url) = AuthorizeUrl::parse(line, None) {
        // Whatever passes is rebuilt: https on the issuer as this tool spells it, the fixed
        // path, and a query of unreserved characters and `%XX` alone, whatever the line held;
        // with a loopback redirect.
        let query = url
            .url
            .as_str()
            .strip_prefix("https://auth.openai.com/oauth/authorize?")
            .unwrap_or_else(|| panic!("{line:?} -> {}", url.url));
        for pair in query.split('&') {
            let (key, value) = pair
                .split_once('=')
                .unwrap_or_else(|| panic!("{line:?} -> {}", url.url));
            for part in [key, value] {
                let mut bytes = part.bytes();
                while let Some(b) = bytes.next() {
                    let ok = if b == b'%' {
                        bytes.next().is_some_and(|h| h.is_ascii_hexdigit())
                            && bytes.next().is_some_and(|h| h.is_ascii_hexdigit())
                    } else {
                        b.is_ascii_alphanumeric() || b"-._~".contains(&b)
                    };
                    assert!(ok, "{line:?} -> {}", url.url);
                }
            }
        }
        assert!(authorize::PORTS.contains(&url.redirect.port));
    }
    let _ = authorize::is_candidate(line);
    let clean = authorize::strip_ansi(line);
    if let Ok(link) = authorize::device_link(&clean, None) {
        assert_eq!(link.as_str(), "https://auth.openai.com/codex/device", "{line:?}");
    }
    let _ = authorize::device_code(&clean);
}

/// Text shown to people never carries control characters or the values of a query.
pub fn shown_text(line: &str) {
    for shown in [redact::printable(line), redact::log_line(line), redact::url(line)] {
        assert!(!shown.chars().any(char::is_control), "{line:?} -> {shown:?}");
    }
    // Every `name=value` of the query is shown as `name=…`.
    if let Some((_, query)) = line.split('#').next().unwrap_or_default().split_once('?') {
        let shown = redact::url(line);
        for pair in query.split('&') {
            if let Some((name, value)) = pair.split_once('=')
                && !value.is_empty()
            {
                assert!(
                    shown.contains(&format!("{}=…", redact::printable(name))),
                    "{pair} in {shown}"
                );
            }
        }
    }
}

/// auth.json: its debug form and account summary never show a token.
pub fn auth_json(text: &str) {
    if let Ok(auth) = AuthJson::parse(text) {
        let shown = format!("{auth:?} {:?}", auth.account());
        if let Some(tokens) = &auth.tokens {
            for secret in [&tokens.access_token, &tokens.refresh_token] {
                // A secret that is also the text of some other field may show through it.
                let once = text.matches(secret.as_str()).count() == 1;
                assert!(secret.len() < 6 || !once || !shown.contains(secret.as_str()), "{shown}");
            }
        }
        if let Some(at) = &auth.last_refresh {
            let _ = rfc3339_nanos(at);
        }
    }
}

/// A pasted callback: what passes goes to /auth/callback, and a refusal never repeats the code.
pub fn callback_paste(line: &str) {
    match authorize::paste(line, expected()) {
        Ok(callback) => assert!(callback.path_and_query.starts_with("/auth/callback?"), "{line:?}"),
        Err(why) => assert!(
            !why.contains("code=") || !line.contains("code="),
            "the refusal repeats the code: {why}"
        ),
    }
}

/// A browser's request to the local listener: only this sign-in's `state` reaches codex.
pub fn callback_request(target: &str) {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let route = Route::of(path, query, expected());
    if route == Route::Callback {
        assert_eq!(path, "/auth/callback");
        let states: Vec<String> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .filter(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .collect();
        assert!(
            states
                .first()
                .is_some_and(|s| s == "S1" || s == "S1.onboarding_entrypoint=life_sciences"),
            "{target:?} passed with {states:?}"
        );
    }
}

/// A host argument on the command line.
pub fn host_argument(text: &str) {
    if let Ok(dest) = Destination::parse(text) {
        assert!(!dest.host.is_empty() && !dest.host.starts_with('-'), "{text:?}");
        assert!(!dest.host.contains(char::is_whitespace), "{text:?}");
        // No name OpenSSH refuses gets through: it could reach a ProxyCommand's shell.
        assert!(names::valid_hostname(&dest.host), "{text:?}");
        assert!(dest.user.as_deref().is_none_or(names::valid_ruser), "{text:?}");
    }
    if let Ok(hop) = Destination::parse_jump(text) {
        assert!(names::valid_hostname(&hop.host), "{text:?}");
    }
}

/// A known_hosts file, checked for a host and for a certificate authority.
pub fn known_hosts_file(text: &str) {
    static KEY: OnceLock<russh::keys::PublicKey> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        russh::keys::PublicKey::from_openssh(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIElt3d1W0WW3KFQJrIfOcAhP58n9dKWwpE7tXk6gyQG/",
        )
        .unwrap()
    });
    let file = scratch("known_hosts");
    std::fs::write(&file, text).unwrap();
    let files = [file];
    let _ = known_hosts::check(&files, "[dev]:2222", key);
    let _ = known_hosts::has_authority(&files, "dev");
}

/// An ssh config file, evaluated for a host the way `ssh -G` would (without OpenSSH), and
/// `ssh -G`'s own output read back. Include is left out: it reads whatever path it names.
pub fn ssh_config(text: &str) {
    if text.to_ascii_lowercase().contains("include") {
        return;
    }
    let file = scratch("ssh_config");
    std::fs::write(&file, text).unwrap();
    let home = file.parent().unwrap().to_owned();
    let args = Settings {
        config: Some(file),
        ..Settings::default()
    };
    let dest = Destination::parse("alice@dev").unwrap();
    if let Ok(printed) = config_file::evaluate(&dest, &args, &home) {
        let _ = config::parse_ssh_g("dev", &printed, &home);
    }
    let _ = config::parse_ssh_g("dev", text, &home);
}
