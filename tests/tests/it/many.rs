//! Several hosts in one command. Two users on the rig's sshd, each with a `~/.codex` of its
//! own, stand for two hosts; they share one loopback, so their launches must not overlap.

use codex_remote_login_tests::{ALICE, BOB, LIMIT, Rig};

/// crl-bob has no codex on any PATH: both hosts are given its path.
fn codex() -> String {
    format!("{}/node_modules/.bin/codex", std::env::var("CRL_CODEX_PREFIX").unwrap())
}

#[test]
fn two_hosts_two_approvals_two_logins() {
    let rig = Rig::get();
    let hosts_file = rig.dir.join("hosts");
    std::fs::write(&hosts_file, "# the second host\n\nbob   # crl-bob\n").unwrap();
    let run = rig.sign_in(rig.tool().args([
        "rig",
        "--hosts-file",
        hosts_file.to_str().unwrap(),
        "--json",
        "--codex",
        &codex(),
    ]));
    let signed: Vec<String> = run
        .events()
        .iter()
        .filter(|e| e["type"] == "success")
        .map(|e| e["host"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(signed, ["rig", "bob"], "in the order given");
    let (alice_mode, alice) = rig.auth_json(ALICE).unwrap();
    let (bob_mode, bob) = rig.auth_json(BOB).unwrap();
    assert_eq!((alice_mode.as_str(), bob_mode.as_str()), ("-rw-------", "-rw-------"));
    assert_ne!(
        alice["tokens"]["refresh_token"], bob["tokens"]["refresh_token"],
        "each host its own login"
    );
    assert_eq!(
        (rig.login_state(&alice).as_str(), rig.login_state(&bob).as_str()),
        ("alive", "alive")
    );
    // The second URL came only after the first login ended: one codex at a time.
    let urls = run.events().iter().filter(|e| e["type"] == "url").count();
    assert_eq!(urls, 2);
    rig.assert_nothing_left(ALICE);
    rig.assert_nothing_left(BOB);
}

#[test]
fn one_unreachable_host_does_not_stop_the_others() {
    let rig = Rig::get();
    let run = rig
        .tool()
        .args(["rig", "ssh://127.0.0.1:1", "bob", "--codex", &codex()])
        .run(LIMIT);
    assert_eq!(
        run.code(),
        3,
        "the dead host's failure decides the exit status: {}",
        run.stderr
    );
    assert!(
        rig.auth_json(ALICE).is_some() && rig.auth_json(BOB).is_some(),
        "{}",
        run.stderr
    );
    assert_eq!(
        (rig.host_login_state(ALICE).as_str(), rig.host_login_state(BOB).as_str()),
        ("alive", "alive")
    );
    let table: Vec<&str> = run.stderr.lines().skip_while(|l| !l.starts_with("HOST")).collect();
    assert!(
        table.iter().any(|l| l.starts_with("rig") && l.contains("signed in")),
        "{}",
        run.stderr
    );
    assert!(
        table
            .iter()
            .any(|l| l.starts_with("ssh://127.0.0.1:1") && l.contains("failed") && l.contains("cannot connect")),
        "{}",
        run.stderr
    );
    assert!(
        table.iter().any(|l| l.starts_with("bob") && l.contains("signed in")),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches("cannot connect to").count(),
        2,
        "the error once in full, and its row in the table: {}",
        run.stderr
    );
    rig.assert_nothing_left(ALICE);
    rig.assert_nothing_left(BOB);
}

/// With --json there is no table: the closing hint points at the events, not at a table.
#[test]
fn the_closing_hint_points_at_what_was_printed() {
    let rig = Rig::get();
    let minted = rig.minted_count();
    let run = rig
        .tool()
        .args(["--json", "ssh://127.0.0.1:1", "ssh://127.0.0.1:2", "--codex", &codex()])
        .run(LIMIT);
    assert_eq!(run.code(), 3, "{}", run.stderr);
    assert!(!run.stderr.contains("table"), "{}", run.stderr);
    let errors: Vec<_> = run.events().into_iter().filter(|e| e["type"] == "error").collect();
    assert_eq!(errors.len(), 3, "one per host and the closing one: {errors:?}");
    assert!(
        errors[2]["hint"].as_str().unwrap().contains("error event"),
        "{errors:?}"
    );
    // -q: only errors, so no table, and the hint says where to look.
    let quiet = rig
        .tool()
        .args(["-q", "ssh://127.0.0.1:1", "ssh://127.0.0.1:2", "--codex", &codex()])
        .run(LIMIT);
    assert_eq!(quiet.code(), 3, "{}", quiet.stderr);
    assert!(
        !quiet.stderr.contains("OUTCOME") && !quiet.stderr.contains("table"),
        "{}",
        quiet.stderr
    );
    assert!(
        quiet.stderr.contains("the errors above say which failed"),
        "{}",
        quiet.stderr
    );
    let said: Vec<&str> = quiet.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        said.iter()
            .all(|l| l.contains("error:") || l.contains("hint:") || l.contains("caused by:")),
        "-q prints only errors: {said:#?}"
    );
    assert_eq!(rig.minted_count(), minted, "no host was reached, nothing signed in");
    rig.assert_nothing_left(ALICE);
}

#[test]
fn skip_logged_in() {
    let rig = Rig::get();
    rig.sign_in(
        rig.tool()
            .env("OPENAI_API_KEY", "sk-rig-skip-test")
            .args(["rig", "--with-api-key"]),
    );
    // One host: the shim itself skips, in the launch's exec.
    let single = rig.sign_in(rig.tool().args(["rig", "--skip-logged-in", "--no-browser", "--json"]));
    assert!(
        single.stderr.contains("rig is already signed in; skipped"),
        "{}",
        single.stderr
    );
    assert!(single.event("url").is_none(), "nothing was launched");
    let skipped = single.event("skipped").expect("a skipped host is an event too");
    assert_eq!(
        (&skipped["host"], &skipped["auth_mode"]),
        (&"rig".into(), &"apikey".into())
    );
    // Several: the preflight decides.
    let both = rig.sign_in(
        rig.tool()
            .args(["rig", "bob", "--skip-logged-in", "--codex", &codex(), "--json"]),
    );
    let skipped: Vec<_> = both.events().into_iter().filter(|e| e["type"] == "skipped").collect();
    assert_eq!(skipped.len(), 1, "only rig was signed in already: {}", both.stdout);
    assert_eq!(skipped[0]["host"], "rig");
    assert!(
        both.stderr
            .lines()
            .any(|l| l.starts_with("rig") && l.contains("skipped")),
        "{}",
        both.stderr
    );
    assert_eq!(
        rig.auth_json(ALICE).unwrap().1["OPENAI_API_KEY"],
        "sk-rig-skip-test",
        "untouched"
    );
    assert!(rig.auth_json(BOB).is_some());
    assert_eq!(
        (rig.host_login_state(ALICE).as_str(), rig.host_login_state(BOB).as_str()),
        ("apikey", "alive")
    );
    rig.assert_nothing_left(ALICE);
    rig.assert_nothing_left(BOB);
}

/// Several hosts, each signed in already, signed in again without anyone approving: every
/// host's turn ends unfinished (the deadline), and every host keeps its login, unchanged and
/// alive at the issuer (issue #23: "for many hosts").
#[test]
fn unfinished_sign_ins_of_several_hosts_keep_every_hosts_login() {
    let rig = Rig::get();
    rig.sign_in(rig.tool().args(["rig", "bob", "--codex", &codex()]));
    let before = [rig.auth_json(ALICE).unwrap().1, rig.auth_json(BOB).unwrap().1];
    for login in &before {
        assert_eq!(rig.login_state(login), "alive");
    }
    let again = rig
        .tool()
        .args([
            "rig",
            "bob",
            "--codex",
            &codex(),
            "--no-browser",
            "--timeout",
            "3",
            "--json",
        ])
        .run(LIMIT);
    assert_ne!(again.code(), 0, "{}", again.stderr);
    let kept: Vec<String> = again
        .events()
        .iter()
        .filter(|e| e["type"] == "kept")
        .map(|e| e["host"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kept, ["rig", "bob"], "{}", again.stderr);
    let after = [rig.auth_json(ALICE).unwrap().1, rig.auth_json(BOB).unwrap().1];
    assert_eq!(after, before, "a host's login changed");
    for login in &after {
        assert_eq!(rig.login_state(login), "alive");
    }
    rig.assert_nothing_left(ALICE);
    rig.assert_nothing_left(BOB);
}
