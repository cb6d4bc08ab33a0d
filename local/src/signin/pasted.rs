//! `--paste`: the URL shown (and a QR code), the address the browser lands on pasted back,
//! checked and delivered over the connection.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::context::Context;
use crate::callback::paste;
use crate::callback::tunnel::{Link, Tunnel};
use crate::codex::authorize::AuthorizeUrl;
use crate::error::Error;
use crate::ui::json::Event;

/// The URL as a QR code for a phone, when stderr is a terminal wide and tall enough.
fn qr(url: &str) -> Option<String> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let text = code
        .render::<qrcode::render::unicode::Dense1x2>()
        .quiet_zone(true)
        .build();
    let (rows, cols) = console::Term::stderr().size();
    let (width, height) = (text.lines().map(|l| l.chars().count()).max()?, text.lines().count());
    (usize::from(cols) >= width && usize::from(rows) > height + 6).then_some(text)
}

/// A paste sign-in: the connection the address will be delivered over, and once the URL is
/// shown, what waits for the pasted address.
pub struct Pasted {
    link: Link,
    waiting: Option<Waiting>,
}

struct Waiting {
    authorize: AuthorizeUrl,
    tunnel: Arc<Tunnel>,
    /// The lines pasted; none once an address was taken.
    lines: Option<mpsc::UnboundedReceiver<std::io::Result<String>>>,
    on_terminal: bool,
}

impl Pasted {
    pub fn new(link: Link) -> Self {
        Self { link, waiting: None }
    }

    /// Whether the URL has been shown.
    pub fn shown(&self) -> bool {
        self.waiting.is_some()
    }

    /// The next line pasted; never, before the URL is shown or once an address was taken.
    pub async fn next_line(&mut self) -> Option<std::io::Result<String>> {
        match self.waiting.as_mut().and_then(|w| w.lines.as_mut()) {
            Some(lines) => lines.recv().await,
            None => std::future::pending().await,
        }
    }

    /// Shows the URL (and a QR code for a phone), then waits for the address the browser
    /// lands on.
    pub async fn start(&mut self, url: AuthorizeUrl, cx: &Context<'_>) {
        let host = cx.host;
        let port = url.redirect.port;
        cx.ui.always(&format!(
            "Sign in to Codex for {host}: open this URL on any device and approve,\n\n  {}\n",
            url.url
        ));
        if let Some(code) = qr(url.url.as_str()) {
            cx.ui.always(&code);
        }
        cx.ui.always(&format!(
            "Then copy the address the browser ends on (http://127.0.0.1:{port}/auth/callback?..., an error page there)\nand paste it here."
        ));
        cx.ui.event(&Event::Url {
            host,
            url: url.url.as_str(),
            callback_port: port,
        });
        cx.ui.step("Waiting for the pasted address");
        let on_terminal = paste::from_terminal();
        // The prompt waits on a thread of its own (see `paste::reader`): nothing may draw over
        // it meanwhile.
        if on_terminal {
            cx.ui.pause();
        }
        let relay = cx.relay_tool();
        let tunnel = Arc::new(Tunnel::new(self.link.clone(), port, relay, cx.inside.cloned()));
        self.waiting = Some(Waiting {
            authorize: url,
            tunnel,
            lines: Some(paste::reader(on_terminal)),
            on_terminal,
        });
    }

    /// One pasted line: checked, then delivered; a bad one asked again on a terminal.
    pub async fn on_line(&mut self, line: std::io::Result<String>, cx: &Context<'_>) -> Result<(), Error> {
        let host = cx.host.to_owned();
        let Some(state) = &mut self.waiting else {
            return Ok(());
        };
        let (authorize, tunnel) = (state.authorize.clone(), state.tunnel.clone());
        let line = line.map_err(|e| Error::Paste {
            host: host.clone(),
            why: e.to_string(),
        })?;
        let callback = match paste::check(&line, &authorize) {
            Ok(callback) => callback,
            Err(why) if state.on_terminal => {
                cx.ui.warn(&format!("that address does not fit: {why}"));
                return Ok(());
            }
            Err(why) => return Err(Error::Paste { host, why }),
        };
        state.lines = None;
        if state.on_terminal {
            cx.ui.resume();
        }
        cx.ui.step(&format!("Finishing the sign-in on {host}"));
        let status = match paste::deliver(&tunnel, authorize.redirect.port, &callback).await {
            Ok(status) => status,
            // The connection itself went: nothing was wrong with the address pasted.
            Err(_) if connection_gone(&self.link).await => {
                return Err(Error::ConnectionLost {
                    host,
                    during: "while delivering the pasted address",
                });
            }
            Err(why) => {
                return Err(Error::Paste {
                    host,
                    why: format!("codex could not be reached: {why}"),
                });
            }
        };
        tracing::debug!("pasted callback delivered to {host}; codex answered {status}");
        cx.ui.event(&Event::Callback { host: &host });
        Ok(())
    }
}

/// Whether the SSH connection is closed, given a moment: a cut connection fails the tunnel
/// first and closes the session just after.
async fn connection_gone(link: &Link) -> bool {
    for _ in 0..10 {
        if link.is_closed() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}
