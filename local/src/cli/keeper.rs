//! `keeper start` and `keeper stop`: clap's form of the keeper's two commands.

use clap::Subcommand;
use codex_remote_login_remote::Engine;

use super::values::{engine_help, engine_long_help, label, wanted};
use crate::settings::KeeperAction;

#[derive(Debug, Subcommand)]
pub enum KeeperCommand {
    /// Copy the host's login into containers, then keep the copies fresh on the host.
    ///
    /// First as `containers` does (access-only copies, a fresher login brought back first).
    /// Then a small shell loop stays on HOST, running as you: before the login's access token
    /// has lived half its life it has the host's own codex refresh the login (`codex
    /// app-server`, under codex's lock), and it writes the new copy into each container,
    /// recreated ones included, on its next round. It lives in ~/.codex-remote-login/keeper
    /// and nowhere else, needs nothing installed as root, outlives the SSH session, and comes
    /// back after a reboot through a lingering systemd user manager, else your crontab, when
    /// the host has one. A second start replaces the first.
    Start {
        /// A host as for ssh: [user@]host or ssh://[user@]host[:port].
        #[arg(value_name = "HOST")]
        host: String,
        /// Container names or ids on the host.
        #[arg(value_name = "CONTAINER", required_unless_present_any = ["all_running", "label"])]
        containers: Vec<String>,
        /// Also every running container on the host, as each round finds them.
        #[arg(long)]
        all_running: bool,
        /// Also every running container with this label (KEY=VALUE), as each round finds them.
        #[arg(long, value_name = "KEY=VALUE", value_parser = label)]
        label: Option<String>,
        #[arg(long, value_name = "ENGINE", value_parser = Engine::NAMES, hide_possible_values = true,
              help = engine_help(), long_help = engine_long_help("each container"))]
        engine: Option<String>,
        /// Take a fresher login back from a container without asking.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Stop the keeper on HOST and remove everything of it there.
    ///
    /// The copies stay in the containers, and last as long as their access tokens.
    Stop {
        /// A host as for ssh: [user@]host or ssh://[user@]host[:port].
        #[arg(value_name = "HOST")]
        host: String,
    },
}

impl KeeperCommand {
    /// The host, and what to do there.
    pub fn action(self) -> (String, KeeperAction) {
        match self {
            Self::Start {
                host,
                containers,
                all_running,
                label,
                engine,
                yes,
            } => (
                host,
                KeeperAction::Start {
                    want: wanted(containers, all_running, label, engine),
                    yes,
                },
            ),
            Self::Stop { host } => (host, KeeperAction::Stop),
        }
    }
}
