//! Byte streams to places on the host's side: a port the host reaches (`direct-tcpip`, the
//! mechanism of `ssh -L` and `ssh -W`), or, where the host forbids forwarding, a relay
//! command's stdin and stdout. A [`Forward`] is only a stream: a channel of the built-in
//! client, or the pipes of an `ssh -W` (or relay) process riding OpenSSH's master.

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
    stream: Stream,
}

enum Stream {
    Channel(russh::ChannelStream<Msg>),
    #[cfg(unix)]
    Process(crate::process::ProcessStream),
}

impl Forward {
    fn channel(stream: russh::ChannelStream<Msg>) -> Self {
        Self {
            stream: Stream::Channel(stream),
        }
    }

    /// A stream carried by an `ssh` process's stdin and stdout.
    #[cfg(unix)]
    pub(crate) fn process(stream: crate::process::ProcessStream) -> Self {
        Self {
            stream: Stream::Process(stream),
        }
    }
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
    link: Link,
}

#[derive(Clone)]
enum Link {
    Channel(Arc<Handle<HostKeyCheck>>),
    #[cfg(unix)]
    OpenSsh(Arc<crate::openssh::OpenSsh>),
}

impl Forwarder {
    pub(crate) fn new(handle: Arc<Handle<HostKeyCheck>>) -> Self {
        Self {
            link: Link::Channel(handle),
        }
    }

    #[cfg(unix)]
    pub(crate) fn openssh(openssh: Arc<crate::openssh::OpenSsh>) -> Self {
        Self {
            link: Link::OpenSsh(openssh),
        }
    }

    /// A stream to `host:port` as the host reaches it: `127.0.0.1` is the host's own loopback.
    pub async fn forward(&self, host: &str, port: u16) -> Result<Forward, ForwardError> {
        let handle = match &self.link {
            Link::Channel(handle) => handle,
            #[cfg(unix)]
            Link::OpenSsh(openssh) => {
                use crate::openssh::Refusal;
                return match openssh.forward(host, port).await {
                    Ok(stream) => Ok(Forward::process(stream)),
                    Err((Refusal::Prohibited, e)) => Err(ForwardError::Prohibited(e)),
                    Err((Refusal::Refused, e)) => Err(ForwardError::Refused(e)),
                    Err((Refusal::Session, e)) => Err(ForwardError::Session(e)),
                };
            }
        };
        let channel = handle
            .channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0)
            .await
            .map_err(ForwardError::russh)?;
        Ok(Forward::channel(channel.into_stream()))
    }

    /// A stream through `command_line` run on the host, its stdin and stdout carrying the
    /// bytes (stderr is dropped): a relay tool such as `nc 127.0.0.1 PORT`, where forwarding
    /// is forbidden. No environment is offered: a relay needs none.
    pub async fn relay(&self, command_line: &str) -> Result<Forward, ExecError> {
        let handle = match &self.link {
            Link::Channel(handle) => handle,
            #[cfg(unix)]
            Link::OpenSsh(openssh) => return Ok(Forward::process(openssh.relay(command_line)?)),
        };
        let channel = handle.channel_open_session().await.map_err(ExecError::russh)?;
        channel.exec(true, command_line).await.map_err(ExecError::russh)?;
        Ok(Forward::channel(channel.into_stream()))
    }

    /// Whether the connection has ended: a forward that failed may have failed with it.
    pub fn is_closed(&self) -> bool {
        match &self.link {
            Link::Channel(handle) => handle.is_closed(),
            #[cfg(unix)]
            Link::OpenSsh(openssh) => openssh.is_closed(),
        }
    }
}

/// The stream behind a forward, whichever it is.
macro_rules! stream {
    ($self:ident, $s:ident => $e:expr) => {
        match &mut $self.get_mut().stream {
            Stream::Channel($s) => {
                let $s = Pin::new($s);
                $e
            }
            #[cfg(unix)]
            Stream::Process($s) => {
                let $s = Pin::new($s);
                $e
            }
        }
    };
}

impl AsyncRead for Forward {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        stream!(self, s => s.poll_read(cx, buf))
    }
}

impl AsyncWrite for Forward {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        stream!(self, s => s.poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        stream!(self, s => s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        stream!(self, s => s.poll_shutdown(cx))
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
