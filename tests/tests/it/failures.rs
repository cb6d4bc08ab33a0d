//! Each failure ends with a clear message, its documented exit code, and nothing left
//! running on either side.

use std::time::Duration;

use codex_remote_login_tests::{ALICE, BOB, LIMIT, Rig};

#[test]
fn unreachable_host() {
    let rig = Rig::get();
    let run = rig.tool().args(["-p", "2299", "rig"]).run(LIMIT);
    assert_eq!(run.code(), 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot connect to rig (198.51.100.2:2299)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    rig.assert_nothing_left(ALICE);
}

/// A port that accepts TCP but never speaks SSH (a tarpit, a wrong service behind a load
/// balancer): every command gives up after ConnectTimeout, which covers the banner and the
/// key exchange as OpenSSH's does, and says it was connecting.
#[test]
fn a_host_that_never_speaks_ssh_times_out_on_every_command() {
    let rig = Rig::get();
    // The kernel completes the TCP handshake into the backlog; nothing ever answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    for command in [&[][..], &["status"], &["doctor"], &["containers", "--all-running"]] {
        let run = rig
            .tool()
            .args(command.iter().copied())
            .args(["-o", "ConnectTimeout=1", "-p", &port, "127.0.0.1"])
            .run(Duration::from_secs(20));
        // doctor reports it as its table's "reachable" row, on stdout.
        let said = format!("{}{}", run.stdout, run.stderr);
        assert_ne!(run.code(), 0, "{command:?}: {said}");
        assert!(
            said.contains("timed out connecting to 127.0.0.1: no SSH connection within 1 s"),
            "{command:?}: {said}"
        );
        assert!(
            said.contains("-o ConnectTimeout=SECS") && !said.contains("browser sooner"),
            "{command:?}: the hint is about connecting: {said}"
        );
        if command == ["status"] {
            assert!(
                run.stdout
                    .lines()
                    .any(|l| l.starts_with("127.0.0.1") && l.contains("FAILED")),
                "status keeps a row for the failed host: {}",
                run.stdout
            );
            assert_eq!(
                said.matches("timed out connecting").count(),
                2,
                "the error once, and the row: {said}"
            );
        }
    }
    rig.assert_nothing_left(ALICE);
}

#[test]
fn authentication_failure_names_the_keys_tried() {
    let rig = Rig::get();
    let run = rig.tool().args(["stranger"]).run(LIMIT);
    assert_eq!(run.code(), 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("crl-alice@stranger refused every authentication"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("id_stranger"),
        "the hint names the key tried: {}",
        run.stderr
    );
    rig.assert_nothing_left(ALICE);
}

/// `-i` naming a file that is not there: a warning as ssh gives, the other keys still tried,
/// and the file in the list of what was tried.
#[test]
fn a_missing_identity_file_is_warned_about_and_listed() {
    let rig = Rig::get();
    let run = rig.tool().args(["-i", "/nonexistent/id_key", "stranger"]).run(LIMIT);
    assert_eq!(run.code(), 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("identity file /nonexistent/id_key not accessible"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("/nonexistent/id_key (not accessible") && run.stderr.contains("id_stranger"),
        "the tried list names both: {}",
        run.stderr
    );
    rig.assert_nothing_left(ALICE);
}

#[test]
fn changed_host_key_is_refused_loudly() {
    let rig = Rig::get();
    let impostor = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFQy9/QIphaK0asmRWqm9kTEDPMPo66XHXkvx6h+3EZw";
    std::fs::write(
        rig.known_hosts(),
        format!("# recorded earlier\n[{}]:2222 {impostor}\n", rig.host_ip),
    )
    .unwrap();
    let run = rig.tool().args(["rig", "--accept-new"]).run(LIMIT);
    assert_eq!(run.code(), 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("{}:2", rig.known_hosts().display())),
        "file:line of the old key: {}",
        run.stderr
    );
    assert!(run.stderr.contains("SHA256:"), "{}", run.stderr);
    assert!(run.stderr.contains("ssh-keygen -R"), "{}", run.stderr);
    rig.assert_nothing_left(ALICE);
}

/// Without a terminal an unknown host is refused; `--accept-new` records it, hashed as
/// `HashKnownHosts yes` asks, in a line OpenSSH's own client then accepts.
#[test]
fn unknown_host_refused_without_terminal_then_accepted_new() {
    let rig = Rig::get();
    std::fs::write(rig.known_hosts(), "").unwrap();
    let ask = ["-o", "StrictHostKeyChecking=ask", "-o", "HashKnownHosts=yes"];
    let run = rig.tool().args(ask).args(["rig"]).run(LIMIT);
    assert_eq!(run.code(), 3, "{}", run.stderr);
    assert!(run.stderr.contains("can't be established"), "{}", run.stderr);
    assert!(run.stderr.contains("no terminal"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(rig.known_hosts()).unwrap(), "");

    // --accept-new: recorded, then the sign-in goes on (ended here by --timeout).
    let run = rig
        .tool()
        .args(ask)
        .args(["rig", "--accept-new", "--no-browser", "--timeout", "5"])
        .run(LIMIT);
    assert_eq!(run.code(), 124, "{}", run.stderr);
    assert!(run.stderr.contains("did not finish within 5 s"), "{}", run.stderr);
    let recorded = std::fs::read_to_string(rig.known_hosts()).unwrap();
    assert!(recorded.starts_with("|1|"), "hashed entry: {recorded}");
    let ssh = std::process::Command::new("ssh")
        .args([
            "-F",
            rig.ssh_config().to_str().unwrap(),
            "-o",
            "BatchMode=yes",
            "rig",
            "true",
        ])
        .output()
        .unwrap();
    assert!(
        ssh.status.success(),
        "OpenSSH rejects the recorded line: {}",
        String::from_utf8_lossy(&ssh.stderr)
    );
    // And the tool reads the hashed line back (StrictHostKeyChecking yes: known, or refused).
    let again = rig.tool().args(["rig", "--codex", "/nonexistent/codex"]).run(LIMIT);
    assert_eq!(again.code(), 5, "{}", again.stderr);
    rig.assert_nothing_left(ALICE);
}

#[test]
fn codex_missing_on_the_host() {
    let rig = Rig::get();
    let run = rig.tool().args(["bob"]).run(LIMIT);
    assert_eq!(run.code(), 5, "{}", run.stderr);
    assert!(run.stderr.contains("codex was not found on bob"), "{}", run.stderr);
    assert!(run.stderr.contains("npm install -g @openai/codex"), "{}", run.stderr);
    assert!(run.stderr.contains("--codex"), "{}", run.stderr);
    rig.assert_nothing_left(BOB);
}

#[test]
fn denied_approval_ends_with_codex_error() {
    let rig = Rig::get();
    rig.issuer("/__control?authorize=deny");
    let minted = rig.minted_count();
    let run = rig.tool().args(["rig", "--json"]).run(LIMIT);
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("codex login on rig failed (exit status 1)"),
        "{}",
        run.stderr
    );
    assert_eq!(run.event("error").unwrap()["exit_code"], 1);
    // codex's own log on the host, its tail shown with the path to the rest.
    assert!(
        run.stderr
            .contains("the last lines of /home/crl-alice/.codex/log/codex-login.log"),
        "{}",
        run.stderr
    );
    // codex may flush its last log line after it exits: the callback's own line is there.
    assert!(run.stderr.contains("has_error=true"), "{}", run.stderr);
    assert!(run.stderr.contains("declined in the browser"), "{}", run.stderr);
    assert!(rig.auth_json(ALICE).is_none());
    assert_eq!(rig.minted_count(), minted, "nothing signed in");
    rig.assert_nothing_left(ALICE);
}

#[test]
fn both_local_ports_busy_starts_nothing_remote() {
    let rig = Rig::get();
    let first = std::net::TcpListener::bind("127.0.0.1:1455").expect("1455 free for the test");
    let second = std::net::TcpListener::bind("127.0.0.1:1457").expect("1457 free for the test");
    let run = rig.tool().args(["rig"]).run(LIMIT);
    drop((first, second));
    assert_eq!(run.code(), 4, "{}", run.stderr);
    let pid = std::process::id();
    assert!(
        run.stderr.contains(&format!(
            "local ports 1455 and 1457, the two codex can call back on, are both in use (1455 by pid {pid}"
        )),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("Connecting"),
        "nothing remote was started: {}",
        run.stderr
    );
    rig.assert_nothing_left(ALICE);
}

/// The SSH connection dies while the browser is awaited: the tool says so, and the host's
/// codex dies with the channel (the documented `ssh -L` way leaves it holding port 1455).
#[test]
fn connection_lost_while_waiting_kills_the_remote_codex() {
    let rig = Rig::get();
    let minted = rig.minted_count();
    let mut run = rig.tool().args(["rig", "--json", "--no-browser"]).spawn();
    run.wait_event("url", LIMIT);
    assert!(
        rig.processes(ALICE).contains("codex"),
        "codex runs while the browser is awaited"
    );
    // The session's sshd process on the host (privilege-separated child, owned by the user).
    let killed = rig.remote_root(&format!("pkill -KILL -u {ALICE} -x sshd"));
    assert!(killed.status.success(), "no session sshd to kill");
    let done = run.finish(LIMIT);
    assert_eq!(done.code(), 1, "{}", done.stderr);
    assert!(
        done.stderr
            .contains("connection to rig was lost while waiting for the browser"),
        "{}",
        done.stderr
    );
    assert_eq!(rig.minted_count(), minted, "nothing signed in");
    assert!(rig.auth_json(ALICE).is_none(), "nothing written");
    rig.assert_nothing_left(ALICE);
}

#[test]
fn interrupt_and_terminate_cancel_the_remote_login() {
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let rig = Rig::get();
        let minted = rig.minted_count();
        let mut run = rig.tool().args(["rig", "--json", "--no-browser"]).spawn();
        run.wait_event("url", LIMIT);
        run.signal(signal);
        let done = run.finish(LIMIT);
        assert_eq!(done.code(), code, "{}", done.stderr);
        assert!(
            done.stderr.contains(&format!("interrupted (SIG{signal})")),
            "{}",
            done.stderr
        );
        // The tool confirmed codex's end before exiting: no waiting needed on the host side.
        assert!(!rig.processes(ALICE).contains("codex"), "{}", rig.processes(ALICE));
        assert_eq!(rig.minted_count(), minted, "SIG{signal}: nothing signed in");
        assert!(rig.auth_json(ALICE).is_none(), "SIG{signal}: nothing written");
        rig.assert_nothing_left(ALICE);
    }
}

/// A host whose codex prints something other than codex's authorize URL gets a refusal, and
/// no browser is ever started.
#[test]
fn hostile_urls_are_never_opened() {
    let rig = Rig::get();
    let urls = [
        "javascript:alert(document.cookie)",
        "file:///etc/passwd",
        "data:text/html,<script>alert(1)</script>",
        "http://auth.openai.com/oauth/authorize?state=s&redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback",
        "https://auth.openai.com.evil.example/oauth/authorize?state=s&redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback",
        // Found by fuzzing: the issuer's host with a port that is not a number.
        "https://auth.openai.com:evil.example/oauth/authorize?state=s&redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback",
        "https://auth.openai.com/oauth/authorize?state=s&redirect_uri=http%3A%2F%2Fevil.example%3A1455%2Fauth%2Fcallback",
        "https://auth.openai.com/oauth/authorize?state=s&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fauth%2Fcallback",
    ];
    for (i, url) in urls.iter().enumerate() {
        let fake = rig.dir.join(format!("evil-codex-{i}"));
        let script = format!(
            "#!/bin/sh\necho 'Starting local login server on http://localhost:1455.' >&2\necho '{url}' >&2\nsleep 30\n"
        );
        std::fs::write(&fake, script).unwrap();
        std::process::Command::new("chmod")
            .arg("755")
            .arg(&fake)
            .status()
            .unwrap();
        let tool = rig.tool();
        let started = tool.browser_out.with_extension("html.started");
        let run = tool.args(["rig", "--codex", fake.to_str().unwrap()]).run(LIMIT);
        assert_eq!(run.code(), 1, "{url}: {}", run.stderr);
        assert!(run.stderr.contains("will not open"), "{url}: {}", run.stderr);
        assert!(
            !run.stderr.contains("Sign in to Codex for"),
            "{url} was offered: {}",
            run.stderr
        );
        assert!(!started.exists(), "a browser was started for {url}");
        // The fake codex and its `sleep` child are gone with the cancelled login.
        rig.assert_nothing_left(ALICE);
    }
    // The tool confirmed codex's end before exiting: no waiting needed on the host side.
    assert!(!rig.processes(ALICE).contains("codex"), "{}", rig.processes(ALICE));
    rig.assert_nothing_left(ALICE);
}

#[test]
fn sigkill_of_the_tool_still_ends_the_remote_codex() {
    let rig = Rig::get();
    let minted = rig.minted_count();
    let mut run = rig.tool().args(["rig", "--json", "--no-browser"]).spawn();
    run.wait_event("url", LIMIT);
    run.signal("KILL");
    let done = run.finish(LIMIT);
    assert!(done.status.code().is_none(), "killed by a signal");
    rig.assert_nothing_left(ALICE);
    assert_eq!(rig.minted_count(), minted, "nothing signed in");
    assert!(rig.auth_json(ALICE).is_none(), "nothing written");
}

/// A server whose only host key algorithm is SHA-1 `ssh-rsa`: no connection, rather than a
/// weak one, and a message that says why.
#[test]
fn a_host_key_algorithm_not_accepted_means_no_connection() {
    let rig = Rig::get();
    let run = rig
        .tool()
        .args(["-p", "2240", "-o", "StrictHostKeyChecking=accept-new", "rig"])
        .run(LIMIT);
    assert_eq!(run.code(), 3, "{}", run.stderr);
    assert!(run.stderr.to_lowercase().contains("no common"), "{}", run.stderr);
    let known = std::fs::read_to_string(rig.known_hosts()).unwrap();
    assert!(!known.contains(":2240]"), "nothing was recorded: {known}");
    rig.assert_nothing_left(ALICE);
}

/// The callback listener: loopback only, the one port codex asked for, gone with the tool.
#[test]
fn the_callback_listener_is_loopback_only() {
    let rig = Rig::get();
    let mut run = rig.tool().args(["rig", "--no-browser", "--json"]).spawn();
    run.wait_event("url", LIMIT);
    let listening = rig.callback_listeners(false);
    assert_eq!(listening.lines().count(), 1, "{listening}");
    assert!(listening.contains("127.0.0.1:1455"), "{listening}");
    // This machine's address on the rig's link does not answer.
    assert!(std::net::TcpStream::connect("198.51.100.1:1455").is_err());
    run.signal("INT");
    assert_eq!(run.finish(LIMIT).code(), 130);
    rig.assert_nothing_left(ALICE);
}

/// On a terminal `error:` and `hint:` are coloured, unless NO_COLOR is set.
#[test]
fn errors_are_coloured_on_a_terminal_unless_no_color() {
    let rig = Rig::get();
    let command = rig.command("-p 1 127.0.0.1");
    let (code, screen) = codex_remote_login_tests::Pty::spawn(&command).finish(LIMIT);
    assert_eq!(code, 3, "{screen}");
    assert!(screen.contains("\u{1b}[31m\u{1b}[1merror:\u{1b}[0m"), "{screen:?}");
    let (code, screen) = codex_remote_login_tests::Pty::spawn(&format!("env NO_COLOR=1 {command}")).finish(LIMIT);
    assert_eq!(code, 3, "{screen}");
    assert!(
        screen.contains("error: cannot connect") && !screen.contains("\u{1b}[31m"),
        "{screen:?}"
    );
    rig.assert_nothing_left(ALICE);
}
