//! `containers HOST CTR...`: the host's login copied into containers on the host, over one
//! SSH connection and one exec. `containers --local CTR...` does the same with this machine's
//! login and its own containers, the shim run as a local process.

use std::sync::Arc;

use codex_remote_login_remote::Selection;

use crate::error::Error;
use crate::error::containers::ContainerError;
use crate::host::containers::{announce, check, copy, provision, report};
use crate::settings::Settings;
use crate::shim::Shim;
use crate::ui::Ui;
use crate::ui::exit::ExitStatus;

/// Copies into every container asked for; the exit code is 0 when every one got the login.
/// `force`: replace a container's login even where it is fresher.
pub async fn run(
    host_arg: &str,
    want: &Selection,
    force: bool,
    settings: &Settings,
    ui: Arc<Ui>,
) -> Result<ExitStatus, Error> {
    check(want)?;
    let conn = crate::host::connect::to(host_arg, &settings.ssh, &ui).await?;
    let result = provision(&conn, want, force, settings, &ui).await;
    conn.close().await;
    result
}

/// The name this machine goes by in messages, events and the table.
pub const THIS_MACHINE: &str = "localhost";

/// `containers --local`: this machine's login into containers on this machine.
pub async fn run_local(want: &Selection, force: bool, settings: &Settings, ui: Arc<Ui>) -> Result<ExitStatus, Error> {
    check(want)?;
    if want.names.is_empty() && want.running.is_none() {
        return Err(ContainerError::NoneNamed.into());
    }
    let launch = announce(THIS_MACHINE, want, force, settings, &ui);
    let shim = Shim::start_local(&launch).map_err(|source| ContainerError::LocalShell { source })?;
    let results = copy(shim, THIS_MACHINE).await.map_err(|e| match e {
        Error::Container(ContainerError::NoLoginToCopy { path, .. }) => ContainerError::NoLocalLogin { path }.into(),
        Error::Container(ContainerError::BadLogin { path, .. }) => ContainerError::BadLocalLogin { path }.into(),
        e => e,
    })?;
    Ok(report(THIS_MACHINE, want, results, &ui))
}
