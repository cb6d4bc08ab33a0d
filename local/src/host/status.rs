//! Where the login stands on one host, as its status shim reports it: for `status`, and as
//! the preflight of a sign-in of several hosts.

use codex_remote_login_remote::{Launch, OneJob};
use codex_remote_login_shared::protocol::{HostEvent, LoginReport, StatusEvent};
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
                status.expires_in = at.and_then(|at| i64::try_from(at).ok()).map(|at| at - now);
                status.refreshed_ago = status
                    .last_refresh
                    .as_ref()
                    .and_then(|at| time::rfc3339_nanos(at.raw()))
                    .map(|nanos| now - i64::try_from(nanos / 1_000_000_000).unwrap_or(0));
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
