//! What the tool assumes about when the real codex revokes, keeps and rotates tokens, checked
//! against the pinned codex (`CRL_CODEX_PREFIX`) and the newest release on npm
//! (`CRL_CODEX_LATEST_PREFIX`; both installed and pinned by scripts/test). Each codex runs on
//! the rig's host as crl-alice, in a scratch `CODEX_HOME`, with the proxy and CA the rig's sshd
//! gives its sessions; the rig's issuer keeps the real token rules and logs what it was asked.
//! When codex changes, the failing assertion names the change, the version, and the part of
//! the tool that assumed otherwise.

use std::process::Command;

use codex_remote_login_tests::{ALICE, Rig};
use serde_json::{Value, json};

mod scratch;
use scratch::{
    Codex, Running, Scratch, asked_since, count, is_device_code, issuer_log, plain, position, state, token, versions,
};

/// Fact 1, case 1 of issue #23: with a login on file, `codex login` revokes its refresh token
/// and clears auth.json before the browser flow starts, so a browser sign-in that does not
/// finish leaves the host signed out with a dead token. The tool's sign-in therefore runs codex
/// in a private home (remote/src/shim/fresh.sh) and revokes the old login itself, after the new
/// one is in place.
#[test]
fn codex_login_revokes_the_stored_login_before_the_browser_flow() {
    let rig = Rig::get();
    for codex in versions() {
        let v = &codex.version;
        let relied =
            "the tool's private-home sign-in (remote/src/shim/fresh.sh) assumed it does; re-check case 1 of issue #23";
        let scratch = Scratch::new(&codex, "browser");
        let login = scratch.signed_in(&rig, &codex);
        let refresh = token(&login, "refresh_token");
        let mark = issuer_log(&rig).len();
        let mut run = Running::start(&rig, &scratch, &codex, "login");
        let url = run
            .stderr
            .wait(|l| l.starts_with("https://auth.openai.com/oauth/authorize?"))
            .unwrap_or_else(|seen| panic!("codex {v} login printed no authorize URL; stderr:\n{seen}"));
        // The browser step has not begun: nothing has asked for the authorize page yet.
        let cleared = scratch.login().is_none();
        // The browser's part, as a phone would do it (the issuer approves at once); the
        // callback is never delivered.
        let back = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{redirect_url}", "-k", "--proxy"])
            .arg(format!("http://{}", rig.issuer_proxy))
            .arg(&url)
            .output()
            .expect("curl");
        let back = String::from_utf8_lossy(&back.stdout);
        assert!(
            back.contains("/auth/callback?code="),
            "the issuer did not approve codex {v}'s authorize URL: it sent the browser to {back:?}"
        );
        let (_, stderr) = run.kill();
        let asked = asked_since(&rig, mark);
        let revoked = position(&asked, "POST /oauth/revoke");
        let authorize = position(&asked, "GET /oauth/authorize");
        assert!(
            revoked.is_some(),
            "codex {v} no longer revokes the stored login when `codex login` starts (the issuer was asked for {asked:?}): {relied}"
        );
        assert!(
            authorize.is_some(),
            "the browser step never reached the issuer (asked for {asked:?}); codex {v} stderr:\n{stderr}"
        );
        assert!(
            revoked < authorize,
            "codex {v} now revokes the stored login only after the browser asked for the authorize page (the issuer was asked for {asked:?}): {relied}"
        );
        assert_eq!(
            count(&asked, "POST /oauth/revoke"),
            1,
            "codex {v} asked for more than one revocation ({asked:?}): {relied}"
        );
        let now = state(&rig, refresh);
        assert_eq!(
            now, "revoked",
            "codex {v} asked for a revocation, but the stored refresh token is {now} at the issuer: {relied}"
        );
        assert!(
            cleared,
            "codex {v} no longer clears auth.json before the browser step (it was still there when the URL was printed): {relied}"
        );
        assert!(
            scratch.login().is_none(),
            "codex {v} killed during an unfinished browser login left an auth.json behind: {relied}"
        );
        let (_, _, said) = scratch.run(&rig, &codex, "login status");
        assert!(
            said.contains("Not logged in"),
            "after an unfinished browser login codex {v} is not signed out: `login status` says {said:?}; {relied}"
        );
        drop(scratch);
        rig.assert_nothing_left(ALICE);
    }
}

/// Fact 2: `codex login --device-auth` revokes the stored login before it asks for a device
/// code, and clears auth.json: a device-code sign-in that is never approved signs the host out.
/// The tool's device-code sign-in runs codex in the private home too (remote/src/shim/fresh.sh,
/// login.sh with `--device-auth`).
#[test]
fn codex_device_login_revokes_the_stored_login_before_asking_for_a_code() {
    let rig = Rig::get();
    for codex in versions() {
        let v = &codex.version;
        let relied = "the tool's private-home device-code sign-in (remote/src/shim/fresh.sh, login.sh with --device-auth) assumed it does";
        let scratch = Scratch::new(&codex, "device");
        let login = scratch.signed_in(&rig, &codex);
        let refresh = token(&login, "refresh_token");
        let mark = issuer_log(&rig).len();
        let mut run = Running::start(&rig, &scratch, &codex, "login --device-auth");
        // The link, then the one-time code (stdout, with colours): the code was asked for.
        run.stdout
            .wait(|l| l.contains("https://auth.openai.com/codex/device"))
            .unwrap_or_else(|seen| panic!("codex {v} login --device-auth printed no device link; stdout:\n{seen}"));
        run.stdout
            .wait(|l| is_device_code(&plain(l)))
            .unwrap_or_else(|seen| panic!("codex {v} login --device-auth printed no one-time code; stdout:\n{seen}"));
        let cleared = scratch.login().is_none();
        let _ = run.kill();
        let asked = asked_since(&rig, mark);
        let revoked = position(&asked, "POST /oauth/revoke");
        let usercode = position(&asked, "POST /api/accounts/deviceauth/usercode");
        assert!(
            revoked.is_some(),
            "codex {v} no longer revokes the stored login when `codex login --device-auth` starts (the issuer was asked for {asked:?}): {relied}"
        );
        assert!(
            usercode.is_some(),
            "codex {v} printed a device code without asking the issuer for one ({asked:?})"
        );
        assert!(
            revoked < usercode,
            "codex {v} now revokes the stored login only after it asked for a device code (the issuer was asked for {asked:?}): {relied}"
        );
        let now = state(&rig, refresh);
        assert_eq!(
            now, "revoked",
            "codex {v} asked for a revocation, but the stored refresh token is {now} at the issuer: {relied}"
        );
        assert!(
            cleared,
            "codex {v} no longer clears auth.json before the device code is shown: {relied}"
        );
        assert!(
            scratch.login().is_none(),
            "codex {v} killed during an unapproved device-code login left an auth.json behind: {relied}"
        );
        drop(scratch);
        rig.assert_nothing_left(ALICE);
    }
}

/// Fact 3: `codex logout` revokes the refresh token and deletes auth.json; a login whose
/// refresh token is `""` (an access-only copy) gets its access token revoked instead. The
/// tool's `logout` (remote/src/shim/logout.sh) and its revocation of a replaced login
/// (`revoke_old` in remote/src/shim/fresh.sh, and of a new login it could not install in
/// signin.sh) are `codex logout`.
#[test]
fn codex_logout_revokes_the_refresh_token_or_else_the_access_token() {
    let rig = Rig::get();
    for codex in versions() {
        let v = &codex.version;
        let relied = "the tool's `logout` (remote/src/shim/logout.sh) and its revocation of a replaced login (revoke_old in remote/src/shim/fresh.sh) are `codex logout` and assumed it revokes";

        let scratch = Scratch::new(&codex, "logout");
        let login = scratch.signed_in(&rig, &codex);
        let mark = issuer_log(&rig).len();
        let (status, _, stderr) = scratch.run(&rig, &codex, "logout");
        assert!(status.success(), "codex {v} logout failed ({status}): {stderr}");
        let asked = asked_since(&rig, mark);
        assert_eq!(
            count(&asked, "POST /oauth/revoke"),
            1,
            "codex {v} logout no longer asks the issuer for one revocation (it was asked for {asked:?}): {relied}"
        );
        assert_eq!(
            state(&rig, token(&login, "refresh_token")),
            "revoked",
            "codex {v} logout no longer revokes the refresh token: {relied}"
        );
        assert!(
            scratch.login().is_none(),
            "codex {v} logout no longer deletes auth.json: {relied}"
        );
        drop(scratch);

        // An access-only copy (design.md, "Access-only copies parse").
        let scratch = Scratch::new(&codex, "logout-access");
        let mut login = scratch.signed_in(&rig, &codex);
        let refresh = token(&login, "refresh_token").to_owned();
        login["tokens"]["refresh_token"] = "".into();
        scratch.put_login(&login);
        let mark = issuer_log(&rig).len();
        let (status, _, stderr) = scratch.run(&rig, &codex, "logout");
        assert!(
            status.success(),
            "codex {v} logout of a login without a refresh token failed ({status}): {stderr}"
        );
        let asked = asked_since(&rig, mark);
        assert_eq!(
            count(&asked, "POST /oauth/revoke"),
            1,
            "codex {v} logout of a login without a refresh token no longer asks for one revocation (it was asked for {asked:?}); access-only copies (design.md) assumed it revokes the access token"
        );
        assert_eq!(
            state(&rig, token(&login, "access_token")),
            "revoked",
            "codex {v} logout of a login without a refresh token no longer revokes its access token; access-only copies (design.md) assumed it does"
        );
        assert_eq!(
            state(&rig, &refresh),
            "alive",
            "codex {v} logout of an access-only copy ended the whole grant"
        );
        assert!(
            scratch.login().is_none(),
            "codex {v} logout of a login without a refresh token no longer deletes auth.json"
        );
        drop(scratch);
        rig.assert_nothing_left(ALICE);
    }
}

/// Fact 4: `codex login --with-api-key` does not revoke the ChatGPT login it replaces: it only
/// overwrites auth.json. The tool's API-key sign-in (remote/src/shim/secret.sh) therefore
/// revokes the replaced login itself (`revoke_old` in remote/src/shim/fresh.sh), once.
#[test]
fn codex_api_key_login_leaves_the_chatgpt_login_alive() {
    let rig = Rig::get();
    for codex in versions() {
        let v = &codex.version;
        let relied = "the tool's API-key sign-in (remote/src/shim/secret.sh, revoke_old in fresh.sh) assumed codex leaves it alive and revokes it itself";
        let scratch = Scratch::new(&codex, "apikey");
        let login = scratch.signed_in(&rig, &codex);
        let mark = issuer_log(&rig).len();
        // The key on stdin, from the shell's own printf (a builtin: in no argv).
        let line = format!(
            "printf '%s\\n' sk-rig-rules | {{ {}; }}",
            scratch.codex_line(&rig, &codex, "login --with-api-key")
        );
        let out = rig.remote(ALICE, &line);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "codex {v} login --with-api-key failed: {stderr}");
        let asked = asked_since(&rig, mark);
        assert_eq!(
            count(&asked, "POST /oauth/revoke"),
            0,
            "codex {v} login --with-api-key now revokes the ChatGPT login it replaces (the issuer was asked for {asked:?}): {relied}"
        );
        assert_eq!(
            state(&rig, token(&login, "refresh_token")),
            "alive",
            "codex {v} login --with-api-key ended the ChatGPT login it replaced: {relied}"
        );
        let now = scratch
            .login()
            .unwrap_or_else(|| panic!("codex {v} login --with-api-key wrote no auth.json"));
        assert_eq!(now["auth_mode"], "apikey", "codex {v} login --with-api-key wrote {now}");
        assert_eq!(
            now["OPENAI_API_KEY"], "sk-rig-rules",
            "codex {v} login --with-api-key wrote {now}"
        );
        assert!(
            now.get("tokens").is_none_or(Value::is_null),
            "codex {v} login --with-api-key no longer overwrites the ChatGPT login: it kept its tokens ({now}); {relied}"
        );
        drop(scratch);
        rig.assert_nothing_left(ALICE);
    }
}

/// `codex app-server` asked for the account: with an access token that expires within five
/// minutes it refreshes the login first, as any codex that uses the login does (the simplest
/// real path: `codex exec` refreshes too but then retries the model backend for ~20 s, and
/// `login status` never refreshes). Returns codex's stdout and stderr.
fn read_account(rig: &Rig, scratch: &Scratch, codex: &Codex) -> (String, String) {
    let v = &codex.version;
    let mut run = Running::start(rig, scratch, codex, "app-server");
    run.send(
        &json!({"id": 1, "method": "initialize", "params": {"clientInfo": {"name": "crl-rules", "version": "1"}}}),
    );
    run.send(&json!({"method": "initialized"}));
    run.send(&json!({"id": 2, "method": "account/read", "params": {"refreshToken": false}}));
    run.stdout
        .wait(|l| serde_json::from_str::<Value>(l).is_ok_and(|m| m["id"] == 2))
        .unwrap_or_else(|seen| panic!("codex {v} app-server never answered account/read; stdout:\n{seen}"));
    run.close()
}

/// Fact 5: a refresh token works once. codex refreshing a login rotates its refresh token
/// (the used one dies, the new one is saved), and a second copy of the old auth.json that then
/// refreshes fails with codex's "refresh token was already used". The tool's `containers` and
/// `push` warn of exactly that (local/src/host/containers.rs, local/src/commands/push.rs).
#[test]
fn a_refresh_token_works_once_and_a_copy_is_told_it_was_already_used() {
    let rig = Rig::get();
    for codex in versions() {
        let v = &codex.version;
        let relied = "the warnings of `containers` and `push` about shared copies (local/src/host/containers.rs, local/src/commands/push.rs) assumed it";
        let first = Scratch::new(&codex, "refresh-first");
        let copy = Scratch::new(&codex, "refresh-copy");
        // An access token that expires in a minute (codex refreshes within five minutes of
        // expiry); the tokens the refresh brings live an hour, so one refresh is enough.
        rig.issuer("/__control?access_ttl=60");
        let login = first.signed_in(&rig, &codex);
        rig.issuer("/__control?access_ttl=3600");
        copy.put_login(&login);
        let old = token(&login, "refresh_token");

        let mark = issuer_log(&rig).len();
        let (_, stderr) = read_account(&rig, &first, &codex);
        let asked = asked_since(&rig, mark);
        assert_eq!(
            count(&asked, "POST /oauth/token refresh_token"),
            1,
            "codex {v} no longer refreshes a login whose access token expires within a minute exactly once (the issuer was asked for {asked:?}); stderr:\n{stderr}"
        );
        assert_eq!(
            state(&rig, old),
            "used",
            "codex {v} refreshed, but the refresh token it used is not spent at the issuer"
        );
        let now = first
            .login()
            .unwrap_or_else(|| panic!("codex {v} lost auth.json while refreshing"));
        let new = token(&now, "refresh_token");
        assert_ne!(
            new, old,
            "codex {v} no longer saves the rotated refresh token after a refresh: {relied}"
        );
        assert_eq!(
            state(&rig, new),
            "alive",
            "codex {v} saved a refresh token that is not the live one"
        );

        let mark = issuer_log(&rig).len();
        let (_, stderr) = read_account(&rig, &copy, &codex);
        let asked = asked_since(&rig, mark);
        assert!(
            count(&asked, "POST /oauth/token refresh_token") >= 1,
            "codex {v} did not try to refresh the copy's expiring access token (the issuer was asked for {asked:?})"
        );
        assert!(
            stderr.contains("refresh token was already used"),
            "codex {v} no longer says \"refresh token was already used\" when a copy's refresh token was used elsewhere: {relied}; its stderr:\n{stderr}"
        );
        assert_eq!(
            state(&rig, new),
            "alive",
            "codex {v} refreshing a stale copy ended the login that rotated first"
        );
        drop((first, copy));
        rig.assert_nothing_left(ALICE);
    }
}
