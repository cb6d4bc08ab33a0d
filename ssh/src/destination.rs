//! The host argument, in the forms OpenSSH accepts: `[user@]host` and
//! `ssh://[user@]host[:port]` (IPv6 literals in brackets).

use std::fmt;

use crate::names::{self, NameError};

/// A parsed host argument: what the user typed, before ssh config is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DestinationError {
    #[error("`{}` is not a host: {why}", names::shown(input))]
    Form { input: String, why: &'static str },
    /// A host or user name OpenSSH refuses (it could carry shell syntax into a ProxyCommand).
    #[error(transparent)]
    Name(#[from] NameError),
}

impl Destination {
    pub fn parse(input: &str) -> Result<Self, DestinationError> {
        let fail = |why| DestinationError::Form {
            input: input.to_owned(),
            why,
        };
        if input.starts_with('-') {
            return Err(fail("it starts with `-`"));
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(fail("it contains spaces or control characters"));
        }
        let (uri, rest) = match input.strip_prefix("ssh://") {
            Some(rest) => (true, rest.trim_end_matches('/')),
            None => (false, input),
        };
        // The user part ends at the last `@`: user names may contain `@` (user@corp@host).
        let (user, host_port) = match rest.rsplit_once('@') {
            Some((user, host)) if !user.is_empty() => (Some(user.to_owned()), host),
            Some(_) => return Err(fail("the user name before `@` is empty")),
            None => (None, rest),
        };
        let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(|| fail("`[` without `]`"))?;
            let port = match after.strip_prefix(':') {
                Some(port) if uri => Some(port),
                None if after.is_empty() => None,
                _ => return Err(fail("unexpected text after `]`")),
            };
            (host, port)
        } else if uri {
            match host_port.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (host_port, None),
            }
        } else {
            (host_port, None)
        };
        if host.is_empty() {
            return Err(fail("the host name is empty"));
        }
        // Before anything reads a config: the names may reach a ProxyCommand's shell.
        names::check_host(host, None)?;
        if let Some(user) = user.as_deref() {
            names::check_user(user, None)?;
        }
        if host.starts_with('-') {
            return Err(fail("the host name starts with `-`"));
        }
        if uri && host.contains('/') {
            return Err(fail("an ssh:// URL takes no path"));
        }
        let port = port
            .map(|p| {
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| fail("the port is not a number from 1 to 65535"))
            })
            .transpose()?;
        Ok(Self {
            user,
            host: host.to_owned(),
            port,
        })
    }
}

impl Destination {
    /// One hop of a ProxyJump list: `[user@]host[:port]` (the port allowed, unlike a plain
    /// host argument) or an `ssh://` URL.
    pub fn parse_jump(input: &str) -> Result<Self, DestinationError> {
        if input.starts_with("ssh://") {
            Self::parse(input)
        } else {
            Self::parse(&format!("ssh://{input}"))
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        f.write_str(&self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(user: Option<&str>, host: &str, port: Option<u16>) -> Destination {
        Destination {
            user: user.map(Into::into),
            host: host.into(),
            port,
        }
    }

    #[test]
    fn openssh_forms() {
        assert_eq!(Destination::parse("dev"), Ok(d(None, "dev", None)));
        assert_eq!(
            Destination::parse("me@dev.example.com"),
            Ok(d(Some("me"), "dev.example.com", None))
        );
        assert_eq!(Destination::parse("me@corp@dev"), Ok(d(Some("me@corp"), "dev", None)));
        assert_eq!(
            Destination::parse("ssh://me@dev:2222"),
            Ok(d(Some("me"), "dev", Some(2222)))
        );
        assert_eq!(Destination::parse("ssh://dev/"), Ok(d(None, "dev", None)));
        assert_eq!(Destination::parse("ssh://[::1]:22"), Ok(d(None, "::1", Some(22))));
        assert_eq!(Destination::parse("me@[fe80::1]"), Ok(d(Some("me"), "fe80::1", None)));
        // Without ssh://, a colon belongs to the host name, as in OpenSSH.
        assert_eq!(Destination::parse("dev:22"), Ok(d(None, "dev:22", None)));
    }

    #[test]
    fn jump_hops_take_a_port() {
        assert_eq!(
            Destination::parse_jump("me@bastion:2222"),
            Ok(d(Some("me"), "bastion", Some(2222)))
        );
        assert_eq!(Destination::parse_jump("bastion"), Ok(d(None, "bastion", None)));
        assert_eq!(Destination::parse_jump("[::1]:22"), Ok(d(None, "::1", Some(22))));
        assert!(Destination::parse_jump("bastion:x").is_err());
        assert!(matches!(
            Destination::parse_jump("me@b$(id):22"),
            Err(DestinationError::Name(_))
        ));
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "-oProxyCommand=x",
            "@dev",
            "ssh://dev:0",
            "ssh://dev:99999",
            "ssh://dev/path",
            "a b",
            "[::1",
            "ssh://",
            // Shell syntax in a name, as OpenSSH 9.6+ refuses it.
            "$(touch${IFS}/tmp/x)",
            "me;id@dev",
            "`id`@dev",
            "ssh://me@d$ev:22",
            "me@[d`id`]",
        ] {
            assert!(Destination::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
