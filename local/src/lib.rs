//! codex-remote-login: sign the Codex CLI in on remote machines over SSH, with the browser on
//! the user's machine. `main` parses the command line and calls [`run`].
#![forbid(unsafe_code)]

pub mod authorize;
pub mod browser;
pub mod ca_bundle;
pub mod callback;
pub mod cli;
pub mod collect;
pub mod containers;
pub mod doctor;
pub mod error;
pub mod events;
pub mod login_inside;
pub mod many;
pub mod paste;
pub mod ports;
pub mod push;
pub mod secret;
pub mod shim;
pub mod signin;
pub mod ssh;
pub mod status;
pub mod terminal;
pub mod tunnel;
pub mod ui;

use std::sync::Arc;

pub use error::Error;

/// Runs the command line; returns the exit code of a run that did its job (`status` tells
/// logged in from not with it).
pub async fn run(cli: cli::Cli, ui: Arc<ui::Ui>) -> Result<u8, Error> {
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
    let secret = secret::read(cli.sign_in.method())?;
    let ca_pem = cli.sign_in.ca_cert.as_deref().map(ca_bundle::read).transpose()?;
    let job = signin::SignIn {
        args: &cli.sign_in,
        common: &cli.common,
        secret: secret.as_ref(),
        ca_pem,
        inside: None,
    };
    let mut interrupts = signin::Interrupts::new().map_err(|source| Error::Listen { port: 0, source })?;
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
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
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
    if let Some(hint) = error.hint() {
        text.push_str(&format!("\n\nhint: {hint}"));
    }
    ui.always(&text);
    ui.event(&events::Event::Error {
        host: error.host(),
        message: error.to_string(),
        hint: error.hint(),
        exit_code: error.exit_code(),
    });
}
