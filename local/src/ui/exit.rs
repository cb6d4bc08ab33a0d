//! How the process ends: the statuses the README and `--help` document.

/// One documented exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    /// The command ran and something failed (a host, a container, a check).
    Failed,
    /// A mistake on the command line.
    Usage,
    /// The host could not be reached, verified or logged in to.
    Ssh,
    /// The local callback port is taken.
    PortBusy,
    /// codex is not on the host.
    CodexMissing,
    /// `status`: a host is not logged in.
    NotLoggedIn,
    /// `--timeout` passed.
    Timeout,
    /// Ctrl-C (SIGINT), or Ctrl-Break on Windows.
    Interrupted,
    /// SIGTERM.
    Terminated,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Failed => 1,
            Self::Usage => 2,
            Self::Ssh => 3,
            Self::PortBusy => 4,
            Self::CodexMissing => 5,
            Self::NotLoggedIn => 6,
            Self::Timeout => 124,
            Self::Interrupted => 130,
            Self::Terminated => 143,
        }
    }

    /// Success when nothing failed, else `Failed`.
    pub fn failed_if(failed: bool) -> Self {
        if failed { Self::Failed } else { Self::Success }
    }
}
