//! Host and user names as OpenSSH accepts them (`ssh_valid_hostname` and `ssh_valid_ruser` in
//! its readconf.c, 10.3): a name from the command line, a `--hosts-file` or a `-J` hop may end
//! up in a `ProxyCommand` run by `/bin/sh`, so a name with shell syntax in it is refused before
//! any configuration is read, as OpenSSH 9.6 and later refuse it. Older clients (Windows'
//! OpenSSH 9.5 among them) accept such names; this check does not depend on which client is
//! installed, or whether one is.

/// Characters `ssh_valid_hostname` refuses, besides whitespace and control characters.
const HOST_REFUSED: &str = "'`\"$\\;&<>|(){},";
/// Characters `ssh_valid_ruser` refuses, besides control characters.
const USER_REFUSED: &str = "'`\";&<>|(){}";

/// A name OpenSSH would refuse, and why, for a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refusing the {kind} `{display}`{place}: {why}", display = shown(.name), place = place(.given))]
pub struct NameError {
    /// `host name` or `user name`.
    pub kind: &'static str,
    pub name: String,
    /// Where the name came from when that is not obvious (`-l`, `-J`, `User in the ssh config`).
    pub given: Option<String>,
    pub why: String,
}

/// OpenSSH's `ssh_valid_hostname`, byte for byte.
pub fn valid_hostname(s: &str) -> bool {
    host_refusal(s).is_none()
}

/// OpenSSH's `ssh_valid_ruser`, byte for byte.
pub fn valid_ruser(s: &str) -> bool {
    user_refusal(s).is_none()
}

/// Refuses a host name as OpenSSH does.
pub fn check_host(name: &str, given: Option<&str>) -> Result<(), NameError> {
    match host_refusal(name) {
        None => Ok(()),
        Some(why) => Err(NameError {
            kind: "host name",
            name: name.to_owned(),
            given: given.map(str::to_owned),
            why,
        }),
    }
}

/// Refuses a user name as OpenSSH does.
pub fn check_user(name: &str, given: Option<&str>) -> Result<(), NameError> {
    match user_refusal(name) {
        None => Ok(()),
        Some(why) => Err(NameError {
            kind: "user name",
            name: name.to_owned(),
            given: given.map(str::to_owned),
            why,
        }),
    }
}

/// Why `ssh_valid_hostname` would refuse `s`, if it would. C's `isspace` and `iscntrl` in the
/// C locale see bytes: a multi-byte UTF-8 character is neither.
fn host_refusal(s: &str) -> Option<String> {
    if s.starts_with('-') {
        return Some("it starts with `-`".into());
    }
    for b in s.bytes() {
        if HOST_REFUSED.as_bytes().contains(&b) {
            return Some(format!("OpenSSH refuses {} in host names", char_shown(b)));
        }
        if c_isspace(b) || b.is_ascii_control() {
            return Some("OpenSSH refuses spaces and control characters in host names".into());
        }
    }
    None
}

/// Why `ssh_valid_ruser` would refuse `s`, if it would.
fn user_refusal(s: &str) -> Option<String> {
    if s.starts_with('-') {
        return Some("it starts with `-`".into());
    }
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let next = bytes.get(i + 1).copied();
        if b.is_ascii_control() {
            return Some("OpenSSH refuses control characters in user names".into());
        }
        if USER_REFUSED.as_bytes().contains(&b) {
            return Some(format!("OpenSSH refuses {} in user names", char_shown(b)));
        }
        if c_isspace(b) && next == Some(b'-') {
            return Some("OpenSSH refuses a `-` after a space in user names".into());
        }
        if b == b'\\' && next.is_none() {
            return Some("OpenSSH refuses a `\\` at the end of user names".into());
        }
    }
    None
}

/// One refused character, quoted so a person can see it.
fn char_shown(b: u8) -> String {
    match b {
        b'`' => "backticks".into(),
        b => format!("`{}`", b as char),
    }
}

/// C's `isspace` in the C locale: space, `\t \n \v \f \r` (Rust's `is_ascii_whitespace`
/// leaves out `\v`).
fn c_isspace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn place(given: &Option<String>) -> String {
    given.as_ref().map(|g| format!(" ({g})")).unwrap_or_default()
}

/// A name as it may be shown on a terminal: control characters escaped, so a refused name
/// cannot carry terminal escapes into the message that refuses it.
pub fn shown(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `value` as one word for `/bin/sh`: as it is when it holds only characters no shell treats
/// specially (every usual host and user name), else in single quotes. For a name already
/// checked above, which cannot hold a quote.
pub fn shell_word(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-:@%+,/=".contains(c) || !c.is_ascii());
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names OpenSSH takes, from its regression tests (regress/proxyjump.sh, percent.sh) and
    /// the forms people use.
    #[test]
    fn accepted_as_openssh_accepts_them() {
        for host in [
            "jump1",
            "host",
            "dev.example.com",
            "10.0.0.5",
            "::1",
            "fe80::1%eth0",
            "under_score",
            "xn--bcher-kva.example",
            "bücher.example",
            "h*st?[x]~#!^%=+:@/",
        ] {
            assert!(valid_hostname(host), "{host:?}");
        }
        for user in [
            "user",
            "user1",
            "remuser",
            "%u",
            "me@corp",
            "CORP\\alice",
            "machine$",
            "$x",
            "first last",
            "a-b c-",
            "a\\b",
            "bücher",
            "",
        ] {
            assert!(valid_ruser(user), "{user:?}");
        }
    }

    /// What OpenSSH refuses: every character of its lists, whitespace and control characters in
    /// host names, and its regression tests' examples (`host;with;semicolon`, `${FOO}`, `x\ay`).
    #[test]
    fn refused_as_openssh_refuses_them() {
        for c in HOST_REFUSED
            .chars()
            .chain([' ', '\t', '\n', '\x0b', '\x0c', '\r', '\x07', '\x7f'])
        {
            assert!(!valid_hostname(&format!("a{c}b")), "{c:?} in a host name");
        }
        for c in USER_REFUSED.chars().chain(['\n', '\t', '\x07', '\x1b', '\x7f']) {
            assert!(!valid_ruser(&format!("a{c}b")), "{c:?} in a user name");
        }
        for host in [
            "-oProxyCommand=x",
            "host;with;semicolon",
            "host'with'quote",
            "host`with`backtick",
            "host$with$dollar",
            "host(with)brace",
            "jump1,jump2",
            "$(touch /tmp/x)",
            "$(touch${IFS}/tmp/x)",
            "a\\b",
        ] {
            assert!(!valid_hostname(host), "{host:?}");
        }
        for user in [
            "-l",
            "user;with;semicolon",
            "user'with'quote",
            "user`with`backtick",
            "user(with)brace",
            "${FOO}",
            "x\x07y",
            "a -oProxyCommand=x",
            "a\t-b",
            "trailing\\",
            "$(touch /tmp/x)",
        ] {
            assert!(!valid_ruser(user), "{user:?}");
        }
    }

    #[test]
    fn messages_name_the_character_and_escape_controls() {
        let e = check_host("$(touch${IFS}/tmp/x)", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "refusing the host name `$(touch${IFS}/tmp/x)`: OpenSSH refuses `$` in host names"
        );
        let e = check_user("a\x1b]52;c;x\x07", Some("-l")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "refusing the user name `a\\u{1b}]52;c;x\\u{7}` (-l): OpenSSH refuses control characters in user names"
        );
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("dev.example.com"), "dev.example.com");
        assert_eq!(shell_word("fe80::1%eth0"), "fe80::1%eth0");
        assert_eq!(shell_word("CORP\\alice"), "'CORP\\alice'");
        assert_eq!(shell_word("first last"), "'first last'");
        assert_eq!(shell_word("machine$"), "'machine$'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
