//! The browser here: the local listener and proxy started once codex has printed its URL,
//! carrying the browser's callback to the host's codex, and its bounded shutdown.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use super::context::Context;
use crate::callback::ports;
use crate::callback::proxy::{self, CallbackEvent, CallbackProxy};
use crate::callback::tunnel::{Link, Tunnel, TunnelError};
use crate::codex::authorize::AuthorizeUrl;
use crate::error::Error;
use crate::ui::json::Event;

/// How long codex's success page may take to reach the browser after codex has exited.
const SUCCESS_GRACE: Duration = Duration::from_secs(3);

/// A browser sign-in: the callback port settled before anything started on the host, and the
/// proxy once codex has printed its URL.
pub struct Browser {
    link: Link,
    listeners: Option<Vec<TcpListener>>,
    proxy: Option<Proxy>,
}

struct Proxy {
    events: mpsc::UnboundedReceiver<CallbackEvent>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    /// codex's success page reached the browser.
    success_served: bool,
}

impl Browser {
    pub fn new(link: Link, listeners: Option<Vec<TcpListener>>) -> Self {
        Self {
            link,
            listeners,
            proxy: None,
        }
    }

    /// Whether the URL has been shown.
    pub fn shown(&self) -> bool {
        self.proxy.is_some()
    }

    /// The browser's next request reaching the proxy; never, before the proxy runs.
    pub async fn next_callback(&mut self) -> Option<CallbackEvent> {
        match &mut self.proxy {
            Some(proxy) => proxy.events.recv().await,
            None => std::future::pending().await,
        }
    }

    /// Listens on the port the remote codex chose, starts the proxy, then shows the URL.
    pub async fn start(&mut self, url: AuthorizeUrl, cx: &Context<'_>) -> Result<(), Error> {
        let redirect = url.redirect;
        let relay = cx.relay_tool();
        let mut bound = self.listeners.take().unwrap_or_default();
        let bound_port = bound.first().and_then(|l| l.local_addr().ok()).map(|a| a.port());
        if bound_port != Some(redirect.port) {
            // The host's 1455 was busy and codex fell back to 1457: follow it.
            tracing::info!("codex on {} listens on {}; following it", cx.host, redirect.port);
            bound = ports::bind(redirect.port, redirect.localhost)?;
        } else if redirect.localhost {
            // 127.0.0.1 is held since the port was settled; a browser may try [::1] for
            // `localhost` first, so that is added, and only that.
            bound.extend(ports::bind_v6(redirect.port)?);
        }
        let (events_tx, events) = mpsc::unbounded_channel();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let tunnel = Arc::new(Tunnel::new(self.link.clone(), redirect.port, relay, cx.inside.cloned()));
        let server = Arc::new(CallbackProxy::new(url.clone(), tunnel, events_tx));
        let task = tokio::spawn(proxy::serve(bound, server, shutdown_rx));
        self.proxy = Some(Proxy {
            events,
            shutdown,
            task,
            success_served: false,
        });

        let host = cx.host;
        cx.ui
            .always(&format!("Sign in to Codex for {host} at:\n\n  {}\n", url.url));
        cx.open_browser(&url.url, "URL").await;
        cx.ui.event(&Event::Url {
            host,
            url: url.url.as_str(),
            callback_port: redirect.port,
        });
        cx.ui.step("Waiting for you to approve the sign-in in the browser");
        Ok(())
    }

    pub fn on_callback(&mut self, event: CallbackEvent, cx: &Context<'_>) -> Result<(), Error> {
        let host = cx.host;
        match event {
            CallbackEvent::Forwarded { status } => {
                tracing::debug!("callback carried to {host}; codex answered {status}");
                cx.ui.event(&Event::Callback { host });
                cx.ui.step(&format!("Finishing the sign-in on {host}"));
            }
            CallbackEvent::Stale => cx
                .ui
                .warn("the browser sent a callback from an older sign-in attempt; it was ignored"),
            CallbackEvent::SuccessServed => {
                if let Some(proxy) = &mut self.proxy {
                    proxy.success_served = true;
                }
            }
            CallbackEvent::TunnelFailed(why) => {
                cx.ui.warn(&format!("could not carry the browser's request to {host}: {why}"))
            }
            CallbackEvent::OddAnswer => cx.ui.warn(&format!(
                "{host} answered the browser with a redirect off this machine's callback port (codex never does); it was not passed on"
            )),
            CallbackEvent::NoRelay => {
                return Err(Error::Tunnel {
                    host: host.to_owned(),
                    source: TunnelError::NoRelay,
                });
            }
        }
        Ok(())
    }

    /// Stops the proxy; after a sign-in that succeeded (`signed_in`), once the browser has
    /// received codex's success page.
    pub async fn stop(&mut self, signed_in: bool) {
        let Some(mut proxy) = self.proxy.take() else {
            return;
        };
        if signed_in && !proxy.success_served {
            let served = async {
                while let Some(event) = proxy.events.recv().await {
                    if event == CallbackEvent::SuccessServed {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(SUCCESS_GRACE, served).await;
        }
        let _ = proxy.shutdown.send(true);
        let _ = (&mut proxy.task).await;
    }
}
