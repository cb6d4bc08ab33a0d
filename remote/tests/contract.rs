//! The shim's side of the contract, read from the programs themselves: the common part says
//! only the host's report, each job's part says only the events of that job's enum, and every
//! kind an enum takes is said by some program of its job. A typo in a script, an event left
//! behind on one side, or an event moved into the wrong job fails here rather than as a
//! "malformed" or "unexpected event" on some host.

use std::collections::BTreeSet;

use codex_remote_login_remote::{Job, LoginMethod, OneJob, Selection, ToShim, common, job};
use codex_remote_login_shared::protocol::{Events, HostEvent, STAGES};

/// The event kinds a program says: `say KIND`, the kinds handed to the helpers that say them
/// (`account_of KIND`, `replace_auth KIND`), and literal `crl1 KIND` lines.
fn said_in(text: &str) -> BTreeSet<String> {
    let mut kinds = BTreeSet::new();
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
                if !kind.is_empty() && (rest[kind.len()..].starts_with([' ', '\'', '"', ';', '$']) || rest == kind) {
                    kinds.insert(kind);
                }
            }
        }
    }
    kinds
}

/// A script of the remote crate's source tree.
fn source(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(path)).unwrap()
}

/// A job as its program is built, with the stage its type says its events are parsed as.
fn typed<J: OneJob>(job: J) -> (Job, &'static str, &'static [&'static str]) {
    (job.into(), J::Event::STAGE, J::Event::KINDS)
}

/// Every job.
fn jobs() -> Vec<(Job, &'static str, &'static [&'static str])> {
    let sign_in = |method| job::SignIn {
        method,
        ca: None,
        skip_logged_in: false,
    };
    let some = Selection::default();
    vec![
        typed(sign_in(LoginMethod::Browser { hold_port: None })),
        typed(sign_in(LoginMethod::Device)),
        typed(sign_in(LoginMethod::ApiKey)),
        typed(sign_in(LoginMethod::AccessToken)),
        typed(job::Status),
        typed(job::Preflight { check_login: true }),
        typed(job::Doctor),
        typed(job::Push),
        typed(job::Containers {
            containers: some.clone(),
            force: false,
            share_refresh: false,
            keep: false,
        }),
        typed(job::Collect(some.clone())),
        typed(job::Logout {
            containers: some,
            local_only: false,
            salt: "00".into(),
        }),
        typed(job::Survey { salt: "00".into() }),
        typed(job::Keeper::Start),
    ]
}

#[test]
fn the_common_part_and_inside_say_only_the_hosts_report() {
    for (name, text) in [("common.sh", common()), ("inside.sh", source("inside.sh"))] {
        let said = said_in(&text);
        let stray: Vec<_> = said
            .iter()
            .filter(|k| !HostEvent::KINDS.contains(&k.as_str()))
            .collect();
        assert!(
            stray.is_empty(),
            "{name} says what is no part of the host's report: {stray:?}"
        );
    }
    let said: BTreeSet<String> = said_in(&common())
        .into_iter()
        .chain(said_in(&source("inside.sh")))
        .collect();
    let unsaid: Vec<_> = HostEvent::KINDS.iter().filter(|k| !said.contains(**k)).collect();
    assert!(unsaid.is_empty(), "part of the host's report, said nowhere: {unsaid:?}");
    assert!(
        common().trim_end().ends_with("say ready"),
        "the report must end with `ready`"
    );
    assert!(said_in(&source("relay.sh")).is_empty(), "the relay speaks no events");
}

#[test]
fn each_job_says_only_its_own_events() {
    for (job, stage, kinds) in jobs() {
        let said = said_in(&job.part());
        assert!(!said.is_empty(), "{job:?}'s part was not read");
        let stray: Vec<_> = said.iter().filter(|k| !kinds.contains(&k.as_str())).collect();
        assert!(stray.is_empty(), "{job:?} says what {stage} does not take: {stray:?}");
    }
}

#[test]
fn every_event_of_a_job_is_said_by_one_of_its_programs() {
    for (stage, kinds) in STAGES.iter().filter(|(stage, _)| *stage != HostEvent::STAGE) {
        let said: BTreeSet<String> = jobs()
            .into_iter()
            .filter(|(_, of, _)| of == stage)
            .flat_map(|(job, _, _)| said_in(&job.part()))
            .collect();
        assert!(!said.is_empty(), "no job's events are {stage}");
        let unsaid: Vec<_> = kinds.iter().filter(|k| !said.contains(**k)).collect();
        assert!(
            unsaid.is_empty(),
            "{stage} takes, but no program of it says: {unsaid:?}"
        );
    }
}

/// The other direction: each message the local side sends starts with a word the part of its
/// job reads (a `case` label, or what a `read` is compared with or defaults to). The CA bundle
/// and the secret are bytes, not words: the e2e tests of `--ca-cert` and `--with-api-key`
/// carry them.
#[test]
fn every_message_to_the_shim_is_read_by_its_job() {
    let sign_in = Job::from(job::SignIn {
        method: LoginMethod::Browser { hold_port: None },
        ca: None,
        skip_logged_in: false,
    });
    let collect = Job::from(job::Collect(Selection::default()));
    let push = Job::from(job::Push);
    for (message, job) in [
        (ToShim::Running, &sign_in),
        (ToShim::Cancel, &sign_in),
        (ToShim::Push("{}"), &push),
        (ToShim::Leave, &push),
        (ToShim::Take, &collect),
        (ToShim::Leave, &collect),
    ] {
        let encoded = message.encode();
        let word = encoded.split([' ', '\n']).next().unwrap();
        let part = job.part();
        let read = [
            format!("{word})"),
            format!("= {word} "),
            format!("={word}\n"),
            format!("={word};"),
        ];
        assert!(
            read.iter().any(|r| part.contains(r.as_str())),
            "{job:?} never reads `{word}`"
        );
    }
}

/// The extraction itself: a planted typo is found, and a kind in a variable is not taken.
#[test]
fn said_finds_kinds_written_out() {
    let said =
        said_in("say ctr-faild web x\n    x=1; say \"$kind\" y\n# say commented\nprintf 'crl1 no-container %s\\n' x\n");
    assert_eq!(
        said,
        BTreeSet::from(["ctr-faild".to_owned(), "no-container".to_owned()])
    );
}
