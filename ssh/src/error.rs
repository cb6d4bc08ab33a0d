//! What can go wrong while reaching, verifying and logging in to a host.

use std::path::PathBuf;

use crate::destination::DestinationError;
use crate::names::NameError;
use crate::system_files::SystemFileError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Destination(#[from] DestinationError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot connect to {host} ({addr})")]
    Connect {
        host: String,
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot reach {host} through the jump host {hop}")]
    Jump {
        host: String,
        hop: String,
        #[source]
        source: TransportError,
    },
    #[error("timed out connecting to {host}: no SSH connection within {secs} s (ConnectTimeout)")]
    ConnectTimeout { host: String, secs: u64 },
    #[error(transparent)]
    HostKey(#[from] HostKeyError),
    #[error("{user}@{host} refused every authentication this tool tried")]
    Auth {
        host: String,
        user: String,
        tried: Vec<String>,
    },
    /// The user's OpenSSH could not connect or log in; its own last words.
    #[error("ssh could not connect to {host}: {message}")]
    OpenSsh { host: String, message: String },
    /// The SSH session itself failed (at any time, not only while connecting).
    #[error("SSH failure with {host}")]
    Session {
        host: String,
        #[source]
        source: TransportError,
    },
}

/// The transport's own words for a failure of the session or of one of its channels: russh's
/// error here. Opaque, so that callers depend on no transport; shown as the transport put it,
/// causes included.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct TransportError(Box<dyn std::error::Error + Send + Sync>);

impl TransportError {
    pub(crate) fn russh(source: russh::Error) -> Self {
        Self(Box::new(source))
    }
}

/// A pipe to a process that carries a command or a stream failed.
impl From<std::io::Error> for TransportError {
    fn from(source: std::io::Error) -> Self {
        Self(Box::new(source))
    }
}

impl Error {
    /// The SSH session with `host` failed, as `source` tells.
    pub fn session(host: impl Into<String>, source: impl Into<TransportError>) -> Self {
        Self::Session {
            host: host.into(),
            source: source.into(),
        }
    }

    /// The host the error is about, where it is about one.
    pub fn host(&self) -> Option<&str> {
        match self {
            Self::Destination(_) | Self::Config(_) => None,
            Self::Connect { host, .. }
            | Self::Jump { host, .. }
            | Self::ConnectTimeout { host, .. }
            | Self::Auth { host, .. }
            | Self::OpenSsh { host, .. }
            | Self::Session { host, .. } => Some(host),
            Self::HostKey(e) => Some(e.host()),
        }
    }

    /// A mistake on the command line rather than a failure to connect: a refused name, or
    /// an `-o` option ssh rejects (it reports those as "command-line: line 0").
    pub fn is_usage(&self) -> bool {
        match self {
            Self::Destination(_) | Self::Config(ConfigError::Name(_)) => true,
            Self::Config(ConfigError::Ssh { message, .. }) => message.starts_with("command-line:"),
            _ => false,
        }
    }
}

/// What is wrong with the configuration of a host, or with the names given for one.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("ssh could not read the configuration for `{host}`: {message}")]
    Ssh { host: String, message: String },
    #[error("`{value}` is not a valid value for {key}")]
    BadValue { key: &'static str, value: String },
    #[error("{}: {message}", file.display())]
    File { file: PathBuf, message: String },
    /// A host or user name OpenSSH refuses: a usage error, found before any config is read.
    #[error(transparent)]
    Name(#[from] NameError),
    /// A system-wide file (Windows: `%PROGRAMDATA%\ssh`) that others could have written.
    #[error(transparent)]
    SystemFile(#[from] SystemFileError),
}

/// Why a host key was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum HostKeyError {
    #[error(
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
         @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n\
         @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
         The {kind} host key of {host} is not the one recorded in {}:{line}.\n\
         Someone could be intercepting the connection, or the host's key was replaced.\n\
         Recorded: {old}\n\
         Offered:  {new}\n\
         Refusing to connect.", file.display()
    )]
    Changed {
        host: String,
        kind: &'static str,
        file: PathBuf,
        line: usize,
        old: String,
        new: String,
    },
    #[error("the {kind} host key of {host} is revoked ({}:{line}): {fingerprint}", file.display())]
    Revoked {
        host: String,
        kind: &'static str,
        file: PathBuf,
        line: usize,
        fingerprint: String,
    },
    #[error(
        "the authenticity of {host} can't be established ({kind} key {fingerprint}) and there is no terminal to ask"
    )]
    UnknownNoTerminal {
        host: String,
        kind: &'static str,
        fingerprint: String,
    },
    #[error("{host} is not in known_hosts ({kind} key {fingerprint}) and StrictHostKeyChecking is on")]
    UnknownStrict {
        host: String,
        kind: &'static str,
        fingerprint: String,
    },
    #[error(
        "{host} is not in known_hosts ({kind} key {fingerprint}) and UserKnownHostsFile is none: an unknown key is refused, as OpenSSH refuses it"
    )]
    UnknownNoFile {
        host: String,
        kind: &'static str,
        fingerprint: String,
    },
    #[error("host key of {host} not accepted")]
    Declined { host: String },
    #[error("could not record the host key of {host} in {}", file.display())]
    Record {
        host: String,
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl HostKeyError {
    pub fn host(&self) -> &str {
        match self {
            Self::Changed { host, .. }
            | Self::Revoked { host, .. }
            | Self::UnknownNoTerminal { host, .. }
            | Self::UnknownStrict { host, .. }
            | Self::UnknownNoFile { host, .. }
            | Self::Declined { host }
            | Self::Record { host, .. } => host,
        }
    }
}
