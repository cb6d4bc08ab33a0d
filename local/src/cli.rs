//! Command-line surface: OpenSSH-style connection options plus the sign-in's own.

use std::path::PathBuf;

use clap::{ArgAction, Parser};

/// Sign the Codex CLI in on a remote machine over SSH, with the browser on this machine.
///
/// Runs `codex login` on HOST, opens the sign-in page here, and carries the browser's
/// callback to the remote codex over the SSH connection. The tokens are minted and stored on
/// HOST and never pass through this machine.
#[derive(Debug, Parser)]
#[command(name = "codex-remote-login", version, max_term_width = 100)]
pub struct Cli {
    /// The host to sign in: [user@]host, or ssh://[user@]host[:port]. Names from
    /// ~/.ssh/config work as with ssh.
    #[arg(value_name = "HOST", required = true)]
    pub hosts: Vec<String>,

    #[command(flatten)]
    pub ssh: SshArgs,

    /// If a local `codex login` is waiting on port 1455, end it (as codex itself would, with
    /// GET /cancel) instead of moving this sign-in to port 1457.
    #[arg(long)]
    pub cancel_local: bool,

    /// Where the host forbids TCP forwarding, relay with this tool instead of the first one
    /// found (nc, python3, perl, bash).
    #[arg(long, value_name = "TOOL", value_parser = ["nc", "python3", "perl", "bash"])]
    pub relay: Option<String>,

    /// Print the sign-in URL instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,

    /// Give up when the sign-in has not finished after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub timeout: u64,

    /// Path of codex on the host (default: found on PATH, the login shell's PATH, or
    /// well-known install directories).
    #[arg(long, value_name = "PATH")]
    pub codex: Option<String>,

    /// CODEX_HOME on the host (default: the host's $CODEX_HOME, else ~/.codex).
    #[arg(long, value_name = "DIR")]
    pub codex_home: Option<String>,

    /// Also accept this issuer host in the authorize URL besides auth.openai.com (for test
    /// issuers; the URL must still be https).
    #[arg(long, value_name = "HOST", hide = true)]
    pub issuer: Option<String>,

    /// Write JSON Lines events on stdout (see the README for their types).
    #[arg(long)]
    pub json: bool,

    /// More detail on stderr; repeat for more (-vvv). RUST_LOG overrides.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

/// Connection options, spelled as OpenSSH spells them.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SshArgs {
    /// Read this ssh config file instead of ~/.ssh/config.
    #[arg(short = 'F', value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Identity (private key) file; may be repeated.
    #[arg(short = 'i', value_name = "FILE")]
    pub identity: Vec<PathBuf>,

    /// Port to connect to on the host.
    #[arg(short = 'p', value_name = "PORT")]
    pub port: Option<u16>,

    /// User to log in as on the host.
    #[arg(short = 'l', value_name = "USER")]
    pub login: Option<String>,

    /// An ssh option in config-file syntax, e.g. -o StrictHostKeyChecking=accept-new.
    #[arg(short = 'o', value_name = "KEY=VALUE")]
    pub options: Vec<String>,

    /// Accept and record the host key of a host not yet in known_hosts (as
    /// StrictHostKeyChecking=accept-new). A changed key is still refused.
    #[arg(long)]
    pub accept_new: bool,
}
