//! The host codex's login policy (`forced_login_method`, `forced_chatgpt_workspace_id` in its
//! config.toml), read by the shim: reported by `status` and `doctor`, and a sign-in it forbids
//! refused before codex starts, with the way that works. The real codex 0.169.0 refuses the
//! same methods itself (checked by hand: "ChatGPT login is disabled. Use API key login
//! instead.", "API key login is disabled. Use ChatGPT login instead.").

use codex_remote_login_tests::{ALICE, LIMIT, Rig};

/// Writes alice's `~/.codex/config.toml` on the host.
fn config(rig: &Rig, text: &str) {
    let dir = format!("/home/{ALICE}/.codex");
    std::fs::create_dir_all("/tmp/crl-policy-test").unwrap();
    let staged = "/tmp/crl-policy-test/config.toml";
    std::fs::write(staged, text).unwrap();
    let out = rig.remote_root(&format!(
        "mkdir -p {dir} && cp {staged} {dir}/config.toml && chown -R {ALICE}: {dir} && chmod 700 {dir}"
    ));
    assert!(out.status.success(), "{out:?}");
    std::fs::remove_dir_all("/tmp/crl-policy-test").unwrap();
}

fn authorizations(rig: &Rig) -> usize {
    let log: Vec<String> = serde_json::from_str(&rig.issuer("/__log")).unwrap();
    log.iter().filter(|l| l.starts_with("GET /oauth/authorize")).count()
}

#[test]
fn an_api_only_host_refuses_the_browser_before_anything_starts() {
    let rig = Rig::get();
    config(&rig, "# the admin's\nforced_login_method = \"api\"\n");
    let before = authorizations(&rig);
    let minted = rig.minted_count();
    let tool = rig.tool();
    let page = tool.browser_out.clone();
    let run = tool.args(["rig", "--json"]).run(LIMIT);
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("rig's codex allows only api logins (forced_login_method = \"api\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: sign in with an API key: codex-remote-login rig --with-api-key"),
        "{}",
        run.stderr
    );
    assert!(run.event("url").is_none(), "no sign-in URL: {}", run.stdout);
    assert_eq!(run.event("error").unwrap()["exit_code"], 1);
    assert!(!page.with_extension("html.started").exists(), "no browser was opened");
    assert_eq!(authorizations(&rig), before);
    // Not codex's own refusal (it never started): no "ChatGPT login is disabled".
    assert!(!run.stderr.contains("ChatGPT login is disabled"), "{}", run.stderr);
    // The device code too, and --paste.
    for mode in ["--device-auth", "--paste"] {
        let run = rig.tool().args(["rig", mode]).run(LIMIT);
        assert_eq!(run.code(), 1, "{mode}: {}", run.stderr);
        assert!(run.stderr.contains("--with-api-key"), "{mode}: {}", run.stderr);
    }
    assert_eq!(rig.minted_count(), minted, "nothing signed in");
    // What the hint says works.
    rig.sign_in(
        rig.tool()
            .env("OPENAI_API_KEY", "sk-rig-policy-key")
            .args(["rig", "--with-api-key"]),
    );
    assert_eq!(rig.host_login_state(ALICE), "apikey");
    rig.assert_nothing_left(ALICE);
}

/// Several hosts: the preflight read the policy, so the refused host fails before a local
/// port is bound for it, and the others go on.
#[test]
fn with_several_hosts_the_preflight_refuses_before_the_turn() {
    let rig = Rig::get();
    config(&rig, "forced_login_method = \"api\"\n");
    let minted = rig.minted_count();
    let run = rig
        .tool()
        .env("OPENAI_API_KEY", "sk-rig-policy-many")
        .args(["rig", "rig", "--json", "--device-auth"])
        .run(LIMIT);
    assert_eq!(run.code(), 1, "{}", run.stderr);
    let errors: Vec<_> = run.events().into_iter().filter(|e| e["type"] == "error").collect();
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("forced_login_method")),
        "{}",
        run.stdout
    );
    assert!(run.event("device_code").is_none(), "nothing started: {}", run.stdout);
    assert_eq!(rig.minted_count(), minted, "nothing signed in");
    rig.assert_nothing_left(ALICE);
}

#[test]
fn a_chatgpt_only_host_refuses_an_api_key() {
    let rig = Rig::get();
    config(&rig, "forced_login_method = \"chatgpt\"\n");
    let run = rig
        .tool()
        .env("OPENAI_API_KEY", "sk-rig-refused-key")
        .args(["rig", "--with-api-key"])
        .run(LIMIT);
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("allows only chatgpt logins"), "{}", run.stderr);
    assert!(run.stderr.contains("without --with-api-key"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("API key login is disabled"),
        "refused before codex started"
    );
    assert!(rig.auth_json(ALICE).is_none(), "nothing written");
    rig.assert_nothing_left(ALICE);
}

#[test]
fn status_and_doctor_report_the_policy() {
    let rig = Rig::get();
    config(
        &rig,
        "forced_login_method = \"chatgpt\"\nforced_chatgpt_workspace_id = [\"ws-1\", \"ws-2\"]\n[profiles.x]\nforced_login_method = \"api\"\n",
    );
    let status = rig.tool().args(["status", "rig", "--json"]).run(LIMIT);
    let event = status.event("status").unwrap();
    assert_eq!(
        event["forced_login_method"], "chatgpt",
        "a table's key is not top-level"
    );
    assert_eq!(event["forced_chatgpt_workspace_id"], "ws-1,ws-2");
    let table = rig.tool().args(["status", "rig"]).run(LIMIT);
    assert!(
        table.stdout.contains("chatgpt only, workspace ws-1,ws-2"),
        "{}",
        table.stdout
    );
    let doctor = rig.tool().args(["doctor", "rig"]).run(LIMIT);
    let row = doctor
        .stdout
        .lines()
        .find(|l| l.contains("login policy"))
        .unwrap_or_else(|| panic!("{}", doctor.stdout));
    assert!(row.contains("forced_login_method = \"chatgpt\""), "{}", doctor.stdout);
    assert!(
        doctor.stdout.contains("forced_chatgpt_workspace_id = ws-1,ws-2"),
        "{}",
        doctor.stdout
    );
    // A value that is not plainly a string is not reported, and never evaluated.
    config(&rig, "forced_login_method = \"$(touch /tmp/crl-policy-owned)\"\n");
    let odd = rig.tool().args(["status", "rig", "--json"]).run(LIMIT);
    assert!(
        odd.event("status").unwrap().get("forced_login_method").is_none(),
        "{}",
        odd.stdout
    );
    assert!(!std::path::Path::new("/tmp/crl-policy-owned").exists());
    rig.assert_nothing_left(ALICE);
}

/// A workspace restriction is named before the approval and in the summary; codex itself
/// accepts the login of that workspace.
#[test]
fn a_workspace_restriction_is_named() {
    let rig = Rig::get();
    // The rig's issuer puts its logins in workspace acct-rig.
    config(&rig, "forced_chatgpt_workspace_id = \"acct-rig\"\n");
    let run = rig.sign_in(rig.tool().args(["rig"]));
    assert!(
        run.stderr
            .contains("rig's codex accepts only workspace acct-rig (forced_chatgpt_workspace_id)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("Restricted to workspace acct-rig by rig's codex config"),
        "{}",
        run.stderr
    );
    assert_eq!(rig.host_login_state(ALICE), "alive");
    rig.assert_nothing_left(ALICE);
}
