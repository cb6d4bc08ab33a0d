//! Where the login stands on one host, as its status shim reports it: for `status`, and as
//! the preflight of a sign-in of several hosts.

use codex_remote_login_remote::{Launch, OneJob};
use codex_remote_login_shared::protocol::{CopyKind, Held, HostEvent, LoginReport, Reboot, StatusEvent};
use codex_remote_login_shared::{Account, Untrusted, time};
use ssh::Connection;

use crate::error::Error;
use crate::settings::Method;
use crate::shim::{Output, Shim};

/// One host's login, as its shim saw it.
#[derive(Debug, Default, Clone)]
pub struct HostStatus {
    pub host: String,
    pub logged_in: bool,
    pub account: Option<Account>,
    pub auth_file: Option<Untrusted>,
    pub auth_file_mode: Option<Untrusted>,
    pub store: Option<Untrusted>,
    /// Seconds until the access token expires, by the host's clock (negative: expired).
    pub expires_in: Option<i64>,
    pub last_refresh: Option<Untrusted>,
    /// Seconds since `last_refresh`, by the host's clock.
    pub refreshed_ago: Option<i64>,
    /// The host codex's `forced_login_method`, when its config.toml sets one.
    pub forced_login_method: Option<Untrusted>,
    /// Its `forced_chatgpt_workspace_id` (several joined by `,`), when set.
    pub forced_workspace: Option<Untrusted>,
    /// The containers holding a copy of the login, and the keeper.
    pub holders: Holders,
    /// The host's clock, Unix seconds, when it said.
    pub now: Option<i64>,
}

/// What holds a host's login besides the host, as its shim says it (`held`): for `status`
/// and `doctor`.
#[derive(Debug, Default, Clone)]
pub struct Holders {
    /// The containers holding a copy of the login.
    pub copies: Vec<CopyRow>,
    /// The keeper, where one was started on the host.
    pub keeper: Option<KeeperRow>,
}

impl Holders {
    /// Takes one of the shim's words on it; `now`: the host's clock, for how long ago.
    pub fn take(&mut self, held: Held, now: Option<i64>) {
        let since = |at: Option<u64>| at.and_then(|at| i64::try_from(at).ok()).zip(now);
        match held {
            Held::Copy { name, kind, expires } => self.copies.push(CopyRow {
                container: name,
                kind,
                expires_in: since(expires).map(|(at, now)| at - now),
            }),
            Held::Keeper {
                running,
                reboot,
                round,
                refreshed,
            } => {
                self.keeper = Some(KeeperRow {
                    running,
                    reboot,
                    round_ago: since(round).map(|(at, now)| now - at),
                    refreshed_ago: since(refreshed).map(|(at, now)| now - at),
                    containers: Vec::new(),
                });
            }
            Held::KeeperCtr { name, result, why } => {
                if let Some(keeper) = self.keeper.as_mut() {
                    keeper.containers.push((name, result, why));
                }
            }
        }
    }
}

/// The keeper on a host, as `status` shows it.
#[derive(Debug, Clone)]
pub struct KeeperRow {
    /// It runs (else it was started and is gone: killed, or not back after a reboot).
    pub running: bool,
    pub reboot: Reboot,
    /// Seconds since its last round, and since it last had codex refresh the login.
    pub round_ago: Option<i64>,
    pub refreshed_ago: Option<i64>,
    /// Each container of its last round: its name, `copied`, `same`, `own` or `failed`, and
    /// why it failed.
    pub containers: Vec<(Untrusted, Untrusted, Option<Untrusted>)>,
}

/// A container holding a copy of the host's login.
#[derive(Debug, Clone)]
pub struct CopyRow {
    pub container: Untrusted,
    pub kind: CopyKind,
    /// Seconds until its access token expires, by the host's clock (negative: expired).
    pub expires_in: Option<i64>,
}

impl HostStatus {
    /// The login method a sign-in asks for, where the host's codex forbids it: refused before
    /// anything starts (the shim refuses too, for a single host, whose preflight rides the
    /// launch).
    pub fn forbids(&self, method: Method) -> Option<Error> {
        let forced = self.forced_login_method.as_ref()?;
        let refused = match forced.raw() {
            "api" => matches!(method, Method::Browser | Method::Device),
            "chatgpt" => method == Method::ApiKey,
            _ => false,
        };
        refused.then(|| Error::LoginMethodForced {
            host: self.host.clone(),
            forced: forced.shown(),
        })
    }

    /// The policy as the table shows it.
    pub fn policy(&self) -> String {
        match (&self.forced_login_method, &self.forced_workspace) {
            (None, None) => "-".to_owned(),
            (Some(m), None) => format!("{m} only"),
            (None, Some(w)) => format!("workspace {w}"),
            (Some(m), Some(w)) => format!("{m} only, workspace {w}"),
        }
    }
}

/// Runs the status shim on an open connection (also the preflight of several hosts).
pub async fn read(
    conn: &Connection,
    launch: &Launch<impl OneJob<Event = StatusEvent>>,
    host: &str,
) -> Result<HostStatus, Error> {
    let mut shim = Shim::start(conn, launch)
        .await
        .map_err(|source| Error::ssh(host.to_owned(), source))?;
    let mut status = HostStatus {
        host: host.to_owned(),
        ..HostStatus::default()
    };
    let mut done = false;
    loop {
        let out = shim.next_for(host).await?;
        match out {
            // The login on file, as the preflight of a sign-in reports it.
            Output::Host(HostEvent::Before(account)) => status.account = account,
            Output::Host(HostEvent::Refreshed(at)) => status.last_refresh = at,
            Output::Host(HostEvent::Policy { method, workspace }) => {
                status.forced_login_method = method;
                status.forced_workspace = workspace;
            }
            Output::Event(StatusEvent::Report(report)) => match report {
                LoginReport::Status { logged_in } => status.logged_in = logged_in,
                LoginReport::AuthFile { mode, path } => {
                    status.auth_file = Some(path);
                    status.auth_file_mode = Some(mode);
                }
                LoginReport::AuthFileMissing { .. } => {}
                LoginReport::Account(account) => status.account = Some(account),
            },
            Output::Event(StatusEvent::Store(store)) => status.store = Some(store),
            Output::Event(StatusEvent::Expires { at, now }) => {
                let now = i64::try_from(now).unwrap_or(i64::MAX);
                status.now = Some(now);
                status.expires_in = at.and_then(|at| i64::try_from(at).ok()).map(|at| at - now);
                status.refreshed_ago = status
                    .last_refresh
                    .as_ref()
                    .and_then(|at| time::rfc3339_nanos(at.raw()))
                    .map(|nanos| now - i64::try_from(nanos / 1_000_000_000).unwrap_or(0));
            }
            Output::Event(StatusEvent::Held(held)) => status.holders.take(held, status.now),
            Output::Event(StatusEvent::Aborted { why }) => {
                return Err(crate::error::containers::ContainerError::Aborted {
                    host: host.to_owned(),
                    nothing: "nothing was read",
                    why: why.shown(),
                }
                .into());
            }
            Output::Event(StatusEvent::Done) => done = true,
            Output::Host(_) | Output::Stderr(_) => {}
            Output::Closed if done => return Ok(status),
            Output::Closed => {
                return Err(Error::ConnectionLost {
                    host: host.to_owned(),
                    during: "while reading the login status",
                });
            }
        }
    }
}
