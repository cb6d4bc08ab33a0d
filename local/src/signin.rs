//! The sign-in flow: `codex login` on the host, the browser here, the callback carried over
//! SSH, and a summary that names the account without showing any token.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{mpsc, watch};

use codex_remote_login_remote::{CaBundle, Launch, Mode};
use codex_remote_login_shared::protocol::{CodexSource, RelayTool};
use codex_remote_login_shared::redact::{self, Secret};
use codex_remote_login_shared::{Account, ShimEvent};

use crate::authorize::{self, AuthorizeUrl};
use crate::callback::{self, CallbackEvent, CallbackProxy};
use crate::cli::{CommonArgs, Method, SignInArgs};
use crate::error::{CodexLog, Error};
use crate::events::Event;
use crate::shim::{Output, Shim};
use crate::ssh::Connection;
use crate::ssh::config;
use crate::tunnel::{Tunnel, TunnelError};
use crate::ui::Ui;
use crate::{browser, paste, ports, terminal};

/// How long codex's success page may take to reach the browser after codex has exited.
const SUCCESS_GRACE: Duration = Duration::from_secs(3);
/// How long a cancelled remote login may take to confirm that codex is gone.
const CANCEL_GRACE: Duration = Duration::from_secs(3);
/// The URL as a QR code for a phone, when stderr is a terminal wide and tall enough.
fn qr(url: &str) -> Option<String> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let text = code
        .render::<qrcode::render::unicode::Dense1x2>()
        .quiet_zone(true)
        .build();
    let (rows, cols) = console::Term::stderr().size();
    let (width, height) = (text.lines().map(|l| l.chars().count()).max()?, text.lines().count());
    (usize::from(cols) >= width && usize::from(rows) > height + 6).then_some(text)
}

/// How long codex's device codes live.
const DEVICE_EXPIRY: Duration = Duration::from_secs(15 * 60);
/// codex's last lines kept for error messages.
const KEEP_LINES: usize = 5;

/// Ctrl-C and SIGTERM, caught for the whole flow so that a cancel cleans up the host.
pub struct Interrupts {
    int: Signal,
    term: Signal,
}

impl Interrupts {
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    pub async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.int.recv() => "SIGINT",
            _ = self.term.recv() => "SIGTERM",
        }
    }
}

/// What a sign-in was asked for, shared by every host.
pub struct SignIn<'a> {
    pub args: &'a SignInArgs,
    pub common: &'a CommonArgs,
    /// The API key or access token of `--with-api-key` / `--with-access-token`.
    pub secret: Option<&'a Secret>,
    /// The PEM bundle of `--ca-cert`.
    pub ca_pem: Option<String>,
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
        Err(e @ Error::PortsBusy { .. }) if paste::from_terminal() => {
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
                Err(e)
            }
        }
        Err(e) => Err(e),
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
    let config = Arc::new(config::for_host(host_arg, &job.common.ssh, &ui)?);
    let host = config.alias.clone();
    let deadline = tokio::time::sleep(Duration::from_secs(cli.timeout));
    tokio::pin!(deadline);
    let ports = settle_ports(job, &ui).await?;

    ui.step(&format!("Connecting to {host}"));
    let conn = tokio::select! {
        conn = Connection::open(config.clone(), ui.clone()) => conn?,
        signal = interrupts.recv() => return Err(Error::Interrupted { host, signal }),
        _ = &mut deadline => return Err(Error::Timeout { secs: cli.timeout }),
    };
    let result = launch(job, &conn, ports, ui, interrupts, deadline.as_mut(), cli.skip_logged_in).await;
    conn.close().await;
    result
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
    let host = config.alias.clone();
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
    };
    // The shim reads its stdin in order: the CA bundle, then the secret, which it hands to
    // codex on a pipe.
    let stdin = [job.ca_pem.clone(), job.secret.map(|s| format!("{}\n", s.expose()))];
    let shim = match Shim::start(conn, &launch).await {
        Ok(shim) => {
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

struct Proxy {
    events: mpsc::UnboundedReceiver<CallbackEvent>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct Paste {
    authorize: Option<AuthorizeUrl>,
    tunnel: Option<Arc<Tunnel>>,
    lines: Option<mpsc::UnboundedReceiver<std::io::Result<String>>>,
    on_terminal: bool,
}

/// What codex has printed of a device-code sign-in so far.
#[derive(Default)]
struct Device {
    link: Option<String>,
    code: Option<String>,
    shown_at: Option<Instant>,
}

struct Run<'a> {
    cli: &'a SignInArgs,
    method: Method,
    host: String,
    ui: Arc<Ui>,
    conn: &'a Connection,
    before: Option<Account>,
    relays: Vec<RelayTool>,
    last_lines: VecDeque<String>,
    exited: Option<i32>,
    logged_in: bool,
    auth_file: Option<(String, String)>,
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
                out = shim.next() => {
                    let out = out.map_err(|source| Error::Protocol { host: self.host.clone(), source })?;
                    if let Output::Closed { .. } = out {
                        return self.finished();
                    }
                    self.on_output(out, listeners).await?;
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
                    | ShimEvent::Clock(_) => {}
                    ShimEvent::CaStored { path } => {
                        tracing::info!("the CA bundle is at {path} on {host} for this sign-in")
                    }
                    ShimEvent::CaFailed { why } => return Err(Error::RemoteCa { host, why }),
                    ShimEvent::Log { path } => {
                        self.log = Some(CodexLog {
                            path,
                            lines: Vec::new(),
                        })
                    }
                    ShimEvent::LogLine(line) => {
                        if let Some(log) = &mut self.log {
                            log.lines.push(redact::log_line(&line));
                        }
                    }
                    ShimEvent::Codex { source, path } => {
                        if source != CodexSource::Path {
                            tracing::info!("codex on {host} found via {source}: {path}");
                        }
                        let found_via = source.to_string();
                        self.ui.event(&Event::CodexFound {
                            host: &host,
                            path: &path,
                            found_via,
                        });
                    }
                    ShimEvent::NotFound { .. } | ShimEvent::BadOverride { .. } => {
                        return Err(Error::codex_missing(&host, &event).expect("a missing codex"));
                    }
                    ShimEvent::Before(account) => self.before = account,
                    ShimEvent::Relays(tools) => self.relays = tools,
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
                let shown = redact::printable(line.trim_end());
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
            Output::Closed { .. } => {}
        }
        Ok(())
    }

    /// `--device-auth`: codex prints the verification page and the one-time code; once both
    /// are in, they are shown (and the page opened), or refused like a bad authorize URL.
    async fn on_device_line(&mut self, line: &str) -> Result<(), Error> {
        let clean = authorize::strip_ansi(line);
        if self.device.link.is_none() && authorize::is_candidate(&clean) {
            let link = authorize::device_link(&clean, self.cli.issuer.as_deref()).map_err(|reason| Error::BadUrl {
                reason,
                shown: redact::url(clean.trim()),
            })?;
            self.device.link = Some(link);
        } else if let Some(code) = authorize::device_code(&clean).filter(|_| self.device.code.is_none()) {
            self.device.code = Some(code.to_owned());
        } else {
            self.remember(redact::printable(clean.trim()));
        }
        let (Some(link), Some(code)) = (&self.device.link, &self.device.code) else {
            return Ok(());
        };
        if self.device.shown_at.is_some() {
            return Ok(());
        }
        self.device.shown_at = Some(Instant::now());
        let host = &self.host;
        self.ui.always(&format!(
            "To sign in to Codex on {host}, open\n\n  {link}\n\nand enter the one-time code\n\n  {code}\n\n(it expires in 15 minutes; only enter it if you started this sign-in)\n"
        ));
        if !self.cli.no_browser
            && let Err(why) = browser::open(link).await
        {
            self.ui.warn(&format!(
                "could not open a browser ({why}); open the page above yourself"
            ));
        }
        self.ui.event(&Event::DeviceCode {
            host,
            url: link,
            code,
            expires_in_secs: DEVICE_EXPIRY.as_secs(),
        });
        self.ui.step(&format!("Waiting for code {code} to be approved"));
        Ok(())
    }

    /// The spinner's line while a device code waits for approval.
    fn device_countdown(&self) {
        let (Some(code), Some(shown)) = (&self.device.code, self.device.shown_at) else {
            return;
        };
        let left = DEVICE_EXPIRY.saturating_sub(shown.elapsed()).as_secs();
        self.ui.tick(&format!(
            "Waiting for code {code} to be approved ({}:{:02} left)",
            left / 60,
            left % 60
        ));
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

    /// Listens on the port the remote codex chose, starts the proxy, then shows the URL.
    async fn start_proxy(
        &mut self,
        url: AuthorizeUrl,
        listeners: &mut Option<Vec<tokio::net::TcpListener>>,
    ) -> Result<(), Error> {
        let redirect = url.redirect;
        let mut bound = listeners.take().unwrap_or_default();
        let bound_port = bound.first().and_then(|l| l.local_addr().ok()).map(|a| a.port());
        if bound_port != Some(redirect.port) {
            // The host's 1455 was busy and codex fell back to 1457: follow it.
            tracing::info!("codex on {} listens on {}; following it", self.host, redirect.port);
            bound = ports::bind(redirect.port, redirect.localhost)?;
        } else if redirect.localhost {
            bound.extend(ports::bind(redirect.port, true)?.into_iter().skip(1));
        }
        let (events_tx, events) = mpsc::unbounded_channel();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let tunnel = Arc::new(Tunnel::new(self.conn.handle.clone(), redirect.port, self.relay_tool()));
        let proxy = Arc::new(CallbackProxy {
            authorize: url.clone(),
            tunnel,
            events: events_tx,
        });
        let task = tokio::spawn(callback::serve(bound, proxy, shutdown_rx));
        self.proxy = Some(Proxy { events, shutdown, task });

        let host = &self.host;
        self.ui
            .always(&format!("Sign in to Codex for {host} at:\n\n  {}\n", url.url));
        if !self.cli.no_browser
            && let Err(why) = browser::open(&url.url).await
        {
            self.ui.warn(&format!(
                "could not open a browser ({why}); open the URL above yourself"
            ));
        }
        self.ui.event(&Event::Url {
            host,
            url: &url.url,
            callback_port: redirect.port,
        });
        self.ui.step("Waiting for you to approve the sign-in in the browser");
        self.url_shown = true;
        Ok(())
    }

    /// `--paste`: shows the URL (and a QR code for a phone), then waits for the address the
    /// browser lands on.
    async fn start_paste(&mut self, url: AuthorizeUrl) {
        let host = self.host.clone();
        let port = url.redirect.port;
        self.ui.always(&format!(
            "Sign in to Codex for {host}: open this URL on any device and approve,\n\n  {}\n",
            url.url
        ));
        if let Some(code) = qr(&url.url) {
            self.ui.always(&code);
        }
        self.ui.always(&format!(
            "Then copy the address the browser ends on (http://127.0.0.1:{port}/auth/callback?..., an error page there)\nand paste it here."
        ));
        self.ui.event(&Event::Url {
            host: &host,
            url: &url.url,
            callback_port: port,
        });
        self.ui.step("Waiting for the pasted address");
        let on_terminal = paste::from_terminal();
        let tunnel = Arc::new(Tunnel::new(self.conn.handle.clone(), port, self.relay_tool()));
        let state = self.paste.get_or_insert_with(Paste::default);
        state.lines = Some(paste::reader(on_terminal));
        state.on_terminal = on_terminal;
        state.authorize = Some(url);
        state.tunnel = Some(tunnel);
        self.url_shown = true;
    }

    /// One pasted line: checked, then delivered; a bad one asked again on a terminal.
    async fn on_paste(&mut self, line: std::io::Result<String>) -> Result<(), Error> {
        let host = self.host.clone();
        let Some(state) = self.paste.as_mut() else {
            return Ok(());
        };
        let (Some(authorize), Some(tunnel)) = (state.authorize.clone(), state.tunnel.clone()) else {
            return Ok(());
        };
        let line = line.map_err(|e| Error::Paste {
            host: host.clone(),
            why: e.to_string(),
        })?;
        let callback = match paste::check(&line, &authorize) {
            Ok(callback) => callback,
            Err(why) if state.on_terminal => {
                self.ui.warn(&format!("that address does not fit: {why}"));
                return Ok(());
            }
            Err(why) => return Err(Error::Paste { host, why }),
        };
        state.lines = None;
        self.ui.step(&format!("Finishing the sign-in on {host}"));
        let status = paste::deliver(&tunnel, authorize.redirect.port, &callback)
            .await
            .map_err(|why| Error::Paste {
                host: host.clone(),
                why: format!("codex could not be reached: {why}"),
            })?;
        tracing::debug!("pasted callback delivered to {host}; codex answered {status}");
        self.ui.event(&Event::Callback { host: &host });
        Ok(())
    }

    /// The relay for a host that forbids forwarding: `--relay` if the host has it, else the
    /// host's best.
    fn relay_tool(&self) -> Option<RelayTool> {
        let wanted = self.cli.relay.as_deref().and_then(RelayTool::parse);
        match wanted {
            Some(tool) if self.relays.contains(&tool) => Some(tool),
            Some(tool) => {
                let fallback = self.relays.first().copied();
                self.ui.warn(&format!(
                    "{} has no {tool}; relaying with {} if needed",
                    self.host,
                    fallback.map_or("nothing", RelayTool::as_str)
                ));
                fallback
            }
            None => self.relays.first().copied(),
        }
    }

    fn on_callback(&mut self, event: CallbackEvent) -> Result<(), Error> {
        match event {
            CallbackEvent::Forwarded { status } => {
                tracing::debug!("callback carried to {}; codex answered {status}", self.host);
                self.ui.event(&Event::Callback { host: &self.host });
                self.ui.step(&format!("Finishing the sign-in on {}", self.host));
            }
            CallbackEvent::Stale => self
                .ui
                .warn("the browser sent a callback from an older sign-in attempt; it was ignored"),
            CallbackEvent::SuccessServed => self.success_served = true,
            CallbackEvent::TunnelFailed(why) => self.ui.warn(&format!(
                "could not carry the browser's request to {}: {why}",
                self.host
            )),
            CallbackEvent::NoRelay => {
                return Err(Error::Tunnel {
                    host: self.host.clone(),
                    source: TunnelError::NoRelay,
                });
            }
        }
        Ok(())
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
                    Ok(Output::Event(ShimEvent::Exited { .. })) | Ok(Output::Closed { .. }) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        };
        if tokio::time::timeout(CANCEL_GRACE, confirmed).await.is_err() {
            self.ui
                .warn(&format!("{} did not confirm that codex login ended", self.host));
        }
    }

    /// Lets the browser receive codex's success page, then stops the proxy.
    async fn stop_proxy(&mut self) {
        let Some(mut proxy) = self.proxy.take() else {
            return;
        };
        if self.exited == Some(0) && !self.success_served {
            let served = async {
                while let Some(event) = proxy.events.recv().await {
                    if event == CallbackEvent::SuccessServed {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(SUCCESS_GRACE, served).await;
        }
        let _ = proxy.shutdown.send(true);
        let _ = (&mut proxy.task).await;
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
            let old_who = old.email.as_deref().unwrap_or("an API key");
            self.ui.info(&format!(
                "  Replaced the previous login ({old_who}); codex revokes its tokens."
            ));
        }
        self.ui.event(&Event::Success {
            host,
            account: &account,
            auth_file: &path,
            replaced,
        });
        Ok(account)
    }
}
