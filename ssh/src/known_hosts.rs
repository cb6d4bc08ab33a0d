//! Host-key verification against known_hosts files, following OpenSSH's rules.
//!
//! Each line is parsed on its own (by `ssh-key`), so line numbers stay right and lines of
//! key types we do not know are skipped as OpenSSH skips them. A host matches a line by its
//! comma-separated patterns (`*`, `?`, `!` negation, case folded) or by a hashed name
//! (`|1|salt|hmac`). A key is known if any matching line holds it; it has changed if no line
//! holds it but a matching line holds another key of the same type; `@revoked` always wins.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::ssh_key::certificate::CertType;
use russh::keys::ssh_key::known_hosts::{Entry, HostPatterns, Marker};
use russh::keys::{Certificate, HashAlg, PublicKey};
use sha1::Sha1;

use crate::pattern::glob;

/// What the known_hosts files say about a host's key.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Known,
    /// No line for this key type; `other_types` lists key types recorded for the host.
    Unknown {
        other_types: Vec<String>,
    },
    Changed {
        file: PathBuf,
        line: usize,
        old: Box<PublicKey>,
    },
    Revoked {
        file: PathBuf,
        line: usize,
    },
}

/// Looks `key` up for the known_hosts name `name` (`host` or `[host]:port`) in `files`.
pub fn check(files: &[PathBuf], name: &str, key: &PublicKey) -> Verdict {
    let name = name.to_ascii_lowercase();
    let mut known = false;
    let mut changed = None;
    let mut other_types = Vec::new();
    for (file, line, entry) in entries(files) {
        if !host_matches(entry.host_patterns(), &name) {
            continue;
        }
        let same_key = entry.public_key().key_data() == key.key_data();
        match entry.marker() {
            Some(Marker::Revoked) if same_key => return Verdict::Revoked { file, line },
            Some(_) => continue,
            None if same_key => known = true,
            None if entry.public_key().algorithm() == key.algorithm() => {
                changed.get_or_insert_with(|| (file, line, entry.public_key().clone()));
            }
            None => other_types.push(entry.public_key().algorithm().to_string()),
        }
    }
    if known {
        return Verdict::Known;
    }
    match changed {
        Some((file, line, old)) => Verdict::Changed {
            file,
            line,
            old: Box::new(old),
        },
        None => Verdict::Unknown { other_types },
    }
}

/// What the `@cert-authority` lines say of a host certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertVerdict {
    /// Signed by a trusted authority, valid now, for this host.
    Trusted,
    /// No `@cert-authority` line applies to this host.
    NoAuthority,
    /// An authority applies, but the certificate does not pass: why.
    Invalid(String),
    Revoked {
        file: PathBuf,
        line: usize,
    },
}

/// Whether any `@cert-authority` line applies to `name`: then host certificates are asked for.
pub fn has_authority(files: &[PathBuf], name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    entries(files).any(|(_, _, e)| e.marker() == Some(&Marker::CertAuthority) && host_matches(e.host_patterns(), &name))
}

/// Judges a host certificate: `name` as in known_hosts (`[host]:port`), `principal` the host
/// name it must be issued for (HostKeyAlias or HostName), `now` in Unix seconds.
pub fn check_certificate(files: &[PathBuf], name: &str, principal: &str, cert: &Certificate, now: u64) -> CertVerdict {
    let name = name.to_ascii_lowercase();
    let mut authorities = Vec::new();
    for (file, line, entry) in entries(files) {
        if !host_matches(entry.host_patterns(), &name) {
            continue;
        }
        let key = entry.public_key().key_data();
        match entry.marker() {
            Some(Marker::Revoked) if key == cert.public_key() || key == cert.signature_key() => {
                return CertVerdict::Revoked { file, line };
            }
            Some(Marker::CertAuthority) => authorities.push(entry.public_key().fingerprint(HashAlg::Sha256)),
            _ => {}
        }
    }
    if authorities.is_empty() {
        return CertVerdict::NoAuthority;
    }
    if cert.cert_type() != CertType::Host {
        return CertVerdict::Invalid("it is not a host certificate".into());
    }
    if let Err(e) = cert.validate_at(now, &authorities) {
        return CertVerdict::Invalid(format!("it does not verify against the trusted authorities ({e})"));
    }
    let principals = cert.valid_principals();
    if !principals.is_empty() && !principals.iter().any(|p| p.eq_ignore_ascii_case(principal)) {
        return CertVerdict::Invalid(format!(
            "it is not issued for {principal} (principals: {})",
            principals.join(", ")
        ));
    }
    CertVerdict::Trusted
}

/// Every parsable line of `files`, with its file and line number.
fn entries(files: &[PathBuf]) -> impl Iterator<Item = (PathBuf, usize, Entry)> + '_ {
    files.iter().flat_map(|file| {
        let text = fs::read_to_string(file).unwrap_or_default();
        let parsed: Vec<(PathBuf, usize, Entry)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.trim().starts_with('#'))
            .filter_map(|(index, l)| l.trim().parse::<Entry>().ok().map(|e| (file.clone(), index + 1, e)))
            .collect();
        parsed
    })
}

/// OpenSSH's `match_hostname`: any negated pattern that matches rejects; otherwise any
/// positive pattern that matches accepts.
fn host_matches(patterns: &HostPatterns, name: &str) -> bool {
    match patterns {
        HostPatterns::HashedName { salt, hash } => hashed_name(salt, name) == *hash,
        HostPatterns::Patterns(list) => {
            let mut matched = false;
            for pattern in list {
                let pattern = pattern.to_ascii_lowercase();
                match pattern.strip_prefix('!') {
                    Some(negated) if glob(negated, name) => return false,
                    Some(_) => {}
                    None => matched |= glob(&pattern, name),
                }
            }
            matched
        }
    }
}

fn hashed_name(salt: &[u8], name: &str) -> [u8; 20] {
    let mut mac = Hmac::<Sha1>::new_from_slice(salt).expect("HMAC takes keys of any length");
    mac.update(name.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The line OpenSSH would write for `name` and `key`, hashed when `HashKnownHosts` is on.
pub fn line_for(name: &str, key: &PublicKey, hash: bool) -> String {
    let name = name.to_ascii_lowercase();
    let host = if hash {
        let salt: [u8; 20] = rand::random();
        let b64 = base64::engine::general_purpose::STANDARD;
        format!("|1|{}|{}", b64.encode(salt), b64.encode(hashed_name(&salt, &name)))
    } else {
        name
    };
    let key_text = key.to_openssh().unwrap_or_default();
    // A server key has no comment; keep only `type base64`.
    let key_text = key_text.split(' ').take(2).collect::<Vec<_>>().join(" ");
    format!("{host} {key_text}\n")
}

/// Appends `key` for `name` to `file`, creating it (and `~/.ssh`, private) if needed.
pub fn append(file: &Path, name: &str, key: &PublicKey, hash: bool) -> io::Result<()> {
    let mut dirs = fs::DirBuilder::new();
    let mut open = fs::OpenOptions::new();
    open.create(true).append(true);
    // On Unix, modes 0700 and 0600 as ssh makes them. On Windows, files under the profile
    // inherit its owner-only ACL, which is what Windows OpenSSH relies on too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        dirs.mode(0o700);
        open.mode(0o600);
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        dirs.recursive(true).create(dir)?;
    }
    let needs_newline = fs::read(file)
        .map(|b| !b.is_empty() && !b.ends_with(b"\n"))
        .unwrap_or(false);
    let mut f = open.open(file)?;
    let mut text = line_for(name, key, hash);
    if needs_newline {
        text.insert(0, '\n');
    }
    f.write_all(text.as_bytes())
}

/// `SHA256:...`, as OpenSSH shows fingerprints.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Key type as OpenSSH names it in prompts (`ED25519`, `ECDSA`, `RSA`).
pub fn kind(key: &PublicKey) -> &'static str {
    use russh::keys::Algorithm;
    match key.algorithm() {
        Algorithm::Ed25519 => "ED25519",
        Algorithm::Ecdsa { .. } => "ECDSA",
        Algorithm::Rsa { .. } => "RSA",
        Algorithm::SkEd25519 => "ED25519-SK",
        Algorithm::SkEcdsaSha2NistP256 => "ECDSA-SK",
        _ => "host",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIElt3d1W0WW3KFQJrIfOcAhP58n9dKWwpE7tXk6gyQG/";
    const KEY_B: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFQy9/QIphaK0asmRWqm9kTEDPMPo66XHXkvx6h+3EZw";

    fn key(text: &str) -> PublicKey {
        PublicKey::from_openssh(text).unwrap()
    }

    fn file(text: &str) -> (tempdir::Dir, PathBuf) {
        let dir = tempdir::Dir::new();
        let path = dir.0.join("known_hosts");
        fs::write(&path, text).unwrap();
        (dir, path)
    }

    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                let path =
                    std::env::temp_dir().join(format!("crl-kh-{}-{}", std::process::id(), rand::random::<u64>()));
                std::fs::create_dir_all(&path).unwrap();
                Self(path)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn patterns_wildcards_negation_and_case() {
        let (_d, f) = file(&format!("# comment\n\n*.example.com,!bad.example.com {KEY_A}\n"));
        assert_eq!(
            check(std::slice::from_ref(&f), "Dev.Example.COM", &key(KEY_A)),
            Verdict::Known
        );
        assert!(matches!(
            check(&[f], "bad.example.com", &key(KEY_A)),
            Verdict::Unknown { .. }
        ));
    }

    #[test]
    fn changed_names_the_file_and_line_of_the_old_key() {
        let (_d, f) = file(&format!("# one\nother {KEY_A}\n[dev]:2222 {KEY_B}\n"));
        match check(std::slice::from_ref(&f), "[dev]:2222", &key(KEY_A)) {
            Verdict::Changed { file, line, old } => {
                assert_eq!((file, line), (f, 3));
                assert_eq!(fingerprint(&old), fingerprint(&key(KEY_B)));
            }
            other => panic!("{other:?}"),
        }
    }

    /// russh's helper reports the first differing line as a change; OpenSSH accepts a key
    /// held by any matching line.
    #[test]
    fn a_later_matching_line_wins_over_an_earlier_different_key() {
        let (_d, f) = file(&format!("dev {KEY_B}\ndev {KEY_A}\n"));
        assert_eq!(check(&[f], "dev", &key(KEY_A)), Verdict::Known);
    }

    #[test]
    fn revoked_wins() {
        let (_d, f) = file(&format!("dev {KEY_A}\n@revoked * {KEY_A}\n"));
        assert!(matches!(
            check(&[f], "dev", &key(KEY_A)),
            Verdict::Revoked { line: 2, .. }
        ));
    }

    #[test]
    fn hashed_lines_written_are_read_back() {
        let d = tempdir::Dir::new();
        let f = d.0.join("sub/known_hosts");
        append(&f, "[Dev]:2222", &key(KEY_A), true).unwrap();
        let text = fs::read_to_string(&f).unwrap();
        assert!(
            text.starts_with("|1|") && text.ends_with(&format!("{KEY_A}\n")),
            "{text}"
        );
        assert_eq!(
            check(std::slice::from_ref(&f), "[dev]:2222", &key(KEY_A)),
            Verdict::Known
        );
        assert!(matches!(check(&[f], "dev", &key(KEY_A)), Verdict::Unknown { .. }));
    }

    #[test]
    fn plain_append_keeps_existing_lines() {
        let (_d, f) = file(&format!("other {KEY_B}"));
        append(&f, "dev", &key(KEY_A), false).unwrap();
        assert_eq!(fs::read_to_string(&f).unwrap(), format!("other {KEY_B}\ndev {KEY_A}\n"));
    }
}
