//! What holds a host's login besides the host (`held` in the shim): the copies in its
//! containers, and the keeper. Part of a status's and a doctor's events.

use super::containers::CopyKind;
use super::frame::{Fields, ProtocolError};
use super::keeper::Reboot;
use crate::untrusted::Untrusted;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// Container `name` holds a copy of the login of `kind` (`Access` or `Full`), whose access
    /// token expires `expires` (Unix seconds, by the token).
    Copy {
        name: Untrusted,
        kind: CopyKind,
        expires: Option<u64>,
    },
    /// The keeper was started on the host: whether it `running` now (else it was killed, or
    /// did not come back after a reboot), how it comes back after one, and when its last
    /// round ran and it last had codex refresh the login (Unix seconds).
    Keeper {
        running: bool,
        reboot: Reboot,
        round: Option<u64>,
        refreshed: Option<u64>,
    },
    /// Container `name` in the keeper's last round: `copied`, `same` (it held the copy),
    /// `own` (a login of its own, left alone) or `failed` (`why`).
    KeeperCtr {
        name: Untrusted,
        result: Untrusted,
        why: Option<Untrusted>,
    },
}

impl Held {
    pub(super) const KINDS: [&'static str; 3] = ["copy", "keeper", "keeper-ctr"];

    pub(super) fn from_fields(kind: &str, mut f: Fields<'_>) -> Result<Self, ProtocolError> {
        Ok(match kind {
            "copy" => {
                let name = f.field()?.into();
                let kind = CopyKind::parse(f.field()?).ok_or_else(|| f.malformed())?;
                let expires = match f.field()? {
                    "-" => None,
                    at => Some(at.parse().map_err(|_| f.malformed())?),
                };
                f.none()?;
                Self::Copy { name, kind, expires }
            }
            "keeper" => {
                let running = match f.field()? {
                    "running" => true,
                    "stopped" => false,
                    _ => return Err(f.malformed()),
                };
                let reboot = Reboot::parse(f.field()?).ok_or_else(|| f.malformed())?;
                let mut time = || match f.field()? {
                    "-" => Ok(None),
                    at => at.parse().map(Some).map_err(|_| f.malformed()),
                };
                let round = time()?;
                let refreshed = time()?;
                f.none()?;
                Self::Keeper {
                    running,
                    reboot,
                    round,
                    refreshed,
                }
            }
            "keeper-ctr" => {
                let name = f.field()?.into();
                let result = f.field()?;
                if !["copied", "same", "own", "failed"].contains(&result) {
                    return Err(f.malformed());
                }
                Self::KeeperCtr {
                    name,
                    result: result.into(),
                    why: f.rest_opt(),
                }
            }
            _ => return Err(ProtocolError::Unknown { kind: kind.into() }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::StatusEvent;
    use super::super::tests::parse_as;
    use super::*;

    #[test]
    fn held_events_parse() {
        assert_eq!(
            parse_as::<StatusEvent>("crl1 copy web access 1800000000"),
            StatusEvent::Held(Held::Copy {
                name: "web".into(),
                kind: CopyKind::Access,
                expires: Some(1_800_000_000)
            })
        );
        assert_eq!(
            parse_as::<StatusEvent>("crl1 keeper running cron 1800000000 -"),
            StatusEvent::Held(Held::Keeper {
                running: true,
                reboot: Reboot::Cron,
                round: Some(1_800_000_000),
                refreshed: None
            })
        );
        assert_eq!(
            parse_as::<StatusEvent>("crl1 keeper-ctr web failed refused to write as dev"),
            StatusEvent::Held(Held::KeeperCtr {
                name: "web".into(),
                result: "failed".into(),
                why: Some("refused to write as dev".into())
            })
        );
        assert_eq!(
            parse_as::<StatusEvent>("crl1 copy web full -"),
            StatusEvent::Held(Held::Copy {
                name: "web".into(),
                kind: CopyKind::Full,
                expires: None
            })
        );
    }
}
