//! Reaching the user's ssh-agent as their OpenSSH would: a Unix socket (`SSH_AUTH_SOCK`, or
//! `IdentityAgent`) on Unix; on Windows the named pipe Windows OpenSSH's agent serves
//! (`\\.\pipe\openssh-ssh-agent`, or the pipe `SSH_AUTH_SOCK` / `IdentityAgent` names), then
//! PuTTY's Pageant, which many Windows users run instead.

use russh::keys::agent::client::{AgentClient, AgentStream};

use crate::host_config::{HostConfig, IdentityAgent};

/// An agent connection, whatever it runs over.
pub type Agent = AgentClient<Box<dyn AgentStream + Send + Unpin>>;

/// The agent `config` names, if one answers.
pub async fn connect(config: &HostConfig) -> Option<Agent> {
    let agent = match &config.identity_agent {
        IdentityAgent::None => return None,
        named => open(named).await,
    };
    agent.map_err(|e| tracing::debug!("no ssh-agent: {e}")).ok()
}

#[cfg(unix)]
async fn open(named: &IdentityAgent) -> Result<Agent, russh::keys::Error> {
    Ok(match named {
        IdentityAgent::Socket(path) => AgentClient::connect_uds(path).await?.dynamic(),
        _ => AgentClient::connect_env().await?.dynamic(),
    })
}

/// The pipe of Windows OpenSSH's agent service.
#[cfg(windows)]
const OPENSSH_PIPE: &str = r"\\.\pipe\openssh-ssh-agent";

#[cfg(windows)]
async fn open(named: &IdentityAgent) -> Result<Agent, russh::keys::Error> {
    let pipe = match named {
        IdentityAgent::Socket(path) => path.clone().into_os_string(),
        _ => std::env::var_os("SSH_AUTH_SOCK").unwrap_or_else(|| OPENSSH_PIPE.into()),
    };
    match AgentClient::connect_named_pipe(&pipe).await {
        Ok(agent) => Ok(agent.dynamic()),
        Err(e) => {
            // Windows OpenSSH itself never asks Pageant; this tool does, as PuTTY users expect.
            tracing::debug!(
                "no OpenSSH agent on {} ({e}); trying Pageant, which Windows OpenSSH would not",
                pipe.to_string_lossy()
            );
            Ok(AgentClient::connect_pageant().await?.dynamic())
        }
    }
}
