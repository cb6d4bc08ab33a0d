//! codex-remote-login: sign the Codex CLI in on remote machines over SSH, with the browser on
//! the user's machine. `main` parses the command line and calls [`run`].
#![forbid(unsafe_code)]

pub mod authorize;
pub mod browser;
pub mod ca_bundle;
pub mod callback;
pub mod cli;
pub mod doctor;
pub mod error;
pub mod events;
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
        Some(cli::Command::Push { host, from, force }) => push::run(host, from.as_deref(), *force, &cli.common, ui)
            .await
            .map(|()| 0),
        None => sign_in_all(&cli, ui).await.map(|()| 0),
    }
}

/// Signs in every host given, one after another; the first failure's error is returned
/// after the others have been tried.
async fn sign_in_all(cli: &cli::Cli, ui: Arc<ui::Ui>) -> Result<(), Error> {
    let secret = secret::read(cli.sign_in.method())?;
    let ca_pem = cli.sign_in.ca_cert.as_deref().map(ca_bundle::read).transpose()?;
    let job = signin::SignIn {
        args: &cli.sign_in,
        common: &cli.common,
        secret: secret.as_ref(),
        ca_pem,
    };
    let mut interrupts = signin::Interrupts::new().map_err(|source| Error::Listen { port: 0, source })?;
    let mut first_error = None;
    for host in &cli.hosts {
        if let Err(e) = signin::sign_in(&job, host, ui.clone(), &mut interrupts).await {
            let stop = matches!(e, Error::Interrupted { .. } | Error::Timeout { .. });
            if cli.hosts.len() > 1 {
                report(&ui, &e);
            }
            first_error.get_or_insert(e);
            if stop {
                break;
            }
        }
    }
    first_error.map_or(Ok(()), Err)
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
