//! The host's report, the first stage of every run: who speaks, where codex is, the login on
//! file, what could relay a connection, the login policy; then `ready`.

use std::fmt;

use super::frame::{Events, Fields, PROTOCOL_VERSION, ProtocolError};
use crate::untrusted::Untrusted;

/// One event of the host's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostEvent {
    /// First line: the shim speaks this protocol (checked as it is parsed).
    Hello,
    /// `--login-inside`: there is no running container `name` to run the shim in.
    NoContainer { name: Untrusted, why: Untrusted },
    /// codex was found.
    Codex { source: CodexSource, path: Untrusted },
    /// codex was not found; `searched` lists where the shim looked.
    NotFound { searched: Untrusted },
    /// `--codex PATH` does not name an executable file.
    BadOverride { path: Untrusted },
    /// The CA bundle sent with `--ca-cert` is in place at this (private, temporary) path.
    CaStored { path: Untrusted },
    /// The CA bundle asked for could not be used.
    CaFailed { why: Untrusted },
    /// The login that was on the host before this run, if any.
    Before(Option<Account>),
    /// `last_refresh` of the host's auth.json (RFC 3339), when it has one.
    Refreshed(Option<Untrusted>),
    /// The relay tools the host has, best first (empty when it has none).
    Relays(Vec<RelayTool>),
    /// The host codex's login policy from its config.toml: `forced_login_method` and
    /// `forced_chatgpt_workspace_id` (several workspaces joined by `,`), each when set.
    Policy {
        method: Option<Untrusted>,
        workspace: Option<Untrusted>,
    },
    /// The report is complete: the job's own events follow.
    Ready,
}

impl Events for HostEvent {
    const STAGE: &'static str = "the host's report";
    const KINDS: &'static [&'static str] = &[
        "hello",
        "no-container",
        "codex",
        "not-found",
        "bad-override",
        "ca-stored",
        "ca-failed",
        "before",
        "refreshed",
        "relays",
        "policy",
        "ready",
    ];

    fn from_fields(kind: &str, mut f: Fields<'_>) -> Result<Self, ProtocolError> {
        Ok(match kind {
            "hello" => {
                let version = f.num()?;
                if version != PROTOCOL_VERSION {
                    return Err(ProtocolError::Version { found: version });
                }
                f.none()?;
                Self::Hello
            }
            "no-container" => Self::NoContainer {
                name: f.field()?.into(),
                why: f.last()?,
            },
            "codex" => {
                let source = CodexSource::parse(f.field()?).ok_or_else(|| f.malformed())?;
                Self::Codex {
                    source,
                    path: f.last()?,
                }
            }
            "not-found" => Self::NotFound { searched: f.rest() },
            "bad-override" => Self::BadOverride { path: f.rest() },
            "ca-stored" => Self::CaStored { path: f.last()? },
            "ca-failed" => Self::CaFailed { why: f.last()? },
            "before" => match f.field()? {
                "none" => {
                    f.none()?;
                    Self::Before(None)
                }
                mode => Self::Before(Some(Account::from_fields(mode, f)?)),
            },
            "refreshed" => Self::Refreshed(f.rest_opt()),
            "relays" => Self::Relays(f.rest().raw().split(' ').filter_map(RelayTool::parse).collect()),
            "policy" => Self::Policy {
                method: f.opt()?,
                workspace: f.rest_opt(),
            },
            "ready" => {
                f.none()?;
                Self::Ready
            }
            _ => return Err(ProtocolError::Unknown { kind: kind.into() }),
        })
    }
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

impl Account {
    /// `MODE EMAIL [PLAN]`, `MODE` already taken; `-` for an email or plan not known.
    pub(super) fn from_fields(auth_mode: &str, mut f: Fields<'_>) -> Result<Self, ProtocolError> {
        Ok(Self {
            auth_mode: auth_mode.into(),
            email: f.opt()?,
            plan: f.rest_opt(),
        })
    }
}

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

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::super::tests::parse_as;
    use super::*;

    fn host(line: &str) -> HostEvent {
        parse_as(line)
    }

    #[test]
    fn every_kind_parses() {
        assert_eq!(host("crl1 hello 2\n"), HostEvent::Hello);
        assert_eq!(
            host("crl1 no-container web no running container of that name"),
            HostEvent::NoContainer {
                name: "web".into(),
                why: "no running container of that name".into()
            }
        );
        assert_eq!(
            host("crl1 codex login-shell /home/a b/.npm/bin/codex"),
            HostEvent::Codex {
                source: CodexSource::LoginShell,
                path: "/home/a b/.npm/bin/codex".into()
            }
        );
        assert_eq!(
            host("crl1 not-found PATH ~/.local/bin"),
            HostEvent::NotFound {
                searched: "PATH ~/.local/bin".into()
            }
        );
        assert_eq!(
            host("crl1 bad-override /x y"),
            HostEvent::BadOverride { path: "/x y".into() }
        );
        assert_eq!(
            host("crl1 ca-stored /tmp/crl-ca.x/ca.pem"),
            HostEvent::CaStored {
                path: "/tmp/crl-ca.x/ca.pem".into()
            }
        );
        assert_eq!(
            host("crl1 ca-failed it arrived truncated"),
            HostEvent::CaFailed {
                why: "it arrived truncated".into()
            }
        );
        assert_eq!(host("crl1 before none"), HostEvent::Before(None));
        assert_eq!(
            host("crl1 before chatgpt a@b.c plus"),
            HostEvent::Before(Some(Account {
                auth_mode: "chatgpt".into(),
                email: Some("a@b.c".into()),
                plan: Some("plus".into())
            }))
        );
        assert_eq!(
            host("crl1 refreshed 2026-11-25T10:00:00.5Z"),
            HostEvent::Refreshed(Some("2026-11-25T10:00:00.5Z".into()))
        );
        assert_eq!(host("crl1 refreshed -"), HostEvent::Refreshed(None));
        assert_eq!(
            host("crl1 relays nc perl"),
            HostEvent::Relays(vec![RelayTool::Nc, RelayTool::Perl])
        );
        assert_eq!(host("crl1 relays"), HostEvent::Relays(vec![]));
        assert_eq!(
            host("crl1 policy api -"),
            HostEvent::Policy {
                method: Some("api".into()),
                workspace: None
            }
        );
        assert_eq!(
            host("crl1 policy - ws-1,ws-2"),
            HostEvent::Policy {
                method: None,
                workspace: Some("ws-1,ws-2".into())
            }
        );
        assert_eq!(host("crl1 ready"), HostEvent::Ready);
    }

    #[test]
    fn bad_lines_are_errors() {
        assert_eq!(
            parse::<HostEvent>("crl1 hello 1"),
            Err(ProtocolError::Version { found: 1 })
        );
        for line in [
            "crl1 hello 2 4242",
            "crl1 codex nowhere /x",
            "crl1 ready now",
            "crl1 before none x",
        ] {
            assert!(
                matches!(parse::<HostEvent>(line), Err(ProtocolError::Malformed { .. })),
                "{line}"
            );
        }
    }
}
