//! The user's own OpenSSH as the transport (`--ssh openssh`, or chosen by `auto`): the same
//! sign-ins, commands and cleanup as the built-in client, one authentication per run, and no
//! `ssh` process or private directory left behind, even when the tool is killed. Kerberos
//! (krb5-kdc) and a PKCS#11 token (SoftHSM2) reach hosts the built-in client cannot.

use std::io::Write;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use codex_remote_login_tests::{ALICE, LIMIT, Pty, Rig, Running, wait_until, watch_argv};

/// Processes of this machine that belong to a master the tool started (its `ssh`, the
/// clients riding it, its watchman), and its private directories.
fn openssh_leftovers() -> String {
    let procs = Command::new("pgrep").args(["-a", "-f", "crl-ssh\\."]).output().unwrap();
    let mut left = String::from_utf8_lossy(&procs.stdout).trim().to_owned();
    for entry in std::fs::read_dir("/tmp").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("crl-ssh.") {
            left.push_str(&format!(" /tmp/{name}"));
        }
    }
    left
}

fn assert_no_openssh_left() {
    let left = wait_until(Duration::from_secs(10), || {
        let left = openssh_leftovers();
        left.is_empty().then_some(()).ok_or(left)
    });
    assert_eq!(left, Ok(()), "left behind by OpenSSH's transport");
}

/// "Accepted publickey" lines in the rig sshd's log: one per authentication.
fn authentications(rig: &Rig) -> usize {
    let log = std::fs::read_to_string(rig.dir.join("sshd.log")).unwrap();
    log.lines().filter(|l| l.contains("Accepted publickey")).count()
}

#[test]
fn signs_in_through_openssh_and_leaves_nothing_behind() {
    let rig = Rig::get();
    let tool = rig.tool();
    let page = tool.browser_out.clone();
    let before = authentications(&rig);
    let run = tool.args(["rig", "--ssh", "openssh", "--json", "-v"]).run(LIMIT);
    assert_eq!(run.code(), 0, "stderr:\n{}", run.stderr);
    assert!(
        run.stderr.contains("rig: OpenSSH's ssh (--ssh openssh)"),
        "{}",
        run.stderr
    );
    let kinds = run.kinds();
    assert_eq!(kinds, ["connected", "codex_found", "url", "callback", "success"]);
    let (mode, auth) = rig.auth_json(ALICE).expect("auth.json on the host");
    assert_eq!(mode, "-rw-------");
    assert_eq!(rig.login_state(&auth), "alive");
    assert!(Running::browser_page(&page).contains("Signed in to Codex"));
    // One authentication carried the shim and every browser connection.
    assert_eq!(authentications(&rig) - before, 1, "authentications during the sign-in");
    rig.assert_nothing_left(ALICE);
    assert_no_openssh_left();
}

/// `ControlMaster auto` with a master open: the sign-in rides it, and the sshd sees no new
/// authentication.
#[test]
fn rides_a_live_control_master_without_a_new_authentication() {
    let rig = Rig::get();
    let config = rig.ssh_config();
    let master = Command::new("ssh")
        .arg("-F")
        .arg(&config)
        .args(["-o", "ControlPersist=yes", "-N", "master"])
        .status()
        .unwrap();
    assert!(master.success(), "the user's master did not start");
    let before = authentications(&rig);
    let run = rig.tool().args(["master", "--json", "-v"]).run(LIMIT);
    let after = authentications(&rig);
    let stop = Command::new("ssh")
        .arg("-F")
        .arg(&config)
        .args(["-O", "exit", "master"])
        .output()
        .unwrap();
    assert_eq!(run.code(), 0, "stderr:\n{}", run.stderr);
    assert!(stop.status.success(), "the user's master was still there to stop");
    assert!(
        run.stderr.contains("riding the live ControlMaster at"),
        "{}",
        run.stderr
    );
    assert_eq!(after, before, "no new authentication while the master was live");
    assert!(rig.auth_json(ALICE).is_some());
    rig.assert_nothing_left(ALICE);
    assert_no_openssh_left();
}

/// A sshd offering only sntrup761x25519, which the built-in client lacks: `auto` goes on
/// through OpenSSH. `status` reads the login there.
#[test]
fn a_key_exchange_only_openssh_has_is_reached_through_it() {
    let rig = Rig::get();
    let run = rig.tool().args(["modern", "--json", "-v"]).run(LIMIT);
    assert_eq!(run.code(), 0, "stderr:\n{}", run.stderr);
    assert!(run.stderr.contains("trying OpenSSH's ssh"), "{}", run.stderr);
    let status = rig.tool().args(["status", "modern", "--json", "-v"]).run(LIMIT);
    assert_eq!(status.code(), 0, "stderr:\n{}", status.stderr);
    assert!(status.stdout.contains("alice@rig.test"), "{}", status.stdout);
    let builtin = rig.tool().args(["status", "modern", "--ssh", "builtin"]).run(LIMIT);
    assert_ne!(builtin.code(), 0, "the built-in client cannot reach it");
    rig.assert_nothing_left(ALICE);
    assert_no_openssh_left();
}

/// A sshd offering only legacy algorithms russh has (group14-sha1, aes128-cbc): the config's
/// `KexAlgorithms +...` and `Ciphers +...` let the built-in client in, and auto keeps it.
#[test]
fn the_builtin_client_honours_the_configs_algorithms() {
    let rig = Rig::get();
    let run = rig.tool().args(["status", "legacy", "-v"]).run(LIMIT);
    assert!(
        run.stderr
            .contains("legacy: the built-in SSH client (nothing in its ssh config needs OpenSSH)"),
        "{}",
        run.stderr
    );
    assert_eq!(run.code(), 6, "reached, and not signed in: {}", run.stderr);
    let log = std::fs::read_to_string(rig.dir.join("sshd-legacy.log")).unwrap();
    assert!(log.contains("Accepted publickey"), "{log}");
    rig.assert_nothing_left(ALICE);
}

/// A key nobody authorized, with an RSA certificate from a CA the sshd trusts: russh cannot
/// sign with it, so auto goes through OpenSSH, which gets in; forced to the built-in client,
/// the certificate is skipped and the key alone is refused.
#[test]
fn an_rsa_user_certificate_goes_through_openssh() {
    let rig = Rig::get();
    let run = rig
        .tool()
        .args(["certified-rsa", "-v", "--codex", "/nonexistent/codex"])
        .run(LIMIT);
    assert!(
        run.stderr
            .contains("certified-rsa: OpenSSH's ssh (its ssh config has an RSA user certificate ("),
        "{}",
        run.stderr
    );
    assert_eq!(run.code(), 5, "reached, codex not there: {}", run.stderr);
    let builtin = rig
        .tool()
        .args(["certified-rsa", "--ssh", "builtin", "--codex", "/nonexistent/codex"])
        .run(LIMIT);
    assert_eq!(builtin.code(), 3, "{}", builtin.stderr);
    assert!(builtin.stderr.contains("id_certified_rsa"), "{}", builtin.stderr);
    rig.assert_nothing_left(ALICE);
    assert_no_openssh_left();
}

/// Keywords only OpenSSH acts on choose it, and `-v` names them: here `AddressFamily` and
/// `CanonicalizeHostname`, which the host is reached with.
#[test]
fn keywords_only_openssh_acts_on_choose_it() {
    let rig = Rig::get();
    let run = rig
        .tool()
        .args([
            "rig",
            "-v",
            "-o",
            "AddressFamily=inet",
            "-o",
            "CanonicalizeHostname=yes",
        ])
        .args(["--codex", "/nonexistent/codex"])
        .run(LIMIT);
    assert!(
        run.stderr
            .contains("rig: OpenSSH's ssh (its ssh config has AddressFamily inet, CanonicalizeHostname true)"),
        "{}",
        run.stderr
    );
    assert_eq!(run.code(), 5, "reached, codex not there: {}", run.stderr);
    rig.assert_nothing_left(ALICE);
    assert_no_openssh_left();
}

/// A secret sign-in and a copy into a container over OpenSSH: the key never in any command
/// line (ssh's included), and the copy lands.
#[test]
fn a_secret_and_containers_over_openssh_keep_the_key_out_of_argv() {
    const KEY: &str = "sk-rig-openssh-key-7c41";
    let rig = Rig::get();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_argv(KEY.to_owned(), stop.clone());
    let signed = rig.sign_in(
        rig.tool()
            .env("OPENAI_API_KEY", KEY)
            .args(["rig", "--with-api-key", "--ssh", "openssh"]),
    );
    let copied = rig
        .tool()
        .args(["containers", "rig", "crl-dev", "--json", "--ssh", "openssh"])
        .run(LIMIT);
    stop.store(true, Ordering::Relaxed);
    assert!(watcher.join().unwrap().is_empty(), "the key was in a command line");
    assert!(!signed.stderr.contains(KEY));
    assert_eq!(copied.code(), 0, "stderr:\n{}", copied.stderr);
    let inside = Command::new("podman")
        .args(["exec", "crl-dev", "cat", "/home/dev/.codex/auth.json"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&inside.stdout).contains(KEY));
    rig.assert_nothing_left(ALICE);
    assert_no_openssh_left();
}

/// `push` and the keeper over OpenSSH: the pushed login reaches the host with its tokens in no
/// command line; the keeper starts, shows in `status` and stops, all through the user's ssh.
#[test]
fn push_and_the_keeper_over_openssh() {
    let rig = Rig::get();
    let login = rig.minted_login();
    let refresh = login["tokens"]["refresh_token"].as_str().unwrap().to_owned();
    let file = rig.dir.join("openssh-push.json");
    std::fs::write(&file, login.to_string()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_argv(refresh.clone(), stop.clone());
    let pushed = rig
        .tool()
        .args(["push", "rig", "--from", file.to_str().unwrap(), "--ssh", "openssh"])
        .run(LIMIT);
    let _ = std::fs::remove_file(&file);
    assert_eq!(pushed.code(), 0, "stderr:\n{}", pushed.stderr);
    assert_eq!(rig.auth_json(ALICE).unwrap().1, login, "the pushed login is the host's");
    let started = rig
        .tool()
        .args(["keeper", "start", "rig", "crl-dev", "--ssh", "openssh", "--json"])
        .run(LIMIT);
    assert_eq!(started.code(), 0, "stderr:\n{}", started.stderr);
    assert_eq!(started.event("keeper").unwrap()["result"], "started");
    let status = rig
        .tool()
        .args(["status", "rig", "--ssh", "openssh", "--json"])
        .run(LIMIT);
    assert_eq!(
        status.event("status").unwrap()["keeper"]["running"],
        true,
        "{}",
        status.stdout
    );
    let stopped = rig
        .tool()
        .args(["keeper", "stop", "rig", "--ssh", "openssh", "--json"])
        .run(LIMIT);
    stop.store(true, Ordering::Relaxed);
    assert!(
        watcher.join().unwrap().is_empty(),
        "the refresh token was in a command line"
    );
    assert_eq!(
        stopped.event("keeper").unwrap()["result"],
        "stopped",
        "{}",
        stopped.stderr
    );
    rig.assert_nothing_left(ALICE);
    assert_no_openssh_left();
}

/// The tool killed (SIGKILL, no chance to clean up) while the browser is awaited: its master,
/// the clients riding it and the private directory end all the same, and so does codex.
#[test]
fn a_killed_tool_leaves_no_ssh_behind() {
    let rig = Rig::get();
    let mut run = rig
        .tool()
        .args(["rig", "--ssh", "openssh", "--json", "--no-browser"])
        .spawn();
    run.wait_event("url", LIMIT);
    assert!(!openssh_leftovers().is_empty(), "the master runs while the tool waits");
    run.signal("KILL");
    let _ = run.finish(LIMIT);
    assert_no_openssh_left();
    rig.assert_nothing_left(ALICE);
}

/// OpenSSH's questions come through the tool on its terminal, naming the host: an encrypted
/// key's passphrase (never in a command line, and answered after both `ConnectTimeout` and
/// `--timeout` would have passed), and an unknown host key, recorded once accepted. Without
/// a terminal nothing is asked and ssh's own refusal is shown.
#[test]
fn openssh_asks_through_the_tool_naming_the_host() {
    let rig = Rig::get();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_argv(rig.password(), stop.clone());
    // Short timeouts, and an answer slower than both: a question is never timed.
    let mut pty =
        Pty::spawn(&rig.command("encrypted --ssh openssh -o ConnectTimeout=1 --timeout 1 --codex /nonexistent/codex"));
    pty.expect(
        &format!(
            "(encrypted) Enter passphrase for key '{}': ",
            rig.dir.join("id_encrypted").display()
        ),
        LIMIT,
    );
    std::thread::sleep(Duration::from_millis(2500));
    pty.send(&format!("{}\n", rig.password()));
    let (code, screen) = pty.finish(LIMIT);
    stop.store(true, Ordering::Relaxed);
    assert!(
        watcher.join().unwrap().is_empty(),
        "the passphrase was in a command line"
    );
    assert_eq!(code, 5, "reached, codex not there: {screen}");
    assert!(!screen.contains(&rig.password()), "{screen}");

    let known = rig.dir.join("known_hosts_askpass");
    let _ = std::fs::remove_file(&known);
    let command = format!(
        "rig --ssh openssh -o StrictHostKeyChecking=ask -o UserKnownHostsFile={} --codex /nonexistent/codex",
        known.display()
    );
    let mut pty = Pty::spawn(&rig.command(&command));
    pty.expect(
        "(rig) Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
        LIMIT,
    );
    assert!(
        pty.screen().contains("(rig) ED25519 key fingerprint is SHA256:"),
        "{}",
        pty.screen()
    );
    pty.send("yes\n");
    let (code, screen) = pty.finish(LIMIT);
    assert_eq!(code, 5, "{screen}");
    let recorded = std::fs::read_to_string(&known).unwrap_or_default();
    std::fs::remove_file(&known).unwrap();
    assert!(recorded.contains("ssh-ed25519"), "{recorded}");

    let run = rig
        .tool()
        .args(["encrypted", "--ssh", "openssh", "--codex", "/nonexistent/codex"])
        .run(LIMIT);
    assert_eq!(run.code(), 3, "{}", run.stderr);
    assert!(run.stderr.contains("Permission denied"), "{}", run.stderr);
    rig.assert_nothing_left(ALICE);
    assert_no_openssh_left();
}

/// Askpass helpers waiting for an answer: this tool's program, run by `ssh` with a question
/// (its environment names the tool's socket).
fn askpass_waiting() -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let environ = std::fs::read(e.path().join("environ")).unwrap_or_default();
            let program = cmdline.split(|b| *b == 0).next().unwrap_or_default();
            program.ends_with(b"/codex-remote-login")
                && environ
                    .split(|b| *b == 0)
                    .any(|v| v.starts_with(b"CODEX_REMOTE_LOGIN_ASKPASS="))
        })
        .count()
}

/// Several hosts over OpenSSH: both hosts' ssh ask at once (an encrypted key's passphrase, a
/// second factor), yet their questions come one at a time, each naming its host.
#[test]
fn several_hosts_ask_one_at_a_time_over_openssh() {
    let rig = Rig::get();
    let mut pty = Pty::spawn(&rig.command("encrypted twofactor --ssh openssh --codex /nonexistent/codex"));
    let passphrase = format!(
        "(encrypted) Enter passphrase for key '{}': ",
        rig.dir.join("id_encrypted").display()
    );
    let second_factor = "(twofactor) (crl-alice@";
    wait_until(LIMIT, || {
        let waiting = askpass_waiting();
        (waiting == 2).then_some(()).ok_or(waiting)
    })
    .expect("both hosts' ssh asked");
    let screen = pty.screen();
    let key_first = screen.contains(&passphrase);
    assert_ne!(
        key_first,
        screen.contains(second_factor),
        "one question on the screen: {screen}"
    );
    pty.send(&format!("{}\n", rig.password()));
    pty.expect(if key_first { second_factor } else { &passphrase }, LIMIT);
    pty.send(&format!("{}\n", rig.password()));
    let (code, screen) = pty.finish(LIMIT);
    assert_eq!(code, 5, "both reached, codex not there: {screen}");
    assert!(!screen.contains(&rig.password()), "an answer was echoed: {screen}");
    rig.assert_nothing_left(ALICE);
    assert_no_openssh_left();
}

/// `doctor` (forwarding told apart from forbidden, from the master's own log), a sign-in
/// where forwarding is forbidden (each browser connection relayed), and `logout`, over OpenSSH.
#[test]
fn doctor_relay_and_logout_over_openssh() {
    let rig = Rig::get();
    let healthy = rig.tool().args(["doctor", "rig", "--ssh", "openssh"]).run(LIMIT);
    assert_eq!(healthy.code(), 0, "{}", healthy.stdout);
    assert!(healthy.stdout.ends_with("No problems found.\n"), "{}", healthy.stdout);
    let hardened = rig
        .tool()
        .args(["doctor", "noforward", "--json", "--ssh", "openssh"])
        .run(LIMIT);
    assert_eq!(hardened.code(), 0, "{}", hardened.stderr);
    let forwarding = hardened.check("TCP forwarding").unwrap();
    assert_eq!(
        (forwarding["verdict"].as_str(), forwarding["detail"].as_str()),
        (Some("warn"), Some("forbidden by the server"))
    );
    let signed = rig.sign_alice_in(rig.tool().args(["noforward", "--ssh", "openssh", "-v"]));
    assert!(
        signed.run.stderr.contains("the host forbids TCP forwarding; relaying"),
        "{}",
        signed.run.stderr
    );
    let out = rig
        .tool()
        .args(["logout", "rig", "--ssh", "openssh", "--json"])
        .run(LIMIT);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    assert!(rig.auth_json(ALICE).is_none(), "signed out");
    rig.assert_nothing_left(ALICE);
    assert_no_openssh_left();
}

/// Kerberos: a ticket from the rig's realm (`kinit`) and GSSAPIAuthentication in the config:
/// auto goes through OpenSSH, and the sshd, which takes nothing but GSSAPI, lets the sign-in
/// in. Without a ticket, auto keeps the built-in client.
#[test]
fn kerberos_signs_in_through_openssh() {
    let rig = Rig::get();
    let krb = rig.dir.join("krb5");
    let config = krb.join("krb5.conf");
    let cache = format!("FILE:{}", krb.join("cc-test").display());
    // No ticket yet: GSSAPIAuthentication alone (Debian's ssh_config sets it for every host)
    // keeps the built-in client, which this GSSAPI-only sshd then refuses.
    let _ = std::fs::remove_file(krb.join("cc-test"));
    let run = rig
        .tool()
        .env("KRB5_CONFIG", config.to_str().unwrap())
        .env("KRB5CCNAME", &cache)
        .args(["kerberos", "-v", "--codex", "/nonexistent/codex"])
        .run(LIMIT);
    assert!(
        run.stderr
            .contains("kerberos: the built-in SSH client (nothing in its ssh config needs OpenSSH: GSSAPIAuthentication yes, but no Kerberos ticket (klist -s))"),
        "{}",
        run.stderr
    );
    assert_eq!(run.code(), 3, "{}", run.stderr);
    let mut kinit = Command::new("kinit")
        .arg("crl-alice")
        .env("KRB5_CONFIG", &config)
        .env("KRB5CCNAME", &cache)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    writeln!(kinit.stdin.take().unwrap(), "{}", rig.password()).unwrap();
    assert!(kinit.wait().unwrap().success(), "kinit");
    let run = rig
        .tool()
        .env("KRB5_CONFIG", config.to_str().unwrap())
        .env("KRB5CCNAME", &cache)
        .args(["kerberos", "--json", "-v"])
        .run(LIMIT);
    let _ = std::fs::remove_file(krb.join("cc-test"));
    assert_eq!(run.code(), 0, "stderr:\n{}", run.stderr);
    assert!(
        run.stderr
            .contains("kerberos: OpenSSH's ssh (its ssh config has GSSAPIAuthentication yes (and a Kerberos ticket))"),
        "{}",
        run.stderr
    );
    let log = std::fs::read_to_string(rig.dir.join("sshd-kerberos.log")).unwrap();
    assert!(log.contains("Accepted gssapi-with-mic for crl-alice"), "{log}");
    assert!(rig.auth_json(ALICE).is_some(), "signed in");
    rig.assert_nothing_left(ALICE);
    assert_no_openssh_left();
}

/// A key in SoftHSM2 through PKCS11Provider: auto goes through OpenSSH, the token's PIN is
/// asked through the tool on its terminal, naming the host, and the sign-in completes.
#[test]
fn a_pkcs11_key_signs_in_with_its_pin_asked_through_the_tool() {
    let rig = Rig::get();
    let page = rig.dir.join("browser-openssh-hsm.html");
    for extension in ["html", "html.done", "html.started"] {
        let _ = std::fs::remove_file(page.with_extension(extension));
    }
    // The rig's browser in a session of its own: the terminal's end must not cut it short.
    let browser = rig.dir.join("browser-detached");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\nexec setsid -f {} \"$1\"\n", rig.browser.display()),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let env = format!(
        "env -u SSH_AUTH_SOCK SOFTHSM2_CONF={} CRL_RIG_DIR={} CRL_ISSUER_PROXY={} CRL_BROWSER_OUT={}",
        rig.dir.join("softhsm/softhsm2.conf").display(),
        rig.dir.display(),
        rig.issuer_proxy,
        page.display()
    );
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_argv(rig.password(), stop.clone());
    let command = format!("hsm -v --browser-command {}", browser.display());
    let mut pty = Pty::spawn(&format!("{env} {}", rig.command(&command)));
    pty.expect("(hsm) Enter PIN for 'crl': ", LIMIT);
    pty.send(&format!("{}\n", rig.password()));
    let (code, screen) = pty.finish(LIMIT);
    stop.store(true, Ordering::Relaxed);
    assert!(watcher.join().unwrap().is_empty(), "the PIN was in a command line");
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("hsm: OpenSSH's ssh (its ssh config has PKCS11Provider"),
        "{screen}"
    );
    assert!(!screen.contains(&rig.password()), "{screen}");
    assert!(Running::browser_page(&page).contains("Signed in to Codex"));
    std::fs::remove_file(&browser).unwrap();
    let (_, login) = rig.auth_json(ALICE).expect("signed in");
    assert_eq!(rig.login_state(&login), "alive");
    rig.assert_nothing_left(ALICE);
    assert_no_openssh_left();
}
