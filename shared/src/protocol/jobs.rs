//! The events of the jobs on the host's own login: a sign-in, a status (and the preflight of
//! several hosts), the doctor's checks, a push.

use super::frame::{Events, Fields, ProtocolError};
use super::held::Held;
use super::report::LoginReport;
use crate::redact;
use crate::untrusted::Untrusted;

/// A sign-in: `codex login` (browser or device code) or a login with a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInEvent {
    /// `--skip-logged-in`: the host is signed in already; nothing was started.
    Skipped,
    /// The sign-in asked for is one the host's `forced_login_method` forbids: nothing was
    /// started.
    PolicyRefused,
    /// `codex login` was started.
    Started,
    /// `codex login` ended with this exit status (128+N for signal N).
    Exited { code: i32 },
    /// After a success: what codex says of the new login.
    Report(LoginReport),
    /// After a failure: codex's own log on the host, whose last lines follow as `LogLine`s.
    Log { path: Untrusted },
    /// One of the last lines of codex's log, redacted ([`redact::log_line`]) as it is parsed:
    /// the raw line is never kept, so no `-v` can show it.
    LogLine(String),
    /// The host's codex keeps its login in this store (`keyring`), where it would never read
    /// the auth.json a sign-in writes: nothing was started.
    StoreRefused { store: Untrusted },
    /// Another sign-in of this tool holds the host's login: nothing was started.
    Busy,
    /// After a sign-in that did not finish: the host's own login is still on file, untouched
    /// (codex signed in against a private home of its own).
    Kept,
    /// codex signed in (in its private home): the shim waits for `install` before it moves
    /// the new login into place.
    InstallAsk,
    /// The new login was moved into place.
    Installed,
    /// The host's codex config asks for this credential store (`auto`), under which a login
    /// in the OS keyring, where a keyring service runs, comes before the file.
    Store(Untrusted),
    /// No flock, perl or python3 on the host to take codex's lock on the auth.json in `dir`
    /// with: the new login was moved into place without it.
    NoLock { dir: Untrusted },
    /// codex signed in, but its login could not be moved into place: the host's own is as it
    /// was, and the new one was revoked.
    InstallFailed { why: Untrusted },
    /// The login the new one replaced is about to be revoked: the shim waits for `proceed`
    /// (the local side has named the other places holding it, and the person agreed).
    PreviousAsk,
    /// What became of the login the new one replaced.
    Previous(Previous),
    /// The shim is done and about to exit.
    Done,
}

/// What became of a host's login when a sign-in replaced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Previous {
    /// There was none.
    None,
    /// Revoked as codex revokes it (`codex logout`): requested at the issuer, best-effort.
    RevokeRequested,
    /// Not revoked, kept as this backup: an API key (nothing to revoke), or a revocation that
    /// could not be requested.
    Kept { backup: Untrusted },
    /// Inside a container, where it may be a copy of the host's login: set aside as this
    /// backup, never revoked.
    SetAside { backup: Untrusted },
}

impl Events for SignInEvent {
    const STAGE: &'static str = "a sign-in";
    const KINDS: &'static [&'static str] = &[
        "skipped",
        "policy-refused",
        "started",
        "exited",
        "status",
        "authfile",
        "account",
        "log",
        "logline",
        "store-refused",
        "busy",
        "kept",
        "install-ask",
        "installed",
        "store",
        "nolock",
        "install-failed",
        "previous-ask",
        "previous",
        "done",
    ];

    fn from_fields(kind: &str, mut f: Fields<'_>) -> Result<Self, ProtocolError> {
        Ok(match kind {
            "store-refused" => Self::StoreRefused { store: f.last()? },
            "kept" => f.none().map(|()| Self::Kept)?,
            "busy" => f.none().map(|()| Self::Busy)?,
            "install-ask" => f.none().map(|()| Self::InstallAsk)?,
            "installed" => f.none().map(|()| Self::Installed)?,
            "store" => Self::Store(f.last()?),
            "nolock" => Self::NoLock { dir: f.last()? },
            "install-failed" => Self::InstallFailed { why: f.last()? },
            "previous-ask" => f.none().map(|()| Self::PreviousAsk)?,
            "previous" => Self::Previous(match f.field()? {
                "none" => f.none().map(|()| Previous::None)?,
                "revoke-requested" => f.none().map(|()| Previous::RevokeRequested)?,
                "kept" => Previous::Kept { backup: f.last()? },
                "set-aside" => Previous::SetAside { backup: f.last()? },
                _ => return Err(f.malformed()),
            }),
            "skipped" => f.none().map(|()| Self::Skipped)?,
            "policy-refused" => f.none().map(|()| Self::PolicyRefused)?,
            "started" => f.none().map(|()| Self::Started)?,
            "exited" => {
                let code = f.num()?;
                f.none()?;
                Self::Exited { code }
            }
            "log" => Self::Log { path: f.last()? },
            "logline" => Self::LogLine(redact::log_line(f.rest().raw())),
            "done" => f.none().map(|()| Self::Done)?,
            kind if LoginReport::KINDS.contains(&kind) => Self::Report(LoginReport::from_fields(kind, f)?),
            _ => return Err(ProtocolError::Unknown { kind: kind.into() }),
        })
    }
}

/// `status`, and the preflight before a host's turn among several (which says only
/// `status`, and only when asked to check the login).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusEvent {
    /// The credential store setting in the host's config.toml (`default` when unset).
    Store(Untrusted),
    Report(LoginReport),
    /// The access token's expiry and the host's clock, both Unix seconds.
    Expires {
        at: Option<u64>,
        now: u64,
    },
    /// A copy in a container, or the keeper ([`Held`]).
    Held(Held),
    /// The containers could not be read, because `why`.
    Aborted {
        why: Untrusted,
    },
    Done,
}

impl Events for StatusEvent {
    const STAGE: &'static str = "a status";
    const KINDS: &'static [&'static str] = &[
        "store",
        "status",
        "authfile",
        "account",
        "expires",
        "copy",
        "keeper",
        "keeper-ctr",
        "ctr-aborted",
        "done",
    ];

    fn from_fields(kind: &str, mut f: Fields<'_>) -> Result<Self, ProtocolError> {
        Ok(match kind {
            "store" => Self::Store(f.last()?),
            "expires" => {
                let at = f.field()?;
                let at = if at == "-" {
                    None
                } else {
                    Some(at.parse().map_err(|_| f.malformed())?)
                };
                let now = f.num()?;
                f.none()?;
                Self::Expires { at, now }
            }
            "ctr-aborted" => Self::Aborted { why: f.last()? },
            "done" => f.none().map(|()| Self::Done)?,
            kind if LoginReport::KINDS.contains(&kind) => Self::Report(LoginReport::from_fields(kind, f)?),
            kind if Held::KINDS.contains(&kind) => Self::Held(Held::from_fields(kind, f)?),
            _ => return Err(ProtocolError::Unknown { kind: kind.into() }),
        })
    }
}

/// The host's side of `doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DoctorEvent {
    /// `codex --version` on the host.
    Version(Untrusted),
    /// The credential store setting in the host's config.toml (`default` when unset).
    Store(Untrusted),
    /// A CA bundle variable set in the host's environment, and whether its file is readable.
    Ca {
        var: Untrusted,
        readable: bool,
        path: Untrusted,
    },
    /// The host's clock, Unix seconds.
    Clock(u64),
    /// A copy in a container, or the keeper ([`Held`]).
    Held(Held),
    /// The containers could not be read, because `why`.
    Aborted {
        why: Untrusted,
    },
    Done,
}

impl Events for DoctorEvent {
    const STAGE: &'static str = "the doctor's checks";
    const KINDS: &'static [&'static str] = &[
        "version",
        "store",
        "ca",
        "clock",
        "copy",
        "keeper",
        "keeper-ctr",
        "ctr-aborted",
        "done",
    ];

    fn from_fields(kind: &str, mut f: Fields<'_>) -> Result<Self, ProtocolError> {
        Ok(match kind {
            "version" => Self::Version(f.rest()),
            "store" => Self::Store(f.last()?),
            "ca" => {
                let var = f.field()?.into();
                let readable = match f.field()? {
                    "ok" => true,
                    "missing" => false,
                    _ => return Err(f.malformed()),
                };
                Self::Ca {
                    var,
                    readable,
                    path: f.last()?,
                }
            }
            "clock" => {
                let now = f.num()?;
                f.none()?;
                Self::Clock(now)
            }
            "ctr-aborted" => Self::Aborted { why: f.last()? },
            "done" => f.none().map(|()| Self::Done)?,
            kind if Held::KINDS.contains(&kind) => Self::Held(Held::from_fields(kind, f)?),
            _ => return Err(ProtocolError::Unknown { kind: kind.into() }),
        })
    }
}

/// `push`: the host's auth.json replaced with one sent from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushEvent {
    /// The host's auth.json was copied here before being replaced.
    Backup {
        path: Untrusted,
    },
    /// No flock, perl or python3 on the host to take codex's lock on the auth.json in `dir`
    /// with: it was replaced without it.
    NoLock {
        dir: Untrusted,
    },
    /// The pushed auth.json is in place.
    Pushed,
    /// The push did not complete; the host's auth.json is untouched.
    PushFailed {
        why: Untrusted,
    },
    /// The host's codex keeps its login in the OS keyring (its config.toml says so), and would
    /// never read a pushed auth.json: nothing was written.
    Keyring,
    /// What codex says of the pushed login.
    Report(LoginReport),
    Done,
}

impl Events for PushEvent {
    const STAGE: &'static str = "a push";
    const KINDS: &'static [&'static str] = &[
        "backup",
        "nolock",
        "pushed",
        "push-failed",
        "push-keyring",
        "status",
        "authfile",
        "account",
        "done",
    ];

    fn from_fields(kind: &str, f: Fields<'_>) -> Result<Self, ProtocolError> {
        Ok(match kind {
            "backup" => Self::Backup { path: f.last()? },
            "nolock" => Self::NoLock { dir: f.last()? },
            "pushed" => f.none().map(|()| Self::Pushed)?,
            "push-failed" => Self::PushFailed { why: f.last()? },
            "push-keyring" => f.none().map(|()| Self::Keyring)?,
            "done" => f.none().map(|()| Self::Done)?,
            kind if LoginReport::KINDS.contains(&kind) => Self::Report(LoginReport::from_fields(kind, f)?),
            _ => return Err(ProtocolError::Unknown { kind: kind.into() }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::host::Account;
    use super::super::parse;
    use super::super::tests::parse_as;
    use super::*;

    #[test]
    fn sign_in_events_parse() {
        let sign_in = parse_as::<SignInEvent>;
        assert_eq!(sign_in("crl1 skipped"), SignInEvent::Skipped);
        assert_eq!(sign_in("crl1 policy-refused"), SignInEvent::PolicyRefused);
        assert_eq!(sign_in("crl1 started"), SignInEvent::Started);
        assert_eq!(sign_in("crl1 exited 143"), SignInEvent::Exited { code: 143 });
        assert_eq!(
            sign_in("crl1 status logged-in"),
            SignInEvent::Report(LoginReport::Status { logged_in: true })
        );
        assert_eq!(
            sign_in("crl1 status not-logged-in"),
            SignInEvent::Report(LoginReport::Status { logged_in: false })
        );
        assert_eq!(
            sign_in("crl1 authfile -rw------- /h/.codex/auth.json"),
            SignInEvent::Report(LoginReport::AuthFile {
                mode: "-rw-------".into(),
                path: "/h/.codex/auth.json".into()
            })
        );
        assert_eq!(
            sign_in("crl1 authfile missing /h/.codex/auth.json"),
            SignInEvent::Report(LoginReport::AuthFileMissing {
                path: "/h/.codex/auth.json".into()
            })
        );
        assert_eq!(
            sign_in("crl1 account apikey - -"),
            SignInEvent::Report(LoginReport::Account(Account {
                auth_mode: "apikey".into(),
                email: None,
                plan: None
            }))
        );
        assert_eq!(
            sign_in("crl1 log /h/.codex/log/codex-login.log"),
            SignInEvent::Log {
                path: "/h/.codex/log/codex-login.log".into()
            }
        );
        assert_eq!(
            sign_in("crl1 logline 2026 WARN a b code=abc"),
            SignInEvent::LogLine("2026 WARN a b code=…".into())
        );
        assert_eq!(sign_in("crl1 done"), SignInEvent::Done);
        assert_eq!(
            sign_in("crl1 store-refused keyring"),
            SignInEvent::StoreRefused {
                store: "keyring".into()
            }
        );
        assert_eq!(sign_in("crl1 kept"), SignInEvent::Kept);
        assert_eq!(sign_in("crl1 busy"), SignInEvent::Busy);
        assert_eq!(sign_in("crl1 installed"), SignInEvent::Installed);
        assert_eq!(sign_in("crl1 install-ask"), SignInEvent::InstallAsk);
        assert_eq!(sign_in("crl1 store auto"), SignInEvent::Store("auto".into()));
        assert_eq!(
            sign_in("crl1 install-failed /h/.codex is writable by other users"),
            SignInEvent::InstallFailed {
                why: "/h/.codex is writable by other users".into()
            }
        );
        assert_eq!(sign_in("crl1 previous none"), SignInEvent::Previous(Previous::None));
        assert_eq!(sign_in("crl1 previous-ask"), SignInEvent::PreviousAsk);
        assert_eq!(
            sign_in("crl1 previous revoke-requested"),
            SignInEvent::Previous(Previous::RevokeRequested)
        );
        assert_eq!(
            sign_in("crl1 previous set-aside /h/.codex/auth.json.bak-1"),
            SignInEvent::Previous(Previous::SetAside {
                backup: "/h/.codex/auth.json.bak-1".into()
            })
        );
        assert_eq!(
            sign_in("crl1 previous kept /h/a b"),
            SignInEvent::Previous(Previous::Kept {
                backup: "/h/a b".into()
            })
        );
        for line in [
            "crl1 started 77",
            "crl1 status maybe",
            "crl1 exited 0 1",
            "crl1 kept x",
            "crl1 previous revoked",
            "crl1 previous none x",
        ] {
            assert!(
                matches!(parse::<SignInEvent>(line), Err(ProtocolError::Malformed { .. })),
                "{line}"
            );
        }
    }

    #[test]
    fn status_doctor_and_push_events_parse() {
        assert_eq!(
            parse_as::<StatusEvent>("crl1 store keyring"),
            StatusEvent::Store("keyring".into())
        );
        assert_eq!(
            parse_as::<StatusEvent>("crl1 expires 1800000000 1799999000"),
            StatusEvent::Expires {
                at: Some(1_800_000_000),
                now: 1_799_999_000
            }
        );
        assert_eq!(
            parse_as::<StatusEvent>("crl1 expires - 5"),
            StatusEvent::Expires { at: None, now: 5 }
        );
        assert_eq!(
            parse_as::<DoctorEvent>("crl1 version codex-cli 0.169.0"),
            DoctorEvent::Version("codex-cli 0.169.0".into())
        );
        assert_eq!(
            parse_as::<DoctorEvent>("crl1 ca SSL_CERT_FILE missing /etc/ssl/my bundle.pem"),
            DoctorEvent::Ca {
                var: "SSL_CERT_FILE".into(),
                readable: false,
                path: "/etc/ssl/my bundle.pem".into()
            }
        );
        assert_eq!(
            parse_as::<DoctorEvent>("crl1 clock 1795600800"),
            DoctorEvent::Clock(1_795_600_800)
        );
        assert_eq!(
            parse_as::<PushEvent>("crl1 backup /h/.codex/auth.json.bak-1"),
            PushEvent::Backup {
                path: "/h/.codex/auth.json.bak-1".into()
            }
        );
        assert_eq!(parse_as::<PushEvent>("crl1 pushed"), PushEvent::Pushed);
        assert_eq!(
            parse_as::<PushEvent>("crl1 push-failed truncated"),
            PushEvent::PushFailed {
                why: "truncated".into()
            }
        );
        assert_eq!(
            parse_as::<PushEvent>("crl1 nolock /h/.codex"),
            PushEvent::NoLock {
                dir: "/h/.codex".into()
            }
        );
    }
}
