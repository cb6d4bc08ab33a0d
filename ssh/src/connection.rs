//! One authenticated SSH connection to a host, reached directly, through a ProxyCommand or
//! through jump hosts. Flows run commands ([`Exec`]) and open forwards ([`Forward`]) on it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use tokio::time::{Instant, timeout_at};

use crate::auth;
use crate::error::{Error, TransportError};
use crate::exec::{self, Exec, ExecError};
use crate::forward::{Forward, ForwardError, Forwarder};
use crate::host_config::HostConfig;
use crate::host_key::{self, HostKeyCheck};
use crate::jump;
use crate::known_hosts;
use crate::prompter::Prompter;
use crate::transport::{self, Stream};

/// `ConnectTimeout` when the ssh config sets none. OpenSSH waits for the system's TCP timeout
/// (minutes) and then for a banner forever; a tool that may be scripted must not hang.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The bound on establishing a connection to `config`'s host.
pub fn connect_limit(config: &HostConfig) -> Duration {
    config.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT)
}

/// One authenticated connection to a host, with what it runs through.
pub struct Connection {
    handle: Arc<Handle<HostKeyCheck>>,
    pub config: Arc<HostConfig>,
    /// What this connection runs through, kept alive with it.
    via: Via,
}

/// What a connection runs through, besides a plain TCP socket.
enum Via {
    Direct,
    /// The jump host's connection, closed after this one.
    Jump(Box<Connection>),
    /// The ProxyCommand's process: only held, to end it when the connection is dropped.
    Command {
        _process: tokio::process::Child,
    },
}

impl Connection {
    /// Connects (directly, through jump hosts, or through a ProxyCommand), verifies the
    /// host key and authenticates.
    ///
    /// `ConnectTimeout` (default [`DEFAULT_CONNECT_TIMEOUT`]) bounds the connection's
    /// establishment, as OpenSSH bounds it: the TCP connect (or the jump or ProxyCommand),
    /// the server's banner and the key exchange up to the server's host key. It never runs
    /// while a person is asked something (the host-key question, a passphrase, a second
    /// factor): authentication is bounded by the server's own `LoginGraceTime`, as with ssh.
    pub async fn open(config: Arc<HostConfig>, ui: Arc<dyn Prompter>) -> Result<Self, Error> {
        let host = config.alias.clone();
        let limit = connect_limit(&config);
        let timed_out = || Error::ConnectTimeout {
            host: host.clone(),
            secs: limit.as_secs(),
        };
        let (stream, via) = match &config.proxy_jump {
            // A jump host is bounded by its own ConnectTimeout and may ask for its own
            // passphrase; the forward through it is bounded in `through`.
            Some(jumps) => {
                let (stream, hop) = Self::through(&config, jumps, ui.clone()).await?;
                (stream, Via::Jump(Box::new(hop)))
            }
            None => {
                let (stream, command) = timeout_at(Instant::now() + limit, transport::open(&config))
                    .await
                    .map_err(|_| timed_out())??;
                (
                    stream,
                    command.map_or(Via::Direct, |process| Via::Command { _process: process }),
                )
            }
        };
        let deadline = Instant::now() + limit;
        let refusal = Arc::new(Mutex::new(None));
        let (key_seen, key_arrived) = tokio::sync::oneshot::channel();
        let handler = HostKeyCheck {
            config: config.clone(),
            ui: ui.clone(),
            refusal: refusal.clone(),
            key_seen: Mutex::new(Some(key_seen)),
        };
        // Host certificates are asked for only where an authority is trusted for this host.
        // SHA-1 `ssh-rsa` host keys are refused, as OpenSSH has refused them since 8.8.
        let mut preferred = russh::Preferred::default();
        let key: Vec<_> = preferred
            .key
            .iter()
            .filter(|a| !matches!(a, russh::keys::Algorithm::Rsa { hash: None }))
            .cloned()
            .collect();
        preferred.key = key.into();
        if known_hosts::has_authority(&host_key::files(&config), &config.known_hosts_name()) {
            preferred.host_key_certificates = preferred.key.clone();
        }
        let ssh_config = Arc::new(client::Config {
            preferred,
            keepalive_interval: config.server_alive_interval,
            keepalive_max: config.server_alive_count_max,
            nodelay: true,
            ..Default::default()
        });
        let connected = timeout_at(deadline, client::connect_stream(ssh_config, stream, handler));
        let mut handle = match connected.await.map_err(|_| timed_out())? {
            Ok(handle) => handle,
            Err(source) => {
                if let Some(refusal) = refusal.lock().expect("not poisoned").take() {
                    return Err(refusal.into());
                }
                return Err(Error::session(host, TransportError::russh(source)));
            }
        };
        // The key exchange runs in the session's own task; the server's key arrives with its
        // answer. A server that never gets that far (a dead or tarpitting port) ends here.
        // Dropping the handle on a timeout ends that task and the connection with it.
        if timeout_at(deadline, key_arrived).await.is_err() {
            return Err(timed_out());
        }
        auth::authenticate(&mut handle, &config, ui.as_ref()).await?;
        Ok(Self {
            handle: Arc::new(handle),
            config,
            via,
        })
    }

    /// The stream to `config`'s host through the last of `jumps`, and that hop's connection
    /// (itself reached through the hops before it).
    async fn through(
        config: &HostConfig,
        jumps: &str,
        ui: Arc<dyn Prompter>,
    ) -> Result<(Box<dyn Stream>, Self), Error> {
        let hop = jump::last_hop(config, jumps)?;
        tracing::info!("reaching {} through {}", config.alias, hop.alias);
        // Boxed: opening the hop may go through hops of its own.
        let hop = Box::pin(Self::open(Arc::new(hop), ui)).await?;
        let limit = connect_limit(config);
        let stream = tokio::time::timeout(limit, hop.forward(&config.hostname, config.port))
            .await
            .map_err(|_| Error::ConnectTimeout {
                host: config.alias.clone(),
                secs: limit.as_secs(),
            })?
            .map_err(|source| Error::Jump {
                host: config.alias.clone(),
                hop: hop.config.alias.clone(),
                source: source.into(),
            })?;
        Ok((Box::new(stream), hop))
    }

    /// Runs `command_line` on the host, as `ssh HOST COMMAND` would: with the environment the
    /// config's `SetEnv` and `SendEnv` give it, and no terminal.
    pub async fn exec(&self, command_line: &str) -> Result<Exec, ExecError> {
        exec::start(&self.handle, &self.config, command_line).await
    }

    /// A stream to `host:port` as the host reaches it (see [`Forwarder::forward`]).
    pub async fn forward(&self, host: &str, port: u16) -> Result<Forward, ForwardError> {
        self.forwarder().forward(host, port).await
    }

    /// What opens forwards on this connection from tasks of their own.
    pub fn forwarder(&self) -> Forwarder {
        Forwarder::new(self.handle.clone())
    }

    /// Ends the connection politely, then the hops it ran through; bounded so a dead peer
    /// cannot hold the exit.
    pub async fn close(&self) {
        let bye = self.handle.disconnect(russh::Disconnect::ByApplication, "", "en");
        let _ = tokio::time::timeout(Duration::from_millis(500), bye).await;
        if let Via::Jump(hop) = &self.via {
            Box::pin(hop.close()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_timeout_defaults_to_thirty_seconds_and_follows_the_config() {
        let home = std::path::Path::new("/home/me");
        let plain = crate::config::parse_ssh_g("h", "hostname h\nport 22\nuser u\n", home).unwrap();
        assert_eq!(connect_limit(&plain), Duration::from_secs(30));
        let set = crate::config::parse_ssh_g("h", "hostname h\nport 22\nuser u\nconnecttimeout 3\n", home).unwrap();
        assert_eq!(connect_limit(&set), Duration::from_secs(3));
    }
}
