//! `push HOST`: the documented "copy your auth cache" fallback, done right. The host's
//! auth.json is replaced atomically (written beside it under a fresh name, private, renamed,
//! under codex's own lock), its old one kept as a backup (the three newest stay), and a
//! fresher one on the host (by `last_refresh`) refused unless `--force`. A CODEX_HOME that
//! others can write to, or links planted in it, are refused.

use std::path::Path;
use std::sync::Arc;

use codex_remote_login_remote::{Launch, ToShim, job};
use codex_remote_login_shared::protocol::{HostEvent, LoginReport, PushEvent};
use codex_remote_login_shared::{AuthJson, Untrusted, time};

use crate::error::Error;
use crate::settings::Settings;
use crate::shim::{Output, Shim};
use crate::ui::Ui;
use crate::ui::json::Event;
use ssh::Connection;

pub async fn run(
    host_arg: &str,
    from: Option<&Path>,
    force: bool,
    settings: &Settings,
    ui: Arc<Ui>,
) -> Result<(), Error> {
    let path = from.map_or_else(crate::host::local_login::path, Path::to_path_buf);
    let local_error = |source: Box<dyn std::error::Error + Send + Sync>| Error::LocalAuth {
        path: path.clone(),
        source,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| local_error(e.into()))?;
    let local = AuthJson::parse(&text).map_err(|e| local_error(e.into()))?;

    let conn = crate::host::connect::to(host_arg, &settings.ssh, &ui).await?;
    let host = conn.config.alias.clone();
    let launch = Launch {
        codex: settings.codex.clone(),
        job: job::Push,
        inside: None,
    };
    let result = push(&conn, &launch, &host, &text, &local, force, &ui).await;
    conn.close().await;
    result
}

async fn push(
    conn: &Connection,
    launch: &Launch<job::Push>,
    host: &str,
    text: &str,
    local: &AuthJson,
    force: bool,
    ui: &Ui,
) -> Result<(), Error> {
    let ssh_err = |source| Error::ssh(host.to_owned(), source);
    let mut shim = Shim::start(conn, launch).await.map_err(ssh_err)?;
    let mut host_refreshed = None;
    let mut backup = None;
    let mut pushed = None;
    let mut sent = false;
    loop {
        let out = shim.next_for(host).await?;
        match out {
            Output::Host(HostEvent::Refreshed(at)) => host_refreshed = at,
            // The host's report is complete: decide.
            Output::Host(HostEvent::Ready) => {
                if let Some(refusal) = fresher_on_host(
                    host,
                    host_refreshed.as_ref().map(Untrusted::raw),
                    local.last_refresh.as_deref(),
                    force,
                ) {
                    shim.send(ToShim::Leave).await.map_err(ssh_err)?;
                    return Err(refusal);
                }
                ui.warn(&format!(
                    "{host} and this machine now share one login. Its refresh token rotates: whichever refreshes first \
                     logs the other out (\"refresh token was already used\"). Prefer signing {host} in on its own: \
                     codex-remote-login {host}"
                ));
                ui.step(&format!("Copying auth.json to {host}"));
                shim.send(ToShim::Push(text)).await.map_err(ssh_err)?;
                sent = true;
            }
            Output::Event(PushEvent::Backup { path }) => backup = Some(path),
            Output::Event(PushEvent::NoLock { dir }) => crate::shim::warn_unlocked(ui, host, &dir),
            Output::Event(PushEvent::Report(LoginReport::AuthFile { path, .. })) => pushed = Some(path),
            Output::Event(PushEvent::Keyring) => {
                return Err(Error::KeyringStore {
                    host: host.to_owned(),
                    store: "keyring".into(),
                    consequence: "it would never read a pushed auth.json; nothing was pushed",
                });
            }
            Output::Event(PushEvent::PushFailed { why }) => {
                return Err(Error::PushFailed {
                    host: host.to_owned(),
                    why: why.shown(),
                });
            }
            Output::Host(_) | Output::Event(_) | Output::Stderr(_) => {}
            Output::Closed => break,
        }
    }
    let Some(auth_file) = pushed.filter(|_| sent) else {
        return Err(Error::ConnectionLost {
            host: host.to_owned(),
            during: "while copying auth.json",
        });
    };
    ui.finish();
    ui.info(&format!("Copied auth.json to {host}: {auth_file}"));
    if let Some(backup) = &backup {
        ui.info(&format!("  The previous one is kept as {backup}"));
    }
    ui.event(&Event::Pushed {
        host,
        auth_file: auth_file.raw(),
        backup: backup.as_ref().map(Untrusted::raw),
    });
    Ok(())
}

/// The refusal when the host's copy is fresher than ours and `--force` was not given.
fn fresher_on_host(host: &str, on_host: Option<&str>, ours: Option<&str>, force: bool) -> Option<Error> {
    let host_time = on_host.and_then(time::rfc3339_nanos)?;
    let our_time = ours.and_then(time::rfc3339_nanos).unwrap_or(i128::MIN);
    (host_time > our_time && !force).then(|| Error::HostFresher {
        host: host.to_owned(),
        host_refreshed: codex_remote_login_shared::redact::printable(on_host.unwrap_or_default()),
        local_refreshed: ours.unwrap_or("never").to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_fresher_host_copy_refuses() {
        let older = Some("2026-11-25T10:00:00Z");
        let newer = Some("2026-11-25T10:00:00.5Z");
        assert!(fresher_on_host("h", newer, older, false).is_some());
        assert!(fresher_on_host("h", newer, older, true).is_none(), "--force");
        assert!(fresher_on_host("h", older, newer, false).is_none());
        assert!(fresher_on_host("h", older, older, false).is_none(), "the same copy");
        assert!(
            fresher_on_host("h", None, older, false).is_none(),
            "nothing on the host"
        );
        assert!(
            fresher_on_host("h", older, None, false).is_some(),
            "ours was never refreshed"
        );
    }
}
