//! `KexAlgorithms`, `Ciphers`, `MACs` and `HostKeyAlgorithms` for the built-in client: the
//! config's lists, in its order, kept to what russh implements. A list with nothing russh
//! implements is a reason to let OpenSSH carry the connection instead.

use std::borrow::Cow;
use std::str::FromStr;

use russh::keys::Algorithm;
use russh::{Preferred, cipher, kex, mac};

use crate::host_config::HostConfig;

/// The key exchange's pseudo-algorithms (extension negotiation, strict kex): always offered.
const KEX_EXTENSIONS: [kex::Name; 2] = [
    kex::EXTENSION_SUPPORT_AS_CLIENT,
    kex::EXTENSION_OPENSSH_STRICT_KEX_AS_CLIENT,
];

/// What the built-in client offers `config`'s host. Where the config says nothing, russh's
/// defaults, without SHA-1 `ssh-rsa` host keys (refused by OpenSSH since 8.8, unless the
/// config's HostKeyAlgorithms asks for them).
pub fn preferred(config: &HostConfig) -> Preferred {
    let mut preferred = Preferred::default();
    let lists = &config.algorithms;
    if let Some(kex) = kept(lists.kex.as_deref(), |a| kex::Name::try_from(a).ok())
        && !kex.is_empty()
    {
        preferred.kex = Cow::Owned(kex.into_iter().chain(KEX_EXTENSIONS).collect());
    }
    if let Some(ciphers) = kept(lists.ciphers.as_deref(), |a| cipher::Name::try_from(a).ok())
        && !ciphers.is_empty()
    {
        preferred.cipher = Cow::Owned(ciphers);
    }
    if let Some(macs) = kept(lists.macs.as_deref(), |a| mac::Name::try_from(a).ok())
        && !macs.is_empty()
    {
        preferred.mac = Cow::Owned(macs);
    }
    let key = match kept(lists.host_key.as_deref(), host_key) {
        Some(keys) if !keys.is_empty() => keys,
        _ => preferred
            .key
            .iter()
            .filter(|a| !matches!(a, Algorithm::Rsa { hash: None }))
            .cloned()
            .collect(),
    };
    preferred.key = Cow::Owned(key);
    preferred
}

/// The lists of the config that hold nothing the built-in client implements, as
/// `KEYWORD value` for `-v`: the built-in client could not connect with them.
pub fn lacking(config: &HostConfig) -> Vec<String> {
    let lists = &config.algorithms;
    let mut lacking = Vec::new();
    let mut check = |name: &str, list: Option<&[String]>, none: bool| {
        if let Some(list) = list
            && none
        {
            lacking.push(format!("{name} {}", list.join(",")));
        }
    };
    let kex = lists.kex.as_deref();
    check(
        "KexAlgorithms",
        kex,
        is_empty(kept(kex, |a| kex::Name::try_from(a).ok())),
    );
    let ciphers = lists.ciphers.as_deref();
    check(
        "Ciphers",
        ciphers,
        is_empty(kept(ciphers, |a| cipher::Name::try_from(a).ok())),
    );
    let macs = lists.macs.as_deref();
    check("MACs", macs, is_empty(kept(macs, |a| mac::Name::try_from(a).ok())));
    let keys = lists.host_key.as_deref();
    check("HostKeyAlgorithms", keys, is_empty(kept(keys, host_key)));
    lacking
}

fn is_empty<T>(list: Option<Vec<T>>) -> bool {
    list.is_some_and(|l| l.is_empty())
}

/// The names of `list` that `known` maps to an implementation, in order; none and the null
/// algorithms (`none`) are never offered.
fn kept<T>(list: Option<&[String]>, known: impl Fn(&str) -> Option<T>) -> Option<Vec<T>> {
    list.map(|names| {
        names
            .iter()
            .map(String::as_str)
            .filter(|n| *n != "none" && *n != "clear")
            .filter_map(known)
            .collect()
    })
}

/// A plain host-key algorithm russh verifies (certificate algorithms are asked for apart,
/// where an authority applies).
fn host_key(name: &str) -> Option<Algorithm> {
    let algorithm = Algorithm::from_str(name).ok()?;
    let supported = Preferred::default().key.contains(&algorithm) || algorithm == (Algorithm::Rsa { hash: None });
    supported.then_some(algorithm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_ssh_g;

    fn config(text: &str) -> HostConfig {
        parse_ssh_g("h", text, std::path::Path::new("/")).unwrap()
    }

    fn names<T: AsRef<str>>(list: &[T]) -> Vec<&str> {
        list.iter().map(AsRef::as_ref).collect()
    }

    /// OpenSSH's default lists keep what russh has, in OpenSSH's order; the extensions ride
    /// along; a legacy algorithm the config adds is offered.
    #[test]
    fn the_configs_lists_in_its_order() {
        let c = config(
            "kexalgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,diffie-hellman-group14-sha1\n\
             ciphers aes128-cbc,chacha20-poly1305@openssh.com\nmacs umac-64@openssh.com,hmac-sha1\n\
             hostkeyalgorithms ssh-ed25519-cert-v01@openssh.com,rsa-sha2-256,ssh-ed25519\n",
        );
        let p = preferred(&c);
        assert_eq!(
            names(&p.kex),
            [
                "curve25519-sha256",
                "diffie-hellman-group14-sha1",
                "ext-info-c",
                "kex-strict-c-v00@openssh.com"
            ]
        );
        assert_eq!(names(&p.cipher), ["aes128-cbc", "chacha20-poly1305@openssh.com"]);
        assert_eq!(names(&p.mac), ["hmac-sha1"]);
        let keys: Vec<String> = p.key.iter().map(ToString::to_string).collect();
        assert_eq!(keys, ["rsa-sha2-256", "ssh-ed25519"]);
        assert!(lacking(&c).is_empty());
    }

    /// No list: russh's defaults, SHA-1 `ssh-rsa` host keys left out.
    #[test]
    fn no_list_is_russhs_defaults_without_sha1_host_keys() {
        let p = preferred(&config("user u\n"));
        assert_eq!(p.kex, Preferred::default().kex);
        assert!(!p.key.contains(&Algorithm::Rsa { hash: None }));
        assert!(p.key.contains(&Algorithm::Ed25519));
    }

    /// A list with nothing russh implements is named, and changes nothing offered.
    #[test]
    fn a_list_russh_cannot_serve_is_named() {
        let c = config("kexalgorithms sntrup761x25519-sha512@openssh.com\nmacs umac-128@openssh.com\n");
        assert_eq!(
            lacking(&c),
            [
                "KexAlgorithms sntrup761x25519-sha512@openssh.com",
                "MACs umac-128@openssh.com"
            ]
        );
        assert_eq!(preferred(&c).kex, Preferred::default().kex);
    }
}
