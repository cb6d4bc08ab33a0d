//! How the person's approval reaches the host's codex: one strategy per sign-in method, each
//! owning its state in a file of its own; `Run` hands each its turn.

use tokio::net::TcpListener;

use codex_remote_login_shared::redact;

use super::browser::Browser;
use super::context::Context;
use super::device_code::DeviceCode;
use super::pasted::Pasted;
use crate::callback::proxy::CallbackEvent;
use crate::callback::tunnel::Link;
use crate::codex::authorize::{self, AuthorizeUrl};
use crate::error::Error;
use crate::settings::Method;

/// What the person sent back.
pub enum Input {
    Callback(CallbackEvent),
    Pasted(std::io::Result<String>),
}

pub enum Strategy {
    /// The browser here; its callback carried by the local proxy (started once codex has
    /// printed its URL) to the host's codex.
    Browser(Browser),
    /// The browser anywhere; the address it ends on pasted here and delivered.
    Paste(Pasted),
    /// A one-time code approved on the issuer's page.
    Device(DeviceCode),
    /// An API key or access token, sent on the shim's stdin: nothing to wait for.
    Secret,
}

impl Strategy {
    /// The strategy for `method`: `paste` and `listeners` come from the settled ports.
    pub fn new(method: Method, paste: bool, listeners: Option<Vec<TcpListener>>, link: Link) -> Self {
        match method {
            Method::Browser if paste => Self::Paste(Pasted::new(link)),
            Method::Browser => Self::Browser(Browser::new(link, listeners)),
            Method::Device => Self::Device(DeviceCode::default()),
            Method::ApiKey | Method::AccessToken => Self::Secret,
        }
    }

    /// Whether the person has been shown where to approve (a URL or a code).
    pub fn shown(&self) -> bool {
        match self {
            Self::Browser(browser) => browser.shown(),
            Self::Paste(pasted) => pasted.shown(),
            Self::Device(device) => device.shown(),
            Self::Secret => false,
        }
    }

    /// Whether codex must print a sign-in URL (a browser sign-in that ends without one failed).
    pub fn needs_url(&self) -> bool {
        matches!(self, Self::Browser(_) | Self::Paste(_))
    }

    /// A device code waiting for approval (its countdown ticks).
    pub fn counting_down(&self) -> bool {
        matches!(self, Self::Device(device) if device.shown())
    }

    /// The next thing the person did: the browser reached the callback proxy, or a line
    /// was pasted. Never, for a strategy that has neither (yet).
    pub async fn input(&mut self) -> Option<Input> {
        match self {
            Self::Browser(browser) => browser.next_callback().await.map(Input::Callback),
            Self::Paste(pasted) => pasted.next_line().await.map(Input::Pasted),
            Self::Device(_) | Self::Secret => std::future::pending().await,
        }
    }

    pub async fn on_input(&mut self, input: Input, cx: &Context<'_>) -> Result<(), Error> {
        match (self, input) {
            (Self::Browser(browser), Input::Callback(event)) => browser.on_callback(event, cx),
            (Self::Paste(pasted), Input::Pasted(line)) => pasted.on_line(line, cx).await,
            _ => Ok(()),
        }
    }

    /// One line codex printed (redacted before it is logged). The sign-in URL starts the
    /// browser's proxy or the paste prompt; a device code's lines are shown. A line that is
    /// none of these comes back, redacted, to be kept for errors.
    pub async fn on_line(&mut self, line: &str, cx: &Context<'_>) -> Result<Option<String>, Error> {
        let url = |line: &str| {
            AuthorizeUrl::parse(line, cx.sign_in.issuer.as_deref()).map_err(|reason| Error::BadUrl {
                reason,
                shown: redact::url(line.trim()),
            })
        };
        let shown = self.shown();
        match self {
            Self::Device(device) => return device.on_line(line, cx).await,
            Self::Browser(browser) if !shown && authorize::is_candidate(line) => browser.start(url(line)?, cx).await?,
            Self::Paste(pasted) if !shown && authorize::is_candidate(line) => pasted.start(url(line)?, cx).await,
            _ => return Ok(Some(redact::log_line(line.trim_end()))),
        }
        Ok(None)
    }

    /// Once a second, while a device code waits.
    pub fn tick(&self, cx: &Context<'_>) {
        if let Self::Device(device) = self {
            device.countdown(cx);
        }
    }

    /// Ends what the strategy runs here (the browser's proxy); `signed_in`: after the
    /// browser has had codex's success page.
    pub async fn stop(&mut self, signed_in: bool) {
        if let Self::Browser(browser) = self {
            browser.stop(signed_in).await;
        }
    }
}
