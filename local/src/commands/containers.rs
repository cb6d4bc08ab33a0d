//! `containers HOST CTR...`: the host's login copied into containers on the host, over one
//! SSH connection. `containers --local CTR...` does the same with this machine's login and
//! its own containers, the shim run as a local process.
//!
//! A container whose copy is fresher than the host's login is one where codex refreshed a
//! whole copy: it holds the live login, and the host's is dead. Unless `--force`, that login
//! is first brought back to the host (as `collect` does, asking first), and then the
//! container gets its copy like the others: a second exec, only when there is one.

use std::sync::Arc;

use codex_remote_login_remote::Selection;

use crate::error::Error;
use crate::error::containers::ContainerError;
use crate::host::containers::{Placement, announce, check, copy, copy_into, report};
use crate::settings::{Copying, Settings};
use crate::shim::Shim;
use crate::ui::Ui;
use crate::ui::exit::ExitStatus;
use ssh::Connection;

/// Copies into every container asked for; the exit code is 0 when every one got the login.
pub async fn run(
    host_arg: &str,
    want: &Selection,
    how: Copying,
    settings: &Settings,
    ui: Arc<Ui>,
) -> Result<ExitStatus, Error> {
    check(want)?;
    let conn = crate::host::connect::to(host_arg, &settings.ssh, &ui).await?;
    let result = copy_and_convert(&conn, want, how, settings, &ui).await;
    conn.close().await;
    result
}

pub(crate) async fn copy_and_convert(
    conn: &Connection,
    want: &Selection,
    how: Copying,
    settings: &Settings,
    ui: &Ui,
) -> Result<ExitStatus, Error> {
    let mut results = copy_into(conn, want, how, settings, ui).await?;
    let fresher: Vec<String> = results
        .iter()
        .filter(|(_, placed)| matches!(placed, Placement::Kept { .. }))
        .map(|(name, _)| name.raw().to_owned())
        .collect();
    if !fresher.is_empty() {
        ui.step(&format!(
            "{} held a login refreshed after the host's: bringing the freshest back first",
            fresher.join(", ")
        ));
        let again = Selection {
            names: fresher,
            running: None,
            engine: want.engine,
        };
        match super::collect::collect(conn, &again, how.yes, settings, ui).await {
            Ok(_) => {}
            // Without a terminal to ask on and without --yes, nothing is taken: those
            // containers keep their login, and their rows say so.
            Err(Error::Container(e @ ContainerError::CollectNeedsYes { .. })) => {
                ui.warn(&format!("{e}: {}", e.hint()));
            }
            Err(e) => return Err(e),
        }
        // Copied again where the host is now at least as fresh; still kept where the person
        // did not take theirs back.
        let converted = copy_into(conn, &again, how, settings, ui).await?;
        results.retain(|(name, _)| !converted.iter().any(|(n, _)| n == name));
        results.extend(converted);
    }
    Ok(report(&conn.config.alias, want, results, ui))
}

/// The name this machine goes by in messages, events and the table.
pub const THIS_MACHINE: &str = "localhost";

/// `containers --local`: this machine's login into containers on this machine.
pub async fn run_local(want: &Selection, how: Copying, settings: &Settings, ui: Arc<Ui>) -> Result<ExitStatus, Error> {
    check(want)?;
    if want.names.is_empty() && want.running.is_none() {
        return Err(ContainerError::NoneNamed.into());
    }
    let launch = announce(THIS_MACHINE, want, how, settings, &ui);
    let shim = Shim::start_local(&launch).map_err(|source| ContainerError::LocalShell { source })?;
    let results = copy(shim, THIS_MACHINE).await.map_err(|e| match e {
        Error::Container(ContainerError::NoLoginToCopy { path, .. }) => ContainerError::NoLocalLogin { path }.into(),
        Error::Container(ContainerError::BadLogin { path, .. }) => ContainerError::BadLocalLogin { path }.into(),
        e => e,
    })?;
    Ok(report(THIS_MACHINE, want, results, &ui))
}
