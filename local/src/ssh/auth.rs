//! User authentication in OpenSSH's order: agent keys, then identity files (asking for the
//! passphrase of an encrypted one on the terminal). Each key is offered with its signature
//! straight away, without the "would you accept this key?" query: one round trip per key.

use std::path::Path;
use std::sync::Arc;

use russh::client::{AuthResult, Handle};
use russh::keys::agent::AgentIdentity;
use russh::keys::agent::client::AgentClient;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey};

use crate::error::Error;
use crate::ssh::config::{HostConfig, IdentityAgent};
use crate::ssh::host_key::HostKeyCheck;
use crate::ssh::known_hosts::fingerprint;
use crate::terminal;
use crate::ui::Ui;

pub async fn authenticate(handle: &mut Handle<HostKeyCheck>, config: &HostConfig, ui: &Ui) -> Result<(), Error> {
    let user = config.user.as_str();
    let ssh_err = |source| Error::ssh(config.alias.clone(), source);
    let mut tried = Vec::new();
    let mut rsa_hash: Option<Option<HashAlg>> = None;

    // The public halves of the identity files, so IdentitiesOnly can filter agent keys and
    // keys already offered through the agent are not offered twice.
    let file_keys: Vec<Option<PublicKey>> = config.identity_files.iter().map(|f| public_half(f)).collect();
    let mut offered: Vec<PublicKey> = Vec::new();

    if let Some(mut agent) = agent(config).await {
        let identities = agent.request_identities().await.unwrap_or_default();
        for identity in identities {
            let AgentIdentity::PublicKey { key, comment } = identity else {
                continue;
            };
            if config.identities_only && !file_keys.iter().flatten().any(|k| k.key_data() == key.key_data()) {
                continue;
            }
            let hash = rsa(handle, &key, &mut rsa_hash).await;
            let label = format!("agent key {} {}", comment_or_type(&comment, &key), fingerprint(&key));
            tracing::debug!("offering {label}");
            match handle
                .authenticate_publickey_with(user, key.clone(), hash, &mut agent)
                .await
            {
                Ok(AuthResult::Success) => return Ok(()),
                Ok(AuthResult::Failure { .. }) => tried.push(label),
                Err(e) => tried.push(format!("{label} (agent could not sign: {e})")),
            }
            offered.push(key);
        }
    }

    for (file, public) in config.identity_files.iter().zip(&file_keys) {
        if !file.exists() {
            continue;
        }
        if public
            .as_ref()
            .is_some_and(|p| offered.iter().any(|o| o.key_data() == p.key_data()))
        {
            continue;
        }
        let label = file.display().to_string();
        let key = match load_key(file, ui).await {
            Ok(key) => key,
            Err(why) => {
                tried.push(format!("{label} ({why})"));
                continue;
            }
        };
        let hash = rsa(handle, key.public_key(), &mut rsa_hash).await;
        tracing::debug!("offering key file {label}");
        match handle
            .authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
            .await
            .map_err(ssh_err)?
        {
            AuthResult::Success => return Ok(()),
            AuthResult::Failure { .. } => tried.push(label),
        }
    }
    Err(Error::Auth {
        host: config.alias.clone(),
        user: user.to_owned(),
        tried,
    })
}

async fn agent(config: &HostConfig) -> Option<AgentClient<tokio::net::UnixStream>> {
    let client = match &config.identity_agent {
        IdentityAgent::None => return None,
        IdentityAgent::Env => AgentClient::connect_env().await,
        IdentityAgent::Socket(path) => AgentClient::connect_uds(path).await,
    };
    client.map_err(|e| tracing::debug!("no ssh-agent: {e}")).ok()
}

/// The signature hash for RSA keys (rsa-sha2-512/256 where the server takes them), asked of
/// the server once and only when an RSA key is offered.
async fn rsa(handle: &Handle<HostKeyCheck>, key: &PublicKey, cached: &mut Option<Option<HashAlg>>) -> Option<HashAlg> {
    if !key.algorithm().is_rsa() {
        return None;
    }
    if cached.is_none() {
        *cached = Some(handle.best_supported_rsa_hash().await.ok().flatten().flatten());
    }
    cached.flatten()
}

fn public_half(file: &Path) -> Option<PublicKey> {
    let mut pub_path = file.as_os_str().to_owned();
    pub_path.push(".pub");
    russh::keys::load_public_key(pub_path).ok()
}

/// Loads a private key, asking for its passphrase on the terminal when it is encrypted.
async fn load_key(file: &Path, ui: &Ui) -> Result<russh::keys::PrivateKey, String> {
    match russh::keys::load_secret_key(file, None) {
        Ok(key) => return Ok(key),
        Err(russh::keys::Error::KeyIsEncrypted) => {}
        Err(e) => return Err(format!("unreadable: {e}")),
    }
    if !terminal::available() {
        return Err("encrypted, and there is no terminal to ask for its passphrase".into());
    }
    for _ in 0..3 {
        let prompt = format!("Enter passphrase for key '{}': ", file.display());
        let file = file.to_owned();
        let answer = ui
            .suspend(|| terminal::ask_secret(&prompt))
            .map_err(|e| e.to_string())?;
        // Decrypting is deliberately slow (bcrypt KDF): off the async thread.
        let loaded = tokio::task::spawn_blocking(move || russh::keys::load_secret_key(&file, Some(&answer)))
            .await
            .map_err(|e| e.to_string())?;
        match loaded {
            Ok(key) => return Ok(key),
            Err(_) => ui.always("Bad passphrase, try again."),
        }
    }
    Err("wrong passphrase".into())
}

fn comment_or_type(comment: &str, key: &PublicKey) -> String {
    if comment.is_empty() {
        key.algorithm().to_string()
    } else {
        comment.to_owned()
    }
}
