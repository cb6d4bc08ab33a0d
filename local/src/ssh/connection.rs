//! One authenticated SSH connection to a host; flows open their channels on it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};

use crate::error::Error;
use crate::ssh::auth;
use crate::ssh::config::HostConfig;
use crate::ssh::host_key::{self, HostKeyCheck};
use crate::ssh::known_hosts;
use crate::ssh::transport::{self, Via};
use crate::ui::Ui;

pub struct Connection {
    pub handle: Arc<Handle<HostKeyCheck>>,
    pub config: Arc<HostConfig>,
    /// The jump host or ProxyCommand this connection runs through, kept alive with it.
    via: Via,
}

impl Connection {
    /// Resolves `host_arg` as ssh would, says so, and connects: what every one-host command
    /// does first.
    pub async fn to(host_arg: &str, ssh: &crate::cli::SshArgs, ui: &Arc<Ui>) -> Result<Self, Error> {
        let config = Arc::new(crate::ssh::config::for_host(host_arg, ssh, ui)?);
        ui.step(&format!("Connecting to {}", config.alias));
        Self::open(config, ui.clone()).await
    }

    /// Connects (directly, through jump hosts, or through a ProxyCommand), verifies the
    /// host key and authenticates.
    pub async fn open(config: Arc<HostConfig>, ui: Arc<Ui>) -> Result<Self, Error> {
        let host = config.alias.clone();
        let (stream, via) = transport::open(&config, ui.clone()).await?;
        let refusal = Arc::new(Mutex::new(None));
        let handler = HostKeyCheck {
            config: config.clone(),
            ui: ui.clone(),
            refusal: refusal.clone(),
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
        let mut handle = match client::connect_stream(ssh_config, stream, handler).await {
            Ok(handle) => handle,
            Err(source) => {
                if let Some(refusal) = refusal.lock().expect("not poisoned").take() {
                    return Err(refusal.into());
                }
                return Err(Error::ssh(host, source));
            }
        };
        auth::authenticate(&mut handle, &config, &ui).await?;
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
