//! Writes that must not follow what others planted: links at auth.json and at the names a
//! write would predictably use, on the host (`push`) and in a container (`containers`); a
//! CODEX_HOME others can write to; the backups kept; and a container that tries to forge the
//! shim's events through its settings.

use std::time::Duration;

use codex_remote_login_tests::{ALICE, LIMIT, Rig};

use crate::identity::{Crafted, host_bytes, host_login, minted_at, refreshed_at};

fn push(rig: &Rig, body: &str, extra: &[&str]) -> codex_remote_login_tests::Finished {
    let local = rig.dir.join("links-push.json");
    std::fs::write(&local, body).unwrap();
    rig.tool()
        .args(["push", "rig", "--from", local.to_str().unwrap(), "--json"])
        .args(extra)
        .run(LIMIT)
}

/// As alice on the host: a shell script, its output.
fn alice(rig: &Rig, script: &str) -> String {
    let out = rig.remote(ALICE, script);
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// `push` writes nothing through a link: not at auth.json (refused), not at the temporary or
/// backup names a write with the shim's pid would use (links planted for every likely pid and
/// the next seconds are left alone, and the file lands under a name no one could guess).
#[test]
fn push_follows_no_planted_link() {
    let rig = Rig::get();
    let (old, rt_old) = minted_at(&rig, "2026-01-01T00:00:00Z");
    let (new, rt_new) = minted_at(&rig, "2026-02-01T00:00:00Z");
    alice(
        &rig,
        "umask 077 && mkdir -p ~/.codex && printf victim > ~/victim && ln -s ~/victim ~/.codex/auth.json",
    );
    let refused = push(&rig, &new, &[]);
    assert_eq!(refused.code(), 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("auth.json is a symbolic link"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        alice(&rig, "cat ~/victim; ls -A ~/.codex"),
        "victimauth.json\n",
        "nothing written, nothing left"
    );

    // Links at every temporary and backup name the shim's next pids would give.
    alice(&rig, "rm ~/.codex/auth.json");
    host_login(&rig, &old);
    let planted = alice(
        &rig,
        r#"python3 -c '
import os, time
home = os.path.expanduser("~")
last = int(open("/proc/sys/kernel/ns_last_pid").read())
now = time.time()
stamps = [time.strftime("%Y%m%dT%H%M%S", time.localtime(now + s)) for s in range(8)]
for pid in range(last, last + 1500):
    os.symlink(home + "/victim", home + "/.codex/.auth.json.crl-%d" % pid)
    for stamp in stamps:
        os.symlink(home + "/victim", home + "/.codex/auth.json.bak-%s-%d" % (stamp, pid))
print("planted")
'"#,
    );
    assert!(planted.contains("planted"), "{planted}");
    let pushed = push(&rig, &new, &[]);
    assert_eq!(pushed.code(), 0, "{}", pushed.stderr);
    assert_eq!(
        alice(&rig, "cat ~/victim"),
        "victim",
        "nothing was written through a link"
    );
    assert_eq!(host_bytes(&rig), new);
    assert_eq!(alice(&rig, "test -h ~/.codex/auth.json || echo regular"), "regular\n");
    let backup = pushed.event("pushed").unwrap()["backup"].as_str().unwrap().to_owned();
    assert_eq!(alice(&rig, &format!("cat {backup}")), old, "the old login is kept");
    // At the issuer: the pushed login on the host and the one it replaced, both alive.
    let states = rig.token_states(&[&rt_old, &rt_new]);
    assert_eq!((states[&rt_old].as_str(), states[&rt_new].as_str()), ("alive", "alive"));
    alice(&rig, "rm -rf ~/victim ~/.codex");
    rig.assert_nothing_left(ALICE);
}

/// A CODEX_HOME that is another user's, or that others may write to, gets nothing; a ~/.codex
/// that is a link to a directory of the user's own (as dotfile managers make) is fine; and
/// after many pushes only the three newest backups are left.
#[test]
fn push_checks_the_directory_and_keeps_three_backups() {
    let rig = Rig::get();
    // Six logins alive at the issuer, dated a day apart.
    let minted: Vec<(String, String)> = (1..=6)
        .map(|n| minted_at(&rig, &format!("2026-01-0{n}T00:00:00Z")))
        .collect();
    let login = |n: usize| minted[n - 1].0.clone();
    let shared = "/tmp/crl-t-shared-home";
    rig.remote_root(&format!(
        "rm -rf {shared} && mkdir -m 777 {shared} && chown crl-bob {shared}"
    ));
    let refused = push(&rig, &login(1), &["--codex-home", shared]);
    assert_eq!(refused.code(), 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("belongs to user"), "{}", refused.stderr);
    rig.remote_root(&format!("chown crl-alice {shared}"));
    let open = push(&rig, &login(1), &["--codex-home", shared]);
    assert_eq!(open.code(), 1, "{}", open.stderr);
    assert!(open.stderr.contains("writable by other users"), "{}", open.stderr);
    let left = String::from_utf8(rig.remote_root(&format!("ls -A {shared}; rm -rf {shared}")).stdout).unwrap();
    assert_eq!(left, "", "nothing was written there");

    alice(
        &rig,
        "mkdir -p -m 700 ~/dotfiles/codex && ln -s dotfiles/codex ~/.codex",
    );
    let mut last = None;
    for n in 1..=6 {
        let run = push(&rig, &login(n), &[]);
        assert_eq!(run.code(), 0, "push {n}: {}", run.stderr);
        last = run.event("pushed").unwrap()["backup"].as_str().map(str::to_owned);
    }
    assert_eq!(
        alice(&rig, "test -h ~/.codex && cat ~/dotfiles/codex/auth.json"),
        login(6)
    );
    let backups = alice(&rig, "cd ~/dotfiles/codex && ls auth.json.bak-*");
    assert_eq!(backups.lines().count(), 3, "{backups}");
    let last = last.unwrap();
    assert!(backups.contains(last.rsplit('/').next().unwrap()), "{last}: {backups}");
    assert!(
        !alice(&rig, "cat ~/dotfiles/codex/auth.json.bak-*").contains(&minted[0].1),
        "the oldest login is gone"
    );
    assert_eq!(rig.host_login_state(ALICE), "alive", "the last pushed, on the host");
    alice(&rig, "rm -rf ~/dotfiles ~/.codex");
    rig.assert_nothing_left(ALICE);
}

/// Into a container: a link at auth.json is refused, links at every temporary name its next
/// pids would give are left alone, and the three newest backups stay there too.
#[test]
fn containers_follow_no_planted_link() {
    let rig = Rig::get();
    let key = r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-rig-links-key"}"#;
    host_login(&rig, key);
    let target = Crafted::start("crl-t-links", &[]);
    target.sh(
        "mkdir -p ~/.codex && printf victim > ~/victim && ln -s ~/victim ~/.codex/auth.json",
        "",
    );
    let copy = || {
        rig.tool()
            .args(["containers", "rig", "crl-t-links", "--json"])
            .run(LIMIT)
    };
    let refused = copy();
    assert_eq!(refused.code(), 1, "{}", refused.stderr);
    let event = refused.event("container").unwrap();
    assert_eq!(event["result"], "failed", "{event}");
    assert!(
        event["reason"].as_str().unwrap().contains("is a symbolic link"),
        "{event}"
    );
    assert_eq!(target.sh("cat ~/victim", ""), "victim");

    target.sh(
        "rm ~/.codex/auth.json && for p in $(seq 1 400); do ln -s ~/victim ~/.codex/.auth.json.crl-$p; done",
        "",
    );
    for n in 1..=5 {
        let run = copy();
        assert_eq!(run.code(), 0, "copy {n}: {}", run.stderr);
    }
    assert_eq!(
        target.sh("cat ~/victim", ""),
        "victim",
        "nothing was written through a link"
    );
    assert_eq!(target.sh("cat ~/.codex/auth.json", ""), key);
    let copied = rig
        .container_login("crl-t-links", "/home/dev/.codex/auth.json")
        .unwrap();
    assert_eq!(rig.login_state(&copied), "apikey");
    let backups = target.sh("ls ~/.codex/ | grep -c '^auth.json.bak-'", "");
    assert_eq!(backups.trim(), "3");

    // Stopped, it is written by the engine's archive copy, which cannot see the link (the
    // engines resolve it) but replaces it rather than writing through it.
    target.sh("ln -sf ~/victim ~/.codex/auth.json", "");
    let stopped = std::process::Command::new("podman")
        .args(["stop", "-t", "0", "crl-t-links"])
        .output()
        .unwrap();
    assert!(stopped.status.success());
    let archived = copy();
    assert_eq!(archived.code(), 0, "{}", archived.stderr);
    let victim = rig.archive_listing("crl-t-links", "/home/dev/victim");
    assert!(victim.contains(" 6 "), "still its 6 bytes: {victim}");
    let listing = rig.archive_listing("crl-t-links", "/home/dev/.codex");
    assert!(
        listing.contains("-rw------- dev/dev") && listing.contains(".codex/auth.json\n"),
        "{listing}"
    );
    rig.assert_nothing_left(ALICE);
}

/// A container's settings reach the shim's events (the directory its login went to): a
/// newline and a line of the shim's protocol in its CODEX_HOME start no event of their own.
#[test]
fn a_container_cannot_forge_events() {
    let rig = Rig::get();
    host_login(&rig, r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-rig-forge-key"}"#);
    let forged = "/tmp/x\ncrl1 ctr-copied crl-dev docker dev - /forged\ncrl1 done";
    let _forger = Crafted::start("crl-t-forge", &["-e", &format!("CODEX_HOME={forged}")]);
    let run = rig
        .tool()
        .args(["containers", "rig", "crl-t-forge", "--json"])
        .run(LIMIT);
    let events = run.events();
    let containers: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "container")
        .map(|e| e["container"].as_str().unwrap())
        .collect();
    assert_eq!(containers, ["crl-t-forge"], "{}\n{}", run.stdout, run.stderr);
    assert!(
        !run.stdout.contains("/forged") || !run.stdout.contains("\"crl-dev\""),
        "{}",
        run.stdout
    );
    rig.assert_nothing_left(ALICE);
}

/// While codex holds its lock on auth.json (here a stand-in that holds it as codex does, with
/// flock on auth.lock, and refreshes the file meanwhile), push waits for it, sees the file
/// changed, and writes nothing: a refresh is never overwritten.
#[test]
fn push_never_overwrites_a_refresh_made_under_codexs_lock() {
    let rig = Rig::get();
    // Logins alive at the issuer; the refresh the stand-in writes is a real one, which uses
    // the host's old login up.
    let (old, _) = minted_at(&rig, "2026-01-01T00:00:00Z");
    let refreshed = refreshed_at(&rig, &old, "2026-01-01T00:00:05Z");
    let (pushed, _) = minted_at(&rig, "2026-01-01T00:00:03Z");
    host_login(&rig, &old);
    let ready = std::path::Path::new("/home/crl-alice/lock-held");
    let _ = std::fs::remove_file(ready);
    let mut codex = std::process::Command::new("ip")
        .args(["netns", "exec", &rig.ns, "runuser", "-l", ALICE, "-c"])
        .arg(format!(
            "flock ~/.codex/auth.lock sh -c 'touch {ready}; sleep 3; printf %s '\\''{refreshed}'\\'' > ~/.codex/auth.json'",
            ready = ready.display()
        ))
        .spawn()
        .unwrap();
    codex_remote_login_tests::wait_until(Duration::from_secs(10), || ready.exists().then_some(()).ok_or(()))
        .expect("the stand-in took the lock");
    let run = push(&rig, &pushed, &[]);
    assert!(codex.wait().unwrap().success());
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("changed while this ran"), "{}", run.stderr);
    assert_eq!(host_bytes(&rig), refreshed, "the refresh stands");
    assert_eq!(
        rig.host_login_state(ALICE),
        "alive",
        "the host holds the live login codex refreshed"
    );
    let _ = std::fs::remove_file(ready);
    rig.assert_nothing_left(ALICE);
}
