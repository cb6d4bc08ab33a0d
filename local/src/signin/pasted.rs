//! `--paste`: the URL shown (and a QR code), the address the browser lands on pasted back,
//! checked and delivered over the connection.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::run::Run;
use super::strategy::{Link, Strategy};
use crate::callback::paste;
use crate::callback::tunnel::Tunnel;
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

/// A paste sign-in once its URL is shown.
pub struct Paste {
    authorize: AuthorizeUrl,
    tunnel: Arc<Tunnel>,
    /// The lines pasted; none once an address was taken.
    pub lines: Option<mpsc::UnboundedReceiver<std::io::Result<String>>>,
    on_terminal: bool,
}

impl Run<'_> {
    /// `--paste`: shows the URL (and a QR code for a phone), then waits for the address the
    /// browser lands on.
    pub(super) async fn start_paste(&mut self, url: AuthorizeUrl) {
        let host = self.host.clone();
        let port = url.redirect.port;
        self.ui.always(&format!(
            "Sign in to Codex for {host}: open this URL on any device and approve,\n\n  {}\n",
            url.url
        ));
        if let Some(code) = qr(url.url.as_str()) {
            self.ui.always(&code);
        }
        self.ui.always(&format!(
            "Then copy the address the browser ends on (http://127.0.0.1:{port}/auth/callback?..., an error page there)\nand paste it here."
        ));
        self.ui.event(&Event::Url {
            host: &host,
            url: url.url.as_str(),
            callback_port: port,
        });
        self.ui.step("Waiting for the pasted address");
        let on_terminal = paste::from_terminal();
        // The prompt waits on a thread of its own (see `paste::reader`): nothing may draw over
        // it meanwhile.
        if on_terminal {
            self.ui.pause();
        }
        let relay = self.relay_tool();
        let Strategy::Paste { link, paste } = &mut self.strategy else {
            unreachable!("only a paste sign-in waits for a pasted address");
        };
        let tunnel = Arc::new(Tunnel::new(link.clone(), port, relay, self.inside.clone()));
        *paste = Some(Paste {
            authorize: url,
            tunnel,
            lines: Some(paste::reader(on_terminal)),
            on_terminal,
        });
    }

    /// One pasted line: checked, then delivered; a bad one asked again on a terminal.
    pub(super) async fn on_paste(&mut self, line: std::io::Result<String>) -> Result<(), Error> {
        let host = self.host.clone();
        let Strategy::Paste {
            link,
            paste: Some(state),
        } = &mut self.strategy
        else {
            return Ok(());
        };
        let (authorize, tunnel, link) = (state.authorize.clone(), state.tunnel.clone(), link.clone());
        let line = line.map_err(|e| Error::Paste {
            host: host.clone(),
            why: e.to_string(),
        })?;
        let callback = match paste::check(&line, &authorize) {
            Ok(callback) => callback,
            Err(why) if state.on_terminal => {
                self.ui.warn(&format!("that address does not fit: {why}"));
                return Ok(());
            }
            Err(why) => return Err(Error::Paste { host, why }),
        };
        state.lines = None;
        if state.on_terminal {
            self.ui.resume();
        }
        self.ui.step(&format!("Finishing the sign-in on {host}"));
        let status = match paste::deliver(&tunnel, authorize.redirect.port, &callback).await {
            Ok(status) => status,
            // The connection itself went: nothing was wrong with the address pasted.
            Err(_) if connection_gone(&link).await => {
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
        self.ui.event(&Event::Callback { host: &host });
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
