//! OpenSSH's client configuration, evaluated here for machines without an OpenSSH client
//! (where `ssh -G` cannot do it). It follows `readconf.c` for what this tool uses: `Include`
//! (globs, relative to `~/.ssh`), `Host` patterns with `!` negation, `Match` on `host`,
//! `originalhost`, `user`, `localuser` and `all` (`exec` and `localnetwork` are refused with
//! a message rather than guessed), first value wins, `-o` before the files, `%` tokens and
//! `~`. The result is printed the way `ssh -G` prints it, so one parser reads both; the
//! tests hold the two to each other.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::config_syntax::{split_line, unquote, words};
use crate::destination::Destination;
use crate::error::ConfigError;
use crate::names;
use crate::pattern::{glob, list_matches};
use crate::places::{DEFAULT_IDENTITIES, expand_tilde, local_user, system_dir};
use crate::settings::Settings;

/// Keywords kept (lower case), in the order `ssh -G` prints them.
const KEYWORDS: [&str; 25] = [
    "hostname",
    "user",
    "port",
    "identityfile",
    "identitiesonly",
    "identityagent",
    "certificatefile",
    "userknownhostsfile",
    "globalknownhostsfile",
    "hostkeyalias",
    "stricthostkeychecking",
    "hashknownhosts",
    "batchmode",
    "connecttimeout",
    "serveraliveinterval",
    "serveralivecountmax",
    "proxyjump",
    "proxycommand",
    "setenv",
    "sendenv",
    "preferredauthentications",
    "kexalgorithms",
    "ciphers",
    "macs",
    "hostkeyalgorithms",
];

/// Keywords that take every value given, not just the first.
const ACCUMULATE: [&str; 3] = ["identityfile", "certificatefile", "sendenv"];

/// How deep `Include` may nest (OpenSSH's limit).
const MAX_INCLUDE_DEPTH: usize = 16;

/// The settings of one host, as `(keyword, value)` in the order found.
#[derive(Default)]
struct Values {
    values: Vec<(String, String)>,
}

impl Values {
    fn first(&self, key: &str) -> Option<&str> {
        self.values.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.values
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// First value wins, except for keywords that accumulate.
    fn set(&mut self, key: &str, value: String) {
        if ACCUMULATE.contains(&key) || self.first(key).is_none() {
            self.values.push((key.to_owned(), value));
        }
    }
}

struct Evaluation<'a> {
    original_host: &'a str,
    /// Reading the system-wide config, or a file it includes: each is checked first.
    system: bool,
    home: &'a Path,
    settings: Values,
    /// The user came from `user@host` or `-l`: used as given, never expanded.
    user_from_command_line: bool,
}

/// Evaluates the configuration for `dest` and prints it as `ssh -G` would (for the keywords
/// this tool uses).
pub fn evaluate(dest: &Destination, args: &Settings, home: &Path) -> Result<String, ConfigError> {
    let mut eval = Evaluation {
        original_host: &dest.host,
        system: false,
        home,
        settings: Values::default(),
        user_from_command_line: false,
    };
    // The command line comes first, and first values win.
    if let Some(user) = dest.user.as_ref().or(args.login.as_ref()) {
        eval.settings.set("user", user.clone());
        eval.user_from_command_line = true;
    }
    if let Some(port) = dest.port.or(args.port) {
        eval.settings.set("port", port.to_string());
    }
    for id in &args.identity {
        eval.settings.set("identityfile", id.to_string_lossy().into_owned());
    }
    if let Some(jump) = &args.jump {
        eval.settings.set("proxyjump", jump.clone());
    }
    for option in &args.options {
        let (key, value) = split_line(option).ok_or_else(|| bad("-o", option))?;
        eval.apply(&key, value, &mut true, Path::new("-o"), 0)?;
    }
    match &args.config {
        Some(file) if file == Path::new("none") => {}
        Some(file) => eval.read(file, 0)?,
        None => {
            let user_config = home.join(".ssh/config");
            if user_config.exists() {
                eval.read(&user_config, 0)?;
            }
            let system = system_dir().join("ssh_config");
            if system.exists() {
                eval.system = true;
                eval.read(&system, 0)?;
            }
        }
    }
    eval.print()
}

impl Evaluation<'_> {
    fn read(&mut self, file: &Path, depth: usize) -> Result<(), ConfigError> {
        if self.system {
            crate::system_files::check(file)?;
        }
        let text = std::fs::read_to_string(file).map_err(|e| ConfigError::File {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        // Lines before the first Host or Match apply to every host.
        let mut active = true;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = split_line(line).ok_or_else(|| ConfigError::File {
                file: file.to_owned(),
                message: format!("cannot read the line `{line}`"),
            })?;
            self.apply(&key, value, &mut active, file, depth)?;
        }
        Ok(())
    }

    fn apply(
        &mut self,
        key: &str,
        value: String,
        active: &mut bool,
        file: &Path,
        depth: usize,
    ) -> Result<(), ConfigError> {
        match key {
            "host" => *active = self.host_matches(&value),
            "match" => *active = self.match_matches(&value, file)?,
            "include" if *active => {
                if depth >= MAX_INCLUDE_DEPTH {
                    return Err(ConfigError::File {
                        file: file.to_owned(),
                        message: "Include nests too deeply".into(),
                    });
                }
                for pattern in words(&value) {
                    for included in self.include_paths(&pattern, file) {
                        self.read(&included, depth + 1)?;
                    }
                }
            }
            _ if *active && KEYWORDS.contains(&key) => {
                let value = match key {
                    // One keyword, several values on the line.
                    "sendenv" => {
                        for word in words(&value) {
                            if word.is_empty() || word.contains('=') {
                                return Err(ConfigError::File {
                                    file: file.to_owned(),
                                    message: format!("`SendEnv {value}`: invalid environment name `{word}`"),
                                });
                            }
                            match word.strip_prefix('-') {
                                // `SendEnv -PATTERN` (OpenSSH 8.7+) removes the names added so
                                // far that the pattern matches, as readconf.c's rm_env does.
                                Some(pattern) => self
                                    .settings
                                    .values
                                    .retain(|(k, v)| k != "sendenv" || !glob(pattern, v)),
                                None => self.settings.set(key, word),
                            }
                        }
                        return Ok(());
                    }
                    "userknownhostsfile" | "globalknownhostsfile" => words(&value).join(" "),
                    _ => unquote(&value),
                };
                self.settings.set(key, value);
            }
            _ => {}
        }
        Ok(())
    }

    /// `Host` patterns, matched against the host as given on the command line.
    fn host_matches(&self, patterns: &str) -> bool {
        list_matches(words(patterns).iter().map(String::as_str), self.original_host)
    }

    fn match_matches(&self, criteria: &str, file: &Path) -> Result<bool, ConfigError> {
        let words = words(criteria);
        let mut words = words.iter();
        let mut all = true;
        while let Some(word) = words.next() {
            let (negate, criterion) = match word.strip_prefix('!') {
                Some(rest) => (true, rest.to_ascii_lowercase()),
                None => (false, word.to_ascii_lowercase()),
            };
            let result = match criterion.as_str() {
                "all" => true,
                // One pass, no canonicalisation: the final pass is this one.
                "canonical" => false,
                "final" => true,
                "host" | "originalhost" | "user" | "localuser" => {
                    let list = words.next().ok_or_else(|| bad("Match", criteria))?;
                    let subject = match criterion.as_str() {
                        "host" => self.hostname(),
                        "originalhost" => self.original_host.to_owned(),
                        "user" => self.settings.first("user").map_or_else(local_user, str::to_owned),
                        _ => local_user(),
                    };
                    list_matches(list.split(','), &subject)
                }
                other => {
                    return Err(ConfigError::File {
                        file: file.to_owned(),
                        message: format!(
                            "`Match {other}` is not supported without an OpenSSH client (install openssh-client so that `ssh -G` can evaluate it)"
                        ),
                    });
                }
            };
            all &= result != negate;
        }
        Ok(all)
    }

    /// The host name as set so far (`HostName`, with `%h`), for `Match host`.
    fn hostname(&self) -> String {
        match self.settings.first("hostname") {
            Some(name) => name.replace("%h", self.original_host).replace("%%", "%"),
            None => self.original_host.to_owned(),
        }
    }

    /// `Include`: relative paths are under `~/.ssh` (or beside a system file); the last path
    /// component may be a glob.
    fn include_paths(&self, pattern: &str, from: &Path) -> Vec<PathBuf> {
        let path = expand_tilde(pattern, self.home);
        let path = if path.is_absolute() {
            path
        } else if from.starts_with(system_dir()) {
            system_dir().join(path)
        } else {
            self.home.join(".ssh").join(path)
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.contains(['*', '?']) {
            return vec![path].into_iter().filter(|p| p.exists()).collect();
        }
        let dir = path.parent().unwrap_or(Path::new("/"));
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| glob(&name, &e.file_name().to_string_lossy()))
            .map(|e| e.path())
            .collect();
        found.sort();
        found
    }

    /// The settings with OpenSSH's defaults and tokens, as `ssh -G` prints them.
    fn print(&self) -> Result<String, ConfigError> {
        let s = &self.settings;
        let hostname = self.hostname();
        let port = s.first("port").unwrap_or("22").to_owned();
        let user = match s.first("user") {
            None => local_user(),
            Some(user) if self.user_from_command_line => user.to_owned(),
            Some(user) => self.expand_user(user, &hostname, &port)?,
        };
        let mut out = String::new();
        let mut line = |key: &str, value: &str| {
            let _ = writeln!(out, "{key} {value}");
        };
        line("hostname", &hostname);
        line("user", &user);
        line("port", &port);
        let ids: Vec<&str> = s.all("identityfile").collect();
        if ids.is_empty() {
            for id in DEFAULT_IDENTITIES {
                line("identityfile", &format!("~/.ssh/{id}"));
            }
        }
        for id in ids {
            // Tokens stay as written, as `ssh -G` leaves them; the reader expands them.
            line("identityfile", id);
        }
        for cert in s.all("certificatefile") {
            line("certificatefile", cert);
        }
        line(
            "userknownhostsfile",
            s.first("userknownhostsfile")
                .unwrap_or("~/.ssh/known_hosts ~/.ssh/known_hosts2"),
        );
        let system = system_dir();
        let global = format!(
            "{} {}",
            system.join("ssh_known_hosts").display(),
            system.join("ssh_known_hosts2").display()
        );
        line(
            "globalknownhostsfile",
            s.first("globalknownhostsfile").unwrap_or(&global),
        );
        if let Some(agent) = s.first("identityagent") {
            line("identityagent", agent);
        }
        for key in [
            "identitiesonly",
            "hostkeyalias",
            "stricthostkeychecking",
            "hashknownhosts",
            "batchmode",
        ] {
            if let Some(value) = s.first(key) {
                line(key, &value.to_ascii_lowercase());
            }
        }
        for key in [
            "connecttimeout",
            "serveraliveinterval",
            "serveralivecountmax",
            "proxyjump",
            "proxycommand",
            "preferredauthentications",
            // As written: `+`, `-` and `^` are applied to the built-in client's own
            // defaults (algorithms.rs), there being no OpenSSH's to apply them to.
            "kexalgorithms",
            "ciphers",
            "macs",
            "hostkeyalgorithms",
        ] {
            if let Some(value) = s.first(key) {
                line(key, value);
            }
        }
        if let Some(pairs) = s.first("setenv") {
            for pair in words(pairs) {
                line("setenv", &pair);
            }
        }
        for pattern in s.all("sendenv") {
            line("sendenv", pattern);
        }
        Ok(out)
    }
}

impl Evaluation<'_> {
    /// `User` from the config, expanded as OpenSSH 10.0+ expands it (`%` tokens but `%r` and
    /// `%C`, and `${VAR}`), and then checked as OpenSSH 10.1+ checks it: only a name that
    /// expansion changed, by its user name rules. A literal name is the config's own word.
    fn expand_user(&self, raw: &str, hostname: &str, port: &str) -> Result<String, ConfigError> {
        let unsupported = |what: &str| ConfigError::BadValue {
            key: "User",
            value: format!("{raw} ({what} is not supported without an OpenSSH client)"),
        };
        let mut out = String::new();
        let mut rest = raw;
        while let Some(c) = rest.chars().next() {
            rest = &rest[c.len_utf8()..];
            if c == '$' && rest.starts_with('{') {
                let (name, after) = rest[1..].split_once('}').ok_or_else(|| bad("User", raw))?;
                if name.is_empty() {
                    return Err(bad("User", raw));
                }
                let value = std::env::var(name).map_err(|_| ConfigError::BadValue {
                    key: "User",
                    value: format!("{raw} (${{{name}}} has no value)"),
                })?;
                out.push_str(&value);
                rest = after;
                continue;
            }
            if c != '%' {
                out.push(c);
                continue;
            }
            let token = rest.chars().next().ok_or_else(|| bad("User", raw))?;
            rest = &rest[token.len_utf8()..];
            match token {
                '%' => out.push('%'),
                'd' => out.push_str(&self.home.to_string_lossy()),
                'h' => out.push_str(hostname),
                'n' => out.push_str(self.original_host),
                'p' => out.push_str(port),
                'u' => out.push_str(&local_user()),
                'k' => out.push_str(self.settings.first("hostkeyalias").unwrap_or(self.original_host)),
                'i' | 'j' | 'l' | 'L' => return Err(unsupported(&format!("%{token}"))),
                _ => return Err(bad("User", raw)),
            }
        }
        if out != raw {
            names::check_user(&out, Some("from User in the ssh config"))?;
        }
        Ok(out)
    }
}

/// The patterns of every `Host` line in config `text` (its `Include`s not followed).
pub fn host_patterns(text: &str) -> impl Iterator<Item = String> + '_ {
    text.lines()
        .filter_map(split_line)
        .filter(|(key, _)| key == "host")
        .flat_map(|(_, value)| words(&value))
}

fn bad(key: &'static str, value: &str) -> ConfigError {
    ConfigError::BadValue {
        key,
        value: value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_exec_is_refused_not_guessed() {
        let dir = std::env::temp_dir().join(format!("crl-config-exec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("config");
        std::fs::write(&file, "Match exec \"test -f /x\"\n  User x\n").unwrap();
        let args = Settings {
            config: Some(file),
            ..Settings::default()
        };
        let err = evaluate(&Destination::parse("h").unwrap(), &args, Path::new("/home/me")).unwrap_err();
        assert!(
            err.to_string()
                .contains("`Match exec` is not supported without an OpenSSH client"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// `User` from the config is expanded as OpenSSH 10.0+ does (this machine's `ssh` may be
    /// older, so not against `ssh -G`), and an expanded name is checked as OpenSSH 10.1+
    /// checks it; a user from the command line is taken as given.
    #[test]
    fn config_user_is_expanded_and_checked() {
        let dir = std::env::temp_dir().join(format!("crl-config-user-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("config");
        let user_of = |config: &str, host: &str| {
            std::fs::write(&file, config).unwrap();
            let args = Settings {
                config: Some(file.clone()),
                ..Settings::default()
            };
            evaluate(&Destination::parse(host).unwrap(), &args, Path::new("/home/me")).map(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("user ").map(str::to_owned))
                    .unwrap()
            })
        };
        let config = "Host *\n  HostName %h.example\n  Port 2200\n  User u-%n-%h-%p-%d-%%-${CRL_TEST_USER_PART}\n";
        assert!(std::env::var("CRL_TEST_USER_PART").is_err());
        assert!(
            user_of(config, "dev").is_err(),
            "an unset variable is an error, as in OpenSSH"
        );
        let config = "Host *\n  HostName %h.example\n  Port 2200\n  User u-%n-%h-%p-%d-%%\n";
        assert_eq!(user_of(config, "dev").unwrap(), "u-dev-dev.example-2200-/home/me-%");
        assert_eq!(user_of(config, "cli@dev").unwrap(), "cli");
        // A literal name is not checked (OpenSSH 10.1+); an expanded one is.
        assert_eq!(user_of("User a;b\n", "dev").unwrap(), "a;b");
        assert_eq!(user_of("User %d\n", "dev").unwrap(), "/home/me");
        let refused = user_of("HostKeyAlias a(b\nUser x%k\n", "dev");
        assert!(matches!(refused, Err(ConfigError::Name(_))), "{refused:?}");
        assert!(user_of("User %l\n", "dev").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The algorithm lists reach the built-in client as written, first value winning: a
    /// legacy key exchange added with `+` is offered after the defaults.
    #[test]
    fn algorithm_lists_pass_as_written() {
        let dir = std::env::temp_dir().join(format!("crl-config-algs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("config");
        std::fs::write(
            &file,
            "Host old\n  KexAlgorithms +diffie-hellman-group14-sha1\n  Ciphers aes128-cbc\nHost *\n  KexAlgorithms curve25519-sha256\n",
        )
        .unwrap();
        let args = Settings {
            config: Some(file),
            ..Settings::default()
        };
        let text = evaluate(&Destination::parse("old").unwrap(), &args, Path::new("/home/me")).unwrap();
        let config = crate::config::parse_ssh_g("old", &text, Path::new("/home/me")).unwrap();
        let offered = crate::algorithms::preferred(&config);
        let kex: Vec<&str> = offered.kex.iter().map(AsRef::as_ref).collect();
        assert!(
            kex.contains(&"curve25519-sha256") && kex.contains(&"diffie-hellman-group14-sha1"),
            "{kex:?}"
        );
        let ciphers: Vec<&str> = offered.cipher.iter().map(AsRef::as_ref).collect();
        assert_eq!(ciphers, ["aes128-cbc"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
