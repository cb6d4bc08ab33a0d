//! The events of `keeper start` and `keeper stop`: the keeper that keeps the access-only
//! copies in a host's containers fresh.

use super::frame::{Events, Fields, ProtocolError};
use crate::untrusted::Untrusted;

/// How the keeper comes back after the host reboots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reboot {
    /// A lingering systemd user manager runs it (and restarts it if it dies).
    Systemd,
    /// An `@reboot` line in the user's crontab.
    Cron,
    /// Neither is there: it does not come back.
    None,
}

impl Reboot {
    /// The shim's word, which is also its name in `--json` output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Systemd => "systemd",
            Self::Cron => "cron",
            Self::None => "none",
        }
    }

    pub(super) fn parse(word: &str) -> Option<Self> {
        [Self::Systemd, Self::Cron, Self::None]
            .into_iter()
            .find(|r| r.as_str() == word)
    }
}

/// `keeper start`, `keeper stop`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeeperEvent {
    /// It runs, as process `pid`, and comes back after a reboot `how`.
    Started {
        pid: u32,
        reboot: Reboot,
    },
    /// The keeper that ran as `pid` is stopped, and nothing of it is left.
    Stopped {
        pid: u32,
    },
    /// No keeper ran; nothing of one is left.
    NoneRunning,
    /// Nothing changed, because `why`.
    Failed {
        why: Untrusted,
    },
    Done,
}

impl Events for KeeperEvent {
    const STAGE: &'static str = "the keeper";
    const KINDS: &'static [&'static str] = &["kp-started", "kp-stopped", "kp-none", "kp-failed", "done"];

    fn from_fields(kind: &str, mut f: Fields<'_>) -> Result<Self, ProtocolError> {
        Ok(match kind {
            "kp-started" => {
                let pid = f.num()?;
                let reboot = Reboot::parse(f.field()?).ok_or_else(|| f.malformed())?;
                f.none()?;
                Self::Started { pid, reboot }
            }
            "kp-stopped" => {
                let pid = f.num()?;
                f.none()?;
                Self::Stopped { pid }
            }
            "kp-none" => f.none().map(|()| Self::NoneRunning)?,
            "kp-failed" => Self::Failed { why: f.last()? },
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
    fn keeper_events_parse() {
        let kp = parse_as::<KeeperEvent>;
        assert_eq!(
            kp("crl1 kp-started 4242 cron"),
            KeeperEvent::Started {
                pid: 4242,
                reboot: Reboot::Cron
            }
        );
        assert_eq!(kp("crl1 kp-stopped 4242"), KeeperEvent::Stopped { pid: 4242 });
        assert_eq!(kp("crl1 kp-none"), KeeperEvent::NoneRunning);
        assert_eq!(
            kp("crl1 kp-failed no login here"),
            KeeperEvent::Failed {
                why: "no login here".into()
            }
        );
    }
}
