//! What the user said about connecting, beyond the host argument: OpenSSH's `-F -i -p -l -J -o`,
//! `--accept-new` and which SSH client to use. The command line fills it; nothing here knows how.

use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `-F`: read this ssh config file instead of `~/.ssh/config`.
    pub config: Option<PathBuf>,
    /// `-i`: identity files, in order.
    pub identity: Vec<PathBuf>,
    /// `-p`
    pub port: Option<u16>,
    /// `-l`
    pub login: Option<String>,
    /// `-J`: jump hosts, `[user@]host[:port][,...]`.
    pub jump: Option<String>,
    /// `-o KEY=VALUE`, in order.
    pub options: Vec<String>,
    /// Record unknown host keys (StrictHostKeyChecking=accept-new unless it is off).
    pub accept_new: bool,
    /// Which SSH client carries the connection.
    pub transport: Transport,
}

/// Which SSH client carries a connection: the built-in one (russh), or the user's own OpenSSH
/// (`ssh`) running as a process behind the same [`crate::Exec`] and [`crate::Forward`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Transport {
    /// The built-in client, unless the host's configuration needs OpenSSH or a live
    /// ControlMaster of the user's is there to ride.
    #[default]
    Auto,
    /// The user's OpenSSH.
    OpenSsh,
    /// The built-in client, whatever the configuration says.
    Builtin,
}
