//! One authenticated SSH connection to a host; flows open their channels on it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};

use crate::error::Error;
use crate::ssh::auth;
use crate::ssh::config::HostConfig;
use crate::ssh::host_key::HostKeyCheck;
use crate::ui::Ui;

pub struct Connection {
    pub handle: Arc<Handle<HostKeyCheck>>,
    pub config: Arc<HostConfig>,
}

impl Connection {
    /// Connects, verifies the host key and authenticates.
    pub async fn open(config: Arc<HostConfig>, ui: Arc<Ui>) -> Result<Self, Error> {
        let host = config.alias.clone();
        if let Some(jump) = &config.proxy_jump {
            return Err(Error::Unsupported {
                host,
                what: format!("ProxyJump ({jump})"),
            });
        }
        if config.proxy_command.is_some() {
            return Err(Error::Unsupported {
                host,
                what: "ProxyCommand".into(),
            });
        }
        let addr = format!("{}:{}", config.hostname, config.port);
        let tcp = tokio::net::TcpStream::connect((config.hostname.as_str(), config.port));
        let socket = match config.connect_timeout {
            Some(limit) => tokio::time::timeout(limit, tcp)
                .await
                .map_err(|_| Error::ConnectTimeout {
                    host: host.clone(),
                    secs: limit.as_secs(),
                })?,
            None => tcp.await,
        }
        .map_err(|source| Error::Connect {
            host: host.clone(),
            addr: addr.clone(),
            source,
        })?;
        // Small request/response turns: Nagle would only add latency.
        let _ = socket.set_nodelay(true);

        let refusal = Arc::new(Mutex::new(None));
        let handler = HostKeyCheck {
            config: config.clone(),
            ui: ui.clone(),
            refusal: refusal.clone(),
        };
        let ssh_config = Arc::new(client::Config {
            keepalive_interval: config.server_alive_interval,
            keepalive_max: config.server_alive_count_max,
            nodelay: true,
            ..Default::default()
        });
        let mut handle = match client::connect_stream(ssh_config, socket, handler).await {
            Ok(handle) => handle,
            Err(source) => {
                if let Some(refusal) = refusal.lock().expect("not poisoned").take() {
                    return Err(refusal.into());
                }
                return Err(Error::Ssh { host, source });
            }
        };
        auth::authenticate(&mut handle, &config, &ui).await?;
        Ok(Self {
            handle: Arc::new(handle),
            config,
        })
    }

    /// Ends the connection politely; bounded so a dead peer cannot hold the exit.
    pub async fn close(&self) {
        let bye = self.handle.disconnect(russh::Disconnect::ByApplication, "", "en");
        let _ = tokio::time::timeout(Duration::from_millis(500), bye).await;
    }
}
