//! Byte streams to places on the host's side: a port the host reaches (`direct-tcpip`, the
//! mechanism of `ssh -L` and `ssh -W`), or, where the host forbids forwarding, a relay
//! command's stdin and stdout. A [`Forward`] is only a stream, so an `ssh -W` process's pipes
//! could carry one as well.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use russh::ChannelOpenFailure;
use russh::client::{Handle, Msg};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::TransportError;
use crate::exec::ExecError;
use crate::host_key::HostKeyCheck;

/// A byte stream to a place on the host's side. Dropping it closes it.
pub struct Forward {
    stream: russh::ChannelStream<Msg>,
}

/// Why a forward was not opened.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// The server forbids forwarding (`AllowTcpForwarding no`, `DisableForwarding yes`): no
    /// other place would be reached either.
    #[error(transparent)]
    Prohibited(TransportError),
    /// The server forwards, but not there: nothing listens at that port, or it lacks the
    /// resources.
    #[error(transparent)]
    Refused(TransportError),
    /// The session failed.
    #[error(transparent)]
    Session(TransportError),
}

impl ForwardError {
    /// The one place where the server's refusal is read.
    fn russh(source: russh::Error) -> Self {
        match &source {
            russh::Error::ChannelOpenFailure(ChannelOpenFailure::AdministrativelyProhibited) => {
                Self::Prohibited(TransportError::russh(source))
            }
            russh::Error::ChannelOpenFailure(_) => Self::Refused(TransportError::russh(source)),
            _ => Self::Session(TransportError::russh(source)),
        }
    }
}

impl From<ForwardError> for TransportError {
    fn from(error: ForwardError) -> Self {
        match error {
            ForwardError::Prohibited(e) | ForwardError::Refused(e) | ForwardError::Session(e) => e,
        }
    }
}

/// Opens forwards over one connection, from tasks that cannot borrow it: cheap to clone, and
/// of use until the connection closes.
#[derive(Clone)]
pub struct Forwarder {
    handle: Arc<Handle<HostKeyCheck>>,
}

impl Forwarder {
    pub(crate) fn new(handle: Arc<Handle<HostKeyCheck>>) -> Self {
        Self { handle }
    }

    /// A stream to `host:port` as the host reaches it: `127.0.0.1` is the host's own loopback.
    pub async fn forward(&self, host: &str, port: u16) -> Result<Forward, ForwardError> {
        let channel = self
            .handle
            .channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0)
            .await
            .map_err(ForwardError::russh)?;
        Ok(Forward {
            stream: channel.into_stream(),
        })
    }

    /// A stream through `command_line` run on the host, its stdin and stdout carrying the
    /// bytes (stderr is dropped): a relay tool such as `nc 127.0.0.1 PORT`, where forwarding
    /// is forbidden. No environment is offered: a relay needs none.
    pub async fn relay(&self, command_line: &str) -> Result<Forward, ExecError> {
        let channel = self.handle.channel_open_session().await.map_err(ExecError::russh)?;
        channel.exec(true, command_line).await.map_err(ExecError::russh)?;
        Ok(Forward {
            stream: channel.into_stream(),
        })
    }

    /// Whether the connection has ended: a forward that failed may have failed with it.
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }
}

impl AsyncRead for Forward {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Forward {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only "administratively prohibited" means forwarding is forbidden; any other refusal is
    /// about the place, and anything else about the session. Each is shown as russh put it.
    #[test]
    fn refusals_are_told_apart() {
        let open_failure = |reason| russh::Error::ChannelOpenFailure(reason);
        let prohibited = ForwardError::russh(open_failure(ChannelOpenFailure::AdministrativelyProhibited));
        assert!(matches!(prohibited, ForwardError::Prohibited(_)), "{prohibited:?}");
        assert_eq!(
            prohibited.to_string(),
            "Failed to open channel (AdministrativelyProhibited)"
        );
        for reason in [
            ChannelOpenFailure::ConnectFailed,
            ChannelOpenFailure::UnknownChannelType,
            ChannelOpenFailure::ResourceShortage,
        ] {
            let refused = ForwardError::russh(open_failure(reason));
            assert!(matches!(refused, ForwardError::Refused(_)), "{refused:?}");
        }
        let gone = ForwardError::russh(russh::Error::Disconnect);
        assert!(matches!(gone, ForwardError::Session(_)), "{gone:?}");
        assert_eq!(TransportError::from(gone).to_string(), "Disconnected");
    }
}
