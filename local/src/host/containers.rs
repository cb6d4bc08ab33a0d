//! A login copied into containers, by the shim of the machine that holds it: the host's
//! (after `containers HOST` or a sign-in with `--containers`), or this machine's
//! (`containers --local`). The tokens go from that machine's file into each container there;
//! they never travel between machines.

use codex_remote_login_remote::{Launch, Running, Selection, job};
use codex_remote_login_shared::Untrusted;
use codex_remote_login_shared::protocol::{ContainersEvent, CopyKind};

use crate::error::Error;
use crate::error::containers::ContainerError;
use crate::settings::{Copying, Settings};
use crate::shim::{Output, Shim};
use crate::ui::Ui;
use crate::ui::exit::ExitStatus;
use crate::ui::json::Event;
use ssh::Connection;

/// What became of one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    Copied {
        engine: Untrusted,
        user: Untrusted,
        kind: CopyKind,
        auth_file: Untrusted,
        backup: Option<Untrusted>,
        /// Written beside the old file and renamed (false: by the engine's archive copy, into
        /// a stopped or shell-less container).
        atomic: bool,
    },
    /// Its copy was refreshed more recently than the host's: left alone.
    Kept {
        engine: Untrusted,
        user: Untrusted,
        auth_file: Untrusted,
    },
    Failed {
        why: Untrusted,
    },
}

/// The names and the label given are ones an engine takes: nothing else reaches the host.
pub fn check(want: &Selection) -> Result<(), ContainerError> {
    if let Some(bad) = want.names.iter().find(|n| !valid_name(n)) {
        return Err(ContainerError::Name { name: bad.clone() });
    }
    match &want.running {
        None | Some(Running::All) => Ok(()),
        Some(Running::Labelled(label)) => match label.split_once('=') {
            Some((key, value)) if valid_name(key) && !value.contains(|c: char| c.is_whitespace() || c.is_control()) => {
                Ok(())
            }
            _ => Err(ContainerError::Name { name: label.to_owned() }),
        },
    }
}

/// Copies the login of the host behind `conn` into the containers wanted (also right after
/// a sign-in, on its connection); prints a table (or events); 0 when every one got it.
pub async fn provision(
    conn: &Connection,
    want: &Selection,
    how: Copying,
    settings: &Settings,
    ui: &Ui,
) -> Result<ExitStatus, Error> {
    let results = copy_into(conn, want, how, settings, ui).await?;
    Ok(report(&conn.config.alias, want, results, ui))
}

/// What became of each container after one copy into those wanted, not yet reported.
pub async fn copy_into(
    conn: &Connection,
    want: &Selection,
    how: Copying,
    settings: &Settings,
    ui: &Ui,
) -> Result<Vec<(Untrusted, Placement)>, Error> {
    check(want)?;
    let host = conn.config.alias.clone();
    let launch = announce(&host, want, how, settings, ui);
    let shim = Shim::start(conn, &launch)
        .await
        .map_err(|source| Error::ssh(&host, source))?;
    copy(shim, &host).await
}

/// Says what is about to happen (and warns of a shared refresh token); the launch that does it.
pub fn announce(host: &str, want: &Selection, how: Copying, settings: &Settings, ui: &Ui) -> Launch<job::Containers> {
    if how.share_refresh {
        let places = if want.running.is_some() {
            "several".to_owned()
        } else {
            (want.names.len() + 1).to_string()
        };
        ui.warn(&format!(
            "--share-refresh-token: the whole login of {host} will be in {places} places (the host and its \
             containers). Its refresh token rotates: whichever refreshes first logs the others out (\"refresh \
             token was already used\"). Without the option each container gets an access-only copy, which logs no one out"
        ));
        ui.step(&format!("Copying the whole login of {host} into its containers"));
    } else {
        ui.step(&format!(
            "Copying the login of {host} into its containers, without its refresh token"
        ));
    }
    Launch {
        codex: settings.codex.clone(),
        job: job::Containers {
            containers: want.clone(),
            force: how.force,
            share_refresh: how.share_refresh,
            keep: false,
        },
        inside: None,
    }
}

/// Prints the results (a table, or events); 0 when every container asked for got the login.
pub fn report(host: &str, want: &Selection, mut results: Vec<(Untrusted, Placement)>, ui: &Ui) -> ExitStatus {
    ui.finish();
    // The ones named in the order given, then the ones found.
    results.sort_by_key(|(name, _)| want.names.iter().position(|n| name == n.as_str()).unwrap_or(usize::MAX));
    for (name, copy) in &results {
        ui.event(&event(host, name.raw(), copy));
    }
    if !ui.json() {
        ui.data(&table(&results));
    }
    let all_named = want.names.iter().all(|n| results.iter().any(|(r, _)| r == n.as_str()));
    ExitStatus::failed_if(!all_named || results.iter().any(|(_, c)| !matches!(c, Placement::Copied { .. })))
}

/// The shim's report of every container, the shim closed after it however it ended: a local
/// shim dropped on an error was killed before its clean-up ran, leaving its temporary
/// directory behind.
pub async fn copy(mut shim: Shim<ContainersEvent>, host: &str) -> Result<Vec<(Untrusted, Placement)>, Error> {
    let results = copies(&mut shim, host).await;
    shim.close().await;
    results
}

async fn copies(shim: &mut Shim<ContainersEvent>, host: &str) -> Result<Vec<(Untrusted, Placement)>, Error> {
    let mut results = Vec::new();
    let mut archived = Vec::new();
    let mut done = false;
    loop {
        let out = shim.next_for(host).await?;
        tracing::debug!("shim: {out:?}");
        match out {
            Output::Event(ContainersEvent::Copied {
                name,
                engine,
                user,
                kind,
                backup,
                dir,
            }) => {
                let backup = backup.map(|stamp| Untrusted::new(format!("{}/auth.json.bak-{}", dir.raw(), stamp.raw())));
                let atomic = !archived.contains(&name);
                results.push((
                    name,
                    Placement::Copied {
                        engine,
                        user,
                        kind,
                        auth_file: Untrusted::new(format!("{}/auth.json", dir.raw())),
                        backup,
                        atomic,
                    },
                ));
            }
            Output::Event(ContainersEvent::Fresher {
                name,
                engine,
                user,
                dir,
            }) => {
                results.push((
                    name,
                    Placement::Kept {
                        engine,
                        user,
                        auth_file: Untrusted::new(format!("{}/auth.json", dir.raw())),
                    },
                ));
            }
            Output::Event(ContainersEvent::Failed { name, why }) => results.push((name, Placement::Failed { why })),
            // A keeper's round says these; no command of this side runs one.
            Output::Event(ContainersEvent::Same { name }) => results.push((
                name,
                Placement::Failed {
                    why: "a keeper's answer outside a keeper's round".into(),
                },
            )),
            Output::Event(ContainersEvent::Own {
                name,
                engine,
                user,
                dir,
            }) => results.push((
                name,
                Placement::Kept {
                    engine,
                    user,
                    auth_file: Untrusted::new(format!("{}/auth.json", dir.raw())),
                },
            )),
            Output::Event(ContainersEvent::NoAccessCopy) => {
                return Err(ContainerError::NoAccessCopy { host: host.to_owned() }.into());
            }
            Output::Event(ContainersEvent::Archived { name }) => archived.push(name),
            Output::Event(ContainersEvent::Aborted { why }) => {
                return Err(ContainerError::Aborted {
                    host: host.to_owned(),
                    nothing: "nothing was copied into the containers",
                    why: why.shown(),
                }
                .into());
            }
            Output::Event(ContainersEvent::NoLogin { path }) => {
                return Err(ContainerError::NoLoginToCopy {
                    host: host.to_owned(),
                    path: path.shown(),
                }
                .into());
            }
            Output::Event(ContainersEvent::Keyring) => {
                return Err(Error::KeyringStore {
                    host: host.to_owned(),
                    store: "keyring".into(),
                    consequence: "an auth.json there, if any, is not the login it uses; nothing was copied",
                });
            }
            Output::Event(ContainersEvent::BadLogin { path }) => {
                return Err(ContainerError::BadLogin {
                    host: host.to_owned(),
                    path: path.shown(),
                }
                .into());
            }
            Output::Event(ContainersEvent::Done) => done = true,
            Output::Host(_) | Output::Stderr(_) => {}
            Output::Closed if done => return Ok(results),
            Output::Closed => {
                return Err(Error::ConnectionLost {
                    host: host.to_owned(),
                    during: "while copying into containers",
                });
            }
        }
    }
}

/// Docker's and podman's names and ids: a letter or digit, then letters, digits, `_.-`.
fn valid_name(name: &str) -> bool {
    name.len() <= 128
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

fn event<'a>(host: &'a str, name: &'a str, copy: &'a Placement) -> Event<'a> {
    let mut kind = None;
    let (result, engine, user, auth_file, backup, reason) = match copy {
        Placement::Copied {
            engine,
            user,
            kind: copied,
            auth_file,
            backup,
            atomic,
        } => {
            kind = Some(copied.as_str());
            let note = (!atomic).then_some(
                "written by the engine's archive copy (stopped or shell-less container): not an atomic rename",
            );
            (
                "copied",
                Some(engine),
                Some(user),
                Some(auth_file),
                backup.as_ref(),
                note,
            )
        }
        Placement::Kept {
            engine,
            user,
            auth_file,
        } => (
            "kept",
            Some(engine),
            Some(user),
            Some(auth_file),
            None,
            Some("its copy is fresher"),
        ),
        Placement::Failed { why } => ("failed", None, None, None, None, Some(why.raw())),
    };
    Event::Container {
        host,
        container: name,
        result,
        engine: engine.map(Untrusted::raw),
        user: user.map(Untrusted::raw),
        copy: kind,
        auth_file: auth_file.map(Untrusted::raw),
        backup: backup.map(Untrusted::raw),
        reason,
    }
}

/// The table people read: one line per container.
pub fn table(results: &[(Untrusted, Placement)]) -> String {
    let mut rows = vec![["CONTAINER", "ENGINE", "USER", "RESULT", "DETAIL"].map(String::from)];
    for (name, copy) in results {
        rows.push(match copy {
            Placement::Copied {
                engine,
                user,
                kind,
                auth_file,
                backup,
                atomic,
            } => [
                name.shown(),
                engine.shown(),
                user.shown(),
                match kind {
                    CopyKind::Access => "copied (access only)",
                    CopyKind::ApiKey => "copied (API key)",
                    CopyKind::Full => "copied (whole login)",
                }
                .into(),
                format!(
                    "{auth_file}{}{}",
                    backup
                        .as_ref()
                        .map(|b| format!(" (previous kept as {b})"))
                        .unwrap_or_default(),
                    if *atomic { "" } else { " [archive copy: not atomic]" }
                ),
            ],
            Placement::Kept {
                engine,
                user,
                auth_file,
            } => [
                name.shown(),
                engine.shown(),
                user.shown(),
                "kept".into(),
                format!("{auth_file} was refreshed more recently and was not taken back; --force replaces it"),
            ],
            Placement::Failed { why } => [name.shown(), "-".into(), "-".into(), "failed".into(), why.shown()],
        });
    }
    crate::ui::columns(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_engines_take_them() {
        for good in ["web", "crl-dev", "a1.b_c", "5b2a8dde0ace"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "-rm", "a b", "x;y", "$(id)", "é"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
