//! Every parser that reads what the outside sends, fed mutations of real inputs (the seeds in
//! `tests/corpus/`): no panic, and the invariants that keep secrets and terminals safe. These
//! run as ordinary tests on stable Rust (no nightly here for `cargo fuzz`); `FUZZ_ROUNDS`
//! raises the count for a longer run.

use std::path::Path;

use codex_remote_login::authorize::{self, AuthorizeUrl};
use codex_remote_login::paste;
use codex_remote_login::ssh::destination::Destination;
use codex_remote_login::ssh::known_hosts;
use codex_remote_login_shared::redact;
use codex_remote_login_shared::time::rfc3339_nanos;
use codex_remote_login_shared::{AuthJson, ShimEvent};

/// xorshift64*: small, seeded, repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to these parsers: separators, escapes, UTF-8 lead bytes, digits.
const SPICE: &[u8] = b" \t\r\n\x00\x1b\x07%&=?#:/@[].-_'\"\\!*|,;0123456789xyz\xc3\xa9\xf0\x9f\x92\xa9\xff";

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(out.len() + 1);
        match rng.below(5) {
            0 if !out.is_empty() => {
                out.remove(at.min(out.len() - 1));
            }
            1 => out.insert(at, SPICE[rng.below(SPICE.len())]),
            2 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] = SPICE[rng.below(SPICE.len())];
            }
            3 => {
                // Repeat a slice: long and nested inputs.
                let from = rng.below(out.len() + 1);
                let to = (from + rng.below(64)).min(out.len());
                let piece = out[from..to].repeat(1 + rng.below(50));
                out.splice(at..at, piece);
            }
            _ => out.truncate(at),
        }
    }
    out
}

fn rounds() -> usize {
    std::env::var("FUZZ_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3000)
}

/// Each seed of `corpus/NAME`, one per line, mutated `rounds()` times.
fn fuzz(name: &str, mut check: impl FnMut(&str)) {
    let corpus =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(name)).unwrap();
    let seeds: Vec<&str> = corpus.lines().filter(|l| !l.is_empty()).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
    for seed in &seeds {
        check(seed);
    }
    for _ in 0..rounds() {
        let seed = seeds[rng.below(seeds.len())];
        let input = String::from_utf8_lossy(&mutate(&mut rng, seed.as_bytes())).into_owned();
        check(&input);
    }
}

#[test]
fn shim_events() {
    fuzz("shim_events", |line| {
        let _ = ShimEvent::parse(line);
    });
}

#[test]
fn authorize_urls_are_refused_unless_exactly_right() {
    fuzz("authorize_urls", |line| {
        if let Ok(url) = AuthorizeUrl::parse(line, None) {
            // Whatever passes is https on the issuer, printable ASCII, with a loopback redirect.
            assert!(
                url.url.starts_with("https://auth.openai.com/") || url.url.starts_with("https://auth.openai.com:443/"),
                "{line:?}"
            );
            assert!(url.url.bytes().all(|b| b.is_ascii_graphic()), "{line:?}");
            assert!(authorize::PORTS.contains(&url.redirect.port));
        }
        let _ = authorize::is_candidate(line);
        let clean = authorize::strip_ansi(line);
        if let Ok(link) = authorize::device_link(&clean, None) {
            assert!(link.starts_with("https://auth.openai.com"), "{line:?}");
        }
        let _ = authorize::device_code(&clean);
    });
}

#[test]
fn shown_text_never_carries_controls_or_query_values() {
    fuzz("authorize_urls", |line| {
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
    });
}

#[test]
fn auth_json_and_timestamps() {
    fuzz("auth_json", |text| {
        if let Ok(auth) = AuthJson::parse(text) {
            let shown = format!("{auth:?} {:?}", auth.account());
            if let Some(tokens) = &auth.tokens {
                for secret in [&tokens.access_token, &tokens.refresh_token] {
                    assert!(secret.len() < 6 || !shown.contains(secret.as_str()), "{shown}");
                }
            }
            if let Some(at) = &auth.last_refresh {
                let _ = rfc3339_nanos(at);
            }
        }
    });
}

#[test]
fn callback_pastes() {
    let expected = AuthorizeUrl::parse(
        "https://auth.openai.com/oauth/authorize?client_id=x&redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback&state=S1",
        None,
    )
    .unwrap();
    fuzz("callbacks", |line| match paste::check(line, &expected) {
        Ok(callback) => assert!(callback.path_and_query.starts_with("/auth/callback?"), "{line:?}"),
        Err(why) => assert!(
            !why.contains("code=") || !line.contains("code="),
            "the refusal repeats the code: {why}"
        ),
    });
}

#[test]
fn host_arguments() {
    fuzz("hosts", |text| {
        if let Ok(dest) = Destination::parse(text) {
            assert!(!dest.host.is_empty() && !dest.host.starts_with('-'), "{text:?}");
            assert!(!dest.host.contains(char::is_whitespace), "{text:?}");
        }
        let _ = Destination::parse_jump(text);
    });
}

#[test]
fn known_hosts_lines() {
    let dir = std::env::temp_dir().join(format!("crl-fuzz-kh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("known_hosts");
    let key = russh::keys::PublicKey::from_openssh(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIElt3d1W0WW3KFQJrIfOcAhP58n9dKWwpE7tXk6gyQG/",
    )
    .unwrap();
    let files = [file.clone()];
    fuzz("known_hosts", |line| {
        std::fs::write(&file, line).unwrap();
        let _ = known_hosts::check(&files, "[dev]:2222", &key);
        let _ = known_hosts::has_authority(&files, "dev");
    });
    std::fs::remove_dir_all(&dir).unwrap();
}
