//! codex-remote-login: sign the Codex CLI in on remote machines over SSH, with the browser on
//! the user's machine. `main` parses the command line and calls [`run`].
#![forbid(unsafe_code)]

pub mod authorize;
pub mod browser;
pub mod ca_bundle;
pub mod callback;
pub mod cli;
pub mod collect;
pub mod connect;
pub mod containers;
pub mod doctor;
pub mod error;
pub mod events;
pub mod generate;
pub mod help;
pub mod listener;
pub mod login_inside;
pub mod many;
#[cfg(any(windows, test))]
mod netstat;
pub mod paste;
pub mod ports;
pub mod push;
pub mod secret;
pub mod shim;
pub mod signin;

pub mod status;
pub mod terminal;
pub mod tunnel;
pub mod ui;
pub mod usage;
pub mod windows_host;

pub use codex_remote_login_ssh as ssh;

use std::sync::Arc;

pub use error::Error;

/// Runs the command line; returns the exit code of a run that did its job (`status` tells
/// logged in from not with it).
pub async fn run(cli: cli::Cli, ui: Arc<ui::Ui>) -> Result<u8, Error> {
    let first_host = cli.command.is_none().then(|| cli.hosts.first()).flatten();
    usage::check(first_host.map(String::as_str), &cli.common.ssh, &ui).await?;
    match &cli.command {
        Some(cli::Command::Status { hosts }) => status::run(hosts, &cli.common, ui).await,
        Some(cli::Command::Doctor { host }) => doctor::run(host, &cli.common, ui).await,
        Some(cli::Command::Containers {
            host,
            containers,
            engine,
            force,
            all_running,
            label,
            local,
            login_inside,
        }) => {
            if *login_inside {
                let host = host.as_deref().unwrap_or_default();
                return login_inside::run(host, containers, &cli, ui).await;
            }
            let mut want = containers::Want::new(containers, *all_running, label, engine, *force);
            match host {
                // With --local there is no HOST: the first name is a container too.
                Some(first) if *local => {
                    want.names.insert(0, first.clone());
                    containers::run_local(&want, &cli.common, ui).await
                }
                None => containers::run_local(&want, &cli.common, ui).await,
                Some(host) => containers::run(host, &want, &cli.common, ui).await,
            }
        }
        Some(cli::Command::Collect {
            host,
            containers,
            engine,
            all_running,
            label,
            yes,
        }) => {
            let want = containers::Want::new(containers, *all_running, label, engine, false);
            collect::run(host, &want, *yes, &cli.common, ui).await
        }
        Some(cli::Command::Push { host, from, force }) => push::run(host, from.as_deref(), *force, &cli.common, ui)
            .await
            .map(|()| 0),
        None => sign_in_all(&cli, ui).await.map(|()| 0),
    }
}

/// Signs in the hosts given: one as [`signin::sign_in`], several as [`many::sign_in_all`].
async fn sign_in_all(cli: &cli::Cli, ui: Arc<ui::Ui>) -> Result<(), Error> {
    let mut hosts = cli.hosts.clone();
    if let Some(file) = &cli.hosts_file {
        hosts.extend(hosts_file(file)?);
    }
    if hosts.is_empty() {
        return Err(Error::NoHosts);
    }
    // Every name is checked before anything is read, started or asked: one refused name
    // is a usage error of the whole command, not one failed row among hosts signed in.
    for host in &hosts {
        let dest = ssh::destination::Destination::parse(host)?;
        ssh::config::check_names(&dest, &cli.common.ssh.settings())?;
    }
    let secret = secret::Pending::new(cli.sign_in.method());
    let ca_pem = cli.sign_in.ca_cert.as_deref().map(ca_bundle::read).transpose()?;
    let job = signin::SignIn {
        args: &cli.sign_in,
        common: &cli.common,
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

/// Renders an error for people (stderr) and for `--json` (stdout).
pub fn report(ui: &ui::Ui, error: &Error) {
    ui.finish();
    let mut text = format!("error: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    // With --json or -q no table was printed: the hint points at what was.
    let hint = match error {
        Error::Several { .. } if ui.json() => Some("each host's own error event says why it failed".to_owned()),
        Error::Several { .. } if !ui.shows_summaries() => Some("the errors above say which failed and why".to_owned()),
        _ => error.hint(),
    };
    if let Some(hint) = &hint {
        text.push_str(&format!("\n\nhint: {hint}"));
    }
    ui.always(&text);
    ui.event(&events::Event::Error {
        host: error.host(),
        message: error.to_string(),
        hint,
        exit_code: error.exit_code(),
    });
}
