//! Where OpenSSH looks on this platform: the user's home and name, the system-wide folder,
//! `~` in a path, and the key files tried when the config names none. Both readers of the
//! configuration (`ssh -G`'s output and this crate's own evaluator) and authentication use
//! them, so they stand below all three.

use std::path::{Path, PathBuf};

/// The key files ssh tries in `~/.ssh` when the config names none.
pub const DEFAULT_IDENTITIES: [&str; 7] = [
    "id_rsa",
    "id_ecdsa",
    "id_ecdsa_sk",
    "id_ed25519",
    "id_ed25519_sk",
    "id_xmss",
    "id_dsa",
];

/// The user's home, where OpenSSH for this platform finds it: `HOME` on Unix; on Windows the
/// profile (`USERPROFILE`), since Windows OpenSSH ignores `HOME` (which Git Bash and MSYS set
/// to a path only they understand).
pub fn home_dir() -> PathBuf {
    home_from(&env_var, cfg!(windows))
}

/// The user name that `ssh` would log in as: `USER` (or `LOGNAME`) on Unix, `USERNAME` on
/// Windows.
pub fn local_user() -> String {
    user_from(&env_var, cfg!(windows))
}

/// Where the system-wide ssh config and known hosts live: `/etc/ssh`, or on Windows OpenSSH's
/// `%PROGRAMDATA%\ssh`.
pub fn system_dir() -> PathBuf {
    system_dir_from(&env_var, cfg!(windows))
}

/// `~` at the start of a path is the home: `~/...`, and on Windows `~\...` too. On Windows,
/// `__PROGRAMDATA__`, which Windows OpenSSH's `ssh -G` prints for its system files and resolves
/// only when it opens them, is `%PROGRAMDATA%`.
pub fn expand_tilde(path: &str, home: &Path) -> PathBuf {
    if cfg!(windows)
        && let Some(rest) = path.strip_prefix("__PROGRAMDATA__")
    {
        let system = system_dir();
        let data = system.parent().unwrap_or(&system);
        return PathBuf::from(format!("{}{rest}", data.display()));
    }
    expand_tilde_for(path, home, cfg!(windows))
}

type Env<'a> = &'a dyn Fn(&str) -> Option<std::ffi::OsString>;

/// A variable that is set to something: an empty one counts as unset.
fn env_var(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

fn home_from(var: Env<'_>, windows: bool) -> PathBuf {
    var(if windows { "USERPROFILE" } else { "HOME" })
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

fn user_from(var: Env<'_>, windows: bool) -> String {
    let names: &[&str] = if windows { &["USERNAME"] } else { &["USER", "LOGNAME"] };
    names
        .iter()
        .find_map(|n| var(n).filter(|v| !v.is_empty()))
        .map(|v| v.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".to_owned())
}

fn system_dir_from(var: Env<'_>, windows: bool) -> PathBuf {
    if !windows {
        return PathBuf::from("/etc/ssh");
    }
    var("PROGRAMDATA")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"))
        .join("ssh")
}

fn expand_tilde_for(path: &str, home: &Path, windows: bool) -> PathBuf {
    let rest = path
        .strip_prefix("~/")
        .or_else(|| path.strip_prefix(r"~\").filter(|_| windows));
    match rest {
        Some(rest) => home.join(rest),
        None if path == "~" => home.to_path_buf(),
        None => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<std::ffi::OsString> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.into())
    }

    /// Windows OpenSSH's places, whatever platform runs the test: the profile (never a
    /// Unix-style HOME from Git Bash), USERNAME, %PROGRAMDATA%\ssh, and `~\`.
    #[test]
    fn windows_user_home_and_system_dir() {
        let vars = env(&[
            ("HOME", "/c/Users/alice"),
            ("USERPROFILE", r"C:\Users\alice"),
            ("USER", "bash-user"),
            ("USERNAME", "alice"),
            ("PROGRAMDATA", r"D:\ProgramData"),
        ]);
        assert_eq!(home_from(&vars, true), PathBuf::from(r"C:\Users\alice"));
        assert_eq!(user_from(&vars, true), "alice");
        assert_eq!(system_dir_from(&vars, true), Path::new(r"D:\ProgramData").join("ssh"));
        assert_eq!(
            system_dir_from(&env(&[]), true),
            Path::new(r"C:\ProgramData").join("ssh")
        );
        let home = Path::new("H");
        assert_eq!(expand_tilde_for(r"~\.ssh\id", home, true), home.join(r".ssh\id"));
        assert_eq!(expand_tilde_for("~/.ssh/id", home, true), home.join(".ssh/id"));
        // On Unix a backslash is part of a file name: `~\x` is no home.
        assert_eq!(expand_tilde_for(r"~\x", home, false), PathBuf::from(r"~\x"));
    }

    #[test]
    fn unix_user_home_and_system_dir() {
        let vars = env(&[("HOME", "/home/bob"), ("LOGNAME", "bob"), ("USERNAME", "windows-name")]);
        assert_eq!(home_from(&vars, false), PathBuf::from("/home/bob"));
        assert_eq!(user_from(&vars, false), "bob");
        assert_eq!(user_from(&env(&[("USER", "")]), false), "root", "empty is unset");
        assert_eq!(system_dir_from(&vars, false), PathBuf::from("/etc/ssh"));
        assert_eq!(expand_tilde_for("~", Path::new("/h"), false), PathBuf::from("/h"));
    }

    /// Under Wine for the Windows build, Windows OpenSSH's placeholder is resolved; on Unix it
    /// is a file name like any other.
    #[test]
    fn programdata_placeholder() {
        let path = expand_tilde(r"__PROGRAMDATA__\ssh/ssh_known_hosts", Path::new("/h"));
        if cfg!(windows) {
            assert_eq!(path, system_dir().join("ssh_known_hosts"));
        } else {
            assert_eq!(path, PathBuf::from(r"__PROGRAMDATA__\ssh/ssh_known_hosts"));
        }
    }

    /// The platform this runs on (under Wine for the Windows build) takes its own variables.
    #[test]
    fn this_platform_reads_its_own_variables() {
        let (home, user) = if cfg!(windows) {
            ("USERPROFILE", "USERNAME")
        } else {
            ("HOME", "USER")
        };
        if let Some(value) = env_var(home) {
            assert_eq!(home_dir(), PathBuf::from(value));
        }
        if let Some(value) = env_var(user) {
            assert_eq!(local_user(), value.to_string_lossy());
        }
    }
}
