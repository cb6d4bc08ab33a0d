//! The shim's side of the contract, read from the scripts themselves: every event kind a
//! script can say is one the local parser knows, and every kind the parser knows is said by
//! some script. A typo in a script, or an event left behind on one side, fails here rather
//! than as a "malformed event" on some host.

use std::collections::BTreeSet;
use std::path::Path;

use codex_remote_login_shared::{ProtocolError, ShimEvent};

/// The event kinds the scripts say: `say KIND`, the kinds handed to the helpers that say
/// them (`account_of KIND`, `replace_auth KIND`), and literal `crl1 KIND` lines.
fn said() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files: Vec<_> = std::fs::read_dir(dir.join("shim"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.extend(["inside.sh", "relay.sh"].map(|f| dir.join(f)));
    let mut kinds = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            for marker in ["say ", "account_of ", "replace_auth ", "crl1 "] {
                let mut rest = line;
                while let Some(at) = rest.find(marker) {
                    let before = rest[..at].chars().last();
                    rest = &rest[at + marker.len()..];
                    // A word of its own (not `lay `), and a kind written out, not `$kind`.
                    if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                        continue;
                    }
                    let kind: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                        .collect();
                    if !kind.is_empty() && rest[kind.len()..].starts_with([' ', '\'', '"', ';', '$']) || rest == kind {
                        kinds.insert(kind);
                    }
                }
            }
        }
    }
    // `say() {` itself, and the `%s` of the printf that implements it.
    kinds.retain(|k| !k.is_empty());
    kinds
}

/// Whether the parser knows `kind` (it may still want fields).
fn known(kind: &str) -> bool {
    !matches!(
        ShimEvent::parse(&format!("crl1 {kind}")),
        Err(ProtocolError::Unknown { .. })
    )
}

#[test]
fn every_event_a_script_says_is_one_the_parser_knows() {
    let said = said();
    assert!(said.len() > 30, "the scripts were not read: {said:?}");
    let unknown: Vec<_> = said.iter().filter(|k| !known(k)).collect();
    assert!(
        unknown.is_empty(),
        "said by a script, unknown to the parser: {unknown:?}"
    );
}

#[test]
fn every_event_the_parser_knows_is_said_by_a_script() {
    let said = said();
    let parsed = codex_remote_login_shared::protocol::KINDS;
    let unsaid: Vec<_> = parsed.iter().filter(|k| !said.contains(**k)).collect();
    assert!(unsaid.is_empty(), "parsed, but said by no script: {unsaid:?}");
    for kind in parsed {
        assert!(known(kind), "{kind} is listed in KINDS but not parsed");
    }
}
