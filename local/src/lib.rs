//! codex-remote-login: sign the Codex CLI in on remote machines over SSH, with the browser on
//! the user's machine. `main` parses the command line and calls [`run`].
//!
//! One folder per part of the design, standing in layers, each importing only the layers
//! below it: the repository's ARCHITECTURE.md is the map, and `tests/layers.rs` checks it.
#![forbid(unsafe_code)]

mod callback;
mod cli;
mod codex;
mod commands;
mod error;
mod host;
mod settings;
mod shim;
mod signin;
mod ui;

use std::sync::Arc;

use commands::{collect, containers, doctor, keeper, login, login_inside, logout, push, status};
use settings::{Machine, Request};

pub use cli::generate::write as generate;
pub use cli::{Cli, Generate};
pub use error::Error;
pub use error::render::{show as show_error, usage_error_line};
pub use ui::exit::ExitStatus;
pub use ui::{Colors, Ui, Verbosity};

/// The parsers of what the far side sends (codex's output, the browser's requests, a pasted
/// address), reached by the fuzz checks in `tests/checks/` and `fuzz/`.
pub mod parsers {
    pub use crate::callback::paste::check as paste;
    pub use crate::callback::proxy::Route;
    pub use crate::codex::authorize::{AuthorizeUrl, PORTS, device_code, device_link, is_candidate, strip_ansi};
}

/// Runs the command line; returns the exit code of a run that did its job (`status` tells
/// logged in from not with it). The command line becomes typed settings here, once: nothing
/// below sees clap's types.
pub async fn run(cli: cli::Cli, ui: Arc<ui::Ui>) -> Result<ExitStatus, Error> {
    let (settings, request) = cli.settings();
    cli::mistyped::check(request.first_host(), &settings.ssh, &ui).await?;
    match request {
        Request::Status { hosts } => status::run(&hosts, &settings, ui).await,
        Request::Doctor { host } => doctor::run(&host, &settings, ui).await,
        Request::Containers {
            on: Machine::Host(host),
            want,
            how,
        } => containers::run(&host, &want, how, &settings, ui).await,
        Request::Containers {
            on: Machine::Local,
            want,
            how,
        } => containers::run_local(&want, how, &settings, ui).await,
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
        Request::Keeper { host, action } => keeper::run(&host, &action, &settings, ui).await,
        Request::Push { host, from, force } => push::run(&host, from.as_deref(), force, &settings, ui)
            .await
            .map(|()| ExitStatus::Success),
        Request::SignIn {
            hosts,
            hosts_file,
            sign_in,
        } => login::run(hosts, hosts_file.as_deref(), &sign_in, &settings, ui)
            .await
            .map(|()| ExitStatus::Success),
    }
}
