//! Rootless podman on the host: the rig's users have subordinate ids (as Debian's `useradd`
//! gives them once `uidmap` is installed), so podman run as crl-alice works rootless and leaves
//! its pause process behind, as it does after any podman command. The tool must not start it
//! where podman cannot know the container, and the leak check must tell podman's own pause
//! process from a real leftover by an exact rule.

use codex_remote_login_tests::{ALICE, LIMIT, Rig, podman_pause};

const KEY: &str = "sk-rig-rootless-key-5a0e";
/// A container of crl-alice's own, in her rootless store.
const OWN: &str = "crl-t-rootless";

/// Ends crl-alice's rootless podman and removes her store, as if she had never run podman.
fn forget_rootless_podman(rig: &Rig) {
    let uid = rig.remote_root(&format!("id -u {ALICE}"));
    let uid = String::from_utf8_lossy(&uid.stdout).trim().to_owned();
    if let Some(pid) = podman_pause(ALICE) {
        rig.remote_root(&format!("kill -KILL {pid}"));
    }
    let out = rig.remote_root(&format!(
        "rm -rf /home/{ALICE}/.local/share/containers /home/{ALICE}/.config/containers /tmp/podman-run-{uid} /tmp/containers-user-{uid}"
    ));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Whether crl-alice has any process at all on the host, podman's pause process included.
fn alice_runs_anything(rig: &Rig) -> bool {
    podman_pause(ALICE).is_some() || !rig.processes(ALICE).is_empty()
}

#[test]
fn rootless_podman_is_not_started_where_it_cannot_know_the_container() {
    let rig = Rig::get();
    forget_rootless_podman(&rig);
    // crl-alice signed in with an API key, so that there is a login to copy.
    rig.sign_in(rig.tool().env("OPENAI_API_KEY", KEY).args(["rig", "--with-api-key"]));
    // Found by docker (through the engine's socket), unknown to every engine, every running
    // container, and docker named with --engine: none of these may start rootless podman for
    // a user who has no podman store of her own.
    for args in [
        &["containers", "rig", "crl-dev", "nope", "--json"][..],
        &["containers", "rig", "--all-running", "--json"],
        &["containers", "rig", "nope", "--engine", "docker", "--json"],
        &["logout", "rig", "--local-only", "--json"],
    ] {
        let run = rig.tool().args(args).run(LIMIT);
        assert!(run.code() <= 1, "{args:?}: {}", run.stderr);
        if args.contains(&"nope") {
            // An unknown container is still named as unknown.
            assert_eq!(run.code(), 1, "{}", run.stderr);
            assert!(run.stdout.contains("knows it"), "{args:?}: {}", run.stdout);
        }
        assert!(
            !alice_runs_anything(&rig),
            "{args:?} left crl-alice's processes [{}] (pause {:?})",
            rig.processes(ALICE),
            podman_pause(ALICE)
        );
        let store = rig.remote_root(&format!("ls -d /home/{ALICE}/.local/share/containers"));
        assert!(!store.status.success(), "{args:?} made a podman store for crl-alice");
    }
    rig.assert_nothing_left(ALICE);
}

#[test]
fn rootless_podman_finds_the_users_own_container() {
    let rig = Rig::get();
    forget_rootless_podman(&rig);
    // crl-alice signed in with an API key, so that there is a login to copy.
    rig.sign_in(rig.tool().env("OPENAI_API_KEY", KEY).args(["rig", "--with-api-key"]));
    // crl-alice's own container, in her rootless store (this sandbox: runc, cgroupfs, no
    // network, lowered limits).
    let made = rig.remote(
        ALICE,
        &format!(
            "podman import -q {tar} crl-rootless:latest >/dev/null && \
             podman --runtime runc --cgroup-manager cgroupfs run -d -q --name {OWN} --network none \
             --ulimit nofile=1024:4096 --ulimit nproc=1024:4096 crl-rootless:latest sleep 86400",
            tar = rig.dir.join("rootfs.tar").display()
        ),
    );
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let run = rig.tool().args(["containers", "rig", OWN, "--json"]).run(LIMIT);
    let copied = run.events().into_iter().find(|e| e["container"] == OWN);
    let cleanup = rig.remote(ALICE, &format!("podman rm -f -t 0 {OWN} >/dev/null"));
    assert!(cleanup.status.success(), "{}", String::from_utf8_lossy(&cleanup.stderr));
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let copied = copied.unwrap_or_else(|| panic!("no row for {OWN}: {}", run.stdout));
    assert_eq!(
        (copied["result"].as_str(), copied["engine"].as_str()),
        (Some("copied"), Some("podman")),
        "{copied}"
    );
    // Podman's pause process stays, as after any podman command crl-alice runs; it is podman's
    // own, and the leak check knows it for what it is.
    assert!(
        podman_pause(ALICE).is_some(),
        "rootless podman ran without a pause process?"
    );
    rig.assert_nothing_left(ALICE);
    forget_rootless_podman(&rig);
}

#[test]
fn a_process_that_only_looks_like_podmans_pause_is_a_leak() {
    let rig = Rig::get();
    forget_rootless_podman(&rig);
    // The real one first: podman's pause process is not a leftover.
    let ps = rig.remote(ALICE, "podman ps -q");
    assert!(ps.status.success(), "{}", String::from_utf8_lossy(&ps.stderr));
    let pause = podman_pause(ALICE).expect("rootless podman left no pause process");
    assert!(rig.leftovers().is_empty(), "{:?}", rig.leftovers());
    // Then two that look like it: a process named as podman's is, and the very binary podman
    // runs, started by hand. The pid file podman keeps names neither.
    let planted = rig.remote(
        ALICE,
        "(exec -a 'catatonit -P' sleep 120) >/dev/null 2>&1 & echo $!; \
         (exec catatonit -P) >/dev/null 2>&1 & echo $!",
    );
    let planted = String::from_utf8_lossy(&planted.stdout).to_string();
    let pids: Vec<&str> = planted.split_whitespace().collect();
    assert_eq!(pids.len(), 2, "{planted}");
    let left = rig.leftovers().join(", ");
    for pid in &pids {
        rig.remote_root(&format!("kill -KILL {pid}"));
    }
    for pid in &pids {
        assert!(
            left.contains(&format!(" {pid} ")),
            "the planted {pid} was not found: [{left}]"
        );
    }
    assert!(
        !left.contains(&format!(" {pause} ")),
        "podman's own pause was taken for a leak: [{left}]"
    );
    forget_rootless_podman(&rig);
    rig.assert_nothing_left(ALICE);
}
