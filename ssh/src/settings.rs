//! What the user said about connecting, beyond the host argument: OpenSSH's `-F -i -p -l -J -o`
//! and `--accept-new`. The command line fills it; nothing here knows how.

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
}
