//! The local callback proxy: the browser's `http://127.0.0.1:PORT/...` requests, carried to
//! the `codex login` listening on the target's loopback.
//!
//! It carries the callback and nothing else. Only codex's routes pass (`/auth/callback`,
//! `/success`, `/cancel`), only as `GET`; anything else gets a local 404. A callback whose
//! `state` is not this sign-in's is answered here and never reaches the host, and `/success`
//! and `/cancel` pass only once a valid callback has (a local page fetching them must neither
//! end nor fake the end of a waiting sign-in). What reaches the host is the method, path and
//! query with a fixed `Host`: none of the browser's headers, so not the cookies it keeps for
//! 127.0.0.1, which every local web app shares. What comes back is codex's status,
//! `Content-Type`, body and a `Location` that stays on this port; the host's other headers,
//! `Set-Cookie` first, are dropped, and the page is sandboxed away from the cookies of
//! 127.0.0.1 (codex's page runs a script of the host's choosing on this origin).
//!
//! Each browser connection gets its own tunnel connection, opened on its first forwarded
//! request and reused for the next (the callback's redirect to `/success`). Request lines
//! are logged without their query: it carries the code, and `/success` the id_token.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Uri};
use http_body_util::{BodyExt, Empty, Full, Limited};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc, watch};

use crate::callback::listener::{self, Limits, Listeners};
use crate::callback::tunnel::{Tunnel, TunnelError};
use crate::codex::authorize::AuthorizeUrl;

/// codex's pages are a few kilobytes; a host that sends more is not codex.
const MAX_BODY: usize = 1 << 20;

/// What every answer to the browser carries, whoever wrote its body. The sandbox gives codex's
/// page (whose script the host chooses) an origin of its own, so that it can neither read nor
/// set the cookies of 127.0.0.1; `no-referrer` keeps the id_token of `/success` out of any
/// page it links to.
const FIXED_HEADERS: [(&str, &str); 4] = [
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; \
         style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'",
    ),
];

/// What the proxy saw, for the flow to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackEvent {
    /// The browser's callback was carried to codex, which answered with this status.
    Forwarded { status: u16 },
    /// A callback from an older attempt (or a forged one) was turned away.
    Stale,
    /// codex's success page was handed to the browser.
    SuccessServed,
    /// The tunnel to the target could not be opened, or broke.
    TunnelFailed(String),
    /// The host forbids forwarding and has nothing to relay with: the sign-in cannot finish.
    NoRelay,
    /// The host answered as codex does not (a redirect off this port, no final status): the
    /// browser got a local page instead.
    OddAnswer,
}

pub struct CallbackProxy {
    authorize: AuthorizeUrl,
    tunnel: Arc<Tunnel>,
    events: mpsc::UnboundedSender<CallbackEvent>,
    /// A valid callback has reached codex and been answered as codex does: from now on
    /// `/success` and `/cancel` pass too.
    called_back: AtomicBool,
}

impl CallbackProxy {
    pub fn new(authorize: AuthorizeUrl, tunnel: Arc<Tunnel>, events: mpsc::UnboundedSender<CallbackEvent>) -> Self {
        Self {
            authorize,
            tunnel,
            events,
            called_back: AtomicBool::new(false),
        }
    }

    fn port(&self) -> u16 {
        self.authorize.redirect.port
    }
}

/// Serves `listeners` until `shutdown` turns true, then lets open exchanges finish for at
/// most a second.
pub async fn serve(listeners: Vec<TcpListener>, proxy: Arc<CallbackProxy>, shutdown: watch::Receiver<bool>) {
    let make = move || {
        let upstream = Arc::new(Upstream::default());
        let proxy = proxy.clone();
        move |req| {
            let (proxy, upstream) = (proxy.clone(), upstream.clone());
            async move { route(&proxy, &upstream, req).await }
        }
    };
    listener::serve(Listeners::new(listeners), make, Limits::default(), shutdown).await;
}

/// Where a browser request goes, decided from its path and query alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// This sign-in's callback: carried to codex.
    Callback,
    /// A callback with no `state`, or another attempt's: answered here.
    Stale,
    /// codex's success page.
    Success,
    /// codex's own cancel endpoint.
    Cancel,
    /// Anything else: a local 404.
    NotFound,
}

impl Route {
    /// The route of a request for `path` with `query`, for the sign-in `authorize` started.
    pub fn of(path: &str, query: Option<&str>, authorize: &AuthorizeUrl) -> Self {
        match path {
            "/auth/callback" => {
                let state = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                    .find(|(k, _)| k == "state")
                    .map(|(_, v)| v.into_owned());
                if state.is_some_and(|s| authorize.state_matches(&s)) {
                    Self::Callback
                } else {
                    Self::Stale
                }
            }
            "/success" => Self::Success,
            "/cancel" => Self::Cancel,
            _ => Self::NotFound,
        }
    }
}

async fn route(proxy: &CallbackProxy, upstream: &Upstream, req: Request<Incoming>) -> Response<Full<Bytes>> {
    tracing::debug!(
        "browser: {} {}",
        req.method(),
        codex_remote_login_shared::redact::url(req.uri().path())
    );
    if req.method() != Method::GET {
        return page(StatusCode::METHOD_NOT_ALLOWED, "Only GET is served here.\n");
    }
    // Only the path and query go on; the request itself, headers and all, ends here.
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let route = Route::of(req.uri().path(), req.uri().query(), &proxy.authorize);
    drop(req);
    match route {
        Route::Callback => match forward(proxy, upstream, &target).await {
            Ok(response) => {
                proxy.called_back.store(true, Ordering::Release);
                let _ = proxy.events.send(CallbackEvent::Forwarded {
                    status: response.status().as_u16(),
                });
                response
            }
            Err(local) => local,
        },
        Route::Stale => {
            let _ = proxy.events.send(CallbackEvent::Stale);
            page(StatusCode::BAD_REQUEST, STALE_PAGE)
        }
        Route::Success | Route::Cancel if !proxy.called_back.load(Ordering::Acquire) => {
            tracing::debug!("{route:?} asked for before any valid callback: answered here");
            page(StatusCode::NOT_FOUND, NOT_FOUND)
        }
        Route::Success => match forward(proxy, upstream, &target).await {
            Ok(response) => {
                if response.status() == StatusCode::OK {
                    let _ = proxy.events.send(CallbackEvent::SuccessServed);
                }
                response
            }
            Err(local) => local,
        },
        Route::Cancel => forward(proxy, upstream, &target).await.unwrap_or_else(|local| local),
        Route::NotFound => page(StatusCode::NOT_FOUND, NOT_FOUND),
    }
}

/// This browser connection's connection to codex, opened on first use.
#[derive(Default)]
struct Upstream {
    sender: Mutex<Option<(SendRequest<Empty<Bytes>>, AbortOnDrop)>>,
}

/// Owns the task that drives a client connection: it ends with the browser connection.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `GET target` to codex, and codex's answer as the browser may see it; `Err` is a local page
/// for when codex could not be reached or answered out of bounds.
async fn forward(
    proxy: &CallbackProxy,
    upstream: &Upstream,
    target: &str,
) -> Result<Response<Full<Bytes>>, Response<Full<Bytes>>> {
    let mut slot = upstream.sender.lock().await;
    let reusable = match slot.as_mut() {
        Some((sender, _)) => sender.ready().await.is_ok(),
        None => false,
    };
    if !reusable {
        match connect(&proxy.tunnel).await {
            Ok(pair) => *slot = Some(pair),
            Err(why) => {
                let _ = proxy.events.send(why);
                return Err(page(StatusCode::BAD_GATEWAY, TUNNEL_PAGE));
            }
        }
    }
    let (sender, _) = slot.as_mut().expect("connected above");
    let answer = async {
        let response = sender.send_request(upstream_request(target, proxy.port())).await?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, MAX_BODY).collect().await?.to_bytes();
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>((parts, body))
    };
    match answer.await {
        Ok((parts, body)) => {
            tracing::debug!("codex answered {}", parts.status);
            browser_response(&parts, body, proxy.port()).ok_or_else(|| {
                let _ = proxy.events.send(CallbackEvent::OddAnswer);
                page(StatusCode::BAD_GATEWAY, ODD_ANSWER_PAGE)
            })
        }
        Err(e) => {
            *slot = None;
            let _ = proxy.events.send(CallbackEvent::TunnelFailed(e.to_string()));
            Err(page(StatusCode::BAD_GATEWAY, TUNNEL_PAGE))
        }
    }
}

/// The request codex gets: `GET target` with a fixed `Host`, nothing of the browser's.
fn upstream_request(target: &str, port: u16) -> Request<Empty<Bytes>> {
    Request::get(target)
        .header(header::HOST, format!("127.0.0.1:{port}"))
        .body(Empty::new())
        .expect("a path and query that hyper parsed")
}

/// What the browser gets of codex's answer: its status, `Content-Type`, `Location` (only one
/// that stays on this port) and body, with [`FIXED_HEADERS`]; `None` for a status that is not
/// a final one or a `Location` elsewhere.
fn browser_response(parts: &http::response::Parts, body: Bytes, port: u16) -> Option<Response<Full<Bytes>>> {
    if parts.status.is_informational() {
        return None;
    }
    let mut response = Response::builder().status(parts.status);
    if let Some(kind) = parts.headers.get(header::CONTENT_TYPE) {
        response = response.header(header::CONTENT_TYPE, kind);
    }
    if let Some(location) = parts.headers.get(header::LOCATION) {
        response = response.header(header::LOCATION, local_location(location, port)?);
    }
    for (name, value) in FIXED_HEADERS {
        response = response.header(name, value);
    }
    response.body(Full::new(body)).ok()
}

/// `location` if it leads back to this port on this machine: a path, or
/// `http://127.0.0.1:PORT/...` or `http://localhost:PORT/...` (codex's `/success`).
fn local_location(location: &HeaderValue, port: u16) -> Option<HeaderValue> {
    let text = location.to_str().ok()?;
    // Browsers read `\` as `/`, so `/\evil.example` would leave the port.
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_graphic()) || text.contains('\\') {
        return None;
    }
    if text.starts_with('/') {
        return (!text.starts_with("//")).then(|| location.clone());
    }
    let uri: Uri = text.parse().ok()?;
    let written = uri.authority()?.as_str();
    let ours = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    (uri.scheme_str() == Some("http") && ours.iter().any(|a| a.eq_ignore_ascii_case(written))).then(|| location.clone())
}

async fn connect(tunnel: &Tunnel) -> Result<(SendRequest<Empty<Bytes>>, AbortOnDrop), CallbackEvent> {
    let stream = tunnel.open().await.map_err(|e| match e {
        TunnelError::NoRelay => CallbackEvent::NoRelay,
        e => CallbackEvent::TunnelFailed(format!("cannot open a tunnel to codex: {e}")),
    })?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| CallbackEvent::TunnelFailed(e.to_string()))?;
    let driver = tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!("tunnel connection ended: {e}");
        }
    });
    Ok((sender, AbortOnDrop(driver)))
}

fn page(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8");
    for (name, value) in FIXED_HEADERS {
        response = response.header(name, value);
    }
    response
        .body(Full::new(Bytes::from_static(text.as_bytes())))
        .expect("static response")
}

const NOT_FOUND: &str = "Not found.\n";
const STALE_PAGE: &str = "This sign-in link belongs to an older attempt of codex-remote-login.\n\
Go back to your terminal and open the newest link it printed.\n";
const TUNNEL_PAGE: &str = "codex-remote-login could not reach codex on the remote host.\n\
Go back to your terminal to see what happened.\n";
const ODD_ANSWER_PAGE: &str = "The remote host answered in a way codex does not (a redirect off this \
machine's callback port); codex-remote-login did not pass it on.\n\
Go back to your terminal to see what happened.\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_gets_path_query_and_a_fixed_host_only() {
        let req = upstream_request("/auth/callback?code=c&state=s", 1457);
        assert_eq!(req.method(), Method::GET);
        assert_eq!(req.uri(), "/auth/callback?code=c&state=s");
        let names: Vec<_> = req.headers().keys().collect();
        assert_eq!(names, [header::HOST]);
        assert_eq!(req.headers()[header::HOST], "127.0.0.1:1457");
    }

    fn answer(status: u16, headers: &[(&str, &str)]) -> http::response::Parts {
        let mut builder = Response::builder().status(status);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_browser_gets_status_type_location_and_body_only() {
        let parts = answer(
            302,
            &[
                ("location", "http://127.0.0.1:1455/success?id_token=x"),
                ("content-type", "text/html"),
                ("set-cookie", "evil=1; Domain=127.0.0.1"),
                ("x-from-host", "1"),
                ("cache-control", "max-age=99999"),
            ],
        );
        let response = browser_response(&parts, Bytes::from_static(b"page"), 1455).unwrap();
        assert_eq!(response.status(), 302);
        let mut names: Vec<&str> = response.headers().keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "cache-control",
                "content-security-policy",
                "content-type",
                "location",
                "referrer-policy",
                "x-content-type-options"
            ]
        );
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(
            response.headers()["location"],
            "http://127.0.0.1:1455/success?id_token=x"
        );
        assert!(browser_response(&answer(101, &[]), Bytes::new(), 1455).is_none());
    }

    #[test]
    fn locations_stay_on_the_port() {
        let ok = [
            "/success?id_token=x",
            "/",
            "http://127.0.0.1:1455/success",
            "http://localhost:1455/success?x=1",
            "http://LOCALHOST:1455/",
        ];
        for location in ok {
            let value = HeaderValue::from_static(location);
            assert_eq!(local_location(&value, 1455), Some(value.clone()), "{location}");
        }
        let refused = [
            "",
            "//evil.example/x",
            "/\\evil.example/x",
            "https://127.0.0.1:1455/success",
            "http://127.0.0.1:1457/success",
            "http://127.0.0.1/success",
            "http://evil.example:1455/success",
            "http://127.0.0.1:1455@evil.example/",
            "http://user@127.0.0.1:1455/",
            "javascript:alert(1)",
            "success",
            "/success x",
        ];
        for location in refused {
            let value = HeaderValue::from_str(location).unwrap();
            assert_eq!(local_location(&value, 1455), None, "{location}");
        }
    }
}
