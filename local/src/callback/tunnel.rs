//! How a byte stream reaches the target's loopback, where `codex login` listens.
//!
//! First choice is an SSH `direct-tcpip` channel (`ssh -L`'s mechanism). A server that
//! forbids forwarding (`AllowTcpForwarding no`, `DisableForwarding yes`) refuses that channel
//! as administratively prohibited; from then on each connection is an exec channel running a
//! small relay on the host (nc, python3, perl or bash, as the shim found).

use std::sync::atomic::{AtomicBool, Ordering};

use codex_remote_login_remote::{ContainerRef, Relay, RelayTool};

use ssh::{ExecError, Forward, ForwardError, Forwarder};

/// The SSH connection a tunnel opens its channels on.
pub type Link = Forwarder;

#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    #[error("the host forbids TCP forwarding and has no relay tool (nc, python3, perl or bash)")]
    NoRelay,
    #[error(transparent)]
    Forward(#[from] ForwardError),
    #[error(transparent)]
    Relay(#[from] ExecError),
}

/// Connections to one port on the host's 127.0.0.1.
pub struct Tunnel {
    link: Link,
    port: u16,
    /// The relay to use where forwarding is refused (the host's best tool, or `--relay`).
    relay: Option<RelayTool>,
    /// Set once the server has refused a forwarding channel: later connections relay at once.
    forwarding_refused: AtomicBool,
    /// `--login-inside`: the container whose loopback codex listens on. Forwarding reaches
    /// only the host's, so every connection is a relay through the engine's exec.
    inside: Option<ContainerRef>,
}

impl Tunnel {
    pub fn new(link: Link, port: u16, relay: Option<RelayTool>, inside: Option<ContainerRef>) -> Self {
        Self {
            link,
            port,
            relay,
            forwarding_refused: AtomicBool::new(inside.is_some()),
            inside,
        }
    }

    /// Opens one connection to the port.
    pub async fn open(&self) -> Result<Forward, TunnelError> {
        if !self.forwarding_refused.load(Ordering::Relaxed) {
            match self.link.forward("127.0.0.1", self.port).await {
                Ok(stream) => return Ok(stream),
                Err(ForwardError::Prohibited(_)) => {
                    self.forwarding_refused.store(true, Ordering::Relaxed);
                    tracing::info!(
                        "the host forbids TCP forwarding; relaying through an exec channel with {}",
                        self.relay.map_or("nothing", RelayTool::as_str)
                    );
                }
                Err(e) => return Err(e.into()),
            }
        }
        let tool = self.relay.ok_or(TunnelError::NoRelay)?;
        let relay = Relay {
            tool,
            port: self.port,
            inside: self.inside.as_ref(),
        };
        Ok(self.link.relay(&relay.command_line()).await?)
    }
}
