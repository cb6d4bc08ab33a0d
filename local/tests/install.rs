//! What an installed copy offers besides signing in: a version that names its build, shell
//! completions and a man page generated from the CLI definition. Run against the built binary.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_codex-remote-login");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run the binary")
}

fn generated(kind: &str) -> String {
    let out = run(&["--generate", kind]);
    assert!(
        out.status.success(),
        "--generate {kind}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Runs `shell args...` with `script` on stdin; panics naming the package when the shell is
/// missing (scripts/test installs it), so a missing shell is never a silent pass.
fn shell_check(shell: &str, package: &str, args: &[&str], script: &str) -> Output {
    let mut child = Command::new(shell)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{shell} is needed for this test (Debian package {package}): {e}"));
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn version_names_the_commit_in_a_checkout() {
    let out = run(&["--version"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let head = Command::new("git")
        .args(["log", "-1", "--format=%h %cs", "--abbrev=9"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8(o.stdout).unwrap().trim().to_owned());
    match head {
        Some(commit) => assert_eq!(text.trim(), format!("codex-remote-login {version} ({commit})")),
        None => assert_eq!(text.trim(), format!("codex-remote-login {version}")),
    }
}

#[test]
fn completions_parse_in_their_shells() {
    let bash = generated("complete-bash");
    let out = shell_check("bash", "bash", &["-n"], &bash);
    assert!(
        out.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let zsh = generated("complete-zsh");
    assert!(zsh.starts_with("#compdef codex-remote-login"), "{zsh:.80}");
    let out = shell_check("zsh", "zsh", &["-n"], &zsh);
    assert!(out.status.success(), "zsh -n: {}", String::from_utf8_lossy(&out.stderr));
    let fish = generated("complete-fish");
    let out = shell_check("fish", "fish", &["--no-execute"], &fish);
    assert!(
        out.status.success(),
        "fish -n: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ps = generated("complete-powershell");
    assert!(ps.contains("Register-ArgumentCompleter") && ps.contains("'codex-remote-login'"));
}

#[test]
fn bash_completes_subcommands_and_options() {
    let script = format!(
        "{}\nCOMP_WORDS=(codex-remote-login sta); COMP_CWORD=1; _codex__remote__login codex-remote-login sta codex-remote-login\necho \"${{COMPREPLY[*]}}\"\nCOMP_WORDS=(codex-remote-login containers --log); COMP_CWORD=2; _codex__remote__login codex-remote-login --log containers\necho \"${{COMPREPLY[*]}}\"\n",
        generated("complete-bash")
    );
    let out = shell_check("bash", "bash", &[], &script);
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("status"), "{text}");
    assert_eq!(lines.next(), Some("--login-inside"), "{text}");
}

#[test]
fn man_page_documents_the_commands() {
    let man = generated("man");
    assert!(man.contains(".TH codex-remote-login 1"), "{man:.200}");
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        ".SH SUBCOMMANDS",
        ".SH VERSION",
    ] {
        assert!(man.contains(section), "no {section}");
    }
    for command in ["status", "doctor", "containers", "collect", "push", "logout"] {
        assert!(
            man.contains(&format!("codex\\-remote\\-login\\-{command}(1)")),
            "no {command}"
        );
    }
}

#[test]
fn generate_stands_alone_and_names_bad_kinds() {
    let out = run(&["--generate", "man", "dev-vm"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--generate", "complete-tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("complete-tcsh"));
}

/// The README's tables of exit codes and JSON events are in `--help` too (and so in the man
/// page): a type or code added to one and not the other fails here.
#[test]
fn long_help_has_the_readme_exit_codes_and_json_events() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let section = |title: &str| -> Vec<String> {
        let start = readme.find(title).unwrap_or_else(|| panic!("README has {title}"));
        readme[start..]
            .lines()
            .skip(1)
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2)
            .map(|l| l.split('|').nth(1).unwrap().trim().trim_matches('`').to_owned())
            .collect()
    };
    let events = section("### JSON events");
    assert!(events.len() > 5, "{events:?}");
    for event in events {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(&format!("{event} "))),
            "--help lacks the event {event}"
        );
    }
    for codes in section("### Exit codes") {
        for code in codes.split(" / ") {
            assert!(
                help.lines()
                    .any(|l| l.trim_start().starts_with(code) || l.contains(&format!("; {code}:"))),
                "--help lacks the exit code {code}"
            );
        }
    }
    assert!(help.contains("Examples:") && help.contains("HOST is [user@]host"));
}

#[test]
fn help_wraps_to_the_terminal() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["status", "--help"],
        &["containers", "--help"],
    ] {
        let out = Command::new(BIN).args(args).env("COLUMNS", "70").output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let long: Vec<&str> = text.lines().filter(|l| l.chars().count() > 70).collect();
        assert!(long.is_empty(), "{args:?} has lines over 70 columns: {long:#?}");
    }
}

#[test]
fn every_command_describes_host() {
    for command in ["status", "doctor", "containers", "collect", "push", "logout"] {
        let out = run(&[command, "--help"]);
        let help = String::from_utf8(out.stdout).unwrap();
        let placeholder = if command == "containers" { "[HOST]" } else { "<HOST>" };
        let described = help.split(placeholder).nth(2).is_some_and(|after| {
            after
                .trim_start_matches(".")
                .trim_start()
                .chars()
                .next()
                .is_some_and(char::is_alphabetic)
        });
        assert!(described, "{command} --help leaves HOST undescribed:\n{help}");
    }
}
