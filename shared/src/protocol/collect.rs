//! The events of `collect`: the freshest login of the host's account brought back from its
//! containers.

use super::frame::{Events, Fields, ProtocolError};
use crate::untrusted::Untrusted;

/// What `collect` made of one container's login, as [`CollectEvent::Seen`] says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It holds no login.
    None,
    /// Another user or account, or another API key.
    OtherAccount,
    /// It lacks a claim the host's login has: the identity cannot be confirmed.
    Unconfirmed,
    /// No fresher than the host's, or than a fresher one.
    Older,
    Fresher,
    /// Its last_refresh is ahead of the host's clock.
    Future,
    /// The host's account without a refresh token (an access-only copy): never taken, since
    /// it would leave the host unable to refresh.
    AccessOnly,
    /// Not a login codex can use.
    Malformed,
    TooLarge,
}

impl Verdict {
    const WORDS: [(&str, Self); 9] = [
        ("none", Self::None),
        ("other-account", Self::OtherAccount),
        ("unconfirmed", Self::Unconfirmed),
        ("older", Self::Older),
        ("fresher", Self::Fresher),
        ("future", Self::Future),
        ("access-only", Self::AccessOnly),
        ("malformed", Self::Malformed),
        ("too-large", Self::TooLarge),
    ];

    fn parse(word: &str) -> Option<Self> {
        Self::WORDS.iter().find(|(w, _)| *w == word).map(|(_, v)| *v)
    }

    /// Its name in `--json` output: the shim's word, `_` for `-`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::OtherAccount => "other_account",
            Self::Unconfirmed => "unconfirmed",
            Self::Older => "older",
            Self::Fresher => "fresher",
            Self::Future => "future",
            Self::AccessOnly => "access_only",
            Self::Malformed => "malformed",
            Self::TooLarge => "too_large",
        }
    }
}

/// `collect`: the freshest login of the host's own identity brought back from containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectEvent {
    /// Container `name`'s login, refreshed at `refreshed`: `none` (it has none),
    /// `other-account` (another user or account, or another API key), `unconfirmed` (it lacks
    /// a claim the host's login has, which `missing` names, e.g. `access_token.sub`: the
    /// identity cannot be confirmed), `older` (no fresher than the host's or a fresher one),
    /// `fresher`, `future` (its last_refresh is ahead of the host's clock), `access-only` (no
    /// refresh token: taking it would leave the host unable to refresh), `malformed` (not
    /// a login codex can use), `too-large`.
    Seen {
        name: Untrusted,
        engine: Untrusted,
        verdict: Verdict,
        refreshed: Option<Untrusted>,
        missing: Option<Untrusted>,
    },
    /// `name` holds the freshest login of the host's own identity (its email, from the
    /// id_token, when it names one). The shim waits for `take` or `abort` on stdin.
    Ask {
        name: Untrusted,
        email: Option<Untrusted>,
    },
    /// The host's auth.json is now `name`'s; the old one kept at `backup`.
    Took {
        name: Untrusted,
        backup: Untrusted,
    },
    /// No flock, perl or python3 on the host to take codex's lock with: the auth.json in `dir`
    /// was replaced without it.
    NoLock {
        dir: Untrusted,
    },
    /// The host's auth.json could not be replaced (and is unchanged), or could not be
    /// compared with.
    Failed {
        why: Untrusted,
    },
    /// Container `name` could not be read, because `why`.
    CtrFailed {
        name: Untrusted,
        why: Untrusted,
    },
    /// The host has no auth.json to compare with.
    NoLogin {
        path: Untrusted,
    },
    /// The host's auth.json is not a login codex can use.
    BadLogin {
        path: Untrusted,
    },
    /// The host's codex keeps its login in the OS keyring (its config.toml says so): nothing
    /// was done.
    Keyring,
    /// The work could not start on the host, because `why`.
    Aborted {
        why: Untrusted,
    },
    Done,
}

impl Events for CollectEvent {
    const STAGE: &'static str = "a collect";
    const KINDS: &'static [&'static str] = &[
        "col-seen",
        "col-ask",
        "col-took",
        "nolock",
        "col-failed",
        "ctr-failed",
        "ctr-nologin",
        "ctr-badlogin",
        "ctr-keyring",
        "ctr-aborted",
        "done",
    ];

    fn from_fields(kind: &str, mut f: Fields<'_>) -> Result<Self, ProtocolError> {
        Ok(match kind {
            "col-seen" => {
                let (name, engine) = (f.field()?.into(), f.field()?.into());
                let verdict = Verdict::parse(f.field()?).ok_or_else(|| f.malformed())?;
                let refreshed = f.opt()?;
                Self::Seen {
                    name,
                    engine,
                    verdict,
                    refreshed,
                    missing: f.rest_opt(),
                }
            }
            "col-ask" => Self::Ask {
                name: f.field()?.into(),
                email: f.rest_opt(),
            },
            "col-took" => Self::Took {
                name: f.field()?.into(),
                backup: f.last()?,
            },
            "nolock" => Self::NoLock { dir: f.last()? },
            "col-failed" => Self::Failed { why: f.last()? },
            "ctr-failed" => Self::CtrFailed {
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

#[cfg(test)]
mod tests {
    use super::super::tests::parse_as;
    use super::*;

    #[test]
    fn collect_events_parse() {
        let col = parse_as::<CollectEvent>;
        assert_eq!(
            col("crl1 col-seen web docker other-account 2026-01-02T03:04:05"),
            CollectEvent::Seen {
                name: "web".into(),
                engine: "docker".into(),
                verdict: Verdict::OtherAccount,
                refreshed: Some("2026-01-02T03:04:05".into()),
                missing: None,
            }
        );
        assert_eq!(
            col("crl1 col-seen web docker unconfirmed - access_token.sub"),
            CollectEvent::Seen {
                name: "web".into(),
                engine: "docker".into(),
                verdict: Verdict::Unconfirmed,
                refreshed: None,
                missing: Some("access_token.sub".into()),
            }
        );
        assert_eq!(
            col("crl1 col-took web /home/a b/.codex/auth.json.bak-1"),
            CollectEvent::Took {
                name: "web".into(),
                backup: "/home/a b/.codex/auth.json.bak-1".into(),
            }
        );
        assert_eq!(
            col("crl1 col-ask web a@b.c"),
            CollectEvent::Ask {
                name: "web".into(),
                email: Some("a@b.c".into()),
            }
        );
        assert_eq!(
            col("crl1 col-ask web -"),
            CollectEvent::Ask {
                name: "web".into(),
                email: None,
            }
        );
        assert_eq!(
            col("crl1 nolock /h/.codex"),
            CollectEvent::NoLock {
                dir: "/h/.codex".into()
            }
        );
    }
}
