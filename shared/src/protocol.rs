//! The line protocol the remote shim writes on its stdout.
//!
//! The shim is a POSIX `sh` program, so the framing is what `printf` can produce safely: one
//! event per line, `crl1 <kind> <fields...>`, fields separated by single spaces, and only the
//! last field of a kind may contain spaces (it runs to the end of the line). Lines without the
//! prefix are not ours (a user's shell start-up files may print on stdout) and are skipped.

use std::fmt;

use crate::redact;
use crate::untrusted::Untrusted;

/// Version of this protocol; the shim announces it in its first event.
pub const PROTOCOL_VERSION: u32 = 1;

/// Every event line starts with this.
pub const PREFIX: &str = "crl1 ";

/// Where the shim found the codex it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodexSource {
    /// `--codex PATH` on the command line.
    Override,
    /// The PATH of the non-interactive exec.
    Path,
    /// The PATH of the user's login shell (npm, nvm and `~/.local/bin` installs).
    LoginShell,
    /// A well-known install directory.
    KnownDir,
}

impl CodexSource {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "override" => Self::Override,
            "path" => Self::Path,
            "login-shell" => Self::LoginShell,
            "known-dir" => Self::KnownDir,
            _ => return None,
        })
    }
}

impl fmt::Display for CodexSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Override => "--codex",
            Self::Path => "PATH",
            Self::LoginShell => "login shell PATH",
            Self::KnownDir => "a well-known install directory",
        })
    }
}

/// A program on the host that can join a channel's stdin/stdout to a TCP port on its
/// loopback, for hosts whose sshd forbids TCP forwarding. In order of preference: `nc` and the
/// scripting languages end when either side closes; bash's `/dev/tcp` leaves a reader behind
/// until the other side closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RelayTool {
    Nc,
    Python3,
    Perl,
    Bash,
}

impl RelayTool {
    pub const ALL: [Self; 4] = [Self::Nc, Self::Python3, Self::Perl, Self::Bash];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nc => "nc",
            Self::Python3 => "python3",
            Self::Perl => "perl",
            Self::Bash => "bash",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl fmt::Display for RelayTool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event from the shim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShimEvent {
    /// First line: protocol version and the shim's pid on the host.
    Hello { version: u32, pid: u32 },
    /// codex was found.
    Codex { source: CodexSource, path: Untrusted },
    /// codex was not found; `searched` lists where the shim looked.
    NotFound { searched: Untrusted },
    /// `--codex PATH` does not name an executable file.
    BadOverride { path: Untrusted },
    /// The login that was on the host before this run, if any.
    Before(Option<Account>),
    /// `last_refresh` of the host's auth.json (RFC 3339), when it has one.
    Refreshed(Option<Untrusted>),
    /// The credential store setting in the host's config.toml (`default` when unset).
    Store(Untrusted),
    /// The access token's expiry and the host's clock, both Unix seconds.
    Expires { at: Option<u64>, now: u64 },
    /// The host's auth.json was copied here before being replaced.
    Backup { path: Untrusted },
    /// A pushed auth.json is in place.
    Pushed,
    /// A push did not complete; the host's auth.json is untouched.
    PushFailed { why: Untrusted },
    /// `codex --version` on the host.
    Version(Untrusted),
    /// A CA bundle variable set in the host's environment, and whether its file is readable.
    Ca {
        var: Untrusted,
        readable: bool,
        path: Untrusted,
    },
    /// The host's clock, Unix seconds.
    Clock(u64),
    /// The CA bundle sent with `--ca-cert` is in place at this (private, temporary) path.
    CaStored { path: Untrusted },
    /// The CA bundle asked for could not be used.
    CaFailed { why: Untrusted },
    /// codex's own log on the host, whose last lines follow as `LogLine`s.
    Log { path: Untrusted },
    /// One of the last lines of codex's log, redacted ([`redact::log_line`]) as it is parsed:
    /// the raw line is never kept, so no `-v` can show it.
    LogLine(String),
    /// The relay tools the host has, best first (empty when it has none).
    Relays(Vec<RelayTool>),
    /// `codex login` was started with this pid.
    Started { pid: u32 },
    /// `codex login` ended with this exit status (128+N for signal N).
    Exited { code: i32 },
    /// `codex login status` after the login: did codex itself see a login?
    Status { logged_in: bool },
    /// The auth.json the login wrote: its `ls -l` permission string and path.
    AuthFile { mode: Untrusted, path: Untrusted },
    /// auth.json is missing where it should be.
    AuthFileMissing { path: Untrusted },
    /// The account of the fresh login.
    Account(Account),
    /// `containers`: the host's auth.json is in container `name` (run by `engine`, as
    /// `user`), in `dir`; the one it replaced kept as `auth.json.bak-STAMP` there.
    CtrCopied {
        name: Untrusted,
        engine: Untrusted,
        user: Untrusted,
        backup: Option<Untrusted>,
        dir: Untrusted,
    },
    /// `containers`: the next `CtrCopied` for `name` came by the engine's archive copy (the
    /// container is stopped or has no shell), not an atomic rename.
    CtrArchived { name: Untrusted },
    /// `containers`: the container's copy was refreshed more recently than the host's: kept.
    CtrFresher {
        name: Untrusted,
        engine: Untrusted,
        user: Untrusted,
        dir: Untrusted,
    },
    /// `containers`: nothing was written into `name`, because `why`.
    CtrFailed { name: Untrusted, why: Untrusted },
    /// `containers`, `collect`: the host has no auth.json to copy (or to compare with).
    CtrNoLogin { path: Untrusted },
    /// `containers`, `collect`: the host's auth.json is not a login codex can use.
    CtrBadLogin { path: Untrusted },
    /// `containers`, `collect`: the work could not start on the host, because `why`.
    CtrAborted { why: Untrusted },
    /// `collect`: container `name`'s login, refreshed at `refreshed`: `none` (it has none),
    /// `other-account` (another user or account, or another API key), `older` (no fresher
    /// than the host's or a fresher one), `fresher`, `future` (its last_refresh is ahead of the host's
    /// clock), `malformed` (not a login codex can use), `too-large`.
    ColSeen {
        name: Untrusted,
        engine: Untrusted,
        verdict: Untrusted,
        refreshed: Option<Untrusted>,
    },
    /// `collect`: `name` holds the freshest login of the host's own identity (its email,
    /// from the id_token, when it names one). The shim waits for `take` or `abort` on stdin.
    ColAsk { name: Untrusted, email: Option<Untrusted> },
    /// `push`, `collect`: no flock, perl or python3 on the host to take codex's lock on the
    /// auth.json in `dir` with: it was replaced without it.
    NoLock { dir: Untrusted },
    /// `collect`: the host's auth.json is now `name`'s; the old one kept at `backup`.
    ColTook { name: Untrusted, backup: Untrusted },
    /// `collect`: the host's auth.json could not be replaced (and is unchanged).
    ColFailed { why: Untrusted },
    /// `--skip-logged-in`: the host is signed in already; nothing was launched.
    Skipped,
    /// The shim is done and about to exit.
    Done,
}

/// Who is signed in: never a token, only what a person may see.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Account {
    /// `chatgpt` or `apikey` (codex's `auth_mode`).
    pub auth_mode: Untrusted,
    /// The account's email, from the id_token's claims.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Untrusted>,
    /// The ChatGPT plan, from the id_token's claims.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Untrusted>,
}

/// A line that carries our prefix but does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("the remote shim sent a malformed `{kind}` event")]
    Malformed { kind: Untrusted },
    #[error("the remote shim sent an unknown event `{kind}`")]
    Unknown { kind: Untrusted },
    #[error("the remote shim speaks protocol {found}, this tool speaks {PROTOCOL_VERSION}")]
    Version { found: u32 },
}

fn num<T: std::str::FromStr>(field: &str, kind: &str) -> Result<T, ProtocolError> {
    field
        .parse()
        .map_err(|_| ProtocolError::Malformed { kind: kind.into() })
}

/// `-` stands for "none" in the shim's fields.
fn opt(field: &str) -> Option<Untrusted> {
    (field != "-" && !field.is_empty()).then(|| field.into())
}

/// Every event kind [`ShimEvent::parse`] knows, for the test that the scripts say each.
pub const KINDS: &[&str] = &[
    "hello",
    "codex",
    "not-found",
    "bad-override",
    "before",
    "account",
    "started",
    "exited",
    "status",
    "authfile",
    "refreshed",
    "store",
    "expires",
    "backup",
    "pushed",
    "log",
    "version",
    "ca",
    "ca-stored",
    "ca-failed",
    "clock",
    "logline",
    "push-failed",
    "relays",
    "done",
    "skipped",
    "ctr-copied",
    "ctr-fresher",
    "ctr-failed",
    "ctr-archived",
    "ctr-nologin",
    "ctr-badlogin",
    "ctr-aborted",
    "col-seen",
    "col-took",
    "col-failed",
    "col-ask",
    "nolock",
];

impl ShimEvent {
    /// Parses one line of the shim's stdout; `Ok(None)` for lines that are not ours.
    pub fn parse(line: &str) -> Result<Option<Self>, ProtocolError> {
        let Some(rest) = line.trim_end_matches(['\r', '\n']).strip_prefix(PREFIX) else {
            return Ok(None);
        };
        let (kind, args) = rest.split_once(' ').unwrap_or((rest, ""));
        let malformed = || ProtocolError::Malformed { kind: kind.into() };
        let mut fields = args.splitn(3, ' ');
        let mut next = || fields.next().ok_or_else(malformed);
        let event = match kind {
            "hello" => {
                let version = num(next()?, kind)?;
                if version != PROTOCOL_VERSION {
                    return Err(ProtocolError::Version { found: version });
                }
                Self::Hello {
                    version,
                    pid: num(next()?, kind)?,
                }
            }
            "codex" => {
                let (source, path) = args.split_once(' ').ok_or_else(malformed)?;
                let source = CodexSource::parse(source).ok_or_else(malformed)?;
                Self::Codex {
                    source,
                    path: path.into(),
                }
            }
            "not-found" => Self::NotFound { searched: args.into() },
            "bad-override" => Self::BadOverride { path: args.into() },
            "before" => match next()? {
                "none" => Self::Before(None),
                mode => {
                    let email = opt(next()?);
                    let plan = opt(next().unwrap_or("-"));
                    Self::Before(Some(Account {
                        auth_mode: mode.into(),
                        email,
                        plan,
                    }))
                }
            },
            "account" => {
                let auth_mode = next()?.into();
                let email = opt(next()?);
                let plan = opt(next().unwrap_or("-"));
                Self::Account(Account { auth_mode, email, plan })
            }
            "started" => Self::Started {
                pid: num(next()?, kind)?,
            },
            "exited" => Self::Exited {
                code: num(next()?, kind)?,
            },
            "status" => match args {
                "logged-in" => Self::Status { logged_in: true },
                "not-logged-in" => Self::Status { logged_in: false },
                _ => return Err(malformed()),
            },
            "authfile" => {
                let (mode, path) = args.split_once(' ').ok_or_else(malformed)?;
                if mode == "missing" {
                    Self::AuthFileMissing { path: path.into() }
                } else {
                    Self::AuthFile {
                        mode: mode.into(),
                        path: path.into(),
                    }
                }
            }
            "refreshed" => Self::Refreshed(opt(args)),
            "store" => Self::Store(args.into()),
            "expires" => {
                let at = next()?;
                let at = if at == "-" { None } else { Some(num(at, kind)?) };
                Self::Expires {
                    at,
                    now: num(next()?, kind)?,
                }
            }
            "backup" => Self::Backup { path: args.into() },
            "pushed" => Self::Pushed,
            "log" => Self::Log { path: args.into() },
            "version" => Self::Version(args.into()),
            "ca" => {
                let var = next()?.into();
                let readable = match next()? {
                    "ok" => true,
                    "missing" => false,
                    _ => return Err(malformed()),
                };
                Self::Ca {
                    var,
                    readable,
                    path: next()?.into(),
                }
            }
            "ca-stored" => Self::CaStored { path: args.into() },
            "ca-failed" => Self::CaFailed { why: args.into() },
            "clock" => Self::Clock(num(next()?, kind)?),
            "logline" => Self::LogLine(redact::log_line(args)),
            "push-failed" => Self::PushFailed { why: args.into() },
            "relays" => Self::Relays(args.split_whitespace().filter_map(RelayTool::parse).collect()),
            "done" => Self::Done,
            "skipped" => Self::Skipped,
            "ctr-copied" => {
                let mut f = args.splitn(5, ' ');
                let mut field = || f.next().map(Untrusted::from).ok_or_else(malformed);
                let (name, engine, user, backup) = (field()?, field()?, field()?, field()?);
                Self::CtrCopied {
                    name,
                    engine,
                    user,
                    backup: opt(backup.raw()),
                    dir: field()?,
                }
            }
            "ctr-fresher" => {
                let mut f = args.splitn(4, ' ');
                let mut field = || f.next().map(Untrusted::from).ok_or_else(malformed);
                Self::CtrFresher {
                    name: field()?,
                    engine: field()?,
                    user: field()?,
                    dir: field()?,
                }
            }
            "ctr-failed" => {
                let (name, why) = args.split_once(' ').ok_or_else(malformed)?;
                Self::CtrFailed {
                    name: name.into(),
                    why: why.into(),
                }
            }
            "ctr-archived" => Self::CtrArchived { name: args.into() },
            "ctr-nologin" => Self::CtrNoLogin { path: args.into() },
            "ctr-badlogin" => Self::CtrBadLogin { path: args.into() },
            "ctr-aborted" => Self::CtrAborted { why: args.into() },
            "col-seen" => {
                let mut f = args.splitn(4, ' ');
                let mut field = || f.next().map(Untrusted::from).ok_or_else(malformed);
                let (name, engine, verdict, refreshed) = (field()?, field()?, field()?, field()?);
                Self::ColSeen {
                    name,
                    engine,
                    verdict,
                    refreshed: opt(refreshed.raw()),
                }
            }
            "col-took" => {
                let (name, backup) = args.split_once(' ').ok_or_else(malformed)?;
                Self::ColTook {
                    name: name.into(),
                    backup: backup.into(),
                }
            }
            "col-failed" => Self::ColFailed { why: args.into() },
            "col-ask" => {
                let (name, email) = args.split_once(' ').ok_or_else(malformed)?;
                Self::ColAsk {
                    name: name.into(),
                    email: opt(email),
                }
            }
            "nolock" => Self::NoLock { dir: args.into() },
            _ => {
                return Err(ProtocolError::Unknown { kind: kind.into() });
            }
        };
        Ok(Some(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> ShimEvent {
        ShimEvent::parse(line).unwrap().unwrap()
    }

    #[test]
    fn foreign_lines_are_skipped() {
        assert_eq!(ShimEvent::parse("Welcome to Ubuntu"), Ok(None));
        assert_eq!(ShimEvent::parse(""), Ok(None));
    }

    #[test]
    fn every_kind_parses() {
        assert_eq!(parse("crl1 hello 1 4242\n"), ShimEvent::Hello { version: 1, pid: 4242 });
        assert_eq!(
            parse("crl1 codex login-shell /home/a b/.npm/bin/codex"),
            ShimEvent::Codex {
                source: CodexSource::LoginShell,
                path: "/home/a b/.npm/bin/codex".into()
            }
        );
        assert_eq!(
            parse("crl1 not-found PATH ~/.local/bin"),
            ShimEvent::NotFound {
                searched: "PATH ~/.local/bin".into()
            }
        );
        assert_eq!(
            parse("crl1 bad-override /x y"),
            ShimEvent::BadOverride { path: "/x y".into() }
        );
        assert_eq!(parse("crl1 before none"), ShimEvent::Before(None));
        assert_eq!(
            parse("crl1 before chatgpt a@b.c plus"),
            ShimEvent::Before(Some(Account {
                auth_mode: "chatgpt".into(),
                email: Some("a@b.c".into()),
                plan: Some("plus".into())
            }))
        );
        assert_eq!(
            parse("crl1 account apikey - -"),
            ShimEvent::Account(Account {
                auth_mode: "apikey".into(),
                email: None,
                plan: None
            })
        );
        assert_eq!(parse("crl1 started 77"), ShimEvent::Started { pid: 77 });
        assert_eq!(parse("crl1 exited 143"), ShimEvent::Exited { code: 143 });
        assert_eq!(parse("crl1 status logged-in"), ShimEvent::Status { logged_in: true });
        assert_eq!(
            parse("crl1 status not-logged-in"),
            ShimEvent::Status { logged_in: false }
        );
        assert_eq!(
            parse("crl1 authfile -rw------- /h/.codex/auth.json"),
            ShimEvent::AuthFile {
                mode: "-rw-------".into(),
                path: "/h/.codex/auth.json".into()
            }
        );
        assert_eq!(
            parse("crl1 authfile missing /h/.codex/auth.json"),
            ShimEvent::AuthFileMissing {
                path: "/h/.codex/auth.json".into()
            }
        );
        assert_eq!(parse("crl1 done"), ShimEvent::Done);
        assert_eq!(parse("crl1 skipped"), ShimEvent::Skipped);
        assert_eq!(
            parse("crl1 ctr-copied web docker dev 20261125T1-7 /home/d ev/.codex"),
            ShimEvent::CtrCopied {
                name: "web".into(),
                engine: "docker".into(),
                user: "dev".into(),
                backup: Some("20261125T1-7".into()),
                dir: "/home/d ev/.codex".into()
            }
        );
        assert_eq!(
            parse("crl1 ctr-fresher web podman 1000:1000 /root/.codex"),
            ShimEvent::CtrFresher {
                name: "web".into(),
                engine: "podman".into(),
                user: "1000:1000".into(),
                dir: "/root/.codex".into()
            }
        );
        assert_eq!(
            parse("crl1 col-seen web docker other-account 2026-01-02T03:04:05"),
            ShimEvent::ColSeen {
                name: "web".into(),
                engine: "docker".into(),
                verdict: "other-account".into(),
                refreshed: Some("2026-01-02T03:04:05".into()),
            }
        );
        assert_eq!(
            parse("crl1 col-took web /home/a b/.codex/auth.json.bak-1"),
            ShimEvent::ColTook {
                name: "web".into(),
                backup: "/home/a b/.codex/auth.json.bak-1".into(),
            }
        );
        assert_eq!(
            parse("crl1 col-ask web a@b.c"),
            ShimEvent::ColAsk {
                name: "web".into(),
                email: Some("a@b.c".into()),
            }
        );
        assert_eq!(
            parse("crl1 col-ask web -"),
            ShimEvent::ColAsk {
                name: "web".into(),
                email: None,
            }
        );
        assert_eq!(
            parse("crl1 nolock /h/.codex"),
            ShimEvent::NoLock {
                dir: "/h/.codex".into()
            }
        );
        assert_eq!(
            parse("crl1 ctr-failed web it is stopped"),
            ShimEvent::CtrFailed {
                name: "web".into(),
                why: "it is stopped".into()
            }
        );
        assert_eq!(
            parse("crl1 relays nc perl"),
            ShimEvent::Relays(vec![RelayTool::Nc, RelayTool::Perl])
        );
        assert_eq!(parse("crl1 relays"), ShimEvent::Relays(vec![]));
        assert_eq!(
            parse("crl1 refreshed 2026-11-25T10:00:00.5Z"),
            ShimEvent::Refreshed(Some("2026-11-25T10:00:00.5Z".into()))
        );
        assert_eq!(parse("crl1 refreshed -"), ShimEvent::Refreshed(None));
        assert_eq!(parse("crl1 store keyring"), ShimEvent::Store("keyring".into()));
        assert_eq!(
            parse("crl1 expires 1800000000 1799999000"),
            ShimEvent::Expires {
                at: Some(1_800_000_000),
                now: 1_799_999_000
            }
        );
        assert_eq!(parse("crl1 expires - 5"), ShimEvent::Expires { at: None, now: 5 });
        assert_eq!(
            parse("crl1 backup /h/.codex/auth.json.bak-1"),
            ShimEvent::Backup {
                path: "/h/.codex/auth.json.bak-1".into()
            }
        );
        assert_eq!(parse("crl1 pushed"), ShimEvent::Pushed);
        assert_eq!(
            parse("crl1 version codex-cli 0.169.0"),
            ShimEvent::Version("codex-cli 0.169.0".into())
        );
        assert_eq!(
            parse("crl1 ca SSL_CERT_FILE missing /etc/ssl/my bundle.pem"),
            ShimEvent::Ca {
                var: "SSL_CERT_FILE".into(),
                readable: false,
                path: "/etc/ssl/my bundle.pem".into()
            }
        );
        assert_eq!(parse("crl1 clock 1795600800"), ShimEvent::Clock(1_795_600_800));
        assert_eq!(
            parse("crl1 ca-stored /tmp/crl-ca.x/ca.pem"),
            ShimEvent::CaStored {
                path: "/tmp/crl-ca.x/ca.pem".into()
            }
        );
        assert_eq!(
            parse("crl1 ca-failed it arrived truncated"),
            ShimEvent::CaFailed {
                why: "it arrived truncated".into()
            }
        );
        assert_eq!(
            parse("crl1 log /h/.codex/log/codex-login.log"),
            ShimEvent::Log {
                path: "/h/.codex/log/codex-login.log".into()
            }
        );
        assert_eq!(
            parse("crl1 logline 2026 WARN a b code=abc"),
            ShimEvent::LogLine("2026 WARN a b code=…".into())
        );
        assert_eq!(
            parse("crl1 push-failed truncated"),
            ShimEvent::PushFailed {
                why: "truncated".into()
            }
        );
    }

    #[test]
    fn bad_lines_are_errors() {
        assert_eq!(
            ShimEvent::parse("crl1 hello 2 1"),
            Err(ProtocolError::Version { found: 2 })
        );
        assert!(matches!(
            ShimEvent::parse("crl1 started x"),
            Err(ProtocolError::Malformed { .. })
        ));
        assert!(matches!(
            ShimEvent::parse("crl1 codex nowhere /x"),
            Err(ProtocolError::Malformed { .. })
        ));
        assert!(matches!(
            ShimEvent::parse("crl1 launch-missiles"),
            Err(ProtocolError::Unknown { .. })
        ));
    }
}
