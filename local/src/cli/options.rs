//! The options every command takes: how to reach the host (spelled as OpenSSH spells them),
//! where codex is on it, and how to show what happens.

use std::path::PathBuf;

use clap::{ArgAction, Args};

/// The help headings: clap keeps a heading for every option declared after it, so each group
/// names its own.
const CONNECTION_HEADING: &str = "Connection options";
const OUTPUT_HEADING: &str = "Output options";

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    #[command(flatten)]
    pub ssh: SshArgs,

    /// Path of codex on the host.
    ///
    /// Default: found on PATH, the login shell's PATH, or well-known install directories.
    #[arg(long, value_name = "PATH", global = true, hide_short_help = true)]
    pub codex: Option<String>,

    /// CODEX_HOME on the host.
    ///
    /// Default: the host's $CODEX_HOME, else ~/.codex.
    #[arg(long, value_name = "DIR", global = true, hide_short_help = true)]
    pub codex_home: Option<String>,

    /// Write JSON Lines events on stdout (their types: --help).
    #[arg(help_heading = OUTPUT_HEADING, long, global = true, long_help = crate::ui::help::JSON_LONG_HELP)]
    pub json: bool,

    /// More detail on stderr; repeat for more (-vvv). RUST_LOG overrides.
    #[arg(help_heading = OUTPUT_HEADING, short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(help_heading = OUTPUT_HEADING, short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Colour `error:`, `hint:` and FAIL: auto, always or never.
    ///
    /// auto colours `error:`, `warning:`, `hint:` and FAIL on a terminal unless NO_COLOR is
    /// set; always and never do as they say.
    #[arg(help_heading = OUTPUT_HEADING, long, value_name = "WHEN", value_enum, default_value_t = ColorWhen::Auto, hide_possible_values = true, global = true)]
    pub color: ColorWhen,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Whether to colour a stream that `is_terminal` or not.
    pub fn applies(self, is_terminal: bool) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

/// Connection options, spelled as OpenSSH spells them.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = CONNECTION_HEADING)]
pub struct SshArgs {
    /// Read this ssh config file instead of ~/.ssh/config.
    #[arg(short = 'F', value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,

    /// Identity (private key) file; may be repeated.
    #[arg(short = 'i', value_name = "FILE", global = true)]
    pub identity: Vec<PathBuf>,

    /// Port to connect to on the host.
    #[arg(short = 'p', value_name = "PORT", global = true, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// User to log in as on the host.
    #[arg(short = 'l', value_name = "USER", global = true)]
    pub login: Option<String>,

    /// Jump hosts to connect through, as ssh -J: [user@]host[:port][,...].
    #[arg(short = 'J', value_name = "DESTINATION", global = true)]
    pub jump: Option<String>,

    /// An ssh option in config-file syntax (repeatable).
    ///
    /// For example -o StrictHostKeyChecking=accept-new.
    #[arg(short = 'o', value_name = "KEY=VALUE", global = true)]
    pub options: Vec<String>,

    /// Accept and record the key of a host not yet in known_hosts.
    ///
    /// As StrictHostKeyChecking=accept-new: a changed key is still refused.
    #[arg(long, global = true)]
    pub accept_new: bool,

    /// Which SSH client connects: auto, openssh (your own ssh) or builtin.
    ///
    /// auto (the default): the built-in client, unless the host's ssh config needs something only OpenSSH
    /// does (GSSAPIAuthentication, PKCS11Provider, algorithms the built-in client lacks, ...)
    /// or a ControlMaster of yours is live for the host; -v says which, and why.
    #[arg(
        long = "ssh",
        value_name = "CLIENT",
        global = true,
        default_value = "auto",
        hide_short_help = true
    )]
    pub ssh: SshClient,
}

/// `--ssh`: which SSH client connects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SshClient {
    /// The built-in client, unless the host needs OpenSSH or a master of yours is live.
    #[default]
    Auto,
    /// Your own OpenSSH (`ssh`), with one master connection per sign-in.
    Openssh,
    /// The built-in client, whatever the config says.
    Builtin,
}

/// What `--generate` writes on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Generate {
    /// The man page (roff): `codex-remote-login --generate man > codex-remote-login.1`.
    Man,
    /// Bash completions: source the output from ~/.bashrc, or install it in
    /// /usr/share/bash-completion/completions/codex-remote-login.
    CompleteBash,
    /// Zsh completions: save as `_codex-remote-login` in a directory on $fpath.
    CompleteZsh,
    /// Fish completions: save in ~/.config/fish/completions/codex-remote-login.fish.
    CompleteFish,
    /// PowerShell completions: dot-source the output from $PROFILE.
    CompletePowershell,
}

impl SshArgs {
    /// The SSH layer's own settings, which know no command line.
    pub(super) fn settings(self) -> ssh::Settings {
        ssh::Settings {
            config: self.config,
            identity: self.identity,
            port: self.port,
            login: self.login,
            jump: self.jump,
            options: self.options,
            accept_new: self.accept_new,
            transport: match self.ssh {
                SshClient::Auto => ssh::Transport::Auto,
                SshClient::Openssh => ssh::Transport::OpenSsh,
                SshClient::Builtin => ssh::Transport::Builtin,
            },
        }
    }
}
