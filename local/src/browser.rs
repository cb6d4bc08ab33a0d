//! Opening the sign-in page: with the program `--browser-command` names; under WSL with the
//! Windows browser (`wslview`, else `explorer.exe`), whose requests reach WSL's 127.0.0.1
//! through WSL2's localhost forwarding; elsewhere the system's default (the `webbrowser`
//! crate, which honours `$BROWSER`). The URL is always one argument of a program started
//! directly, never a line for a shell.

use std::ffi::{OsStr, OsString};
use std::process::Stdio;

/// How the page is opened.
#[derive(Debug, PartialEq, Eq)]
pub enum Opener {
    /// `--browser-command`: this program, with the URL as its one argument.
    Command(OsString),
    /// Under WSL: the Windows browser.
    Wsl,
    /// The system's default browser, or `$BROWSER`.
    Default,
}

/// Chooses the opener. `osrelease` is the kernel's `/proc/sys/kernel/osrelease`, which names
/// Microsoft under WSL (`...-microsoft-standard-WSL2`, or `...-Microsoft` for WSL 1); a
/// `$BROWSER` the user set is honoured there too.
pub fn choose(command: Option<&OsStr>, browser_env_set: bool, osrelease: &str) -> Opener {
    let release = osrelease.to_ascii_lowercase();
    match command {
        Some(program) => Opener::Command(program.to_owned()),
        None if !browser_env_set && (release.contains("microsoft") || release.contains("wsl")) => Opener::Wsl,
        None => Opener::Default,
    }
}

/// Opens `url`, which [`crate::authorize`] has already validated.
pub async fn open(url: &str, command: Option<&OsStr>) -> Result<(), String> {
    let browser_env_set = std::env::var_os("BROWSER").is_some_and(|b| !b.is_empty());
    match choose(command, browser_env_set, &osrelease()) {
        Opener::Command(program) => start(&program, url),
        // wslu's `wslview` where installed; `explorer.exe` is on every WSL's PATH.
        Opener::Wsl => start("wslview".as_ref(), url).or_else(|_| start("explorer.exe".as_ref(), url)),
        Opener::Default => {
            let url = url.to_owned();
            tokio::task::spawn_blocking(move || webbrowser::open(&url))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())
        }
    }
}

/// Starts `program URL` and leaves it running, as a browser may stay open; tokio reaps it
/// when it ends.
fn start(program: &OsStr, url: &str) -> Result<(), String> {
    command(program, url)
        .spawn()
        .map(drop)
        .map_err(|e| format!("{}: {e}", program.to_string_lossy()))
}

/// `program URL`, with the URL as one argument. Its output is discarded: stdout carries only
/// this tool's data.
fn command(program: &OsStr, url: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(program);
    cmd.arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// The kernel release, which names WSL; empty where there is none to read.
fn osrelease() -> String {
    if cfg!(target_os = "linux") {
        std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wsl_opens_the_windows_browser() {
        for release in ["5.15.153.1-microsoft-standard-WSL2", "4.4.0-19041-Microsoft"] {
            assert_eq!(choose(None, false, release), Opener::Wsl, "{release}");
            assert_eq!(choose(None, true, release), Opener::Default, "$BROWSER wins: {release}");
        }
        assert_eq!(choose(None, false, "6.1.0-28-amd64\n"), Opener::Default);
        assert_eq!(choose(None, false, ""), Opener::Default, "macOS and Windows have none");
    }

    #[test]
    fn the_browser_command_wins_everywhere() {
        for release in ["5.15.153.1-microsoft-standard-WSL2", "6.1.0-28-amd64", ""] {
            assert_eq!(
                choose(Some("my browser".as_ref()), false, release),
                Opener::Command("my browser".into())
            );
        }
    }

    /// The URL reaches the program as its one argument, `&` and all: no shell between.
    #[test]
    fn the_url_is_one_argument() {
        let url = "https://auth.openai.com/oauth/authorize?a=1&b=$(touch x);c 'd' %PATH%";
        let cmd = command("my-browser".as_ref(), url);
        assert_eq!(cmd.as_std().get_program(), "my-browser");
        assert_eq!(cmd.as_std().get_args().collect::<Vec<_>>(), [url]);
    }
}
