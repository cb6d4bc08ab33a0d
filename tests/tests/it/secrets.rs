//! Secrets stay secret: every mode run at -vvv with --json while every command line on both
//! sides (the containers' processes included) is recorded; afterwards every token and key the
//! issuer minted, every authorization code it handed out (those the callback proxy carried at
//! -vvv among them), the API key and the access token are searched for in all of it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use codex_remote_login_tests::{ALICE, Finished, LIMIT, Rig, record_argv};

const API_KEY: &str = "sk-rig-secret-key-5e1c";
const ACCESS_TOKEN: &str = "rig-secret-access-token-9b2d";

#[test]
fn no_secret_in_any_output_or_command_line() {
    let rig = Rig::get();
    let stop = Arc::new(AtomicBool::new(false));
    let argv = record_argv(stop.clone());
    let loud = ["--json", "-vvv"];
    let mut runs: Vec<Finished> = Vec::new();
    let mut secrets: Vec<String> = vec![API_KEY.into(), ACCESS_TOKEN.into()];
    // What the issuer hands out during this test: the lists grow from where they are now.
    let handed_out = |rig: &Rig, list: &str| -> Vec<String> {
        let body = rig.issuer(list);
        serde_json::from_str(&body).unwrap_or_else(|e| {
            panic!("the rig's issuer has no {list} ({e}: {body:?}): bring the rig up from this tree")
        })
    };
    let (codes_before, minted_before) = (handed_out(&rig, "/__codes").len(), handed_out(&rig, "/__minted").len());

    // Each sign-in's login at the issuer as it ends: (which, its state, the state it must be).
    let mut states: Vec<(&str, String, &str)> = Vec::new();
    runs.push(rig.tool().args(["rig"]).args(loud).run(LIMIT));
    states.push(("the browser's", rig.host_login_state(ALICE), "alive"));
    runs.push(rig.tool().args(["status", "rig"]).args(loud).run(LIMIT));
    runs.push(rig.tool().args(["doctor", "rig"]).args(loud).run(LIMIT));
    rig.reset();
    runs.push(rig.tool().args(["rig", "--device-auth"]).args(loud).run(LIMIT));
    states.push(("the device code's", rig.host_login_state(ALICE), "alive"));
    rig.reset();
    let mut paste = rig.tool().open_stdin().args(["rig", "--paste"]).args(loud).spawn();
    let url = paste.wait_event("url", LIMIT);
    let callback = rig.approve_elsewhere(url["url"].as_str().unwrap());
    paste.type_line(&callback);
    runs.push(paste.finish(LIMIT));
    states.push(("the pasted one's", rig.host_login_state(ALICE), "alive"));
    // push: the local file's tokens go to the host, and nowhere else.
    let local = rig.dir.join("secret-push.json");
    // Tokens shaped as OpenAI's (collect reads the identity in them), the access token's
    // signature the canary.
    let mut login: serde_json::Value = serde_json::from_str(&crate::identity::chatgpt_login(
        "user-rig",
        "acct-rig",
        "2030-01-01T00:00:00Z",
        "rig-push-refresh-8c4b",
        "",
    ))
    .unwrap();
    let access = login["tokens"]["access_token"].as_str().unwrap().to_owned();
    let (signed, _) = access.rsplit_once('.').unwrap();
    login["tokens"]["access_token"] = format!("{signed}.rig-push-access-7f3a").into();
    std::fs::write(&local, login.to_string()).unwrap();
    secrets.extend(["rig-push-access-7f3a".into(), "rig-push-refresh-8c4b".into()]);
    runs.push(
        rig.tool()
            .args(["push", "rig", "--from", local.to_str().unwrap()])
            .args(loud)
            .run(LIMIT),
    );
    // Containers: that login copied into three (by a shell, and by the archive copy into a
    // stopped one) and collected back, then one container signed in on its own.
    runs.push(
        rig.tool()
            .args(["containers", "rig", "crl-dev", "crl-root", "crl-stopped", "--force"])
            .args(loud)
            .run(LIMIT),
    );
    runs.push(
        rig.tool()
            .args(["collect", "rig", "crl-dev", "crl-root", "crl-stopped"])
            .args(loud)
            .run(LIMIT),
    );
    // The keeper: started (its first round has codex refresh the login, and copies), shown,
    // stopped.
    runs.push(
        rig.tool()
            .args(["keeper", "start", "rig", "crl-dev", "--yes"])
            .args(loud)
            .run(LIMIT),
    );
    runs.push(rig.tool().args(["status", "rig"]).args(loud).run(LIMIT));
    let keeper_files =
        rig.remote_root("cd /home/crl-alice/.codex-remote-login/keeper && cat log last round.out env written");
    runs.push(rig.tool().args(["keeper", "stop", "rig"]).args(loud).run(LIMIT));
    runs.push(
        rig.tool()
            .args(["containers", "rig", "crl-dev", "--login-inside"])
            .args(loud)
            .run(LIMIT),
    );
    let inside = rig.container_login("crl-dev", "/home/dev/.codex/auth.json");
    let inside = inside.map_or("none".into(), |login| rig.login_state(&login));
    states.push(("crl-dev's own", inside, "alive"));
    rig.reset();
    runs.push(
        rig.tool()
            .env("OPENAI_API_KEY", API_KEY)
            .args(["rig", "--with-api-key"])
            .args(loud)
            .run(LIMIT),
    );
    states.push(("the API key's", rig.host_login_state(ALICE), "apikey"));
    runs.push(
        rig.tool()
            .stdin(&format!("{ACCESS_TOKEN}\n"))
            .args(["rig", "--with-access-token"])
            .args(loud)
            .run(LIMIT),
    );
    states.push((
        "the API key's, after a refused token",
        rig.host_login_state(ALICE),
        "apikey",
    ));

    stop.store(true, Ordering::Relaxed);
    let argv = argv.join().unwrap();
    assert!(argv.len() > 20, "command lines were recorded: {}", argv.len());
    // Codes: the browser's (through the callback proxy at -vvv), the device code's, the
    // pasted one's, and the one inside the container (through the proxy again).
    let codes = handed_out(&rig, "/__codes")[codes_before..].to_vec();
    assert!(codes.len() >= 4, "codes handed out during the test: {codes:?}");
    let minted = handed_out(&rig, "/__minted")[minted_before..].to_vec();
    assert!(minted.len() >= 3 * 4, "tokens minted during the test: {}", minted.len());
    secrets.extend(codes);
    secrets.extend(minted);
    // The access token is no agent identity JWT, so codex 0.169 refuses it after reading it:
    // that refusal (and no other failure) is what this run must end with. It proves the token
    // reached codex's stdin, and puts codex's error and log tail through the tool's output.
    let (last, others) = runs.split_last().unwrap();
    assert_eq!(last.code(), 1, "{}", last.stderr);
    assert!(
        last.stderr.contains("failed to decode agent identity JWT"),
        "the access-token run failed for another reason than codex refusing the token: {}",
        last.stderr
    );
    for (index, run) in others.iter().enumerate() {
        assert_eq!(run.code(), 0, "run {index} failed: {}", run.stderr);
    }
    for (which, state, expected) in &states {
        assert_eq!(state, expected, "{which} login at the issuer");
    }
    for (index, run) in runs.iter().enumerate() {
        for secret in &secrets {
            assert!(!run.stdout.contains(secret.as_str()), "run {index}: a secret on stdout");
            assert!(!run.stderr.contains(secret.as_str()), "run {index}: a secret on stderr");
        }
    }
    for line in &argv {
        for secret in &secrets {
            assert!(!line.contains(secret.as_str()), "a secret in a command line: {line}");
        }
    }
    let keeper_text = String::from_utf8_lossy(&keeper_files.stdout);
    assert!(
        keeper_text.contains(" round: "),
        "the keeper's files were read: {keeper_text}"
    );
    for secret in &secrets {
        assert!(!keeper_text.contains(secret.as_str()), "a secret in the keeper's files");
    }
    rig.assert_nothing_left(ALICE);
}
