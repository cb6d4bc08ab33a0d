//! Copies that cannot log anyone out: `containers` puts an access-only copy of the host's
//! login in each container (its refresh token `""`), with the real codex using it inside the
//! container against the rig's issuer and backend; `collect` never takes such a copy back;
//! `status` and `logout` see it; a whole copy that codex refreshed in a container is brought
//! back first, then converted.

use std::process::Command;

use codex_remote_login_tests::{ALICE, LIMIT, Rig, utc_in};

const CTR_AUTH: &str = "/home/dev/.codex/auth.json";

/// The real codex in crl-dev runs one model turn (`codex exec`) with the login it holds.
pub(crate) fn codex_exec_in_crl_dev() -> (bool, String) {
    let out = Command::new("podman")
        .args(["exec", "-u", "dev", "-w", "/home/dev", "crl-dev"])
        .args(["codex", "exec", "--skip-git-repo-check", "say hello"])
        .output()
        .expect("podman");
    let said = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), said)
}

#[test]
fn an_access_only_copy_works_and_cannot_rotate_the_hosts_login() {
    let rig = Rig::get();
    // Access tokens that live 60 s: codex refreshes any token within 5 minutes of its end, so
    // the container's codex tries to refresh on every run.
    rig.issuer("/__control?access_ttl=60");
    let host = rig.sign_alice_in(rig.tool().args(["rig"])).login;
    let run = rig.tool().args(["containers", "rig", "crl-dev", "--json"]).run(LIMIT);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let event = run.event("container").unwrap();
    assert_eq!(
        (&event["result"], &event["copy"]),
        (&"copied".into(), &"access".into()),
        "{event}"
    );
    assert!(!run.stderr.contains("refresh token was already used"), "{}", run.stderr);
    let copy = rig.container_login("crl-dev", CTR_AUTH).unwrap();
    let mut expected = host.clone();
    expected["tokens"]["refresh_token"] = "".into();
    assert_eq!(copy, expected, "the host's login, but for its refresh token");

    let before = rig.refreshes().len();
    let (ok, said) = codex_exec_in_crl_dev();
    assert!(ok && said.contains("rig says hello"), "codex in the container: {said}");
    let tried = &rig.refreshes()[before..];
    assert!(
        !tried.is_empty(),
        "codex tried to refresh a token this close to its end"
    );
    assert!(
        tried.iter().all(|r| r == "invalid"),
        "an access-only copy cannot refresh: {tried:?}"
    );
    assert_eq!(rig.auth_json(ALICE).unwrap().1, host, "the host's login is untouched");
    assert_eq!(rig.login_state(&host), "alive");

    let status = rig.tool().args(["status", "rig", "--json"]).run(LIMIT);
    let copies = &status.event("status").unwrap()["copies"];
    assert_eq!(copies[0]["container"], "crl-dev", "{copies}");
    assert_eq!(copies[0]["copy"], "access", "{copies}");
    assert!(copies[0]["expires_in_secs"].as_i64().unwrap() <= 60, "{copies}");
    let table = rig.tool().args(["status", "rig"]).run(LIMIT);
    assert!(table.stdout.contains("access only"), "{}", table.stdout);
    let doctor = rig.tool().args(["doctor", "rig", "--json"]).run(LIMIT);
    let check = doctor
        .check("container copies")
        .unwrap_or_else(|| panic!("{}", doctor.stdout));
    assert_eq!(check["verdict"], "pass", "{check}");
    assert!(
        check["detail"].as_str().unwrap().contains("access-only in crl-dev"),
        "{check}"
    );

    // collect never takes it back: the host would be left with no refresh token.
    let collect = rig
        .tool()
        .args(["collect", "rig", "crl-dev", "--yes", "--json"])
        .run(LIMIT);
    assert_eq!(
        collect.event("collected").unwrap()["result"],
        "access_only",
        "{}",
        collect.stdout
    );
    assert_eq!(rig.auth_json(ALICE).unwrap().1, host);

    rig.assert_nothing_left(ALICE);
}

/// Signing out the host and a container holding an access-only copy: the host's login is
/// revoked (which ends the copy's access token too, so the copy is named first); the copy is
/// removed, not revoked by its codex (which would revoke the access token the host and the
/// other copies share).
#[test]
fn logout_removes_an_access_only_copy_without_revoking_it() {
    let rig = Rig::get();
    // The host's refresh token hashing to `a...`, which once passed for an account's mark.
    rig.issuer("/__control?refresh_hash=a");
    let host = rig.sign_alice_in(rig.tool().args(["rig"])).login;
    let run = rig.tool().args(["containers", "rig", "crl-dev"]).run(LIMIT);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let revokes = || {
        let log: Vec<String> = serde_json::from_str(&rig.issuer("/__log")).unwrap();
        log.iter().filter(|l| l.starts_with("POST /oauth/revoke")).count()
    };
    let before = revokes();
    let diagnosis = rig.copy_diagnosis(ALICE, "crl-dev", CTR_AUTH, &host);
    let run = rig
        .tool()
        .args(["logout", "rig", "--container", "crl-dev", "--json"])
        .run(LIMIT);
    assert_eq!(run.code(), 0, "{}\n{}", run.stdout, run.stderr);
    let results: Vec<serde_json::Value> = run.events().into_iter().filter(|e| e["type"] == "logout").collect();
    let of = |container: Option<&str>| {
        results
            .iter()
            .find(|e| e["container"].as_str() == container)
            .unwrap_or_else(|| panic!("no result for {container:?}: {results:?}"))
            .clone()
    };
    assert_eq!(of(None)["result"], "signed_out", "{results:?}");
    assert_eq!(
        of(None)["shared"],
        serde_json::json!(["rig/crl-dev"]),
        "{results:?}\nbefore the logout: {diagnosis}"
    );
    assert_eq!(of(Some("crl-dev"))["result"], "removed", "{results:?}");
    assert_eq!(revokes(), before + 1, "the host's login alone is revoked");
    assert_eq!(rig.login_state(&host), "revoked");
    assert!(rig.container_login("crl-dev", CTR_AUTH).is_none(), "the copy is gone");
    rig.assert_nothing_left(ALICE);
}

/// A whole copy (`--share-refresh-token`) that codex refreshed in the container holds the
/// live login, and the host's is dead: `containers` brings it back first (with --yes, as
/// `collect` would), then gives the container an access-only copy of it.
#[test]
fn a_whole_copy_refreshed_in_a_container_is_collected_then_converted() {
    let rig = Rig::get();
    let host = rig.sign_alice_in(rig.tool().args(["rig"])).login;
    let run = rig
        .tool()
        .args(["containers", "rig", "crl-dev", "--share-refresh-token", "--json"])
        .run(LIMIT);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert_eq!(run.event("container").unwrap()["copy"], "full");
    assert!(run.stderr.contains("--share-refresh-token"), "warned: {}", run.stderr);
    // The container's codex refreshes its copy (the issuer rotates the token): the host's
    // refresh token is now used up.
    let mut live = rig.refreshed(&rig.container_login("crl-dev", CTR_AUTH).unwrap());
    // Later than the host's by more than the second both may share, not in the future.
    live["last_refresh"] = utc_in(120).into();
    let write = Command::new("podman")
        .args([
            "exec",
            "-i",
            "-u",
            "dev",
            "crl-dev",
            "sh",
            "-c",
            &format!("cat > {CTR_AUTH}"),
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(live.to_string().as_bytes())?;
            child.wait()
        })
        .unwrap();
    assert!(write.success());
    assert_eq!(rig.login_state(&host), "used");

    let run = rig
        .tool()
        .args(["containers", "rig", "crl-dev", "--yes", "--json"])
        .run(LIMIT);
    assert_eq!(run.code(), 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.event("collected").unwrap()["result"], "taken", "{}", run.stdout);
    let container = run
        .events()
        .into_iter()
        .rev()
        .find(|e| e["type"] == "container")
        .unwrap();
    assert_eq!(
        (&container["result"], &container["copy"]),
        (&"copied".into(), &"access".into())
    );
    let (_, now) = rig.auth_json(ALICE).unwrap();
    assert_eq!(
        now["tokens"]["refresh_token"], live["tokens"]["refresh_token"],
        "the live login is the host's"
    );
    assert_eq!(rig.login_state(&now), "alive");
    let copy = rig.container_login("crl-dev", CTR_AUTH).unwrap();
    assert_eq!(copy["tokens"]["refresh_token"], "");
    assert_eq!(copy["tokens"]["access_token"], live["tokens"]["access_token"]);
    rig.assert_nothing_left(ALICE);
}
