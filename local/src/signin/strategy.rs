//! How the person's approval reaches the host's codex: one strategy per sign-in method.

use std::sync::Arc;

use russh::client::Handle;

use super::device_code::Device;
use super::pasted::Paste;
use super::proxy::Proxy;
use crate::callback::proxy::CallbackEvent;
use crate::settings::Method;
use ssh::host_key::HostKeyCheck;

/// The SSH connection a callback is carried over.
pub type Link = Arc<Handle<HostKeyCheck>>;

/// What the person sends back, by strategy.
pub enum Input {
    Callback(CallbackEvent),
    Pasted(std::io::Result<String>),
}

pub enum Strategy {
    /// The browser here; its callback carried by the local proxy (started once codex has
    /// printed its URL) to the host's codex.
    Browser {
        link: Link,
        /// The callback port, settled before anything started on the host.
        listeners: Option<Vec<tokio::net::TcpListener>>,
        proxy: Option<Proxy>,
    },
    /// The browser anywhere; the address it ends on pasted here and delivered.
    Paste { link: Link, paste: Option<Paste> },
    /// A one-time code approved on the issuer's page.
    Device(Device),
    /// An API key or access token, sent on the shim's stdin: nothing to wait for.
    Secret,
}

impl Strategy {
    /// The strategy for `method`: `paste` and `listeners` come from the settled ports.
    pub fn new(method: Method, paste: bool, listeners: Option<Vec<tokio::net::TcpListener>>, link: Link) -> Self {
        match method {
            Method::Browser if paste => Self::Paste { link, paste: None },
            Method::Browser => Self::Browser {
                link,
                listeners,
                proxy: None,
            },
            Method::Device => Self::Device(Device::default()),
            Method::ApiKey | Method::AccessToken => Self::Secret,
        }
    }

    /// Whether the person has been shown where to approve (a URL or a code).
    pub fn shown(&self) -> bool {
        match self {
            Self::Browser { proxy, .. } => proxy.is_some(),
            Self::Paste { paste, .. } => paste.is_some(),
            Self::Device(device) => device.shown_at.is_some(),
            Self::Secret => false,
        }
    }

    /// Whether codex must print a sign-in URL (a browser sign-in that ends without one failed).
    pub fn needs_url(&self) -> bool {
        matches!(self, Self::Browser { .. } | Self::Paste { .. })
    }

    /// The next thing the person did: the browser reached the callback proxy, or a line
    /// was pasted. Never, for a strategy that has neither (yet).
    pub async fn input(&mut self) -> Option<Input> {
        match self {
            Self::Browser { proxy: Some(p), .. } => p.events.recv().await.map(Input::Callback),
            Self::Paste {
                paste: Some(Paste { lines: Some(lines), .. }),
                ..
            } => lines.recv().await.map(Input::Pasted),
            _ => std::future::pending().await,
        }
    }

    /// A device code waiting for approval (its countdown ticks).
    pub fn counting_down(&self) -> bool {
        matches!(self, Self::Device(device) if device.shown_at.is_some())
    }
}
