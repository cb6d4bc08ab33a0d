//! The SSH client of codex-remote-login, usable alone: name a host as OpenSSH would, resolve
//! its configuration, verify its key, authenticate, and hand back one connection that flows
//! run commands and open forwards on. It knows nothing of command lines or terminals: it takes plain
//! [`Settings`] and asks its questions through a [`Prompter`].
//!
//! Where to look:
//!
//! - [`destination`], [`names`]: `[user@]host[:port]`, `ssh://…`, and OpenSSH's name rules.
//! - [`config`]: resolves the options of one host ([`host_config`]) from `ssh -G` where an
//!   OpenSSH client exists, else from [`config_file`] (our own evaluator, with [`pattern`] for
//!   `Host`/`Match`); [`places`]: where OpenSSH looks on this platform.
//! - [`known_hosts`], [`host_key`]: OpenSSH's host-key rules, and the decision for one connection.
//! - [`auth`], [`agent`]: user authentication in OpenSSH's order; the agent on each platform.
//! - [`transport`], [`jump`], [`connection`]: TCP, ProxyCommand and jump hosts under one
//!   authenticated [`Connection`].
//! - [`exec`], [`forward`]: what flows do on a connection: run a command ([`Exec`]), open a
//!   byte stream to a port or through a relay ([`Forward`]). Their types name no transport's
//!   concepts, so that another transport (an OpenSSH process) could stand behind them.
//! - [`error`]: what can go wrong while connecting; [`TransportError`], the transport's own
//!   words when a session fails.
#![forbid(unsafe_code)]

pub mod agent;
pub mod auth;
pub mod command_line;
pub mod config;
pub mod config_file;
mod config_syntax;
pub mod connection;
pub mod destination;
pub mod error;
pub mod exec;
pub mod forward;
pub mod host_config;
pub mod host_key;
pub mod jump;
pub mod known_hosts;
pub mod names;
pub mod pattern;
pub mod places;
pub mod prompter;
pub mod settings;
pub mod system_files;
pub mod transport;

pub use connection::Connection;
pub use error::{ConfigError, Error, HostKeyError, TransportError};
pub use exec::{Exec, ExecError, Received};
pub use forward::{Forward, ForwardError, Forwarder};
pub use prompter::{Nobody, Prompter, Question};
pub use settings::Settings;
