//! The errors of a sign-in, each with what to do next and a documented exit code.

pub mod containers;
pub mod render;

use std::path::PathBuf;

use crate::callback::ports::PortError;
use crate::codex::failure::CodexFailure;
use crate::error::containers::ContainerError;
use crate::shim::ShimError;
use crate::ui::exit::ExitStatus;
use ssh::{self, ConfigError, ExecError, HostKeyError, destination::DestinationError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reaching, verifying or logging in to a host, or the SSH session failing later.
    #[error(transparent)]
    Ssh(#[from] ssh::Error),
    #[error("cannot use {} as a CA bundle: {why}", path.display())]
    CaCert { path: PathBuf, why: String },
    #[error("the CA bundle for {host} could not be used: {why}")]
    RemoteCa { host: String, why: String },
    #[error("cannot watch for Ctrl-C and termination signals")]
    Signals {
        #[source]
        source: std::io::Error,
    },
    #[error("`{word}` is not a command, and no host of that name is known")]
    MistypedCommand { word: String, command: String },
    #[error("{what}: {why}")]
    BadArgument { what: String, why: String },
    #[error("no hosts to sign in")]
    NoHosts,
    #[error("cannot read the hosts file {}: {why}", file.display())]
    HostsFile { file: PathBuf, why: String },
    /// Several hosts (or containers: `what`), at least one failed (each was reported as it failed).
    #[error("not every {what} was signed in")]
    Several { what: &'static str, failed: Box<Error> },
    #[error("the pasted address cannot finish the sign-in on {host}: {why}")]
    Paste { host: String, why: String },
    #[error("no usable {what}: {why}")]
    Secret {
        what: &'static str,
        var: &'static str,
        why: String,
    },
    #[error(
        "{host}'s auth.json was refreshed more recently ({host_refreshed}) than the one to push ({local_refreshed})"
    )]
    HostFresher {
        host: String,
        host_refreshed: String,
        local_refreshed: String,
    },
    #[error("cannot read the auth.json to push ({})", path.display())]
    LocalAuth {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("the push to {host} did not complete ({why}); its auth.json is unchanged")]
    PushFailed { host: String, why: String },
    #[error("the connection to {host} was lost {during}")]
    ConnectionLost { host: String, during: &'static str },
    /// The local callback port.
    #[error(transparent)]
    Port(#[from] PortError),
    /// Containers: naming them, finding them, copying logins in and out.
    #[error(transparent)]
    Container(#[from] ContainerError),
    /// The shim: codex missing on the host, or events that do not parse.
    #[error(transparent)]
    Shim(#[from] ShimError),
    #[error("cannot carry the browser's callback to {host}: {source}")]
    Tunnel {
        host: String,
        #[source]
        source: crate::callback::tunnel::TunnelError,
    },
    #[error("the remote codex printed a sign-in URL this tool will not open: {reason}\n  URL: {shown}")]
    BadUrl { reason: String, shown: String },
    #[error("the remote codex on {host} ended without printing a sign-in URL")]
    NoUrl {
        host: String,
        last_lines: Vec<String>,
        why: CodexFailure,
    },
    #[error(
        "codex login on {host} failed (exit status {code}){}{}",
        detail(last_lines),
        log_tail(log)
    )]
    CodexFailed {
        host: String,
        code: i32,
        last_lines: Vec<String>,
        log: Option<CodexLog>,
        why: CodexFailure,
    },
    #[error("codex on {host} reported success, but {problem}")]
    NotSaved { host: String, problem: String },
    /// The host's codex config forces another login method (`forced_login_method`): refused
    /// before anything started there.
    #[error(
        "{host}'s codex allows only {forced} logins (forced_login_method = \"{forced}\" in its config.toml): nothing was started"
    )]
    LoginMethodForced { host: String, forced: String },
    /// The host's codex reads its login from the OS keyring, never from the auth.json a
    /// sign-in writes: refused before anything started there.
    /// `consequence` says what that means for the command, and what it did not do.
    #[error(
        "{host}'s codex keeps its login in the OS keyring (cli_auth_credentials_store = \"{store}\" in its config.toml): {consequence}"
    )]
    KeyringStore {
        host: String,
        store: String,
        consequence: &'static str,
    },
    /// `logout`: other places hold the login, and neither the person nor `--yes` agreed to
    /// revoke it.
    #[error(
        "nothing was signed out on {host}: the same login is also in {}, and revoking it would sign those out too",
        others.join(", ")
    )]
    LogoutDeclined { host: String, others: Vec<String> },
    /// Another sign-in of this tool is under way for the same login on the host.
    #[error("another sign-in is already under way on {host} for the same login: nothing was started")]
    SignInBusy { host: String },
    /// codex signed in, but its login could not be moved into place.
    #[error(
        "codex signed in on {host}, but the new login could not be put in place: {why}; the host's previous login is unchanged, and the new one was revoked"
    )]
    NotInstalled { host: String, why: String },
    #[error("the sign-in did not finish within {secs} s")]
    Timeout { secs: u64 },
    #[error("interrupted ({signal}); the sign-in on {host} was cancelled")]
    Interrupted { host: String, signal: &'static str },
}

/// The tail of codex's own log on the host (`$CODEX_HOME/log/codex-login.log`), redacted.
#[derive(Debug, Clone)]
pub struct CodexLog {
    pub path: String,
    pub lines: Vec<String>,
}

fn log_tail(log: &Option<CodexLog>) -> String {
    let Some(log) = log else { return String::new() };
    let mut text = format!("\n  the last lines of {}:", log.path);
    for line in &log.lines {
        text.push_str(&format!("\n    {line}"));
    }
    text
}

/// What to do about a host or user name OpenSSH refuses.
const NAMES_HINT: &str = "OpenSSH 9.6 and later refuse such names too: where a ProxyCommand holds %h, %r or %n, \
a shell would run what they hold";

fn detail(lines: &[String]) -> String {
    lines.last().map(|l| format!(": {l}")).unwrap_or_default()
}

impl From<DestinationError> for Error {
    fn from(e: DestinationError) -> Self {
        Self::Ssh(e.into())
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Self::Ssh(e.into())
    }
}

impl Error {
    /// The SSH session with `host` failed after it was established.
    pub fn ssh(host: impl Into<String>, source: ExecError) -> Self {
        Self::Ssh(ssh::Error::session(host, source))
    }

    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Self::Ssh(e) if e.is_usage() => ExitStatus::Usage,
            Self::Secret { .. }
            | Self::CaCert { .. }
            | Self::NoHosts
            | Self::HostsFile { .. }
            | Self::MistypedCommand { .. }
            | Self::BadArgument { .. } => ExitStatus::Usage,
            Self::Container(e) => e.exit_status(),
            Self::Several { failed, .. } => failed.exit_status(),
            Self::Ssh(_) => ExitStatus::Ssh,
            Self::Port(_) => ExitStatus::PortBusy,
            Self::Shim(ShimError::CodexNotFound { .. } | ShimError::BadCodexPath { .. }) => ExitStatus::CodexMissing,
            Self::Timeout { .. } => ExitStatus::Timeout,
            Self::Interrupted { signal, .. } if *signal == "SIGTERM" => ExitStatus::Terminated,
            Self::Interrupted { .. } => ExitStatus::Interrupted,
            _ => ExitStatus::Failed,
        }
    }

    /// The host the error is about, for `--json`.
    pub fn host(&self) -> Option<&str> {
        match self {
            Self::Ssh(e) => e.host(),
            Self::Container(e) => e.host(),
            Self::ConnectionLost { host, .. }
            | Self::NoUrl { host, .. }
            | Self::Tunnel { host, .. }
            | Self::RemoteCa { host, .. }
            | Self::Paste { host, .. }
            | Self::HostFresher { host, .. }
            | Self::PushFailed { host, .. }
            | Self::CodexFailed { host, .. }
            | Self::NotSaved { host, .. }
            | Self::LoginMethodForced { host, .. }
            | Self::KeyringStore { host, .. }
            | Self::SignInBusy { host }
            | Self::LogoutDeclined { host, .. }
            | Self::NotInstalled { host, .. }
            | Self::Shim(ShimError::CodexNotFound { host, .. })
            | Self::Shim(ShimError::BadCodexPath { host, .. })
            | Self::Shim(ShimError::Protocol { host, .. })
            | Self::Shim(ShimError::WindowsHost { host })
            | Self::Interrupted { host, .. } => Some(host),
            _ => None,
        }
    }

    /// What the user can do next.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Ssh(e) => return ssh_hint(e),
            Self::Port(e) => return e.hint(),
            Self::Shim(e) => e.hint(),
            Self::Container(e) => e.hint(),
            Self::Secret { var, .. } => format!("set {var}, or pipe it on stdin (e.g. `printenv {var} | codex-remote-login ...`)"),
            Self::HostFresher { .. } => {
                "the host's login is newer: sign the host in on its own instead, or pass --force to replace it (a backup is kept)".into()
            }
            Self::MistypedCommand { word, command } => format!(
                "did you mean `{command}`? To sign in on a host named {word}, write it as user@{word} or ssh://{word}"
            ),
            Self::BadArgument { .. } => "see codex-remote-login --help".into(),
            Self::Signals { .. } => {
                "without them an interrupted sign-in could leave codex running on the host: run it again from an ordinary shell".into()
            }
            Self::NoHosts | Self::HostsFile { .. } => "name hosts on the command line or in --hosts-file".into(),
            Self::Several { .. } => "the table above says which failed and why".into(),
            Self::Paste { .. } => "run again, approve in the browser, and paste the whole address the browser ends on \
                                   (it starts with http://127.0.0.1:1455/auth/callback)"
                .into(),
            Self::CaCert { .. } => "pass a PEM file holding one or more `-----BEGIN CERTIFICATE-----` blocks".into(),
            Self::RemoteCa { .. } => "check the path on the host, or send a local bundle with --ca-cert".into(),
            Self::LocalAuth { .. } => "sign in on this machine first (`codex login`), or name the file with --from".into(),
            Self::PushFailed { .. } => "run again; the host's previous auth.json was kept".into(),
            Self::ConnectionLost { .. } => "run again; nothing was left running on the host".into(),
            Self::Tunnel { .. } => "install nc (or python3 or perl) on the host, or allow TCP forwarding in its sshd_config".into(),
            Self::BadUrl { .. } => "the host's codex or its environment is not what it claims; nothing was opened".into(),
            Self::NoUrl { last_lines, why, .. } | Self::CodexFailed { last_lines, why, .. } => {
                if let Some(hint) = why.hint() {
                    return Some(hint.to_owned());
                }
                match self {
                    Self::CodexFailed { log: Some(log), host, .. } => format!("codex's full log is {} on {host}", log.path),
                    _ if last_lines.is_empty() => "run `codex login` on the host by hand to see what it says".into(),
                    _ => format!("codex said: {}", last_lines.join(" | ")),
                }
            }
            Self::NotSaved { .. } => "run `codex login status` on the host".into(),
            Self::LoginMethodForced { host, forced } if forced == "api" => {
                format!("sign in with an API key: codex-remote-login {host} --with-api-key")
            }
            Self::LoginMethodForced { host, .. } => {
                format!("sign in with ChatGPT: codex-remote-login {host} (or --device-auth, --paste), without --with-api-key")
            }
            Self::KeyringStore { host, .. } => format!(
                "let {host}'s codex use its file store: cli_auth_credentials_store = \"file\" in its config.toml, then sign in again \
                 (an SSH session seldom reaches a keyring service anyway); or sign in on {host} with codex itself"
            ),
            Self::NotInstalled { .. } => "fix what it names on the host and sign in again".into(),
            Self::SignInBusy { .. } => "let the other sign-in finish (or end it), then run again".into(),
            Self::LogoutDeclined { host, .. } => format!(
                "pass --yes to revoke it everywhere, or --local-only to remove only {host}'s copy (nothing revoked)"
            ),
            Self::Timeout { .. } => "run again and approve the sign-in in the browser sooner, or raise --timeout".into(),
            Self::Interrupted { .. } => return None,
        })
    }
}

/// What to do about a failure to reach, verify or log in to a host.
pub fn ssh_hint(error: &ssh::Error) -> Option<String> {
    use ssh::Error;
    Some(match error {
        Error::Destination(DestinationError::Name(_)) | Error::Config(ConfigError::Name(_)) => NAMES_HINT.into(),
        Error::Destination(_) => "name the host as [user@]host or ssh://[user@]host[:port]".into(),
        Error::Config(ConfigError::Ssh { message, .. }) if message.starts_with("command-line:") => {
            "check the -o options: they take ssh_config keywords as KEY=VALUE (man ssh_config)".into()
        }
        Error::Config(ConfigError::SystemFile(e)) => e.fix(),
        Error::Config(_) => "check the file with `ssh -G HOST`".into(),
            Error::Jump { hop, .. } => format!("check that {hop} may connect onward (its AllowTcpForwarding) and that `ssh -J {hop} HOST` works"),
            Error::Connect { .. } => "check the host name and port, and that `ssh HOST` connects".into(),
            Error::ConnectTimeout { .. } => "the host accepted no SSH connection in time: check the host name and port (is an SSH server answering there?) and that `ssh HOST` connects; raise the limit with -o ConnectTimeout=SECS".into(),
            Error::HostKey(HostKeyError::Changed { host, .. }) => format!(
                "if you know why the key changed, remove the old entry with `ssh-keygen -R {host}` and connect again"
            ),
            Error::HostKey(HostKeyError::UnknownNoTerminal { .. } | HostKeyError::UnknownStrict { .. }) => {
                "check the fingerprint with the host's owner, then connect once with `ssh HOST` to record it, or pass --accept-new".into()
            }
            Error::HostKey(HostKeyError::UnknownNoFile { .. }) => {
                "record the key in a known_hosts file named by GlobalKnownHostsFile, or let UserKnownHostsFile name a file".into()
            }
            Error::HostKey(_) => return None,
            Error::Auth { tried, .. } => format!(
                "tried: {}. Check that `ssh HOST` logs in, that your agent holds the key (`ssh-add -l`), or pass the key with -i",
                if tried.is_empty() { "nothing (no agent keys and no key files)".to_owned() } else { tried.join(", ") }
            ),
        Error::OpenSsh { .. } => {
            "check that `ssh HOST` connects with the same options, or use the built-in client with --ssh builtin".into()
        }
        Error::Session { .. } => "run again; nothing was left running on the host".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_names_its_own_cause() {
        let signals = Error::Signals {
            source: std::io::Error::other("no signalfd"),
        };
        assert_eq!(signals.exit_status(), ExitStatus::Failed, "not a busy port (4)");
        assert!(!signals.to_string().contains("port"), "{signals}");
        let timeout = Error::Ssh(ssh::Error::ConnectTimeout {
            host: "h".into(),
            secs: 3,
        });
        assert_eq!(timeout.exit_status(), ExitStatus::Ssh);
        assert!(!timeout.hint().unwrap().contains("browser"));
        let usage = Error::Ssh(ssh::Error::Config(ConfigError::Ssh {
            host: "h".into(),
            message: "command-line: line 0: Bad configuration option: bogus".into(),
        }));
        assert_eq!(usage.exit_status(), ExitStatus::Usage);
    }

    #[test]
    fn container_errors_keep_their_statuses_and_hosts() {
        let unnamed = Error::from(ContainerError::NoneNamed);
        assert_eq!(unnamed.exit_status(), ExitStatus::Usage);
        assert_eq!(unnamed.to_string(), "no containers named");
        let several = Error::Several {
            what: "container",
            failed: Box::new(ContainerError::Name { name: "x;y".into() }.into()),
        };
        assert_eq!(several.exit_status(), ExitStatus::Usage);
        let aborted = Error::from(ContainerError::Aborted {
            host: "h".into(),
            nothing: "nothing was copied into the containers",
            why: "no space".into(),
        });
        assert_eq!(aborted.exit_status(), ExitStatus::Failed);
        assert_eq!(aborted.host(), Some("h"));
        assert!(aborted.hint().unwrap().contains("TMPDIR"));
    }
}
