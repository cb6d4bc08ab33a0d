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
    // A command's whole description, not only its line in -h.
    assert!(
        man.contains("collect only from containers you trust"),
        "collect's detail"
    );
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

/// The commands, each with its own `-h`.
const COMMANDS: [&str; 7] = ["status", "doctor", "containers", "keeper", "collect", "logout", "push"];

/// Two 24-line screens: as much as `-h` may take, the tool's or a command's.
const SHORT_HELP_LINES: usize = 48;

/// The width clap renders help at with no terminal and no COLUMNS (`max_term_width`).
const HELP_WIDTH: usize = 100;

/// `-h` of the tool (`command` None) or of a command, at the fixed width.
fn short_help(command: Option<&str>) -> String {
    let out = Command::new(BIN)
        .args(command.into_iter().chain(["-h"]))
        .env_remove("COLUMNS")
        .output()
        .expect("run the binary");
    assert!(out.status.success(), "{command:?} -h");
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Every place with a `-h`: the tool, then each command.
fn every_short_help() -> impl Iterator<Item = (&'static str, String)> {
    std::iter::once("codex-remote-login")
        .chain(COMMANDS)
        .map(|name| (name, short_help(COMMANDS.contains(&name).then_some(name))))
}

/// `-h` reads at a glance: its summary, each command and each option on one line of its own
/// (the detail is for `--help`). A line clap wrapped shows as one indented past an entry's
/// start: two spaces, or six before a long option that has no short one.
#[test]
fn short_help_gives_each_command_and_option_one_line() {
    for (name, help) in every_short_help() {
        let lines: Vec<&str> = help.lines().collect();
        let long: Vec<&&str> = lines.iter().filter(|l| l.chars().count() > HELP_WIDTH).collect();
        assert!(
            long.is_empty(),
            "{name} -h has lines over {HELP_WIDTH} columns: {long:#?}"
        );
        assert!(
            !lines[0].is_empty() && lines[1].is_empty(),
            "{name} -h: the summary is more than one line:\n{help}"
        );
        let mut in_usage = false;
        for line in &lines[2..] {
            if line.starts_with("Usage:") {
                in_usage = true;
            }
            if line.is_empty() {
                in_usage = false;
            }
            if in_usage || line.is_empty() || (!line.starts_with(' ') && line.ends_with(':')) {
                continue;
            }
            let entry = line
                .strip_prefix("      --")
                .or_else(|| line.strip_prefix("  ").filter(|rest| !rest.starts_with(' ')));
            assert!(
                entry.is_some_and(|entry| entry.trim().contains("  ")),
                "{name} -h: an entry takes more than one line, or has no description: {line:?}\n{help}"
            );
        }
    }
}

/// The tool's `-h`, and each command's, fit in two screens.
#[test]
fn short_help_fits_two_screens() {
    for (name, help) in every_short_help() {
        let count = help.lines().count();
        assert!(
            count <= SHORT_HELP_LINES,
            "{name} -h is {count} lines, more than {SHORT_HELP_LINES}: make entries terser, or \
             leave a rarely needed option to --help (hide_short_help)\n{help}"
        );
    }
}

/// What `-h` leaves out is in `--help`: each command's description goes on past the one line
/// that `-h` shows (and the options `-h` leaves out keep a long help: `cli.rs`).
#[test]
fn long_help_keeps_each_commands_detail() {
    for command in COMMANDS {
        let help = String::from_utf8(run(&[command, "--help"]).stdout).unwrap();
        let about = help.split("\nUsage:").next().unwrap().trim();
        assert!(
            about.contains("\n\n"),
            "{command} --help has only the line -h shows:\n{help}"
        );
    }
}

/// The README's tables of options name what `--help` offers: an option added to one and not
/// the other, or renamed in one, fails here. (--generate has the README's list of commands.)
#[test]
fn readme_option_tables_match_the_help() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let start = readme.find("## Commands and options").expect("README has its options");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |end| end + 3)];
    // `--color auto\|always\|never`, `-p PORT`, `-l USER`, `-v`, `-vv`: the options' names.
    let name = |word: &str| -> String {
        match word.strip_prefix("--") {
            Some(long) => format!(
                "--{}",
                long.split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
                    .next()
                    .unwrap()
            ),
            None => word.chars().take(2).collect(),
        }
    };
    let readme_names: Vec<String> = section
        .lines()
        .filter(|l| l.starts_with("| `-"))
        .flat_map(|l| {
            let cell = l.replace("\\|", "/");
            let cell = cell.split('|').nth(1).unwrap().to_owned();
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(|code| name(code.split_whitespace().next().unwrap()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(readme_names.len() > 20, "{readme_names:?}");
    let out = run(&["--help"]);
    let help = String::from_utf8(out.stdout).unwrap();
    let entries: Vec<Vec<String>> = help
        .lines()
        // An option's first line, indented as clap indents it: not a possible value's (`- man`).
        .filter(|l| l.starts_with("  -") || l.starts_with("      --"))
        .map(str::trim_start)
        .map(|l| {
            l.split(", ")
                .map(|word| name(word.split_whitespace().next().unwrap()))
                .collect()
        })
        .filter(|names: &Vec<String>| {
            !names
                .iter()
                .any(|n| ["--help", "--version", "--generate"].contains(&n.as_str()))
        })
        .collect();
    for names in &entries {
        assert!(
            names.iter().any(|n| readme_names.contains(n)),
            "the README's tables lack {names:?}"
        );
    }
    for name in &readme_names {
        assert!(
            entries.iter().any(|names| names.contains(name)),
            "the README's tables name {name}, which --help does not offer"
        );
    }
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
