//! Logins that stay alive: a sign-in that does not finish leaves the host's login in place and
//! alive at the issuer, one that finishes says what became of the login it replaced, and a
//! sign-in inside a container never revokes the host's login it holds a copy of. The rig's
//! issuer keeps the real rules (a refresh token works once, revoked tokens fail) and says
//! which tokens are alive.

use codex_remote_login_tests::{ALICE, LIMIT, Rig};

/// The backups beside crl-alice's auth.json.
fn backups(rig: &Rig) -> String {
    let out = rig.remote_root(&format!(
        "cd /home/{ALICE}/.codex && ls -a | grep '^auth.json.bak-' || true"
    ));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Before this, codex cleared and revoked the host's login before the browser even asked for
/// the authorize page: every way a re-sign-in can fail to finish signed the host out.
#[test]
fn a_re_sign_in_that_does_not_finish_keeps_the_previous_login_alive() {
    let rig = Rig::get();
    let before = rig.sign_alice_in(rig.tool().args(["rig", "--json"])).login;
    for fault in ["timeout", "interrupt", "lost connection", "denied", "sigkill"] {
        let mut tool = rig.tool();
        if fault == "denied" {
            rig.issuer("/__control?authorize=deny");
        } else {
            tool = tool.args(["--no-browser"]);
        }
        if fault == "timeout" {
            tool = tool.args(["--timeout", "4"]);
        }
        let mut run = tool.args(["rig", "--json"]).spawn();
        if fault != "denied" && fault != "timeout" {
            run.wait_event("url", LIMIT);
        }
        match fault {
            "interrupt" => run.signal("INT"),
            "sigkill" => run.signal("KILL"),
            "lost connection" => {
                let killed = rig.remote_root(&format!("pkill -KILL -u {ALICE} -x sshd"));
                assert!(killed.status.success(), "no session sshd to kill");
            }
            _ => {}
        }
        let done = run.finish(LIMIT);
        rig.issuer("/__control?authorize=ok");
        if fault != "sigkill" {
            assert_ne!(done.code(), 0, "{fault}: {}", done.stderr);
            assert!(
                done.stderr
                    .contains("rig's own login (alice@rig.test) is still in place, untouched"),
                "{fault}: {}",
                done.stderr
            );
            let kept = done
                .event("kept")
                .unwrap_or_else(|| panic!("{fault}: no kept event: {}", done.stdout));
            assert_eq!(kept["email"], "alice@rig.test", "{fault}");
        }
        rig.assert_nothing_left(ALICE);
        let (_, now) = rig
            .auth_json(ALICE)
            .unwrap_or_else(|| panic!("{fault}: the host lost its login"));
        assert_eq!(now, before, "{fault}: the host's login changed");
        assert_eq!(
            rig.login_state(&now),
            "alive",
            "{fault}: the host's login died at the issuer"
        );
    }
    assert_eq!(backups(&rig), "", "nothing was replaced, so nothing was backed up");
}

/// A finished sign-in replaces the host's login and asks the issuer to revoke the old one, as
/// codex would: said as requested, and seen revoked at the issuer.
#[test]
fn a_finished_re_sign_in_requests_revocation_of_the_login_it_replaced() {
    let rig = Rig::get();
    let old = rig.sign_alice_in(rig.tool().args(["rig", "--json"])).login;
    let run = rig.sign_in(rig.tool().args(["rig", "--json"]));
    let success = run.event("success").unwrap();
    assert_eq!(success["previous"], "revocation_requested", "{success}");
    assert!(
        run.stderr.contains("its revocation was requested at the issuer"),
        "{}",
        run.stderr
    );
    let (_, new) = rig.auth_json(ALICE).unwrap();
    assert_ne!(new["tokens"]["refresh_token"], old["tokens"]["refresh_token"]);
    assert_eq!(rig.login_state(&new), "alive");
    assert_eq!(rig.login_state(&old), "revoked");
    assert_eq!(backups(&rig), "", "a revoked login is not kept");

    // An API key replacing a ChatGPT login: the same rule, the old login revoked.
    let key = rig.sign_in(rig.tool().env("OPENAI_API_KEY", "sk-rig-alive-key-0001").args([
        "rig",
        "--with-api-key",
        "--json",
    ]));
    assert_eq!(key.event("success").unwrap()["previous"], "revocation_requested");
    assert_eq!(rig.login_state(&new), "revoked");
    // And a ChatGPT login replacing an API key: a key has nothing to revoke, and is kept.
    let back = rig.sign_in(rig.tool().args(["rig", "--json"]));
    let success = back.event("success").unwrap();
    assert_eq!(success["previous"], "kept", "{success}");
    let backup = success["previous_backup"].as_str().unwrap();
    assert!(backup.starts_with("/home/crl-alice/.codex/auth.json.bak-"), "{backup}");
    let kept = rig.remote_root(&format!("cat {backup}"));
    assert!(String::from_utf8_lossy(&kept.stdout).contains("sk-rig-alive-key-0001"));
    rig.assert_nothing_left(ALICE);
}

/// A host whose codex reads its login from the keyring never sees an auth.json: refused
/// before anything starts, the login it has left as it is.
#[test]
fn a_keyring_host_is_refused_before_the_browser_opens() {
    let rig = Rig::get();
    let before = rig.sign_alice_in(rig.tool().args(["rig", "--json"])).login;
    rig.keyring_store(ALICE);
    let run = rig.tool().args(["rig", "--json"]).run(LIMIT);
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("keeps its login in the OS keyring"),
        "{}",
        run.stderr
    );
    assert!(
        run.event("url").is_none(),
        "no browser for a login codex would not read"
    );
    let (_, now) = rig.auth_json(ALICE).unwrap();
    assert_eq!(now, before);
    assert_eq!(rig.login_state(&now), "alive");
    rig.assert_nothing_left(ALICE);
}

/// Before this, `--login-inside` over a copy of the host's login let the container's codex
/// revoke the host's refresh token, and reported success.
#[test]
fn login_inside_over_a_copy_leaves_the_hosts_login_alive() {
    let rig = Rig::get();
    let host = rig.sign_alice_in(rig.tool().args(["rig", "--json"])).login;
    let copy = rig.tool().args(["containers", "rig", "crl-dev"]).run(LIMIT);
    assert_eq!(copy.code(), 0, "{}", copy.stderr);
    let run = rig
        .tool()
        .args(["containers", "rig", "crl-dev", "--login-inside", "--json"])
        .run(LIMIT);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let success = run.event("success").unwrap();
    assert_eq!(success["previous"], "set_aside", "{success}");
    assert_eq!(rig.login_state(&host), "alive", "the host's login was revoked");
    let (_, body) = rig.in_container("crl-dev", "/home/dev/.codex/auth.json").unwrap();
    let inside: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_ne!(inside["tokens"]["refresh_token"], host["tokens"]["refresh_token"]);
    assert_eq!(rig.login_state(&inside), "alive");
    rig.assert_nothing_left(ALICE);
}

/// Two sign-ins racing on one host: the second is refused before codex starts (the first's
/// codex would otherwise be cancelled by the second's), and the first finishes; one login
/// alive, the other run reported, never neither.
#[test]
fn two_sign_ins_on_one_host_leave_one_login_and_report_the_other() {
    let rig = Rig::get();
    let before = rig.sign_alice_in(rig.tool().args(["rig", "--json"])).login;
    let mut first = rig.tool().args(["rig", "--json", "--no-browser"]).spawn();
    let url = first.wait_event("url", LIMIT);
    let second = rig.tool().args(["rig", "--json"]).run(LIMIT);
    assert_eq!(second.code(), 1, "{}", second.stderr);
    assert!(
        second.stderr.contains("another sign-in is already under way on rig"),
        "{}",
        second.stderr
    );
    assert!(second.event("url").is_none(), "the second started nothing");
    // The first goes on, undisturbed, and finishes.
    rig.browse(&first, url["url"].as_str().unwrap());
    let first = first.finish(LIMIT);
    assert_eq!(first.code(), 0, "{}", first.stderr);
    let (_, now) = rig.auth_json(ALICE).unwrap();
    assert_eq!(rig.login_state(&now), "alive");
    assert_eq!(
        rig.login_state(&before),
        "revoked",
        "the first replaced the login it found"
    );
    rig.assert_nothing_left(ALICE);
}

/// A re-sign-in that would revoke a login other places hold (a container's copy, this
/// machine's own) names them, and without a terminal to ask on keeps that login rather than
/// revoking it behind the user's back. Before, codex revoked it, killing every copy.
#[test]
fn a_re_sign_in_keeps_a_login_that_other_places_hold() {
    let rig = Rig::get();
    let old = rig.sign_alice_in(rig.tool().args(["rig", "--json"])).login;
    let copy = rig.tool().args(["containers", "rig", "crl-dev"]).run(LIMIT);
    assert_eq!(copy.code(), 0, "{}", copy.stderr);
    let here = rig.this_machine_holds(&old);

    let run = rig.sign_in(
        rig.tool()
            .env("CODEX_HOME", here.to_str().unwrap())
            .args(["rig", "--json"]),
    );
    let success = run.event("success").unwrap();
    assert_eq!(success["previous"], "kept", "{success}");
    let also: Vec<&str> = success["previous_also_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(also.contains(&"rig/crl-dev"), "{also:?}");
    assert!(also.iter().any(|p| p.starts_with("this machine (")), "{also:?}");
    assert!(run.stderr.contains("hold it too and keep working"), "{}", run.stderr);
    assert_eq!(rig.login_state(&old), "alive", "the copies' login was revoked");
    let (_, new) = rig.auth_json(ALICE).unwrap();
    assert_ne!(new["tokens"]["refresh_token"], old["tokens"]["refresh_token"]);
    assert_eq!(rig.login_state(&new), "alive");
    rig.assert_nothing_left(ALICE);
}

/// On a host whose codex reads its login from the keyring, push, containers and collect each
/// say what that means for them, and write nothing: the file they would write or copy is not
/// the login that codex uses.
#[test]
fn push_containers_and_collect_tell_a_keyring_host_the_truth() {
    let rig = Rig::get();
    let before = rig.sign_alice_in(rig.tool().args(["rig", "--json"])).login;
    rig.keyring_store(ALICE);
    let pushed = rig.dir.join("keyring-push.json");
    std::fs::write(&pushed, rig.minted_login().to_string()).unwrap();
    for (args, says) in [
        (
            vec!["push", "rig", "--from", pushed.to_str().unwrap(), "--force"],
            "it would never read a pushed auth.json; nothing was pushed",
        ),
        (
            vec!["containers", "rig", "crl-dev"],
            "an auth.json there, if any, is not the login it uses; nothing was copied",
        ),
        (
            vec!["collect", "rig", "crl-dev", "--yes"],
            "it would never read a collected auth.json; nothing was collected",
        ),
    ] {
        let run = rig.tool().args(&args).run(LIMIT);
        assert_eq!(run.code(), 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("rig's codex keeps its login in the OS keyring") && run.stderr.contains(says),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(
            rig.auth_json(ALICE).unwrap().1,
            before,
            "{args:?} changed the host's file"
        );
        assert!(
            rig.container_login("crl-dev", "/home/dev/.codex/auth.json").is_none(),
            "{args:?}"
        );
    }
    assert_eq!(rig.login_state(&before), "alive");
    let _ = std::fs::remove_file(&pushed);
    rig.assert_nothing_left(ALICE);
}

/// A sign-in with a secret that codex refuses (an access token it cannot verify) does not
/// finish either: the host's ChatGPT login stays, unchanged and alive.
#[test]
fn a_refused_secret_keeps_the_previous_login_alive() {
    let rig = Rig::get();
    let before = rig.sign_alice_in(rig.tool().args(["rig", "--json"])).login;
    let run = rig
        .tool()
        .stdin("not-a-token-codex-accepts\n")
        .args(["rig", "--with-access-token", "--json"])
        .run(LIMIT);
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(run.event("kept").is_some(), "{}", run.stdout);
    let (_, now) = rig.auth_json(ALICE).unwrap();
    assert_eq!(now, before);
    assert_eq!(rig.login_state(&now), "alive");
    rig.assert_nothing_left(ALICE);
}
