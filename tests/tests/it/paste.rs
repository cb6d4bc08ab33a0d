//! `--paste`: the browser on another device. The callback address is obtained by following
//! the sign-in URL through the fake issuer without a browser, as a phone would, and pasted.

use std::time::Duration;

use codex_remote_login_tests::{ALICE, LIMIT, Rig};

/// Runs `rig --paste`, approves "elsewhere", pastes what `edit` makes of the address.
fn paste(rig: &Rig, edit: impl Fn(&str) -> String) -> (codex_remote_login_tests::Finished, String) {
    let mut run = rig
        .tool()
        .open_stdin()
        .args(["rig", "--paste", "--json", "-vvv"])
        .spawn();
    let url = run.wait_event("url", LIMIT);
    let callback = rig.approve_elsewhere(url["url"].as_str().unwrap());
    run.type_line(&edit(&callback));
    (run.finish(LIMIT), callback)
}

#[test]
fn pasted_callback_finishes_the_sign_in_with_nothing_bound_here() {
    let rig = Rig::get();
    // Both callback ports taken here: --paste needs neither.
    let first = std::net::TcpListener::bind("127.0.0.1:1455").expect("1455 free for the test");
    let second = std::net::TcpListener::bind("127.0.0.1:1457").expect("1457 free for the test");
    for decorated in ["0", "1"] {
        rig.reset();
        rig.issuer(&format!("/__control?decorate_state={decorated}"));
        let (run, callback) = paste(&rig, |c| format!("  \"{c}\"  "));
        assert_eq!(run.code(), 0, "decorated={decorated}: {}", run.stderr);
        let code = callback.split("code=").nth(1).unwrap().split('&').next().unwrap();
        assert!(
            !run.stderr.contains(code) && !run.stdout.contains(code),
            "the authorization code was shown"
        );
        assert_eq!(run.event("success").unwrap()["email"], "alice@rig.test");
        let (mode, login) = rig.auth_json(ALICE).unwrap();
        assert_eq!(mode, "-rw-------");
        assert_eq!(rig.login_state(&login), "alive", "decorated={decorated}");
    }
    drop((first, second));
    rig.assert_nothing_left(ALICE);
}

#[test]
fn wrong_pastes_are_refused_with_nothing_written() {
    let rig = Rig::get();
    type Edit = fn(&str) -> String;
    let cases: [(Edit, &str); 3] = [
        (|c| c.replace("state=", "state=x"), "another sign-in attempt"),
        (|c| c.replace(":1455/", ":1457/"), "its port is not 1455"),
        (
            |_| "http://127.0.0.1:1455/elsewhere".to_owned(),
            "its path is not /auth/callback",
        ),
    ];
    for (edit, says) in cases {
        let minted = rig.minted_count();
        let (run, _) = paste(&rig, edit);
        assert_eq!(run.code(), 1, "{says}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{}", run.stderr);
        assert!(rig.auth_json(ALICE).is_none(), "{says}: nothing written");
        assert_eq!(rig.minted_count(), minted, "{says}: nothing signed in");
        rig.assert_nothing_left(ALICE);
    }
}

#[test]
fn pasted_refusal_is_the_issuers() {
    let rig = Rig::get();
    rig.issuer("/__control?authorize=deny");
    let minted = rig.minted_count();
    let (run, callback) = paste(&rig, str::to_owned);
    assert!(callback.contains("error=access_denied"), "{callback}");
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("The user denied the request"), "{}", run.stderr);
    assert!(rig.auth_json(ALICE).is_none());
    assert_eq!(rig.minted_count(), minted, "nothing signed in");
    rig.assert_nothing_left(ALICE);
}

/// On a terminal the address is asked for with echo off while the sign-in goes on, and no
/// progress display draws over that prompt while it waits (a spinner ticks every 100 ms).
#[test]
fn nothing_draws_over_the_paste_prompt() {
    let rig = Rig::get();
    let mut pty = codex_remote_login_tests::Pty::spawn(&rig.command("rig --paste"));
    let prompt = "Paste the address here (it is not shown): ";
    pty.expect(prompt, LIMIT);
    let screen = pty.screen();
    let url = screen
        .split_whitespace()
        .find(|w| w.starts_with("https://auth.openai.com/oauth/authorize?"))
        .unwrap_or_else(|| panic!("no URL on the screen:\n{screen}"))
        .to_owned();
    let asked_at = screen.rfind(prompt).unwrap();
    // Several ticks' time shows whether anything draws now.
    std::thread::sleep(Duration::from_millis(600));
    let after = pty.screen()[asked_at + prompt.len()..].to_owned();
    assert!(after.is_empty(), "something drew over the prompt: {after:?}");
    let callback = rig.approve_elsewhere(&url);
    pty.send(&format!("{callback}\n"));
    let (code, screen) = pty.finish(LIMIT);
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Signed in to Codex on rig"), "{screen}");
    let code = callback.split("code=").nth(1).unwrap().split('&').next().unwrap();
    assert!(!screen.contains(code), "the pasted address was echoed");
    assert_eq!(rig.host_login_state(ALICE), "alive");
    rig.assert_nothing_left(ALICE);
}
