//! `KexAlgorithms`, `Ciphers`, `MACs` and `HostKeyAlgorithms` for the built-in client: the
//! config's lists, in its order, kept to what russh implements. A list with nothing russh
//! implements is a reason to let OpenSSH carry the connection instead.
//!
//! `ssh -G` prints each list with its `+`, `-` and `^` already applied to OpenSSH's defaults.
//! Without it, this crate's evaluator passes a list on as written, and a modifier is applied
//! here to what the built-in client offers by default, as OpenSSH applies it to its own.

use std::borrow::Cow;
use std::str::FromStr;

use russh::keys::Algorithm;
use russh::{Preferred, cipher, kex, mac};

use crate::host_config::HostConfig;
use crate::pattern::glob;

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
    let [kex, ciphers, macs, keys] = lists(config);
    if let Some(kex) = kept(kex.as_deref(), |a| kex::Name::try_from(a).ok())
        && !kex.is_empty()
    {
        preferred.kex = Cow::Owned(kex.into_iter().chain(KEX_EXTENSIONS).collect());
    }
    if let Some(ciphers) = kept(ciphers.as_deref(), |a| cipher::Name::try_from(a).ok())
        && !ciphers.is_empty()
    {
        preferred.cipher = Cow::Owned(ciphers);
    }
    if let Some(macs) = kept(macs.as_deref(), |a| mac::Name::try_from(a).ok())
        && !macs.is_empty()
    {
        preferred.mac = Cow::Owned(macs);
    }
    let key = match kept(keys.as_deref(), host_key) {
        Some(keys) if !keys.is_empty() => keys,
        _ => default_host_keys(),
    };
    preferred.key = Cow::Owned(key);
    preferred
}

/// russh's host-key algorithms without SHA-1 `ssh-rsa`.
fn default_host_keys() -> Vec<Algorithm> {
    Preferred::default()
        .key
        .iter()
        .filter(|a| !matches!(a, Algorithm::Rsa { hash: None }))
        .cloned()
        .collect()
}

/// The config's four lists (kex, ciphers, MACs, host keys), each with its modifier applied.
fn lists(config: &HostConfig) -> [Option<Vec<String>>; 4] {
    fn names<T: AsRef<str>>(list: &[T]) -> Vec<String> {
        list.iter().map(|n| n.as_ref().to_owned()).collect()
    }
    let defaults = Preferred::default();
    let lists = &config.algorithms;
    let kex: Vec<String> = names(&defaults.kex)
        .into_iter()
        .filter(|k| !k.starts_with("ext-info-") && !k.starts_with("kex-strict-"))
        .collect();
    let (ciphers, macs) = (names(&defaults.cipher), names(&defaults.mac));
    let keys = default_host_keys().iter().map(ToString::to_string).collect();
    [
        lists.kex.as_deref().map(|l| applied(l, kex)),
        lists.ciphers.as_deref().map(|l| applied(l, ciphers)),
        lists.macs.as_deref().map(|l| applied(l, macs)),
        lists.host_key.as_deref().map(|l| applied(l, keys)),
    ]
}

/// `list` applied to `defaults` as OpenSSH applies a list to its own: `+` appends what is not
/// there yet, `-` removes what its patterns match, `^` puts first; a plain list replaces them.
fn applied(list: &[String], defaults: Vec<String>) -> Vec<String> {
    let Some(first) = list.first() else {
        return Vec::new();
    };
    let Some(modifier @ ('+' | '-' | '^')) = first.chars().next() else {
        return list.to_vec();
    };
    let named: Vec<String> = std::iter::once(&first[1..])
        .chain(list[1..].iter().map(String::as_str))
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    match modifier {
        '+' => {
            let added = named.into_iter().filter(|n| !defaults.contains(n));
            defaults.iter().cloned().chain(added).collect()
        }
        '-' => defaults
            .into_iter()
            .filter(|d| !named.iter().any(|p| glob(p, d)))
            .collect(),
        _ => {
            let rest = defaults.into_iter().filter(|d| !named.contains(d));
            named.iter().cloned().chain(rest).collect()
        }
    }
}

/// The lists of the config that hold nothing the built-in client implements, as
/// `KEYWORD value` for `-v`: the built-in client could not connect with them.
pub fn lacking(config: &HostConfig) -> Vec<String> {
    let [kex, ciphers, macs, keys] = lists(config);
    let written = &config.algorithms;
    let mut lacking = Vec::new();
    // Named as the config wrote it; judged by what it comes to.
    let mut check = |name: &str, written: &Option<Vec<String>>, none: bool| {
        if let Some(list) = written
            && none
        {
            lacking.push(format!("{name} {}", list.join(",")));
        }
    };
    let none = |list: Option<Vec<String>>, known: &dyn Fn(&str) -> bool| {
        list.is_some_and(|l| !l.iter().any(|a| a != "none" && a != "clear" && known(a)))
    };
    check(
        "KexAlgorithms",
        &written.kex,
        none(kex, &|a| kex::Name::try_from(a).is_ok()),
    );
    check(
        "Ciphers",
        &written.ciphers,
        none(ciphers, &|a| cipher::Name::try_from(a).is_ok()),
    );
    check("MACs", &written.macs, none(macs, &|a| mac::Name::try_from(a).is_ok()));
    check(
        "HostKeyAlgorithms",
        &written.host_key,
        none(keys, &|a| host_key(a).is_some()),
    );
    lacking
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

    /// Without `ssh -G`, a list comes as written: `+` appends to the built-in client's
    /// defaults, `-` removes (patterns too), `^` puts first; a plain list replaces them.
    #[test]
    fn modifiers_apply_to_the_builtin_clients_defaults() {
        let defaults = Preferred::default();
        let p = preferred(&config(
            "kexalgorithms +diffie-hellman-group1-sha1\nciphers -aes*-ctr,aes*gcm*\n",
        ));
        let mut kex: Vec<&str> = names(&defaults.kex)
            .into_iter()
            .filter(|k| !k.starts_with("ext-info-") && !k.starts_with("kex-strict-"))
            .collect();
        kex.extend([
            "diffie-hellman-group1-sha1",
            "ext-info-c",
            "kex-strict-c-v00@openssh.com",
        ]);
        assert_eq!(names(&p.kex), kex);
        assert_eq!(names(&p.cipher), ["chacha20-poly1305@openssh.com"]);
        let p = preferred(&config("macs ^hmac-sha1\nhostkeyalgorithms ^ssh-rsa\n"));
        assert_eq!(names(&p.mac)[0], "hmac-sha1");
        assert_eq!(
            p.mac.len(),
            defaults.mac.len() + usize::from(!defaults.mac.iter().any(|m| m.as_ref() == "hmac-sha1"))
        );
        assert_eq!(p.key[0], Algorithm::Rsa { hash: None });
        let c = config("kexalgorithms -*\n");
        assert_eq!(lacking(&c), ["KexAlgorithms -*"]);
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
