//! The host's login copied into containers on the host: real podman, with the real docker
//! CLI talking to podman's API socket (as a user in the socket's group), and podman's own CLI
//! (as root).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use codex_remote_login_tests::{ALICE, LIMIT, Rig, Running, watch_argv};

const KEY: &str = "sk-rig-container-key-31f7";

#[test]
fn copies_into_running_containers_as_their_users() {
    let rig = Rig::get();
    rig.sign_in(rig.tool().env("OPENAI_API_KEY", KEY).args(["rig", "--with-api-key"]));
    let host_file = rig.auth_json(ALICE).unwrap().1;
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_argv(KEY.to_owned(), stop.clone());
    let run = rig
        .tool()
        .args([
            "containers",
            "rig",
            "crl-dev",
            "crl-root",
            "crl-stopped",
            "crl-noshell",
            "nope",
            "--json",
        ])
        .run(LIMIT);
    stop.store(true, Ordering::Relaxed);
    assert!(watcher.join().unwrap().is_empty(), "the key was in a command line");
    assert_eq!(run.code(), 1, "one of five could not be done: {}", run.stderr);
    assert!(
        run.stderr.contains("without its refresh token") && !run.stderr.contains("places"),
        "an access-only copy needs no warning: {}",
        run.stderr
    );
    assert!(!run.stdout.contains(KEY) && !run.stderr.contains(KEY));

    let events = run.events();
    let result = |name: &str| {
        let found = events.iter().find(|e| e["container"] == name);
        found
            .unwrap_or_else(|| panic!("no result for {name}: {}\n{}", run.stdout, run.stderr))
            .clone()
    };
    let dev = result("crl-dev");
    assert_eq!(
        (dev["result"].as_str(), dev["engine"].as_str(), dev["user"].as_str()),
        (Some("copied"), Some("docker"), Some("dev"))
    );
    assert_eq!(dev["auth_file"], "/home/dev/.codex/auth.json");
    assert_eq!(result("crl-root")["auth_file"], "/root/.codex/auth.json");
    // Stopped, and without a shell: by the engine's archive copy, said not to be atomic.
    for container in ["crl-stopped", "crl-noshell"] {
        let copied = result(container);
        assert_eq!(copied["result"], "copied", "{container}");
        assert!(
            copied["reason"].as_str().unwrap().contains("not an atomic rename"),
            "{container}"
        );
        let listing = rig.archive_listing(container, "/home/dev/.codex");
        assert!(listing.contains("drwx------ dev/dev"), "{container}: {listing}");
        assert!(
            listing.contains("-rw------- dev/dev") && listing.contains(".codex/auth.json"),
            "{container}: {listing}"
        );
    }
    assert!(result("nope")["reason"].as_str().unwrap().contains("knows it"));

    for (container, home, owner) in [("crl-dev", "/home/dev", "1000"), ("crl-root", "/root", "0")] {
        let (dir, _) = rig.in_container(container, &format!("{home}/.codex")).unwrap();
        assert!(dir.starts_with("drwx------"), "{container}: {dir}");
        let (meta, body) = rig
            .in_container(container, &format!("{home}/.codex/auth.json"))
            .unwrap();
        assert_eq!(meta, format!("-rw------- {owner}"), "{container}");
        let copy = serde_json::from_str::<serde_json::Value>(&body).unwrap();
        assert_eq!(copy, host_file, "{container}: the host's file");
        assert_eq!(rig.login_state(&copy), "apikey", "{container}");
    }
    assert_eq!(rig.login_state(&host_file), "apikey", "the host's login");
    // The codex inside reads it as its own.
    let status = std::process::Command::new("podman")
        .args(["exec", "crl-dev", "codex", "login", "status"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&status.stdout).into_owned() + &String::from_utf8_lossy(&status.stderr);
    assert!(status.status.success(), "codex login status in crl-dev: {said}");
    assert!(said.contains("API key configured"), "{said}");
    assert!(!said.contains(KEY), "codex masks the key: {said}");
    // Nothing half-written is left beside it.
    let listing = std::process::Command::new("podman")
        .args(["exec", "crl-dev", "ls", "-a", "/home/dev/.codex"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&listing.stdout).contains(".auth.json.crl-"));
    rig.assert_nothing_left(ALICE);
}

#[test]
fn a_fresher_copy_in_a_container_is_kept_unless_forced() {
    let rig = Rig::get();
    rig.sign_in(rig.tool().env("OPENAI_API_KEY", KEY).args(["rig", "--with-api-key"]));
    // A login of the container's own, alive at the issuer.
    let mut fresher = rig.minted_login();
    fresher["last_refresh"] = "2099-01-01T00:00:00Z".into();
    let own = fresher["tokens"]["refresh_token"].as_str().unwrap().to_owned();
    let write = std::process::Command::new("podman")
        .args([
            "exec",
            "-u",
            "dev",
            "crl-dev",
            "sh",
            "-c",
            &format!("mkdir -p /home/dev/.codex && printf '%s' '{fresher}' > /home/dev/.codex/auth.json"),
        ])
        .status()
        .unwrap();
    assert!(write.success());
    let kept = rig.tool().args(["containers", "rig", "crl-dev"]).run(LIMIT);
    assert_eq!(kept.code(), 1, "{}", kept.stdout);
    assert!(
        kept.stdout.contains("kept") && kept.stdout.contains("--force replaces it"),
        "{}",
        kept.stdout
    );
    assert!(
        rig.in_container("crl-dev", "/home/dev/.codex/auth.json")
            .unwrap()
            .1
            .contains(&own)
    );
    assert_eq!(rig.login_state(&fresher), "alive", "the container's own login");

    let forced = rig
        .tool()
        .args(["containers", "rig", "crl-dev", "--force", "--json"])
        .run(LIMIT);
    assert_eq!(forced.code(), 0, "{}", forced.stderr);
    let backup = forced.event("container").unwrap()["backup"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        rig.in_container("crl-dev", "/home/dev/.codex/auth.json")
            .unwrap()
            .1
            .contains(KEY)
    );
    let (meta, old) = rig.in_container("crl-dev", &backup).unwrap();
    assert_eq!(meta, "-rw------- 1000");
    assert!(old.contains(&own), "the replaced copy is kept: {old}");
    assert_eq!(
        rig.login_state(&fresher),
        "alive",
        "the replaced login is set aside, not revoked"
    );
    let now = rig.container_login("crl-dev", "/home/dev/.codex/auth.json").unwrap();
    assert_eq!(rig.login_state(&now), "apikey");
    rig.assert_nothing_left(ALICE);
}

/// Podman's own CLI, as root on the host (where docker's socket would serve too).
#[test]
fn the_podman_cli() {
    let rig = Rig::get();
    let home = rig.dir.join("root-codex");
    let codex = format!("{}/node_modules/.bin/codex", std::env::var("CRL_CODEX_PREFIX").unwrap());
    let at = ["--codex-home", home.to_str().unwrap()];
    rig.sign_in(rig.tool().env("OPENAI_API_KEY", KEY).args([
        "rig-root",
        "--with-api-key",
        "--codex",
        &codex,
        at[0],
        at[1],
    ]));
    let run = rig
        .tool()
        .args(["containers", "rig-root", "crl-dev", "--engine", "podman", "--json"])
        .args(at)
        .run(LIMIT);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let event = run.event("container").unwrap();
    assert_eq!(
        (event["engine"].as_str(), event["user"].as_str()),
        (Some("podman"), Some("dev"))
    );
    let (meta, body) = rig.in_container("crl-dev", "/home/dev/.codex/auth.json").unwrap();
    assert_eq!(meta, "-rw------- 1000");
    assert!(body.contains(KEY));
    let copy = rig.container_login("crl-dev", "/home/dev/.codex/auth.json").unwrap();
    assert_eq!(rig.login_state(&copy), "apikey");
    rig.assert_nothing_left("root");
}

/// `--label` and `--all-running` find the containers; `--container` copies right after a
/// sign-in, on its connection.
#[test]
fn selectors_and_right_after_a_sign_in() {
    let rig = Rig::get();
    let signed = rig.sign_in(rig.tool().env("OPENAI_API_KEY", KEY).args([
        "rig",
        "--with-api-key",
        "--container",
        "crl-dev",
        "--json",
    ]));
    assert_eq!(signed.event("success").unwrap()["auth_mode"], "apikey");
    assert_eq!(signed.event("container").unwrap()["result"], "copied");
    assert!(
        rig.in_container("crl-dev", "/home/dev/.codex/auth.json")
            .unwrap()
            .1
            .contains(KEY)
    );
    let copy = rig.container_login("crl-dev", "/home/dev/.codex/auth.json").unwrap();
    assert_eq!(rig.login_state(&copy), "apikey");
    assert_eq!(rig.host_login_state(ALICE), "apikey");

    let labelled = rig
        .tool()
        .args(["containers", "rig", "--label", "crl.role=agent", "--json"])
        .run(LIMIT);
    assert_eq!(labelled.code(), 0, "{}", labelled.stderr);
    let found: Vec<String> = labelled
        .events()
        .iter()
        .map(|e| e["container"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(found, ["crl-root"]);
    let copy = rig.container_login("crl-root", "/root/.codex/auth.json").unwrap();
    assert_eq!(rig.login_state(&copy), "apikey");

    let all = rig
        .tool()
        .args(["containers", "rig", "--all-running", "--json"])
        .run(LIMIT);
    assert_eq!(all.code(), 0, "{}", all.stderr);
    let mut found: Vec<String> = all
        .events()
        .iter()
        .map(|e| e["container"].as_str().unwrap().to_owned())
        .collect();
    found.sort();
    assert_eq!(found, ["crl-dev", "crl-noshell", "crl-root"], "running ones only");
    rig.assert_nothing_left(ALICE);
}

/// `--local`: this machine's login into containers on this machine, with no SSH at all; and
/// without a login here, the error says to sign this machine in first.
#[test]
fn this_machines_login_into_its_own_containers() {
    let rig = Rig::get();
    let home = rig.dir.join("local-codex");
    std::fs::create_dir_all(&home).unwrap();
    let login = format!(r#"{{"auth_mode":"apikey","OPENAI_API_KEY":"{KEY}-local"}}"#);
    std::fs::write(home.join("auth.json"), &login).unwrap();
    let run = rig
        .tool()
        .args(["containers", "--local", "crl-root", "--json"])
        .env("CODEX_HOME", home.to_str().unwrap())
        .run(LIMIT);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let event = run.event("container").unwrap();
    assert_eq!(
        (event["host"].as_str(), event["result"].as_str()),
        (Some("localhost"), Some("copied"))
    );
    assert!(!run.stdout.contains(KEY) && !run.stderr.contains(KEY));
    let (meta, body) = rig.in_container("crl-root", "/root/.codex/auth.json").unwrap();
    assert_eq!(meta, "-rw------- 0");
    assert_eq!(body, login);
    let copy = rig.container_login("crl-root", "/root/.codex/auth.json").unwrap();
    assert_eq!(rig.login_state(&copy), "apikey");

    // No temporary directory to work in: said so, not taken for a missing login.
    let no_tmp = rig
        .tool()
        .args(["containers", "--local", "crl-root"])
        .env("CODEX_HOME", home.to_str().unwrap())
        .env("TMPDIR", "/nonexistent")
        .run(LIMIT);
    assert_eq!(no_tmp.code(), 1, "{}", no_tmp.stderr);
    assert!(
        no_tmp
            .stderr
            .contains("cannot make a temporary directory in /nonexistent")
            && !no_tmp.stderr.contains("no login to copy"),
        "{}",
        no_tmp.stderr
    );

    let empty = rig.dir.join("local-codex-empty");
    std::fs::create_dir_all(&empty).unwrap();
    let none = rig
        .tool()
        .args(["containers", "--local", "crl-root"])
        .env("CODEX_HOME", empty.to_str().unwrap())
        .run(LIMIT);
    assert_eq!(none.code(), 1, "{}", none.stderr);
    assert!(
        none.stderr.contains("this machine has no login to copy") && none.stderr.contains("codex login"),
        "{}",
        none.stderr
    );
    rig.assert_nothing_left(ALICE);
}

/// `--login-inside`: codex in the container signs in on its own (the browser here, the
/// callback relayed into the container's loopback through `exec -i`), one container after
/// another; one that cannot (no codex in it) fails in the table while the next still signs in.
#[test]
fn login_inside_signs_each_container_in_on_its_own() {
    let rig = Rig::get();
    let tool = rig.tool();
    let page = tool.browser_out.clone();
    let run = tool
        .args(["containers", "rig", "crl-root", "crl-dev", "--login-inside", "--json"])
        .run(LIMIT);
    assert_eq!(run.code(), 5, "crl-root has no codex (exit 5): {}", run.stderr);
    let error = run.event("error").unwrap();
    assert_eq!(error["host"], "rig/crl-root", "{error}");
    let success = run.event("success").unwrap();
    assert_eq!(
        (success["host"].as_str(), success["email"].as_str()),
        (Some("rig/crl-dev"), Some("alice@rig.test"))
    );
    assert_eq!(success["auth_file"], "/home/dev/.codex/auth.json");
    assert!(Running::browser_page(&page).contains("Signed in to Codex"));

    // The container's own login, as its user; the host has none, and no token came here.
    let (meta, body) = rig.in_container("crl-dev", "/home/dev/.codex/auth.json").unwrap();
    assert_eq!(meta, "-rw------- 1000");
    let issued: serde_json::Value = serde_json::from_str(&rig.issuer("/__issued")).unwrap();
    let refresh = issued["refresh_token"].as_str().unwrap();
    assert!(body.contains(refresh));
    assert!(!run.stdout.contains(refresh) && !run.stderr.contains(refresh));
    assert!(rig.auth_json(ALICE).is_none(), "the host's own login is untouched");
    let inside: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(rig.login_state(&inside), "alive", "the container's own login");
    let status = std::process::Command::new("podman")
        .args(["exec", "crl-dev", "codex", "login", "status"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&status.stderr).contains("Logged in using ChatGPT"),
        "{status:?}"
    );
    // Nothing left running in it.
    let ps = std::process::Command::new("podman")
        .args(["exec", "crl-dev", "ps", "-o", "args"])
        .output()
        .unwrap();
    let ps = String::from_utf8_lossy(&ps.stdout).into_owned();
    assert!(!ps.contains("codex") && !ps.contains("nc 127"), "{ps}");
    rig.assert_nothing_left(ALICE);

    // Run again after the failure: the one done is passed over.
    let again = rig
        .tool()
        .args(["--skip-logged-in", "containers", "rig", "crl-dev", "--login-inside"])
        .run(LIMIT);
    assert_eq!(again.code(), 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("rig/crl-dev is already signed in; skipped"),
        "{}",
        again.stderr
    );
    assert_eq!(
        rig.container_login("crl-dev", "/home/dev/.codex/auth.json"),
        Some(inside.clone()),
        "skipped: the container's login is the same"
    );
    assert_eq!(rig.login_state(&inside), "alive");

    let minted = rig.minted_count();
    let missing = rig
        .tool()
        .args(["containers", "rig", "nope", "--login-inside"])
        .run(LIMIT);
    assert_eq!(missing.code(), 1, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("cannot sign in inside nope"),
        "{}",
        missing.stderr
    );

    // `--engine` is obeyed: this user's podman (rootless, an empty store of its own) does not
    // know crl-dev, which only docker's socket serves; no sign-in through docker starts.
    let other_engine = rig
        .tool()
        .args(["containers", "rig", "crl-dev", "--login-inside", "--engine", "podman"])
        .run(LIMIT);
    assert_eq!(other_engine.code(), 1, "{}", other_engine.stderr);
    assert!(
        other_engine.stderr.contains("cannot sign in inside crl-dev")
            && other_engine.stderr.contains("for podman on this host"),
        "{}",
        other_engine.stderr
    );
    assert!(
        !other_engine.stderr.contains("auth.openai.com"),
        "{}",
        other_engine.stderr
    );
    assert_eq!(rig.minted_count(), minted, "neither signed anything in");
    rig.assert_nothing_left(ALICE);
}

/// A host's auth.json that is not a login (here cut short) is refused before any container
/// is touched.
#[test]
fn a_malformed_login_is_copied_nowhere() {
    let rig = Rig::get();
    let out = rig.remote(
        ALICE,
        r#"mkdir -p ~/.codex && printf '%s' '{"auth_mode":"chatgpt","tokens":{"id_tok' > ~/.codex/auth.json"#,
    );
    assert!(out.status.success());
    let run = rig.tool().args(["containers", "rig", "crl-dev", "crl-root"]).run(LIMIT);
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("is not an auth.json codex can use; nothing was written"),
        "{}",
        run.stderr
    );
    for (container, home) in [("crl-dev", "/home/dev"), ("crl-root", "/root")] {
        let there = std::process::Command::new("podman")
            .args(["exec", container, "test", "-e", &format!("{home}/.codex/auth.json")])
            .status()
            .unwrap();
        assert!(!there.success(), "{container} got a file");
    }
    rig.assert_nothing_left(ALICE);
}

/// A DOCKER_HOST in the host's session environment (here sent with SetEnv and accepted by
/// the host's sshd) is the one the docker CLI on the host uses.
#[test]
fn docker_host_in_the_hosts_environment_is_respected() {
    let rig = Rig::get();
    // A ChatGPT login, alive at the issuer: its copy must be the same login, alive.
    let (login, _) = crate::identity::minted_at(&rig, "2026-01-01T00:00:00Z");
    crate::identity::host_login(&rig, &login);
    let copy = |docker_host: &str| {
        rig.tool()
            .args(["-o", &format!("SetEnv=DOCKER_HOST={docker_host}")])
            .args(["containers", "rig", "crl-dev", "--engine", "docker", "--json"])
            .run(LIMIT)
    };
    let nowhere = copy(&format!("unix://{}/no-such.sock", rig.dir.display()));
    assert_eq!(nowhere.code(), 1, "{}", nowhere.stderr);
    assert_eq!(nowhere.event("container").unwrap()["result"], "failed");
    let there = copy(&format!("unix://{}/podman.sock", rig.dir.display()));
    assert_eq!(there.code(), 0, "{}", there.stderr);
    assert_eq!(there.event("container").unwrap()["result"], "copied");
    let copy = rig.container_login("crl-dev", "/home/dev/.codex/auth.json").unwrap();
    let (_, mut host) = rig.auth_json(ALICE).unwrap();
    host["tokens"]["refresh_token"] = "".into();
    assert_eq!(copy, host, "the host's login, without its refresh token");
    assert_eq!(rig.login_state(&copy), "alive", "its access token is alive");
    rig.assert_nothing_left(ALICE);
}

/// A container made for one test with a configured user, created and never started (an
/// engine's `inspect` reads it all the same), removed however the test ends.
pub(crate) struct Created(pub(crate) &'static str);

impl Created {
    pub(crate) fn with_user(name: &'static str, user: &str) -> Self {
        let _ = std::process::Command::new("podman")
            .args(["rm", "-f", "-t", "0", name])
            .output();
        let ok = std::process::Command::new("podman")
            .args([
                "create",
                "-q",
                "--name",
                name,
                "--user",
                user,
                "crl-test:latest",
                "sleep",
                "600",
            ])
            .status()
            .unwrap();
        assert!(ok.success(), "podman create {name}");
        Self(name)
    }
}

impl Drop for Created {
    fn drop(&mut self) {
        let _ = std::process::Command::new("podman")
            .args(["rm", "-f", "-t", "0", self.0])
            .output();
    }
}

/// One container's record cannot shift the next one's. Real containers whose configured user
/// holds a newline, or a space, sit among good ones: each bad one gets a failed row naming
/// its user, and nothing is written into it or done as that user; the others are copied as
/// their own users, with `copy` and `collect` alike.
#[test]
fn a_users_newline_or_space_shifts_no_other_container() {
    let rig = Rig::get();
    rig.sign_in(rig.tool().env("OPENAI_API_KEY", KEY).args(["rig", "--with-api-key"]));
    let newline = Created::with_user("crl-t-user-nl", "evil\nroot");
    let space = Created::with_user("crl-t-user-sp", "dev root");
    let run = rig
        .tool()
        .args(["containers", "rig", newline.0, "crl-dev", space.0, "crl-root", "--json"])
        .run(LIMIT);
    assert_eq!(run.code(), 1, "two of four could not be done: {}", run.stderr);
    let events = run.events();
    let result = |name: &str| {
        events
            .iter()
            .find(|e| e["container"] == name)
            .unwrap_or_else(|| panic!("no result for {name}: {}\n{}", run.stdout, run.stderr))
            .clone()
    };
    for (name, home, user) in [("crl-dev", "/home/dev", "dev"), ("crl-root", "/root", "root")] {
        let copied = result(name);
        assert_eq!(
            (copied["result"].as_str(), copied["user"].as_str()),
            (Some("copied"), Some(user)),
            "{name}: {copied}"
        );
        assert_eq!(copied["auth_file"], format!("{home}/.codex/auth.json"), "{name}");
        let copy = rig
            .container_login(name, &format!("{home}/.codex/auth.json"))
            .unwrap_or_else(|| panic!("{name}: no copy"));
        assert_eq!(rig.login_state(&copy), "apikey", "{name}");
    }
    for (name, shown) in [(newline.0, "\"evil\\nroot\""), (space.0, "\"dev root\"")] {
        let failed = result(name);
        assert_eq!(failed["result"], "failed", "{name}: {failed}");
        let reason = failed["reason"].as_str().unwrap();
        assert!(
            reason.contains(shown) && reason.contains("whitespace or a control character"),
            "{name}: {reason}"
        );
        for dir in ["/root/.codex", "/home/dev/.codex"] {
            assert_eq!(
                rig.archive_listing(name, dir),
                "",
                "{name}: something was written in {dir}"
            );
        }
    }

    let collect = rig
        .tool()
        .args(["collect", "rig", newline.0, space.0, "crl-dev", "--json"])
        .run(LIMIT);
    let events = collect.events();
    for name in [newline.0, space.0] {
        let seen = events
            .iter()
            .find(|e| e["container"] == name)
            .unwrap_or_else(|| panic!("no result for {name}: {}\n{}", collect.stdout, collect.stderr));
        assert_eq!(seen["result"], "failed", "{name}: {seen}");
        assert!(
            seen["reason"]
                .as_str()
                .unwrap()
                .contains("whitespace or a control character"),
            "{name}: {seen}"
        );
    }
    let dev = events.iter().find(|e| e["container"] == "crl-dev").unwrap();
    assert_eq!(dev["result"], "older", "crl-dev holds the host's own copy: {dev}");
    drop((newline, space));
    rig.assert_nothing_left(ALICE);
}
