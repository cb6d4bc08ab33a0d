//! The sign-in, the default command: one host as [`signin::sign_in`], several as
//! [`many::sign_in_all`], hosts named on the command line or in a file.

use std::path::Path;
use std::sync::Arc;

use crate::error::Error;
use crate::settings::{Settings, SignInSettings};
use crate::signin::{self, Plan, many};
use crate::ui::Ui;

/// Signs in the hosts given: one as [`signin::sign_in`], several as [`many::sign_in_all`].
pub async fn run(
    mut hosts: Vec<String>,
    hosts_file: Option<&Path>,
    sign_in: &SignInSettings,
    settings: &Settings,
    ui: Arc<Ui>,
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
    let plan = Plan::new(sign_in, settings)?;
    let mut interrupts = signin::Interrupts::new().map_err(|source| Error::Signals { source })?;
    match hosts.as_slice() {
        [host] => signin::sign_in(&plan, host, ui, &mut interrupts).await.map(|_| ()),
        hosts => many::sign_in_all(&plan, hosts, ui, &mut interrupts).await,
    }
}

/// `--hosts-file`: one host per line, `#` comments and blank lines ignored.
fn hosts_file(file: &Path) -> Result<Vec<String>, Error> {
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
