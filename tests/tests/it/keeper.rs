//! The keeper: started on the rig's host by `keeper start`, it has the real codex refresh the
//! host's login (`codex app-server`) before its access token has lived half its life, and
//! puts the new access-only copy into each container, a recreated one included, while the
//! real codex in the container keeps working past the first token's end. Access tokens live
//! 20 s here, so a round comes every 5 s. It stops with `keeper stop`, leaving nothing.

use std::process::Command;
use std::time::Duration;

use codex_remote_login_tests::{ALICE, LIMIT, Rig, utc_in, wait_until};

const CTR_AUTH: &str = "/home/dev/.codex/auth.json";
const KEEP_DIR: &str = "/home/crl-alice/.codex-remote-login";

/// What the keeper keeps of its rounds (its log, its last round's answers, what it wrote
/// where), for a failure's message: none of it holds a token.
fn keeper_files(rig: &Rig) -> String {
    let dir = format!("{KEEP_DIR}/keeper");
    let out = rig.remote_root(&format!("cd {dir} && tail -n 20 log round.out written 2>&1; true"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// crl-alice's crontab on the host (empty when she has none).
fn crontab(rig: &Rig) -> String {
    String::from_utf8_lossy(&rig.remote(ALICE, "crontab -l 2>/dev/null; true").stdout).into_owned()
}

/// The keeper stopped as a user stops it, and nothing of it left on the host.
fn stop(rig: &Rig) {
    let run = rig.tool().args(["keeper", "stop", "rig", "--json"]).run(LIMIT);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert_eq!(run.event("keeper").unwrap()["result"], "stopped", "{}", run.stdout);
    assert!(!crontab(rig).contains("codex-remote-login"), "{}", crontab(rig));
    let left = rig.remote_root(&format!("ls -A {KEEP_DIR} 2>&1"));
    assert!(!left.status.success(), "{}", String::from_utf8_lossy(&left.stdout));
}

/// However a test ends, no keeper of its is left on the host: the next test would find its
/// process (and the harness would name it), and cron would find its line.
struct Stopped<'a>(&'a Rig);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        self.0.remote(
            ALICE,
            &format!("crontab -r 2>/dev/null; pkill -KILL -f keeper/loop.sh; rm -rf {KEEP_DIR}; true"),
        );
    }
}

/// A container made for one test, running as `dev` with the rig's codex and issuer settings
/// and label `crl.keep=1`, removed however the test ends.
struct Labelled(&'static str);

impl Labelled {
    fn run(name: &'static str) -> Self {
        let _ = Command::new("podman").args(["rm", "-f", "-t", "0", name]).output();
        let ok = Command::new("podman")
            .args([
                "run",
                "-d",
                "-q",
                "--name",
                name,
                "--user",
                "dev",
                "--label",
                "crl.keep=1",
            ])
            .args(["crl-test:latest", "sleep", "600"])
            .status()
            .unwrap();
        assert!(ok.success(), "podman run {name}");
        Self(name)
    }
}

impl Drop for Labelled {
    fn drop(&mut self) {
        let _ = Command::new("podman").args(["rm", "-f", "-t", "0", self.0]).output();
    }
}

#[test]
fn the_keeper_refreshes_through_codex_and_keeps_copies_alive() {
    let rig = Rig::get();
    let _stopped = Stopped(&rig);
    rig.issuer("/__control?access_ttl=20");
    let first = rig.sign_alice_in(rig.tool().args(["rig"])).login;
    let before = rig.refreshes().len();
    let run = rig
        .tool()
        .args(["keeper", "start", "rig", "crl-dev", "--json"])
        .run(LIMIT);
    assert_eq!(run.code(), 0, "{}\n{}", run.stdout, run.stderr);
    let started = run.event("keeper").unwrap();
    assert_eq!(
        (&started["result"], &started["reboot"]),
        (&"started".into(), &"cron".into()),
        "{started}"
    );
    assert!(
        run.stderr
            .contains("comes back after a reboot: through an @reboot line"),
        "{}",
        run.stderr
    );
    assert!(
        crontab(&rig).contains("# codex-remote-login keeper"),
        "{}",
        crontab(&rig)
    );
    assert_eq!(run.event("container").unwrap()["copy"], "access");

    // The host's codex refreshes its login before the first access token ends, and the new
    // copy reaches the container: it outlives the token it started with.
    let (host, copy) = wait_until(Duration::from_secs(30), || {
        let (_, host) = rig.auth_json(ALICE).unwrap();
        let copy = rig.container_login("crl-dev", CTR_AUTH).unwrap();
        let fresh = host["tokens"]["refresh_token"] != first["tokens"]["refresh_token"];
        if fresh && copy["tokens"]["access_token"] == host["tokens"]["access_token"] {
            Ok((host, copy))
        } else {
            Err(format!("host refreshed: {fresh}"))
        }
    })
    .expect("the keeper refreshed the login and renewed the copy");
    assert_eq!(copy["tokens"]["refresh_token"], "");
    assert_eq!(rig.login_state(&host), "alive");
    assert_eq!(rig.login_state(&first), "used", "codex rotated it, as it always does");
    wait_until(Duration::from_secs(30), || {
        (rig.login_state(&serde_json::json!({"tokens": {"access_token": first["tokens"]["access_token"]}}))
            == "expired")
            .then_some(())
            .ok_or(())
    })
    .expect("the first access token ended");
    let (ok, said) = crate::copies::codex_exec_in_crl_dev();
    assert!(ok && said.contains("rig says hello"), "{said}");
    let seen = &rig.refreshes()[before..];
    assert!(seen.iter().any(|r| r == "ok"), "{seen:?}");
    assert!(
        !seen.iter().any(|r| r == "reused"),
        "a refresh token was used twice: {seen:?}"
    );

    let status = rig.tool().args(["status", "rig", "--json"]).run(LIMIT);
    let keeper = &status.event("status").unwrap()["keeper"];
    assert_eq!(
        (&keeper["running"], &keeper["reboot"]),
        (&true.into(), &"cron".into()),
        "{keeper}"
    );
    assert!(keeper["refreshed_secs_ago"].is_i64(), "{keeper}");
    assert_eq!(keeper["containers"][0]["container"], "crl-dev", "{keeper}");
    let table = rig.tool().args(["status", "rig"]).run(LIMIT);
    assert!(table.stdout.contains("Keeper on rig: running"), "{}", table.stdout);
    stop(&rig);
    rig.assert_nothing_left(ALICE);
}

/// The containers are not trusted, and the keeper runs unattended: a container recreated
/// under the same name gets the copy on the next round; one that plants a link where the
/// login goes is refused; one holding a login of its own keeps it; none ever holds the
/// host's refresh token. Killed (as a reboot would), the keeper comes back by the line cron
/// runs at boot.
#[test]
fn the_keeper_fills_recreated_containers_and_trusts_none() {
    let rig = Rig::get();
    let _stopped = Stopped(&rig);
    rig.issuer("/__control?access_ttl=20");
    let login = rig.sign_alice_in(rig.tool().args(["rig"])).login;
    let refresh = login["tokens"]["refresh_token"].as_str().unwrap().to_owned();
    let plain = Labelled::run("crl-t-keep");
    let linked = Labelled::run("crl-t-keep-link");
    let own = Labelled::run("crl-t-keep-own");
    let planted = Command::new("podman")
        .args(["exec", "-u", "dev", linked.0, "sh", "-c"])
        .arg("mkdir -p /home/dev/.codex && echo theirs > /tmp/target && ln -s /tmp/target /home/dev/.codex/auth.json")
        .status()
        .unwrap();
    assert!(planted.success());
    // A login of its own, fresher than the host's: the first copy (which replaces an older
    // one, backed up) leaves it too.
    let mut theirs = rig.minted_login();
    theirs["last_refresh"] = utc_in(120).into();
    let write = Command::new("podman")
        .args(["exec", "-u", "dev", own.0, "sh", "-c"])
        .arg(format!(
            "mkdir -p /home/dev/.codex && printf '%s' '{theirs}' > {CTR_AUTH}"
        ))
        .status()
        .unwrap();
    assert!(write.success());

    // Named, and stopped: its configured user is a command, which nothing may run.
    let evil = crate::containers::Created::with_user("crl-t-keep-evil", "$(touch /tmp/crl-keeper-pwned)");
    let run = rig
        .tool()
        .args(["keeper", "start", "rig", evil.0, "--label", "crl.keep=1", "--json"])
        .run(LIMIT);
    // The linked one fails (the first copy says so), the others are done.
    assert_eq!(run.code(), 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.event("keeper").unwrap()["result"], "started", "{}", run.stdout);

    // Recreated: another container by the same name, filled on a later round.
    drop(plain);
    let plain = Labelled::run("crl-t-keep");
    wait_until(Duration::from_secs(30), || {
        rig.container_login(plain.0, CTR_AUTH).ok_or("not yet")
    })
    .expect("the recreated container got its copy");
    // Rounds went on meanwhile, the host's login refreshed at least once.
    wait_until(Duration::from_secs(30), || {
        let (_, host) = rig.auth_json(ALICE).unwrap();
        (host["tokens"]["refresh_token"] != login["tokens"]["refresh_token"])
            .then_some(())
            .ok_or(())
    })
    .expect("the keeper refreshed the login");
    let status = rig.tool().args(["status", "rig", "--json"]).run(LIMIT);
    let keeper = status.event("status").unwrap()["keeper"].clone();
    let result = |name: &str| {
        keeper["containers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["container"] == name)
            .map(|c| c["result"].as_str().unwrap().to_owned())
    };
    let files = keeper_files(&rig);
    assert_eq!(result(linked.0).as_deref(), Some("failed"), "{keeper}\n{files}");
    assert_eq!(result(evil.0).as_deref(), Some("failed"), "{keeper}\n{files}");
    assert!(
        !std::path::Path::new("/tmp/crl-keeper-pwned").exists(),
        "a container's user was run"
    );
    assert_eq!(result(own.0).as_deref(), Some("own"), "{keeper}\n{files}");

    let target = rig.in_container(linked.0, "/tmp/target").unwrap().1;
    assert_eq!(target.trim(), "theirs", "nothing was written through the link");
    assert_eq!(
        rig.container_login(own.0, CTR_AUTH).unwrap(),
        theirs,
        "its own login is left alone"
    );
    for container in [plain.0, linked.0, own.0, "crl-dev"] {
        let everything = Command::new("podman")
            .args([
                "exec",
                container,
                "sh",
                "-c",
                "cat /home/dev/.codex/* /tmp/* 2>/dev/null; true",
            ])
            .output()
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&everything.stdout).contains(&refresh),
            "{container} holds the host's refresh token"
        );
    }

    // A reboot, as far as the keeper can tell: killed outright, then started by the line cron
    // runs at boot.
    let killed = rig.remote(ALICE, &format!("kill -9 \"$(cat {KEEP_DIR}/keeper/pid)\""));
    assert!(killed.status.success());
    // (SIGKILL is sent, not waited for: the process may take a moment to be gone.)
    wait_until(Duration::from_secs(10), || {
        let table = rig.tool().args(["status", "rig"]).run(LIMIT);
        table.stdout.contains("STOPPED").then_some(()).ok_or(table.stdout)
    })
    .expect("status says the killed keeper STOPPED");
    let line = crontab(&rig)
        .lines()
        .find(|l| l.contains("codex-remote-login keeper"))
        .expect("the @reboot line")
        .to_owned();
    // As cron runs it: the line after `@reboot`, by sh, alone.
    let command = line.strip_prefix("@reboot ").unwrap();
    let started = rig.remote(ALICE, &format!("setsid sh -c '{command}' </dev/null >/dev/null 2>&1 &"));
    assert!(started.status.success());
    wait_until(Duration::from_secs(10), || {
        let status = rig.tool().args(["status", "rig", "--json"]).run(LIMIT);
        (status.event("status").unwrap()["keeper"]["running"] == true)
            .then_some(())
            .ok_or(())
    })
    .expect("back after the reboot");
    stop(&rig);
    rig.assert_nothing_left(ALICE);
}
