//! Reaching the host as the user's OpenSSH would: agent keys, any login shell, and the
//! host-key question on a terminal.

use std::process::{Command, Stdio};

use codex_remote_login_tests::{ALICE, BOB, LIMIT, Rig};

/// `--codex` naming nothing ends the run right after the shim reports: proof that the
/// connection, authentication and the exec all worked, without a sign-in's cost.
const STOP_AFTER_SHIM: [&str; 2] = ["--codex", "/nonexistent/codex"];

/// The ways of naming a host and its user that OpenSSH accepts, and `-i`.
#[test]
fn host_forms_and_command_line_options() {
    let rig = Rig::get();
    let key = rig.dir.join("id_ed25519");
    let cases: [(&[&str], &str); 4] = [
        (&["-l", "crl-bob", "rig"], "crl-bob"),
        (&["crl-bob@rig"], "crl-bob"),
        (&["ssh://crl-bob@rig:2222"], "crl-bob"),
        // The config offers only a key nobody authorized; -i adds the right one.
        (&["-i", key.to_str().unwrap(), "stranger"], "crl-alice"),
    ];
    for (args, user) in cases {
        let run = rig.tool().args(args).args(["--json"]).args(STOP_AFTER_SHIM).run(LIMIT);
        assert_eq!(run.code(), 5, "{args:?}: {}", run.stderr);
        assert_eq!(run.event("connected").unwrap()["user"], user, "{args:?}");
    }
    rig.assert_nothing_left(ALICE);
    rig.assert_nothing_left(BOB);
}

#[test]
fn agent_keys_authenticate() {
    let rig = Rig::get();
    let run = rig.tool().args(["agent", "-vv"]).args(STOP_AFTER_SHIM).run(LIMIT);
    assert_eq!(run.code(), 5, "{}", run.stderr);
    assert!(run.stderr.contains("offering agent key rig-client"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--codex /nonexistent/codex is not an executable file on agent"),
        "{}",
        run.stderr
    );
    rig.assert_nothing_left(ALICE);
}

/// Puts crl-bob's login shell back to bash, whatever the test did.
struct LoginShell;

impl LoginShell {
    fn set(shell: &str) -> Self {
        assert!(
            Command::new("usermod")
                .args(["-s", shell, BOB])
                .status()
                .unwrap()
                .success()
        );
        Self
    }
}

impl Drop for LoginShell {
    fn drop(&mut self) {
        let _ = Command::new("usermod").args(["-s", "/bin/bash", BOB]).status();
    }
}

/// sshd runs the exec request through the user's login shell; the shim must arrive intact
/// through every one people use.
#[test]
fn the_exec_survives_every_login_shell() {
    let rig = Rig::get();
    let ash = rig.dir.join("ash");
    for shell in [
        "/bin/bash",
        "/bin/dash",
        "/usr/bin/zsh",
        "/usr/bin/fish",
        "/usr/bin/tcsh",
        ash.to_str().unwrap(),
    ] {
        assert!(
            std::path::Path::new(shell).exists(),
            "{shell} is missing: scripts/test installs it"
        );
        let _guard = LoginShell::set(shell);
        let run = rig.tool().args(["bob"]).args(STOP_AFTER_SHIM).run(LIMIT);
        assert_eq!(run.code(), 5, "login shell {shell}: {}", run.stderr);
        assert!(
            run.stderr.contains("is not an executable file on bob"),
            "login shell {shell}: {}",
            run.stderr
        );
        rig.assert_nothing_left(BOB);
    }
}

/// On a terminal, an unknown host key is asked about with its fingerprint, as OpenSSH asks,
/// and the answer `yes` records it.
#[test]
fn unknown_host_is_asked_about_on_a_terminal() {
    let rig = Rig::get();
    std::fs::write(rig.known_hosts(), "").unwrap();
    let host_key = std::fs::read_to_string(rig.dir.join("ssh_host_ed25519_key.pub")).unwrap();
    let fingerprint = Command::new("ssh-keygen")
        .args(["-l", "-f"])
        .arg(rig.dir.join("ssh_host_ed25519_key.pub"))
        .output()
        .unwrap();
    let fingerprint = String::from_utf8(fingerprint.stdout)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned();

    // `script` gives the tool a pseudo-terminal; "yes" is typed ahead into it.
    let command = format!(
        "{} -F {} -o StrictHostKeyChecking=ask rig --codex /nonexistent/codex",
        rig.bin.display(),
        rig.ssh_config().display()
    );
    let mut child = Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"yes\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("The authenticity of host '[198.51.100.2]:2222' can't be established."),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("ED25519 key fingerprint is {fingerprint}.")),
        "{screen}"
    );
    assert!(
        screen.contains("is not an executable file on rig"),
        "the connection went on: {screen}"
    );
    let recorded = std::fs::read_to_string(rig.known_hosts()).unwrap();
    assert!(
        recorded.ends_with(&format!(
            "{}\n",
            host_key.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
        )),
        "{recorded}"
    );
    rig.assert_nothing_left(ALICE);
}

/// The full sign-in through a bastion (`ProxyJump`): the browser's callback rides a channel
/// through the bastion's connection to the inner host, where codex runs.
#[test]
fn sign_in_through_a_bastion() {
    let rig = Rig::get();
    let tool = rig.tool();
    let page = tool.browser_out.clone();
    let run = rig.sign_in(tool.args(["inner", "--json", "-v"]));
    assert!(run.stderr.contains("reaching inner through rig"), "{}", run.stderr);
    assert!(codex_remote_login_tests::Running::browser_page(&page).contains("Signed in to Codex"));
    assert_eq!(run.event("success").unwrap()["email"], "alice@rig.test");
    // codex ran in the inner host's namespace, not on the bastion.
    let (mode, login) = rig.auth_json(ALICE).unwrap();
    assert_eq!(mode, "-rw-------");
    assert_eq!(rig.login_state(&login), "alive");
    rig.assert_nothing_left(ALICE);
}

/// `ProxyCommand` (OpenSSH's own client with -W, tokens expanded), and two hops with -J; each
/// hop's key checked against known_hosts under its own name.
#[test]
fn proxy_command_two_hops_and_each_hops_key() {
    let rig = Rig::get();
    for args in [&["inner-pc"][..], &["-J", "rig,rig", "inner-nojump"]] {
        let run = rig.tool().args(args).args(STOP_AFTER_SHIM).run(LIMIT);
        assert_eq!(run.code(), 5, "{args:?}: {}", run.stderr);
        let host = args.last().unwrap();
        assert!(
            run.stderr.contains(&format!("is not an executable file on {host}")),
            "{args:?}: {}",
            run.stderr
        );
    }
    // The inner host's key unknown: the refusal names the inner host, not the bastion.
    let known = std::fs::read_to_string(rig.known_hosts()).unwrap();
    let without_inner: String = known
        .lines()
        .filter(|l| !l.starts_with("203.0.113.2 "))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(rig.known_hosts(), without_inner).unwrap();
    let run = rig.tool().args(["inner"]).args(STOP_AFTER_SHIM).run(LIMIT);
    assert_eq!(run.code(), 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("203.0.113.2 is not in known_hosts"),
        "{}",
        run.stderr
    );
    rig.assert_nothing_left(ALICE);
}

/// Password authentication through PAM, asked on the terminal with echo off, a wrong one
/// retried as OpenSSH does.
#[test]
fn password_asked_on_the_terminal() {
    let rig = Rig::get();
    let mut pty = codex_remote_login_tests::Pty::spawn(&rig.command("password --codex /nonexistent/codex"));
    let prompt = "crl-alice@password's password: ";
    pty.expect(prompt, LIMIT);
    pty.send("not-the-password\n");
    pty.expect("Permission denied, please try again.", LIMIT);
    pty.send(&format!("{}\n", rig.password()));
    let (code, screen) = pty.finish(LIMIT);
    assert_eq!(code, 5, "{screen}");
    assert!(screen.contains("is not an executable file on password"), "{screen}");
    assert!(!screen.contains(&rig.password()), "the password was echoed: {screen}");
    rig.assert_nothing_left(ALICE);
}

/// Keyboard-interactive: the server's own prompts (PAM's), shown as they come; and as the
/// second factor after a key (`AuthenticationMethods publickey,keyboard-interactive`).
#[test]
fn keyboard_interactive_and_a_second_factor() {
    let rig = Rig::get();
    for host in ["kbdint", "twofactor"] {
        let mut pty = codex_remote_login_tests::Pty::spawn(&rig.command(&format!("{host} --codex /nonexistent/codex")));
        pty.expect(&format!("({host}) Password: "), LIMIT);
        pty.send(&format!("{}\n", rig.password()));
        let (code, screen) = pty.finish(LIMIT);
        assert_eq!(code, 5, "{host}: {screen}");
        assert!(
            !screen.contains(&rig.password()),
            "{host}: the answer was echoed: {screen}"
        );
    }
    // Without a terminal nothing can be asked: the error says what was tried and why.
    let run = rig.tool().args(["kbdint"]).args(STOP_AFTER_SHIM).run(LIMIT);
    assert_eq!(run.code(), 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("keyboard-interactive (no terminal to ask on)"),
        "{}",
        run.stderr
    );
    rig.assert_nothing_left(ALICE);
}

/// An encrypted key file: its passphrase asked on the terminal, never from argv or env.
#[test]
fn encrypted_key_passphrase_on_the_terminal() {
    let rig = Rig::get();
    let mut pty = codex_remote_login_tests::Pty::spawn(&rig.command("encrypted --codex /nonexistent/codex"));
    pty.expect(
        &format!(
            "Enter passphrase for key '{}': ",
            rig.dir.join("id_encrypted").display()
        ),
        LIMIT,
    );
    pty.send(&format!("{}\n", rig.password()));
    let (code, screen) = pty.finish(LIMIT);
    assert_eq!(code, 5, "{screen}");
    assert!(!screen.contains(&rig.password()), "{screen}");
    // Without a terminal the key is skipped, and the error says so.
    let run = rig.tool().args(["encrypted"]).args(STOP_AFTER_SHIM).run(LIMIT);
    assert_eq!(run.code(), 3, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("encrypted, and there is no terminal to ask for its passphrase"),
        "{}",
        run.stderr
    );
    rig.assert_nothing_left(ALICE);
}

/// A user certificate (`KEY-cert.pub` beside the key) signed by a CA the server trusts: the
/// only way in for a key that is in no authorized_keys.
#[test]
fn user_certificate() {
    let rig = Rig::get();
    let run = rig.tool().args(["certified", "-vv"]).args(STOP_AFTER_SHIM).run(LIMIT);
    assert_eq!(run.code(), 5, "{}", run.stderr);
    assert!(
        run.stderr.contains("with its certificate rig-certified"),
        "{}",
        run.stderr
    );
    rig.assert_nothing_left(ALICE);
}

/// `SetEnv` and `SendEnv` reach the host's session as with ssh (the server accepts
/// `CRL_TEST_*`).
#[test]
fn set_env_and_send_env() {
    let rig = Rig::get();
    let fake = rig.dir.join("env-codex");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho \"set=$CRL_TEST_SET sent=$CRL_TEST_SENT\" >&2\nexit 3\n",
    )
    .unwrap();
    Command::new("chmod").arg("755").arg(&fake).status().unwrap();
    let run = rig
        .tool()
        .env("CRL_TEST_SENT", "from-this-machine")
        .args([
            "rig",
            "-o",
            "SetEnv=CRL_TEST_SET=fixed",
            "-o",
            "SendEnv=CRL_TEST_S*",
            "--codex",
            fake.to_str().unwrap(),
        ])
        .run(LIMIT);
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("set=fixed sent=from-this-machine"),
        "{}",
        run.stderr
    );
    rig.assert_nothing_left(ALICE);
}

/// Host certificates: a `@cert-authority` line trusts the rig's certificate, for the name it
/// was issued for only; another authority, another name, or a `@revoked` key is refused.
#[test]
fn host_certificates_and_revocation() {
    let rig = Rig::get();
    let key_of = |file: &str| {
        let text = std::fs::read_to_string(rig.dir.join(file)).unwrap();
        text.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
    };
    let trusted = format!("@cert-authority * {}\n", key_of("host_ca.pub"));
    let cases = [
        (trusted.clone(), vec![], 5, ""),
        (
            format!("@cert-authority * {}\n", key_of("user_ca.pub")),
            vec![],
            3,
            "is not in known_hosts",
        ),
        (
            trusted.clone(),
            vec!["-o", "HostKeyAlias=elsewhere"],
            3,
            "is not issued for elsewhere",
        ),
        (
            format!("{trusted}@revoked * {}\n", key_of("ssh_host_ed25519_key.pub")),
            vec![],
            3,
            "is revoked",
        ),
    ];
    for (known, extra, code, says) in cases {
        std::fs::write(rig.known_hosts(), &known).unwrap();
        let run = rig.tool().args(["rig"]).args(&extra).args(STOP_AFTER_SHIM).run(LIMIT);
        assert_eq!(run.code(), code, "{known}{extra:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{known}{extra:?}: {}", run.stderr);
    }
    rig.assert_nothing_left(ALICE);
}

/// Without an OpenSSH client on PATH, the tool evaluates the ssh config itself and still
/// reaches the hosts it names, through a bastion too.
#[test]
fn without_an_openssh_client_the_config_is_evaluated_here() {
    let rig = Rig::get();
    for host in ["rig", "inner"] {
        let run = rig
            .tool()
            .env("PATH", "/nonexistent")
            .args([host, "-v"])
            .args(STOP_AFTER_SHIM)
            .run(LIMIT);
        assert_eq!(run.code(), 5, "{host}: {}", run.stderr);
        assert!(
            run.stderr.contains("the ssh configuration was evaluated by this tool"),
            "{host}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!("is not an executable file on {host}")),
            "{host}: {}",
            run.stderr
        );
    }
    rig.assert_nothing_left(ALICE);
}

/// RSA (signed with rsa-sha2, which current OpenSSH requires) and ECDSA keys, from an agent
/// and from a file.
#[test]
fn rsa_and_ecdsa_keys() {
    let rig = Rig::get();
    for (public, comment) in [("id_rsa.pub", "rig-rsa"), ("id_ecdsa.pub", "rig-ecdsa")] {
        // IdentitiesOnly with a public key file: only that agent key is offered.
        let run = rig
            .tool()
            .args(["agent2", "-vv", "-o", "IdentitiesOnly=yes", "-i"])
            .args([rig.dir.join(public)])
            .args(STOP_AFTER_SHIM)
            .run(LIMIT);
        assert_eq!(run.code(), 5, "{comment}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("offering agent key {comment}")),
            "{}",
            run.stderr
        );
    }
    let file = rig.tool().args(["rsa-file"]).args(STOP_AFTER_SHIM).run(LIMIT);
    assert_eq!(file.code(), 5, "{}", file.stderr);
    rig.assert_nothing_left(ALICE);
}

/// Host and user names holding shell syntax never reach a shell: with a `ProxyCommand` that
/// holds `%h`, `%r` and `%n`, a name `$(touch ...)` from the command line (`host`,
/// `user@host`, `-l`, `-J`) or from a `--hosts-file` is refused as a usage error before any
/// config is read, whether the config is evaluated by this tool (no `ssh` on PATH), by an
/// OpenSSH client before 9.6 (which accepts such names and prints them in `ssh -G`), or by the
/// machine's own; the file the name would create never appears.
#[test]
fn shell_syntax_in_names_never_reaches_a_shell() {
    let rig = Rig::get();
    let marker = std::env::temp_dir().join(format!("crl-pwned-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    // An absolute path: the runs without `ssh` on PATH have no `touch` on it either.
    let payload = format!("$(/usr/bin/touch${{IFS}}{})", marker.display());
    // An OpenSSH client older than 9.6, as far as `ssh -G` goes: any name is printed back.
    let old_ssh = rig.dir.join("old-ssh");
    std::fs::create_dir_all(&old_ssh).unwrap();
    std::fs::write(
        old_ssh.join("ssh"),
        "#!/bin/sh\nfor last; do :; done\n\
         printf 'hostname %s\\nuser crl-alice\\nport 22\\nproxycommand nc %%h %%p %%r %%n\\n' \"$last\"\n",
    )
    .unwrap();
    Command::new("chmod")
        .arg("755")
        .arg(old_ssh.join("ssh"))
        .status()
        .unwrap();
    let hosts_file = rig.dir.join("hostile-hosts");
    std::fs::write(&hosts_file, format!("rig\n{payload}  # from elsewhere\n")).unwrap();
    let cases: [(Vec<String>, &str); 6] = [
        (vec![payload.clone()], "refusing the host name `$(/usr/bin/touch${IFS}"),
        (
            vec![format!("{payload}@rig")],
            "refusing the user name `$(/usr/bin/touch${IFS}",
        ),
        (
            vec!["-l".into(), payload.clone(), "rig".into()],
            "(-l): OpenSSH refuses `(` in user names",
        ),
        (
            vec!["-l".into(), "crl-alice;id".into(), "rig".into()],
            "(-l): OpenSSH refuses `;`",
        ),
        (
            vec!["-J".into(), payload.clone(), "rig".into()],
            "(-J): OpenSSH refuses `$`",
        ),
        (
            vec!["--hosts-file".into(), hosts_file.to_str().unwrap().into()],
            "hostile-hosts line 2): OpenSSH refuses `$` in host names",
        ),
    ];
    let system_path = std::env::var("PATH").unwrap();
    let paths = [
        ("no ssh", "/nonexistent".to_owned()),
        ("ssh before 9.6", format!("{}:{system_path}", old_ssh.display())),
        ("this machine's ssh", system_path.clone()),
    ];
    // Every case is tried and every failure told, so a regression shows which paths it opens.
    let mut failures = Vec::new();
    for (which, path) in &paths {
        for (args, says) in &cases {
            let run = rig
                .tool()
                .env("PATH", path)
                .args(["-o", "ProxyCommand=nc %h %p %r %n"])
                .args(args)
                .args(STOP_AFTER_SHIM)
                .run(LIMIT);
            if std::fs::remove_file(&marker).is_ok() {
                failures.push(format!("{which} {args:?}: THE NAME RAN IN A SHELL"));
            }
            let hint = "hint: OpenSSH 9.6 and later refuse such names too";
            if run.code() != 2 || !run.stderr.contains(says) || !run.stderr.contains(hint) {
                failures.push(format!("{which} {args:?}: exit {}: {}", run.code(), run.stderr));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let _ = std::fs::remove_dir_all(&old_ssh);
    let _ = std::fs::remove_file(&hosts_file);
    rig.assert_nothing_left(ALICE);
}

/// `UserKnownHostsFile none` means no file, as in OpenSSH: an unknown host key is refused
/// even with accept-new (OpenSSH treats the host files as read-only then), and nothing is
/// written: not a file named `none` in the working directory, not the usual known_hosts.
#[test]
fn user_known_hosts_file_none_is_no_file() {
    let rig = Rig::get();
    let cwd = rig.dir.join("cwd-known-hosts-none");
    // Empty, whatever an earlier (failed) run left there.
    let _ = std::fs::remove_dir_all(&cwd);
    std::fs::create_dir_all(&cwd).unwrap();
    let known_before = std::fs::read_to_string(rig.known_hosts()).unwrap();
    for path in ["/nonexistent".to_owned(), std::env::var("PATH").unwrap()] {
        let mut tool = rig
            .tool()
            .env("PATH", &path)
            .args(["rig", "-o", "UserKnownHostsFile=none", "--accept-new"])
            .args(STOP_AFTER_SHIM);
        tool.cmd.current_dir(&cwd);
        let run = tool.run(LIMIT);
        assert_eq!(run.code(), 3, "PATH={path}: {}", run.stderr);
        assert!(
            run.stderr.contains("and UserKnownHostsFile is none"),
            "PATH={path}: {}",
            run.stderr
        );
        assert!(!cwd.join("none").exists(), "PATH={path}: ./none was written");
    }
    assert_eq!(std::fs::read_to_string(rig.known_hosts()).unwrap(), known_before);
    let _ = std::fs::remove_dir_all(&cwd);
    rig.assert_nothing_left(ALICE);
}
