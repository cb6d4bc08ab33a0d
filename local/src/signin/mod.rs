//! The sign-in flow: `codex login` on the host, the browser here, the callback carried over
//! SSH, and a summary that names the account without showing any token.

mod browser;
mod context;
mod device_code;
mod findings;
mod interrupts;
pub mod many;
mod pasted;
mod run;
mod stop;
mod strategy;
mod survey;

pub use interrupts::Interrupts;
use run::{Ended, Run};
use stop::Stop;
use strategy::Strategy;

use std::sync::Arc;

use codex_remote_login_remote::{CaBundle, ContainerRef, Launch, LoginMethod, ToShim, job};
use codex_remote_login_shared::Account;

use crate::callback::ports::PortError;
use crate::codex::authorize;
use crate::error::Error;
use crate::error::containers::ContainerError;
use crate::host::ca_bundle;
use crate::host::secret::Pending;
use crate::settings::{CaCert, Copying, Method, Settings, SignInSettings};
use crate::shim::Shim;
use crate::ui::Ui;
use crate::ui::exit::ExitStatus;
use crate::ui::json::Event;
use crate::{callback::paste, callback::ports, ui::terminal};
use ssh::Connection;
use ssh::config;

/// What a sign-in was asked for, shared by every host (or container) it signs in.
pub struct Plan<'a> {
    pub sign_in: &'a SignInSettings,
    pub settings: &'a Settings,
    /// The API key or access token of `--with-api-key` / `--with-access-token`, asked for
    /// once, when the first host needs it.
    pub secret: Pending,
    /// The PEM bundle of `--ca-cert`, read.
    pub ca_pem: Option<String>,
    /// `--login-inside`: sign in the codex of this container on the host, not the host's.
    pub inside: Option<ContainerRef>,
}

impl<'a> Plan<'a> {
    /// The plan of a sign-in on hosts; `--ca-cert`'s file is read now, before any host is
    /// reached.
    pub fn new(sign_in: &'a SignInSettings, settings: &'a Settings) -> Result<Self, Error> {
        let ca_pem = match &sign_in.ca {
            Some(CaCert::Local(file)) => Some(ca_bundle::read(file)?),
            _ => None,
        };
        Ok(Self {
            sign_in,
            settings,
            secret: Pending::new(sign_in.method),
            ca_pem,
            inside: None,
        })
    }
}

/// How one host's sign-in ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    SignedIn(Account),
    /// `--skip-logged-in`, and the host was: the account it is signed in with.
    Skipped(Option<Account>),
}

/// The local side of the callback, settled before anything starts on the host.
pub struct LocalPorts {
    listeners: Option<Vec<tokio::net::TcpListener>>,
    /// The host's 1455 to hold, steering its codex to 1457.
    hold_port: Option<u16>,
    paste: bool,
}

/// Takes the callback port (codex asks for 1455 first). `--paste` binds nothing; on a
/// terminal it is offered when neither callback port is free.
pub async fn settle_ports(plan: &Plan<'_>, ui: &Ui) -> Result<LocalPorts, Error> {
    let sign_in = plan.sign_in;
    if sign_in.method != Method::Browser || sign_in.paste {
        return Ok(LocalPorts {
            listeners: None,
            hold_port: None,
            paste: sign_in.paste,
        });
    }
    match ports::settle(sign_in.cancel_local, ui).await {
        Ok(settled) => Ok(LocalPorts {
            listeners: Some(settled.listeners),
            hold_port: settled.steer.then_some(authorize::PORTS[0]),
            paste: false,
        }),
        Err(e @ PortError::BothBusy { .. }) if paste::from_terminal() => {
            ui.warn(&e.to_string());
            let answer =
                ui.suspend(|| terminal::ask("Paste the browser's final address here instead (--paste)? [Y/n] "));
            if answer.is_ok_and(|a| a.trim().is_empty() || a.trim().eq_ignore_ascii_case("y")) {
                Ok(LocalPorts {
                    listeners: None,
                    hold_port: None,
                    paste: true,
                })
            } else {
                Err(e.into())
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Signs in one host: the local port first, then the connection, then preflight and launch
/// in one exec.
pub async fn sign_in(
    plan: &Plan<'_>,
    host_arg: &str,
    ui: Arc<Ui>,
    interrupts: &mut Interrupts,
) -> Result<Outcome, Error> {
    let config = Arc::new(config::for_host(host_arg, &plan.settings.ssh, ui.as_ref())?);
    let host = config.alias.clone();
    let ports = settle_ports(plan, &ui).await?;

    // Connecting is bounded by ConnectTimeout (not while a prompt waits for the person);
    // --timeout is the sign-in's own, from the moment the host is reached, as with several
    // hosts, where it starts at each host's turn.
    ui.step(&format!("Connecting to {host}"));
    let conn = tokio::select! {
        conn = Connection::open(config.clone(), ui.clone()) => conn?,
        signal = interrupts.recv() => return Err(Error::Interrupted { host, signal }),
    };
    let result = launch(plan, &conn, ports, ui.clone(), interrupts, plan.sign_in.skip_logged_in).await;
    let result = then_provision(plan, &conn, result, &ui).await;
    conn.close().await;
    result
}

/// `--container`: after a sign-in, its login copied into containers on the host, on the same
/// connection.
pub async fn then_provision(
    plan: &Plan<'_>,
    conn: &Connection,
    outcome: Result<Outcome, Error>,
    ui: &Ui,
) -> Result<Outcome, Error> {
    match outcome {
        Ok(Outcome::SignedIn(account)) if !plan.sign_in.containers.is_empty() => {
            let want = codex_remote_login_remote::Selection {
                names: plan.sign_in.containers.clone(),
                ..Default::default()
            };
            match crate::host::containers::provision(conn, &want, Copying::default(), plan.settings, ui).await? {
                ExitStatus::Success => Ok(Outcome::SignedIn(account)),
                _ => Err(ContainerError::Provisioning {
                    host: conn.config.alias.clone(),
                }
                .into()),
            }
        }
        other => other,
    }
}

/// Runs the sign-in on an open connection, within `--timeout` from now. `skip_in_shim`: the
/// shim itself skips a host that is logged in (a single host's preflight rides the launch's
/// exec).
pub async fn launch(
    plan: &Plan<'_>,
    conn: &Connection,
    ports: LocalPorts,
    ui: Arc<Ui>,
    interrupts: &mut Interrupts,
    skip_in_shim: bool,
) -> Result<Outcome, Error> {
    let sign_in = plan.sign_in;
    let mut stop = Stop::new(interrupts, sign_in.timeout);
    let config = &conn.config;
    // A container is named as HOST/CONTAINER in messages and events.
    let host = match &plan.inside {
        Some(container) => format!("{}/{}", config.alias, container.name),
        None => config.alias.clone(),
    };
    let LocalPorts {
        listeners,
        hold_port,
        paste,
    } = ports;
    ui.event(&Event::Connected {
        host: &host,
        user: &config.user,
        port: config.port,
    });
    ui.step(&format!("Starting codex login on {host}"));
    let method = sign_in.method;
    let login = match method {
        Method::Browser => LoginMethod::Browser { hold_port },
        Method::Device => LoginMethod::Device,
        Method::ApiKey => LoginMethod::ApiKey,
        Method::AccessToken => LoginMethod::AccessToken,
    };
    let ca = match (&plan.ca_pem, &sign_in.ca) {
        (Some(pem), _) => Some(CaBundle::Sent { size: pem.len() }),
        (None, Some(CaCert::OnHost(path))) => Some(CaBundle::OnHost(path.clone())),
        (None, _) => None,
    };
    let launch = Launch {
        codex: plan.settings.codex.clone(),
        job: job::SignIn {
            method: login,
            ca,
            skip_logged_in: skip_in_shim,
        },
        inside: plan.inside.clone(),
    };
    // The shim reads its stdin in order: the CA bundle, then the secret, which it hands to
    // codex on a pipe.
    let secret = plan.secret.get(&ui)?;
    let mut shim = async {
        let mut shim = Shim::start(conn, &launch).await?;
        if let Some(pem) = &plan.ca_pem {
            shim.send(ToShim::CaBundle(pem)).await?;
        }
        if let Some(secret) = &secret {
            shim.send(ToShim::Secret(secret)).await?;
        }
        Ok(shim)
    }
    .await
    .map_err(|source| Error::ssh(host.clone(), source))?;
    let strategy = Strategy::new(method, paste, listeners, conn.forwarder());
    let mut run = Run::new(sign_in, host.clone(), ui.clone(), plan.inside.clone(), strategy);
    // The places holding the host's login, surveyed alongside (on the host only: inside a
    // container the replaced login is set aside, never revoked).
    let (survey, surveying) = survey::surveyor(conn, &host, &plan.settings.codex);
    if plan.inside.is_none() {
        run.survey = Some(survey);
    }
    // Both on the heap: side by side they make a future too large for a 1 MiB main-thread
    // stack (Windows), which overflowed.
    let ended = {
        let driving = Box::pin(run.drive(&mut shim, &mut stop));
        let surveying = Box::pin(surveying);
        tokio::select! {
            ended = driving => ended,
            never = surveying => match never {},
        }
    };
    if let Err(error) = &ended {
        run.found.tell_kept(&run.host, &ui, error);
    }
    match ended? {
        Ended::Skipped => {
            ui.finish();
            ui.info(&format!("{host} is already signed in; skipped (--skip-logged-in)."));
            ui.event(&Event::Skipped {
                host: &host,
                account: run.found.before.as_ref(),
            });
            Ok(Outcome::Skipped(run.found.before.clone()))
        }
        Ended::SignedIn => run.found.summary(&run.host, &ui).map(Outcome::SignedIn),
    }
}
