//! Sign-ins where the standard tunnel cannot go: servers that forbid forwarding, and callback
//! ports taken on either side.

use std::process::{Child, Command, Stdio};

use codex_remote_login_tests::{ALICE, LIMIT, Rig, Running, wait_until};

/// A full browser sign-in through `args` ([`Rig::sign_alice_in`]), which must also end on
/// codex's success page with the login private to its user; returns the run's stderr and
/// `url` event. The caller checks that nothing was left behind, once its own holders are
/// gone.
fn sign_in(rig: &Rig, args: &[&str]) -> (String, serde_json::Value) {
    let tool = rig.tool();
    let page = tool.browser_out.clone();
    let signed = rig.sign_alice_in(tool.args(args).args(["--json"]));
    assert!(Running::browser_page(&page).contains("Signed in to Codex"), "{args:?}");
    assert_eq!(signed.mode, "-rw-------");
    (signed.run.stderr.clone(), signed.run.event("url").unwrap())
}

/// `AllowTcpForwarding no` and `DisableForwarding yes`: the callback rides an exec channel,
/// through each relay tool a host may have.
#[test]
fn forwarding_forbidden_relays_through_an_exec_channel() {
    let rig = Rig::get();
    for tool in ["nc", "python3", "perl", "bash"] {
        let (stderr, _) = sign_in(&rig, &["noforward", "-v", "--relay", tool]);
        assert!(
            stderr.contains(&format!("relaying through an exec channel with {tool}")),
            "{tool}: {stderr}"
        );
        rig.reset();
    }
    let (stderr, _) = sign_in(&rig, &["disabled", "-v"]);
    assert!(stderr.contains("relaying through an exec channel with nc"), "{stderr}");
    rig.assert_nothing_left(ALICE);
}

/// Something else holds the host's 1455: codex falls back to 1457, and so does the tool.
#[test]
fn host_port_taken_follows_codex_to_1457() {
    let rig = Rig::get();
    let holder = HostHolder::start(&rig);
    let (_, url) = sign_in(&rig, &["rig"]);
    assert_eq!(url["callback_port"], 1457);
    drop(holder);
    rig.assert_nothing_left(ALICE);
}

/// A program of the user's holds this machine's 1455: the host's codex is steered to 1457
/// (by holding the host's 1455 for the duration) and the sign-in goes ahead.
#[test]
fn local_port_taken_steers_the_host_to_1457() {
    let rig = Rig::get();
    let _holder = std::net::TcpListener::bind("127.0.0.1:1455").expect("1455 free for the test");
    let (stderr, url) = sign_in(&rig, &["rig"]);
    assert_eq!(url["callback_port"], 1457);
    let pid = std::process::id();
    assert!(
        stderr.contains(&format!("local port 1455 is in use by pid {pid}")),
        "{stderr}"
    );
    rig.assert_nothing_left(ALICE);
}

/// A real `codex login` waits on this machine's 1455: `--cancel-local` ends it the way codex
/// itself would, and the sign-in takes the port.
#[test]
fn cancel_local_ends_a_waiting_local_codex_login() {
    let rig = Rig::get();
    let home = rig.dir.join("local-codex-home");
    std::fs::create_dir_all(&home).unwrap();
    let codex = format!("{}/node_modules/.bin/codex", std::env::var("CRL_CODEX_PREFIX").unwrap());
    let mut local = Command::new(codex)
        .args(["login"])
        .env("CODEX_HOME", &home)
        .env("BROWSER", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(LIMIT, || {
        (!rig.callback_listeners(false).is_empty()).then_some(()).ok_or(())
    })
    .expect("the local codex login listens on 1455");

    let (stderr, url) = sign_in(&rig, &["rig", "--cancel-local"]);
    assert_eq!(url["callback_port"], 1455);
    assert!(stderr.contains("Cancelled the local `codex login`"), "{stderr}");
    let status = local.wait().unwrap();
    assert_eq!(status.code(), Some(1), "the local codex login ended as cancelled");
    rig.assert_nothing_left(ALICE);
}

/// The host's 1455, held by a plain HTTP server that answers codex's `GET /cancel` with 404.
struct HostHolder(Child);

impl HostHolder {
    fn start(rig: &Rig) -> Self {
        let server =
            "import http.server as h; h.HTTPServer(('127.0.0.1', 1455), h.BaseHTTPRequestHandler).serve_forever()";
        let child = Command::new("ip")
            .args(["netns", "exec", &rig.ns, "python3", "-c", server])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_until(LIMIT, || {
            (!rig.callback_listeners(true).is_empty()).then_some(()).ok_or(())
        })
        .expect("the holder listens on the host's 1455");
        Self(child)
    }
}

impl Drop for HostHolder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A host whose codex does not trust the issuer's certificate (a TLS-intercepting proxy):
/// the failure points at --ca-cert, and a bundle sent with it, or named on the host, works.
/// The sent bundle lives only as long as the sign-in.
#[test]
fn ca_bundle_for_tls_intercepting_proxies() {
    let rig = Rig::get();
    let minted = rig.minted_count();
    let without = rig.tool().args(["noca"]).run(LIMIT);
    assert_eq!(without.code(), 1, "{}", without.stderr);
    assert_eq!(rig.minted_count(), minted, "nothing signed in");
    assert!(without.stderr.contains("--ca-cert FILE"), "{}", without.stderr);
    rig.assert_nothing_left(ALICE);
    rig.reset();

    let ca = rig.dir.join("ca.pem");
    let (stderr, _) = sign_in(&rig, &["noca", "-v", "--ca-cert", ca.to_str().unwrap()]);
    let stored = stderr
        .lines()
        .find_map(|l| l.split("the CA bundle is at ").nth(1))
        .expect("where the bundle went");
    let stored = stored.split(' ').next().unwrap();
    assert!(!std::path::Path::new(stored).exists(), "{stored} outlived the sign-in");
    rig.assert_nothing_left(ALICE);
    rig.reset();

    sign_in(&rig, &["noca", "--remote-ca-cert", ca.to_str().unwrap()]);
    rig.assert_nothing_left(ALICE);

    let missing = rig
        .tool()
        .args(["noca", "--remote-ca-cert", "/nonexistent/ca.pem"])
        .run(LIMIT);
    assert_eq!(missing.code(), 1, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("/nonexistent/ca.pem is not a readable file"),
        "{}",
        missing.stderr
    );

    let key = rig.dir.join("issuer.key");
    let refused = rig.tool().args(["noca", "--ca-cert", key.to_str().unwrap()]).run(LIMIT);
    assert_eq!(refused.code(), 2, "{}", refused.stderr);
    assert!(
        !refused.stderr.contains("Connecting"),
        "checked before connecting: {}",
        refused.stderr
    );
    rig.assert_nothing_left(ALICE);
}

/// Forwarding forbidden and nothing on the host to relay with: the sign-in says so instead
/// of hanging, and leaves nothing behind.
#[test]
fn forwarding_forbidden_without_a_relay_tool_says_so() {
    let rig = Rig::get();
    let codex = format!("{}/node_modules/.bin/codex", std::env::var("CRL_CODEX_PREFIX").unwrap());
    let minted = rig.minted_count();
    let run = rig.tool().args(["bare", "--codex", &codex]).run(LIMIT);
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert_eq!(rig.minted_count(), minted, "nothing signed in");
    assert!(
        run.stderr
            .contains("the host forbids TCP forwarding and has no relay tool (nc, python3, perl or bash)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("install nc"), "{}", run.stderr);
    rig.assert_nothing_left(ALICE);
}
