//! The effective configuration of one host, however it was resolved: what the connection
//! needs to know, OpenSSH's `%` tokens in its values, and the name its keys go under.

use std::path::PathBuf;
use std::time::Duration;

use crate::command_line;
use crate::error::ConfigError;
use crate::names::{self, NameError};
use crate::places::{home_dir, local_user};
use crate::settings::Transport;

/// `ConnectTimeout` when the ssh config sets none. OpenSSH waits for the system's TCP timeout
/// (minutes) and then for a banner forever; a tool that may be scripted must not hang.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// OpenSSH's `StrictHostKeyChecking`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrictHostKeyChecking {
    /// Ask on a terminal about unknown keys; refuse without one (OpenSSH's default).
    Ask,
    /// Refuse unknown keys.
    Yes,
    /// Record unknown keys; refuse changed ones.
    AcceptNew,
    /// Record unknown keys without asking (changed keys are still refused here).
    No,
}

impl StrictHostKeyChecking {
    /// A value as `ssh -G` prints it (or a config file gives it).
    pub(crate) fn parse(value: &str) -> Option<Self> {
        Some(match value.to_ascii_lowercase().as_str() {
            "ask" => Self::Ask,
            "yes" | "true" => Self::Yes,
            "accept-new" => Self::AcceptNew,
            "no" | "off" | "false" => Self::No,
            _ => return None,
        })
    }
}

/// Where agent keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityAgent {
    /// `$SSH_AUTH_SOCK` (the default).
    Env,
    /// `IdentityAgent none`.
    None,
    /// A socket path.
    Socket(PathBuf),
}

/// Everything the connection needs to know about one host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostConfig {
    /// The name the user gave.
    pub alias: String,
    /// The name connected to, and (unless HostKeyAlias says otherwise) the name its keys are
    /// recorded under, as in OpenSSH.
    pub hostname: String,
    pub user: String,
    pub port: u16,
    pub identity_files: Vec<PathBuf>,
    /// Identity files named with -i that are not there: ssh -G leaves them out (after a
    /// warning), yet they belong in the list of what was tried.
    pub missing_identities: Vec<PathBuf>,
    pub identities_only: bool,
    pub identity_agent: IdentityAgent,
    pub user_known_hosts: Vec<PathBuf>,
    pub global_known_hosts: Vec<PathBuf>,
    pub host_key_alias: Option<String>,
    pub strict: StrictHostKeyChecking,
    pub hash_known_hosts: bool,
    pub batch_mode: bool,
    pub connect_timeout: Option<Duration>,
    pub server_alive_interval: Option<Duration>,
    pub server_alive_count_max: usize,
    /// Options this tool does not act on yet, to be refused or reported.
    pub proxy_jump: Option<String>,
    pub proxy_command: Option<String>,
    /// How many jump hosts lead to this one.
    pub jump_depth: u8,
    /// The `-F` file this was resolved from, for resolving jump hosts the same way.
    pub config_file: Option<PathBuf>,
    /// `SetEnv` pairs to send on session channels.
    pub set_env: Vec<(String, String)>,
    /// `SendEnv` patterns: local variables to send on session channels.
    pub send_env: Vec<String>,
    /// `PreferredAuthentications`, in order (empty: OpenSSH's default order).
    pub preferred_auth: Vec<String>,
    /// `CertificateFile`s.
    pub certificate_files: Vec<PathBuf>,
    /// Set when `ssh -G` could not be used: why, for a note at -v.
    pub fallback_reason: Option<String>,
    /// Options set away from their defaults that this tool does not act on
    /// (`forwardagent yes`, ...), reported once at -v.
    pub ignored: Vec<String>,
    /// Which client the user asked for (`--ssh`).
    pub transport: Transport,
    /// How to run the user's `ssh` for this host: set where `ssh -G` resolved the config.
    pub openssh: Option<OpenSshArgs>,
    /// Keywords, with their values, that only OpenSSH acts on (`PKCS11Provider ...`).
    pub needs_openssh: Vec<String>,
    /// `GSSAPIAuthentication yes`: only OpenSSH does it, and only with a Kerberos ticket at
    /// hand is it worth choosing OpenSSH for (Debian's own ssh_config sets it for every host).
    pub gssapi: bool,
    /// `ControlPath`, tokens expanded (by `ssh -G`): where a master of the user's may listen.
    pub control_path: Option<PathBuf>,
    /// `KexAlgorithms`, `Ciphers`, `MACs`, `HostKeyAlgorithms`, where the config gave them.
    pub algorithms: Algorithms,
}

/// The command line that reproduces the user's for `ssh`: `-F -l -p -i -o -J` as given, then
/// the host as given (OpenSSH resolves the rest itself, exactly as `ssh -G` did).
#[derive(Debug, Clone, PartialEq)]
pub struct OpenSshArgs {
    pub args: Vec<std::ffi::OsString>,
    pub destination: String,
}

/// Algorithm lists from the config, in its order; `None` where it said nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Algorithms {
    pub kex: Option<Vec<String>>,
    pub ciphers: Option<Vec<String>>,
    pub macs: Option<Vec<String>>,
    pub host_key: Option<Vec<String>>,
}

impl HostConfig {
    /// `alias` with OpenSSH's defaults, before anything of a config is read.
    pub(crate) fn empty(alias: &str) -> Self {
        Self {
            alias: alias.to_owned(),
            hostname: alias.to_owned(),
            user: local_user(),
            port: 22,
            identity_files: Vec::new(),
            missing_identities: Vec::new(),
            identities_only: false,
            identity_agent: IdentityAgent::Env,
            user_known_hosts: Vec::new(),
            global_known_hosts: Vec::new(),
            host_key_alias: None,
            strict: StrictHostKeyChecking::Ask,
            hash_known_hosts: false,
            batch_mode: false,
            connect_timeout: None,
            server_alive_interval: None,
            server_alive_count_max: 3,
            proxy_jump: None,
            proxy_command: None,
            jump_depth: 0,
            config_file: None,
            set_env: Vec::new(),
            send_env: Vec::new(),
            preferred_auth: Vec::new(),
            certificate_files: Vec::new(),
            fallback_reason: None,
            ignored: Vec::new(),
            transport: Transport::Auto,
            openssh: None,
            needs_openssh: Vec::new(),
            gssapi: false,
            control_path: None,
            algorithms: Algorithms::default(),
        }
    }

    /// OpenSSH's `%` tokens (`%h %p %r %n %u %d %%`), as in IdentityFile: paths, no shell.
    pub fn expand_tokens(&self, text: &str) -> Result<String, ConfigError> {
        self.expand(text, false)
    }

    /// The `%` tokens of a command `/bin/sh` will run (ProxyCommand; on Windows the command is
    /// split into arguments instead, see [`command_line`]). Defence in depth behind
    /// the checks made before the config was read: whatever path a name took (an OpenSSH
    /// client older than 9.6 behind `ssh -G`, a HostName or User from the config), `%h` and
    /// `%n` must pass OpenSSH's host name rules and `%r` its user name rules here, and a name
    /// holding anything a shell treats specially (`*`, `~`, `\`, a space...) goes in as one
    /// quoted word.
    pub fn expand_for_shell(&self, text: &str) -> Result<String, ConfigError> {
        self.expand(text, true)
    }

    fn expand(&self, text: &str, shell: bool) -> Result<String, ConfigError> {
        let name = |value: &str, check: fn(&str, Option<&str>) -> Result<(), NameError>| {
            if !shell {
                return Ok(value.to_owned());
            }
            check(value, Some("in a ProxyCommand"))?;
            // Windows runs a ProxyCommand with no shell: only its argument splitting applies.
            Ok::<_, ConfigError>(if cfg!(windows) {
                command_line::word(value)
            } else {
                names::shell_word(value)
            })
        };
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('%') => out.push('%'),
                Some('h') => out.push_str(&name(&self.hostname, names::check_host)?),
                Some('p') => out.push_str(&self.port.to_string()),
                Some('r') => out.push_str(&name(&self.user, names::check_user)?),
                Some('n') => out.push_str(&name(&self.alias, names::check_host)?),
                Some('u') => out.push_str(&local_user()),
                Some('d') => out.push_str(&home_dir().to_string_lossy()),
                Some(other) => {
                    return Err(ConfigError::BadValue {
                        key: "a % token",
                        value: format!("{text} (%{other} is not supported)"),
                    });
                }
                None => {
                    return Err(ConfigError::BadValue {
                        key: "a % token",
                        value: text.to_owned(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// The name this host's keys are recorded under in known_hosts: `host`, or `[host]:port`
    /// when the port is not 22.
    pub fn known_hosts_name(&self) -> String {
        let host = self
            .host_key_alias
            .as_deref()
            .unwrap_or(&self.hostname)
            .to_ascii_lowercase();
        if self.port == 22 || self.host_key_alias.is_some() {
            host
        } else {
            format!("[{host}]:{}", self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_ssh_g;

    #[test]
    fn proxy_command_tokens() {
        let text = "hostname real.example\nport 2222\nuser bob\n";
        let config = parse_ssh_g("alias", text, std::path::Path::new("/home/me")).unwrap();
        let expanded = config.expand_tokens("ssh -W %h:%p -l %r jump # %n 100%%").unwrap();
        assert_eq!(expanded, "ssh -W real.example:2222 -l bob jump # alias 100%");
        assert!(config.expand_tokens("nc %Z").is_err());
        assert_eq!(
            config.expand_for_shell("ssh -W %h:%p -l %r jump # %n").unwrap(),
            "ssh -W real.example:2222 -l bob jump # alias"
        );
    }

    /// Defence in depth: a name that reached the config's result unchecked (an OpenSSH client
    /// older than 9.6 behind `ssh -G`, a HostName or User in the config) is refused before a
    /// shell sees it; a legal but unusual one goes in as one quoted word.
    #[test]
    fn names_reach_a_proxy_command_checked_and_quoted() {
        let home = std::path::Path::new("/home/me");
        for (alias, text) in [
            ("$(touch${IFS}/tmp/x)", "port 22\nuser bob\n"),
            ("ok", "hostname `id`\nuser bob\n"),
            ("ok", "hostname ok\nuser a;id\n"),
        ] {
            let config = parse_ssh_g(alias, text, home).unwrap();
            let refused = config.expand_for_shell("nc %h %p # %r %n");
            assert!(
                matches!(refused, Err(ConfigError::Name(_))),
                "{alias} {text}: {refused:?}"
            );
            // Tokens the command does not hold are not checked.
            assert!(config.expand_for_shell("nc gateway %p").is_ok());
        }
        let config = parse_ssh_g("h", "hostname h\nuser CORP\\al ice\n", home).unwrap();
        let command = config.expand_for_shell("nc %h %p -u %r").unwrap();
        if cfg!(windows) {
            // No shell on Windows: one word of the command line, split back as it was.
            assert_eq!(command, "nc h 22 -u \"CORP\\al ice\"");
            assert_eq!(crate::command_line::split(&command)[4], "CORP\\al ice");
        } else {
            assert_eq!(command, "nc h 22 -u 'CORP\\al ice'");
        }
    }
}
