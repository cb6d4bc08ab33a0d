//! The Windows build, run under Wine on this machine, against the same rig: real sshd, real
//! codex, the fake issuer. `scripts/test` builds it (`scripts/windows`) and points
//! `CRL_WINDOWS_BIN` at it. What Wine cannot show (Ctrl-Break delivery, ACLs) is listed in
//! the README.

use codex_remote_login_tests::{ALICE, LIMIT, Rig, Running};

/// The user's browser on a phone: the Windows build reads the pasted callback address from
/// its stdin and delivers it to the host's codex over SSH.
#[test]
fn windows_build_signs_in_with_a_pasted_callback() {
    let rig = Rig::get();
    let mut run = rig
        .windows_tool()
        .open_stdin()
        .args(["rig", "--paste", "--json", "-vvv"])
        .spawn();
    let url = run.wait_event("url", LIMIT);
    let callback = rig.approve_elsewhere(url["url"].as_str().unwrap());
    run.type_line(&callback);
    let run = run.finish(LIMIT);
    assert_eq!(run.code(), 0, "stderr:\n{}", run.stderr);
    let code = callback.split("code=").nth(1).unwrap().split('&').next().unwrap();
    assert!(
        !run.stderr.contains(code) && !run.stdout.contains(code),
        "the authorization code was shown"
    );
    let success = run.event("success").expect("a success event");
    assert_eq!(success["email"], "alice@rig.test");
    assert_eq!(success["auth_file"], "/home/crl-alice/.codex/auth.json");
    let (mode, auth) = rig.auth_json(ALICE).expect("auth.json on the host");
    assert_eq!(mode, "-rw-------");
    let issued: serde_json::Value = serde_json::from_str(&rig.issuer("/__issued")).unwrap();
    assert_eq!(auth["tokens"]["refresh_token"], issued["refresh_token"]);
    assert_eq!(rig.login_state(&auth), "alive");
    rig.assert_nothing_left(ALICE);
}

/// The browser flow of the Windows build: `--browser-command` starts the rig's browser with
/// the URL as its one argument (no shell, no `cmd /c`), and the callback reaches the host's
/// codex through the tunnel.
#[test]
fn windows_build_signs_in_through_the_browser_command() {
    let rig = Rig::get();
    // The default way (the system's handler, then $BROWSER) must not be what opens it.
    let tool = rig.windows_tool().env("BROWSER", "/bin/false");
    let page = tool.browser_out.clone();
    let run = tool
        .args([
            "rig".as_ref(),
            "--json".as_ref(),
            "--browser-command".as_ref(),
            rig.browser.as_os_str(),
        ])
        .run(LIMIT);
    assert_eq!(run.code(), 0, "stderr:\n{}", run.stderr);
    assert_eq!(
        run.event("success").expect("a success event")["email"],
        "alice@rig.test"
    );
    assert!(Running::browser_page(&page).contains("Signed in to Codex"));
    let (mode, login) = rig.auth_json(ALICE).expect("auth.json on the host");
    assert_eq!(mode, "-rw-------");
    assert_eq!(rig.login_state(&login), "alive");
    rig.assert_nothing_left(ALICE);
}

/// Windows' OpenSSH has no ControlMaster, so the Windows build never takes it: `--ssh auto`
/// stays with the built-in client and says why at `-v`; `--ssh openssh` is refused, naming
/// the way that works.
#[test]
fn windows_build_keeps_to_the_builtin_client() {
    let rig = Rig::get();
    let run = rig
        .windows_tool()
        .args(["rig", "-v", "--codex", "/nonexistent/codex"])
        .run(LIMIT);
    assert!(
        run.stderr.contains(
            "rig: the built-in SSH client (OpenSSH on Windows cannot share one connection (no ControlMaster))"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(run.code(), 5, "reached, codex not there: {}", run.stderr);
    let run = rig.windows_tool().args(["rig", "--ssh", "openssh"]).run(LIMIT);
    assert_eq!(run.code(), 3, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--ssh openssh: OpenSSH on Windows cannot share one connection")
            && run.stderr.contains("--ssh builtin"),
        "{}",
        run.stderr
    );
    rig.assert_nothing_left(ALICE);
}
