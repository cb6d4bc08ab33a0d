//! Logins on the host, in containers and at the rig's issuer: read, minted, refreshed, and
//! the sign-ins that make them.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::{ALICE, Finished, LIMIT, Rig, Tool, http_get, http_post};

impl Rig {
    /// The auth.json of `user` on the host, with its `ls -ln` mode.
    pub fn auth_json(&self, user: &str) -> Option<(String, serde_json::Value)> {
        let out = self.remote_root(&format!(
            "f=/home/{user}/.codex/auth.json; ls -ln $f | cut -c1-10 && cat $f"
        ));
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8(out.stdout).unwrap();
        let (mode, json) = text.split_once('\n').unwrap();
        Some((mode.to_owned(), serde_json::from_str(json).expect("auth.json is JSON")))
    }
    /// Follows a sign-in URL through the fake issuer without a browser (as a phone would),
    /// returning where it sends the browser back to: the callback address to paste.
    pub fn approve_elsewhere(&self, url: &str) -> String {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{redirect_url}", "-k", "--proxy"])
            .arg(format!("http://{}", self.issuer_proxy))
            .arg(url)
            .output()
            .expect("curl");
        let location = String::from_utf8(out.stdout).unwrap();
        assert!(
            location.starts_with("http://127.0.0.1:"),
            "the issuer sent the browser to {location:?}"
        );
        location
    }
    /// The `tar -tv` listing of a path in a container, read with the engine's archive copy
    /// (works whether it runs or has a shell).
    pub fn archive_listing(&self, container: &str, path: &str) -> String {
        let out = Command::new("sh")
            .args(["-c", &format!("podman cp {container}:{path} - | tar -tvf -")])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    /// A file in a container on the rig's host, with its `ls -ln` mode and owner.
    pub fn in_container(&self, container: &str, path: &str) -> Option<(String, String)> {
        let out = Command::new("podman")
            .args([
                "exec",
                container,
                "sh",
                "-c",
                &format!("ls -lnd {path} | awk '{{print $1, $3}}' && {{ cat {path} 2>/dev/null; true; }}"),
            ])
            .output()
            .expect("podman");
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8(out.stdout).unwrap();
        let (meta, body) = text.split_once('\n').unwrap_or((&text, ""));
        Some((meta.to_owned(), body.to_owned()))
    }
    /// A request to the fake issuer's control port; returns the body.
    pub fn issuer(&self, path: &str) -> String {
        http_get(&self.issuer_proxy, path).1
    }
    /// `login` as this machine's own (a CODEX_HOME of the rig's, which `reset` clears), as
    /// `push` or a hand copy would leave it: the CODEX_HOME to run the tool with.
    pub fn this_machine_holds(&self, login: &serde_json::Value) -> PathBuf {
        let here = self.dir.join("root-codex");
        std::fs::create_dir_all(&here).unwrap();
        std::fs::write(here.join("auth.json"), login.to_string()).unwrap();
        here
    }
    /// `user`'s codex on the host set to keep its login in the OS keyring.
    pub fn keyring_store(&self, user: &str) {
        let out = self.remote(
            user,
            "printf 'cli_auth_credentials_store = \"keyring\"\\n' >~/.codex/config.toml",
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    /// What the issuer says of each token: `alive`, `used` (a rotated refresh token),
    /// `revoked`, `expired` or `unknown`. Asked in a request body: tokens never go in a URL.
    pub fn token_states(&self, tokens: &[&str]) -> HashMap<String, String> {
        let body = serde_json::json!({ "tokens": tokens }).to_string();
        let (status, text) = http_post(&self.issuer_proxy, "/__state", &body);
        assert_eq!(status, 200, "the issuer's /__state: {text}");
        serde_json::from_str(&text).expect("the issuer's token states are JSON")
    }
    /// The issuer's word on the login in `login` (an auth.json): the state of its refresh
    /// token, or of its access token where it has none (an access-only copy); `apikey` for a
    /// login with an API key, which the issuer does not track.
    pub fn login_state(&self, login: &serde_json::Value) -> String {
        let tokens = &login["tokens"];
        let token = match tokens["refresh_token"].as_str() {
            Some(rt) if !rt.is_empty() => rt,
            _ => match tokens["access_token"].as_str() {
                Some(at) => at,
                None => return "apikey".into(),
            },
        };
        self.token_states(&[token]).remove(token).unwrap_or_default()
    }
    /// A login minted at the issuer now (a new grant, as if signed in), as codex writes it in
    /// auth.json: for a test that needs a login alive at the issuer without a sign-in.
    pub fn minted_login(&self) -> serde_json::Value {
        let mut tokens: serde_json::Value =
            serde_json::from_str(&self.issuer("/__mint")).expect("the issuer's /__mint is JSON");
        tokens["account_id"] = "acct-rig".into();
        serde_json::json!({"auth_mode": "chatgpt", "OPENAI_API_KEY": null, "tokens": tokens, "last_refresh": now_utc()})
    }
    /// `login` refreshed at the issuer as codex refreshes it (its refresh token used up, new
    /// tokens in the same grant), dated now: what a codex holding it writes next. The token
    /// goes in the request body, on curl's stdin, never in a command line.
    pub fn refreshed(&self, login: &serde_json::Value) -> serde_json::Value {
        let body = serde_json::json!({
            "grant_type": "refresh_token",
            "client_id": "app_rig_refresh",
            "refresh_token": login["tokens"]["refresh_token"],
        });
        let mut curl = Command::new("curl")
            .args(["-sk", "--proxy", &format!("http://{}", self.issuer_proxy)])
            .args(["-H", "Content-Type: application/json", "--data-binary", "@-"])
            .arg("https://auth.openai.com/oauth/token")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("curl");
        curl.stdin
            .take()
            .unwrap()
            .write_all(body.to_string().as_bytes())
            .unwrap();
        let out = curl.wait_with_output().expect("curl");
        let tokens: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the issuer's answer is JSON");
        assert!(
            tokens["refresh_token"].is_string(),
            "the issuer refused the refresh: {tokens}"
        );
        let mut fresh = login.clone();
        for kind in ["id_token", "access_token", "refresh_token"] {
            fresh["tokens"][kind] = tokens[kind].clone();
        }
        fresh["last_refresh"] = now_utc().into();
        fresh
    }
    /// What each refresh at the issuer came to, in order: `ok`, `reused` (codex's "refresh
    /// token was already used"), `invalid`.
    pub fn refreshes(&self) -> Vec<String> {
        serde_json::from_str(&self.issuer("/__refreshes")).expect("the issuer's /__refreshes is JSON")
    }
    /// What a test that compares the host's login with a container's copy shows when they
    /// unexpectedly differ: each file's `account_id` and `refresh_token` lines as the shim's
    /// survey reads them (line ends included), whether the host's refresh token is still the
    /// one `signed_in` holds, and the issuer's refreshes so far.
    pub fn copy_diagnosis(&self, user: &str, container: &str, path: &str, signed_in: &serde_json::Value) -> String {
        let lines = |raw: &str| -> Vec<String> {
            raw.split_inclusive('\n')
                .filter(|l| l.contains("\"account_id\"") || l.contains("\"refresh_token\""))
                .map(|l| {
                    let shown: String = l.trim_end_matches('\n').chars().take(60).collect();
                    let end = if l.ends_with('\n') { "line end" } else { "no line end" };
                    format!("{shown:?} ({end})")
                })
                .collect()
        };
        let host = self.remote_root(&format!("cat /home/{user}/.codex/auth.json"));
        let host = String::from_utf8_lossy(&host.stdout).into_owned();
        let copy = self
            .in_container(container, path)
            .map(|(_, body)| body)
            .unwrap_or_default();
        let now: Option<serde_json::Value> = serde_json::from_str(&host).ok();
        let same = now
            .as_ref()
            .map(|n| n["tokens"]["refresh_token"] == signed_in["tokens"]["refresh_token"]);
        format!(
            "host {:?}; {container} {:?}; host's refresh token as signed in: {same:?}; refreshes at the issuer: {:?}",
            lines(&host),
            lines(&copy),
            self.refreshes()
        )
    }
    /// How many tokens and keys the issuer has minted since it started: unchanged across a
    /// run means the run signed nothing in.
    pub fn minted_count(&self) -> usize {
        let minted: Vec<String> =
            serde_json::from_str(&self.issuer("/__minted")).expect("the issuer's /__minted is JSON");
        minted.len()
    }
    /// The auth.json at `path` in `container`, `None` when there is none.
    pub fn container_login(&self, container: &str, path: &str) -> Option<serde_json::Value> {
        let (_, body) = self.in_container(container, path)?;
        (!body.is_empty()).then(|| {
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{container}:{path} is not JSON ({e}): {body}"))
        })
    }
    /// The issuer's word on `user`'s login on the host ([`Rig::login_state`]), `none` when the
    /// host holds no auth.json.
    pub fn host_login_state(&self, user: &str) -> String {
        match self.auth_json(user) {
            Some((_, login)) => self.login_state(&login),
            None => "none".into(),
        }
    }
    /// A sign-in that must succeed: `tool`, given its host and options, run to its end within
    /// [`LIMIT`]; the test fails, with the command line and the tool's stderr, unless it exits
    /// 0. What the sign-in left is the caller's to check ([`Rig::sign_alice_in`] checks a
    /// browser sign-in's login).
    pub fn sign_in(&self, tool: Tool) -> Finished {
        let command = tool.command_line();
        let run = tool.run(LIMIT);
        assert_eq!(run.code(), 0, "{command}: {}", run.stderr);
        run
    }
    /// crl-alice signed in through the browser ([`Rig::sign_in`] of `tool`, given its host
    /// and options): the run, and the login it left on the host, which must be alive at the
    /// issuer.
    pub fn sign_alice_in(&self, tool: Tool) -> SignedIn {
        let command = tool.command_line();
        let run = self.sign_in(tool);
        let (mode, login) = self
            .auth_json(ALICE)
            .unwrap_or_else(|| panic!("{command}: no login on the host"));
        assert_eq!(self.login_state(&login), "alive", "{command}");
        SignedIn { run, mode, login }
    }
}

/// What [`Rig::sign_alice_in`] saw: the finished run, and the auth.json it left on the host
/// with its `ls -ln` mode.
pub struct SignedIn {
    pub run: Finished,
    pub mode: String,
    pub login: serde_json::Value,
}

/// Now, as codex dates a login's `last_refresh`.
pub(crate) fn now_utc() -> String {
    utc_in(0)
}

/// `secs` seconds from now, as codex dates a login's `last_refresh`: a login refreshed later
/// than one made within the same second, yet not in the future by codex's measure.
pub fn utc_in(secs: u32) -> String {
    let then = Command::new("date")
        .args(["-u", "-d", &format!("+{secs} sec"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .expect("date");
    String::from_utf8(then.stdout).unwrap().trim().to_owned()
}

/// A token shaped as OpenAI's: a JWT whose claims are `claims` (JSON, or any text a test
/// wants a host to read: it is encoded as it is), signed by no one (nothing here checks the
/// signature).
pub fn jwt(claims: impl std::fmt::Display) -> String {
    format!(
        "{}.{}.c2ln",
        b64url(br#"{"alg":"RS256","typ":"JWT"}"#),
        b64url(claims.to_string().as_bytes())
    )
}

/// Base64url without padding, as JWTs encode their parts.
pub(crate) fn b64url(data: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ABC[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}
