//! `logout HOST... [--container CTR]... [--local-only]`: each host's Codex login signed out
//! (and those of containers on it), all hosts at once, one connection and one exec each.
//!
//! codex 0.169's `codex logout` revokes the login's token at the issuer (`POST /oauth/revoke`,
//! seen against the test issuer) before removing it: every copy of that login, wherever it
//! is, stops working. So before anything is touched the host's shim names every place on the
//! host that holds the same login (compared there, by a hash of the refresh token: nothing of
//! the tokens leaves the host), and this machine's own auth.json is compared through a hash
//! salted afresh for the run. Where another place holds the login, nothing is revoked unless
//! the person agrees on the terminal, or `--yes` was given. `--local-only` removes one copy
//! and revokes nothing. No backup is kept: removing the login is the point.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::task::JoinSet;

use codex_remote_login_remote::{Launch, Selection, ToShim, job};
use codex_remote_login_shared::Untrusted;
use codex_remote_login_shared::protocol::{LogoutEvent, LogoutResult};

use crate::error::Error;
use crate::error::containers::ContainerError;
use crate::host::local_login;
use crate::settings::Settings;
use crate::shim::{Output, Shim};
use crate::ui::Ui;
use crate::ui::exit::ExitStatus;
use crate::ui::json::Event;
use crate::ui::terminal;
use ssh::Connection;

/// One place signed out (or not): the host, or a container on it.
#[derive(Debug, Clone)]
pub struct Place {
    pub host: String,
    pub container: Option<String>,
    pub result: LogoutResult,
    pub detail: Option<Untrusted>,
    /// The other places on the host that held the same login (`HOST` or `HOST/CTR`).
    pub shared: Vec<String>,
}

impl Place {
    fn name(&self) -> String {
        match &self.container {
            Some(c) => format!("{}/{c}", self.host),
            None => self.host.clone(),
        }
    }
}

/// Signs every host out; the exit code is 0 when every place is signed out (or held no login).
pub async fn run(
    hosts: &[String],
    want: &Selection,
    local_only: bool,
    yes: bool,
    settings: &Settings,
    ui: Arc<Ui>,
) -> Result<ExitStatus, Error> {
    crate::host::containers::check(want)?;
    ui.step(&format!(
        "Signing out {} host{}",
        hosts.len(),
        if hosts.len() == 1 { "" } else { "s" }
    ));
    let mut runs = JoinSet::new();
    for (index, host) in hosts.iter().enumerate() {
        let (host, want, settings, ui) = (host.clone(), want.clone(), settings.clone(), ui.clone());
        runs.spawn(async move { (index, one(&host, &want, local_only, yes, &settings, ui).await) });
    }
    let mut results: Vec<(usize, Result<Vec<Place>, Error>)> = runs.join_all().await;
    results.sort_by_key(|(index, _)| *index);
    ui.finish();

    let mut code = ExitStatus::Success;
    let mut rows = Vec::new();
    for (index, result) in results {
        match result {
            Ok(places) => {
                for place in places {
                    if place.result == LogoutResult::Failed && code == ExitStatus::Success {
                        code = ExitStatus::Failed;
                    }
                    ui.event(&Event::Logout {
                        host: &place.host,
                        container: place.container.as_deref(),
                        result: place.result.as_str(),
                        shared: &place.shared,
                        reason: place.detail.as_ref().map(Untrusted::raw),
                    });
                    rows.push([
                        place.name(),
                        place.result.as_str().replace('_', " "),
                        if place.shared.is_empty() {
                            "-".to_owned()
                        } else {
                            place.shared.join(", ")
                        },
                        place.detail.as_ref().map_or_else(String::new, Untrusted::shown),
                    ]);
                }
            }
            Err(e) => {
                crate::error::render::show(&ui, &e);
                if code == ExitStatus::Success {
                    code = e.exit_status();
                }
                let why = e.to_string().lines().next().unwrap_or_default().to_owned();
                rows.push([hosts[index].clone(), "FAILED".into(), "-".into(), why]);
            }
        }
    }
    if !ui.json() {
        let mut lines = vec![["PLACE", "RESULT", "SAME LOGIN ALSO IN", "DETAIL"].map(String::from)];
        lines.extend(rows);
        ui.data(&crate::ui::columns(&lines));
    }
    Ok(code)
}

async fn one(
    host_arg: &str,
    want: &Selection,
    local_only: bool,
    yes: bool,
    settings: &Settings,
    ui: Arc<Ui>,
) -> Result<Vec<Place>, Error> {
    let conn = crate::host::connect::to(host_arg, &settings.ssh, &ui).await?;
    let result = read(&conn, want, local_only, yes, settings, &ui).await;
    conn.close().await;
    result
}

async fn read(
    conn: &Connection,
    want: &Selection,
    local_only: bool,
    yes: bool,
    settings: &Settings,
    ui: &Ui,
) -> Result<Vec<Place>, Error> {
    let host = conn.config.alias.clone();
    let salt = format!("{:032x}", rand::random::<u128>());
    let launch = Launch {
        codex: settings.codex.clone(),
        job: job::Logout {
            containers: want.clone(),
            local_only,
            salt: salt.clone(),
        },
        inside: None,
    };
    let mut shim = Shim::start(conn, &launch)
        .await
        .map_err(|source| Error::ssh(host.clone(), source))?;
    let mut targets = vec![host.clone()];
    targets.extend(want.names.iter().map(|c| format!("{host}/{c}")));
    let asked = Asked { yes, salt, targets };
    places(&mut shim, host, local_only, &asked, ui).await
}

/// What answers the shim's question before anything is revoked.
struct Asked {
    /// `--yes`.
    yes: bool,
    /// This run's salt, for this machine's copy (`lo-salted`).
    salt: String,
    /// The places this run signs out (`HOST`, `HOST/CTR`): sharing a login among themselves
    /// needs no question.
    targets: Vec<String>,
}

/// The places holding a login this run revokes that it does not sign out itself, once each.
fn others(shared: &BTreeMap<Option<String>, Vec<String>>, targets: &[String]) -> Vec<String> {
    let mut others: Vec<String> = shared
        .values()
        .flatten()
        .filter(|place| !targets.contains(place))
        .cloned()
        .collect();
    others.sort();
    others.dedup();
    others
}

/// Whether the person at the terminal agrees to revoke a login that `others` hold too; no
/// terminal, no.
fn agree(ui: &Ui, host: &str, others: &[String]) -> bool {
    if !terminal::available() {
        return false;
    }
    let question = format!(
        "Sign {host} out? codex revokes its login at the issuer, and {} would be signed out too. [y/N] ",
        others.join(", ")
    );
    ui.suspend(|| terminal::ask(&question))
        .is_ok_and(|a| a.trim().eq_ignore_ascii_case("y"))
}

/// Reads the shim's report of each place to its end, answering its question (`lo-ask`).
async fn places(
    shim: &mut Shim<LogoutEvent>,
    host: String,
    local_only: bool,
    asked: &Asked,
    ui: &Ui,
) -> Result<Vec<Place>, Error> {
    let named = |place: &Option<Untrusted>| match place {
        Some(c) => format!("{host}/{}", c.raw()),
        None => host.clone(),
    };
    let mut shared: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
    let mut warned = false;
    let mut places = Vec::new();
    let mut done = false;
    loop {
        match shim.next_for(&host).await? {
            Output::Event(LogoutEvent::Shared { target, place }) => {
                shared
                    .entry(target.map(Untrusted::into_raw))
                    .or_default()
                    .push(named(&place));
            }
            Output::Event(LogoutEvent::Salted(hex)) => {
                if local_login::holds_salted(&asked.salt, &hex) {
                    let path = local_login::path();
                    shared
                        .entry(None)
                        .or_default()
                        .push(format!("this machine ({})", path.display()));
                }
            }
            Output::Event(LogoutEvent::Ask) => {
                warned = true;
                warn_shared(ui, &host, &shared, local_only);
                let others = others(&shared, &asked.targets);
                let proceed = others.is_empty() || asked.yes || agree(ui, &host, &others);
                let answer = if proceed { ToShim::Proceed } else { ToShim::Leave };
                if shim.send(answer).await.is_err() {
                    return Err(Error::ConnectionLost {
                        host,
                        during: "while answering whether to sign out",
                    });
                }
            }
            Output::Event(LogoutEvent::Declined) => {
                let others = others(&shared, &asked.targets);
                return Err(Error::LogoutDeclined { host, others });
            }
            Output::Event(LogoutEvent::Result { place, result, detail }) => {
                // Every sharing place is known before the first result: said once, before the
                // results are shown.
                if !warned {
                    warned = true;
                    warn_shared(ui, &host, &shared, local_only);
                }
                let container = place.map(Untrusted::into_raw);
                places.push(Place {
                    host: host.clone(),
                    shared: shared.get(&container).cloned().unwrap_or_default(),
                    container,
                    result,
                    detail,
                });
            }
            Output::Event(LogoutEvent::Aborted { why }) => {
                return Err(ContainerError::Aborted {
                    host,
                    nothing: "nothing was signed out",
                    why: why.shown(),
                }
                .into());
            }
            Output::Event(LogoutEvent::Done) => done = true,
            Output::Host(_) | Output::Stderr(_) => {}
            Output::Closed if done => return Ok(places),
            Output::Closed => {
                return Err(Error::ConnectionLost {
                    host,
                    during: "while signing out",
                });
            }
        }
    }
}

/// Names the places that share a login being signed out, and what that means for them.
fn warn_shared(ui: &Ui, host: &str, shared: &BTreeMap<Option<String>, Vec<String>>, local_only: bool) {
    for (target, places) in shared {
        let target = match target {
            Some(c) => format!("{host}/{}", Untrusted::from(c.as_str())),
            None => host.to_owned(),
        };
        let places: Vec<String> = places.iter().map(|p| Untrusted::from(p.as_str()).shown()).collect();
        let places = places.join(", ");
        if local_only {
            ui.warn(&format!(
                "the login on {target} is also in {places}: only {target}'s copy is removed (--local-only), those keep working"
            ));
        } else {
            ui.warn(&format!(
                "the login on {target} is also in {places}: codex logout revokes it at the issuer, which signs those out too (--local-only removes one copy without revoking)"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_named_as_in_the_table() {
        let place = Place {
            host: "dev".into(),
            container: Some("web".into()),
            result: LogoutResult::SignedOut,
            detail: None,
            shared: vec!["dev".into()],
        };
        assert_eq!(place.name(), "dev/web");
        assert_eq!(place.result.as_str(), "signed_out");
    }

    /// A host that cannot even start the work (no temporary directory) is an error naming
    /// why, not a logout with no rows and exit 0 (which the shim's `ctr-aborted` once was).
    #[cfg(unix)]
    #[tokio::test]
    async fn a_host_that_cannot_start_is_an_error_not_an_empty_success() {
        let script = "printf 'crl1 hello 2\\ncrl1 before none\\ncrl1 ready\\n\
                      crl1 ctr-aborted cannot make a temporary directory in /nonexistent\\ncrl1 done\\n'";
        let mut shim = Shim::scripted(script).unwrap();
        let ui = Ui::new(false, crate::ui::Verbosity::Quiet);
        let asked = Asked {
            yes: false,
            salt: "00".into(),
            targets: vec!["h".into()],
        };
        let ended = places(&mut shim, "h".into(), false, &asked, &ui).await;
        match ended {
            Err(Error::Container(e @ ContainerError::Aborted { .. })) => assert_eq!(
                e.to_string(),
                "nothing was signed out on h: cannot make a temporary directory in /nonexistent"
            ),
            other => panic!("{other:?}"),
        }
    }

    /// The shim waits at `lo-ask`: with no other place holding the login, or with --yes, it
    /// is told to go on; the answer is what it reads on its stdin.
    #[cfg(unix)]
    #[tokio::test]
    async fn the_shim_is_told_to_proceed_where_nothing_else_holds_the_login_or_with_yes() {
        let dir = std::env::temp_dir().join(format!("crl-logout-ask-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (shared, yes) in [("", false), ("crl1 lo-shared - web\\n", true)] {
            let heard = dir.join("heard");
            let script = format!(
                "printf 'crl1 hello 2\\ncrl1 before none\\ncrl1 ready\\n{shared}crl1 lo-ask\\n'; \
                 read answer; printf '%s' \"$answer\" >{heard}; \
                 printf 'crl1 lo-result - signed-out\\ncrl1 done\\n'",
                heard = heard.display()
            );
            let mut shim = Shim::scripted(&script).unwrap();
            let ui = Ui::new(false, crate::ui::Verbosity::Quiet);
            let asked = Asked {
                yes,
                salt: "00".into(),
                targets: vec!["h".into()],
            };
            let places = places(&mut shim, "h".into(), false, &asked, &ui).await.unwrap();
            assert_eq!(places.len(), 1);
            assert_eq!(std::fs::read_to_string(&heard).unwrap(), "proceed", "shared {shared:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
