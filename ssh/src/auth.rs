//! User authentication in OpenSSH's order (or `PreferredAuthentications`'): public keys
//! (agent keys, then identity files and their certificates, asking for the passphrase of an
//! encrypted key on the terminal), keyboard-interactive (the server's prompts shown as they
//! come, so PAM second factors work), then password. Methods the server no longer offers are
//! skipped, and a partial success (`AuthenticationMethods publickey,keyboard-interactive`)
//! moves on to the next method. Each key is offered with its signature straight away, without
//! the "would you accept this key?" query: one round trip per key.

use std::path::Path;
use std::sync::Arc;

use russh::MethodKind;
use russh::client::{AuthResult, Handle, KeyboardInteractiveAuthResponse};
use russh::keys::agent::AgentIdentity;
use russh::keys::{Certificate, HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKey};

use crate::error::{Error, TransportError};
use crate::host_config::HostConfig;
use crate::host_key::HostKeyCheck;
use crate::known_hosts::fingerprint;
use crate::prompter::{Prompter, Question};

/// OpenSSH's tries at a password before giving up (`NumberOfPasswordPrompts`).
const PASSWORD_TRIES: usize = 3;

/// How one method ended.
enum Outcome {
    Success,
    /// Refused (or accepted in part): the methods the server still offers.
    Failure {
        remaining: Vec<MethodKind>,
    },
    /// Not tried (nothing to offer, or no one to ask).
    Skipped,
}

pub async fn authenticate(
    handle: &mut Handle<HostKeyCheck>,
    config: &HostConfig,
    ui: &dyn Prompter,
) -> Result<(), Error> {
    let mut auth = Auth {
        handle,
        config,
        ui,
        tried: Vec::new(),
        rsa_hash: None,
    };
    let mut allowed: Option<Vec<MethodKind>> = None;
    for method in order(config) {
        if allowed.as_ref().is_some_and(|a| !a.contains(&method)) {
            continue;
        }
        let outcome = match method {
            MethodKind::PublicKey => auth.public_keys().await?,
            MethodKind::KeyboardInteractive => auth.keyboard_interactive().await?,
            MethodKind::Password => auth.password().await?,
            _ => Outcome::Skipped,
        };
        match outcome {
            Outcome::Success => return Ok(()),
            Outcome::Failure { remaining } => allowed = Some(remaining),
            Outcome::Skipped => {}
        }
    }
    Err(Error::Auth {
        host: config.alias.clone(),
        user: config.user.clone(),
        tried: auth.tried,
    })
}

/// `PreferredAuthentications`, or OpenSSH's default order of the methods supported here.
fn order(config: &HostConfig) -> Vec<MethodKind> {
    let named: Vec<MethodKind> = config
        .preferred_auth
        .iter()
        .filter_map(|name| match name.as_str() {
            "publickey" => Some(MethodKind::PublicKey),
            "keyboard-interactive" => Some(MethodKind::KeyboardInteractive),
            "password" => Some(MethodKind::Password),
            _ => None,
        })
        .collect();
    if named.is_empty() {
        vec![
            MethodKind::PublicKey,
            MethodKind::KeyboardInteractive,
            MethodKind::Password,
        ]
    } else {
        named
    }
}

fn outcome(result: AuthResult) -> Outcome {
    match result {
        AuthResult::Success => Outcome::Success,
        AuthResult::Failure { remaining_methods, .. } => Outcome::Failure {
            remaining: remaining_methods.to_vec(),
        },
    }
}

struct Auth<'a> {
    handle: &'a mut Handle<HostKeyCheck>,
    config: &'a HostConfig,
    ui: &'a dyn Prompter,
    /// What was offered, for the error when everything fails.
    tried: Vec<String>,
    rsa_hash: Option<Option<HashAlg>>,
}

impl Auth<'_> {
    fn ssh_err(&self, source: russh::Error) -> Error {
        Error::session(self.config.alias.clone(), TransportError::russh(source))
    }

    async fn public_keys(&mut self) -> Result<Outcome, Error> {
        let config = self.config;
        let user = config.user.as_str();
        let mut last = Outcome::Skipped;
        // The public halves of the identity files, so IdentitiesOnly can filter agent keys
        // and keys already offered through the agent are not offered twice.
        let file_keys: Vec<Option<PublicKey>> = config.identity_files.iter().map(|f| public_half(f)).collect();
        let mut offered: Vec<PublicKey> = Vec::new();
        for file in &config.missing_identities {
            self.tried
                .push(format!("{} (not accessible: no such file)", file.display()));
        }

        if let Some(mut agent) = crate::agent::connect(config).await {
            let identities = agent.request_identities().await.unwrap_or_default();
            for identity in identities {
                let AgentIdentity::PublicKey { key, comment } = identity else {
                    continue;
                };
                if config.identities_only && !file_keys.iter().flatten().any(|k| k.key_data() == key.key_data()) {
                    continue;
                }
                let hash = self.rsa(&key).await;
                let label = format!("agent key {} {}", comment_or_type(&comment, &key), fingerprint(&key));
                tracing::debug!("offering {label}");
                match self
                    .handle
                    .authenticate_publickey_with(user, key.clone(), hash, &mut agent)
                    .await
                {
                    Ok(result) => last = self.settle(outcome(result), label),
                    Err(e) => self.tried.push(format!("{label} (agent could not sign: {e})")),
                }
                if !matches!(last, Outcome::Skipped | Outcome::Failure { .. }) || self.partial(&last) {
                    return Ok(last);
                }
                offered.push(key);
            }
        }

        let certificates: Vec<Certificate> = config
            .certificate_files
            .iter()
            .filter_map(|f| russh::keys::load_openssh_certificate(f).ok())
            .collect();
        for (file, public) in config.identity_files.iter().zip(&file_keys) {
            if !file.exists() {
                // ssh lists its default key names whether they exist or not; a file named on
                // purpose (IdentityFile) that is not there belongs in the list of tried.
                if !is_default_identity(file) && !config.missing_identities.contains(file) {
                    self.tried
                        .push(format!("{} (not accessible: no such file)", file.display()));
                }
                continue;
            }
            if public
                .as_ref()
                .is_some_and(|p| offered.iter().any(|o| o.key_data() == p.key_data()))
            {
                continue;
            }
            let label = file.display().to_string();
            if russh::keys::load_public_key(file).is_ok() {
                self.tried
                    .push(format!("{label} (a public key: its private half must be in the agent)"));
                continue;
            }
            let key = match load_key(file, self.ui).await {
                Ok(key) => Arc::new(key),
                Err(why) => {
                    self.tried.push(format!("{label} ({why})"));
                    continue;
                }
            };
            // A certificate for this key first (`KEY-cert.pub`, or a CertificateFile), as
            // OpenSSH does, then the plain key.
            let mut cert_path = file.as_os_str().to_owned();
            cert_path.push("-cert.pub");
            let beside = russh::keys::load_openssh_certificate(Path::new(&cert_path)).ok();
            let certs = beside.into_iter().chain(certificates.iter().cloned());
            for cert in certs.filter(|c| c.public_key() == key.public_key().key_data()) {
                if key.algorithm().is_rsa() {
                    // RSA certificates are broken in russh; the plain key is tried next.
                    tracing::debug!("skipping the RSA certificate of {label}");
                    continue;
                }
                tracing::debug!("offering {label} with its certificate {}", cert.key_id());
                let result = self
                    .handle
                    .authenticate_openssh_cert(user, key.clone(), cert.clone())
                    .await;
                last = self.settle(
                    outcome(result.map_err(|e| self.ssh_err(e))?),
                    format!("{label} (certificate {})", cert.key_id()),
                );
                if matches!(last, Outcome::Success) || self.partial(&last) {
                    return Ok(last);
                }
            }
            let hash = self.rsa(key.public_key()).await;
            tracing::debug!("offering key file {label}");
            let result = self
                .handle
                .authenticate_publickey(user, PrivateKeyWithHashAlg::new(key, hash))
                .await;
            last = self.settle(outcome(result.map_err(|e| self.ssh_err(e))?), label);
            if matches!(last, Outcome::Success) || self.partial(&last) {
                return Ok(last);
            }
        }
        Ok(last)
    }

    /// Records a refused attempt; passes the outcome on.
    fn settle(&mut self, outcome: Outcome, label: String) -> Outcome {
        if !matches!(outcome, Outcome::Success) {
            self.tried.push(label);
        }
        outcome
    }

    /// A key accepted as one of several required methods: the server now offers only other
    /// methods, so there is no point in offering more keys.
    fn partial(&self, outcome: &Outcome) -> bool {
        matches!(outcome, Outcome::Failure { remaining } if !remaining.contains(&MethodKind::PublicKey))
    }

    async fn keyboard_interactive(&mut self) -> Result<Outcome, Error> {
        if let Some(why) = self.no_one_to_ask() {
            self.tried.push(format!("keyboard-interactive ({why})"));
            return Ok(Outcome::Skipped);
        }
        let user = self.config.user.clone();
        let mut response = self
            .handle
            .authenticate_keyboard_interactive_start(user, None::<String>)
            .await
            .map_err(|e| self.ssh_err(e))?;
        loop {
            match response {
                KeyboardInteractiveAuthResponse::Success => return Ok(Outcome::Success),
                KeyboardInteractiveAuthResponse::Failure { remaining_methods, .. } => {
                    self.tried.push("keyboard-interactive".into());
                    return Ok(Outcome::Failure {
                        remaining: remaining_methods.to_vec(),
                    });
                }
                KeyboardInteractiveAuthResponse::InfoRequest {
                    name,
                    instructions,
                    prompts,
                } => {
                    let host = self.config.alias.clone();
                    // Servers send requests with no prompts; they are answered with nothing.
                    let header: String = [name, instructions]
                        .iter()
                        .filter(|t| !t.trim().is_empty())
                        .map(|t| format!("({host}) {}\n", codex_remote_login_shared::redact::printable(t.trim())))
                        .collect();
                    let questions: Vec<Question> = prompts
                        .iter()
                        .enumerate()
                        .map(|(index, p)| {
                            let shown = codex_remote_login_shared::redact::printable(&p.prompt);
                            let prompt = if index == 0 {
                                format!("{header}({host}) {shown}")
                            } else {
                                format!("({host}) {shown}")
                            };
                            Question { prompt, echo: p.echo }
                        })
                        .collect();
                    // Servers send requests with no prompts; they are answered with nothing.
                    let answers = if questions.is_empty() {
                        Ok(Vec::new())
                    } else {
                        self.ui.ask(&questions)
                    };
                    let answers = match answers {
                        Ok(answers) => answers,
                        Err(e) => {
                            self.tried.push(format!("keyboard-interactive (cannot ask: {e})"));
                            return Ok(Outcome::Skipped);
                        }
                    };
                    response = self
                        .handle
                        .authenticate_keyboard_interactive_respond(answers)
                        .await
                        .map_err(|e| self.ssh_err(e))?;
                }
            }
        }
    }

    async fn password(&mut self) -> Result<Outcome, Error> {
        if let Some(why) = self.no_one_to_ask() {
            self.tried.push(format!("password ({why})"));
            return Ok(Outcome::Skipped);
        }
        let prompt = format!("{}@{}'s password: ", self.config.user, self.config.alias);
        let mut last = Outcome::Skipped;
        for _ in 0..PASSWORD_TRIES {
            let password = match self.ui.ask_one(&prompt, false) {
                Ok(password) => password,
                Err(_) => break,
            };
            let result = self
                .handle
                .authenticate_password(self.config.user.clone(), password)
                .await;
            last = outcome(result.map_err(|e| self.ssh_err(e))?);
            match &last {
                Outcome::Success => return Ok(last),
                Outcome::Failure { remaining } if remaining.contains(&MethodKind::Password) => {
                    self.ui.say("Permission denied, please try again.");
                }
                _ => break,
            }
        }
        self.tried.push("password".into());
        Ok(last)
    }

    /// Why no question can be asked: `BatchMode`, or no terminal.
    fn no_one_to_ask(&self) -> Option<&'static str> {
        if self.config.batch_mode {
            Some("BatchMode is on")
        } else if !self.ui.can_ask() {
            Some("no terminal to ask on")
        } else {
            None
        }
    }

    /// The signature hash for RSA keys (rsa-sha2-512/256 where the server takes them), asked
    /// of the server once and only when an RSA key is offered.
    async fn rsa(&mut self, key: &PublicKey) -> Option<HashAlg> {
        if !key.algorithm().is_rsa() {
            return None;
        }
        if self.rsa_hash.is_none() {
            self.rsa_hash = Some(self.handle.best_supported_rsa_hash().await.ok().flatten().flatten());
        }
        self.rsa_hash.flatten()
    }
}

/// The public half of an identity: `FILE.pub` beside a private key, or FILE itself when it
/// is a public key (`-i key.pub` names an agent key, as with ssh).
fn public_half(file: &Path) -> Option<PublicKey> {
    let mut pub_path = file.as_os_str().to_owned();
    pub_path.push(".pub");
    russh::keys::load_public_key(pub_path)
        .or_else(|_| russh::keys::load_public_key(file))
        .ok()
}

/// Loads a private key, asking for its passphrase on the terminal when it is encrypted.
async fn load_key(file: &Path, ui: &dyn Prompter) -> Result<PrivateKey, String> {
    match russh::keys::load_secret_key(file, None) {
        Ok(key) => return Ok(key),
        Err(russh::keys::Error::KeyIsEncrypted) => {}
        Err(e) => return Err(format!("unreadable: {e}")),
    }
    if !ui.can_ask() {
        return Err("encrypted, and there is no terminal to ask for its passphrase".into());
    }
    for _ in 0..3 {
        let prompt = format!("Enter passphrase for key '{}': ", file.display());
        let file = file.to_owned();
        let answer = ui.ask_one(&prompt, false).map_err(|e| e.to_string())?;
        // Decrypting is deliberately slow (bcrypt KDF): off the async thread.
        let loaded = tokio::task::spawn_blocking(move || russh::keys::load_secret_key(&file, Some(&answer)))
            .await
            .map_err(|e| e.to_string())?;
        match loaded {
            Ok(key) => return Ok(key),
            Err(_) => ui.say("Bad passphrase, try again."),
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

/// Whether `file` is one of the key files ssh tries by default (`~/.ssh/id_*`), which it
/// lists in `ssh -G` whether or not they exist.
fn is_default_identity(file: &Path) -> bool {
    file.parent() == Some(crate::places::home_dir().join(".ssh").as_path())
        && file
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| crate::places::DEFAULT_IDENTITIES.contains(&n))
}
