//! Command-line mistakes caught as mistakes, before anything connects: a first word that is
//! a mistyped subcommand (`statsu`), an ssh config file that is not there. Each is a usage
//! error (exit 2) naming the bad value.

use crate::error::Error;
use crate::settings::COMMANDS;
use crate::ui::Ui;
use ssh::destination::Destination;
use ssh::{self, config, config_file, places};

/// Checks what the sign-in's first word and the connection options say, before any of them
/// is used.
pub async fn check(first_host: Option<&str>, ssh: &ssh::Settings, ui: &Ui) -> Result<(), Error> {
    config_file(ssh)?;
    // As ssh does: a warning, and the sign-in goes on with the other keys.
    for file in &ssh.identity {
        if let Err(e) = std::fs::metadata(file) {
            ui.warn(&format!("identity file {} not accessible: {e}", file.display()));
        }
    }
    if let Some(word) = first_host
        && let Some(command) = mistyped_command(word)
        && !is_a_host(word, ssh).await
    {
        return Err(Error::MistypedCommand {
            word: word.to_owned(),
            command,
        });
    }
    Ok(())
}

/// `-F FILE` must be a file that can be read (ssh itself refuses to go on without it).
fn config_file(ssh: &ssh::Settings) -> Result<(), Error> {
    match &ssh.config {
        Some(file) => std::fs::File::open(file).map(drop).map_err(|e| Error::BadArgument {
            what: format!("cannot read the ssh config file {} (-F)", file.display()),
            why: e.to_string(),
        }),
        None => Ok(()),
    }
}

/// The subcommand `word` is within two edits of, if it is a bare word (`user@word` and
/// `ssh://word` always mean a host).
fn mistyped_command(word: &str) -> Option<String> {
    if word.contains(['@', ':', '/', '.']) {
        return None;
    }
    let word = word.to_ascii_lowercase();
    COMMANDS
        .into_iter()
        .map(|name| (edits(&word, name), name))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, name)| name.to_owned())
}

/// Whether `word` names a host after all: a `Host` line of the ssh config lists it literally,
/// the config maps it to another `HostName`, or it resolves in DNS.
async fn is_a_host(word: &str, ssh: &ssh::Settings) -> bool {
    let files = match &ssh.config {
        Some(file) => vec![file.clone()],
        None => vec![
            places::home_dir().join(".ssh/config"),
            places::system_dir().join("ssh_config"),
        ],
    };
    if files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .any(|text| lists_host(&text, word))
    {
        return true;
    }
    let Ok(dest) = Destination::parse(word) else {
        return true;
    };
    match config::resolve(&dest, ssh) {
        Ok(resolved) if !resolved.hostname.eq_ignore_ascii_case(word) => return true,
        Ok(_) => {}
        // Not ours to judge here: the sign-in reports it.
        Err(_) => return true,
    }
    let lookup = tokio::net::lookup_host((word, 22));
    match tokio::time::timeout(std::time::Duration::from_secs(5), lookup).await {
        Ok(Ok(mut addrs)) => addrs.next().is_some(),
        Ok(Err(_)) => false,
        // A slow resolver is no evidence either way: take the word as written.
        Err(_) => true,
    }
}

/// Whether a `Host` line of config `text` lists `word` as a literal pattern.
fn lists_host(text: &str, word: &str) -> bool {
    config_file::host_patterns(text).any(|p| p.eq_ignore_ascii_case(word))
}

/// Levenshtein distance, for names of a few letters.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_of_subcommands_are_caught_and_hosts_are_not() {
        assert_eq!(mistyped_command("statsu").as_deref(), Some("status"));
        assert_eq!(mistyped_command("stats").as_deref(), Some("status"));
        assert_eq!(mistyped_command("docter").as_deref(), Some("doctor"));
        assert_eq!(mistyped_command("contianers").as_deref(), Some("containers"));
        for host in [
            "dev-vm",
            "me@statsu",
            "ssh://statsu",
            "stats.example.com",
            "build-7",
            "web",
        ] {
            assert_eq!(mistyped_command(host), None, "{host}");
        }
    }

    #[test]
    fn literal_host_lines_count() {
        let config = "Host web stats\n  HostName 10.0.0.1\nhost=docker\nMatch host statsu\n";
        assert!(lists_host(config, "stats"));
        assert!(lists_host(config, "docker"));
        assert!(!lists_host(config, "statsu"), "a Match line is not a Host pattern");
    }

    #[test]
    fn edit_distance() {
        assert_eq!(edits("statsu", "status"), 2);
        assert_eq!(edits("push", "push"), 0);
        assert_eq!(edits("", "abc"), 3);
    }
}
