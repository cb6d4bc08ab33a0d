//! `logout`: the real codex's `codex logout` on the rig's host and in its container, which
//! revokes the login at the (fake) issuer; `--local-only`, which revokes nothing; and the
//! places sharing one login, named before anything is touched.

use codex_remote_login_tests::{ALICE, Finished, LIMIT, Rig};

/// How many revocations the issuer has been asked for since it started.
fn revocations(rig: &Rig) -> usize {
    let log: Vec<String> = serde_json::from_str(&rig.issuer("/__log")).unwrap();
    log.iter().filter(|l| l.starts_with("POST /oauth/revoke")).count()
}

fn logout_events(run: &Finished) -> Vec<serde_json::Value> {
    run.events().into_iter().filter(|e| e["type"] == "logout").collect()
}

#[test]
fn logout_revokes_and_removes_a_signed_in_hosts_login() {
    let rig = Rig::get();
    let login = rig.sign_alice_in(rig.tool().args(["rig"])).login;
    let before = revocations(&rig);
    let run = rig.tool().args(["logout", "rig", "--json"]).run(LIMIT);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let events = logout_events(&run);
    assert_eq!(events.len(), 1, "{}", run.stdout);
    assert_eq!(events[0]["host"], "rig");
    assert_eq!(events[0]["result"], "signed_out");
    assert_eq!(events[0]["shared"], serde_json::json!([]));
    assert!(events[0].get("container").is_none());
    assert_eq!(
        revocations(&rig),
        before + 1,
        "codex logout revoked the login at the issuer"
    );
    assert!(rig.auth_json(ALICE).is_none(), "the login is gone");
    assert_eq!(rig.login_state(&login), "revoked", "the login, at the issuer");
    let status = rig.remote(ALICE, "codex login status");
    assert!(String::from_utf8_lossy(&status.stderr).contains("Not logged in"));
    rig.assert_nothing_left(ALICE);
}

#[test]
fn logout_of_a_host_not_signed_in_says_so_and_succeeds() {
    let rig = Rig::get();
    let before = revocations(&rig);
    let run = rig.tool().args(["logout", "rig"]).run(LIMIT);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let table: Vec<&str> = run.stdout.lines().collect();
    assert!(table[0].starts_with("PLACE  RESULT"), "{}", run.stdout);
    assert!(
        table[1].starts_with("rig") && table[1].contains("not signed in"),
        "{}",
        run.stdout
    );
    assert_eq!(revocations(&rig), before, "nothing to revoke");
    rig.assert_nothing_left(ALICE);
}

/// The host signed in, and its whole login copied into crl-dev (as `--share-refresh-token`
/// copies it, and as copies made before access-only ones are): one login in two places, alive.
fn sign_in_with_a_copy_in_crl_dev(rig: &Rig) -> serde_json::Value {
    let login = rig.sign_alice_in(rig.tool().args(["rig"])).login;
    let copied = rig
        .tool()
        .args(["containers", "rig", "crl-dev", "--share-refresh-token"])
        .run(LIMIT);
    assert_eq!(copied.code(), 0, "{}", copied.stderr);
    let copy = rig
        .container_login("crl-dev", "/home/dev/.codex/auth.json")
        .expect("the container's copy");
    assert_eq!(copy["tokens"]["refresh_token"], login["tokens"]["refresh_token"]);
    assert_eq!(rig.login_state(&copy), "alive");
    login
}

/// The same login copied into a container: named before acting; `--local-only` removes the
/// host's copy alone, revoking nothing, so the container's keeps working.
#[test]
fn local_only_removes_one_copy_and_names_the_others() {
    let rig = Rig::get();
    let login = sign_in_with_a_copy_in_crl_dev(&rig);
    let host_file = rig.auth_json(ALICE).unwrap().1;
    let refresh = host_file["tokens"]["refresh_token"].as_str().unwrap().to_owned();
    let before = revocations(&rig);
    let run = rig.tool().args(["logout", "rig", "--local-only", "--json"]).run(LIMIT);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let events = logout_events(&run);
    assert_eq!(events.len(), 1, "{}", run.stdout);
    assert_eq!(events[0]["result"], "removed");
    assert_eq!(events[0]["shared"], serde_json::json!(["rig/crl-dev"]));
    assert!(
        run.stderr
            .contains("the login on rig is also in rig/crl-dev: only rig's copy is removed"),
        "{}",
        run.stderr
    );
    assert_eq!(revocations(&rig), before, "--local-only revokes nothing");
    assert!(rig.auth_json(ALICE).is_none());
    let (_, kept) = rig
        .in_container("crl-dev", "/home/dev/.codex/auth.json")
        .expect("the container's copy");
    assert!(kept.contains(&refresh), "the container's copy is untouched");
    assert_eq!(rig.login_state(&login), "alive", "the login lives on in the container");
    // Nothing of the tokens in what was printed.
    assert!(!run.stdout.contains(&refresh) && !run.stderr.contains(&refresh));
    rig.assert_nothing_left(ALICE);
}

/// The host and its container, holding one login, signed out together: each is named as the
/// other's sharer before anything is touched, and both are gone after.
#[test]
fn logout_with_a_container_names_the_shared_copy_first() {
    let rig = Rig::get();
    // A refresh token whose hash starts with `a`, as one in 16 do: such a hash once passed
    // for the mark of an access-only copy, and the host's login then shared nothing.
    rig.issuer("/__control?refresh_hash=a");
    let login = sign_in_with_a_copy_in_crl_dev(&rig);
    let before = revocations(&rig);
    let diagnosis = rig.copy_diagnosis(ALICE, "crl-dev", "/home/dev/.codex/auth.json", &login);
    let run = rig.tool().args(["logout", "rig", "--container", "crl-dev"]).run(LIMIT);
    assert_eq!(run.code(), 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("the login on rig is also in rig/crl-dev: codex logout revokes it at the issuer"),
        "{}\nbefore the logout: {diagnosis}",
        run.stderr
    );
    assert!(
        run.stderr.contains("the login on rig/crl-dev is also in rig:"),
        "{}",
        run.stderr
    );
    let row = |name: &str| {
        run.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row for {name}: {}", run.stdout))
            .to_owned()
    };
    assert!(
        row("rig").contains("signed out") && row("rig").contains("rig/crl-dev"),
        "{}",
        run.stdout
    );
    assert!(row("rig/crl-dev").contains("signed out"), "{}", run.stdout);
    assert!(revocations(&rig) > before, "revoked at the issuer");
    assert_eq!(rig.login_state(&login), "revoked", "the login, at the issuer");
    assert!(rig.auth_json(ALICE).is_none());
    assert!(
        rig.in_container("crl-dev", "/home/dev/.codex/auth.json")
            .is_none_or(|(meta, _)| meta.is_empty()),
        "the container's copy is gone"
    );
    rig.assert_nothing_left(ALICE);
}

/// A container that is not running cannot be signed out: said, and the exit status is 1.
#[test]
fn a_stopped_container_is_a_failed_row() {
    let rig = Rig::get();
    let run = rig
        .tool()
        .args(["logout", "rig", "--container", "crl-stopped", "--json"])
        .run(LIMIT);
    assert_eq!(run.code(), 1, "{}", run.stderr);
    let events = logout_events(&run);
    let stopped = events.iter().find(|e| e["container"] == "crl-stopped").unwrap();
    assert_eq!(stopped["result"], "failed");
    assert!(stopped["reason"].as_str().unwrap().contains("not running"), "{stopped}");
    rig.assert_nothing_left(ALICE);
}

/// `--local-only` needs no codex on the host (bob has none); without it, the missing codex
/// is the usual error and exit code.
#[test]
fn local_only_needs_no_codex() {
    let rig = Rig::get();
    let local = rig.tool().args(["logout", "bob", "--local-only", "--json"]).run(LIMIT);
    assert_eq!(local.code(), 0, "{}", local.stderr);
    assert_eq!(logout_events(&local)[0]["result"], "not_signed_in");
    let revoking = rig.tool().args(["logout", "bob"]).run(LIMIT);
    assert_eq!(revoking.code(), 5, "{}", revoking.stderr);
    assert!(
        revoking.stderr.contains("codex was not found on bob"),
        "{}",
        revoking.stderr
    );
    assert!(
        revoking
            .stdout
            .lines()
            .any(|l| l.starts_with("bob") && l.contains("FAILED")),
        "the host keeps its row: {}",
        revoking.stdout
    );
    rig.assert_nothing_left(codex_remote_login_tests::BOB);
}

/// Before this, `logout` only warned: the copy in crl-dev, and this machine's own copy of the
/// host's login, were revoked without a word from the user. Now every other place holding the
/// login is named first, and without a terminal nothing is revoked unless --yes is given.
#[test]
fn logout_revokes_nothing_other_places_hold_without_yes() {
    let rig = Rig::get();
    sign_in_with_a_copy_in_crl_dev(&rig);
    let (_, login) = rig.auth_json(ALICE).unwrap();
    // This machine holds the same login too (as `push` or a hand copy would leave it).
    let here = rig.this_machine_holds(&login);
    let diagnosis = rig.copy_diagnosis(ALICE, "crl-dev", "/home/dev/.codex/auth.json", &login);

    let refused = rig
        .tool()
        .env("CODEX_HOME", here.to_str().unwrap())
        .args(["logout", "rig", "--json"])
        .run(LIMIT);
    assert_eq!(refused.code(), 1, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("nothing was signed out on rig: the same login is also in rig/crl-dev, this machine ("),
        "{}\nbefore the logout: {diagnosis}",
        refused.stderr
    );
    assert!(refused.stderr.contains("pass --yes"), "{}", refused.stderr);
    assert_eq!(rig.login_state(&login), "alive", "nothing was revoked");
    assert_eq!(rig.auth_json(ALICE).unwrap().1, login, "the host's login is in place");

    let done = rig
        .tool()
        .env("CODEX_HOME", here.to_str().unwrap())
        .args(["logout", "rig", "--yes", "--json"])
        .run(LIMIT);
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let events = logout_events(&done);
    assert_eq!(events[0]["result"], "signed_out");
    let shared = events[0]["shared"].as_array().unwrap();
    assert!(shared.iter().any(|p| p == "rig/crl-dev"), "{shared:?}");
    assert!(
        shared.iter().any(|p| p.as_str().unwrap().starts_with("this machine (")),
        "{shared:?}"
    );
    assert_eq!(rig.login_state(&login), "revoked");
    rig.assert_nothing_left(ALICE);
}
