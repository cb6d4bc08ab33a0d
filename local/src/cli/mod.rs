//! Command-line surface: OpenSSH-style connection options, the sign-in (the default
//! command), and the subcommands. Connection and output options are global: they may come
//! before or after a subcommand's name. [`Cli::settings`] turns a parse into the typed
//! `settings` the commands take; no command sees these types.
//!
//! Help comes in two lengths. A doc comment's first paragraph is the one line `-h` shows for
//! that command or option, so that `-h` reads at a glance; the whole comment is what `--help`
//! and the man page show. A rarely needed option is left out of `-h` only (`hide_short_help`).

pub mod generate;
pub mod mistyped;

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};
use codex_remote_login_remote::{CodexAt, Engine, Running, Selection};
use codex_remote_login_shared::protocol::RelayTool;

use crate::settings::{Browser, CaCert, Machine, Method, Request, Settings, SignInSettings};

/// Sign the Codex CLI in on a remote machine over SSH, with the browser on this machine.
///
/// Runs `codex login` on HOST, opens the sign-in page here, and carries the browser's
/// callback to the remote codex over the SSH connection. The tokens are minted and stored on
/// HOST and never pass through this machine.
#[derive(Debug, Parser)]
#[command(
    name = "codex-remote-login",
    version = env!("CRL_VERSION"),
    max_term_width = 100,
    after_long_help = crate::ui::help::AFTER_LONG_HELP,
    subcommand_precedence_over_arg = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Hosts to sign in, as for ssh: [user@]host or ssh://[user@]host[:port].
    ///
    /// Names from ~/.ssh/config work as with ssh. Hosts are signed in one after another.
    #[arg(value_name = "HOST", required_unless_present = "hosts_file")]
    pub hosts: Vec<String>,

    /// More hosts, one per line, after those given.
    ///
    /// `#` comments and blank lines are ignored.
    #[arg(long, value_name = "FILE", help_heading = SIGN_IN_HEADING)]
    pub hosts_file: Option<PathBuf>,

    /// Write shell completions or the man page on stdout, and exit.
    ///
    /// Both are generated from this very definition, so they never drift from it.
    #[arg(long, value_name = "KIND", value_enum, exclusive = true, hide_short_help = true)]
    pub generate: Option<Generate>,

    #[command(flatten)]
    pub sign_in: SignInArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show where the Codex login stands on each host.
    ///
    /// The hosts are asked concurrently. A table on stdout, or JSON Lines with --json. Exits 0
    /// when every host is logged in, 6 when one is not.
    Status {
        /// Hosts as for ssh: [user@]host or ssh://[user@]host[:port].
        ///
        /// Names from the ssh config work as with ssh.
        #[arg(value_name = "HOST", required = true)]
        hosts: Vec<String>,
    },
    /// Check everything a sign-in on HOST needs, each with a fix.
    ///
    /// In order: local ports, SSH, host key, codex and its version, credential store, TCP
    /// forwarding, a relay tool, clocks, CA settings. Exits 0 when nothing failed.
    Doctor {
        /// A host as for ssh: [user@]host or ssh://[user@]host[:port].
        ///
        /// Names from the ssh config work as with ssh.
        #[arg(value_name = "HOST")]
        host: String,
    },
    /// Copy the host's login into Docker or Podman containers on the host.
    ///
    /// The host's auth.json is written atomically, as each container's user, into its
    /// CODEX_HOME or ~/.codex, the previous one kept as a backup, a fresher one left alone
    /// unless --force. The tokens go from the host's file into each container without passing
    /// through this machine.
    Containers {
        /// The host the containers run on, as for ssh (none with --local).
        #[arg(value_name = "HOST", required_unless_present = "local")]
        host: Option<String>,
        /// Container names or ids on the host.
        #[arg(value_name = "CONTAINER", required_unless_present_any = ["all_running", "label", "local"])]
        containers: Vec<String>,
        /// Containers on this machine, with this machine's login.
        ///
        /// Every name given is a container (no HOST), and no SSH is involved.
        #[arg(long)]
        local: bool,
        /// Sign each container in on its own instead of copying the host's login.
        ///
        /// `codex login` runs inside it and the browser's callback is relayed into it, one
        /// container after another, one approval each. Nothing is shared, so nothing logs
        /// another out. Sign-in options (--device-auth, --paste, --timeout...) go before or
        /// after it.
        #[arg(long, conflicts_with_all = ["local", "all_running", "label", "force"])]
        login_inside: bool,
        /// Also every running container on the host.
        #[arg(long)]
        all_running: bool,
        /// Also every running container with this label (KEY=VALUE).
        #[arg(long, value_name = "KEY=VALUE", value_parser = label)]
        label: Option<String>,
        #[arg(long, value_name = "ENGINE", value_parser = Engine::NAMES, hide_possible_values = true,
              help = engine_help(), long_help = engine_long_help("each container"))]
        engine: Option<String>,
        /// Replace a container's auth.json even when it was refreshed more recently.
        #[arg(long)]
        force: bool,
    },
    /// Bring the freshest login back from trusted containers to the host.
    ///
    /// For a copy that codex refreshed inside a container, which the host's copy can no
    /// longer use. Each container's auth.json is read as JSON; those of another user, account
    /// or API key, or no fresher than the host's, are passed over, and the freshest left
    /// replaces the host's (atomically, the old one kept as a backup) once you agree. A
    /// container can still hand back a refresh token of its own with the host's identity:
    /// collect only from containers you trust.
    Collect {
        /// A host as for ssh: [user@]host or ssh://[user@]host[:port].
        ///
        /// Names from the ssh config work as with ssh.
        #[arg(value_name = "HOST")]
        host: String,
        /// Container names or ids on the host.
        #[arg(value_name = "CONTAINER", required_unless_present_any = ["all_running", "label"])]
        containers: Vec<String>,
        /// Also every running container on the host.
        #[arg(long)]
        all_running: bool,
        /// Also every running container with this label (KEY=VALUE).
        #[arg(long, value_name = "KEY=VALUE", value_parser = label)]
        label: Option<String>,
        #[arg(long, value_name = "ENGINE", value_parser = Engine::NAMES, hide_possible_values = true,
              help = engine_help(), long_help = engine_long_help("each container"))]
        engine: Option<String>,
        /// Replace the host's login without asking (needed with no terminal).
        ///
        /// Without a terminal to ask on, collect replaces nothing unless --yes is given.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Sign each host out with `codex logout`, which revokes the login.
    ///
    /// The hosts are signed out concurrently. codex 0.169.0 revokes the login's token at the
    /// issuer (POST /oauth/revoke) and then deletes auth.json, so every copy of that login
    /// stops working; with no login it revokes nothing. The other places on the host holding
    /// the same login are named first. A table on stdout, or JSON Lines with --json. No backup
    /// is kept. Exits 0 when every place is signed out or held no login.
    Logout {
        /// Hosts as for ssh: [user@]host or ssh://[user@]host[:port].
        ///
        /// Names from the ssh config work as with ssh.
        #[arg(value_name = "HOST", required = true)]
        hosts: Vec<String>,
        /// Also sign out this container on each host (repeatable).
        ///
        /// As the container's user, with the codex in it (or, with --local-only, a shell in
        /// it). It must be running.
        #[arg(long = "container", value_name = "CONTAINER")]
        containers: Vec<String>,
        /// Remove auth.json without revoking: the other copies keep working.
        ///
        /// The login's auth.json is removed through no link, under codex's lock, and nothing
        /// is revoked. Needs no codex on the host.
        #[arg(long)]
        local_only: bool,
        #[arg(long, value_name = "ENGINE", value_parser = Engine::NAMES, hide_possible_values = true,
              help = engine_help(), long_help = engine_long_help("each --container"))]
        engine: Option<String>,
        /// Revoke even where other places hold the same login, without asking.
        ///
        /// Before anything is revoked, every other place holding the login is named: copies
        /// in containers on the host, and this machine's own auth.json. On a terminal you are
        /// asked; without one, nothing is signed out unless --yes is given.
        #[arg(long, short = 'y', conflicts_with = "local_only")]
        yes: bool,
    },
    /// Copy this machine's auth.json to a host (signing in there is better).
    ///
    /// The documented "copy your auth cache" fallback, done atomically with a backup. Signing
    /// in on the host is better: two copies of one login log each other out when either
    /// refreshes.
    Push {
        /// A host as for ssh: [user@]host or ssh://[user@]host[:port].
        ///
        /// Names from the ssh config work as with ssh.
        #[arg(value_name = "HOST")]
        host: String,
        /// The auth.json to copy (default: codex's own on this machine).
        ///
        /// That is $CODEX_HOME/auth.json, else ~/.codex/auth.json.
        #[arg(long, value_name = "FILE")]
        from: Option<PathBuf>,
        /// Replace the host's auth.json even when it was refreshed more recently.
        #[arg(long)]
        force: bool,
    },
}

/// `--engine`'s line in `-h`. The names come from [`Engine::NAMES`], so that a new engine is
/// offered with no edit here; clap's own `[possible values: ...]` would wrap the line.
fn engine_help() -> String {
    format!(
        "{} (default: whichever knows the container)",
        Engine::NAMES.join(" or ")
    )
}

/// `--engine`'s `--help`, for `which` containers.
fn engine_long_help(which: &str) -> String {
    format!(
        "The engine to use: {} (default: whichever of them knows {which}).",
        Engine::NAMES.join(" or ")
    )
}

/// `--label KEY=VALUE`: a label filter as the engines take it, with a key.
fn label(text: &str) -> Result<String, String> {
    match text.split_once('=') {
        Some((key, _)) if !key.is_empty() => Ok(text.to_owned()),
        _ => Err(format!("expected KEY=VALUE, as in --label app=web (got {text:?})")),
    }
}

/// The help headings: clap keeps a heading for every option declared after it, so each group
/// names its own.
const SIGN_IN_HEADING: &str = "Sign-in options (the sign-in, and containers --login-inside)";
const CONNECTION_HEADING: &str = "Connection options";
const OUTPUT_HEADING: &str = "Output options";

/// The sign-in's own options. Global, so that they may follow the subcommand they apply to
/// (`containers HOST CTR --login-inside --timeout 100`), as people write them.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = SIGN_IN_HEADING)]
pub struct SignInArgs {
    /// Sign in with a one-time device code instead of the callback.
    ///
    /// The host's codex asks the issuer for a one-time code, shown here with its verification
    /// page (opened in the browser). Needs device codes enabled for the workspace.
    #[arg(long, conflicts_with_all = ["with_api_key", "with_access_token"], global = true)]
    pub device_auth: bool,

    /// Sign in with an API key: OPENAI_API_KEY, stdin, or a prompt.
    ///
    /// Instead of the browser: the key is taken from OPENAI_API_KEY, else from stdin when it
    /// is not a terminal, else asked for with echo off. It reaches the host's codex on the SSH
    /// channel's stdin, never in a command line.
    #[arg(long, conflicts_with = "with_access_token", global = true)]
    pub with_api_key: bool,

    /// Sign in with an access token: CODEX_ACCESS_TOKEN, stdin, or a prompt.
    ///
    /// As --with-api-key: from CODEX_ACCESS_TOKEN, else stdin when it is not a terminal, else
    /// asked for with echo off; it reaches the host's codex on the SSH channel's stdin.
    #[arg(long, global = true, hide_short_help = true)]
    pub with_access_token: bool,

    /// A local PEM CA bundle for the host's codex to trust.
    ///
    /// For corporate TLS proxies: the bundle on this machine is sent over the connection, kept
    /// private (0600) on the host for this sign-in only, and removed afterwards. For a bundle
    /// already on the host: --remote-ca-cert.
    #[arg(long, value_name = "FILE", conflicts_with = "remote_ca_cert", global = true)]
    pub ca_cert: Option<PathBuf>,

    /// A PEM CA bundle already on the host for its codex to trust.
    ///
    /// codex is given the path as CODEX_CA_CERTIFICATE.
    #[arg(long, value_name = "PATH", global = true, hide_short_help = true)]
    pub remote_ca_cert: Option<String>,

    /// The browser is elsewhere: paste the address it lands on.
    ///
    /// For a browser on another device, or when no local port can be had: print the URL (and a
    /// QR code on a large enough terminal), then paste the address the browser lands on after
    /// the approval. Nothing is bound locally. Read from stdin when it is not a terminal.
    #[arg(long, conflicts_with_all = ["device_auth", "with_api_key", "with_access_token"], global = true)]
    pub paste: bool,

    /// Then copy the login into this container on the host (repeatable).
    ///
    /// After signing a host in, its login is copied into the container as the `containers`
    /// command does.
    #[arg(long = "container", value_name = "CONTAINER")]
    pub containers: Vec<String>,

    /// Leave hosts already signed in alone (listed as skipped).
    ///
    /// A host is signed in already when its codex reports so.
    #[arg(long, global = true)]
    pub skip_logged_in: bool,

    /// End a local `codex login` waiting on port 1455 instead of using 1457.
    ///
    /// It is ended as codex itself would end it, with GET /cancel. Without this option you
    /// are asked on a terminal; with no terminal, or a no, this sign-in moves to port 1457.
    #[arg(long, global = true, hide_short_help = true)]
    pub cancel_local: bool,

    /// Where TCP forwarding is forbidden, relay with this tool.
    ///
    /// Where the host forbids it, the callback is relayed with this tool instead of the first
    /// one found on the host (nc, python3, perl, bash).
    #[arg(long, value_name = "TOOL", value_parser = relay_tool(), global = true, hide_short_help = true)]
    pub relay: Option<RelayTool>,

    /// Print the sign-in URL instead of opening a browser.
    #[arg(long, global = true)]
    pub no_browser: bool,

    /// Open the sign-in URL with PROGRAM, not the default browser.
    ///
    /// PROGRAM is given the URL as its one argument, with no shell between. The default is
    /// the system's browser (under WSL: the Windows browser).
    #[arg(long, value_name = "PROGRAM", global = true, conflicts_with = "no_browser")]
    pub browser_command: Option<std::ffi::OsString>,

    /// Give up on a host's sign-in after SECS seconds.
    ///
    /// The seconds count from when the host was reached (with several hosts: from when its
    /// turn came). Connecting is bounded by the ssh option ConnectTimeout (default 30 s).
    #[arg(long, value_name = "SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..), global = true)]
    pub timeout: u64,

    /// Also accept this issuer host in the authorize URL besides auth.openai.com (for test
    /// issuers; the URL must still be https).
    #[arg(long, value_name = "HOST", hide = true, global = true)]
    pub issuer: Option<String>,
}

impl SignInArgs {
    fn method(&self) -> Method {
        match (self.device_auth, self.with_api_key, self.with_access_token) {
            (true, _, _) => Method::Device,
            (_, true, _) => Method::ApiKey,
            (_, _, true) => Method::AccessToken,
            _ => Method::Browser,
        }
    }

    /// The sign-in's settings; clap has ruled out the combinations that conflict.
    fn settings(self) -> SignInSettings {
        let method = self.method();
        let ca = match (self.ca_cert, self.remote_ca_cert) {
            (Some(file), _) => Some(CaCert::Local(file)),
            (None, Some(path)) => Some(CaCert::OnHost(path)),
            (None, None) => None,
        };
        let browser = match (self.no_browser, self.browser_command) {
            (true, _) => Browser::PrintOnly,
            (false, Some(program)) => Browser::Command(program),
            (false, None) => Browser::Default,
        };
        SignInSettings {
            method,
            paste: self.paste,
            ca,
            skip_logged_in: self.skip_logged_in,
            cancel_local: self.cancel_local,
            relay: self.relay,
            browser,
            timeout: Duration::from_secs(self.timeout),
            issuer: self.issuer,
            containers: self.containers,
        }
    }
}

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
    fn settings(self) -> ssh::Settings {
        ssh::Settings {
            config: self.config,
            identity: self.identity,
            port: self.port,
            login: self.login,
            jump: self.jump,
            options: self.options,
            accept_new: self.accept_new,
        }
    }
}

impl Cli {
    /// What this command line asks for, typed: the one conversion from clap's types, and all
    /// that the commands see of the command line.
    pub fn settings(self) -> (Settings, Request) {
        let settings = Settings {
            ssh: self.common.ssh.settings(),
            codex: CodexAt {
                path: self.common.codex,
                home: self.common.codex_home,
            },
        };
        let sign_in = self.sign_in;
        let request = match self.command {
            None => Request::SignIn {
                hosts: self.hosts,
                hosts_file: self.hosts_file,
                sign_in: sign_in.settings(),
            },
            Some(Command::Status { hosts }) => Request::Status { hosts },
            Some(Command::Doctor { host }) => Request::Doctor { host },
            Some(Command::Containers {
                host,
                containers,
                login_inside: true,
                engine,
                ..
            }) => Request::LoginInside {
                // --login-inside rules out --local: HOST is there.
                host: host.unwrap_or_default(),
                names: containers,
                engine: engine.as_deref().and_then(Engine::parse),
                sign_in: sign_in.settings(),
            },
            Some(Command::Containers {
                host,
                containers,
                local,
                all_running,
                label,
                engine,
                force,
                login_inside: false,
            }) => {
                let (on, names) = match host {
                    // With --local there is no HOST: the first name is a container too.
                    Some(first) if local => (Machine::Local, [vec![first], containers].concat()),
                    None => (Machine::Local, containers),
                    Some(host) => (Machine::Host(host), containers),
                };
                Request::Containers {
                    on,
                    want: wanted(names, all_running, label, engine),
                    force,
                }
            }
            Some(Command::Collect {
                host,
                containers,
                all_running,
                label,
                engine,
                yes,
            }) => Request::Collect {
                host,
                want: wanted(containers, all_running, label, engine),
                yes,
            },
            Some(Command::Logout {
                hosts,
                containers,
                local_only,
                engine,
                yes,
            }) => Request::Logout {
                hosts,
                want: wanted(containers, false, None, engine),
                local_only,
                yes,
            },
            Some(Command::Push { host, from, force }) => Request::Push { host, from, force },
        };
        (settings, request)
    }
}

/// Which containers: the names, `--all-running` or `--label`, and `--engine`.
fn wanted(names: Vec<String>, all_running: bool, label: Option<String>, engine: Option<String>) -> Selection {
    Selection {
        names,
        running: if all_running {
            Some(Running::All)
        } else {
            label.map(Running::Labelled)
        },
        engine: engine.as_deref().and_then(Engine::parse),
    }
}

/// `--relay`'s values: the relay tools the shim knows, named as it names them (and listed
/// so in `--help` and the completions).
fn relay_tool() -> impl clap::builder::TypedValueParser<Value = RelayTool> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(RelayTool::ALL.map(RelayTool::as_str))
        .map(|name| RelayTool::parse(&name).expect("one of RelayTool::ALL"))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn connection_options_go_before_or_after_a_subcommand() {
        for args in [["crl", "-F", "cfg", "status", "h"], ["crl", "status", "-F", "cfg", "h"]] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert_eq!(cli.common.ssh.config.as_deref(), Some(std::path::Path::new("cfg")));
            assert!(matches!(cli.command, Some(Command::Status { ref hosts }) if hosts == &["h"]));
        }
    }

    #[test]
    fn mistaken_values_are_usage_errors_naming_the_value() {
        for (args, named) in [
            (&["crl", "-p", "0", "h"][..], "0"),
            (&["crl", "--timeout", "0", "h"], "0"),
            (&["crl", "containers", "h", "--label", "novalue"], "novalue"),
        ] {
            let err = Cli::try_parse_from(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}");
            assert!(err.to_string().contains(named), "{args:?}: {err}");
        }
        assert!(Cli::try_parse_from(["crl", "containers", "h", "--label", "app=web"]).is_ok());
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// An option left out of `-h` shows its `help` nowhere else: clap_mangen takes an option's
    /// long help, or else its short one unless that is hidden, so with one paragraph of doc
    /// it would stand in `--help` but bare in the man page.
    #[test]
    fn options_left_out_of_short_help_keep_a_long_help_for_the_man_page() {
        let cli = Cli::command();
        for command in std::iter::once(&cli).chain(cli.get_subcommands()) {
            for arg in command.get_arguments() {
                if arg.is_hide_short_help_set() && !arg.is_hide_set() {
                    assert!(
                        arg.get_long_help().is_some(),
                        "{} {}: a doc comment of a one-line summary, a blank line, and the rest",
                        command.get_name(),
                        arg.get_id()
                    );
                }
            }
        }
    }

    #[test]
    fn sign_in_options_go_before_or_after_the_subcommand() {
        let after = [
            "crl",
            "containers",
            "h",
            "web",
            "--login-inside",
            "--timeout",
            "100",
            "--device-auth",
        ];
        let before = [
            "crl",
            "--timeout",
            "100",
            "--device-auth",
            "containers",
            "h",
            "web",
            "--login-inside",
        ];
        for args in [after, before] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert_eq!(cli.sign_in.timeout, 100, "{args:?}");
            assert_eq!(cli.sign_in.method(), Method::Device, "{args:?}");
        }
    }

    #[test]
    fn the_settings_know_the_subcommands_by_name() {
        let names: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_owned())
            .filter(|name| name != "help")
            .collect();
        assert_eq!(names, crate::settings::COMMANDS);
    }

    #[test]
    fn the_settings_say_it_in_types() {
        let settings = |args: &[&str]| Cli::try_parse_from(args).unwrap().settings();
        let (common, request) = settings(&[
            "crl",
            "--codex",
            "/c",
            "--remote-ca-cert",
            "/ca.pem",
            "--no-browser",
            "h",
        ]);
        assert_eq!(common.codex.path.as_deref(), Some("/c"));
        let Request::SignIn { sign_in, .. } = request else {
            panic!("{request:?}")
        };
        assert_eq!(sign_in.ca, Some(CaCert::OnHost("/ca.pem".into())));
        assert_eq!(sign_in.browser, Browser::PrintOnly);
        assert_eq!(sign_in.timeout, Duration::from_secs(600));
        let (_, request) = settings(&["crl", "containers", "--local", "a", "b", "--engine", "podman"]);
        let Request::Containers { on, want, .. } = request else {
            panic!("{request:?}")
        };
        assert_eq!(on, Machine::Local);
        assert_eq!(want.names, ["a", "b"], "with --local the first name is a container");
        assert_eq!(want.engine, Some(Engine::Podman));
        let (_, request) = settings(&["crl", "collect", "h", "--all-running", "--label", "k=v"]);
        let Request::Collect { want, .. } = request else {
            panic!("{request:?}")
        };
        assert_eq!(want.running, Some(Running::All));
    }

    #[test]
    fn sign_in_is_the_default_command() {
        let cli = Cli::try_parse_from(["crl", "-p", "2222", "dev", "--no-browser"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.hosts, ["dev"]);
        assert_eq!(cli.common.ssh.port, Some(2222));
        assert_eq!(cli.sign_in.method(), Method::Browser);
        assert!(Cli::try_parse_from(["crl"]).is_err(), "a host is required");
        assert!(Cli::try_parse_from(["crl", "dev", "--with-api-key", "--with-access-token"]).is_err());
    }
}
