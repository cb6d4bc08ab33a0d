//! One host's sign-in once the shim runs: a small state machine driven by what the shim, the
//! browser (or the person pasting) and the outside world send, until the shim's channel closes.

use std::sync::Arc;
use std::time::Duration;

use codex_remote_login_remote::{ContainerRef, ToShim};
use codex_remote_login_shared::Untrusted;
use codex_remote_login_shared::protocol::{CodexSource, HostEvent, LoginReport, SignInEvent};
use codex_remote_login_shared::redact;

use super::context::Context;
pub use super::findings::{Findings, Policy};
use super::stop::Stop;
use super::strategy::Strategy;
use super::survey::Survey;
use crate::codex::failure::CodexFailure;
use crate::error::containers::ContainerError;
use crate::error::{CodexLog, Error};
use crate::settings::SignInSettings;
use crate::shim::{Output, Shim};
use crate::ui::Ui;
use crate::ui::json::Event;
use crate::ui::terminal;

/// How long a cancelled remote login may take to confirm that codex is gone.
const CANCEL_GRACE: Duration = Duration::from_secs(3);

/// codex's last lines kept for error messages.
const KEEP_LINES: usize = 5;

/// Where the sign-in stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// codex is starting or waiting for the person; `told`: the shim knows that codex's
    /// native process runs (see [`ToShim::Running`]).
    Running { told: bool },
    /// The host is logged in and `--skip-logged-in` was given: nothing was started.
    Skipped { done: bool },
    /// codex exited with `code`; `done` once the shim has confirmed the login.
    Exited { code: i32, done: bool },
}

pub struct Run<'a> {
    pub sign_in: &'a SignInSettings,
    /// `HOST`, or `HOST/CONTAINER` with `--login-inside`.
    pub host: String,
    pub ui: Arc<Ui>,
    /// `--login-inside`: the container whose codex signs in.
    pub inside: Option<ContainerRef>,
    pub strategy: Strategy,
    pub phase: Phase,
    pub found: Findings,
    /// The survey of the places holding the host's login, where this sign-in may revoke it.
    pub survey: Option<Survey>,
}

/// How the shim's part ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    SignedIn,
    Skipped,
}

impl<'a> Run<'a> {
    pub fn new(
        sign_in: &'a SignInSettings,
        host: String,
        ui: Arc<Ui>,
        inside: Option<ContainerRef>,
        strategy: Strategy,
    ) -> Self {
        Self {
            sign_in,
            host,
            ui,
            inside,
            strategy,
            phase: Phase::Running { told: false },
            found: Findings::default(),
            survey: None,
        }
    }

    /// Drives the sign-in until the shim's channel closes, then judges it. On any failure
    /// while codex may still run, codex is cancelled on the host; the callback proxy is
    /// always stopped.
    pub async fn drive(&mut self, shim: &mut Shim<SignInEvent>, stop: &mut Stop<'_>) -> Result<Ended, Error> {
        let result = self.until_closed(shim, stop).await;
        if result.is_err() && matches!(self.phase, Phase::Running { .. }) {
            self.cancel(shim).await;
        }
        shim.close().await;
        let signed_in = matches!(self.phase, Phase::Exited { code: 0, .. });
        self.strategy.stop(signed_in).await;
        result
    }

    /// The strategy, and what it reads of the run.
    fn strategy(&mut self) -> (&mut Strategy, Context<'_>) {
        let cx = Context {
            host: &self.host,
            ui: &self.ui,
            sign_in: self.sign_in,
            inside: self.inside.as_ref(),
            relays: &self.found.relays,
        };
        (&mut self.strategy, cx)
    }

    async fn until_closed(&mut self, shim: &mut Shim<SignInEvent>, stop: &mut Stop<'_>) -> Result<Ended, Error> {
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        let host = self.host.clone();
        loop {
            let counting_down = self.strategy.counting_down() && matches!(self.phase, Phase::Running { .. });
            tokio::select! {
                // A stop comes first: once it is seen, codex's new login is not installed.
                biased;
                error = stop.stopped(&host) => return Err(error),
                out = shim.next_for(&host) => {
                    let out = out?;
                    if let Output::Closed = out {
                        return self.finished();
                    }
                    if let Output::Event(SignInEvent::PreviousAsk) = out {
                        self.answer_previous(shim).await?;
                        continue;
                    }
                    if let Output::Event(SignInEvent::InstallAsk) = out {
                        // Not being stopped (that branch comes first): the login goes in.
                        self.found.install_sent = true;
                        shim.send(ToShim::Install).await.map_err(|_| Error::ConnectionLost {
                            host: host.clone(),
                            during: "while finishing the sign-in",
                        })?;
                        continue;
                    }
                    let started = matches!(out, Output::Event(SignInEvent::Started));
                    self.on_output(out).await?;
                    if self.phase == (Phase::Running { told: false }) && self.strategy.shown() {
                        self.phase = Phase::Running { told: true };
                        let _ = shim.send(ToShim::Running).await;
                        self.survey_now();
                    } else if started && !self.strategy.needs_url() {
                        // A key or a token: no page to wait on, the survey goes alongside codex.
                        self.survey_now();
                    }
                }
                Some(input) = self.strategy.input() => {
                    let (strategy, cx) = self.strategy();
                    strategy.on_input(input, &cx).await?;
                }
                _ = ticker.tick(), if counting_down => {
                    let (strategy, cx) = self.strategy();
                    strategy.tick(&cx);
                }
            }
        }
    }

    async fn on_output(&mut self, out: Output<SignInEvent>) -> Result<(), Error> {
        let host = self.host.clone();
        match out {
            Output::Host(event) => {
                tracing::debug!("shim: {event:?}");
                self.on_host(event)?;
            }
            Output::Event(event) => {
                tracing::debug!("shim: {event:?}");
                self.on_event(event)?;
            }
            Output::Stderr(line) => {
                // codex's output may carry a code or a token: redacted even at -vvv.
                let line = line.into_raw();
                let shown = redact::log_line(line.trim_end());
                tracing::debug!("codex on {host}: {shown}");
                let (strategy, cx) = self.strategy();
                if let Some(kept) = strategy.on_line(&line, &cx).await? {
                    self.remember(kept);
                }
            }
            Output::Closed => {}
        }
        Ok(())
    }

    /// The host's report, before codex starts.
    fn on_host(&mut self, event: HostEvent) -> Result<(), Error> {
        let host = self.host.clone();
        match event {
            HostEvent::Hello => {}
            // A missing codex ends `Shim::next_for` before it gets here.
            HostEvent::NotFound { .. } | HostEvent::BadOverride { .. } => {}
            // `--login-inside`: the container is not there to sign in.
            HostEvent::NoContainer { name, why } => {
                return Err(ContainerError::Unreachable {
                    name: name.shown(),
                    why: why.shown(),
                }
                .into());
            }
            HostEvent::Codex { source, path } => {
                if source != CodexSource::Path {
                    tracing::info!("codex on {host} found via {source}: {path}");
                }
                self.ui.event(&Event::CodexFound {
                    host: &host,
                    path: path.raw(),
                    found_via: source.to_string(),
                });
            }
            HostEvent::CaStored { path } => tracing::info!("the CA bundle is at {path} on {host} for this sign-in"),
            HostEvent::CaFailed { why } => return Err(Error::RemoteCa { host, why: why.shown() }),
            HostEvent::Before(account) => self.found.before = account,
            HostEvent::Refreshed(_) => {}
            HostEvent::Relays(tools) => self.found.relays = tools,
            HostEvent::Policy { method, workspace } => {
                if let Some(workspace) = &workspace
                    && !matches!(self.strategy, Strategy::Secret)
                {
                    // codex would refuse another workspace only after the approval.
                    self.ui.info(&format!(
                        "{host}'s codex accepts only workspace {workspace} (forced_chatgpt_workspace_id): approve with an account in it."
                    ));
                }
                self.found.policy = Policy { method, workspace };
            }
            HostEvent::Ready => {
                // Inside a container the relay is the only way in: without one, stop before
                // any browser is opened.
                if let Some(container) = &self.inside
                    && self.found.relays.is_empty()
                    && self.strategy.needs_url()
                {
                    return Err(ContainerError::Unreachable {
                        name: container.name.clone(),
                        why: "it has none of nc, python3, perl or bash to carry the browser's callback in with".into(),
                    }
                    .into());
                }
            }
        }
        Ok(())
    }

    /// The sign-in's own events, once the report is made.
    fn on_event(&mut self, event: SignInEvent) -> Result<(), Error> {
        let host = self.host.clone();
        match event {
            SignInEvent::Started => {}
            SignInEvent::PolicyRefused => {
                return Err(Error::LoginMethodForced {
                    host,
                    forced: self
                        .found
                        .policy
                        .method
                        .as_ref()
                        .map_or_else(|| "another".to_owned(), Untrusted::shown),
                });
            }
            SignInEvent::Log { path } => {
                self.found.log = Some(CodexLog {
                    path: path.shown(),
                    lines: Vec::new(),
                })
            }
            SignInEvent::LogLine(line) => {
                if let Some(log) = &mut self.found.log {
                    // Redacted as it was parsed.
                    log.lines.push(line);
                }
            }
            SignInEvent::StoreRefused { store } => {
                return Err(Error::KeyringStore {
                    host,
                    store: store.shown(),
                    consequence: "it would never read the login this tool makes; nothing was started",
                });
            }
            SignInEvent::Busy => return Err(Error::SignInBusy { host }),
            // Said when the host had a login; [`Findings::tell_kept`] says it whatever ended the run.
            SignInEvent::Kept => {}
            SignInEvent::Installed => self.found.installed = true,
            SignInEvent::Store(store) => self.found.store = Some(store),
            SignInEvent::NoLock { dir } => self.ui.warn(&format!(
                "{host} has no flock, perl or python3 to take codex's lock on {dir} with: the new login was moved in without it"
            )),
            SignInEvent::InstallFailed { why } => {
                return Err(Error::NotInstalled { host, why: why.shown() });
            }
            SignInEvent::Previous(previous) => self.found.previous = Some(previous),
            // Answered in `run`, which has the shim.
            SignInEvent::PreviousAsk | SignInEvent::InstallAsk => {}
            SignInEvent::Skipped => self.phase = Phase::Skipped { done: false },
            SignInEvent::Exited { code } => {
                if let Phase::Running { .. } = self.phase {
                    self.phase = Phase::Exited { code, done: false };
                    if code == 0 {
                        self.ui.step(&format!("Checking the login on {host}"));
                    }
                }
            }
            SignInEvent::Report(report) => match report {
                LoginReport::Status { logged_in } => self.found.logged_in = logged_in,
                LoginReport::AuthFile { mode, path } => self.found.auth_file = Some((mode, path)),
                LoginReport::AuthFileMissing { path } => {
                    return Err(Error::NotSaved {
                        host,
                        problem: format!("{path} is missing"),
                    });
                }
                LoginReport::Account(account) => self.found.account = Some(account),
            },
            SignInEvent::Done => match &mut self.phase {
                Phase::Skipped { done } | Phase::Exited { done, .. } => *done = true,
                Phase::Running { .. } => {}
            },
        }
        Ok(())
    }

    /// Starts the survey of the places holding the host's login, where there is a ChatGPT
    /// login this sign-in may revoke: after the URL is shown, so as not to delay it.
    fn survey_now(&mut self) {
        let revocable = self.found.before.as_ref().is_some_and(|b| b.auth_mode == "chatgpt");
        if let Some(survey) = self.survey.as_mut().filter(|_| revocable) {
            survey.start();
        }
    }

    /// The shim is about to revoke the login the new one replaced: the other places holding
    /// it are named, and it is revoked only where none does, or the person agrees. Without a
    /// terminal it is kept (as a backup on the host), never revoked behind the user's back.
    async fn answer_previous(&mut self, shim: &mut Shim<SignInEvent>) -> Result<(), Error> {
        let holders = match self.survey.as_mut() {
            Some(survey) => survey.holders().await,
            None => Ok(Vec::new()),
        };
        let proceed = match holders {
            Ok(holders) if holders.is_empty() => true,
            Ok(holders) => {
                let agreed = self.agree_to_revoke(&holders);
                self.found.previous_holders = holders;
                agreed
            }
            Err(e) => {
                self.ui.warn(&format!(
                    "{}: cannot tell which other places hold the login being replaced ({e}): it is kept, not revoked",
                    self.host
                ));
                false
            }
        };
        let answer = if proceed { ToShim::Proceed } else { ToShim::Leave };
        shim.send(answer).await.map_err(|_| Error::ConnectionLost {
            host: self.host.clone(),
            during: "while answering whether to revoke the login it replaced",
        })
    }

    /// Whether the person at the terminal agrees to revoke the replaced login that `holders`
    /// hold too; no terminal, no.
    fn agree_to_revoke(&self, holders: &[String]) -> bool {
        if !terminal::available() {
            return false;
        }
        let who = self
            .found
            .before
            .as_ref()
            .and_then(|b| b.email.as_ref())
            .map_or("the previous login".to_owned(), Untrusted::shown);
        let question = format!(
            "Revoke the login {host} had ({who})? {} hold it too and would be signed out. [y/N] ",
            holders.join(", "),
            host = self.host
        );
        self.ui
            .suspend(|| terminal::ask(&question))
            .is_ok_and(|a| a.trim().eq_ignore_ascii_case("y"))
    }

    fn remember(&mut self, shown: String) {
        if shown.is_empty() {
            return;
        }
        let lines = &mut self.found.last_lines;
        if lines.len() == KEEP_LINES {
            lines.pop_front();
        }
        lines.push_back(shown);
    }

    /// The channel closed: judge the outcome.
    fn finished(&mut self) -> Result<Ended, Error> {
        let host = self.host.clone();
        let last_lines: Vec<String> = self.found.last_lines.iter().cloned().collect();
        match self.phase {
            Phase::Running { .. } => Err(Error::ConnectionLost {
                host,
                during: if self.strategy.shown() {
                    "while waiting for the browser"
                } else {
                    "while starting codex"
                },
            }),
            Phase::Skipped { done: true } => Ok(Ended::Skipped),
            Phase::Skipped { done: false } => Err(Error::ConnectionLost {
                host,
                during: "while checking the login",
            }),
            Phase::Exited { .. } if self.strategy.needs_url() && !self.strategy.shown() => Err(Error::NoUrl {
                host,
                why: CodexFailure::of(&last_lines),
                last_lines,
            }),
            Phase::Exited { code: 0, done: false } => Err(Error::ConnectionLost {
                host,
                during: "while checking the login",
            }),
            Phase::Exited { code: 0, done: true } => Ok(Ended::SignedIn),
            Phase::Exited { code, .. } => Err(Error::CodexFailed {
                host,
                code,
                why: CodexFailure::of(&last_lines),
                last_lines,
                log: self.found.log.take(),
            }),
        }
    }

    /// Ends `codex login` on the host, and waits (bounded) for the shim to confirm it.
    async fn cancel(&mut self, shim: &mut Shim<SignInEvent>) {
        shim.cancel().await;
        let confirmed = async {
            loop {
                match shim.next().await {
                    Ok(Output::Event(SignInEvent::Exited { .. })) | Ok(Output::Closed) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        };
        if tokio::time::timeout(CANCEL_GRACE, confirmed).await.is_err() {
            self.ui
                .warn(&format!("{} did not confirm that codex login ended", self.host));
        }
    }
}

/// The sign-in's core driven in this process by a stand-in shim (a `/bin/sh` script speaking
/// the shim's protocol): its states and outcomes without SSH or a host. Unix only: the Windows
/// build's unit tests run under Wine, whose Windows pipes do not reach a Unix `/bin/sh`.
#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::settings::{Browser, Method};
    use crate::signin::Interrupts;
    use crate::ui::{Ui, Verbosity};

    /// The shim's `say`, and the start every launch reports.
    const PRELUDE: &str = "say() { printf 'crl1 %s\\n' \"$*\"; }\n\
                           say hello 2\nsay codex path /usr/bin/codex\nsay before none\nsay relays nc\nsay ready\n";

    /// A login confirmed as the shim confirms it.
    const CONFIRMED: &str = "say exited 0\nsay status logged-in\nsay authfile -rw------- /h/.codex/auth.json\n\
                             say account chatgpt a@b.c plus\nsay done\n";

    /// Drives `script` as the shim of a sign-in by `method` (the browser never opened),
    /// within `timeout` seconds.
    async fn drive(method: Method, script: &str, timeout: u64) -> (Result<Ended, Error>, Findings, Phase) {
        let sign_in = SignInSettings {
            method,
            paste: false,
            ca: None,
            skip_logged_in: false,
            cancel_local: false,
            relay: None,
            browser: Browser::PrintOnly,
            timeout: Duration::from_secs(timeout),
            issuer: None,
            containers: Vec::new(),
        };
        let ui = Arc::new(Ui::new(false, Verbosity::Quiet));
        let strategy = match sign_in.method {
            Method::Device => Strategy::Device(Default::default()),
            _ => Strategy::Secret,
        };
        let mut run = Run::new(&sign_in, "h".into(), ui, None, strategy);
        let mut shim = Shim::scripted(&format!("{PRELUDE}{script}")).unwrap();
        let mut interrupts = Interrupts::new().unwrap();
        let mut stop = Stop::new(&mut interrupts, sign_in.timeout);
        let ended = run.drive(&mut shim, &mut stop).await;
        let _ = run
            .found
            .summary(&run.host, &run.ui)
            .map(|a| run.found.account = Some(a));
        (ended, run.found, run.phase)
    }

    #[tokio::test]
    async fn a_key_sign_in_ends_signed_in_and_names_the_account() {
        let (ended, found, phase) = drive(Method::ApiKey, &format!("say started\n{CONFIRMED}"), 30).await;
        assert_eq!(ended.unwrap(), Ended::SignedIn);
        assert_eq!(phase, Phase::Exited { code: 0, done: true });
        let account = found.account.unwrap();
        assert_eq!(account.email.unwrap(), "a@b.c");
        assert_eq!(found.auth_file.unwrap().1, "/h/.codex/auth.json");
    }

    #[tokio::test]
    async fn a_logged_in_host_is_skipped() {
        let (ended, _, phase) = drive(Method::ApiKey, "say skipped\nsay exited 0\nsay done\n", 30).await;
        assert_eq!(ended.unwrap(), Ended::Skipped);
        assert_eq!(phase, Phase::Skipped { done: true });
    }

    #[tokio::test]
    async fn codex_failing_says_what_codex_said_last() {
        let script = "say started\necho 'Error logging in: the issuer said no' >&2\nsay exited 1\nsay done\n";
        let (ended, _, _) = drive(Method::ApiKey, script, 30).await;
        match ended {
            Err(Error::CodexFailed {
                code: 1, last_lines, ..
            }) => {
                assert_eq!(last_lines, ["Error logging in: the issuer said no"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_channel_closed_early_is_a_lost_connection_at_the_step_it_was() {
        let (ended, _, _) = drive(Method::ApiKey, "say started\n", 30).await;
        assert!(
            matches!(
                ended,
                Err(Error::ConnectionLost {
                    during: "while starting codex",
                    ..
                })
            ),
            "{ended:?}"
        );
        let (ended, _, _) = drive(Method::ApiKey, "say started\nsay exited 0\n", 30).await;
        assert!(
            matches!(
                ended,
                Err(Error::ConnectionLost {
                    during: "while checking the login",
                    ..
                })
            ),
            "{ended:?}"
        );
    }

    /// The device code is shown once both its lines are in, and the shim is told once that
    /// codex runs; a line that is neither is kept for the error message.
    #[tokio::test]
    async fn a_device_code_is_shown_and_the_shim_told_once() {
        let dir = std::env::temp_dir().join(format!("crl-run-device-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let told = dir.join("told");
        let script = format!(
            "say started\n\
             printf 'Welcome\\n\\033[94mhttps://auth.openai.com/codex/device\\033[0m\\n\\033[94mABCD-12345\\033[0m\\n' >&2\n\
             read line; printf '%s\\n' \"$line\" >{told}\n{CONFIRMED}",
            told = told.display()
        );
        let (ended, found, _) = drive(Method::Device, &script, 30).await;
        assert_eq!(ended.unwrap(), Ended::SignedIn);
        assert_eq!(std::fs::read_to_string(&told).unwrap(), ToShim::Running.encode());
        assert_eq!(found.last_lines, ["Welcome"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// `--timeout` passing is the one stop value: codex is cancelled on the host (the shim
    /// reads `cancel`), and the error is the timeout's.
    #[tokio::test]
    async fn the_deadline_cancels_codex_on_the_host() {
        let dir = std::env::temp_dir().join(format!("crl-run-stop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let heard = dir.join("heard");
        let script = format!(
            "say started\nread line; printf '%s\\n' \"$line\" >{heard}\nsay exited 130\n",
            heard = heard.display()
        );
        let (ended, _, phase) = drive(Method::ApiKey, &script, 1).await;
        assert!(matches!(ended, Err(Error::Timeout { secs: 1 })), "{ended:?}");
        assert_eq!(std::fs::read_to_string(&heard).unwrap(), ToShim::Cancel.encode());
        assert_eq!(phase, Phase::Running { told: false });
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
