//! `--paste`: the browser is on another device (a phone, another computer), or no local port
//! can be had. The user opens the URL anywhere, approves, and pastes the address the browser
//! then lands on (`http://127.0.0.1:1455/auth/callback?code=…&state=…`, an error page there,
//! since nothing listens on that device). The callback is checked here and delivered to the
//! waiting codex over the SSH connection, as a browser would have.
//!
//! The pasted address carries the authorization code: it is read with echo off on a
//! terminal, and never printed or logged.

use std::io::{BufRead, IsTerminal};

use bytes::Bytes;
use http::Uri;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::sync::mpsc;

use crate::callback::tunnel::Tunnel;
use crate::codex::authorize::AuthorizeUrl;
use crate::ui::terminal;

/// What the user pasted, once checked: the callback's path and query, to deliver.
#[derive(Debug, PartialEq, Eq)]
pub struct Callback {
    pub path_and_query: String,
}

/// Checks a pasted address against the sign-in it must belong to; says which part is wrong.
pub fn check(pasted: &str, expected: &AuthorizeUrl) -> Result<Callback, String> {
    let text = pasted
        .trim()
        .trim_matches(|c| c == '"' || c == '\'' || c == '<' || c == '>');
    if text.is_empty() {
        return Err("nothing was pasted".into());
    }
    let uri: Uri = text
        .parse()
        .map_err(|_| "it is not an address (it should start with http://127.0.0.1:)".to_owned())?;
    if uri.scheme_str() != Some("http") {
        return Err("it does not start with http://".into());
    }
    let authority = uri.authority().ok_or("it names no host")?;
    if !matches!(authority.host(), "127.0.0.1" | "localhost") || authority.as_str().contains('@') {
        // Not repeated: a mangled paste may carry the code anywhere.
        return Err("its host is not 127.0.0.1 or localhost".into());
    }
    if authority.port_u16() != Some(expected.redirect.port) {
        return Err(format!(
            "its port is not {} (the one codex waits on)",
            expected.redirect.port
        ));
    }
    if uri.path() != "/auth/callback" {
        return Err("its path is not /auth/callback: paste the address the browser ended on after you approved".into());
    }
    let query = uri.query().unwrap_or_default();
    let state = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned());
    match state {
        None => return Err("it carries no state".into()),
        Some(state) if !expected.state_matches(&state) => {
            return Err("its state belongs to another sign-in attempt: paste the address from this one".into());
        }
        Some(_) => {}
    }
    let has = |name: &str| form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == name);
    if !has("code") && !has("error") {
        return Err("it carries neither a code nor an error".into());
    }
    Ok(Callback {
        path_and_query: format!("/auth/callback?{query}"),
    })
}

/// Lines the user pastes, read on a thread of their own: a blocking read of stdin or the
/// terminal cannot be cancelled, so the thread is left to end with the process.
pub fn reader(on_terminal: bool) -> mpsc::UnboundedReceiver<std::io::Result<String>> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        if on_terminal {
            loop {
                let line = terminal::ask_secret("Paste the address here (it is not shown): ");
                let failed = line.is_err();
                if tx.send(line).is_err() || failed {
                    return;
                }
            }
        }
        for line in std::io::stdin().lock().lines() {
            if tx.send(line).is_err() {
                return;
            }
        }
        let _ = tx.send(Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "stdin ended before a callback address",
        )));
    });
    rx
}

/// Whether pasted lines come from a person at a terminal (asked again on a bad paste) or from
/// a pipe.
pub fn from_terminal() -> bool {
    std::io::stdin().is_terminal() && terminal::available()
}

/// Delivers the callback to codex through `tunnel`, then fetches the `/success` page codex
/// redirects to (codex waits for that fetch before it exits).
pub async fn deliver(tunnel: &Tunnel, port: u16, callback: &Callback) -> Result<u16, String> {
    let status = get(tunnel, port, &callback.path_and_query).await?;
    if let (302 | 303, Some(location)) = status {
        match success_path(&location, port) {
            Some(path) => {
                // codex may already have exited once it saved the login: then this fails,
                // and the shim's report decides.
                if let Err(e) = get(tunnel, port, &path).await {
                    tracing::debug!("fetching codex's success page: {e}");
                }
            }
            None => tracing::debug!("codex redirected elsewhere than its own /success"),
        }
    }
    Ok(status.0)
}

/// `GET path` on codex's port; the status and `Location`. Neither is logged: the Location
/// carries the id_token.
async fn get(tunnel: &Tunnel, port: u16, path: &str) -> Result<(u16, Option<String>), String> {
    let stream = tunnel.open().await.map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(conn);
    let request = Request::get(path)
        .header("host", format!("127.0.0.1:{port}"))
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let result = async {
        let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let _ = response.into_body().collect().await;
        Ok((status, location))
    }
    .await;
    driver.abort();
    result
}

/// The path of codex's own `/success` page on its loopback port, if `location` is that.
fn success_path(location: &str, port: u16) -> Option<String> {
    let uri: Uri = location.parse().ok()?;
    let own = match uri.authority() {
        Some(a) => matches!(a.host(), "127.0.0.1" | "localhost") && a.port_u16() == Some(port),
        None => true,
    };
    (own && uri.path() == "/success").then(|| {
        uri.path_and_query()
            .map_or("/success".into(), |p| p.as_str().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> AuthorizeUrl {
        AuthorizeUrl::parse(
            "https://auth.openai.com/oauth/authorize?client_id=x&redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback&state=S1",
            None,
        )
        .unwrap()
    }

    #[test]
    fn good_pastes() {
        let ok = check("  'http://127.0.0.1:1455/auth/callback?code=C&state=S1'\n", &expected()).unwrap();
        assert_eq!(ok.path_and_query, "/auth/callback?code=C&state=S1");
        assert!(
            check(
                "http://localhost:1455/auth/callback?code=C&state=S1.onboarding_entrypoint%3Dlife_sciences",
                &expected()
            )
            .is_ok()
        );
        assert!(
            check(
                "http://127.0.0.1:1455/auth/callback?error=access_denied&state=S1",
                &expected()
            )
            .is_ok()
        );
    }

    #[test]
    fn each_wrong_part_is_named() {
        let cases = [
            ("", "nothing was pasted"),
            ("https://127.0.0.1:1455/auth/callback?code=C&state=S1", "http://"),
            (
                "http://evil.example:1455/auth/callback?code=C&state=S1",
                "its host is not 127.0.0.1",
            ),
            (
                "http://127.0.0.1:1457/auth/callback?code=C&state=S1",
                "its port is not 1455",
            ),
            ("http://127.0.0.1:1455/success?code=C&state=S1", "its path"),
            (
                "http://127.0.0.1:1455/auth/callback?code=C&state=OLD",
                "another sign-in attempt",
            ),
            ("http://127.0.0.1:1455/auth/callback?code=C", "no state"),
            (
                "http://127.0.0.1:1455/auth/callback?state=S1",
                "neither a code nor an error",
            ),
        ];
        for (paste, says) in cases {
            let why = check(paste, &expected()).unwrap_err();
            assert!(why.contains(says), "{paste}: {why}");
            assert!(!why.contains("code=C"), "the code is never repeated: {why}");
        }
    }

    #[test]
    fn success_redirects() {
        assert_eq!(
            success_path("http://127.0.0.1:1455/success?id_token=x", 1455).as_deref(),
            Some("/success?id_token=x")
        );
        assert_eq!(success_path("/success", 1455).as_deref(), Some("/success"));
        assert_eq!(success_path("https://evil.example/success", 1455), None);
        assert_eq!(success_path("http://127.0.0.1:1457/success", 1455), None);
    }
}
