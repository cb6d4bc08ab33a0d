//! The sign-in flow: `codex login` on the host, the browser here, the callback carried over
//! SSH, and a summary that names the account without showing any token.

mod device_code;
mod interrupts;
mod pasted;
mod proxy;

use device_code::Device;
pub use interrupts::Interrupts;
use pasted::Paste;
use proxy::Proxy;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use codex_remote_login_remote::{CaBundle, ContainerRef, Launch, Mode, RUNNING};
use codex_remote_login_shared::protocol::{CodexSource, RelayTool};
use codex_remote_login_shared::redact;
use codex_remote_login_shared::{Account, ShimEvent, Untrusted};

use crate::authorize::{self, AuthorizeUrl};
use crate::cli::{CommonArgs, Method, SignInArgs};
use crate::error::{CodexLog, Error};
use crate::events::Event;
use crate::exit::ExitStatus;
use crate::ports::PortError;
use crate::shim::{Output, Shim};
use crate::ssh::Connection;
use crate::ssh::config;
use crate::ui::Ui;
use crate::{paste, ports, terminal};

/// How long a cancelled remote login may take to confirm that codex is gone.
const CANCEL_GRACE: Duration = Duration::from_secs(3);

/// codex's last lines kept for error messages.
const KEEP_LINES: usize = 5;

/// What a sign-in was asked for, shared by every host.
pub struct SignIn<'a> {
    pub args: &'a SignInArgs,
    pub common: &'a CommonArgs,
    /// The API key or access token of `--with-api-key` / `--with-access-token`.
    pub secret: &'a crate::secret::Pending,
    /// The PEM bundle of `--ca-cert`.
    pub ca_pem: Option<String>,
    /// `--login-inside`: sign in the codex of this container on the host, not the host's.
    pub inside: Option<ContainerRef>,
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
pub async fn settle_ports(job: &SignIn<'_>, ui: &Ui) -> Result<LocalPorts, Error> {
    let cli = job.args;
    if cli.method() != Method::Browser || cli.paste {
        return Ok(LocalPorts {
            listeners: None,
            hold_port: None,
            paste: cli.paste,
        });
    }
    match ports::settle(cli.cancel_local, ui).await {
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
    job: &SignIn<'_>,
    host_arg: &str,
    ui: Arc<Ui>,
    interrupts: &mut Interrupts,
) -> Result<Outcome, Error> {
    let cli = job.args;
    let config = Arc::new(config::for_host(host_arg, &job.common.ssh.settings(), ui.as_ref())?);
    let host = config.alias.clone();
    let ports = settle_ports(job, &ui).await?;

    // Connecting is bounded by ConnectTimeout (not while a prompt waits for the person);
    // --timeout is the sign-in's own, from the moment the host is reached, as with several
    // hosts, where it starts at each host's turn.
    ui.step(&format!("Connecting to {host}"));
    let conn = tokio::select! {
        conn = Connection::open(config.clone(), ui.clone()) => conn?,
        signal = interrupts.recv() => return Err(Error::Interrupted { host, signal }),
    };
    let deadline = tokio::time::sleep(Duration::from_secs(cli.timeout));
    tokio::pin!(deadline);
    let result = launch(
        job,
        &conn,
        ports,
        ui.clone(),
        interrupts,
        deadline.as_mut(),
        cli.skip_logged_in,
    )
    .await;
    let result = then_provision(job, &conn, result, &ui).await;
    conn.close().await;
    result
}

/// `--container`: after a sign-in, its login copied into containers on the host, on the same
/// connection.
pub async fn then_provision(
    job: &SignIn<'_>,
    conn: &Connection,
    outcome: Result<Outcome, Error>,
    ui: &Ui,
) -> Result<Outcome, Error> {
    match outcome {
        Ok(Outcome::SignedIn(account)) if !job.args.containers.is_empty() => {
            let want = codex_remote_login_remote::Containers {
                names: job.args.containers.clone(),
                ..Default::default()
            };
            match crate::containers::provision(conn, &want, job.common, ui).await? {
                ExitStatus::Success => Ok(Outcome::SignedIn(account)),
                _ => Err(Error::Provisioning {
                    host: conn.config.alias.clone(),
                }),
            }
        }
        other => other,
    }
}

/// Runs the sign-in on an open connection. `skip_in_shim`: the shim itself skips a host that
/// is logged in (a single host's preflight rides the launch's exec).
pub async fn launch(
    job: &SignIn<'_>,
    conn: &Connection,
    ports: LocalPorts,
    ui: Arc<Ui>,
    interrupts: &mut Interrupts,
    mut deadline: std::pin::Pin<&mut tokio::time::Sleep>,
    skip_in_shim: bool,
) -> Result<Outcome, Error> {
    let cli = job.args;
    let method = cli.method();
    let config = &conn.config;
    // A container is named as HOST/CONTAINER in messages and events.
    let host = match &job.inside {
        Some(container) => format!("{}/{}", config.alias, container.name),
        None => config.alias.clone(),
    };
    let LocalPorts {
        mut listeners,
        hold_port,
        paste,
    } = ports;
    ui.event(&Event::Connected {
        host: &host,
        user: &config.user,
        port: config.port,
    });
    ui.step(&format!("Starting codex login on {host}"));
    let mode = match method {
        Method::Browser => Mode::Browser { hold_port },
        Method::Device => Mode::Device,
        Method::ApiKey => Mode::ApiKey,
        Method::AccessToken => Mode::AccessToken,
    };
    let ca = match (&job.ca_pem, &cli.remote_ca_cert) {
        (Some(pem), _) => Some(CaBundle::Sent { size: pem.len() }),
        (None, Some(path)) => Some(CaBundle::OnHost(path.clone())),
        (None, None) => None,
    };
    let launch = Launch {
        codex: job.common.codex.clone(),
        codex_home: job.common.codex_home.clone(),
        mode,
        ca,
        skip_logged_in: skip_in_shim,
        containers: None,
        inside: job.inside.clone(),
    };
    // The shim reads its stdin in order: the CA bundle, then the secret, which it hands to
    // codex on a pipe.
    let secret = job.secret.get(&ui)?;
    let stdin = [job.ca_pem.clone(), secret.map(|s| format!("{}\n", s.expose()))];
    let shim = match Shim::start(conn, &launch).await {
        Ok(mut shim) => {
            async {
                for data in stdin.into_iter().flatten() {
                    shim.send(data).await?;
                }
                Ok(shim)
            }
            .await
        }
        Err(e) => Err(e),
    }
    .map_err(|source| Error::ssh(host.clone(), source));
    let mut run = Run {
        cli,
        method,
        host: host.clone(),
        ui: ui.clone(),
        conn,
        inside: job.inside.clone(),
        before: None,
        relays: Vec::new(),
        last_lines: VecDeque::new(),
        exited: None,
        logged_in: false,
        auth_file: None,
        account: None,
        done: false,
        skipped: false,
        proxy: None,
        success_served: false,
        paste: paste.then(Paste::default),
        url_shown: false,
        told_running: false,
        device: Device::default(),
        log: None,
    };
    let result = match shim {
        Ok(mut shim) => {
            let outcome = run
                .drive(&mut shim, &mut listeners, interrupts, deadline.as_mut())
                .await;
            if outcome.is_err() && run.exited.is_none() {
                run.cancel(&mut shim).await;
            }
            shim.close().await;
            outcome
        }
        Err(e) => Err(e),
    };
    run.stop_proxy().await;
    result?;
    if run.skipped {
        ui.finish();
        ui.info(&format!("{host} is already signed in; skipped (--skip-logged-in)."));
        return Ok(Outcome::Skipped(run.before.clone()));
    }
    run.summary().map(Outcome::SignedIn)
}

struct Run<'a> {
    cli: &'a SignInArgs,
    method: Method,
    host: String,
    ui: Arc<Ui>,
    conn: &'a Connection,
    /// `--login-inside`: the container whose codex signs in.
    inside: Option<ContainerRef>,
    before: Option<Account>,
    relays: Vec<RelayTool>,
    last_lines: VecDeque<String>,
    exited: Option<i32>,
    logged_in: bool,
    auth_file: Option<(Untrusted, Untrusted)>,
    account: Option<Account>,
    done: bool,
    /// The shim skipped the launch: the host is logged in (`--skip-logged-in`).
    skipped: bool,
    proxy: Option<Proxy>,
    success_served: bool,
    /// `--paste`: the sign-in's URL and tunnel, and the lines the user pastes.
    paste: Option<Paste>,
    /// The sign-in URL (or device code) has been shown.
    url_shown: bool,
    /// Whether the shim was told that codex runs (see `RUNNING`).
    told_running: bool,
    device: Device,
    log: Option<CodexLog>,
}

impl Run<'_> {
    async fn drive(
        &mut self,
        shim: &mut Shim,
        listeners: &mut Option<Vec<tokio::net::TcpListener>>,
        interrupts: &mut Interrupts,
        mut deadline: std::pin::Pin<&mut tokio::time::Sleep>,
    ) -> Result<(), Error> {
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        let host = self.host.clone();
        loop {
            let pasted_line = async {
                match self.paste.as_mut().and_then(|p| p.lines.as_mut()) {
                    Some(lines) => lines.recv().await,
                    None => std::future::pending().await,
                }
            };
            let callback_event = async {
                match self.proxy.as_mut() {
                    Some(p) => p.events.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                out = shim.next_for(&host) => {
                    let out = out?;
                    if let Output::Closed = out {
                        return self.finished();
                    }
                    self.on_output(out, listeners).await?;
                    if !self.told_running && (self.url_shown || self.device.shown_at.is_some()) {
                        self.told_running = true;
                        let _ = shim.send(RUNNING.to_owned()).await;
                    }
                }
                Some(event) = callback_event => self.on_callback(event)?,
                Some(line) = pasted_line => self.on_paste(line).await?,
                _ = ticker.tick(), if self.device.shown_at.is_some() && self.exited.is_none() => self.device_countdown(),
                signal = interrupts.recv() => return Err(Error::Interrupted { host: self.host.clone(), signal }),
                _ = &mut deadline => return Err(Error::Timeout { secs: self.cli.timeout }),
            }
        }
    }

    async fn on_output(
        &mut self,
        out: Output,
        listeners: &mut Option<Vec<tokio::net::TcpListener>>,
    ) -> Result<(), Error> {
        let host = self.host.clone();
        match out {
            Output::Event(event) => {
                tracing::debug!("shim: {event:?}");
                match event {
                    // Events of other modes, and facts this flow does not need.
                    ShimEvent::Hello { .. }
                    | ShimEvent::Started { .. }
                    | ShimEvent::Refreshed(_)
                    | ShimEvent::Store(_)
                    | ShimEvent::Expires { .. }
                    | ShimEvent::Backup { .. }
                    | ShimEvent::Pushed
                    | ShimEvent::PushFailed { .. }
                    | ShimEvent::Version(_)
                    | ShimEvent::Ca { .. }
                    | ShimEvent::Clock(_)
                    // A missing codex ends `Shim::next_for` before it gets here.
                    | ShimEvent::NotFound { .. }
                    | ShimEvent::BadOverride { .. }
                    | ShimEvent::CtrCopied { .. }
                    | ShimEvent::CtrFresher { .. }
                    | ShimEvent::CtrNoLogin { .. }
                    | ShimEvent::CtrBadLogin { .. }
                    | ShimEvent::CtrAborted { .. }
                    | ShimEvent::CtrArchived { .. }
                    | ShimEvent::ColSeen { .. }
                    | ShimEvent::ColTook { .. }
                    | ShimEvent::ColFailed { .. }
                    | ShimEvent::ColAsk { .. }
                    | ShimEvent::NoLock { .. } => {}
                    ShimEvent::CaStored { path } => {
                        tracing::info!("the CA bundle is at {path} on {host} for this sign-in")
                    }
                    ShimEvent::CaFailed { why } => return Err(Error::RemoteCa { host, why: why.shown() }),
                    // `--login-inside`: the container is not there to sign in.
                    ShimEvent::CtrFailed { name, why } => {
                        return Err(Error::NoContainer {
                            name: name.shown(),
                            why: why.shown(),
                        });
                    }
                    ShimEvent::Log { path } => {
                        self.log = Some(CodexLog {
                            path: path.shown(),
                            lines: Vec::new(),
                        })
                    }
                    ShimEvent::LogLine(line) => {
                        if let Some(log) = &mut self.log {
                            // Redacted as it was parsed.
                            log.lines.push(line);
                        }
                    }
                    ShimEvent::Codex { source, path } => {
                        if source != CodexSource::Path {
                            tracing::info!("codex on {host} found via {source}: {path}");
                        }
                        let found_via = source.to_string();
                        self.ui.event(&Event::CodexFound {
                            host: &host,
                            path: path.raw(),
                            found_via,
                        });
                    }
                    ShimEvent::Before(account) => self.before = account,
                    ShimEvent::Relays(tools) => {
                        // Inside a container the relay is the only way in: without one, stop
                        // before any browser is opened.
                        if let Some(name) = self.inside.as_ref().map(|c| &c.name).filter(|_| tools.is_empty() && self.method == Method::Browser) {
                            return Err(Error::NoContainer {
                                name: name.clone(),
                                why: "it has none of nc, python3, perl or bash to carry the browser's callback in with".into(),
                            });
                        }
                        self.relays = tools;
                    }
                    ShimEvent::Exited { code } => {
                        self.exited = Some(code);
                        if code == 0 {
                            self.ui.step(&format!("Checking the login on {host}"));
                        }
                    }
                    ShimEvent::Status { logged_in } => self.logged_in = logged_in,
                    ShimEvent::AuthFile { mode, path } => self.auth_file = Some((mode, path)),
                    ShimEvent::AuthFileMissing { path } => {
                        return Err(Error::NotSaved {
                            host,
                            problem: format!("{path} is missing"),
                        });
                    }
                    ShimEvent::Account(account) => self.account = Some(account),
                    ShimEvent::Done => self.done = true,
                    ShimEvent::Skipped => self.skipped = true,
                }
            }
            Output::Stderr(line) => {
                // codex's output may carry a code or a token: redacted even at -vvv.
                let line = line.into_raw();
                let shown = redact::log_line(line.trim_end());
                tracing::debug!("codex on {host}: {shown}");
                if self.method == Method::Device {
                    self.on_device_line(&line).await?;
                } else if !self.url_shown && authorize::is_candidate(&line) {
                    let url =
                        AuthorizeUrl::parse(&line, self.cli.issuer.as_deref()).map_err(|reason| Error::BadUrl {
                            reason,
                            shown: redact::url(line.trim()),
                        })?;
                    if self.paste.is_some() {
                        self.start_paste(url).await;
                    } else {
                        self.start_proxy(url, listeners).await?;
                    }
                } else {
                    self.remember(shown);
                }
            }
            Output::Closed => {}
        }
        Ok(())
    }

    fn remember(&mut self, shown: String) {
        if shown.is_empty() {
            return;
        }
        if self.last_lines.len() == KEEP_LINES {
            self.last_lines.pop_front();
        }
        self.last_lines.push_back(shown);
    }

    /// The channel closed: judge the outcome.
    fn finished(&mut self) -> Result<(), Error> {
        let host = self.host.clone();
        let last_lines: Vec<String> = self.last_lines.iter().cloned().collect();
        match self.exited {
            None => Err(Error::ConnectionLost {
                host,
                during: if self.url_shown {
                    "while waiting for the browser"
                } else {
                    "while starting codex"
                },
            }),
            Some(0) if self.skipped && self.done => Ok(()),
            Some(_) if !self.url_shown && self.method == Method::Browser => Err(Error::NoUrl { host, last_lines }),
            Some(0) if !self.done => Err(Error::ConnectionLost {
                host,
                during: "while checking the login",
            }),
            Some(0) => Ok(()),
            Some(code) => Err(Error::CodexFailed {
                host,
                code,
                last_lines,
                log: self.log.take(),
            }),
        }
    }

    async fn cancel(&mut self, shim: &mut Shim) {
        shim.cancel().await;
        let confirmed = async {
            loop {
                match shim.next().await {
                    Ok(Output::Event(ShimEvent::Exited { .. })) | Ok(Output::Closed) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        };
        if tokio::time::timeout(CANCEL_GRACE, confirmed).await.is_err() {
            self.ui
                .warn(&format!("{} did not confirm that codex login ended", self.host));
        }
    }

    fn summary(&self) -> Result<Account, Error> {
        let host = &self.host;
        let (mode, path) = self.auth_file.clone().unwrap_or_default();
        if !self.logged_in {
            return Err(Error::NotSaved {
                host: host.clone(),
                problem: "`codex login status` says it is not logged in".into(),
            });
        }
        if mode != "-rw-------" {
            return Err(Error::NotSaved {
                host: host.clone(),
                problem: format!("{path} has mode {mode}, not -rw-------"),
            });
        }
        let account = self.account.clone().unwrap_or_default();
        let who = match (&account.email, &account.plan) {
            (Some(email), Some(plan)) => format!(" as {email} ({plan})"),
            (Some(email), None) => format!(" as {email}"),
            _ => String::new(),
        };
        self.ui.finish();
        self.ui.info(&format!(
            "Signed in to Codex on {host}{who} using {}.\n  Credentials: {path} (on {host}; they never left it)",
            account.auth_mode
        ));
        let replaced = self.before.as_ref().filter(|b| **b != account);
        if let Some(old) = replaced {
            let old_who = old.email.as_ref().map_or("an API key".to_owned(), Untrusted::shown);
            self.ui.info(&format!(
                "  Replaced the previous login ({old_who}); codex revokes its tokens."
            ));
        }
        self.ui.event(&Event::Success {
            host,
            account: &account,
            auth_file: path.raw(),
            replaced,
        });
        Ok(account)
    }
}
