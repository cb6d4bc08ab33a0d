//! Command-line surface: OpenSSH-style connection options, the sign-in (the default
//! command), and the subcommands. Connection and output options are global: they may come
//! before or after a subcommand's name. [`Cli::settings`] turns a parse into the typed
//! `settings` the commands take; no command sees these types.
//!
//! Help comes in two lengths. A doc comment's first paragraph is the one line `-h` shows for
//! that command or option, so that `-h` reads at a glance; the whole comment is what `--help`
//! and the man page show. A rarely needed option is left out of `-h` only (`hide_short_help`).

pub mod generate;
mod keeper;
pub mod mistyped;
mod options;
mod sign_in;
mod values;

pub use options::{CommonArgs, Generate};
pub use sign_in::SignInArgs;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use codex_remote_login_remote::{CodexAt, Engine};
use values::{engine_help, engine_long_help, label, wanted};

use crate::settings::{Copying, Machine, Request, Settings};

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
    #[arg(long, value_name = "FILE", help_heading = sign_in::HEADING)]
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
    /// forwarding, a relay tool, clocks, CA settings, copies of the login in containers. Exits 0
    /// when nothing failed.
    Doctor {
        /// A host as for ssh: [user@]host or ssh://[user@]host[:port].
        ///
        /// Names from the ssh config work as with ssh.
        #[arg(value_name = "HOST")]
        host: String,
    },
    /// Copy the host's login into Docker or Podman containers on the host.
    ///
    /// Each container gets an access-only copy: the host's auth.json without its refresh
    /// token, so that no container can rotate it and log the host or another container out.
    /// It is written atomically, as the container's user, into its CODEX_HOME or ~/.codex, the
    /// previous one kept as a backup. A copy lasts as long as its access token. A container
    /// whose copy codex refreshed holds the live login: it is brought back to the host first
    /// (asking, or with --yes), then replaced by a copy. The tokens go from the host's file
    /// into each container without passing through this machine.
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
        /// Replace a container's auth.json even where it is fresher.
        ///
        /// Fresher: refreshed more recently than the host's login.
        #[arg(long)]
        force: bool,
        /// Copy the whole login, refresh token included (not recommended).
        ///
        /// By default each container gets an access-only copy: everything but the refresh
        /// token, so that no container can rotate it and log the host or the others out. It
        /// lasts as long as its access token; `keeper start` keeps it fresh. With this option
        /// every copy can refresh on its own, and the first that does logs all the others
        /// out ("refresh token was already used").
        #[arg(long, conflicts_with = "login_inside")]
        share_refresh_token: bool,
        /// Take a fresher login back from a container without asking.
        ///
        /// A container whose copy codex refreshed holds the live login: it is brought back
        /// to the host first, then replaced by a copy.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Keep the copies in a host's containers fresh: `keeper start`, `keeper stop`.
    ///
    /// An access-only copy lasts as long as its access token. The keeper, a small shell loop
    /// left running on the host as you, has the host's codex refresh the login in time and
    /// puts each new copy into the containers. `status HOST` shows it.
    Keeper {
        #[command(subcommand)]
        action: keeper::KeeperCommand,
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
                share_refresh_token,
                yes,
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
                    how: Copying {
                        force,
                        share_refresh: share_refresh_token,
                        yes,
                    },
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
            Some(Command::Keeper { action }) => {
                let (host, action) = action.action();
                Request::Keeper { host, action }
            }
        };
        (settings, request)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::CommandFactory;

    use super::*;
    use crate::settings::{Browser, CaCert, Method};
    use codex_remote_login_remote::Running;

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
