//! Connecting to the one host a command names, saying so on the way.

use std::sync::Arc;

use crate::error::Error;
use crate::ui::Ui;
use ssh::{self, Connection};

/// Resolves `host_arg` as ssh would, says so, and connects: what every one-host command
/// does first.
pub async fn to(host_arg: &str, settings: &ssh::Settings, ui: &Arc<Ui>) -> Result<Connection, Error> {
    let config = Arc::new(ssh::config::for_host(host_arg, settings, ui.as_ref())?);
    ui.step(&format!("Connecting to {}", config.alias));
    Ok(Connection::open(config, ui.clone()).await?)
}
