//! One authenticated SSH connection to a host; flows open their channels on it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use tokio::time::{Instant, timeout_at};

use crate::Error;
use crate::auth;
use crate::host_config::HostConfig;
use crate::host_key::{self, HostKeyCheck};
use crate::known_hosts;
use crate::prompter::Prompter;
use crate::transport::{self, Via};

/// `ConnectTimeout` when the ssh config sets none. OpenSSH waits for the system's TCP timeout
/// (minutes) and then for a banner forever; a tool that may be scripted must not hang.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The bound on establishing a connection to `config`'s host.
pub fn connect_limit(config: &HostConfig) -> Duration {
    config.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT)
}

pub struct Connection {
    pub handle: Arc<Handle<HostKeyCheck>>,
    pub config: Arc<HostConfig>,
    /// The jump host or ProxyCommand this connection runs through, kept alive with it.
    via: Via,
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
        let opened = transport::open(&config, ui.clone());
        let (stream, via) = if config.proxy_jump.is_some() {
            // A jump host is bounded by its own ConnectTimeout and may ask for its own
            // passphrase; the channel through it is bounded in `transport`.
            opened.await?
        } else {
            timeout_at(Instant::now() + limit, opened)
                .await
                .map_err(|_| timed_out())??
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
                return Err(Error::session(host, source));
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

    /// Ends the connection politely; bounded so a dead peer cannot hold the exit.
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
