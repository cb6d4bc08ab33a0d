//! `doctor HOST`: every precondition of a sign-in, checked in order, each with what to do
//! when it fails. Read-only on both sides.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use codex_remote_login_remote::{Launch, job};
use codex_remote_login_shared::protocol::{CopyKind, DoctorEvent, HostEvent};

use crate::callback::ports;
use crate::codex::authorize::PORTS;
use crate::error::{Error, ssh_hint};
use crate::host::status::Holders;
use crate::settings::Settings;
use crate::shim::{Output, Shim, ShimError};
use crate::ui::Ui;
use crate::ui::exit::ExitStatus;
use crate::ui::json::{Check, Event, Verdict};
use ssh::{self, Connection, ForwardError, HostKeyError, config};

/// Clock difference from which tokens may look expired or not yet valid on one side.
const SKEW_WARN_SECS: i64 = 60;

fn check(name: &'static str, verdict: Verdict, detail: impl Into<String>, fix: Option<String>) -> Check {
    Check {
        name,
        verdict,
        detail: detail.into(),
        fix,
    }
}

/// The checks after the connection, skipped when it cannot be made.
const REMOTE_CHECKS: [&str; 8] = [
    "codex on the host",
    "credential store",
    "login policy",
    "TCP forwarding",
    "relay tool",
    "clocks",
    "CA bundle",
    "container copies",
];

/// Runs the checks; exit code 0 when none failed, 1 otherwise.
pub async fn run(host_arg: &str, settings: &Settings, ui: Arc<Ui>) -> Result<ExitStatus, Error> {
    ui.step(&format!("Checking {host_arg}"));
    let mut checks = local_ports();
    match config::for_host(host_arg, &settings.ssh, ui.as_ref()) {
        Err(e) => checks.push(check("ssh config", Verdict::Fail, e.to_string(), ssh_hint(&e))),
        Ok(config) => {
            let config = Arc::new(config);
            let user = config.user.clone();
            match Connection::open(config.clone(), ui.clone()).await {
                Ok(conn) => {
                    checks.push(check(
                        "reachable",
                        Verdict::Pass,
                        format!("{}:{}", config.hostname, config.port),
                        None,
                    ));
                    checks.push(check(
                        "host key",
                        Verdict::Pass,
                        format!("known as {}", config.known_hosts_name()),
                        None,
                    ));
                    checks.push(check(
                        "authentication",
                        Verdict::Pass,
                        format!("logged in as {user}"),
                        None,
                    ));
                    checks.extend(remote(&conn, settings).await);
                    conn.close().await;
                }
                Err(e) => checks.extend(connection_failure(&e)),
            }
        }
    }
    ui.finish();
    for c in &checks {
        ui.event(&Event::Check(c));
    }
    if !ui.json() {
        ui.data(&report(&checks, terminal_width()));
    }
    Ok(ExitStatus::failed_if(checks.iter().any(|c| c.verdict == Verdict::Fail)))
}

fn local_ports() -> Vec<Check> {
    let holders = PORTS.map(ports::holder);
    let all_taken = holders.iter().all(Option::is_some);
    PORTS
        .iter()
        .zip(holders)
        .map(|(port, holder)| {
            let name = if *port == PORTS[0] {
                "local port 1455"
            } else {
                "local port 1457"
            };
            match holder {
                None => check(name, Verdict::Pass, "free", None),
                Some(h) => {
                    let fix = if h.is_codex() {
                        "a local `codex login` is waiting: finish it, or sign in with --cancel-local".to_owned()
                    } else if all_taken {
                        format!("stop {h}: codex can only call back on 1455 or 1457")
                    } else {
                        "the sign-in will use the other port".to_owned()
                    };
                    check(
                        name,
                        if all_taken { Verdict::Fail } else { Verdict::Warn },
                        format!("in use by {h}"),
                        Some(fix),
                    )
                }
            }
        })
        .collect()
}

/// Which of reachable / host key / authentication failed, and what was not checked.
fn connection_failure(e: &ssh::Error) -> Vec<Check> {
    let failed = |name| check(name, Verdict::Fail, e.to_string(), ssh_hint(e));
    let passed = |name| check(name, Verdict::Pass, "", None);
    let mut checks = match e {
        ssh::Error::HostKey(HostKeyError::Record { .. }) | ssh::Error::HostKey(_) => {
            vec![passed("reachable"), failed("host key")]
        }
        ssh::Error::Auth { .. } => vec![passed("reachable"), passed("host key"), failed("authentication")],
        _ => vec![failed("reachable")],
    };
    checks.extend(
        REMOTE_CHECKS
            .iter()
            .map(|name| check(name, Verdict::Skip, "not checked", None)),
    );
    checks
}

async fn remote(conn: &Connection, settings: &Settings) -> Vec<Check> {
    let facts = match read(conn, settings).await {
        Ok(facts) => facts,
        Err(why) => {
            return vec![check(
                "codex on the host",
                Verdict::Fail,
                format!("the check itself failed: {why}"),
                None,
            )];
        }
    };
    let forwarding = forwarding(conn).await;
    vec![
        facts.codex_check(&conn.config.alias),
        facts.store_check(),
        policy_check(facts.forced_method.as_deref(), facts.forced_workspace.as_deref()),
        forwarding_check(&forwarding),
        facts.relay_check(&forwarding),
        facts.clock_check(),
        facts.ca_check(),
        facts.copies_check(&conn.config.alias),
    ]
}

/// What the host's side of `doctor` reports.
async fn read(conn: &Connection, settings: &Settings) -> Result<Facts, String> {
    let launch = Launch {
        codex: settings.codex.clone(),
        job: job::Doctor,
        inside: None,
    };
    let mut facts = Facts::default();
    let mut shim = Shim::start(conn, &launch).await.map_err(|e| e.to_string())?;
    loop {
        // Not `next_for`: a missing codex is one finding among others here.
        match shim.next().await.map_err(|e| e.to_string())? {
            Output::Host(event) => facts.host(event),
            Output::Event(event) => facts.take(event),
            Output::Stderr(_) => {}
            Output::Closed => return Ok(facts),
        }
    }
}

/// Whether the server lets the callback through a forwarded TCP connection.
fn forwarding_check(forwarding: &Result<bool, String>) -> Check {
    match forwarding {
        Ok(true) => check("TCP forwarding", Verdict::Pass, "allowed", None),
        Ok(false) => check(
            "TCP forwarding",
            Verdict::Warn,
            "forbidden by the server",
            Some("the callback is relayed through an exec channel instead".into()),
        ),
        Err(why) => check("TCP forwarding", Verdict::Warn, format!("could not tell: {why}"), None),
    }
}

/// What the host's shim reported, sanitised for people as it arrives (checks are text).
/// A CA bundle the host's environment names for codex: the variable, and the file it names.
struct CaVar {
    var: String,
    readable: bool,
    path: String,
}

#[derive(Default)]
struct Facts {
    codex: Option<String>,
    not_found: Option<String>,
    version: Option<String>,
    store: Option<String>,
    relays: Vec<codex_remote_login_remote::RelayTool>,
    /// The host's clock and ours when it arrived.
    clock: Option<(i64, i64)>,
    ca: Vec<CaVar>,
    /// The host codex's `forced_login_method` and `forced_chatgpt_workspace_id`, when set,
    /// shown escaped.
    forced_method: Option<String>,
    forced_workspace: Option<String>,
    /// The copies of the login in containers, and the keeper.
    holders: Holders,
    /// Why the containers could not be read, when they could not.
    holders_unread: Option<String>,
}

impl Facts {
    /// Where codex is, and its version.
    fn codex_check(&self, host: &str) -> Check {
        match (&self.codex, &self.not_found) {
            (Some(path), _) => check(
                "codex on the host",
                Verdict::Pass,
                format!("{path} ({})", self.version.as_deref().unwrap_or("version unknown")),
                None,
            ),
            (None, Some(searched)) => {
                let e = ShimError::CodexNotFound {
                    host: host.to_owned(),
                    searched: searched.clone(),
                };
                check("codex on the host", Verdict::Fail, e.to_string(), Some(e.hint()))
            }
            (None, None) => check(
                "codex on the host",
                Verdict::Fail,
                "not found",
                Some("pass its path with --codex".into()),
            ),
        }
    }

    /// The credential store codex is set to use.
    fn store_check(&self) -> Check {
        match self.store.as_deref() {
            Some("default" | "file") | None => check(
                "credential store",
                Verdict::Pass,
                self.store.clone().unwrap_or_default(),
                None,
            ),
            Some(other) => check(
                "credential store",
                Verdict::Warn,
                format!("{other}: codex may keep no auth.json on the host"),
                Some("sign-ins by this tool use the file store anyway; `status` reads what codex reads".into()),
            ),
        }
    }

    /// What could relay the callback where forwarding is forbidden.
    fn relay_check(&self, forwarding: &Result<bool, String>) -> Check {
        let relays: Vec<&str> = self.relays.iter().map(|t| t.as_str()).collect();
        match (relays.is_empty(), forwarding) {
            (false, _) => check("relay tool", Verdict::Pass, relays.join(", "), None),
            (true, Ok(false)) => check(
                "relay tool",
                Verdict::Fail,
                "none, and forwarding is forbidden",
                Some("install nc (or python3 or perl) on the host, or allow TCP forwarding".into()),
            ),
            (true, _) => check(
                "relay tool",
                Verdict::Pass,
                "none (not needed while forwarding is allowed)",
                None,
            ),
        }
    }

    /// How far the host's clock is from this machine's.
    fn clock_check(&self) -> Check {
        match self.clock {
            Some((theirs, ours)) => {
                let skew = theirs - ours;
                if skew.abs() >= SKEW_WARN_SECS {
                    check(
                        "clocks",
                        Verdict::Warn,
                        format!("the host's clock is {skew:+} s off this machine's"),
                        Some("sync the host's clock (NTP): tokens carry times".into()),
                    )
                } else {
                    check("clocks", Verdict::Pass, format!("within {} s", skew.abs().max(1)), None)
                }
            }
            None => check("clocks", Verdict::Warn, "the host did not tell its time", None),
        }
    }

    /// The copies of the login in the host's containers: whole ones are second writers of its
    /// refresh token; access-only ones expire unless renewed; the keeper, when started, runs.
    fn copies_check(&self, host: &str) -> Check {
        const NAME: &str = "container copies";
        if let Some(why) = &self.holders_unread {
            return check(NAME, Verdict::Warn, format!("not read: {why}"), None);
        }
        let Holders { copies, keeper } = &self.holders;
        let names = |kind: CopyKind| -> Vec<String> {
            copies
                .iter()
                .filter(|c| c.kind == kind)
                .map(|c| c.container.shown())
                .collect()
        };
        let whole = names(CopyKind::Full);
        if !whole.is_empty() {
            return check(
                NAME,
                Verdict::Warn,
                format!(
                    "{} hold the whole login: whichever refreshes first logs the others out",
                    whole.join(", ")
                ),
                Some(format!(
                    "make them access-only copies: codex-remote-login containers {host} {}",
                    whole.join(" ")
                )),
            );
        }
        if keeper.as_ref().is_some_and(|k| !k.running) {
            return check(
                NAME,
                Verdict::Warn,
                "the keeper started on the host is not running (killed, or not back after a reboot)",
                Some(format!("codex-remote-login keeper start {host} ...")),
            );
        }
        let expired: Vec<String> = copies
            .iter()
            .filter(|c| c.expires_in.is_some_and(|s| s <= 0))
            .map(|c| c.container.shown())
            .collect();
        if !expired.is_empty() {
            return check(
                NAME,
                Verdict::Warn,
                format!("the copies in {} have expired", expired.join(", ")),
                Some(format!(
                    "renew them: codex-remote-login containers {host} {}; keep them fresh: keeper start",
                    expired.join(" ")
                )),
            );
        }
        let access = names(CopyKind::Access);
        let detail = match (access.is_empty(), keeper.is_some()) {
            (true, _) => "none".to_owned(),
            (false, true) => format!("access-only in {}, kept fresh by the keeper", access.join(", ")),
            (false, false) => format!("access-only in {}", access.join(", ")),
        };
        check(NAME, Verdict::Pass, detail, None)
    }

    /// The CA bundle codex would trust on the host.
    fn ca_check(&self) -> Check {
        if self.ca.is_empty() {
            check(
                "CA bundle",
                Verdict::Pass,
                "system roots (no CODEX_CA_CERTIFICATE or SSL_CERT_FILE set)",
                None,
            )
        } else if let Some(CaVar { var, path, .. }) = self.ca.iter().find(|ca| !ca.readable) {
            check(
                "CA bundle",
                Verdict::Fail,
                format!("{var}={path} is not readable"),
                Some("point it at a readable PEM bundle, or pass one with --ca-cert".into()),
            )
        } else {
            let set: Vec<String> = self.ca.iter().map(|ca| format!("{}={}", ca.var, ca.path)).collect();
            check("CA bundle", Verdict::Pass, set.join(", "), None)
        }
    }

    fn host(&mut self, event: HostEvent) {
        match event {
            HostEvent::Codex { path, .. } => self.codex = Some(path.shown()),
            HostEvent::NotFound { searched } => self.not_found = Some(searched.shown()),
            HostEvent::BadOverride { path } => self.not_found = Some(format!("--codex {path} (not executable)")),
            HostEvent::Relays(r) => self.relays = r,
            HostEvent::Policy { method, workspace } => {
                self.forced_method = method.map(|m| m.shown());
                self.forced_workspace = workspace.map(|w| w.shown());
            }
            _ => {}
        }
    }

    fn take(&mut self, event: DoctorEvent) {
        match event {
            DoctorEvent::Version(v) => self.version = Some(v.shown()).filter(|v| !v.is_empty()),
            DoctorEvent::Store(s) => self.store = Some(s.shown()),
            DoctorEvent::Clock(theirs) => {
                let ours = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
                self.clock = Some((
                    i64::try_from(theirs).unwrap_or(i64::MAX),
                    i64::try_from(ours).unwrap_or(0),
                ));
            }
            DoctorEvent::Ca { var, readable, path } => self.ca.push(CaVar {
                var: var.shown(),
                readable,
                path: path.shown(),
            }),
            DoctorEvent::Held(held) => self.holders.take(held, self.clock.map(|(theirs, _)| theirs)),
            DoctorEvent::Aborted { why } => self.holders_unread = Some(why.shown()),
            DoctorEvent::Done => {}
        }
    }
}

/// What the host codex's config.toml forces: a restriction is no problem, but it decides which
/// sign-ins can work, so it is said (with the one that does).
fn policy_check(method: Option<&str>, workspace: Option<&str>) -> Check {
    let mut said = Vec::new();
    let mut fix = None;
    match method {
        Some("api") => {
            said.push("forced_login_method = \"api\": API keys only".to_owned());
            fix = Some("sign in with --with-api-key; browser and device-code sign-ins are refused".to_owned());
        }
        Some("chatgpt") => {
            said.push("forced_login_method = \"chatgpt\": ChatGPT logins only".to_owned());
            fix = Some("sign in with the browser, --device-auth or --paste; --with-api-key is refused".to_owned());
        }
        Some(other) => said.push(format!("forced_login_method = \"{other}\" (not a method codex knows)")),
        None => {}
    }
    if let Some(workspace) = workspace {
        said.push(format!(
            "forced_chatgpt_workspace_id = {workspace}: approve with an account in it"
        ));
    }
    if said.is_empty() {
        return check(
            "login policy",
            Verdict::Pass,
            "none (any login method, any workspace)",
            None,
        );
    }
    check("login policy", Verdict::Pass, said.join("; "), fix)
}

/// Whether the server lets a `direct-tcpip` channel through: a port nothing listens on tells
/// "forbidden" (administratively prohibited) from "allowed" (connect failed).
async fn forwarding(conn: &Connection) -> Result<bool, String> {
    match conn.forward("127.0.0.1", 9).await {
        // Dropped at once: that closes it.
        Ok(_) | Err(ForwardError::Refused(_)) => Ok(true),
        Err(ForwardError::Prohibited(_)) => Ok(false),
        Err(e @ ForwardError::Session(_)) => Err(e.to_string()),
    }
}

/// The report people read: one line per check, however long its detail, so the table stays a
/// table. On a terminal (`width`) a row too long for it is cut with `…`; what was cut, and
/// every fix, follow the table in full, each under its check's name.
pub fn report(checks: &[Check], width: Option<usize>) -> String {
    let name_width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut table = String::new();
    let mut below = String::new();
    for c in checks {
        let mark = match c.verdict {
            Verdict::Pass => "ok  ",
            Verdict::Warn => "warn",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "skip",
        };
        // A line end in a detail (an error's causes) would break the row: it is shown below.
        let first = c.detail.lines().next().unwrap_or_default();
        let row = format!("{mark}  {:<name_width$}  {first}", c.name);
        let (row, cut) = fit(row.trim_end(), width);
        table.push_str(&row);
        table.push('\n');
        if cut || first.len() != c.detail.len() || c.fix.is_some() {
            below.push_str(&format!("\n{}: {}\n", c.name, c.detail.replace('\n', "\n  ")));
            if let Some(fix) = &c.fix {
                below.push_str(&format!("  fix: {fix}\n"));
            }
        }
    }
    // The verdict last, where the eye ends.
    table.push_str(&below);
    if !below.is_empty() {
        table.push('\n');
    }
    let failed = checks.iter().filter(|c| c.verdict == Verdict::Fail).count();
    table.push_str(&if failed == 0 {
        "No problems found.".to_owned()
    } else {
        format!("{failed} problem(s) found.")
    });
    table
}

/// `line` cut to `width` characters, its last one `…`, and whether it was cut.
fn fit(line: &str, width: Option<usize>) -> (String, bool) {
    match width {
        Some(width) if width > 1 && line.chars().count() > width => {
            let mut cut: String = line.chars().take(width - 1).collect();
            cut.push('…');
            (cut, true)
        }
        _ => (line.to_owned(), false),
    }
}

/// The terminal's width when stdout is one (where a long row would wrap).
fn terminal_width() -> Option<usize> {
    let term = console::Term::stdout();
    if !term.is_term() {
        return None;
    }
    term.size_checked().map(|(_, cols)| usize::from(cols))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_one_line_and_what_is_cut_follows_in_full() {
        let long = format!(
            "/opt/{}/bin/codex (codex-cli 0.169.0)",
            "very-long-directory-name/".repeat(4)
        );
        let checks = [
            check("local port 1455", Verdict::Pass, "free", None),
            check(
                "local port 1457",
                Verdict::Warn,
                "in use by pid 42 (python3-callback-holder)",
                Some("the sign-in will use the other port".into()),
            ),
            check("codex on the host", Verdict::Pass, long.clone(), None),
            check(
                "reachable",
                Verdict::Fail,
                "cannot connect\n  caused by: refused",
                Some("check the host".into()),
            ),
        ];
        let text = report(&checks, Some(60));
        let rows: Vec<&str> = text.lines().take(checks.len()).collect();
        let below = text.lines().skip(checks.len()).collect::<Vec<_>>().join("\n");
        assert_eq!(text.lines().nth(checks.len()), Some(""), "one line per check: {text}");
        assert!(text.ends_with("\n\n1 problem(s) found."), "the verdict last: {text}");
        assert!(rows.iter().all(|r| r.chars().count() <= 60), "{text}");
        assert!(rows[2].ends_with('…'), "{text}");
        assert_eq!(rows[3], "FAIL  reachable          cannot connect");
        assert!(
            below.contains(&format!("codex on the host: {long}")),
            "cut, so in full below: {text}"
        );
        assert!(
            below.contains("local port 1457: in use by pid 42 (python3-callback-holder)\n  fix: the sign-in will use the other port"),
            "{text}"
        );
        assert!(
            below.contains("reachable: cannot connect\n    caused by: refused\n  fix: check the host"),
            "{text}"
        );
        assert!(!below.contains("local port 1455"), "nothing to add for it: {text}");
        // Not on a terminal nothing is cut: a file or a pipe does not wrap.
        assert!(report(&checks, None).contains(&long));
    }
}
