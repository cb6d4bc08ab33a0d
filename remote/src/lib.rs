//! The remote side of codex-remote-login: a POSIX `sh` shim, embedded in the binary and sent
//! over the SSH exec channel, so nothing but codex and a shell is needed on the host.
//!
//! The shim's stdout speaks [`codex_remote_login_shared::protocol`]; codex's own output (the
//! authorize URL among it) arrives on the channel's stderr.
#![forbid(unsafe_code)]

use base64::Engine as _;
pub use codex_remote_login_shared::protocol::RelayTool;

/// The shim's source.
pub const SHIM: &str = include_str!("shim.sh");

/// The relay's source: one exec per browser connection where forwarding is forbidden.
pub const RELAY: &str = include_str!("relay.sh");

/// What the local side asks of one launch.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// `--codex PATH`: the codex to run instead of searching for one.
    pub codex: Option<String>,
    /// `--codex-home DIR`: the remote `CODEX_HOME`.
    pub codex_home: Option<String>,
    /// Hold this port on the host's loopback while codex starts, so that codex falls back to
    /// its other registered port (the local one is taken).
    pub hold_port: Option<u16>,
}

/// Line the local side writes on the channel's stdin to end `codex login` early. Closing the
/// channel (or losing the connection) does the same.
pub const CANCEL: &str = "cancel\n";

impl Launch {
    /// The shim with its parameters, as a POSIX sh program.
    pub fn script(&self) -> String {
        let hold = self.hold_port.map(|p| p.to_string());
        program(
            &[
                ("CRL_CODEX", self.codex.as_deref()),
                ("CRL_CODEX_HOME", self.codex_home.as_deref()),
                ("CRL_HOLD_PORT", hold.as_deref()),
            ],
            SHIM,
        )
    }

    /// The exec request's command line.
    pub fn command_line(&self) -> String {
        command_line(&self.script())
    }
}

/// One relay connection to `port` on the host's loopback, through `tool`.
#[derive(Debug, Clone, Copy)]
pub struct Relay {
    pub tool: RelayTool,
    pub port: u16,
}

impl Relay {
    pub fn command_line(&self) -> String {
        let port = self.port.to_string();
        command_line(&program(
            &[("CRL_RELAY", Some(self.tool.as_str())), ("CRL_PORT", Some(&port))],
            RELAY,
        ))
    }
}

/// `body` preceded by `NAME='value'` lines.
fn program(vars: &[(&str, Option<&str>)], body: &str) -> String {
    let mut script: String = vars
        .iter()
        .map(|(name, value)| format!("{name}={}\n", sh_quote(value.unwrap_or(""))))
        .collect();
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
            codex: Some("/it's here".into()),
            ..Launch::default()
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
            codex: Some("/x'; rm -rf /".into()),
            ..Launch::default()
        }
        .script();
        assert!(script.starts_with("CRL_CODEX='/x'\\''; rm -rf /'\n"));
    }

    /// The shim's and the relay's syntax under every POSIX shell on this machine.
    #[test]
    fn programs_parse_under_posix_shells() {
        for shell in ["sh", "dash", "bash", "busybox"] {
            for (name, program) in [("shim", SHIM), ("relay", RELAY)] {
                let mut cmd = Command::new(shell);
                if shell == "busybox" {
                    cmd.arg("sh");
                }
                match cmd.arg("-n").arg("-c").arg(program).status() {
                    Ok(status) => assert!(status.success(), "{shell} rejects the {name}"),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => panic!("{shell}: {e}"),
                }
            }
        }
    }
}
