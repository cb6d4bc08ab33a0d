//! The events of the jobs that reach into containers on the host: copying its login into
//! them, collecting the freshest back, signing them out.

use super::frame::{Events, Fields, ProtocolError};
use crate::untrusted::Untrusted;

/// What a copy of the host's login holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyKind {
    /// Everything but the refresh token: it cannot rotate the host's login, and lives as
    /// long as its access token.
    Access,
    /// An API key: nothing in it rotates.
    ApiKey,
    /// The whole login, refresh token included: one more writer of a rotating token.
    Full,
}

impl CopyKind {
    /// The shim's word, which is also its name in `--json` output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::ApiKey => "apikey",
            Self::Full => "full",
        }
    }

    pub(super) fn parse(word: &str) -> Option<Self> {
        [Self::Access, Self::ApiKey, Self::Full]
            .into_iter()
            .find(|k| k.as_str() == word)
    }
}

/// `containers`: the host's auth.json copied into containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainersEvent {
    /// The host's login is in container `name` (run by `engine`, as `user`), in `dir`, as a
    /// copy of `kind`; the one it replaced kept as `auth.json.bak-STAMP` there.
    Copied {
        name: Untrusted,
        engine: Untrusted,
        user: Untrusted,
        kind: CopyKind,
        backup: Option<Untrusted>,
        dir: Untrusted,
    },
    /// The next `Copied` for `name` came by the engine's archive copy (the container is
    /// stopped or has no shell), not an atomic rename.
    Archived {
        name: Untrusted,
    },
    /// A round of the keeper: `name`, as it is now, got this very copy on an earlier round.
    Same {
        name: Untrusted,
    },
    /// A round of the keeper: `name` holds a login with a refresh token (its own, or a whole
    /// copy), which the keeper never writes over.
    Own {
        name: Untrusted,
        engine: Untrusted,
        user: Untrusted,
        dir: Untrusted,
    },
    /// The container's copy was refreshed more recently than the host's: kept.
    Fresher {
        name: Untrusted,
        engine: Untrusted,
        user: Untrusted,
        dir: Untrusted,
    },
    /// Nothing was written into `name`, because `why`.
    Failed {
        name: Untrusted,
        why: Untrusted,
    },
    /// The host has no auth.json to copy.
    NoLogin {
        path: Untrusted,
    },
    /// The host's auth.json is not a login codex can use.
    BadLogin {
        path: Untrusted,
    },
    /// The host has nothing to read JSON with (python3, node, perl's JSON::PP), so no
    /// access-only copy can be made: nothing was copied (never a whole copy instead).
    NoAccessCopy,
    /// The host's codex keeps its login in the OS keyring (its config.toml says so): nothing
    /// was done.
    Keyring,
    /// The work could not start on the host, because `why`.
    Aborted {
        why: Untrusted,
    },
    Done,
}

impl Events for ContainersEvent {
    const STAGE: &'static str = "a copy into containers";
    const KINDS: &'static [&'static str] = &[
        "ctr-copied",
        "ctr-archived",
        "ctr-fresher",
        "ctr-same",
        "ctr-own",
        "ctr-failed",
        "ctr-nologin",
        "ctr-badlogin",
        "ctr-keyring",
        "ctr-noaccess",
        "ctr-aborted",
        "done",
    ];

    fn from_fields(kind: &str, mut f: Fields<'_>) -> Result<Self, ProtocolError> {
        Ok(match kind {
            "ctr-noaccess" => f.none().map(|()| Self::NoAccessCopy)?,
            "ctr-copied" => Self::Copied {
                name: f.field()?.into(),
                engine: f.field()?.into(),
                user: f.field()?.into(),
                kind: CopyKind::parse(f.field()?).ok_or_else(|| f.malformed())?,
                backup: f.opt()?,
                dir: f.last()?,
            },
            "ctr-archived" => Self::Archived { name: f.last()? },
            "ctr-fresher" => Self::Fresher {
                name: f.field()?.into(),
                engine: f.field()?.into(),
                user: f.field()?.into(),
                dir: f.last()?,
            },
            "ctr-same" => Self::Same { name: f.last()? },
            "ctr-own" => Self::Own {
                name: f.field()?.into(),
                engine: f.field()?.into(),
                user: f.field()?.into(),
                dir: f.last()?,
            },
            "ctr-failed" => Self::Failed {
                name: f.field()?.into(),
                why: f.last()?,
            },
            "ctr-nologin" => Self::NoLogin { path: f.last()? },
            "ctr-badlogin" => Self::BadLogin { path: f.last()? },
            "ctr-keyring" => f.none().map(|()| Self::Keyring)?,
            "ctr-aborted" => Self::Aborted { why: f.last()? },
            "done" => f.none().map(|()| Self::Done)?,
            _ => return Err(ProtocolError::Unknown { kind: kind.into() }),
        })
    }
}

/// `logout`: the host (and containers on it) signed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutEvent {
    /// `place` (a container, or the host: `None`) holds the same login as `target` (the
    /// same), compared on the host by a hash of the refresh token.
    Shared {
        target: Option<Untrusted>,
        place: Option<Untrusted>,
    },
    /// How signing out `place` (a container, or the host: `None`) went.
    Result {
        place: Option<Untrusted>,
        result: LogoutResult,
        detail: Option<Untrusted>,
    },
    /// The work could not start on the host, because `why`.
    Aborted {
        why: Untrusted,
    },
    /// A SHA-256 (hex) of the job's salt followed by the host's refresh token: this machine
    /// tells from it whether its own login is the same, and nothing of the token can be
    /// learnt from it (the salt is fresh for each run).
    Salted(String),
    /// Every place is named: the shim waits for `proceed` before anything is revoked.
    Ask,
    /// Not `proceed`: nothing was signed out.
    Declined,
    Done,
}

impl Events for LogoutEvent {
    const STAGE: &'static str = "a logout";
    const KINDS: &'static [&'static str] = &[
        "lo-shared",
        "lo-salted",
        "lo-ask",
        "lo-declined",
        "lo-result",
        "ctr-aborted",
        "done",
    ];

    fn from_fields(kind: &str, mut f: Fields<'_>) -> Result<Self, ProtocolError> {
        Ok(match kind {
            "lo-salted" => Self::Salted(salted_hex(f)?),
            "lo-ask" => f.none().map(|()| Self::Ask)?,
            "lo-declined" => f.none().map(|()| Self::Declined)?,
            "lo-shared" => {
                let (target, place) = (f.opt()?, f.opt()?);
                f.none()?;
                Self::Shared { target, place }
            }
            "lo-result" => Self::Result {
                place: f.opt()?,
                result: LogoutResult::parse(f.field()?).ok_or_else(|| f.malformed())?,
                detail: f.rest_opt(),
            },
            "ctr-aborted" => Self::Aborted { why: f.last()? },
            "done" => f.none().map(|()| Self::Done)?,
            _ => return Err(ProtocolError::Unknown { kind: kind.into() }),
        })
    }
}

/// How signing one place out went (`logout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutResult {
    /// `codex logout` signed it out (revoking the login at the issuer).
    SignedOut,
    /// `--local-only`: its auth.json was removed, nothing revoked.
    Removed,
    /// It held no login.
    None,
    Failed,
}

impl LogoutResult {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "signed-out" => Self::SignedOut,
            "removed" => Self::Removed,
            "none" => Self::None,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    /// As `--json` and the table name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignedOut => "signed_out",
            Self::Removed => "removed",
            Self::None => "not_signed_in",
            Self::Failed => "failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::super::tests::parse_as;
    use super::*;

    #[test]
    fn containers_events_parse() {
        let ctr = parse_as::<ContainersEvent>;
        assert_eq!(
            ctr("crl1 ctr-copied web docker dev access 20261125T1-7 /home/d ev/.codex"),
            ContainersEvent::Copied {
                name: "web".into(),
                engine: "docker".into(),
                user: "dev".into(),
                kind: CopyKind::Access,
                backup: Some("20261125T1-7".into()),
                dir: "/home/d ev/.codex".into()
            }
        );
        assert_eq!(
            ctr("crl1 ctr-fresher web podman 1000:1000 /root/.codex"),
            ContainersEvent::Fresher {
                name: "web".into(),
                engine: "podman".into(),
                user: "1000:1000".into(),
                dir: "/root/.codex".into()
            }
        );
        assert_eq!(
            ctr("crl1 ctr-failed web it is stopped"),
            ContainersEvent::Failed {
                name: "web".into(),
                why: "it is stopped".into()
            }
        );
        assert_eq!(ctr("crl1 ctr-same web"), ContainersEvent::Same { name: "web".into() });
        assert_eq!(
            ctr("crl1 ctr-own web docker dev /home/dev/.codex"),
            ContainersEvent::Own {
                name: "web".into(),
                engine: "docker".into(),
                user: "dev".into(),
                dir: "/home/dev/.codex".into()
            }
        );
        assert_eq!(
            ctr("crl1 ctr-archived web"),
            ContainersEvent::Archived { name: "web".into() }
        );
        assert_eq!(
            ctr("crl1 ctr-aborted cannot make a temporary directory in /x"),
            ContainersEvent::Aborted {
                why: "cannot make a temporary directory in /x".into()
            }
        );
    }

    #[test]
    fn logout_events_parse() {
        let lo = parse_as::<LogoutEvent>;
        assert_eq!(
            lo("crl1 lo-shared - crl-dev"),
            LogoutEvent::Shared {
                target: None,
                place: Some("crl-dev".into())
            }
        );
        assert_eq!(
            lo("crl1 lo-result web failed it is not running: start it first"),
            LogoutEvent::Result {
                place: Some("web".into()),
                result: LogoutResult::Failed,
                detail: Some("it is not running: start it first".into())
            }
        );
        assert_eq!(
            lo("crl1 lo-result - signed-out"),
            LogoutEvent::Result {
                place: None,
                result: LogoutResult::SignedOut,
                detail: None
            }
        );
        assert!(matches!(
            parse::<LogoutEvent>("crl1 lo-result - revoked-everything"),
            Err(ProtocolError::Malformed { .. })
        ));
    }
}

/// The survey a sign-in makes alongside itself (on a second channel, while the browser is
/// open) of the places on the host holding the host's login, before it revokes that login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SurveyEvent {
    /// As [`LogoutEvent::Salted`]: for this machine to tell whether its login is the host's.
    Salted(String),
    /// This container on the host holds the host's login.
    Copy(Untrusted),
    /// The work could not start on the host, because `why`.
    Aborted {
        why: Untrusted,
    },
    Done,
}

impl Events for SurveyEvent {
    const STAGE: &'static str = "a survey";
    const KINDS: &'static [&'static str] = &["sv-salted", "sv-copy", "ctr-aborted", "done"];

    fn from_fields(kind: &str, f: Fields<'_>) -> Result<Self, ProtocolError> {
        Ok(match kind {
            "sv-salted" => Self::Salted(salted_hex(f)?),
            "sv-copy" => Self::Copy(f.last()?),
            "ctr-aborted" => Self::Aborted { why: f.last()? },
            "done" => f.none().map(|()| Self::Done)?,
            _ => return Err(ProtocolError::Unknown { kind: kind.into() }),
        })
    }
}

/// A SHA-256 in hex, as one field and the last.
fn salted_hex(mut f: Fields<'_>) -> Result<String, ProtocolError> {
    let hex = f.field()?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(f.malformed());
    }
    let hex = hex.to_ascii_lowercase();
    f.none()?;
    Ok(hex)
}

#[cfg(test)]
mod survey_tests {
    use super::super::tests::parse_as;
    use super::*;

    #[test]
    fn survey_events_parse() {
        let hex = "ab".repeat(32);
        assert_eq!(
            parse_as::<SurveyEvent>(&format!("crl1 sv-salted {hex}")),
            SurveyEvent::Salted(hex.clone())
        );
        assert_eq!(
            parse_as::<SurveyEvent>("crl1 sv-copy web 1"),
            SurveyEvent::Copy("web 1".into())
        );
        for line in ["crl1 sv-salted abc", "crl1 sv-salted zz", "crl1 done x"] {
            assert!(super::super::parse::<SurveyEvent>(line).is_err(), "{line}");
        }
    }
}
