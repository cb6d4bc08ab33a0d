//! codex-remote-login: sign the Codex CLI in on remote machines over SSH, with the browser on
//! the user's machine. `main` parses the command line and calls [`run`].
//!
//! The modules stand in layers, each importing only the layers below it (`tests/layers.rs`
//! holds the table and checks it). Bottom first:
//!
//! - **parts**: `authorize` (codex's sign-in URL and device-code output), `codex_failure`
//!   (what codex's last words say went wrong), `events` (what `--json` prints), `exit` (the
//!   documented exit statuses), `help`, `listener` (an accept loop that outlives floods),
//!   `settings` (what the command line asks for, typed, knowing no clap), `terminal`
//!   (questions on `/dev/tty`, or the Windows console), `netstat` (a port's holder on
//!   Windows), `windows_host` (telling a Windows host by its shell's complaint).
//! - **edges**: `cli` (clap; turned into `settings` once, in [`run`], and read by no command:
//!   only `generate` besides), `ui` (progress and lines on stderr), `browser`, `tunnel` (a
//!   byte stream to the host's loopback). The SSH client is its own crate, below all of these.
//! - **services**: `callback` (the local proxy for the browser's callback), `paste`, `ports`
//!   (the callback port and who holds it), `prompts` (the SSH layer's questions), `shim` (the
//!   remote shim's events), `generate` (man page and completions), `container_error` (what
//!   goes wrong with containers).
//! - **errors**: `error`, the application's error, wrapping the SSH, port, shim and
//!   container errors.
//! - **steps**: `connect`, `report` (an error for people and for `--json`), `secret`,
//!   `usage` (mistyped commands), `ca_bundle`.
//! - **commands**: `containers`, `doctor`, `push`, `status`.
//! - **flows**: `signin` (one host's sign-in), `collect`, `logout` (hosts and their containers).
//! - **many hosts**: `many`; and above it `login_inside` (each container signed in on its own).
#![forbid(unsafe_code)]

mod authorize;
mod browser;
mod ca_bundle;
mod callback;
mod cli;
mod codex_failure;
mod collect;
mod connect;
mod container_error;
mod containers;
mod doctor;
mod error;
mod events;
mod exit;
mod generate;
mod help;
mod listener;
mod local_login;
mod login_inside;
mod logout;
mod many;
#[cfg(any(windows, test))]
mod netstat;
mod paste;
mod ports;
mod prompts;
mod push;
mod report;
mod secret;
mod settings;
mod shim;
mod signin;

mod status;
mod terminal;
mod tunnel;
mod ui;
mod usage;
mod windows_host;

use codex_remote_login_ssh as ssh;

use std::sync::Arc;

use settings::{CaCert, Machine, Request, Settings, SignInSettings};

pub use cli::{Cli, Generate};
pub use error::Error;
pub use exit::ExitStatus;
pub use generate::write as generate;
pub use report::{report, usage_error_line};
pub use ui::{Colors, Ui, Verbosity};

/// The parsers of what the far side sends (codex's output, the browser's requests, a pasted
/// address), reached by the fuzz checks in `tests/checks/` and `fuzz/`.
pub mod parsers {
    pub use crate::authorize::{AuthorizeUrl, PORTS, device_code, device_link, is_candidate, strip_ansi};
    pub use crate::callback::Route;
    pub use crate::paste::check as paste;
}

/// Runs the command line; returns the exit code of a run that did its job (`status` tells
/// logged in from not with it). The command line becomes typed settings here, once: nothing
/// below sees clap's types.
pub async fn run(cli: cli::Cli, ui: Arc<ui::Ui>) -> Result<ExitStatus, Error> {
    let (settings, request) = cli.settings();
    usage::check(request.first_host(), &settings.ssh, &ui).await?;
    match request {
        Request::Status { hosts } => status::run(&hosts, &settings, ui).await,
        Request::Doctor { host } => doctor::run(&host, &settings, ui).await,
        Request::Containers {
            on: Machine::Host(host),
            want,
            force,
        } => containers::run(&host, &want, force, &settings, ui).await,
        Request::Containers {
            on: Machine::This,
            want,
            force,
        } => containers::run_local(&want, force, &settings, ui).await,
        Request::LoginInside {
            host,
            names,
            engine,
            sign_in,
        } => login_inside::run(&host, &names, engine, &sign_in, &settings, ui).await,
        Request::Collect { host, want, yes } => collect::run(&host, &want, yes, &settings, ui).await,
        Request::Logout {
            hosts,
            want,
            local_only,
            yes,
        } => logout::run(&hosts, &want, local_only, yes, &settings, ui).await,
        Request::Push { host, from, force } => push::run(&host, from.as_deref(), force, &settings, ui)
            .await
            .map(|()| ExitStatus::Success),
        Request::SignIn {
            hosts,
            hosts_file,
            sign_in,
        } => sign_in_all(hosts, hosts_file.as_deref(), &sign_in, &settings, ui)
            .await
            .map(|()| ExitStatus::Success),
    }
}

/// Signs in the hosts given: one as [`signin::sign_in`], several as [`many::sign_in_all`].
async fn sign_in_all(
    mut hosts: Vec<String>,
    hosts_file: Option<&std::path::Path>,
    sign_in: &SignInSettings,
    settings: &Settings,
    ui: Arc<ui::Ui>,
) -> Result<(), Error> {
    if let Some(file) = hosts_file {
        hosts.extend(self::hosts_file(file)?);
    }
    if hosts.is_empty() {
        return Err(Error::NoHosts);
    }
    // Every name is checked before anything is read, started or asked: one refused name
    // is a usage error of the whole command, not one failed row among hosts signed in.
    for host in &hosts {
        let dest = ssh::destination::Destination::parse(host)?;
        ssh::config::check_names(&dest, &settings.ssh)?;
    }
    let secret = secret::Pending::new(sign_in.method);
    let ca_pem = match &sign_in.ca {
        Some(CaCert::Local(file)) => Some(ca_bundle::read(file)?),
        _ => None,
    };
    let job = signin::SignIn {
        sign_in,
        settings,
        secret: &secret,
        ca_pem,
        inside: None,
    };
    let mut interrupts = signin::Interrupts::new().map_err(|source| Error::Signals { source })?;
    match hosts.as_slice() {
        [host] => signin::sign_in(&job, host, ui, &mut interrupts).await.map(|_| ()),
        hosts => many::sign_in_all(&job, hosts, ui, &mut interrupts).await,
    }
}

/// `--hosts-file`: one host per line, `#` comments and blank lines ignored.
fn hosts_file(file: &std::path::Path) -> Result<Vec<String>, Error> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::HostsFile {
        file: file.to_owned(),
        why: e.to_string(),
    })?;
    let mut hosts = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let host = line.split('#').next().unwrap_or_default().trim();
        if host.is_empty() {
            continue;
        }
        // A file may come from elsewhere: its names are checked as the command line's are.
        match ssh::destination::Destination::parse(host) {
            Ok(_) => {}
            Err(ssh::destination::DestinationError::Name(e)) => {
                let place = format!("{} line {}", file.display(), index + 1);
                let e = ssh::names::NameError {
                    given: Some(place),
                    ..e
                };
                return Err(ssh::Error::Destination(e.into()).into());
            }
            Err(e) => {
                return Err(Error::HostsFile {
                    file: file.to_owned(),
                    why: format!("line {}: {e}", index + 1),
                });
            }
        }
        hosts.push(host.to_owned());
    }
    Ok(hosts)
}
