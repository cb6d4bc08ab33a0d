//! The host-key decision for one connection: known_hosts first, then the resolved
//! `StrictHostKeyChecking` (asking on the terminal where OpenSSH would).

use std::sync::{Arc, Mutex};

use std::time::{SystemTime, UNIX_EPOCH};

use russh::keys::{Certificate, PublicKey, PublicKeyOrCertificate};

use crate::error::HostKeyError;
use crate::host_config::{HostConfig, StrictHostKeyChecking};
use crate::known_hosts::{self, CertVerdict, Verdict};
use crate::prompter::Prompter;

/// The russh handler: it only has to judge the server's key.
pub struct HostKeyCheck {
    pub config: Arc<HostConfig>,
    pub ui: Arc<dyn Prompter>,
    /// Why the key was refused, for the error the connection attempt then returns.
    pub refusal: Arc<Mutex<Option<HostKeyError>>>,
    /// Told when the server's key arrives: the server has answered the key exchange, so the
    /// connect timeout stops there, before a host-key question can wait for the person.
    pub key_seen: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl russh::client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(&mut self, offered: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        if let Some(seen) = self.key_seen.lock().expect("not poisoned").take() {
            let _ = seen.send(());
        }
        let (key, cert) = match offered {
            PublicKeyOrCertificate::PublicKey { key, .. } => (key.clone(), None),
            PublicKeyOrCertificate::Certificate(cert) => {
                (PublicKey::from(cert.public_key().clone()), Some(cert.clone()))
            }
        };
        let (config, ui) = (self.config.clone(), self.ui.clone());
        // known_hosts I/O and a possible prompt block: keep them off the async thread.
        let decision = tokio::task::spawn_blocking(move || verify(&config, ui.as_ref(), &key, cert.as_ref()))
            .await
            .map_err(|_| russh::Error::Inconsistent)?;
        match decision {
            Ok(()) => Ok(true),
            Err(refusal) => {
                *self.refusal.lock().expect("not poisoned") = Some(refusal);
                Ok(false)
            }
        }
    }
}

/// All the known_hosts files of a host, user's first.
pub fn files(config: &HostConfig) -> Vec<std::path::PathBuf> {
    config
        .user_known_hosts
        .iter()
        .chain(&config.global_known_hosts)
        .cloned()
        .collect()
}

fn verify(
    config: &HostConfig,
    ui: &dyn Prompter,
    key: &PublicKey,
    cert: Option<&Certificate>,
) -> Result<(), HostKeyError> {
    let name = config.known_hosts_name();
    let files = files(config);
    let kind = known_hosts::kind(key);
    let fingerprint = known_hosts::fingerprint(key);
    let revoked = |file, line| HostKeyError::Revoked {
        host: name.clone(),
        kind,
        file,
        line,
        fingerprint: fingerprint.clone(),
    };
    if let Some(cert) = cert {
        let principal = config.host_key_alias.as_deref().unwrap_or(&config.hostname);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        match known_hosts::check_certificate(&files, &name, principal, cert, now) {
            CertVerdict::Trusted => {
                tracing::debug!(
                    "host certificate of {name} ({}) signed by a trusted authority",
                    cert.key_id()
                );
                return Ok(());
            }
            CertVerdict::Revoked { file, line } => return Err(revoked(file, line)),
            // As OpenSSH does, an untrusted certificate leaves its plain key to be judged.
            CertVerdict::NoAuthority => {}
            CertVerdict::Invalid(why) => ui.warn(&format!("the host certificate of {name} is not accepted: {why}")),
        }
    }
    let other_types = match known_hosts::check(&files, &name, key) {
        Verdict::Known => return Ok(()),
        Verdict::Revoked { file, line } => return Err(revoked(file, line)),
        Verdict::Changed { file, line, old } => {
            return Err(HostKeyError::Changed {
                host: name,
                kind,
                file,
                line,
                old: known_hosts::fingerprint(&old),
                new: fingerprint,
            });
        }
        Verdict::Unknown { other_types } => other_types,
    };
    // `UserKnownHostsFile none`: nowhere to record a key, and OpenSSH (sshconnect.c, read-only
    // host files) then refuses an unknown key whatever StrictHostKeyChecking says, without
    // asking. So does this tool; nothing is written anywhere.
    let Some(file) = config.user_known_hosts.first().cloned() else {
        return Err(HostKeyError::UnknownNoFile {
            host: name,
            kind,
            fingerprint,
        });
    };
    match config.strict {
        StrictHostKeyChecking::Yes => {
            return Err(HostKeyError::UnknownStrict {
                host: name,
                kind,
                fingerprint,
            });
        }
        StrictHostKeyChecking::AcceptNew => {}
        StrictHostKeyChecking::No => ui.warn(&format!(
            "StrictHostKeyChecking is off: accepting the unknown {kind} key of {name} ({fingerprint})"
        )),
        StrictHostKeyChecking::Ask => {
            if config.batch_mode || !ui.can_ask() {
                return Err(HostKeyError::UnknownNoTerminal {
                    host: name,
                    kind,
                    fingerprint,
                });
            }
            if !ask(ui, &name, kind, &fingerprint, &other_types) {
                return Err(HostKeyError::Declined { host: name });
            }
        }
    }
    known_hosts::append(&file, &name, key, config.hash_known_hosts).map_err(|source| HostKeyError::Record {
        host: name.clone(),
        file: file.clone(),
        source,
    })?;
    ui.note(&format!(
        "Permanently added '{name}' ({kind}) to the list of known hosts."
    ));
    Ok(())
}

/// OpenSSH's question, answered with yes, no or the fingerprint itself.
fn ask(ui: &dyn Prompter, name: &str, kind: &str, fingerprint: &str, other_types: &[String]) -> bool {
    let mut prompt =
        format!("The authenticity of host '{name}' can't be established.\n{kind} key fingerprint is {fingerprint}.\n");
    if !other_types.is_empty() {
        prompt.push_str(&format!(
            "Keys of other types are already known for this host: {}.\n",
            other_types.join(", ")
        ));
    }
    prompt.push_str("Are you sure you want to continue connecting (yes/no/[fingerprint])? ");
    loop {
        match ui.ask_one(&prompt, true).as_deref().map(str::trim) {
            Ok("yes") => return true,
            Ok(answer) if answer == fingerprint => return true,
            Ok("no") | Err(_) => return false,
            Ok(_) => prompt = "Please type 'yes', 'no' or the fingerprint: ".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIElt3d1W0WW3KFQJrIfOcAhP58n9dKWwpE7tXk6gyQG/";

    /// `UserKnownHostsFile none`: an unknown key is refused in every mode that would record
    /// it, as OpenSSH refuses it, and no file is written (not `./none`, not `~/.ssh/known_hosts`).
    #[test]
    fn no_user_known_hosts_file_refuses_unknown_keys_and_writes_nothing() {
        let dir = std::env::temp_dir().join(format!("crl-none-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let home = dir.join("home");
        let text = "hostname dev\nuserknownhostsfile none\nglobalknownhostsfile none\n";
        let mut config = crate::config::parse_ssh_g("dev", text, &home).unwrap();
        assert!(config.user_known_hosts.is_empty() && config.global_known_hosts.is_empty());
        let key = PublicKey::from_openssh(KEY).unwrap();
        let ui = crate::prompter::Nobody;
        for strict in [StrictHostKeyChecking::AcceptNew, StrictHostKeyChecking::No] {
            config.strict = strict;
            let refused = verify(&config, &ui, &key, None);
            assert!(
                matches!(refused, Err(HostKeyError::UnknownNoFile { .. })),
                "{strict:?}: {refused:?}"
            );
        }
        assert!(!std::path::Path::new("none").exists() && !home.exists());
        // A key known from a global file is still accepted.
        let global = dir.join("global");
        std::fs::write(&global, format!("dev {KEY}\n")).unwrap();
        config.global_known_hosts = vec![global];
        assert!(verify(&config, &ui, &key, None).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
