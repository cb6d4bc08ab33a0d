//! Whole sign-ins: browser → fake authorize → local proxy → SSH → real codex → auth.json.

use codex_remote_login_shared::auth_json::id_claims;
use codex_remote_login_tests::{ALICE, LIMIT, Rig, Running, http_get};

#[test]
fn signs_in_through_the_browser_and_leaves_nothing_behind() {
    let rig = Rig::get();
    let tool = rig.tool();
    let page = tool.browser_out.clone();
    // -vvv: nothing secret even at the most verbose.
    let run = tool.args(["rig", "--json", "-vvv"]).run(LIMIT);
    assert_eq!(run.code(), 0, "stderr:\n{}", run.stderr);

    // The events a script relies on, in order, none carrying a secret.
    let kinds = run.kinds();
    assert_eq!(kinds, ["connected", "codex_found", "url", "callback", "success"]);
    let found = run.event("codex_found").unwrap();
    assert_eq!(
        found["found_via"], "login shell PATH",
        "codex is only on the login shell's PATH"
    );
    let success = run.event("success").unwrap();
    assert_eq!(success["email"], "alice@rig.test");
    assert_eq!(success["plan"], "plus");
    assert_eq!(success["auth_file"], "/home/crl-alice/.codex/auth.json");

    // The tokens the issuer minted are on the host, private, and nowhere in our output.
    let (mode, auth) = rig.auth_json(ALICE).expect("auth.json on the host");
    assert_eq!(mode, "-rw-------");
    let issued: serde_json::Value = serde_json::from_str(&rig.issuer("/__issued")).unwrap();
    for token in ["id_token", "access_token", "refresh_token"] {
        let value = issued[token].as_str().unwrap();
        assert_eq!(auth["tokens"][token], value, "{token} in auth.json");
        assert!(
            !run.stdout.contains(value) && !run.stderr.contains(value),
            "{token} leaked into the output"
        );
    }
    assert_eq!(
        id_claims(auth["tokens"]["id_token"].as_str().unwrap())
            .unwrap()
            .email
            .as_deref(),
        Some("alice@rig.test")
    );
    let status = rig.remote(ALICE, "codex login status");
    assert!(
        String::from_utf8_lossy(&status.stderr).contains("Logged in using ChatGPT"),
        "{status:?}"
    );
    assert_eq!(rig.login_state(&auth), "alive", "the host's login, at the issuer");

    // The browser saw codex's own success page, carried back through the tunnel.
    assert!(Running::browser_page(&page).contains("Signed in to Codex"));
    assert!(
        run.stderr
            .contains("Signed in to Codex on rig as alice@rig.test (plus)"),
        "{}",
        run.stderr
    );
    rig.assert_nothing_left(ALICE);
}

/// A callback whose state is not this sign-in's is answered locally and never reaches codex;
/// the real one still completes the sign-in, with the issuer's decorated state.
#[test]
fn stale_callback_is_answered_locally_and_decorated_state_passes() {
    let rig = Rig::get();
    rig.issuer("/__control?decorate_state=1");
    let home = "/home/crl-alice/elsewhere";
    let mut run = rig
        .tool()
        .args(["rig", "--json", "--no-browser", "--codex-home", home])
        .spawn();
    let url = run.wait_event("url", LIMIT);
    let (status, body) = http_get("127.0.0.1:1455", "/auth/callback?code=old&state=from-an-older-attempt");
    assert_eq!(status, 400);
    assert!(body.contains("older attempt"), "{body}");
    assert_eq!(http_get("127.0.0.1:1455", "/elsewhere").0, 404);
    assert!(!rig.issuer("/__log").contains("from-an-older"));

    // Now the real approval, as the browser would make it.
    rig.browse(&run, url["url"].as_str().unwrap());
    let done = run.finish(LIMIT);
    assert_eq!(done.code(), 0, "stderr:\n{}", done.stderr);
    assert!(done.stderr.contains("older sign-in attempt"), "{}", done.stderr);
    // --codex-home put the login where it was asked to, and nowhere else.
    assert_eq!(done.event("success").unwrap()["auth_file"], format!("{home}/auth.json"));
    assert!(rig.auth_json(ALICE).is_none());
    let mode = rig.remote_root(&format!("ls -ln {home}/auth.json | cut -c1-10"));
    assert_eq!(String::from_utf8_lossy(&mode.stdout).trim(), "-rw-------");
    let login = rig.remote_root(&format!("cat {home}/auth.json"));
    let login: serde_json::Value = serde_json::from_slice(&login.stdout).expect("the login there");
    assert_eq!(rig.login_state(&login), "alive");
    rig.assert_nothing_left(ALICE);
}

/// An older codex (0.147.0 did this) prints its redirect_uri as `http://localhost:1455/...`:
/// the port held since it was settled serves it, with [::1] beside it for browsers that try
/// IPv6 first; the sign-in completes through a stand-in that exchanges the code as codex does.
#[test]
fn a_localhost_redirect_signs_in() {
    let rig = Rig::get();
    let codex = super::hostile::standin(&rig, "localhost");
    let mut run = rig
        .tool()
        .args(["rig", "--json", "--no-browser", "--codex", &codex])
        .spawn();
    let url = run.wait_event("url", LIMIT);
    let url = url["url"].as_str().unwrap();
    assert!(url.contains("redirect_uri=http%3A%2F%2Flocalhost%3A1455"), "{url}");
    let listening = rig.callback_listeners(false);
    assert!(listening.contains("127.0.0.1:1455"), "{listening}");
    if std::path::Path::new("/proc/net/if_inet6").exists() {
        assert!(listening.contains("[::1]:1455"), "{listening}");
    }
    rig.browse(&run, url);
    let page = run.browser_out.clone();
    let done = run.finish(LIMIT);
    assert_eq!(done.code(), 0, "stderr:\n{}", done.stderr);
    assert!(
        done.stderr
            .contains("Signed in to Codex on rig as alice@rig.test (plus)"),
        "{}",
        done.stderr
    );
    assert!(Running::browser_page(&page).contains("Signed in to Codex"));
    // The code the browser carried reached the host and was exchanged there.
    let (mode, auth) = rig.auth_json(ALICE).expect("auth.json on the host");
    assert_eq!(mode, "-rw-------");
    let issued: serde_json::Value = serde_json::from_str(&rig.issuer("/__issued")).unwrap();
    assert_eq!(auth["tokens"]["refresh_token"], issued["refresh_token"]);
    assert_eq!(rig.login_state(&auth), "alive");
    rig.assert_nothing_left(ALICE);
}
