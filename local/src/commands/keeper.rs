//! `keeper start HOST CTR...` and `keeper stop HOST`: the keeper that keeps the access-only
//! copies in a host's containers fresh, on the host itself (`remote/src/shim/keeper.sh`).
//!
//! Starting copies the login in first, as `containers` does, so that the first answer is the
//! table of copies; then the program of one round (a `containers` run in keeper mode) goes to
//! the host, where the keeper runs it every round. Nothing of it runs here afterwards: the
//! refreshes happen on the host, by the host's own codex, and no token leaves it.

use std::sync::Arc;

use codex_remote_login_remote::{Launch, Selection, ToShim, job};
use codex_remote_login_shared::protocol::{HostEvent, KeeperEvent, Reboot};

use crate::error::Error;
use crate::error::containers::ContainerError;
use crate::host::containers::check;
use crate::settings::{Copying, KeeperAction, Settings};
use crate::shim::{Output, Shim};
use crate::ui::Ui;
use crate::ui::exit::ExitStatus;
use crate::ui::json::Event;
use ssh::Connection;

pub async fn run(host_arg: &str, action: &KeeperAction, settings: &Settings, ui: Arc<Ui>) -> Result<ExitStatus, Error> {
    if let KeeperAction::Start { want, .. } = action {
        check(want)?;
    }
    let conn = crate::host::connect::to(host_arg, &settings.ssh, &ui).await?;
    let result = match action {
        KeeperAction::Start { want, yes } => start(&conn, want, *yes, settings, &ui).await,
        KeeperAction::Stop => stop(&conn, settings, &ui).await.map(|()| ExitStatus::Success),
    };
    conn.close().await;
    result
}

async fn start(
    conn: &Connection,
    want: &Selection,
    yes: bool,
    settings: &Settings,
    ui: &Ui,
) -> Result<ExitStatus, Error> {
    let how = Copying {
        yes,
        ..Copying::default()
    };
    let copied = super::containers::copy_and_convert(conn, want, how, settings, ui).await?;
    let round = Launch {
        codex: settings.codex.clone(),
        job: job::Containers {
            containers: want.clone(),
            force: false,
            share_refresh: false,
            keep: true,
        },
        inside: None,
    }
    .script();
    let host = conn.config.alias.clone();
    ui.step(&format!("Starting the keeper on {host}"));
    let (pid, reboot) = match keeper(conn, job::Keeper::Start, Some(&round), settings).await? {
        KeeperEvent::Started { pid, reboot } => (pid, reboot),
        _ => return Err(lost(&host)),
    };
    ui.finish();
    ui.info(&format!(
        "The keeper runs on {host} (pid {pid}): it has codex refresh the login in time and keeps the copies fresh"
    ));
    ui.info(&format!("  {}", after_reboot(reboot, &host)));
    ui.event(&Event::Keeper {
        host: &host,
        result: "started",
        pid: Some(pid),
        reboot: Some(reboot.as_str()),
    });
    Ok(copied)
}

async fn stop(conn: &Connection, settings: &Settings, ui: &Ui) -> Result<(), Error> {
    let host = conn.config.alias.clone();
    ui.step(&format!("Stopping the keeper on {host}"));
    let event = keeper(conn, job::Keeper::Stop, None, settings).await?;
    ui.finish();
    let (result, pid) = match event {
        KeeperEvent::Stopped { pid } => {
            ui.info(&format!(
                "Stopped the keeper on {host} (pid {pid}); the copies stay, and last as long as their access tokens"
            ));
            ("stopped", Some(pid))
        }
        KeeperEvent::NoneRunning => {
            ui.info(&format!(
                "No keeper was running on {host}; nothing of one is left there"
            ));
            ("none", None)
        }
        _ => return Err(lost(&host)),
    };
    ui.event(&Event::Keeper {
        host: &host,
        result,
        pid,
        reboot: None,
    });
    Ok(())
}

/// Runs the keeper job; its one answer (`Started`, `Stopped` or `NoneRunning`).
async fn keeper(
    conn: &Connection,
    action: job::Keeper,
    round: Option<&str>,
    settings: &Settings,
) -> Result<KeeperEvent, Error> {
    let host = conn.config.alias.clone();
    let launch = Launch {
        codex: settings.codex.clone(),
        job: action,
        inside: None,
    };
    let mut shim = Shim::start(conn, &launch)
        .await
        .map_err(|source| Error::ssh(&host, source))?;
    let mut answer = None;
    loop {
        match shim.next_for(&host).await? {
            Output::Host(HostEvent::Ready) => {
                if let Some(round) = round {
                    shim.send(ToShim::Round(round))
                        .await
                        .map_err(|source| Error::ssh(&host, source))?;
                }
            }
            Output::Event(KeeperEvent::Failed { why }) => {
                shim.close().await;
                return Err(ContainerError::Keeper { host, why: why.shown() }.into());
            }
            Output::Event(KeeperEvent::Done) => {}
            Output::Event(event) => answer = Some(event),
            Output::Host(_) | Output::Stderr(_) => {}
            Output::Closed => break,
        }
    }
    shim.close().await;
    answer.ok_or_else(|| lost(&host))
}

fn lost(host: &str) -> Error {
    Error::ConnectionLost {
        host: host.to_owned(),
        during: "while starting or stopping the keeper",
    }
}

/// What becomes of the keeper when the host reboots.
fn after_reboot(reboot: Reboot, host: &str) -> String {
    match reboot {
        Reboot::Systemd => "It comes back after a reboot: a lingering systemd user manager runs it".to_owned(),
        Reboot::Cron => "It comes back after a reboot: through an @reboot line in your crontab".to_owned(),
        Reboot::None => format!(
            "It does not come back after a reboot ({host} has no crontab and no lingering systemd user manager): \
             run `keeper start` again then"
        ),
    }
}
