//! Which client carries a connection: the built-in one, or the user's OpenSSH. `--ssh`
//! decides when given; otherwise OpenSSH is chosen where the host's configuration needs
//! something only it does, or where a master of the user's is live to ride (no new
//! handshake, no new second factor). `-v` says which, and why.

use std::path::PathBuf;

use crate::algorithms;
use crate::error::Error;
use crate::host_config::{HostConfig, OpenSshArgs};
use crate::settings::Transport;

/// The client chosen for one host.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Choice {
    Builtin,
    /// OpenSSH; riding the user's master at this ControlPath, or with a master of its own.
    OpenSsh {
        ride: Option<PathBuf>,
    },
}

/// Chooses, and says so at `-v`.
pub(crate) async fn choose(config: &HostConfig) -> Result<Choice, Error> {
    let host = &config.alias;
    let ticket = config.gssapi && config.transport == Transport::Auto && kerberos_ticket().await;
    let (choice, why) = decide(config, ticket).await?;
    match &choice {
        Choice::Builtin => tracing::info!("{host}: the built-in SSH client ({why})"),
        Choice::OpenSsh { .. } => tracing::info!("{host}: OpenSSH's ssh ({why})"),
    }
    Ok(choice)
}

/// `ticket`: whether a Kerberos ticket is at hand, for `GSSAPIAuthentication yes`.
async fn decide(config: &HostConfig, ticket: bool) -> Result<(Choice, String), Error> {
    let unavailable = openssh_unavailable(config);
    match config.transport {
        Transport::Builtin => return Ok((Choice::Builtin, "--ssh builtin".into())),
        Transport::OpenSsh => {
            if let Some(why) = unavailable {
                return Err(Error::OpenSsh {
                    host: config.alias.clone(),
                    message: format!("--ssh openssh: {why}"),
                });
            }
        }
        Transport::Auto => {
            if let Some(why) = unavailable {
                return Ok((Choice::Builtin, why.into()));
            }
        }
    }
    if let Some(args) = &config.openssh
        && let Some(path) = live_master(config, args).await
    {
        let why = format!("riding the live ControlMaster at {}", path.display());
        return Ok((Choice::OpenSsh { ride: Some(path) }, why));
    }
    if config.transport == Transport::OpenSsh {
        return Ok((Choice::OpenSsh { ride: None }, "--ssh openssh".into()));
    }
    let mut needs = config.needs_openssh.clone();
    needs.extend(algorithms::lacking(config));
    needs.extend(rsa_certificate(config));
    if config.gssapi && ticket {
        needs.push("GSSAPIAuthentication yes (and a Kerberos ticket)".into());
    }
    if needs.is_empty() {
        let why = if config.gssapi {
            "nothing in its ssh config needs OpenSSH: GSSAPIAuthentication yes, but no Kerberos ticket (klist -s)"
        } else {
            "nothing in its ssh config needs OpenSSH"
        };
        Ok((Choice::Builtin, why.into()))
    } else {
        Ok((
            Choice::OpenSsh { ride: None },
            format!("its ssh config has {}", needs.join(", ")),
        ))
    }
}

/// Why OpenSSH cannot carry this connection, if it cannot.
fn openssh_unavailable(config: &HostConfig) -> Option<&'static str> {
    if cfg!(windows) {
        // Windows' OpenSSH has no ControlMaster: every stream would authenticate again.
        Some("OpenSSH on Windows cannot share one connection (no ControlMaster)")
    } else if config.openssh.is_none() {
        Some("no OpenSSH client here")
    } else {
        None
    }
}

/// Whether the user holds a Kerberos ticket (`klist -s`; where there is no klist, whether
/// KRB5CCNAME names a credential cache). Without one GSSAPI cannot log in, so the built-in
/// client loses nothing.
async fn kerberos_ticket() -> bool {
    let status = tokio::process::Command::new("klist")
        .arg("-s")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .status()
        .await;
    match status {
        Ok(status) => status.success(),
        Err(_) => std::env::var_os("KRB5CCNAME").is_some(),
    }
}

/// An RSA user certificate among those the config offers (`KEY-cert.pub` beside an identity
/// file, or a `CertificateFile`): russh cannot sign with one, so only OpenSSH can use it.
fn rsa_certificate(config: &HostConfig) -> Option<String> {
    let beside = config.identity_files.iter().map(|key| {
        let mut path = key.as_os_str().to_owned();
        path.push("-cert.pub");
        PathBuf::from(path)
    });
    beside
        .chain(config.certificate_files.iter().cloned())
        .find(|path| russh::keys::load_openssh_certificate(path).is_ok_and(|c| c.algorithm().is_rsa()))
        .map(|path| format!("an RSA user certificate ({})", path.display()))
}

/// Whether a failure of the built-in client to set a connection up, before any host key was
/// seen, is one that OpenSSH may not have: no algorithm in common with the server.
pub(crate) fn may_fall_back(config: &HostConfig) -> bool {
    config.transport == Transport::Auto && openssh_unavailable(config).is_none()
}

/// Whether a master of the user's is live at `config`'s ControlPath (`ssh -O check`, which
/// only talks to the socket).
async fn live_master(config: &HostConfig, args: &OpenSshArgs) -> Option<PathBuf> {
    let path = config.control_path.clone()?;
    let status = tokio::process::Command::new("ssh")
        .args(&args.args)
        .args(["-O", "check", "--"])
        .arg(&args.destination)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .status()
        .await
        .ok()?;
    status.success().then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_ssh_g;

    fn config(text: &str, transport: Transport) -> HostConfig {
        let mut c = parse_ssh_g("h", text, std::path::Path::new("/")).unwrap();
        c.transport = transport;
        c.openssh = Some(OpenSshArgs {
            args: Vec::new(),
            destination: "h".into(),
        });
        c
    }

    async fn chosen(text: &str, transport: Transport) -> Result<(Choice, String), Error> {
        decide(&config(text, transport), true).await
    }

    /// (Not on Windows, where OpenSSH is never chosen.)
    #[cfg(unix)]
    #[tokio::test]
    async fn auto_takes_openssh_only_where_the_config_needs_it() {
        let plain = "kexalgorithms curve25519-sha256\ngssapiauthentication no\naddressfamily any\n";
        assert_eq!(chosen(plain, Transport::Auto).await.unwrap().0, Choice::Builtin);
        let (choice, why) = chosen("gssapiauthentication yes\n", Transport::Auto).await.unwrap();
        assert_eq!(
            (choice, why.as_str()),
            (
                Choice::OpenSsh { ride: None },
                "its ssh config has GSSAPIAuthentication yes (and a Kerberos ticket)"
            )
        );
        // Debian's own ssh_config says `GSSAPIAuthentication yes` for every host: without a
        // ticket that is no reason to leave the built-in client.
        let without = decide(&config("gssapiauthentication yes\n", Transport::Auto), false).await;
        assert_eq!(without.unwrap().0, Choice::Builtin);
        let (choice, why) = chosen("verifyhostkeydns ask\n", Transport::Auto).await.unwrap();
        assert_eq!(
            (choice, why.as_str()),
            (
                Choice::OpenSsh { ride: None },
                "its ssh config has VerifyHostKeyDNS ask"
            )
        );
        let (choice, why) = chosen(
            "pkcs11provider /usr/lib/softhsm/libsofthsm2.so\nkexalgorithms sntrup761x25519-sha512@openssh.com\n",
            Transport::Auto,
        )
        .await
        .unwrap();
        assert_eq!(choice, Choice::OpenSsh { ride: None });
        assert!(
            why.contains("PKCS11Provider") && why.contains("KexAlgorithms sntrup761"),
            "{why}"
        );
        assert_eq!(
            chosen("gssapiauthentication yes\n", Transport::Builtin)
                .await
                .unwrap()
                .0,
            Choice::Builtin
        );
        assert_eq!(
            chosen("", Transport::OpenSsh).await.unwrap().0,
            Choice::OpenSsh { ride: None }
        );
    }

    #[tokio::test]
    async fn without_an_openssh_client_auto_is_builtin_and_openssh_an_error() {
        let mut c = config("gssapiauthentication yes\n", Transport::Auto);
        c.openssh = None;
        assert_eq!(decide(&c, true).await.unwrap().0, Choice::Builtin);
        c.transport = Transport::OpenSsh;
        assert!(matches!(decide(&c, true).await, Err(Error::OpenSsh { .. })));
    }
}
