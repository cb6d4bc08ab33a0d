//! How a byte stream reaches the target's loopback, where `codex login` listens.

use std::sync::Arc;

use russh::ChannelStream;
use russh::client::{Handle, Msg};

use crate::ssh::host_key::HostKeyCheck;

/// A way to open connections to a port on the target's 127.0.0.1.
#[derive(Clone)]
pub enum Tunnel {
    /// An SSH `direct-tcpip` channel per connection (`ssh -L`'s mechanism).
    DirectTcpip {
        handle: Arc<Handle<HostKeyCheck>>,
        port: u16,
    },
}

impl Tunnel {
    /// Opens one connection to the target's port.
    pub async fn open(&self) -> Result<ChannelStream<Msg>, russh::Error> {
        match self {
            Self::DirectTcpip { handle, port } => {
                let channel = handle
                    .channel_open_direct_tcpip("127.0.0.1", u32::from(*port), "127.0.0.1", 0)
                    .await?;
                Ok(channel.into_stream())
            }
        }
    }
}
