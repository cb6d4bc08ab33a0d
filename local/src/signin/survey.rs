//! The places on the host that hold the login a sign-in may revoke: surveyed on a second
//! channel of the same connection while the person is in the browser (so that the time to
//! the URL does not grow), read when the host's shim asks before revoking (`previous-ask`).

use std::convert::Infallible;

use codex_remote_login_remote::{CodexAt, Launch, job};
use codex_remote_login_shared::protocol::SurveyEvent;
use tokio::sync::oneshot;

use crate::error::Error;
use crate::error::containers::ContainerError;
use crate::host::local_login;
use crate::shim::{Output, Shim};
use ssh::Connection;

/// The other places holding the host's login: `HOST/CTR`, and `this machine (PATH)`.
pub type Holders = Result<Vec<String>, Error>;

/// The sign-in's side of the survey: it starts the survey once (`start`), and takes its
/// answer when the shim asks (`answer`).
pub struct Survey {
    go: Option<oneshot::Sender<()>>,
    answer: Option<oneshot::Receiver<Holders>>,
}

impl Survey {
    /// Starts the survey (once; nothing when it was started already).
    pub fn start(&mut self) {
        if let Some(go) = self.go.take() {
            let _ = go.send(());
        }
    }

    /// The places the survey found, starting it now if it was not yet.
    pub async fn holders(&mut self) -> Holders {
        self.start();
        match self.answer.take() {
            Some(answer) => answer.await.unwrap_or_else(|_| Ok(Vec::new())),
            None => Ok(Vec::new()),
        }
    }
}

/// A survey of the host on `conn` and the future that makes it once [`Survey::start`] is
/// called; the future never ends on its own (drop it with the sign-in).
pub fn surveyor<'a>(
    conn: &'a Connection,
    host: &'a str,
    codex: &'a CodexAt,
) -> (Survey, impl std::future::Future<Output = Infallible> + 'a) {
    let (go, started) = oneshot::channel();
    let (send, answer) = oneshot::channel();
    let work = async move {
        if started.await.is_ok() {
            let _ = send.send(holders(conn, host, codex).await);
        }
        std::future::pending::<Infallible>().await
    };
    (
        Survey {
            go: Some(go),
            answer: Some(answer),
        },
        work,
    )
}

/// Runs the survey job on the host and reads its report.
async fn holders(conn: &Connection, host: &str, codex: &CodexAt) -> Holders {
    let salt = format!("{:032x}", rand::random::<u128>());
    let launch = Launch {
        codex: codex.clone(),
        job: job::Survey { salt: salt.clone() },
        inside: None,
    };
    let mut shim = Shim::start(conn, &launch)
        .await
        .map_err(|source| Error::ssh(host.to_owned(), source))?;
    let mut places = Vec::new();
    let mut done = false;
    loop {
        match shim.next_for(host).await? {
            Output::Event(SurveyEvent::Copy(name)) => places.push(format!("{host}/{}", name.raw())),
            Output::Event(SurveyEvent::Salted(hex)) => {
                if local_login::holds_salted(&salt, &hex) {
                    places.push(format!("this machine ({})", local_login::path().display()));
                }
            }
            Output::Event(SurveyEvent::Aborted { why }) => {
                return Err(ContainerError::Aborted {
                    host: host.to_owned(),
                    nothing: "the places holding its login could not be surveyed",
                    why: why.shown(),
                }
                .into());
            }
            Output::Event(SurveyEvent::Done) => done = true,
            Output::Host(_) | Output::Stderr(_) => {}
            Output::Closed if done => break,
            Output::Closed => {
                return Err(Error::ConnectionLost {
                    host: host.to_owned(),
                    during: "while surveying the copies of its login",
                });
            }
        }
    }
    shim.close().await;
    Ok(places)
}
