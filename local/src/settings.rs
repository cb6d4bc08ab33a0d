//! What the command line asks for, as typed settings: the one form the commands see. `cli`
//! turns its parse into these once; nothing here knows clap, so a command can be driven (and
//! tested) without a command line.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use codex_remote_login_remote::{CodexAt, Engine, Selection};
use codex_remote_login_shared::protocol::RelayTool;

/// The subcommands' names, for telling a mistyped one from a host (the sign-in, the default
/// command, has none). `cli`'s tests hold them to its definition.
pub const COMMANDS: [&str; 7] = ["status", "doctor", "containers", "keeper", "collect", "logout", "push"];

/// What every command takes: how to reach hosts, and where codex is on them.
#[derive(Debug, Clone)]
pub struct Settings {
    pub ssh: ssh::Settings,
    /// `--codex PATH` and `--codex-home DIR`, as the shim takes them.
    pub codex: CodexAt,
}

/// How `containers` copies a login.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Copying {
    /// Replace a container's login even where it is fresher.
    pub force: bool,
    /// The whole login, refresh token included (`--share-refresh-token`), not an access-only
    /// copy.
    pub share_refresh: bool,
    /// Take a fresher login back from a container before converting it, without asking.
    pub yes: bool,
}

/// One command, with what it was asked to act on.
#[derive(Debug, Clone)]
pub enum Request {
    /// The default command: sign in these hosts, then those of `hosts_file`.
    SignIn {
        hosts: Vec<String>,
        hosts_file: Option<PathBuf>,
        sign_in: SignInSettings,
    },
    Status {
        hosts: Vec<String>,
    },
    Doctor {
        host: String,
    },
    /// Copy a login into containers.
    Containers {
        on: Machine,
        want: Selection,
        how: Copying,
    },
    /// `containers --login-inside`: sign each container in on its own.
    LoginInside {
        host: String,
        names: Vec<String>,
        engine: Option<Engine>,
        sign_in: SignInSettings,
    },
    Collect {
        host: String,
        want: Selection,
        /// Replace the host's login without asking.
        yes: bool,
    },
    Logout {
        hosts: Vec<String>,
        /// The containers to sign out too on each host.
        want: Selection,
        /// Remove auth.json without revoking.
        local_only: bool,
        /// Revoke where other places hold the login without asking.
        yes: bool,
    },
    Push {
        host: String,
        /// The auth.json to copy (none: this machine's).
        from: Option<PathBuf>,
        force: bool,
    },
    /// Start or stop the keeper of a host's container copies.
    Keeper {
        host: String,
        action: KeeperAction,
    },
}

/// What `keeper` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeeperAction {
    /// Copy the login into these containers, then keep the copies fresh; `yes`: take a
    /// fresher login back from a container without asking.
    Start {
        want: Selection,
        yes: bool,
    },
    Stop,
}

impl Request {
    /// The word a person typed first, when it may be a mistyped subcommand: the sign-in's
    /// first host.
    pub fn first_host(&self) -> Option<&str> {
        match self {
            Self::SignIn { hosts, .. } => hosts.first().map(String::as_str),
            _ => None,
        }
    }
}

/// Whose containers, with whose login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Machine {
    /// A host's, reached over SSH.
    Host(String),
    /// This machine's (`--local`), no SSH involved.
    Local,
}

/// How the sign-in proves who the user is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The browser on this machine, its callback carried to the host (the default).
    Browser,
    /// A one-time code approved on the issuer's page (`codex login --device-auth`).
    Device,
    /// An API key, from OPENAI_API_KEY, stdin, or a prompt.
    ApiKey,
    /// An access token, from CODEX_ACCESS_TOKEN, stdin, or a prompt.
    AccessToken,
}

/// How a sign-in goes, for every host (and every container with `--login-inside`).
#[derive(Debug, Clone)]
pub struct SignInSettings {
    pub method: Method,
    /// The browser's final address pasted here; nothing bound locally.
    pub paste: bool,
    /// A CA bundle for the host's codex to trust.
    pub ca: Option<CaCert>,
    /// Leave hosts that are signed in already alone.
    pub skip_logged_in: bool,
    /// End a local `codex login` waiting on 1455 instead of moving to 1457.
    pub cancel_local: bool,
    /// The relay to prefer where the host forbids forwarding (none: the host's best).
    pub relay: Option<RelayTool>,
    pub browser: Browser,
    /// From the moment the host is reached (with several hosts: from its turn).
    pub timeout: Duration,
    /// An issuer host accepted besides auth.openai.com (test issuers).
    pub issuer: Option<String>,
    /// Containers on the host to copy the new login into afterwards.
    pub containers: Vec<String>,
}

/// The CA bundle the host's codex trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaCert {
    /// A PEM file on this machine, sent over the connection.
    Local(PathBuf),
    /// A file already on the host.
    OnHost(String),
}

/// What becomes of a sign-in URL (or a device code's page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Browser {
    /// The system's default browser (under WSL: the Windows one).
    Default,
    /// Printed only.
    PrintOnly,
    /// This program, given the URL as its one argument.
    Command(OsString),
}
