//! `collect HOST CTR...`: the freshest login of the host's account among its containers,
//! brought back to the host. For the serialized pattern: a job in a container uses a copy,
//! codex refreshes it (rotating the refresh token), and the next job needs the refreshed one.
//! The tokens stay on the host; only verdicts and times come back.

use std::sync::Arc;

use codex_remote_login_remote::{Containers, Launch, Mode};
use codex_remote_login_shared::{ShimEvent, Untrusted};

use crate::cli::CommonArgs;
use crate::containers::{Want, check};
use crate::error::Error;
use crate::events::Event;
use crate::shim::{Output, Shim};
use crate::ssh::Connection;
use crate::ui::Ui;

/// What one container held.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    name: Untrusted,
    engine: Option<Untrusted>,
    /// `taken`, `fresher` (beaten by a fresher one), `older`, `other_account`, `malformed`,
    /// `none`, `failed`.
    result: String,
    refreshed: Option<Untrusted>,
    why: Option<Untrusted>,
}

/// Reads every container asked for and replaces the host's auth.json with the freshest
/// fresher one; 0 when every container could be read.
pub async fn run(host_arg: &str, want: &Want, common: &CommonArgs, ui: Arc<Ui>) -> Result<u8, Error> {
    check(want)?;
    let conn = Connection::to(host_arg, &common.ssh, &ui).await?;
    let result = collect(&conn, want, common, &ui).await;
    conn.close().await;
    result
}

async fn collect(conn: &Connection, want: &Want, common: &CommonArgs, ui: &Ui) -> Result<u8, Error> {
    let host = conn.config.alias.clone();
    ui.step(&format!("Reading the logins in the containers of {host}"));
    let launch = Launch {
        codex: common.codex.clone(),
        codex_home: common.codex_home.clone(),
        mode: Mode::Collect,
        ca: None,
        skip_logged_in: false,
        containers: Some(Containers {
            names: want.names.clone(),
            select: want.select.clone(),
            engine: want.engine.clone(),
            force: false,
        }),
        inside: None,
    };
    let mut shim = Shim::start(conn, &launch)
        .await
        .map_err(|source| Error::ssh(&host, source))?;
    let mut seen: Vec<Seen> = Vec::new();
    let mut took = None;
    let mut done = false;
    loop {
        match shim.next_for(&host).await? {
            Output::Event(ShimEvent::ColSeen {
                name,
                engine,
                verdict,
                refreshed,
            }) => seen.push(Seen {
                name,
                engine: Some(engine),
                result: verdict.raw().replace('-', "_"),
                refreshed,
                why: None,
            }),
            Output::Event(ShimEvent::CtrFailed { name, why }) => seen.push(Seen {
                name,
                engine: None,
                result: "failed".into(),
                refreshed: None,
                why: Some(why),
            }),
            Output::Event(ShimEvent::ColTook { name, backup }) => took = Some((name, backup)),
            Output::Event(ShimEvent::ColFailed { why }) => {
                return Err(Error::CollectFailed { host, why: why.shown() });
            }
            Output::Event(ShimEvent::CtrNoLogin { path }) => {
                return Err(Error::NoHostLogin {
                    host,
                    path: path.shown(),
                });
            }
            Output::Event(ShimEvent::CtrBadLogin { path }) => {
                return Err(Error::BadLogin {
                    host: host.to_owned(),
                    path: path.shown(),
                });
            }
            Output::Event(ShimEvent::Done) => done = true,
            Output::Event(_) | Output::Stderr(_) => {}
            Output::Closed { .. } if done => break,
            Output::Closed { .. } => {
                return Err(Error::ConnectionLost {
                    host,
                    during: "while reading the containers' logins",
                });
            }
        }
    }
    ui.finish();
    if let Some((name, _)) = &took {
        for s in seen.iter_mut().filter(|s| &s.name == name) {
            s.result = "taken".into();
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
            result: &s.result,
            engine: s.engine.as_ref().map(Untrusted::raw),
            last_refresh: s.refreshed.as_ref().map(Untrusted::raw),
            backup: took.as_ref().filter(|(n, _)| *n == s.name).map(|(_, b)| b.raw()),
            reason: s.why.as_ref().map(Untrusted::raw),
        });
    }
    if !ui.json() {
        ui.data(&table(&seen));
    }
    match &took {
        Some((name, backup)) => ui.info(&format!(
            "{host}'s auth.json is now the login from {name}; the one it replaced is kept as {backup}"
        )),
        None => ui.info(&format!(
            "no container holds a fresher login of {host}'s account: its auth.json is unchanged"
        )),
    }
    let all_named = want.names.iter().all(|n| seen.iter().any(|s| s.name == n.as_str()));
    Ok(if all_named && seen.iter().all(|s| s.result != "failed") {
        0
    } else {
        1
    })
}

fn table(seen: &[Seen]) -> String {
    let dash = || "-".to_owned();
    let mut rows = vec![["CONTAINER", "ENGINE", "LAST REFRESH", "RESULT"].map(String::from)];
    for s in seen {
        let result = match s.result.as_str() {
            "taken" => "taken: now the host's login".to_owned(),
            "fresher" => "fresher, but another was fresher still".to_owned(),
            "older" => "not fresher than the host's".to_owned(),
            "other_account" => "another account: left alone".to_owned(),
            "none" => "no login".to_owned(),
            "malformed" => "not a usable auth.json: left alone".to_owned(),
            _ => format!("failed: {}", s.why.as_ref().map_or("?".to_owned(), Untrusted::shown)),
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
