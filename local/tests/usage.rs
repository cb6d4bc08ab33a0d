//! Command-line mistakes are usage errors (exit 2) that name the bad value, caught before
//! anything connects; real hosts whose names look like commands still work.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_codex-remote-login");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("HOME", env!("CARGO_TARGET_TMPDIR"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run the binary")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_mistyped_subcommand_is_not_taken_for_a_host() {
    let out = run(&["-F", "/dev/null", "statsu"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("did you mean `status`?"), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("Connecting"),
        "nothing was started: {}",
        stderr(&out)
    );
}

#[test]
fn hosts_that_look_like_commands_still_are_hosts() {
    let dir = tempdir("hosts-like-commands");
    let config = dir.join("config");
    // Port 1 on loopback refuses at once: reaching the connect step is the proof.
    std::fs::write(
        &config,
        "Host stats\n  HostName 127.0.0.1\n  Port 1\nHost statsu\n  Port 1\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    for host in ["stats", "statsu", "me@docter", "ssh://statsu:1"] {
        let out = run(&["-F", config, "-p", "1", "-o", "ConnectTimeout=2", host]);
        assert_ne!(out.status.code(), Some(2), "{host}: {}", stderr(&out));
        assert!(!stderr(&out).contains("did you mean"), "{host}: {}", stderr(&out));
    }
}

#[test]
fn bad_values_are_usage_errors_naming_them() {
    for (args, named) in [
        (&["-p", "0", "h"][..], "0"),
        (&["--timeout", "0", "h"], "0"),
        (&["-F", "/nonexistent/config", "h"], "/nonexistent/config"),
        (&["-F", "/dev/null", "-o", "Bogus=1", "h"], "bogus"),
        (&["-F", "/dev/null", "containers", "h", "bad;name"], "bad;name"),
        (&["-F", "/dev/null", "containers", "h", "--label", "novalue"], "novalue"),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).to_lowercase().contains(named),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `--color always|never|auto`: our `error:` and `hint:` in colour only when asked or on a
/// terminal without NO_COLOR (a pipe here, so auto means none).
#[test]
fn colour_follows_the_flag_and_no_color() {
    let bad = ["-F", "/nonexistent/config", "h"];
    let always = run(&[&["--color", "always"][..], &bad].concat());
    assert!(
        stderr(&always).contains("\u{1b}[31m\u{1b}[1merror:\u{1b}[0m"),
        "{:?}",
        stderr(&always)
    );
    assert!(
        stderr(&always).contains("\u{1b}[1mhint:\u{1b}[0m"),
        "{:?}",
        stderr(&always)
    );
    for args in [&["--color", "never"][..], &[]] {
        let plain = run(&[args, &bad].concat());
        assert!(!stderr(&plain).contains('\u{1b}'), "{args:?}: {:?}", stderr(&plain));
        assert_eq!(plain.status.code(), Some(2));
    }
}

/// With `--json` on the command line, a usage error is an `error` event on stdout as well
/// (exit code 2), whether clap refuses the words or the tool does; without it stdout stays
/// empty, and `--help` is no error.
#[test]
fn usage_errors_are_json_events_with_json() {
    for args in [
        &["--json", "-p", "0", "h"][..],
        &["status", "--json", "--no-such-option", "h"],
        &["--json", "-F", "/dev/null", "statsu"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: one event: {stdout}");
        let event: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(event["type"], "error", "{args:?}");
        assert_eq!(event["exit_code"], 2, "{args:?}");
        assert!(!event["message"].as_str().unwrap().is_empty(), "{args:?}");
        assert!(!stderr(&out).is_empty(), "people still read it on stderr: {args:?}");
    }
    let plain = run(&["-p", "0", "h"]);
    assert_eq!(plain.status.code(), Some(2));
    assert!(plain.stdout.is_empty(), "no --json, no event");
    let help = run(&["--json", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&help.stdout).contains("{\"type\":\"error\""));
}
