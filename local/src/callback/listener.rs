//! The callback port's listener: it keeps accepting through errors, and idle connections can
//! neither pile up nor stay open for ever, so no local process can starve the browser of it.
//!
//! Any local process can open connections to the port as freely as the browser. Each gets
//! [`Limits::header_timeout`] to send a request head (hyper's header read timeout, which also
//! bounds the wait for the next request on a kept-alive connection). At most
//! [`Limits::max_idle`] connections may wait for a request at once: a new one beyond that, or
//! an accept that fails because the process is out of file descriptors, closes the connection
//! idle longest. The new connection is never refused: it may be the browser's.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinSet};
use tokio::time::Instant;

/// How long connections may stay, and how many may wait.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// From a connection's start (or its last response) to a complete request head.
    pub header_timeout: Duration,
    /// Connections waiting for a request, beyond which the one idle longest is closed.
    pub max_idle: usize,
    /// The longest pause after failed accepts, doubling from a millisecond.
    pub max_backoff: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // A browser sends its request head at once; 10 s is generous on a loaded laptop.
            header_timeout: Duration::from_secs(10),
            // Browsers open at most 6 connections to one host.
            max_idle: 32,
            max_backoff: Duration::from_secs(1),
        }
    }
}

/// Where connections come from: the bound listeners (or, in tests, one that fails on demand).
pub trait Accept: Send + 'static {
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>>;
}

/// The port on 127.0.0.1 and, for a `localhost` redirect, on [::1]: each polled in turn.
pub struct Listeners {
    listeners: Vec<TcpListener>,
    next: usize,
}

impl Listeners {
    pub fn new(listeners: Vec<TcpListener>) -> Self {
        Self { listeners, next: 0 }
    }
}

impl Accept for Listeners {
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>> {
        let count = self.listeners.len();
        for i in 0..count {
            // Start after the last one that gave a connection: a flood on one address does not
            // hide the other.
            let at = (self.next + i) % count;
            if let Poll::Ready(result) = self.listeners[at].poll_accept(cx) {
                self.next = (at + 1) % count;
                return Poll::Ready(result.map(|(stream, _)| stream));
            }
        }
        Poll::Pending
    }
}

/// Whether a connection has a request in flight, and since when it has not.
struct Activity {
    in_flight: AtomicUsize,
    idle_since: Mutex<Instant>,
}

impl Activity {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            in_flight: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
        })
    }

    /// `None` while a request is being answered.
    fn idle_since(&self) -> Option<Instant> {
        let since = *self.idle_since.lock().unwrap_or_else(|e| e.into_inner());
        (self.in_flight.load(Ordering::Acquire) == 0).then_some(since)
    }

    fn begin(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        Busy(self.clone())
    }
}

/// A request in flight on a connection; its end makes the connection idle again.
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        *self.0.idle_since.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Why accepting is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pause {
    No,
    /// Out of file descriptors, and a connection was closed for room: resume when it is gone.
    UntilRelease,
    /// Accept failed: resume after a backoff.
    Until(Instant),
}

/// The open connections, to choose which to close.
#[derive(Default)]
struct Open(HashMap<tokio::task::Id, (Arc<Activity>, AbortHandle)>);

impl Open {
    fn idle(&self) -> usize {
        self.0.values().filter(|(a, _)| a.idle_since().is_some()).count()
    }

    /// Closes the connection idle longest; false when none is idle.
    fn close_oldest_idle(&mut self) -> bool {
        let oldest = self
            .0
            .iter()
            .filter_map(|(id, (a, _))| a.idle_since().map(|since| (since, *id)))
            .min();
        match oldest.and_then(|(_, id)| self.0.remove(&id)) {
            Some((_, handle)) => {
                handle.abort();
                true
            }
            None => false,
        }
    }
}

/// Whether an accept failed because this process (or the system) has no file descriptor left.
fn out_of_descriptors(e: &io::Error) -> bool {
    // EMFILE and ENFILE are 24 and 23 on Linux, macOS and the BSDs; WSAEMFILE on Windows.
    if cfg!(windows) {
        e.raw_os_error() == Some(10024)
    } else {
        matches!(e.raw_os_error(), Some(23 | 24))
    }
}

/// Serves connections from `incoming` until `shutdown` turns true, then lets open exchanges
/// finish for at most a second. `make` gives each connection its request handler.
pub async fn serve<A, M, H, F>(mut incoming: A, make: M, limits: Limits, mut shutdown: watch::Receiver<bool>)
where
    A: Accept,
    M: Fn() -> H,
    H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let mut connections = JoinSet::new();
    let mut open = Open::default();
    let mut pause = Pause::No;
    let first_backoff = Duration::from_millis(1);
    let mut backoff = first_backoff;
    loop {
        let resume = async {
            match pause {
                Pause::Until(at) => tokio::time::sleep_until(at).await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            accepted = std::future::poll_fn(|cx| incoming.poll_accept(cx)), if pause == Pause::No => match accepted {
                Ok(stream) => {
                    backoff = first_backoff;
                    if open.idle() >= limits.max_idle {
                        tracing::debug!("{} idle connections to the callback port; closing the oldest", limits.max_idle);
                        open.close_oldest_idle();
                    }
                    let activity = Activity::new();
                    let handler = make();
                    let handle = connections.spawn(connection(stream, handler, activity.clone(), limits.header_timeout, shutdown.clone()));
                    open.0.insert(handle.id(), (activity, handle));
                }
                Err(e) => {
                    if out_of_descriptors(&e) && open.close_oldest_idle() {
                        tracing::debug!("accepting on the callback port: {e}; closed the oldest idle connection");
                        pause = Pause::UntilRelease;
                    } else {
                        tracing::debug!("accepting on the callback port: {e}; again in {backoff:?}");
                        pause = Pause::Until(Instant::now() + backoff);
                        backoff = (backoff * 2).min(limits.max_backoff);
                    }
                }
            },
            Some(ended) = connections.join_next_with_id(), if !connections.is_empty() => {
                let id = match ended {
                    Ok((id, ())) => id,
                    Err(e) => e.id(),
                };
                open.0.remove(&id);
                if pause == Pause::UntilRelease {
                    pause = Pause::No;
                }
            }
            () = resume => pause = Pause::No,
            () = stopped(&mut shutdown) => break,
        }
    }
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(1), drain).await.is_err() {
        connections.abort_all();
    }
}

/// Resolves once shutdown is asked for (or its sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn connection<H, F>(
    stream: TcpStream,
    handler: H,
    activity: Arc<Activity>,
    header_timeout: Duration,
    mut shutdown: watch::Receiver<bool>,
) where
    H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let busy = activity.begin();
        let answer = handler(req);
        async move {
            let response = answer.await;
            drop(busy);
            Ok::<_, Infallible>(response)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::io::{Read, Write};

    use super::*;

    fn hello() -> impl Fn(Request<Incoming>) -> std::future::Ready<Response<Full<Bytes>>> {
        |_| std::future::ready(Response::new(Full::new(Bytes::from_static(b"hello"))))
    }

    /// A blocking GET on its own thread (the test's runtime serves meanwhile); the whole answer.
    async fn get(port: u16) -> String {
        tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut text = String::new();
            let _ = s.read_to_string(&mut text);
            text
        })
        .await
        .unwrap()
    }

    async fn start<A: Accept>(incoming: A, limits: Limits) -> watch::Sender<bool> {
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(serve(incoming, hello, limits, stopped));
        stop
    }

    async fn bound() -> (TcpListener, u16) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        (listener, port)
    }

    /// A listener whose first accepts fail as at the file-descriptor limit.
    struct Failing {
        errors: VecDeque<io::Error>,
        inner: Listeners,
        failed: Arc<AtomicUsize>,
    }

    impl Accept for Failing {
        fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>> {
            if let Some(e) = self.errors.pop_front() {
                self.failed.fetch_add(1, Ordering::SeqCst);
                return Poll::Ready(Err(e));
            }
            self.inner.poll_accept(cx)
        }
    }

    #[tokio::test]
    async fn accept_errors_do_not_end_the_listener() {
        let (listener, port) = bound().await;
        let failed = Arc::new(AtomicUsize::new(0));
        let errors = [24, 23, 103, 24, 24, 24, 24, 24, 24, 24]
            .into_iter()
            .map(io::Error::from_raw_os_error)
            .collect();
        let incoming = Failing {
            errors,
            inner: Listeners::new(vec![listener]),
            failed: failed.clone(),
        };
        let limits = Limits {
            max_backoff: Duration::from_millis(20),
            ..Limits::default()
        };
        let _stop = start(incoming, limits).await;
        let answer = get(port).await;
        assert!(answer.ends_with("hello"), "{answer}");
        assert_eq!(failed.load(Ordering::SeqCst), 10, "every injected error was met");
    }

    /// Hundreds of silent connections: the browser's request is still answered, and only the
    /// newest idle ones are kept.
    #[tokio::test]
    async fn idle_connections_are_bounded_and_never_refuse_the_newest() {
        let (listener, port) = bound().await;
        let limits = Limits {
            max_idle: 8,
            ..Limits::default()
        };
        let _stop = start(Listeners::new(vec![listener]), limits).await;
        let idle: Vec<std::net::TcpStream> = tokio::task::spawn_blocking(move || {
            (0..300)
                .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
                .collect()
        })
        .await
        .unwrap();
        let answer = get(port).await;
        assert!(answer.ends_with("hello"), "{answer}");
        // The server closed all but the newest few: reading them gives end of file.
        let still_open = tokio::task::spawn_blocking(move || {
            idle.into_iter()
                .filter(|mut s| {
                    s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
                    let mut byte = [0u8];
                    !matches!(s.read(&mut byte), Ok(0))
                })
                .count()
        })
        .await
        .unwrap();
        assert!(still_open <= 8, "{still_open} idle connections kept");
    }

    /// A connection that never sends a request, and one kept alive after its answer, are
    /// closed after the header timeout.
    #[tokio::test]
    async fn silent_and_kept_alive_connections_time_out() {
        let (listener, port) = bound().await;
        let limits = Limits {
            header_timeout: Duration::from_millis(300),
            ..Limits::default()
        };
        let _stop = start(Listeners::new(vec![listener]), limits).await;
        let closed_after = tokio::task::spawn_blocking(move || {
            let silent = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            let mut kept = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            kept.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let started = std::time::Instant::now();
            [silent, kept]
                .into_iter()
                .map(|mut s| {
                    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    let mut sink = Vec::new();
                    let _ = s.read_to_end(&mut sink);
                    started.elapsed()
                })
                .max()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(closed_after < Duration::from_secs(3), "closed after {closed_after:?}");
    }
}
