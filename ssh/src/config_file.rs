//! OpenSSH's client configuration, evaluated here for machines without an OpenSSH client
//! (where `ssh -G` cannot do it). It follows `readconf.c` for what this tool uses: `Include`
//! (globs, relative to `~/.ssh`), `Host` patterns with `!` negation, `Match` on `host`,
//! `originalhost`, `user`, `localuser` and `all` (`exec` and `localnetwork` are refused with
//! a message rather than guessed), first value wins, `-o` before the files, `%` tokens and
//! `~`. The result is printed the way `ssh -G` prints it, so one parser reads both; the
//! tests hold the two to each other.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::Settings;
use crate::config::{ConfigError, expand_tilde, local_user, system_dir};
use crate::destination::Destination;
use crate::names;
use crate::pattern::glob;

/// Keywords kept (lower case), in the order `ssh -G` prints them.
const KEYWORDS: [&str; 21] = [
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
        let host = self.original_host.to_ascii_lowercase();
        let mut matched = false;
        for pattern in words(patterns) {
            let pattern = pattern.to_ascii_lowercase();
            match pattern.strip_prefix('!') {
                Some(negated) if glob(negated, &host) => return false,
                Some(_) => {}
                None => matched |= glob(&pattern, &host),
            }
        }
        matched
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
                    list_matches(list, &subject)
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
            for id in super::config::DEFAULT_IDENTITIES {
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

/// `Keyword value`, `Keyword=value` or `Keyword = value`: the keyword in lower case.
fn split_line(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    let end = line.find(|c: char| c.is_whitespace() || c == '=')?;
    let (key, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
    (!key.is_empty() && !rest.is_empty()).then(|| (key.to_ascii_lowercase(), rest.to_owned()))
}

/// Whitespace-separated words, `"double quoted"` ones kept whole.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut current));
                    any = false;
                }
            }
            c => {
                current.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(current);
    }
    out
}

fn unquote(value: &str) -> String {
    let value = value.trim();
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
        .to_owned()
}

/// A comma-separated pattern list as in `Match host a,!b,*.c`.
fn list_matches(list: &str, subject: &str) -> bool {
    let subject = subject.to_ascii_lowercase();
    let mut matched = false;
    for pattern in list.split(',') {
        let pattern = pattern.to_ascii_lowercase();
        match pattern.strip_prefix('!') {
            Some(negated) if glob(negated, &subject) => return false,
            Some(_) => {}
            None => matched |= glob(&pattern, &subject),
        }
    }
    matched
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
    #[cfg(unix)]
    use crate::config::{HostConfig, parse_ssh_g};

    /// Configs that exercise what the evaluator claims, each resolved here and by the real
    /// `ssh -G`, for several host arguments: the results must agree. Unix only: the Windows
    /// build is tested under Wine, which has no Windows OpenSSH to compare with.
    #[cfg(unix)]
    #[test]
    fn agrees_with_ssh_g() {
        let dir = std::env::temp_dir().join(format!("crl-config-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("conf.d")).unwrap();
        std::fs::write(
            dir.join("conf.d/10-work.conf"),
            "Host bastion.work\n  ProxyJump none\nHost *.work\n  User worker\n  ProxyJump bastion.work\n",
        )
        .unwrap();
        std::fs::write(dir.join("conf.d/20-late.conf"), "Host *\n  ConnectTimeout 7\n").unwrap();
        let config = format!(
            r#"# first value wins, Include, negation, Match
Include {dir}/conf.d/*.conf
Host dev dev2
    HostName %h.example.com
    Port 2200
    User = first
    User second
    IdentityFile ~/.ssh/dev_key
    IdentityFile /keys/%r@%h
    IdentitiesOnly yes
    CertificateFile ~/.ssh/dev_key-cert.pub
Host !dev2 dev*
    StrictHostKeyChecking accept-new
Match host dev2.example.com
    UserKnownHostsFile ~/.ssh/known_dev /tmp/known_other
    HostKeyAlias dev-two
Match originalhost dev !user nobody
    ServerAliveInterval 30
    ServerAliveCountMax 5
Host proxied
    ProxyCommand ssh -W %h:%p gateway
    SetEnv A=1 B="two words"
    SendEnv LANG LC_* FOO BAR XY
    SendEnv -LC_* -F?O
    SendEnv LC_X
Host proxied nohosts
    SendEnv -X*
    UserKnownHostsFile none
    GlobalKnownHostsFile NONE
    PreferredAuthentications keyboard-interactive,publickey
    IdentityAgent none
Host *
    HashKnownHosts yes
    BatchMode no
    GlobalKnownHostsFile /etc/ssh/ssh_known_hosts
"#,
            dir = dir.display()
        );
        let file = dir.join("config");
        std::fs::write(&file, config).unwrap();
        let home = crate::config::home_dir();
        let cases: [(&str, &[&str]); 9] = [
            ("dev", &[]),
            ("nohosts", &["-o", "SendEnv=A B", "-o", "SendEnv=-A"]),
            ("dev", &["-o", "SendEnv=LC_*", "-o", "SendEnv=-*"]),
            ("dev2", &[]),
            ("dev3", &["-o", "StrictHostKeyChecking=yes", "-p", "2022"]),
            ("me@host.work", &[]),
            ("bastion.work", &[]),
            ("proxied", &["-o", "User=cli"]),
            ("other", &["-J", "jump:2222"]),
        ];
        for (host, extra) in cases {
            let dest = Destination::parse(host).unwrap();
            let mut args = Settings {
                config: Some(file.clone()),
                ..Settings::default()
            };
            let mut extra = extra.iter();
            while let Some(flag) = extra.next() {
                let value = extra.next().unwrap().to_string();
                match *flag {
                    "-o" => args.options.push(value),
                    "-p" => args.port = Some(value.parse().unwrap()),
                    "-J" => args.jump = Some(value),
                    _ => unreachable!(),
                }
            }
            let ours = parse_ssh_g(&dest.host, &evaluate(&dest, &args, &home).unwrap(), &home).unwrap();
            let theirs = ssh_g(&dest, &args, &home);
            assert_eq!(comparable(ours), comparable(theirs), "{host} {args:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    fn ssh_g(dest: &Destination, args: &Settings, home: &Path) -> HostConfig {
        let mut cmd = std::process::Command::new("ssh");
        cmd.arg("-G").arg("-F").arg(args.config.as_ref().unwrap());
        if let Some(user) = &dest.user {
            cmd.arg("-l").arg(user);
        }
        if let Some(port) = args.port {
            cmd.arg("-p").arg(port.to_string());
        }
        for o in &args.options {
            cmd.arg("-o").arg(o);
        }
        if let Some(j) = &args.jump {
            cmd.arg("-J").arg(j);
        }
        let out = cmd
            .arg(&dest.host)
            .output()
            .expect("the OpenSSH client, to compare with");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        parse_ssh_g(&dest.host, &String::from_utf8_lossy(&out.stdout), home).unwrap()
    }

    /// Everything but what only one side fills in.
    #[cfg(unix)]
    fn comparable(mut c: HostConfig) -> HostConfig {
        c.fallback_reason = None;
        c.ignored.clear();
        c
    }

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

    #[test]
    fn line_syntax() {
        assert_eq!(split_line("User=me"), Some(("user".into(), "me".into())));
        assert_eq!(split_line("  Port = 22"), Some(("port".into(), "22".into())));
        assert_eq!(words(r#"a "b c" d"#), ["a", "b c", "d"]);
    }
}
