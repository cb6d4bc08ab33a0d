//! This machine's own Codex login: where it is, and whether it is the same as a host's,
//! told from a hash the host salts afresh for each run (nothing of the host's token comes
//! here, and nothing of this machine's goes there).

use std::path::PathBuf;

use ssh::places;

/// `$CODEX_HOME/auth.json`, else `~/.codex/auth.json`, on this machine.
pub(crate) fn path() -> PathBuf {
    std::env::var_os("CODEX_HOME")
        .map_or_else(|| places::home_dir().join(".codex"), PathBuf::from)
        .join("auth.json")
}

/// Whether this machine's own auth.json holds the refresh token whose SHA-256, after `salt`,
/// is `hex` (as a host's shim reports it: `lo-salted`, `sv-salted`).
pub(crate) fn holds_salted(salt: &str, hex: &str) -> bool {
    std::fs::read_to_string(path()).is_ok_and(|text| holds(&text, salt, hex))
}

/// Whether the login `text` (an auth.json) holds the refresh token whose salted SHA-256 is
/// `hex`.
fn holds(text: &str, salt: &str, hex: &str) -> bool {
    use sha2::{Digest, Sha256};
    let Ok(login) = serde_json::from_str::<serde_json::Value>(text) else {
        return false;
    };
    let Some(token) = login["tokens"]["refresh_token"].as_str().filter(|t| !t.is_empty()) else {
        return false;
    };
    let digest = Sha256::new().chain_update(salt).chain_update(token).finalize();
    let ours: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    ours == hex
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This machine's copy is found from the salted hash alone.
    #[test]
    fn this_machines_copy_is_told_by_its_salted_hash() {
        use sha2::{Digest, Sha256};
        let login = r#"{"tokens":{"refresh_token":"rt-1"}}"#;
        let hex: String = Sha256::digest(b"saltrt-1").iter().map(|b| format!("{b:02x}")).collect();
        assert!(holds(login, "salt", &hex));
        assert!(!holds(login, "other", &hex), "another run's salt");
        assert!(!holds(r#"{"tokens":{"refresh_token":""}}"#, "salt", &hex));
        assert!(!holds("not json", "salt", &hex));
    }
}
