//! The SSH client of codex-remote-login, usable alone: name a host as OpenSSH would, resolve
//! its configuration, verify its key, authenticate, and hand back one connection that flows
//! run commands and open forwards on. It knows nothing of command lines or terminals: it
//! takes plain [`Settings`] and asks its questions through a [`Prompter`].
//!
//! Start at [`Connection::open`]; a connection runs commands ([`Exec`]) and opens byte
//! streams ([`Forward`]), whose types name no transport's concepts: the built-in client
//! (russh) or the user's own OpenSSH stands behind them ([`settings::Transport`]). The map of the modules is the repository's
//! ARCHITECTURE.md.
#![forbid(unsafe_code)]

pub mod agent;
mod algorithms;
#[cfg(unix)]
pub mod askpass;
pub mod auth;
mod choice;
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
#[cfg(unix)]
mod openssh;
pub mod pattern;
pub mod places;
#[cfg(unix)]
mod process;
pub mod prompter;
pub mod settings;
pub mod system_files;
pub mod transport;

pub use connection::Connection;
pub use error::{ConfigError, Error, HostKeyError, TransportError};
pub use exec::{Exec, ExecError, Received};
pub use forward::{Forward, ForwardError, Forwarder};
pub use prompter::{Nobody, Prompter, Question};
pub use settings::{Settings, Transport};
