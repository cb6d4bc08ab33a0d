//! The browser's callback: the local listener and proxy started once codex has printed its URL,
//! its events, and its bounded shutdown.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use codex_remote_login_shared::protocol::RelayTool;

use super::run::{Phase, Run};
use super::strategy::Strategy;
use crate::callback::proxy::{self, CallbackEvent, CallbackProxy};
use crate::callback::tunnel::{Tunnel, TunnelError};
use crate::codex::authorize::{AuthorizeUrl, PageUrl};
use crate::error::Error;
use crate::settings::Browser;
use crate::ui::json::Event;
use crate::{callback::ports, ui::browser};

/// How long codex's success page may take to reach the browser after codex has exited.
const SUCCESS_GRACE: Duration = Duration::from_secs(3);

pub struct Proxy {
    pub events: mpsc::UnboundedReceiver<CallbackEvent>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    /// codex's success page reached the browser.
    success_served: bool,
}

impl Run<'_> {
    /// Listens on the port the remote codex chose, starts the proxy, then shows the URL.
    pub(super) async fn start_proxy(&mut self, url: AuthorizeUrl) -> Result<(), Error> {
        let redirect = url.redirect;
        let relay = self.relay_tool();
        let Strategy::Browser { link, listeners, proxy } = &mut self.strategy else {
            unreachable!("a proxy serves the browser strategy only");
        };
        let mut bound = listeners.take().unwrap_or_default();
        let bound_port = bound.first().and_then(|l| l.local_addr().ok()).map(|a| a.port());
        if bound_port != Some(redirect.port) {
            // The host's 1455 was busy and codex fell back to 1457: follow it.
            tracing::info!("codex on {} listens on {}; following it", self.host, redirect.port);
            bound = ports::bind(redirect.port, redirect.localhost)?;
        } else if redirect.localhost {
            // 127.0.0.1 is held since the port was settled; a browser may try [::1] for
            // `localhost` first, so that is added, and only that.
            bound.extend(ports::bind_v6(redirect.port)?);
        }
        let (events_tx, events) = mpsc::unbounded_channel();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let tunnel = Arc::new(Tunnel::new(link.clone(), redirect.port, relay, self.inside.clone()));
        let server = Arc::new(CallbackProxy::new(url.clone(), tunnel, events_tx));
        let task = tokio::spawn(proxy::serve(bound, server, shutdown_rx));
        *proxy = Some(Proxy {
            events,
            shutdown,
            task,
            success_served: false,
        });

        let host = &self.host;
        self.ui
            .always(&format!("Sign in to Codex for {host} at:\n\n  {}\n", url.url));
        self.open_browser(&url.url, "URL").await;
        self.ui.event(&Event::Url {
            host,
            url: url.url.as_str(),
            callback_port: redirect.port,
        });
        self.ui.step("Waiting for you to approve the sign-in in the browser");
        Ok(())
    }

    /// Opens `url` as `--no-browser` and `--browser-command` say; `what` it is, to open by
    /// hand when no browser would.
    pub(super) async fn open_browser(&self, url: &PageUrl, what: &str) {
        let command = match &self.sign_in.browser {
            Browser::PrintOnly => return,
            Browser::Default => None,
            Browser::Command(program) => Some(program.as_os_str()),
        };
        if let Err(why) = browser::open(url, command).await {
            self.ui.warn(&format!(
                "could not open a browser ({why}); open the {what} above yourself"
            ));
        }
    }

    /// The relay for a host that forbids forwarding: `--relay` if the host has it, else the
    /// host's best.
    pub(super) fn relay_tool(&self) -> Option<RelayTool> {
        match self.sign_in.relay {
            Some(tool) if self.found.relays.contains(&tool) => Some(tool),
            Some(tool) => {
                let fallback = self.found.relays.first().copied();
                self.ui.warn(&format!(
                    "{} has no {tool}; relaying with {} if needed",
                    self.host,
                    fallback.map_or("nothing", RelayTool::as_str)
                ));
                fallback
            }
            None => self.found.relays.first().copied(),
        }
    }

    pub(super) fn on_callback(&mut self, event: CallbackEvent) -> Result<(), Error> {
        match event {
            CallbackEvent::Forwarded { status } => {
                tracing::debug!("callback carried to {}; codex answered {status}", self.host);
                self.ui.event(&Event::Callback { host: &self.host });
                self.ui.step(&format!("Finishing the sign-in on {}", self.host));
            }
            CallbackEvent::Stale => self
                .ui
                .warn("the browser sent a callback from an older sign-in attempt; it was ignored"),
            CallbackEvent::SuccessServed => {
                if let Strategy::Browser { proxy: Some(p), .. } = &mut self.strategy {
                    p.success_served = true;
                }
            }
            CallbackEvent::TunnelFailed(why) => self.ui.warn(&format!(
                "could not carry the browser's request to {}: {why}",
                self.host
            )),
            CallbackEvent::OddAnswer => self.ui.warn(&format!(
                "{} answered the browser with a redirect off this machine's callback port (codex never does); it was not passed on",
                self.host
            )),
            CallbackEvent::NoRelay => {
                return Err(Error::Tunnel {
                    host: self.host.clone(),
                    source: TunnelError::NoRelay,
                });
            }
        }
        Ok(())
    }

    /// Lets the browser receive codex's success page, then stops the proxy.
    pub(super) async fn stop_proxy(&mut self) {
        let Strategy::Browser { proxy, .. } = &mut self.strategy else {
            return;
        };
        let Some(mut proxy) = proxy.take() else {
            return;
        };
        if matches!(self.phase, Phase::Exited { code: 0, .. }) && !proxy.success_served {
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
