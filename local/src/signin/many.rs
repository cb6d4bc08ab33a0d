//! Several hosts in one command. All are connected, authenticated and checked at once (one
//! connection each, kept for the launch); then they are signed in one after another, in the
//! order given: they share this machine's callback port, and two "hosts" may share one
//! loopback, where a second `codex login` would cancel the first. One host's failure does not
//! stop the others; a table at the end gives every host's outcome.

use std::sync::Arc;

use tokio::task::JoinSet;

use codex_remote_login_remote::{Launch, job};

use crate::error::Error;
use crate::host::status::{self, HostStatus};
use crate::settings::Settings;
use crate::signin::{self, Interrupts, Outcome, Plan};
use crate::ui::Ui;
use ssh::{Connection, config};

type Prepared = Result<(Connection, HostStatus), Error>;

pub async fn sign_in_all(
    plan: &Plan<'_>,
    hosts: &[String],
    ui: Arc<Ui>,
    interrupts: &mut Interrupts,
) -> Result<(), Error> {
    ui.finish();
    let lines: Vec<Arc<Ui>> = hosts.iter().map(|h| Arc::new(ui.child(h))).collect();

    let mut preflights = JoinSet::new();
    for (index, host) in hosts.iter().enumerate() {
        let (host, settings, line) = (host.clone(), plan.settings.clone(), lines[index].clone());
        let check_login = plan.sign_in.skip_logged_in;
        preflights.spawn(async move { (index, prepare(&host, &settings, check_login, &line).await) });
    }
    let mut prepared: Vec<Option<Prepared>> = hosts.iter().map(|_| None).collect();
    loop {
        tokio::select! {
            next = preflights.join_next() => match next {
                Some(Ok((index, result))) => prepared[index] = Some(result),
                Some(Err(e)) => tracing::debug!("a preflight task ended abnormally: {e}"),
                None => break,
            },
            signal = interrupts.recv() => {
                preflights.abort_all();
                return Err(Error::Interrupted { host: "every host".into(), signal });
            }
        }
    }

    let mut results: Vec<(String, Result<Outcome, Error>)> = Vec::new();
    let mut stop: Option<Error> = None;
    for ((host, line), prepared) in hosts.iter().zip(&lines).zip(prepared) {
        let result = match (prepared, &stop) {
            (None, _) => Err(Error::ConnectionLost {
                host: host.clone(),
                during: "while connecting",
            }),
            (Some(Err(e)), _) => Err(e),
            (Some(Ok((conn, _))), Some(_)) => {
                conn.close().await;
                line.finish_with("not started (interrupted)");
                continue;
            }
            (Some(Ok((conn, status))), None) => {
                let result = turn(plan, &conn, &status, line.clone(), interrupts).await;
                conn.close().await;
                result
            }
        };
        match &result {
            Ok(Outcome::SignedIn(account)) => line.finish_with(&format!("signed in{}", who(account))),
            Ok(Outcome::Skipped(account)) => line.finish_with(&format!(
                "already signed in{}: skipped",
                account.as_ref().map(who).unwrap_or_default()
            )),
            Err(e) => {
                // The error in full once, here; the table at the end has its first line.
                line.finish_with("failed");
                crate::error::render::show(line, e);
                if matches!(e, Error::Interrupted { .. }) {
                    stop = Some(Error::Interrupted {
                        host: host.clone(),
                        signal: "SIGINT",
                    });
                }
            }
        }
        results.push((host.clone(), result));
    }
    if !ui.json() {
        ui.info(&table("HOST", &results));
    }
    match results.into_iter().find_map(|(_, r)| r.err()) {
        Some(e) => Err(Error::Several {
            what: "host",
            failed: Box::new(e),
        }),
        None => Ok(()),
    }
}

/// Connects, authenticates and checks one host (read-only), all hosts at once.
async fn prepare(host_arg: &str, settings: &Settings, check_login: bool, line: &Arc<Ui>) -> Prepared {
    line.step("connecting");
    let config = Arc::new(config::for_host(host_arg, &settings.ssh, line.as_ref())?);
    let host = config.alias.clone();
    let conn = Connection::open(config, line.clone()).await?;
    line.step("checking codex");
    let launch = Launch {
        codex: settings.codex.clone(),
        job: job::Preflight { check_login },
        inside: None,
    };
    let status = status::read(&conn, &launch, &host).await;
    let status = match status {
        Ok(status) => status,
        Err(e) => {
            conn.close().await;
            return Err(e);
        }
    };
    line.step(if status.logged_in {
        "ready (signed in already)"
    } else {
        "ready"
    });
    Ok((conn, status))
}

/// One host's turn: its sign-in, within its own `--timeout`.
async fn turn(
    plan: &Plan<'_>,
    conn: &Connection,
    status: &HostStatus,
    line: Arc<Ui>,
    interrupts: &mut Interrupts,
) -> Result<Outcome, Error> {
    if plan.sign_in.skip_logged_in && status.logged_in {
        line.event(&crate::ui::json::Event::Skipped {
            host: &status.host,
            account: status.account.as_ref(),
        });
        return Ok(Outcome::Skipped(status.account.clone()));
    }
    // The host's codex policy, read by the preflight: refused before a port is bound.
    if let Some(refused) = status.forbids(plan.sign_in.method) {
        return Err(refused);
    }
    let ports = signin::settle_ports(plan, &line).await?;
    let outcome = signin::launch(plan, conn, ports, line.clone(), interrupts, false).await;
    signin::then_provision(plan, conn, outcome, &line).await
}

fn who(account: &codex_remote_login_shared::Account) -> String {
    account.email.as_ref().map(|e| format!(" as {e}")).unwrap_or_default()
}

/// The summary people read at the end: one row per host (or container, named in `heading`).
pub(crate) fn table(heading: &str, results: &[(String, Result<Outcome, Error>)]) -> String {
    let mut rows = vec![[heading, "OUTCOME", "DETAIL"].map(String::from)];
    for (host, result) in results {
        let (outcome, detail) = match result {
            Ok(Outcome::SignedIn(account)) => ("signed in", who(account).trim().to_owned()),
            Ok(Outcome::Skipped(account)) => (
                "skipped",
                format!("already signed in{}", account.as_ref().map(who).unwrap_or_default()),
            ),
            Err(e) => ("failed", e.to_string().lines().next().unwrap_or_default().to_owned()),
        };
        rows.push([host.clone(), outcome.to_owned(), detail]);
    }
    format!("\n{}", crate::ui::columns(&rows))
}
