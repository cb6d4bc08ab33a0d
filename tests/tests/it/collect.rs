//! `collect`: the freshest login of the host's own account brought back from its
//! containers, through podman's API socket with the docker CLI, as containers.rs reaches them.

use codex_remote_login_tests::{ALICE, LIMIT, Rig};

/// An auth.json of account `account` (its user the same), refreshed at `at`, with refresh
/// token `rt`: tokens shaped as OpenAI's, which collect reads the identity from.
fn login_of(account: &str, at: &str, rt: &str) -> String {
    crate::identity::chatgpt_login("user-a", account, at, rt, "")
}

/// `collect`: the freshest copy of the host's account comes back (here from a container with
/// no shell, read by the engine's archive copy), another account's is left alone however
/// fresh, the host's old file is kept as a backup; run again, nothing changes.
#[test]
fn collect_brings_back_the_freshest_login_of_the_same_account() {
    let rig = Rig::get();
    // Without a login of its own, the host has no account to compare with: refused.
    let refused = rig.tool().args(["collect", "rig", "crl-dev"]).run(LIMIT);
    assert_eq!(refused.code(), 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("has no login of its own"), "{}", refused.stderr);
    assert!(rig.auth_json(ALICE).is_none());

    let (host_login, rt_host) = crate::identity::minted_at(&rig, "2026-01-01T00:00:00Z");
    let out = rig.remote(
        ALICE,
        &format!("mkdir -p -m 700 ~/.codex && printf '%s' '{host_login}' > ~/.codex/auth.json && chmod 600 ~/.codex/auth.json"),
    );
    assert!(out.status.success());
    let put = |container: &str, user: &str, body: &str| {
        let ok = std::process::Command::new("podman")
            .args(["exec", "-u", user, container, "sh", "-c"])
            .arg(format!(
                "mkdir -p ~/.codex && printf '%s' '{body}' > ~/.codex/auth.json"
            ))
            .status()
            .unwrap();
        assert!(ok.success(), "{container}");
    };
    let (dev_login, rt_dev) = crate::identity::minted_at(&rig, "2026-03-01T00:00:00.5Z");
    put("crl-dev", "dev", &dev_login);
    put(
        "crl-root",
        "root",
        &login_of("acct-b", "2026-09-01T00:00:00Z", "rt-other"),
    );
    // No shell in crl-noshell: its file goes in by the engine's archive copy. It holds the
    // host's login as its codex refreshed it, which used the host's copy up.
    let freshest = crate::identity::refreshed_at(&rig, &host_login, "2026-04-01T00:00:00Z");
    let refreshed: serde_json::Value = serde_json::from_str(&freshest).unwrap();
    let rt_noshell = refreshed["tokens"]["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(rig.host_login_state(ALICE), "used", "the host's copy, before collect");
    let staging = rig.dir.join("collect-staging/.codex");
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("auth.json"), &freshest).unwrap();
    let copied = std::process::Command::new("podman")
        .args(["cp", staging.to_str().unwrap(), "crl-noshell:/home/dev/"])
        .status()
        .unwrap();
    assert!(copied.success());

    // A stopped container holding a truncated file: passed over as malformed.
    let broken = rig.dir.join("collect-broken/.codex");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(
        broken.join("auth.json"),
        r#"{"auth_mode":"chatgpt","tokens":{"account_id":"acct-a"#,
    )
    .unwrap();
    let copied = std::process::Command::new("podman")
        .args(["cp", broken.to_str().unwrap(), "crl-stopped:/home/dev/"])
        .status()
        .unwrap();
    assert!(copied.success());

    let run = rig
        .tool()
        .args([
            "collect",
            "rig",
            "crl-dev",
            "crl-root",
            "crl-noshell",
            "crl-stopped",
            "--json",
            // Without a terminal to ask on, collect replaces nothing without it.
            "--yes",
        ])
        .run(LIMIT);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    for secret in [rt_host.as_str(), &rt_dev, "rt-other", &rt_noshell] {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "{secret}");
    }
    let results: Vec<(String, String)> = run
        .events()
        .iter()
        .filter(|e| e["type"] == "collected")
        .map(|e| {
            (
                e["container"].as_str().unwrap().into(),
                e["result"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("crl-dev", "fresher"),
        ("crl-root", "other_account"),
        ("crl-noshell", "taken"),
        ("crl-stopped", "malformed"),
    ];
    assert_eq!(results, expected.map(|(c, r)| (c.to_owned(), r.to_owned())));
    let taken = run.events().into_iter().find(|e| e["result"] == "taken").unwrap();
    assert_eq!(taken["last_refresh"], "2026-04-01T00:00:00");
    let backup = taken["backup"].as_str().unwrap().to_owned();

    let (_, now) = rig.auth_json(ALICE).unwrap();
    assert_eq!(now, serde_json::from_str::<serde_json::Value>(&freshest).unwrap());
    let kept = rig.remote(ALICE, &format!("stat -c %a {backup} && cat {backup} && ls -a ~/.codex"));
    let kept = String::from_utf8_lossy(&kept.stdout).into_owned();
    assert!(
        kept.starts_with("600\n") && kept.contains(&rt_host),
        "the old one kept: {kept}"
    );
    // At the issuer: the host now holds the refreshed login, alive, in place of its used-up
    // copy; crl-dev's own is untouched.
    assert_eq!(rig.login_state(&now), "alive", "the collected login");
    let states = rig.token_states(&[&rt_host, &rt_dev]);
    assert_eq!(states[&rt_host], "used", "the host's replaced login");
    assert_eq!(states[&rt_dev], "alive", "crl-dev's login");
    assert!(!kept.contains(".auth.json.crl-"), "nothing half-written left: {kept}");

    // Nothing fresher now: the host's file stays as it is.
    let again = rig.tool().args(["collect", "rig", "crl-dev", "crl-noshell"]).run(LIMIT);
    assert_eq!(again.code(), 0, "{}", again.stderr);
    assert!(again.stderr.contains("unchanged"), "{}", again.stderr);
    assert_eq!(rig.auth_json(ALICE).unwrap().1, now);
    rig.assert_nothing_left(ALICE);
}
