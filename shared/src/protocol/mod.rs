//! The line protocol the remote shim writes on its stdout.
//!
//! The shim is a POSIX `sh` program, so the framing is what `printf` can produce safely: one
//! event per line, `crl1 <kind> <fields...>`, fields separated by single spaces, and only the
//! last field of a kind may contain spaces (it runs to the end of the line). Lines without the
//! prefix are not ours (a user's shell start-up files may print on stdout) and are skipped.
//!
//! A run speaks in two stages. First the host's report, the same for every job
//! ([`HostEvent`]: `hello`, where codex is, the login on file, the relay tools, the policy),
//! ended by an explicit `ready`. Then the job's own events, one enum per job: [`SignInEvent`],
//! [`StatusEvent`] (also the preflight), [`DoctorEvent`], [`PushEvent`], [`ContainersEvent`],
//! [`CollectEvent`], [`LogoutEvent`]. A kind of another stage or another job is an error,
//! not an event: a host cannot slip a late `before` into a sign-in, nor a `col-took` into a
//! push.

mod collect;
mod containers;
mod frame;
mod held;
mod host;
mod jobs;
mod keeper;
mod report;

pub use collect::{CollectEvent, Verdict};
pub use containers::{ContainersEvent, CopyKind, LogoutEvent, LogoutResult, SurveyEvent};
pub use frame::{Events, Fields, PREFIX, PROTOCOL_VERSION, ProtocolError};
pub use held::Held;
pub use host::{Account, CodexSource, HostEvent, RelayTool};
pub use jobs::{DoctorEvent, Previous, PushEvent, SignInEvent, StatusEvent};
pub use keeper::{KeeperEvent, Reboot};
pub use report::LoginReport;

/// Parses one line of the shim's stdout as an event of stage `E`; `Ok(None)` for lines that
/// are not ours.
pub fn parse<E: Events>(line: &str) -> Result<Option<E>, ProtocolError> {
    let Some(rest) = line.trim_end_matches(['\r', '\n']).strip_prefix(PREFIX) else {
        return Ok(None);
    };
    let (kind, args) = rest.split_once(' ').unwrap_or((rest, ""));
    if E::KINDS.contains(&kind) {
        return E::from_fields(kind, Fields::new(kind, args)).map(Some);
    }
    Err(if is_kind(kind) {
        ProtocolError::Unexpected {
            kind: kind.into(),
            stage: E::STAGE,
        }
    } else {
        ProtocolError::Unknown { kind: kind.into() }
    })
}

/// Every stage's kinds, for telling an unknown kind from a misplaced one, and for the test
/// that the scripts say each.
pub const STAGES: &[(&str, &[&str])] = &[
    (HostEvent::STAGE, HostEvent::KINDS),
    (SignInEvent::STAGE, SignInEvent::KINDS),
    (StatusEvent::STAGE, StatusEvent::KINDS),
    (DoctorEvent::STAGE, DoctorEvent::KINDS),
    (PushEvent::STAGE, PushEvent::KINDS),
    (ContainersEvent::STAGE, ContainersEvent::KINDS),
    (CollectEvent::STAGE, CollectEvent::KINDS),
    (LogoutEvent::STAGE, LogoutEvent::KINDS),
    (SurveyEvent::STAGE, SurveyEvent::KINDS),
    (KeeperEvent::STAGE, KeeperEvent::KINDS),
];

/// Whether any stage has events of `kind`.
pub fn is_kind(kind: &str) -> bool {
    STAGES.iter().any(|(_, kinds)| kinds.contains(&kind))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `line` parsed as an event of stage `E`, which it must be.
    pub fn parse_as<E: Events>(line: &str) -> E {
        parse::<E>(line).unwrap().unwrap()
    }

    #[test]
    fn foreign_lines_are_skipped() {
        assert_eq!(parse::<HostEvent>("Welcome to Ubuntu"), Ok(None));
        assert_eq!(parse::<PushEvent>(""), Ok(None));
    }

    #[test]
    fn a_kind_of_another_stage_is_unexpected_and_a_made_up_one_unknown() {
        assert!(matches!(
            parse::<SignInEvent>("crl1 before chatgpt a@b.c plus"),
            Err(ProtocolError::Unexpected { stage: "a sign-in", .. })
        ));
        assert!(matches!(
            parse::<PushEvent>("crl1 col-took web /x"),
            Err(ProtocolError::Unexpected { .. })
        ));
        assert!(matches!(
            parse::<HostEvent>("crl1 done"),
            Err(ProtocolError::Unexpected { .. })
        ));
        assert!(matches!(
            parse::<HostEvent>("crl1 launch-missiles"),
            Err(ProtocolError::Unknown { .. })
        ));
    }

    /// Every kind a stage lists is one its parser takes (with some fields).
    #[test]
    fn every_listed_kind_is_parsed() {
        fn check<E: Events>() {
            for kind in E::KINDS {
                for line in [format!("crl1 {kind}"), format!("crl1 {kind} 2 a b c d e")] {
                    if let Err(ProtocolError::Unknown { .. } | ProtocolError::Unexpected { .. }) = parse::<E>(&line) {
                        panic!("{kind} is listed for {} but not parsed", E::STAGE);
                    }
                }
            }
        }
        check::<HostEvent>();
        check::<SignInEvent>();
        check::<StatusEvent>();
        check::<DoctorEvent>();
        check::<PushEvent>();
        check::<ContainersEvent>();
        check::<CollectEvent>();
        check::<LogoutEvent>();
    }

    #[test]
    fn fields_are_strict() {
        assert!(matches!(
            parse::<PushEvent>("crl1 pushed now"),
            Err(ProtocolError::Malformed { .. })
        ));
        assert!(matches!(
            parse::<SignInEvent>("crl1 exited x"),
            Err(ProtocolError::Malformed { .. })
        ));
        assert!(matches!(
            parse::<SignInEvent>("crl1 exited"),
            Err(ProtocolError::Malformed { .. })
        ));
    }
}
