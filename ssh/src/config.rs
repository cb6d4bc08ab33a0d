//! The effective ssh configuration of one host, as the user's OpenSSH would use it.
//!
//! Where an OpenSSH client is installed, `ssh -G` resolves it: Include, Match, Host patterns,
//! first-value-wins, `%` tokens and `-o` overrides come out exactly as `ssh` itself sees
//! them, at the cost of one local process (a few milliseconds, no network). Without one,
//! only the command line and OpenSSH's defaults apply, and the user is told so.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::config_file;
use crate::destination::{Destination, DestinationError};
use crate::error::ConfigError;
use crate::host_config::{HostConfig, IdentityAgent, StrictHostKeyChecking};
use crate::names::{self, NameError};
use crate::places::{expand_tilde, home_dir, system_dir};
use crate::settings::Settings;

/// Resolves the configuration for a host argument, warning about what weakens it.
pub fn for_host(
    host_arg: &str,
    args: &Settings,
    ui: &dyn crate::prompter::Prompter,
) -> Result<HostConfig, crate::error::Error> {
    let dest = Destination::parse(host_arg)?;
    let config = resolve(&dest, args)?;
    check_system_known_hosts(&config)?;
    if let Some(why) = &config.fallback_reason {
        tracing::info!("{why}");
    }
    if !config.ignored.is_empty() {
        tracing::info!(
            "ssh options for {} that a sign-in does not use: {}",
            config.alias,
            config.ignored.join(", ")
        );
    }
    if config.strict == StrictHostKeyChecking::No {
        ui.warn(&format!(
            "StrictHostKeyChecking is off for {}: unknown host keys are accepted without asking",
            config.alias
        ));
    }
    Ok(config)
}

/// The known_hosts files in the system folder (`%PROGRAMDATA%\ssh` on Windows) that exist,
/// checked before any key is looked up in them: one another user planted would pin a host
/// key of theirs. Those elsewhere were named by the user's own config.
fn check_system_known_hosts(config: &HostConfig) -> Result<(), ConfigError> {
    let system = system_dir();
    for file in config.global_known_hosts.iter().chain(&config.user_known_hosts) {
        if file.starts_with(&system) && file.exists() {
            crate::system_files::check(file)?;
        }
    }
    Ok(())
}

/// Options this tool does not act on, with the values (`|`-separated) that change nothing:
/// anything else is reported. Forwardings and agent forwarding belong to interactive
/// sessions, not to a sign-in. (What only OpenSSH acts on is not here: it chooses OpenSSH,
/// see [`needs_openssh`], and `-v` says so.)
const NOTABLE: [(&str, &str); 6] = [
    ("forwardagent", "no"),
    ("forwardx11", "no"),
    ("localforward", ""),
    ("remoteforward", ""),
    ("dynamicforward", ""),
    ("localcommand", ""),
];

/// Refuses the names of the command line that OpenSSH (10.3) refuses before it reads any
/// config: the host and user of `dest`, `-l`, and the hops of `-J` and `-o ProxyJump=`. They
/// may reach a shell through a ProxyCommand's `%h`, `%r` and `%n`, or through `Match exec` in
/// an OpenSSH client older than 9.6 running `ssh -G`.
pub fn check_names(dest: &Destination, args: &Settings) -> Result<(), ConfigError> {
    names::check_host(&dest.host, None)?;
    if let Some(user) = &dest.user {
        names::check_user(user, None)?;
    }
    if let Some(user) = &args.login {
        names::check_user(user, Some("-l"))?;
    }
    if let Some(jumps) = &args.jump {
        check_jumps(jumps, "-J")?;
    }
    for option in &args.options {
        let (key, value) = match option.split_once(['=', ' ', '\t']) {
            Some((key, value)) => (key.trim(), value.trim_start_matches([' ', '\t', '='])),
            None => continue,
        };
        if key.eq_ignore_ascii_case("proxyjump") {
            check_jumps(value, "-o ProxyJump")?;
        }
    }
    Ok(())
}

/// Each hop of a jump list given on the command line (OpenSSH's `parse_jump`, strict).
fn check_jumps(jumps: &str, given: &'static str) -> Result<(), ConfigError> {
    if jumps.eq_ignore_ascii_case("none") {
        return Ok(());
    }
    for hop in jumps.split(',') {
        // A hop of the wrong form is refused where it is parsed for the connection.
        if let Err(DestinationError::Name(e)) = Destination::parse_jump(hop.trim()) {
            return Err(NameError {
                given: Some(given.to_owned()),
                ..e
            }
            .into());
        }
    }
    Ok(())
}

/// Resolves the configuration for `dest` with the command line's options.
pub fn resolve(dest: &Destination, args: &Settings) -> Result<HostConfig, ConfigError> {
    check_names(dest, args)?;
    let home = home_dir();
    let mut cmd = Command::new("ssh");
    cmd.arg("-G");
    if let Some(file) = &args.config {
        cmd.arg("-F").arg(file);
    }
    if let Some(user) = dest.user.as_ref().or(args.login.as_ref()) {
        cmd.arg("-l").arg(user);
    }
    if let Some(port) = dest.port.or(args.port) {
        cmd.arg("-p").arg(port.to_string());
    }
    for id in &args.identity {
        cmd.arg("-i").arg(id);
    }
    for opt in &args.options {
        cmd.arg("-o").arg(opt);
    }
    if let Some(jump) = &args.jump {
        cmd.arg("-J").arg(jump);
    }
    // The same words, without -G, are what an OpenSSH transport runs `ssh` with.
    let ssh_args: Vec<std::ffi::OsString> = cmd.get_args().skip(1).map(ToOwned::to_owned).collect();
    cmd.arg("--").arg(&dest.host);
    let mut config = match cmd.output() {
        Ok(out) if out.status.success() => {
            let mut config = parse_ssh_g(&dest.host, &String::from_utf8_lossy(&out.stdout), &home)?;
            config.openssh = Some(crate::host_config::OpenSshArgs {
                args: ssh_args,
                destination: dest.host.clone(),
            });
            config
        }
        Ok(out) => {
            let message = String::from_utf8_lossy(&out.stderr).trim().to_owned();
            return Err(ConfigError::Ssh {
                host: dest.host.clone(),
                message,
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut config = parse_ssh_g(&dest.host, &config_file::evaluate(dest, args, &home)?, &home)?;
            config.fallback_reason =
                Some("no OpenSSH client here: the ssh configuration was evaluated by this tool".into());
            config
        }
        Err(e) => {
            return Err(ConfigError::Ssh {
                host: dest.host.clone(),
                message: e.to_string(),
            });
        }
    };
    config.config_file = args.config.clone();
    config.missing_identities = args.identity.iter().filter(|f| !f.exists()).cloned().collect();
    if args.accept_new && config.strict != StrictHostKeyChecking::No {
        config.strict = StrictHostKeyChecking::AcceptNew;
        if let Some(openssh) = &mut config.openssh {
            // After the user's own -o, so that their `StrictHostKeyChecking=no` still wins,
            // as it does for the built-in client.
            openssh.args.push("-o".into());
            openssh.args.push("StrictHostKeyChecking=accept-new".into());
        }
    }
    config.transport = args.transport;
    Ok(config)
}

/// Parses the output of `ssh -G`: one `keyword value` per line, keywords in lower case.
pub fn parse_ssh_g(alias: &str, text: &str, home: &Path) -> Result<HostConfig, ConfigError> {
    let mut config = HostConfig::empty(alias);
    let mut identity_files = Vec::new();
    let mut certificate_files = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(' ') else {
            continue;
        };
        let key = key.to_ascii_lowercase();
        let value = value.trim();
        if let Some((_, default)) = NOTABLE.iter().find(|(k, _)| *k == key)
            && !default.split('|').any(|d| d == value)
        {
            config.ignored.push(format!("{key} {value}"));
        }
        match key.as_str() {
            "hostname" => config.hostname = value.to_owned(),
            "user" => config.user = value.to_owned(),
            "port" => config.port = value.parse().map_err(|_| bad("Port", value))?,
            // Tokens are expanded once the host, user and port are known, below.
            "identityfile" => identity_files.push(value.to_owned()),
            "identitiesonly" => config.identities_only = yes(value),
            "identityagent" => {
                config.identity_agent = match value {
                    "none" => IdentityAgent::None,
                    "SSH_AUTH_SOCK" | "$SSH_AUTH_SOCK" => IdentityAgent::Env,
                    path => IdentityAgent::Socket(expand_tilde(path, home)),
                }
            }
            "userknownhostsfile" => config.user_known_hosts = known_hosts_files("UserKnownHostsFile", value, home)?,
            "globalknownhostsfile" => {
                config.global_known_hosts = known_hosts_files("GlobalKnownHostsFile", value, home)?
            }
            "hostkeyalias" => config.host_key_alias = Some(value.to_owned()),
            "stricthostkeychecking" => {
                config.strict =
                    StrictHostKeyChecking::parse(value).ok_or_else(|| bad("StrictHostKeyChecking", value))?
            }
            "hashknownhosts" => config.hash_known_hosts = yes(value),
            "batchmode" => config.batch_mode = yes(value),
            "connecttimeout" => config.connect_timeout = seconds(value),
            "serveraliveinterval" => config.server_alive_interval = seconds(value),
            "serveralivecountmax" => config.server_alive_count_max = value.parse().unwrap_or(3),
            "proxyjump" if value != "none" => config.proxy_jump = Some(value.to_owned()),
            "proxycommand" if value != "none" => config.proxy_command = Some(value.to_owned()),
            "setenv" => {
                if let Some((name, value)) = value.split_once('=') {
                    config.set_env.push((name.to_owned(), value.to_owned()));
                }
            }
            "sendenv" => config.send_env.push(value.to_owned()),
            "preferredauthentications" => config.preferred_auth = value.split(',').map(str::to_owned).collect(),
            "certificatefile" => certificate_files.push(value.to_owned()),
            "controlpath" if value != "none" => config.control_path = Some(PathBuf::from(value)),
            "gssapiauthentication" => config.gssapi = yes(value),
            "kexalgorithms" => config.algorithms.kex = Some(list(value)),
            "ciphers" => config.algorithms.ciphers = Some(list(value)),
            "macs" => config.algorithms.macs = Some(list(value)),
            "hostkeyalgorithms" => config.algorithms.host_key = Some(list(value)),
            _ => {}
        }
        if let Some(need) = needs_openssh(&key, value) {
            config.needs_openssh.push(need);
        }
    }
    let paths = |raw: Vec<String>| -> Result<Vec<PathBuf>, ConfigError> {
        raw.iter()
            .map(|r| Ok(expand_tilde(&config.expand_tokens(r)?, home)))
            .collect()
    };
    let (identity_files, certificate_files) = (paths(identity_files)?, paths(certificate_files)?);
    config.identity_files = identity_files;
    config.certificate_files = certificate_files;
    Ok(config)
}

/// `UserKnownHostsFile` / `GlobalKnownHostsFile`: `none` (alone, any case) means no file at
/// all, as in OpenSSH's ssh.c, never a file named `none`.
fn known_hosts_files(key: &'static str, value: &str, home: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let words: Vec<&str> = value.split_whitespace().collect();
    match words.iter().position(|w| w.eq_ignore_ascii_case("none")) {
        None => Ok(words.iter().map(|p| expand_tilde(p, home)).collect()),
        Some(0) if words.len() == 1 => Ok(Vec::new()),
        Some(_) => Err(bad(key, value)),
    }
}

/// A keyword whose value only OpenSSH acts on, as `KEYWORD value` for `-v`: what makes
/// `--ssh auto` choose OpenSSH. (`ssh -G` prints most keywords with their defaults.)
fn needs_openssh(key: &str, value: &str) -> Option<String> {
    let name = match key {
        "pkcs11provider" if value != "none" => "PKCS11Provider",
        "securitykeyprovider" if value != "internal" => "SecurityKeyProvider",
        "canonicalizehostname" if !matches!(value, "false" | "no") => "CanonicalizeHostname",
        "addressfamily" if value != "any" => "AddressFamily",
        "bindaddress" => "BindAddress",
        "bindinterface" => "BindInterface",
        "hostbasedauthentication" if yes(value) => "HostbasedAuthentication",
        "verifyhostkeydns" if yes(value) || value == "ask" => "VerifyHostKeyDNS",
        _ => return None,
    };
    Some(format!("{name} {value}"))
}

/// An algorithm list as `ssh -G` prints it: comma-separated, `+`/`-`/`^` already applied.
fn list(value: &str) -> Vec<String> {
    value.split(',').filter(|a| !a.is_empty()).map(str::to_owned).collect()
}

fn bad(key: &'static str, value: &str) -> ConfigError {
    ConfigError::BadValue {
        key,
        value: value.to_owned(),
    }
}

fn yes(value: &str) -> bool {
    matches!(value, "yes" | "true")
}

fn seconds(value: &str) -> Option<Duration> {
    value.parse::<u64>().ok().filter(|s| *s > 0).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "host dev\nuser alice\nhostname 10.0.0.5\nport 2222\nidentityfile ~/.ssh/id_ed25519\n\
identityfile /keys/work\nidentitiesonly yes\nstricthostkeychecking accept-new\nhashknownhosts yes\n\
userknownhostsfile ~/.ssh/known_hosts ~/.ssh/known_hosts2\nglobalknownhostsfile /etc/ssh/ssh_known_hosts\n\
connecttimeout none\nproxyjump none\nidentityagent none\n";

    #[test]
    fn ssh_g_output() {
        let c = parse_ssh_g("dev", SAMPLE, Path::new("/home/me")).unwrap();
        assert_eq!(
            (c.hostname.as_str(), c.user.as_str(), c.port),
            ("10.0.0.5", "alice", 2222)
        );
        assert_eq!(
            c.identity_files,
            [PathBuf::from("/home/me/.ssh/id_ed25519"), PathBuf::from("/keys/work")]
        );
        assert!(c.identities_only && c.hash_known_hosts);
        assert_eq!(c.strict, StrictHostKeyChecking::AcceptNew);
        assert_eq!(c.user_known_hosts[1], PathBuf::from("/home/me/.ssh/known_hosts2"));
        assert_eq!(c.identity_agent, IdentityAgent::None);
        assert_eq!((c.connect_timeout, c.proxy_jump.as_deref()), (None, None));
        assert_eq!(c.known_hosts_name(), "[10.0.0.5]:2222");
    }

    #[test]
    fn options_a_sign_in_does_not_use_are_noted() {
        let text =
            "forwardagent yes\ncontrolmaster auto\nforwardx11 no\ncontrolpath none\nlocalforward 8080 [127.0.0.1]:80\n";
        let c = parse_ssh_g("h", text, Path::new("/")).unwrap();
        assert_eq!(c.ignored, ["forwardagent yes", "localforward 8080 [127.0.0.1]:80"]);
    }

    #[test]
    fn identity_file_tokens_are_expanded() {
        let text = "hostname real\nuser bob\nport 2222\nidentityfile ~/.ssh/%r@%h-%p\n";
        let c = parse_ssh_g("alias", text, Path::new("/home/me")).unwrap();
        assert_eq!(c.identity_files, [PathBuf::from("/home/me/.ssh/bob@real-2222")]);
    }

    /// `none` is no file, in any case, and only alone (OpenSSH's readconf.c and ssh.c).
    #[test]
    fn known_hosts_none_is_no_file() {
        let c = parse_ssh_g(
            "h",
            "userknownhostsfile none\nglobalknownhostsfile NONE\n",
            Path::new("/"),
        )
        .unwrap();
        assert!(c.user_known_hosts.is_empty() && c.global_known_hosts.is_empty());
        assert!(parse_ssh_g("h", "userknownhostsfile ~/kh none\n", Path::new("/")).is_err());
        let c = parse_ssh_g("h", "userknownhostsfile ~/none\n", Path::new("/home/me")).unwrap();
        assert_eq!(c.user_known_hosts, [PathBuf::from("/home/me/none")]);
    }

    /// Every name of the command line is checked before a config is read: -l, each -J hop,
    /// and `-o ProxyJump=` hops (as OpenSSH 10.3 checks them).
    #[test]
    fn command_line_names_are_checked() {
        let dest = Destination::parse("dev").unwrap();
        let refused = |args: Settings| match check_names(&dest, &args) {
            Err(ConfigError::Name(e)) => e.to_string(),
            other => panic!("{args:?}: {other:?}"),
        };
        let args = Settings {
            login: Some("me;id".into()),
            ..Settings::default()
        };
        assert_eq!(
            refused(args),
            "refusing the user name `me;id` (-l): OpenSSH refuses `;` in user names"
        );
        let args = Settings {
            jump: Some("ok,b`id`:22".into()),
            ..Settings::default()
        };
        assert!(refused(args).contains("host name `b`id``"));
        let args = Settings {
            options: vec!["ProxyJump = x$(id)@bastion".into()],
            ..Settings::default()
        };
        assert!(refused(args).contains("(-o ProxyJump)"));
        let fine = Settings {
            login: Some("CORP\\alice".into()),
            jump: Some("me@bastion:2222,ssh://other".into()),
            options: vec!["ProxyJump=none".into(), "ProxyCommand=nc %h %p".into()],
            ..Settings::default()
        };
        check_names(&dest, &fine).unwrap();
        // resolve refuses before running `ssh -G` or reading a file.
        let bad = Destination {
            user: None,
            host: "$(touch${IFS}/tmp/x)".into(),
            port: None,
        };
        assert!(matches!(resolve(&bad, &Settings::default()), Err(ConfigError::Name(_))));
    }

    #[test]
    fn strict_values_as_ssh_g_prints_them() {
        for (text, want) in [
            ("true", StrictHostKeyChecking::Yes),
            ("false", StrictHostKeyChecking::No),
            ("ask", StrictHostKeyChecking::Ask),
        ] {
            let c = parse_ssh_g("h", &format!("stricthostkeychecking {text}\n"), Path::new("/")).unwrap();
            assert_eq!(c.strict, want);
        }
    }
}
