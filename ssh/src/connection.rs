//! One authenticated SSH connection to a host, reached directly, through a ProxyCommand or
//! through jump hosts, by the built-in client or by the user's OpenSSH (see
//! [`crate::choice`]). Flows run commands ([`Exec`]) and open forwards ([`Forward`]) on it,
//! whichever client carries it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use tokio::time::{Instant, timeout_at};

use crate::auth;
use crate::choice::Choice;
use crate::error::{Error, TransportError};
use crate::exec::{self, Exec, ExecError};
use crate::forward::{Forward, ForwardError, Forwarder};
use crate::host_config::HostConfig;
use crate::host_key::{self, HostKeyCheck};
use crate::jump;
use crate::known_hosts;
use crate::prompter::Prompter;
use crate::transport::{self, Stream};

pub use crate::host_config::DEFAULT_CONNECT_TIMEOUT;

/// The bound on establishing a connection to `config`'s host.
pub fn connect_limit(config: &HostConfig) -> Duration {
    config.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT)
}

/// One authenticated connection to a host, with what it runs through.
pub struct Connection {
    client: Client,
    pub config: Arc<HostConfig>,
}

/// The client that carries a connection.
enum Client {
    Builtin {
        handle: Arc<Handle<HostKeyCheck>>,
        /// What this connection runs through, kept alive with it.
        via: Via,
    },
    #[cfg(unix)]
    OpenSsh(Arc<crate::openssh::OpenSsh>),
}

/// Why the built-in client did not connect.
struct BuiltinFailure {
    error: Error,
    /// No algorithm in common with the server (but for host keys): OpenSSH may have one.
    before_host_key: bool,
}

impl From<Error> for BuiltinFailure {
    fn from(error: Error) -> Self {
        Self {
            error,
            before_host_key: false,
        }
    }
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
    /// Through OpenSSH, OpenSSH bounds it (its `ConnectTimeout`, 30 s where the config sets
    /// none).
    pub async fn open(config: Arc<HostConfig>, ui: Arc<dyn Prompter>) -> Result<Self, Error> {
        match crate::choice::choose(&config).await? {
            Choice::Builtin => match Self::builtin(config.clone(), ui.clone()).await {
                Ok(conn) => Ok(conn),
                Err(failure) if failure.before_host_key && crate::choice::may_fall_back(&config) => {
                    let why = std::error::Error::source(&failure.error)
                        .map_or(failure.error.to_string(), ToString::to_string);
                    tracing::info!(
                        "{}: the built-in SSH client could not set the connection up ({why}); trying OpenSSH's ssh",
                        config.alias,
                    );
                    Self::openssh(config, ui, None).await
                }
                Err(failure) => Err(failure.error),
            },
            Choice::OpenSsh { ride } => Self::openssh(config, ui, ride).await,
        }
    }

    /// Through OpenSSH: riding the user's master at `ride`, or with one of the tool's own.
    #[cfg(unix)]
    async fn openssh(
        config: Arc<HostConfig>,
        ui: Arc<dyn Prompter>,
        ride: Option<std::path::PathBuf>,
    ) -> Result<Self, Error> {
        let Some(args) = &config.openssh else {
            return Err(Error::OpenSsh {
                host: config.alias.clone(),
                message: "no OpenSSH client here".into(),
            });
        };
        let openssh = match ride {
            Some(path) => crate::openssh::OpenSsh::ride(&config, args, &path),
            None => crate::openssh::OpenSsh::start(&config, args, ui).await?,
        };
        Ok(Self {
            client: Client::OpenSsh(Arc::new(openssh)),
            config,
        })
    }

    #[cfg(not(unix))]
    async fn openssh(
        config: Arc<HostConfig>,
        _: Arc<dyn Prompter>,
        _: Option<std::path::PathBuf>,
    ) -> Result<Self, Error> {
        Err(Error::OpenSsh {
            host: config.alias.clone(),
            message: "OpenSSH on Windows cannot share one connection (no ControlMaster)".into(),
        })
    }

    /// Through the built-in client.
    async fn builtin(config: Arc<HostConfig>, ui: Arc<dyn Prompter>) -> Result<Self, BuiltinFailure> {
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
        // The config's algorithms where russh has them. Host certificates are asked for only
        // where an authority is trusted for this host.
        let mut preferred = crate::algorithms::preferred(&config);
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
                    return Err(Error::from(refusal).into());
                }
                // No key exchange, cipher or MAC in common: OpenSSH may have one. (Host key
                // algorithms are the same policy in both, and the config's in both.)
                let before_host_key = matches!(
                    &source,
                    russh::Error::NoCommonAlgo { kind, .. } if !matches!(kind, russh::AlgorithmKind::Key)
                );
                return Err(BuiltinFailure {
                    error: Error::session(host, TransportError::russh(source)),
                    before_host_key,
                });
            }
        };
        // The key exchange runs in the session's own task; the server's key arrives with its
        // answer. A server that never gets that far (a dead or tarpitting port) ends here.
        // Dropping the handle on a timeout ends that task and the connection with it.
        if timeout_at(deadline, key_arrived).await.is_err() {
            return Err(timed_out().into());
        }
        auth::authenticate(&mut handle, &config, ui.as_ref()).await?;
        Ok(Self {
            client: Client::Builtin {
                handle: Arc::new(handle),
                via,
            },
            config,
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
        match &self.client {
            Client::Builtin { handle, .. } => exec::start(handle, &self.config, command_line).await,
            #[cfg(unix)]
            Client::OpenSsh(openssh) => Ok(Exec::process(openssh.exec(command_line)?)),
        }
    }

    /// A stream to `host:port` as the host reaches it (see [`Forwarder::forward`]).
    pub async fn forward(&self, host: &str, port: u16) -> Result<Forward, ForwardError> {
        self.forwarder().forward(host, port).await
    }

    /// What opens forwards on this connection from tasks of their own.
    pub fn forwarder(&self) -> Forwarder {
        match &self.client {
            Client::Builtin { handle, .. } => Forwarder::new(handle.clone()),
            #[cfg(unix)]
            Client::OpenSsh(openssh) => Forwarder::openssh(openssh.clone()),
        }
    }

    /// Ends the connection politely, then the hops it ran through; bounded so a dead peer
    /// cannot hold the exit. Through OpenSSH: ends the tool's own master (the user's is
    /// theirs).
    pub async fn close(&self) {
        match &self.client {
            Client::Builtin { handle, via } => {
                let bye = handle.disconnect(russh::Disconnect::ByApplication, "", "en");
                let _ = tokio::time::timeout(Duration::from_millis(500), bye).await;
                if let Via::Jump(hop) = via {
                    Box::pin(hop.close()).await;
                }
            }
            #[cfg(unix)]
            Client::OpenSsh(openssh) => openssh.close().await,
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
