//! The local callback proxy: the browser's `http://127.0.0.1:PORT/...` requests, carried to
//! the `codex login` listening on the target's loopback.
//!
//! Only codex's routes pass (`/auth/callback`, `/success`, `/cancel`); anything else gets a
//! local 404. A callback whose `state` is not this sign-in's is answered here and never
//! reaches the host. Each browser connection gets its own tunnel connection, opened on its
//! first forwarded request and reused for the next (the callback's redirect to `/success`).
//! Request lines are logged without their query: it carries the code, and `/success` the
//! id_token.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc, watch};
use tokio::task::JoinSet;

use crate::authorize::AuthorizeUrl;
use crate::tunnel::{Tunnel, TunnelError};

type Body = BoxBody<Bytes, hyper::Error>;

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
}

pub struct CallbackProxy {
    pub authorize: AuthorizeUrl,
    pub tunnel: Arc<Tunnel>,
    pub events: mpsc::UnboundedSender<CallbackEvent>,
}

/// Serves `listeners` until `shutdown` turns true, then lets open exchanges finish for at
/// most a second.
pub async fn serve(listeners: Vec<TcpListener>, proxy: Arc<CallbackProxy>, mut shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    let mut accepts = JoinSet::new();
    let (conn_tx, mut conn_rx) = mpsc::channel(16);
    for listener in listeners {
        let tx = conn_tx.clone();
        accepts.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                if tx.send(stream).await.is_err() {
                    break;
                }
            }
        });
    }
    drop(conn_tx);
    loop {
        tokio::select! {
            Some(stream) = conn_rx.recv() => {
                connections.spawn(connection(stream, proxy.clone(), shutdown.clone()));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = stopped(&mut shutdown) => break,
        }
    }
    accepts.abort_all();
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(1), drain).await.is_err() {
        connections.abort_all();
    }
}

/// Resolves once shutdown is asked for (or its sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn connection(stream: tokio::net::TcpStream, proxy: Arc<CallbackProxy>, mut shutdown: watch::Receiver<bool>) {
    let upstream = Arc::new(Upstream::default());
    let service = hyper::service::service_fn(move |req| {
        let (proxy, upstream) = (proxy.clone(), upstream.clone());
        async move { Ok::<_, Infallible>(route(&proxy, &upstream, req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
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

async fn route(proxy: &CallbackProxy, upstream: &Upstream, req: Request<Incoming>) -> Response<Body> {
    tracing::debug!(
        "browser: {} {}",
        req.method(),
        codex_remote_login_shared::redact::url(req.uri().path())
    );
    match Route::of(req.uri().path(), req.uri().query(), &proxy.authorize) {
        Route::Callback => {
            let response = forward(proxy, upstream, req).await;
            let _ = proxy.events.send(CallbackEvent::Forwarded {
                status: response.status().as_u16(),
            });
            response
        }
        Route::Stale => {
            let _ = proxy.events.send(CallbackEvent::Stale);
            page(StatusCode::BAD_REQUEST, STALE_PAGE)
        }
        Route::Success => {
            let response = forward(proxy, upstream, req).await;
            if response.status() != StatusCode::OK {
                return response;
            }
            // Buffer the small page so that it is complete before the flow may shut down.
            let (parts, body) = response.into_parts();
            match body.collect().await {
                Ok(collected) => {
                    let _ = proxy.events.send(CallbackEvent::SuccessServed);
                    Response::from_parts(parts, full(collected.to_bytes()))
                }
                Err(_) => page(StatusCode::BAD_GATEWAY, TUNNEL_PAGE),
            }
        }
        Route::Cancel => forward(proxy, upstream, req).await,
        Route::NotFound => page(StatusCode::NOT_FOUND, "Not found.\n"),
    }
}

/// This browser connection's connection to codex, opened on first use.
#[derive(Default)]
struct Upstream {
    sender: Mutex<Option<(SendRequest<Incoming>, AbortOnDrop)>>,
}

/// Owns the task that drives a client connection: it ends with the browser connection.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn forward(proxy: &CallbackProxy, upstream: &Upstream, req: Request<Incoming>) -> Response<Body> {
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
                return page(StatusCode::BAD_GATEWAY, TUNNEL_PAGE);
            }
        }
    }
    let (sender, _) = slot.as_mut().expect("connected above");
    let (mut parts, body) = req.into_parts();
    for hop in ["connection", "keep-alive", "proxy-connection", "upgrade"] {
        parts.headers.remove(hop);
    }
    match sender.send_request(Request::from_parts(parts, body)).await {
        Ok(response) => {
            tracing::debug!("codex answered {}", response.status());
            response.map(|b| b.boxed())
        }
        Err(e) => {
            *slot = None;
            let _ = proxy.events.send(CallbackEvent::TunnelFailed(e.to_string()));
            page(StatusCode::BAD_GATEWAY, TUNNEL_PAGE)
        }
    }
}

async fn connect(tunnel: &Tunnel) -> Result<(SendRequest<Incoming>, AbortOnDrop), CallbackEvent> {
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

fn full(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

fn page(status: StatusCode, text: &'static str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .header("cache-control", "no-store")
        .body(full(Bytes::from_static(text.as_bytes())))
        .expect("static response")
}

const STALE_PAGE: &str = "This sign-in link belongs to an older attempt of codex-remote-login.\n\
Go back to your terminal and open the newest link it printed.\n";
const TUNNEL_PAGE: &str = "codex-remote-login could not reach codex on the remote host.\n\
Go back to your terminal to see what happened.\n";
