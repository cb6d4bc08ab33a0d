//! `collect HOST CTR...`: the freshest login of the host's account among its containers,
//! brought back to the host. For the serialized pattern: a job in a container uses a copy,
//! codex refreshes it (rotating the refresh token), and the next job needs the refreshed one.
//! The tokens stay on the host; only verdicts, times and the account's email come back.
//!
//! The shim reads each container's auth.json as JSON and passes over anything that is not the
//! host's own identity (user and account in both tokens, or the very same API key). What no
//! file can show is a container that kept the host's tokens but swapped in a refresh token of
//! its own, so the one it would take is named first and replaces the host's login only once
//! the person at the terminal agrees, or with `--yes`.

use std::sync::Arc;

use codex_remote_login_remote::{Launch, Selection, ToShim, job};
use codex_remote_login_shared::Untrusted;
use codex_remote_login_shared::protocol::{CollectEvent, Verdict};

use crate::error::Error;
use crate::error::containers::ContainerError;
use crate::host::containers::check;
use crate::settings::Settings;
use crate::shim::{Output, Shim};
use crate::ui::Ui;
use crate::ui::exit::ExitStatus;
use crate::ui::json::Event;
use crate::ui::terminal;
use ssh::Connection;

/// What one container held.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    name: Untrusted,
    engine: Option<Untrusted>,
    result: Found,
    refreshed: Option<Untrusted>,
    why: Option<Untrusted>,
}

/// What became of one container's login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// As the shim judged it; `Fresher` here means beaten by a fresher one.
    Judged(Verdict),
    /// The freshest: now the host's login.
    Taken,
    /// The freshest, but the person (or the lack of `--yes`) said no.
    NotTaken,
    /// It could not be read.
    Failed,
}

impl Found {
    /// Its name in `--json`'s `collected` events.
    fn as_str(self) -> &'static str {
        match self {
            Self::Judged(verdict) => verdict.as_str(),
            Self::Taken => "taken",
            Self::NotTaken => "not_taken",
            Self::Failed => "failed",
        }
    }
}

/// Reads every container asked for and replaces the host's auth.json with the freshest
/// fresher one; 0 when every container could be read.
pub async fn run(
    host_arg: &str,
    want: &Selection,
    yes: bool,
    settings: &Settings,
    ui: Arc<Ui>,
) -> Result<ExitStatus, Error> {
    check(want)?;
    let conn = crate::host::connect::to(host_arg, &settings.ssh, &ui).await?;
    let result = collect(&conn, want, yes, settings, &ui).await;
    conn.close().await;
    result
}

pub(crate) async fn collect(
    conn: &Connection,
    want: &Selection,
    yes: bool,
    settings: &Settings,
    ui: &Ui,
) -> Result<ExitStatus, Error> {
    let host = conn.config.alias.clone();
    ui.step(&format!("Reading the logins in the containers of {host}"));
    // Collect never forces: it asks, or needs --yes.
    let launch = Launch {
        codex: settings.codex.clone(),
        job: job::Collect(want.clone()),
        inside: None,
    };
    let mut shim = Shim::start(conn, &launch)
        .await
        .map_err(|source| Error::ssh(&host, source))?;
    let Read {
        mut seen,
        took,
        asked,
        declined,
    } = read(&mut shim, &host, yes, ui).await?;
    ui.finish();
    if let Some(Took { name, .. }) = &took {
        for s in seen.iter_mut().filter(|s| s.name == *name) {
            s.result = Found::Taken;
        }
    }
    if let Some(Asked { name, .. }) = asked.as_ref().filter(|_| declined) {
        for s in seen.iter_mut().filter(|s| s.name == *name) {
            s.result = Found::NotTaken;
        }
    }
    seen.sort_by_key(|s| {
        want.names
            .iter()
            .position(|n| s.name == n.as_str())
            .unwrap_or(usize::MAX)
    });
    for s in &seen {
        ui.event(&Event::Collected {
            host: &host,
            container: s.name.raw(),
            result: s.result.as_str(),
            engine: s.engine.as_ref().map(Untrusted::raw),
            last_refresh: s.refreshed.as_ref().map(Untrusted::raw),
            backup: took.as_ref().filter(|t| t.name == s.name).map(|t| t.backup.raw()),
            account: asked
                .as_ref()
                .filter(|a| a.name == s.name)
                .and_then(|a| a.email.as_ref().map(Untrusted::raw)),
            reason: s.why.as_ref().map(Untrusted::raw),
        });
    }
    if !ui.json() {
        ui.data(&table(&seen));
    }
    let account = |email: &Option<Untrusted>| {
        email
            .as_ref()
            .map_or_else(|| "an account without an email".into(), Untrusted::shown)
    };
    match (&took, &asked) {
        (Some(Took { name, backup }), Some(Asked { email, .. })) => ui.info(&format!(
            "{host}'s auth.json is now the login of {} from {name}; the one it replaced is kept as {backup}",
            account(email)
        )),
        (Some(Took { name, backup }), None) => ui.info(&format!(
            "{host}'s auth.json is now the login from {name}; the one it replaced is kept as {backup}"
        )),
        (None, Some(Asked { name, email })) if declined => {
            if yes || terminal::available() {
                ui.info(&format!(
                    "{host}'s auth.json is unchanged: the login in {name} was not taken"
                ));
            } else {
                return Err(ContainerError::CollectNeedsYes {
                    host,
                    container: name.shown(),
                    account: account(email),
                }
                .into());
            }
        }
        _ => ui.info(&format!(
            "no container holds a fresher login of {host}'s account: its auth.json is unchanged"
        )),
    }
    let all_named = want.names.iter().all(|n| seen.iter().any(|s| s.name == n.as_str()));
    Ok(ExitStatus::failed_if(
        !all_named || seen.iter().any(|s| s.result == Found::Failed),
    ))
}

/// The container whose login was taken, and the backup of the host's it replaced.
struct Took {
    name: Untrusted,
    backup: Untrusted,
}

/// The container the person was asked about, and its login's email.
struct Asked {
    name: Untrusted,
    email: Option<Untrusted>,
}

/// What the shim said of the containers' logins, and what was answered.
struct Read {
    seen: Vec<Seen>,
    took: Option<Took>,
    asked: Option<Asked>,
    declined: bool,
}

/// Reads the shim to its end, answering its question (`col-ask`) with `--yes` or the person.
async fn read(shim: &mut Shim<CollectEvent>, host: &str, yes: bool, ui: &Ui) -> Result<Read, Error> {
    let host = host.to_owned();
    let mut read = Read {
        seen: Vec::new(),
        took: None,
        asked: None,
        declined: false,
    };
    let mut done = false;
    loop {
        match shim.next_for(&host).await? {
            Output::Event(CollectEvent::Seen {
                name,
                engine,
                verdict,
                refreshed,
                missing,
            }) => read.seen.push(Seen {
                name,
                engine: Some(engine),
                result: Found::Judged(verdict),
                refreshed,
                why: missing.as_ref().map(|claim| unconfirmed(claim).into()),
            }),
            Output::Event(CollectEvent::CtrFailed { name, why }) => read.seen.push(Seen {
                name,
                engine: None,
                result: Found::Failed,
                refreshed: None,
                why: Some(why),
            }),
            Output::Event(CollectEvent::Ask { name, email }) => {
                let take = yes || agree(ui, &host, &name, email.as_ref());
                // The shim waits on the channel for this answer: a send that fails means the
                // connection went.
                if shim
                    .send(if take { ToShim::Take } else { ToShim::Leave })
                    .await
                    .is_err()
                {
                    return Err(Error::ConnectionLost {
                        host,
                        during: "while answering which login to take",
                    });
                }
                read.declined = !take;
                read.asked = Some(Asked { name, email });
            }
            Output::Event(CollectEvent::NoLock { dir }) => crate::shim::warn_unlocked(ui, &host, &dir),
            Output::Event(CollectEvent::Took { name, backup }) => read.took = Some(Took { name, backup }),
            Output::Event(CollectEvent::Failed { why }) => {
                return Err(ContainerError::CollectFailed { host, why: why.shown() }.into());
            }
            Output::Event(CollectEvent::Aborted { why }) => {
                return Err(ContainerError::Aborted {
                    host: host.to_owned(),
                    nothing: "nothing was collected from the containers",
                    why: why.shown(),
                }
                .into());
            }
            Output::Event(CollectEvent::NoLogin { path }) => {
                return Err(ContainerError::NoHostLogin {
                    host,
                    path: path.shown(),
                }
                .into());
            }
            Output::Event(CollectEvent::Keyring) => {
                return Err(Error::KeyringStore {
                    host: host.to_owned(),
                    store: "keyring".into(),
                    consequence: "it would never read a collected auth.json; nothing was collected",
                });
            }
            Output::Event(CollectEvent::BadLogin { path }) => {
                return Err(ContainerError::BadLogin {
                    host: host.to_owned(),
                    path: path.shown(),
                }
                .into());
            }
            Output::Event(CollectEvent::Done) => done = true,
            Output::Host(_) | Output::Stderr(_) => {}
            Output::Closed if done => return Ok(read),
            Output::Closed => {
                return Err(Error::ConnectionLost {
                    host,
                    during: "while reading the containers' logins",
                });
            }
        }
    }
}

/// Whether the person at the terminal agrees to replace the host's login with the one in
/// `container`; no terminal, no.
fn agree(ui: &Ui, host: &str, container: &Untrusted, email: Option<&Untrusted>) -> bool {
    if !terminal::available() {
        return false;
    }
    let question = format!(
        "Replace the login of {host} with the one in container {container} ({})? Only if you trust that container: \
         it could hold a refresh token of its own. [y/N] ",
        email.map_or("no email".to_owned(), Untrusted::shown)
    );
    ui.suspend(|| terminal::ask(&question))
        .is_ok_and(|a| a.trim().eq_ignore_ascii_case("y"))
}

/// Why a login that lacks `claim` (as the shim names it: `access_token.sub`) is not taken.
fn unconfirmed(claim: &Untrusted) -> String {
    let (token, name) = claim.raw().split_once('.').unwrap_or(("", claim.raw()));
    let whose = match token {
        "id_token" => "its id_token has",
        "access_token" => "its access token has",
        "tokens" => "its tokens have",
        _ => "it has",
    };
    format!(
        "cannot confirm the identity: {whose} no {} claim",
        Untrusted::from(name).shown()
    )
}

fn table(seen: &[Seen]) -> String {
    let dash = || "-".to_owned();
    let mut rows = vec![["CONTAINER", "ENGINE", "LAST REFRESH", "RESULT"].map(String::from)];
    for s in seen {
        let result = match s.result {
            Found::Taken => "taken: now the host's login".to_owned(),
            Found::Judged(Verdict::Fresher) => "fresher, but another was fresher still".to_owned(),
            Found::NotTaken => "fresher, but not taken".to_owned(),
            Found::Judged(Verdict::Older) => "not fresher than the host's".to_owned(),
            Found::Judged(Verdict::OtherAccount) => "another account: left alone".to_owned(),
            Found::Judged(Verdict::Unconfirmed) => format!(
                "{}: left alone",
                s.why
                    .as_ref()
                    .map_or("cannot confirm the identity".to_owned(), Untrusted::shown)
            ),
            Found::Judged(Verdict::Future) => "refreshed in the future: left alone".to_owned(),
            Found::Judged(Verdict::AccessOnly) => "an access-only copy (no refresh token): never taken back".to_owned(),
            Found::Judged(Verdict::TooLarge) => "too large for an auth.json: left alone".to_owned(),
            Found::Judged(Verdict::None) => "no login".to_owned(),
            Found::Judged(Verdict::Malformed) => "not a usable auth.json: left alone".to_owned(),
            Found::Failed => format!("failed: {}", s.why.as_ref().map_or("?".to_owned(), Untrusted::shown)),
        };
        rows.push([
            s.name.shown(),
            s.engine.as_ref().map_or_else(dash, Untrusted::shown),
            s.refreshed.as_ref().map_or_else(dash, Untrusted::shown),
            result,
        ]);
    }
    crate::ui::columns(&rows)
}
