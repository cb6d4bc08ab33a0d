//! `collect` against containers that lie: another identity dressed as the host's, another API
//! key, a login "refreshed" in the future, a file too large to be one; and the question it asks
//! before it replaces the host's login. Each crafted container is made here from the rig's
//! image and removed at the end.

use std::io::Write;
use std::process::{Command, Stdio};

use codex_remote_login_tests::{ALICE, LIMIT, Rig, jwt};

/// A container made for one test (named crl-t-*, from the rig's image), removed when dropped.
pub struct Crafted(pub String);

impl Crafted {
    /// Runs `sleep` in a new container `name` as user dev, with extra `podman run` options.
    pub fn start(name: &str, options: &[&str]) -> Self {
        let _ = Command::new("podman").args(["rm", "-f", "-t", "0", name]).output();
        let out = Command::new("podman")
            .args(["run", "-d", "-q", "--name", name, "--user", "dev"])
            .args(options)
            .args(["crl-test:latest", "sleep", "600"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "podman run {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self(name.to_owned())
    }

    /// Runs `script` in it as dev, with `input` on stdin.
    pub fn sh(&self, script: &str, input: &str) -> String {
        let mut child = Command::new("podman")
            .args(["exec", "-i", &self.0, "sh", "-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Puts `body` in its user's ~/.codex/auth.json.
    pub fn login(&self, body: &str) {
        self.sh("mkdir -p ~/.codex && cat > ~/.codex/auth.json", body);
    }
}

impl Drop for Crafted {
    fn drop(&mut self) {
        let _ = Command::new("podman").args(["rm", "-f", "-t", "0", &self.0]).output();
    }
}

/// A ChatGPT login as codex writes it: user `sub` of account `account`, refreshed at `at`,
/// holding refresh token `rt`; `extra` is spliced into the top-level object.
pub fn chatgpt_login(sub: &str, account: &str, at: &str, rt: &str, extra: &str) -> String {
    let auth = serde_json::json!({"chatgpt_user_id": sub, "chatgpt_account_id": account, "chatgpt_plan_type": "plus"});
    let id =
        jwt(serde_json::json!({"sub": sub, "email": format!("{sub}@rig.test"), "https://api.openai.com/auth": auth}));
    let access = jwt(serde_json::json!({"sub": sub, "https://api.openai.com/auth": auth}));
    format!(
        r#"{{"auth_mode":"chatgpt","OPENAI_API_KEY":null,"tokens":{{"id_token":"{id}","access_token":"{access}","refresh_token":"{rt}","account_id":"{account}"}},{extra}"last_refresh":"{at}"}}"#
    )
}

/// A login minted at the issuer now (alive; user-rig of acct-rig), dated `at`: its auth.json
/// and refresh token.
pub fn minted_at(rig: &Rig, at: &str) -> (String, String) {
    let mut login = rig.minted_login();
    login["last_refresh"] = at.into();
    let refresh = login["tokens"]["refresh_token"].as_str().unwrap().to_owned();
    (login.to_string(), refresh)
}

/// `login` (an auth.json) as a codex holding it refreshes it (the refresh token it held used
/// up at the issuer), dated `at`.
pub fn refreshed_at(rig: &Rig, login: &str, at: &str) -> String {
    let mut fresh = rig.refreshed(&serde_json::from_str(login).unwrap());
    fresh["last_refresh"] = at.into();
    fresh.to_string()
}

/// Puts `body` in alice's ~/.codex/auth.json on the host.
pub fn host_login(rig: &Rig, body: &str) {
    let out = rig.remote(
        ALICE,
        &format!("umask 077 && mkdir -p ~/.codex && printf '%s' '{body}' > ~/.codex/auth.json"),
    );
    assert!(out.status.success());
}

/// Alice's auth.json on the host, byte for byte.
pub fn host_bytes(rig: &Rig) -> String {
    String::from_utf8(rig.remote_root("cat /home/crl-alice/.codex/auth.json").stdout).unwrap()
}

fn collect(rig: &Rig, containers: &[&str], extra: &[&str]) -> codex_remote_login_tests::Finished {
    rig.tool()
        .args(["collect", "rig"])
        .args(containers)
        .args(["--json"])
        .args(extra)
        .run(LIMIT)
}

fn verdict(run: &codex_remote_login_tests::Finished, container: &str) -> String {
    run.events()
        .iter()
        .find(|e| e["type"] == "collected" && e["container"] == container)
        .unwrap_or_else(|| panic!("no verdict for {container}: {}\n{}", run.stdout, run.stderr))["result"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The attacker's own tokens, a decoy `account_id` of the host's account nested elsewhere, a
/// `last_refresh` in 2099: another identity, whatever the file's text shows. And a login of
/// the host's own identity refreshed in the future: a clock no one has. Neither is taken, and
/// the host's file stays byte for byte what it was.
#[test]
fn collect_never_adopts_another_identity_or_a_future_login() {
    let rig = Rig::get();
    let (host, _) = minted_at(&rig, "2026-01-01T00:00:00Z");
    host_login(&rig, &host);
    let decoy = Crafted::start("crl-t-decoy", &[]);
    decoy.login(&chatgpt_login(
        "user-evil",
        "acct-evil",
        "2099-01-01T00:00:00Z",
        "rt-evil",
        r#""zz":{"account_id":"acct-rig","sub":"user-rig"},"#,
    ));
    let future = Crafted::start("crl-t-future", &[]);
    future.login(&chatgpt_login(
        "user-rig",
        "acct-rig",
        "2099-01-01T00:00:00Z",
        "rt-future",
        "",
    ));
    // The host's identity in the id_token, another's in the access token.
    let mixed = Crafted::start("crl-t-mixed", &[]);
    let evil = chatgpt_login("user-evil", "acct-evil", "2026-06-01T00:00:00Z", "rt-mixed", "");
    let evil: serde_json::Value = serde_json::from_str(&evil).unwrap();
    let mut login: serde_json::Value = serde_json::from_str(&host).unwrap();
    login["tokens"]["access_token"] = evil["tokens"]["access_token"].clone();
    login["tokens"]["refresh_token"] = "rt-mixed".into();
    login["last_refresh"] = "2026-06-01T00:00:00Z".into();
    mixed.login(&login.to_string());

    let run = collect(&rig, &["crl-t-decoy", "crl-t-future", "crl-t-mixed"], &["--yes"]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert_eq!(verdict(&run, "crl-t-decoy"), "other_account");
    assert_eq!(verdict(&run, "crl-t-future"), "future");
    assert_eq!(verdict(&run, "crl-t-mixed"), "other_account");
    assert!(run.stderr.contains("unchanged"), "{}", run.stderr);
    assert_eq!(host_bytes(&rig), host, "the host's login is untouched");
    assert_eq!(rig.host_login_state(ALICE), "alive", "and alive at the issuer");
    rig.assert_nothing_left(ALICE);
}

/// An API-key host takes back only its very own key: another key, however recent the file,
/// is another identity.
#[test]
fn collect_takes_no_other_api_key() {
    let rig = Rig::get();
    let host = r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-rig-host-key"}"#;
    host_login(&rig, host);
    let other = Crafted::start("crl-t-otherkey", &[]);
    other.login(r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-rig-evil-key","last_refresh":"2026-06-01T00:00:00Z"}"#);
    let run = collect(&rig, &["crl-t-otherkey"], &["--yes"]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert_eq!(verdict(&run, "crl-t-otherkey"), "other_account");
    assert_eq!(host_bytes(&rig), host);
    assert_eq!(rig.host_login_state(ALICE), "apikey");
    rig.assert_nothing_left(ALICE);
}

/// Without a terminal to ask on and without --yes, collect says which login it would take
/// and changes nothing; with --yes it takes it and names the account.
#[test]
fn collect_asks_before_replacing_and_needs_yes_without_a_terminal() {
    let rig = Rig::get();
    // A login alive at the issuer, of the account these names say, copied into a container
    // whose codex then refreshed it: the host's copy is used up, the container's alive.
    rig.issuer("/__control?email=user-rig%40rig.test");
    let (host, rt_host) = minted_at(&rig, "2026-01-01T00:00:00Z");
    host_login(&rig, &host);
    let fresher = Crafted::start("crl-t-fresher", &[]);
    let newer = refreshed_at(&rig, &host, "2026-02-01T00:00:00Z");
    fresher.login(&newer);

    let refused = rig.tool().args(["collect", "rig", "crl-t-fresher"]).run(LIMIT);
    assert_eq!(refused.code(), 1, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("would replace the login of rig with the one in crl-t-fresher (user-rig@rig.test)")
            && refused.stderr.contains("--yes"),
        "{}",
        refused.stderr
    );
    assert!(refused.stdout.contains("fresher, but not taken"), "{}", refused.stdout);
    assert_eq!(host_bytes(&rig), host, "nothing changed");
    assert_eq!(rig.host_login_state(ALICE), "used", "the host keeps its used-up copy");

    let taken = collect(&rig, &["crl-t-fresher"], &["--yes"]);
    assert_eq!(taken.code(), 0, "{}", taken.stderr);
    let event = taken.events().into_iter().find(|e| e["result"] == "taken").unwrap();
    assert_eq!(event["account"], "user-rig@rig.test");
    assert!(
        taken
            .stderr
            .contains("is now the login of user-rig@rig.test from crl-t-fresher"),
        "{}",
        taken.stderr
    );
    assert_eq!(host_bytes(&rig), newer);
    // The host holds the container's login, alive, in place of its used-up copy.
    assert_eq!(rig.host_login_state(ALICE), "alive");
    let states = rig.token_states(&[&rt_host]);
    assert_eq!(states[&rt_host], "used");

    // On a terminal, it asks, naming the account and the container; "n" changes nothing, "y"
    // replaces.
    // Refreshed in the container again: what the host holds is used up once more.
    let newest = refreshed_at(&rig, &newer, "2026-03-01T00:00:00Z");
    fresher.login(&newest);
    for (answer, expected, state) in [("n", &newer, "used"), ("y", &newest, "alive")] {
        let mut pty = codex_remote_login_tests::Pty::spawn(&rig.command("collect rig crl-t-fresher"));
        pty.expect(
            "Replace the login of rig with the one in container crl-t-fresher (user-rig@rig.test)?",
            LIMIT,
        );
        pty.send(&format!("{answer}\n"));
        let (code, screen) = pty.finish(LIMIT);
        assert_eq!(code, 0, "{answer}: {screen}");
        assert_eq!(&host_bytes(&rig), expected, "{answer}: {screen}");
        assert_eq!(rig.host_login_state(ALICE), state, "{answer}");
    }
    rig.assert_nothing_left(ALICE);
}

/// A container cannot fill the host's disk through collect: what it sends is cut short, and a
/// file too large to be a login is refused, however well it is dressed.
#[test]
fn collect_refuses_an_oversized_login() {
    let rig = Rig::get();
    let (host, _) = minted_at(&rig, "2026-01-01T00:00:00Z");
    host_login(&rig, &host);
    let big = Crafted::start("crl-t-big", &[]);
    let padding = format!(r#""padding":"{}","#, "x".repeat(3 << 20));
    big.login(&chatgpt_login(
        "user-rig",
        "acct-rig",
        "2026-02-01T00:00:00Z",
        "rt-big",
        &padding,
    ));
    let run = collect(&rig, &["crl-t-big"], &["--yes"]);
    assert_ne!(verdict(&run, "crl-t-big"), "taken", "{}", run.stderr);
    assert_eq!(host_bytes(&rig), host);
    assert_eq!(rig.host_login_state(ALICE), "alive");
    rig.assert_nothing_left(ALICE);
}

/// A copy of the host's identity whose access token lacks `sub` (and one whose id_token lacks
/// the account): neither is taken, and neither is called another account. collect says it
/// cannot confirm the identity and names the claim that is missing.
#[test]
fn collect_names_the_claim_it_cannot_confirm() {
    let rig = Rig::get();
    let (host, _) = minted_at(&rig, "2026-01-01T00:00:00Z");
    host_login(&rig, &host);
    let auth = serde_json::json!({"chatgpt_user_id": "user-rig", "chatgpt_account_id": "acct-rig"});
    let mut nosub: serde_json::Value = serde_json::from_str(&host).unwrap();
    nosub["tokens"]["access_token"] = jwt(serde_json::json!({"https://api.openai.com/auth": auth})).into();
    nosub["tokens"]["refresh_token"] = "rt-nosub".into();
    nosub["last_refresh"] = "2026-06-01T00:00:00Z".into();
    let no_sub = Crafted::start("crl-t-nosub", &[]);
    no_sub.login(&nosub.to_string());
    let mut noacct = nosub.clone();
    noacct["tokens"]["access_token"] =
        serde_json::from_str::<serde_json::Value>(&host).unwrap()["tokens"]["access_token"].clone();
    noacct["tokens"]["id_token"] =
        jwt(serde_json::json!({"sub": "user-rig", "https://api.openai.com/auth": {"chatgpt_user_id": "user-rig"}}))
            .into();
    let no_acct = Crafted::start("crl-t-noacct", &[]);
    no_acct.login(&noacct.to_string());

    let run = collect(&rig, &["crl-t-nosub", "crl-t-noacct"], &["--yes"]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let reason = |container: &str| {
        let events = run.events();
        let seen = events
            .iter()
            .find(|e| e["type"] == "collected" && e["container"] == container)
            .unwrap()
            .clone();
        assert_eq!(seen["result"], "unconfirmed", "{container}: {seen}");
        seen["reason"].as_str().unwrap().to_owned()
    };
    assert_eq!(
        reason("crl-t-nosub"),
        "cannot confirm the identity: its access token has no sub claim"
    );
    assert_eq!(
        reason("crl-t-noacct"),
        "cannot confirm the identity: its id_token has no chatgpt_account_id claim"
    );
    assert_eq!(host_bytes(&rig), host, "the host's login is untouched");
    assert_eq!(rig.host_login_state(ALICE), "alive", "and alive at the issuer");

    let table = rig.tool().args(["collect", "rig", "crl-t-nosub", "--yes"]).run(LIMIT);
    assert!(
        table
            .stdout
            .contains("cannot confirm the identity: its access token has no sub claim: left alone")
            && !table.stdout.contains("another account"),
        "{}",
        table.stdout
    );
    drop((no_sub, no_acct));
    rig.assert_nothing_left(ALICE);
}
