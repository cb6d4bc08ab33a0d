//! The remote side of codex-remote-login: a POSIX `sh` shim, embedded in the binary and sent
//! over the SSH exec channel, so nothing but codex and a shell is needed on the host.
//!
//! The shim's stdout speaks [`codex_remote_login_shared::protocol`]; codex's own output (the
//! authorize URL among it) arrives on the channel's stderr.
//!
//! Where to look: [`Launch`] says what one run does (a [`Job`]) and becomes the program: the
//! common part, then the job's files, as `job.rs` lists them and `pieces.rs` puts them
//! together. Each shell file's header says what it is for, what it needs and what it
//! provides; ARCHITECTURE.md is the map.
#![forbid(unsafe_code)]

mod engine;
#[cfg(test)]
mod headers;
pub mod job;
mod pieces;
mod to_shim;

use base64::Engine as _;
pub use codex_remote_login_shared::protocol::RelayTool;
pub use engine::{ContainerRef, Engine};
use job::PARAMETERS;
pub use job::{CaBundle, Job, LoginMethod, OneJob, Running, Selection, common};
pub use to_shim::ToShim;

use pieces::Piece::{self, Run};

/// The relay: one exec per browser connection where forwarding is forbidden.
fn relay() -> String {
    pieces::assemble(&[Run(pieces::RELAY)])
}

/// Runs a program (the shim, a relay) inside a container on the host.
fn inside_program() -> String {
    pieces::assemble(&[Run(pieces::ENGINE), Run(pieces::INSIDE)])
}

/// Where codex is on the host: `--codex` and `--codex-home`, when given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodexAt {
    /// The codex to run instead of searching for one.
    pub path: Option<String>,
    /// The remote `CODEX_HOME`.
    pub home: Option<String>,
}

/// One run of the shim: a job ([`job`]), whose type fixes the events its shim speaks.
#[derive(Debug, Clone)]
pub struct Launch<J = Job> {
    pub codex: CodexAt,
    pub job: J,
    /// `--login-inside`: run the shim inside this container on the host, not on the host.
    pub inside: Option<ContainerRef>,
}

impl<J: Clone + Into<Job>> Launch<J> {
    /// The shim with its parameters, as a POSIX sh program: the common part and the job's.
    /// Every parameter is set, empty when not given, so that none comes from the session's
    /// environment.
    pub fn script(&self) -> String {
        let any: Job = self.job.clone().into();
        let job = any.vars();
        let mut vars = vec![
            ("CRL_MODE", Some(any.mode())),
            ("CRL_CODEX", self.codex.path.as_deref()),
            ("CRL_CODEX_HOME", self.codex.home.as_deref()),
            // Inside a container the login a sign-in replaces may be a copy of the host's:
            // set aside, never revoked.
            ("CRL_SET_ASIDE", self.inside.is_some().then_some("1")),
        ];
        vars.extend(job.iter().map(|(name, value)| (*name, value.as_deref())));
        // What the job does not set is set empty.
        let unset = PARAMETERS
            .iter()
            .filter(|name| !job.iter().any(|(set, _)| set == *name));
        vars.extend(unset.map(|name| (*name, None)));
        let mut script = program(&vars, &common());
        script.push_str(&any.part());
        match &self.inside {
            Some(container) => inside(container, &script),
            None => script,
        }
    }

    /// The exec request's command line.
    pub fn command_line(&self) -> String {
        command_line(&self.script())
    }
}

/// The programs the shim hands to the shells of containers, by the variable that carries
/// each: inside the shim they are quoted text, so shellcheck reads them here, each alone.
pub fn carried() -> Vec<(String, &'static str)> {
    let mut carried: Vec<(String, &'static str)> = Vec::new();
    for (_, part) in job::PARTS {
        for piece in part {
            if let Piece::Carried(file) | Piece::Text(file) = piece
                && !carried.iter().any(|(var, _)| *var == file.var())
            {
                carried.push((file.var(), file.body()));
            }
        }
    }
    carried
}

/// One relay connection to `port` on the host's loopback (or, `inside` a container, on the
/// container's), through `tool`.
#[derive(Debug, Clone, Copy)]
pub struct Relay<'a> {
    pub tool: RelayTool,
    pub port: u16,
    pub inside: Option<&'a ContainerRef>,
}

impl Relay<'_> {
    pub fn command_line(&self) -> String {
        command_line(&self.program())
    }

    /// The relay with its parameters, as a POSIX sh program.
    fn program(&self) -> String {
        let port = self.port.to_string();
        let relay = program(
            &[("CRL_RELAY", Some(self.tool.as_str())), ("CRL_PORT", Some(&port))],
            &relay(),
        );
        match self.inside {
            Some(container) => inside(container, &relay),
            None => relay,
        }
    }
}

/// `body` run inside `container` on the host. The program travels as an argument of the
/// engine's exec (visible in `ps`, as the command line is): it never holds a secret, which
/// comes on stdin.
fn inside(container: &ContainerRef, body: &str) -> String {
    program(
        &[
            ("CRL_INSIDE", Some(&container.name)),
            ("CRL_ENGINE", container.engine.map(Engine::name)),
            ("CRL_INNER", Some(body)),
        ],
        &inside_program(),
    )
}

/// `body` preceded by `NAME='value'` lines, in a group that tells shellcheck (which `.ci/run`
/// runs on the programs as sent) what is meant: every parameter is set, though a job reads
/// only its own, and a value's leading `~` is for the shim to expand, not the shell.
fn program(vars: &[(&str, Option<&str>)], body: &str) -> String {
    let mut script = String::from("# shellcheck disable=SC2034,SC2088\n{\n");
    for (name, value) in vars {
        script.push_str(&format!("{name}={}\n", sh_quote(value.unwrap_or(""))));
    }
    script.push_str("}\n");
    script.push_str(body);
    script
}

/// The exec request's command line for a POSIX sh program.
///
/// The user's login shell parses it first, and that may be bash, zsh, fish, csh or tcsh.
/// The program therefore travels base64-encoded inside one single-quoted word that holds no
/// `\`, `'` or `!`: every one of those shells passes such a word through untouched.
/// `base64 -D` is the spelling of older macOS.
pub fn command_line(script: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(script);
    format!("sh -c 'eval \"$(echo {encoded}|(base64 -d 2>/dev/null||base64 -D))\"'")
}

/// Quotes a value for POSIX sh: `'...'` with each `'` written as `'\''`.
pub fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn command_line_survives_shells_untouched() {
        let line = Launch {
            codex: CodexAt {
                path: Some("/it's here".into()),
                home: None,
            },
            job: job::Status,
            inside: None,
        }
        .command_line();
        let word = line.strip_prefix("sh -c ").unwrap();
        assert!(word.starts_with('\'') && word.ends_with('\''));
        let inner = &word[1..word.len() - 1];
        assert!(!inner.contains(['\'', '\\', '!', '\n']), "{inner}");
    }

    #[test]
    fn parameters_are_quoted() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
        let script = Launch {
            codex: CodexAt {
                path: Some("/x'; rm -rf /".into()),
                home: None,
            },
            job: job::SignIn {
                method: LoginMethod::Device,
                ca: Some(CaBundle::OnHost("/etc/ssl/corp.pem".into())),
                skip_logged_in: false,
            },
            inside: None,
        }
        .script();
        assert!(
            script.contains("{\nCRL_MODE='device'\nCRL_CODEX='/x'\\''; rm -rf /'\n"),
            "{script}"
        );
        assert!(
            script.contains("\nCRL_CA_SIZE=''\nCRL_CA_PATH='/etc/ssl/corp.pem'\n"),
            "{script}"
        );
        // What the job does not set is set empty: nothing comes from the session's environment.
        assert!(script.contains("\nCRL_FORCE=''\n"), "{script}");
    }

    /// Why `shell` could not be run. A missing shell fails the test rather than skipping it:
    /// a check that silently does not run proves nothing (scripts/test installs them all).
    fn missing(shell: &str, e: &std::io::Error) -> String {
        let package = match shell {
            "busybox" => "busybox-static",
            "sh" => "dash",
            other => other,
        };
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "{shell} is not installed: the shim must run under it (install the `{package}` package; scripts/test does)"
            )
        } else {
            format!("{shell}: {e}")
        }
    }

    /// The shim's and the relay's syntax under every POSIX shell the shim must run under:
    /// every file alone, and every program as it is put together.
    #[test]
    fn programs_parse_under_posix_shells() {
        let mut programs: Vec<(String, String)> = pieces::ALL
            .iter()
            .map(|file| (file.path.to_owned(), file.text.to_owned()))
            .collect();
        programs.push(("the common part".into(), common()));
        for (name, part) in job::PARTS {
            programs.push((format!("the {name} part"), pieces::assemble(part)));
        }
        programs.push(("the relay".into(), relay()));
        programs.push(("the program into a container".into(), inside_program()));
        for shell in ["sh", "dash", "bash", "busybox"] {
            for (name, program) in &programs {
                let mut cmd = Command::new(shell);
                if shell == "busybox" {
                    cmd.arg("sh");
                }
                match cmd.arg("-n").arg("-c").arg(program).status() {
                    Ok(status) => assert!(status.success(), "{shell} rejects {name}"),
                    Err(e) => panic!("{}", missing(shell, &e)),
                }
            }
        }
    }

    const CODES: &str = pieces::CODES.text;
    const COMMON: &str = pieces::COMMON.text;
    const REFRESHED: &str = pieces::REFRESHED.text;
    const SAFE: &str = pieces::SAFE.text;
    const AUTHJSON: &str = pieces::AUTHJSON.text;

    /// Every POSIX shell on this machine, as a command to run a program with `-c`.
    fn shells() -> Vec<Command> {
        ["sh", "dash", "bash", "busybox"]
            .into_iter()
            .filter(|shell| Command::new(shell).arg("-c").arg("true").output().is_ok())
            .map(|shell| {
                let mut cmd = Command::new(shell);
                if shell == "busybox" {
                    cmd.arg("sh");
                }
                cmd
            })
            .collect()
    }

    fn run(mut cmd: Command, program: &str, dir: &std::path::Path) -> String {
        let out = cmd.arg("-c").arg(program).current_dir(dir).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("crl-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// No text from a container or a host file can start an event line of its own: `say`
    /// turns line ends into spaces, whatever calls it (other controls reach the local side,
    /// which shows them escaped).
    #[test]
    fn say_cannot_be_made_to_forge_an_event() {
        let say = COMMON.lines().find(|l| l.starts_with("say()")).unwrap();
        let say = &COMMON[COMMON.find(say).unwrap()..];
        let say = &say[..say.find("\n}\n").unwrap() + 3];
        let program = format!(
            "{say}\nnl='\n'; cr=$(printf '\\r'); say ctr-failed web \"x${{nl}}crl1 col-took web /evil${{cr}}\"; say ok 'é é'"
        );
        let dir = scratch("say");
        for shell in shells() {
            let out = run(shell, &program, &dir);
            assert_eq!(out, "crl1 ctr-failed web x crl1 col-took web /evil \ncrl1 ok é é\n");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The host codex's policy is read from config.toml by a fixed grammar under every POSIX
    /// shell: top-level keys only, plain strings (or a one-line list for the workspace), and
    /// nothing evaluated.
    #[test]
    fn policy_is_read_strictly_under_posix_shells() {
        let start = COMMON.find("config_policy() {").unwrap();
        let function = &COMMON[start..];
        let function = &function[..function.find("\n}\n").unwrap() + 3];
        let cases = [
            ("forced_login_method = \"api\" # the admin's\n", "api -"),
            (
                "forced_chatgpt_workspace_id = [ \"ws-1\", \"ws-2\", ]\nforced_login_method=\"chatgpt\"\n",
                "chatgpt ws-1,ws-2",
            ),
            ("x = 1\n[profiles.a]\nforced_login_method = \"api\"\n", "- -"),
            (
                "forced_login_method = \"$(touch owned)\"\nforced_chatgpt_workspace_id = 'ws'\n",
                "- -",
            ),
            ("forced_login_method = \"api\\\"\"\n", "- -"),
        ];
        let dir = scratch("policy");
        for shell in shells() {
            for (text, want) in cases {
                std::fs::write(dir.join("config.toml"), text).unwrap();
                let out = run(shell_named(&shell), &format!("{function}\nhome=.; config_policy"), &dir);
                assert_eq!(out.trim_end(), want, "{text:?}");
            }
            assert!(!dir.join("owned").exists(), "a value was evaluated");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// One container's record of `engine_state` is read strictly under every POSIX shell: a
    /// running flag and a plain user, or a failure naming the user as the engine wrote it
    /// (JSON: escaped line ends and controls); nothing of one record reaches another.
    #[test]
    fn container_records_are_strict_under_posix_shells() {
        let engines = pieces::ENGINES.text;
        let start = engines.find("state_of() {").unwrap();
        let function = &engines[start..];
        let function = &function[..function.find("\n}\n").unwrap() + 3];
        let cases = [
            (r#"0123456789ab true "dev""#, "ok true dev"),
            (r#"0123456789abcdef0123456789abcdef false """#, "ok false root"),
            (r#"0123456789ab true "1000:1000""#, "ok true 1000:1000"),
            (r#"0123456789ab false "app.user_1-x""#, "ok false app.user_1-x"),
            (
                r#"0123456789ab false "evil\nroot""#,
                r#"no its configured user "evil\nroot" holds whitespace or a control character: nothing is run as it"#,
            ),
            (
                r#"0123456789ab true "dev root""#,
                r#"no its configured user "dev root" holds whitespace or a control character: nothing is run as it"#,
            ),
            (
                r#"0123456789ab true "a\u001b]0;x""#,
                r#"no its configured user "a\u001b]0;x" holds whitespace or a control character: nothing is run as it"#,
            ),
            (
                r#"0123456789ab true "--privileged""#,
                r#"no its configured user "--privileged" is not a plain user name: nothing is run as it"#,
            ),
            (
                r#"0123456789ab true "$(id)""#,
                r#"no its configured user "$(id)" is not a plain user name: nothing is run as it"#,
            ),
            (
                "0123456789ab true dev",
                "no docker answered something unexpected about it",
            ),
            (
                r#"0123456789ab maybe "dev""#,
                "no docker answered something unexpected about it",
            ),
            (r#"true "dev""#, "no docker answered something unexpected about it"),
            (r#"0123 true "dev""#, "no docker answered something unexpected about it"),
            (
                r#"0123456789aZ true "dev""#,
                "no docker answered something unexpected about it",
            ),
            ("", "no docker answered something unexpected about it"),
        ];
        let dir = scratch("records");
        for shell in shells() {
            for (record, want) in cases {
                let program = format!(
                    "{function}\ne=docker\nif state_of \"$1\"; then printf 'ok %s %s\\n' \"$running\" \"$user\"; else printf 'no %s\\n' \"$why\"; fi"
                );
                let mut cmd = shell_named(&shell);
                let out = cmd
                    .arg("-c")
                    .arg(&program)
                    .arg("sh")
                    .arg(record)
                    .current_dir(&dir)
                    .output()
                    .unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&out.stdout).trim_end(),
                    want,
                    "{:?} {record:?}",
                    shell.get_program()
                );
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn shell_named(cmd: &Command) -> Command {
        let mut again = Command::new(cmd.get_program());
        again.args(cmd.get_args());
        again
    }

    /// The three JSON readers of `collect` agree, field for field, and refuse the same files:
    /// a nested decoy `account_id` is not the login's, a newline in a value refuses the file.
    #[test]
    fn auth_json_readers_agree() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let jwt = |claims: &str| format!("h.{}.s", URL_SAFE_NO_PAD.encode(claims));
        let auth = r#""https://api.openai.com/auth":{"chatgpt_user_id":"user-1","chatgpt_account_id":"acct-1"}"#;
        let id = jwt(&format!(r#"{{"sub":"sub-1","email":"é@b.c",{auth}}}"#));
        let access = jwt(&format!(r#"{{"sub":"sub-1",{auth}}}"#));
        let files = [
            format!(
                r#"{{"auth_mode":"chatgpt","OPENAI_API_KEY":null,"tokens":{{"id_token":"{id}","access_token":"{access}","refresh_token":"r","account_id":"acct-1"}},"zz":{{"account_id":"acct-2"}},"last_refresh":"2026-01-02T03:04:05.123456789Z"}}"#
            ),
            r#"{"OPENAI_API_KEY":"sk-1","last_refresh":"2099-01-01T00:00:00+02:00"}"#.to_owned(),
            r#"{"tokens":{"id_token":"not.a-jwt","account_id":"acct-1"},"last_refresh":"2026-01-01 00:00:00-01:30"}"#
                .to_owned(),
            "{\"auth_mode\":\"chatgpt\\ncrl1 x\",\"tokens\":{}}".to_owned(),
            "[1]".to_owned(),
            r#"{"tokens":"x"}"#.to_owned(),
            r#"{"tokens":{"account_id":"#.to_owned(),
        ];
        let dir = scratch("authjson");
        for (i, text) in files.iter().enumerate() {
            std::fs::write(dir.join(i.to_string()), text).unwrap();
        }
        let expected = "chatgpt - 1767323045123456 2026-01-02T03:04:05.123456789Z ok acct-1 sub-1 user-1 acct-1 é@b.c sub-1 user-1 acct-1 yes\n\
            apikey sk-1 4070901600000000 2099-01-01T00:00:00+02:00 future - - - - - - - - -\n\
            chatgpt - 1767231000000000 2026-01-01 00:00:00-01:30 ok acct-1 - - - - - - - -\n\
            refused\nrefused\nrefused\nrefused\n";
        for tool in ["py", "node", "perl"] {
            let program = format!(
                "{AUTHJSON}\nfor f in 0 1 2 3 4 5 6; do if v=$(fields_{tool} $f); then echo $v; else echo refused; fi; done"
            );
            // The readers are programs of their own: the shell around them is not what varies.
            let out = run(Command::new("sh"), &program, &dir);
            assert_eq!(out, expected, "{tool}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The checks before a login is written: a private directory of this user's, no links,
    /// the three newest backups kept, backups named in the order they are made.
    #[test]
    fn safe_writes_under_posix_shells() {
        let dir = scratch("safe");
        let program = format!(
            "exec 2>&1
{CODES}
{SAFE}
mkdir -m 700 own && (cd own && private_here && echo own-ok)
mkdir -m 775 open && (cd open && private_here || echo open-refused)
mkdir -m 1777 sticky && (cd sticky && private_here && echo sticky-ok)
ln -s own link && (cd -P link && private_here && echo link-to-own-ok)
(cd own && ln -s /nowhere auth.json && {{ no_links auth.lock auth.json || echo link-refused; }})
cd own && for s in 1 2 3 4 5; do : >auth.json.bak-2026010100000$s-x; done
ln -s /nowhere auth.json.bak-20250101000000-z
prune_backups auth.json.bak-20260101000001-x; echo auth.json.bak-*
: >auth.json.bak-20260101000009-00-x; : >auth.json.bak-20260101000009-07-y; backup_name 20260101000009; echo; backup_name 20260101000010; echo
exec 8>>auth.lock 9>>auth.json.lock; take_lock; echo locked $?
exec 8>&- 9>&-
mkdir perl-only python-only none
ln -s \"$(command -v perl)\" perl-only/perl; ln -s \"$(python3 -c 'import sys; print(sys.executable)')\" python-only/python3
for tool in perl-only python-only none; do
    (PATH=$PWD/$tool; exec 8>>auth.lock 9>>auth.json.lock; take_lock; echo $tool $?)
done"
        );
        for shell in shells() {
            let _ = std::process::Command::new("rm").arg("-rf").arg(&dir).status();
            std::fs::create_dir_all(&dir).unwrap();
            let out = run(shell, &program, &dir);
            let out = out.replace(dir.to_str().unwrap(), "");
            let out: Vec<&str> = out.lines().collect();
            assert_eq!(
                out,
                [
                    "own-ok",
                    "/open is writable by other users (chmod go-w /open)",
                    "open-refused",
                    "sticky-ok",
                    "link-to-own-ok",
                    "/own/auth.json is a symbolic link: nothing is written through it",
                    "link-refused",
                    "auth.json.bak-20250101000000-z auth.json.bak-20260101000001-x auth.json.bak-20260101000004-x auth.json.bak-20260101000005-x",
                    "20260101000009-08",
                    "20260101000010-00",
                    "locked 0",
                    "perl-only 0",
                    "python-only 0",
                    "none 3",
                ]
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// `refreshed` reads codex's last_refresh with builtins alone, and `later` compares two
    /// of them, under every POSIX shell the shim must run under.
    #[test]
    fn refresh_times_under_posix_shells() {
        let dir = std::env::temp_dir().join(format!("crl-refreshed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cases = [
            (
                r#"{"last_refresh":"2026-01-02T03:04:05.123456Z","tokens":{}}"#,
                "20260102030405",
            ),
            (
                "{\n  \"tokens\": {},\n  \"last_refresh\" : \"2026-11-25T19:00:00Z\"\n}\n",
                "20261125190000",
            ),
            (r#"{"last_refresh":"2026-01-02T03:04:05+00:00"}"#, "20260102030405"),
            (r#"{"last_refresh": null, "x": "2026-01-01T00:00:00Z"}"#, "-"),
            (r#"{"OPENAI_API_KEY":"sk"}"#, "-"),
            (r#"{"last_refresh":"soon"}"#, "-"),
        ];
        for (i, (text, _)) in cases.iter().enumerate() {
            std::fs::write(dir.join(i.to_string()), text).unwrap();
        }
        let program = format!(
            "{REFRESHED}\nfor f in 0 1 2 3 4 5; do refreshed \"$f\"; echo \"$at\"; done
for p in '20260102030405 20260102030404' '20260102030404 20260102030405' '20260102030405 20260102030405' \\
    '20260103000000 20260102235959' '20260101090000 20260101080000'; do
    set -- $p; if later \"$1\" \"$2\"; then echo later; else echo no; fi
done"
        );
        let mut expected: Vec<&str> = cases.iter().map(|(_, at)| *at).collect();
        expected.extend(["later", "no", "no", "later", "later"]);
        for shell in ["sh", "dash", "bash", "busybox"] {
            let mut cmd = Command::new(shell);
            if shell == "busybox" {
                cmd.arg("sh");
            }
            match cmd.arg("-c").arg(&program).current_dir(&dir).output() {
                Ok(out) => assert_eq!(
                    String::from_utf8_lossy(&out.stdout).lines().collect::<Vec<_>>(),
                    expected,
                    "{shell}: {}",
                    String::from_utf8_lossy(&out.stderr)
                ),
                Err(e) => panic!("{}", missing(shell, &e)),
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
