//! The other ways in: API key and access token over the channel's stdin, `status`, `push`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use codex_remote_login_tests::{ALICE, LIMIT, Rig, watch_argv};

/// The key is handed to the host's codex on a pipe: no process on either side ever has it in
/// its command line, and nothing the tool prints contains it.
#[test]
fn api_key_travels_on_stdin_never_in_argv() {
    let rig = Rig::get();
    let key = "sk-rig-argv-canary-4f1d2c";
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_argv(key.to_owned(), stop.clone());
    let run = rig
        .tool()
        .env("OPENAI_API_KEY", key)
        .args(["rig", "--with-api-key", "--json", "-vvv"])
        .run(LIMIT);
    stop.store(true, Ordering::Relaxed);
    let seen = watcher.join().unwrap();
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert!(seen.is_empty(), "the key was in a command line: {seen:?}");
    assert!(
        !run.stdout.contains(key) && !run.stderr.contains(key),
        "the key was printed"
    );
    let (mode, auth) = rig.auth_json(ALICE).unwrap();
    assert_eq!(mode, "-rw-------");
    assert_eq!(auth["auth_mode"], "apikey");
    assert_eq!(auth["OPENAI_API_KEY"], key);
    assert_eq!(rig.login_state(&auth), "apikey");
    assert_eq!(run.event("success").unwrap()["auth_mode"], "apikey");
    rig.assert_nothing_left(ALICE);
}

/// On a terminal without OPENAI_API_KEY: the key is asked for once the host is reached (not
/// for a host that turns out to be down), and no progress display draws over the prompt.
#[test]
fn the_api_key_prompt_waits_for_the_host_and_nothing_draws_over_it() {
    let rig = Rig::get();
    let key = "sk-rig-prompted-key-0b7e";
    let mut pty = codex_remote_login_tests::Pty::spawn(&rig.command("rig --with-api-key"));
    pty.expect("API key: ", LIMIT);
    let asked_at = pty.screen().rfind("API key: ").unwrap();
    assert!(
        pty.screen()[..asked_at].contains("Connecting to rig"),
        "asked before connecting: {}",
        pty.screen()
    );
    // A spinner ticks every 100 ms: several ticks' time shows whether one draws now.
    std::thread::sleep(Duration::from_millis(600));
    let after = pty.screen()[asked_at + "API key: ".len()..].to_owned();
    assert!(after.is_empty(), "something drew over the prompt: {after:?}");
    pty.send(&format!("{key}\n"));
    let (code, screen) = pty.finish(LIMIT);
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains(key), "the key was echoed: {screen}");
    assert_eq!(rig.auth_json(ALICE).unwrap().1["OPENAI_API_KEY"], key);
    assert_eq!(rig.host_login_state(ALICE), "apikey");
    rig.assert_nothing_left(ALICE);
}

/// From stdin when the variable is unset; codex's own verdict on the token is relayed.
#[test]
fn access_token_from_stdin_reaches_codex() {
    let rig = Rig::get();
    let token = "not-an-agent-identity-token-7c9e";
    let minted = rig.minted_count();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_argv(token.to_owned(), stop.clone());
    let run = rig
        .tool()
        .stdin(&format!("{token}\n"))
        .args(["rig", "--with-access-token"])
        .run(LIMIT);
    stop.store(true, Ordering::Relaxed);
    assert!(watcher.join().unwrap().is_empty(), "the token was in a command line");
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("Error logging in with access token"),
        "codex saw the token and judged it: {}",
        run.stderr
    );
    assert!(!run.stderr.contains(token));
    assert_eq!(rig.host_login_state(ALICE), "none", "refused: nothing written");
    assert_eq!(rig.minted_count(), minted, "nothing signed in");
    rig.assert_nothing_left(ALICE);
}

#[test]
fn missing_secret_is_a_usage_error() {
    let rig = Rig::get();
    let run = rig.tool().stdin("").args(["rig", "--with-api-key"]).run(LIMIT);
    assert_eq!(run.code(), 2, "{}", run.stderr);
    assert!(run.stderr.contains("no usable API key: it is empty"), "{}", run.stderr);
    assert!(run.stderr.contains("OPENAI_API_KEY"), "{}", run.stderr);
    rig.assert_nothing_left(ALICE);
}

/// `status` tells logged in from not, by exit code, table and JSON.
#[test]
fn status_tells_logged_in_from_not() {
    let rig = Rig::get();
    let before = rig.tool().args(["status", "rig"]).run(LIMIT);
    assert_eq!(before.code(), 6, "{}", before.stderr);
    let row = before.stdout.lines().nth(1).unwrap();
    assert!(row.starts_with("rig   no"), "{}", before.stdout);

    let login = rig.sign_alice_in(rig.tool().args(["rig"])).login;
    // Connection options after the subcommand's name work as well as before it.
    let after = rig.tool().args(["status", "--json", "rig", "-p", "2222"]).run(LIMIT);
    assert_eq!(after.code(), 0, "{}", after.stderr);
    let status = after.event("status").unwrap();
    // Several hosts at once, one of them not signed in: a line each, in the order given.
    let codex = format!("{}/node_modules/.bin/codex", std::env::var("CRL_CODEX_PREFIX").unwrap());
    let both = rig.tool().args(["status", "rig", "bob", "--codex", &codex]).run(LIMIT);
    assert_eq!(both.code(), 6, "{}", both.stderr);
    let rows: Vec<(&str, &str)> = both.stdout.lines().skip(1).map(|l| (&l[..6], &l[6..8])).collect();
    assert_eq!(rows, [("rig   ", "ch"), ("bob   ", "no")], "{}", both.stdout);
    assert_eq!(status["logged_in"], true);
    assert_eq!(status["email"], "alice@rig.test");
    assert_eq!(status["auth_file_mode"], "-rw-------");
    let expires = status["expires_in_secs"].as_i64().unwrap();
    assert!(
        (3000..=3600).contains(&expires),
        "the fake issuer's tokens live an hour: {expires}"
    );
    let issued: serde_json::Value = serde_json::from_str(&rig.issuer("/__issued")).unwrap();
    assert!(!after.stdout.contains(issued["refresh_token"].as_str().unwrap()));
    assert_eq!(rig.auth_json(ALICE).unwrap().1, login, "status changes no login");
    assert_eq!(rig.login_state(&login), "alive");
    rig.assert_nothing_left(ALICE);
}

/// `push`: atomic, private, the old file kept, a fresher host copy refused without --force.
#[test]
fn push_keeps_a_backup_and_refuses_an_older_copy() {
    let rig = Rig::get();
    let local = rig.dir.join("push-source.json");
    // This machine's login, alive at the issuer, dated `refreshed`: its refresh token.
    let write = |refreshed: &str| {
        let mut login = rig.minted_login();
        login["last_refresh"] = refreshed.into();
        std::fs::write(&local, login.to_string()).unwrap();
        login["tokens"]["refresh_token"].as_str().unwrap().to_owned()
    };
    let rt_first = write("2026-11-25T10:00:00.5Z");
    let first = rig
        .tool()
        .args(["push", "rig", "--from", local.to_str().unwrap(), "--json"])
        .run(LIMIT);
    assert_eq!(first.code(), 0, "{}", first.stderr);
    assert!(first.stderr.contains("logs the other out"), "{}", first.stderr);
    let (mode, auth) = rig.auth_json(ALICE).unwrap();
    assert_eq!(
        (mode.as_str(), &auth["tokens"]["refresh_token"]),
        ("-rw-------", &serde_json::json!(rt_first))
    );
    assert_eq!(rig.login_state(&auth), "alive", "the pushed login, on the host");
    assert!(
        first.event("pushed").unwrap()["backup"].is_null(),
        "nothing to back up the first time"
    );

    // Older than the host's copy (which has a longer fraction: byte order would say newer).
    let rt_older = write("2026-11-25T10:00:00Z");
    let refused = rig
        .tool()
        .args(["push", "rig", "--from", local.to_str().unwrap()])
        .run(LIMIT);
    assert_eq!(refused.code(), 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("refreshed more recently"), "{}", refused.stderr);
    assert_eq!(
        rig.auth_json(ALICE).unwrap().1["tokens"]["refresh_token"],
        rt_first.as_str(),
        "untouched"
    );
    assert_eq!(rig.host_login_state(ALICE), "alive");

    let forced = rig
        .tool()
        .args(["push", "rig", "--from", local.to_str().unwrap(), "--force", "--json"])
        .run(LIMIT);
    assert_eq!(forced.code(), 0, "{}", forced.stderr);
    assert_eq!(
        rig.auth_json(ALICE).unwrap().1["tokens"]["refresh_token"],
        rt_older.as_str()
    );
    let backup = forced.event("pushed").unwrap()["backup"].as_str().unwrap().to_owned();
    let kept = rig.remote_root(&format!("ls -ln {backup} | cut -c1-10; cat {backup}"));
    let kept = String::from_utf8_lossy(&kept.stdout);
    assert!(kept.starts_with("-rw-------") && kept.contains(&rt_first), "{kept}");
    // Replaced, not revoked: both logins alive, the pushed one on the host.
    let states = rig.token_states(&[&rt_first, &rt_older]);
    assert_eq!(
        (states[&rt_first].as_str(), states[&rt_older].as_str()),
        ("alive", "alive")
    );
    // No temporary file is left beside it.
    let listing = rig.remote_root("ls -a /home/crl-alice/.codex");
    assert!(!String::from_utf8_lossy(&listing.stdout).contains(".auth.json.crl-"));
    rig.assert_nothing_left(ALICE);
}

/// `--device-auth`: the host's codex gets a one-time code; the tool shows it with the
/// issuer's page and opens that page, where (in the fake issuer) visiting approves it.
#[test]
fn device_code_sign_in() {
    let rig = Rig::get();
    let tool = rig.tool();
    let page = tool.browser_out.clone();
    let run = rig.sign_in(tool.args(["rig", "--device-auth", "--json"]));
    let device = run.event("device_code").unwrap();
    assert_eq!(device["url"], "https://auth.openai.com/codex/device");
    let code = device["code"].as_str().unwrap();
    assert!(
        run.stderr.contains(&format!("\n  {code}\n")),
        "the code stands on a line of its own: {}",
        run.stderr
    );
    assert!(codex_remote_login_tests::Running::browser_page(&page).contains("Device approved"));
    assert_eq!(run.event("success").unwrap()["email"], "alice@rig.test");
    let (mode, auth) = rig.auth_json(ALICE).unwrap();
    assert_eq!(mode, "-rw-------");
    let issued: serde_json::Value = serde_json::from_str(&rig.issuer("/__issued")).unwrap();
    assert_eq!(auth["tokens"]["refresh_token"], issued["refresh_token"]);
    assert_eq!(rig.login_state(&auth), "alive");
    rig.assert_nothing_left(ALICE);
}

#[test]
fn device_codes_disabled_says_who_can_enable_them() {
    let rig = Rig::get();
    rig.issuer("/__control?device=disabled");
    let minted = rig.minted_count();
    let run = rig.tool().args(["rig", "--device-auth"]).run(LIMIT);
    rig.issuer("/__control?device=ok");
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("device code login is not enabled"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("its admin must enable it"), "{}", run.stderr);
    assert!(run.stderr.contains("without --device-auth"), "{}", run.stderr);
    assert_eq!(rig.minted_count(), minted, "nothing signed in");
    assert!(rig.auth_json(ALICE).is_none(), "nothing written");
    rig.assert_nothing_left(ALICE);
}

/// `doctor` walks every precondition in order and says what to fix.
#[test]
fn doctor_checks_in_order_with_fixes() {
    let rig = Rig::get();
    let healthy = rig.tool().args(["doctor", "rig"]).run(LIMIT);
    assert_eq!(healthy.code(), 0, "{}", healthy.stdout);
    let names: Vec<&str> = healthy
        .stdout
        .lines()
        .filter(|l| ["ok  ", "warn", "FAIL", "skip"].iter().any(|mark| l.starts_with(mark)))
        .map(|l| l[6..].split("  ").next().unwrap())
        .collect();
    let order = [
        "local port 1455",
        "local port 1457",
        "reachable",
        "host key",
        "authentication",
        "codex on the host",
        "credential store",
        "login policy",
        "TCP forwarding",
        "relay tool",
        "clocks",
        "CA bundle",
        "container copies",
    ];
    assert_eq!(names, order);
    assert!(healthy.stdout.ends_with("No problems found.\n"), "{}", healthy.stdout);
    assert!(healthy.stdout.contains("(codex-cli 0.169.0)"), "{}", healthy.stdout);
    assert!(
        healthy.stdout.contains("CODEX_CA_CERTIFICATE=/tmp/crl-rig/ca.pem"),
        "{}",
        healthy.stdout
    );

    let hardened = rig.tool().args(["doctor", "noforward", "--json"]).run(LIMIT);
    assert_eq!(hardened.code(), 0, "{}", hardened.stderr);
    let forwarding = hardened.check("TCP forwarding").unwrap();
    assert_eq!(
        (forwarding["verdict"].as_str(), forwarding["detail"].as_str()),
        (Some("warn"), Some("forbidden by the server"))
    );

    let no_codex = rig.tool().args(["doctor", "bob"]).run(LIMIT);
    assert_eq!(no_codex.code(), 1, "{}", no_codex.stdout);
    assert!(
        no_codex
            .stdout
            .contains("FAIL  codex on the host  codex was not found on bob"),
        "{}",
        no_codex.stdout
    );
    assert!(
        no_codex.stdout.contains("ok    clocks"),
        "the other checks still ran: {}",
        no_codex.stdout
    );

    let refused = rig.tool().args(["doctor", "stranger"]).run(LIMIT);
    assert_eq!(refused.code(), 1, "{}", refused.stdout);
    assert!(refused.stdout.contains("FAIL  authentication"), "{}", refused.stdout);
    assert!(refused.stdout.contains("skip  codex on the host"), "{}", refused.stdout);
    rig.assert_nothing_left(ALICE);
}
