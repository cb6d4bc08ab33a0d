//! Opening the sign-in page: with the program `--browser-command` names; under WSL with the
//! Windows browser, whose requests reach WSL's 127.0.0.1 through WSL2's localhost forwarding;
//! elsewhere the system's default (the `webbrowser` crate, which honours `$BROWSER`). The URL
//! is always one argument of a program started directly, never a line for a shell, and always
//! the page as [`crate::codex::authorize`] rebuilt it: unreserved characters and `%XX` in its query.
//!
//! Under WSL the page is handed to `rundll32.exe url.dll,FileProtocolHandler URL`, which
//! gives it to the shell's protocol handler (ShellExecute): WSL's interop starts the Windows
//! program with the URL as one argument of its command line, and no shell, cmd.exe or
//! PowerShell reads it on the way. Not wslu's `wslview`: it runs `Start "URL"` through
//! `powershell.exe -Command`, which evaluates `$(...)` and backticks inside the quotes, so the
//! URL would be one PowerShell parser away from code. `explorer.exe URL` (the same handler,
//! its own argument parsing, which splits at commas; a rebuilt URL has none) is the fallback
//! where `rundll32.exe` cannot be started.

use std::ffi::{OsStr, OsString};
use std::process::Stdio;

use crate::codex::authorize::PageUrl;

/// Where WSL finds the Windows programs when its PATH leaves Windows' own out
/// (`appendWindowsPath = false`): the default mount of C:.
const WSL_SYSTEM32: &str = "/mnt/c/Windows/System32";

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

/// Opens `url`, which [`crate::codex::authorize`] has validated and rebuilt.
pub async fn open(url: &PageUrl, command: Option<&OsStr>) -> Result<(), String> {
    let browser_env_set = std::env::var_os("BROWSER").is_some_and(|b| !b.is_empty());
    let url = url.as_str();
    match choose(command, browser_env_set, &osrelease()) {
        Opener::Command(program) => start(&program, &[url]),
        Opener::Wsl => {
            let mut why = String::new();
            for (program, args) in wsl_openers() {
                let args: Vec<&str> = args.iter().copied().chain([url]).collect();
                match start(program.as_ref(), &args) {
                    Ok(()) => return Ok(()),
                    Err(e) => why = e,
                }
            }
            Err(why)
        }
        Opener::Default => {
            let url = url.to_owned();
            tokio::task::spawn_blocking(move || webbrowser::open(&url))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())
        }
    }
}

/// The Windows programs that open a page from WSL, in order, with their arguments before the
/// URL: none passes it through a shell or PowerShell.
fn wsl_openers() -> [(String, &'static [&'static str]); 3] {
    const HANDLER: &[&str] = &["url.dll,FileProtocolHandler"];
    [
        ("rundll32.exe".to_owned(), HANDLER),
        (format!("{WSL_SYSTEM32}/rundll32.exe"), HANDLER),
        ("explorer.exe".to_owned(), &[]),
    ]
}

/// Starts `program ARGS...` and leaves it running, as a browser may stay open; tokio reaps it
/// when it ends.
fn start(program: &OsStr, args: &[&str]) -> Result<(), String> {
    command(program, args)
        .spawn()
        .map(drop)
        .map_err(|e| format!("{}: {e}", program.to_string_lossy()))
}

/// `program ARGS...`, the URL one argument among them. Its output is discarded: stdout carries
/// only this tool's data.
fn command(program: &OsStr, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
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
        let url = "https://auth.openai.com/oauth/authorize?a=1&b=%24%28touch%20x%29";
        let cmd = command("my-browser".as_ref(), &[url]);
        assert_eq!(cmd.as_std().get_program(), "my-browser");
        assert_eq!(cmd.as_std().get_args().collect::<Vec<_>>(), [url]);
    }

    /// Under WSL no opener is wslu's `wslview` or PowerShell: rundll32's protocol handler
    /// first, from PATH or C:, then explorer.exe.
    #[test]
    fn wsl_openers_pass_no_parser() {
        let openers = wsl_openers();
        let programs: Vec<&str> = openers.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            programs,
            ["rundll32.exe", "/mnt/c/Windows/System32/rundll32.exe", "explorer.exe"]
        );
        assert_eq!(openers[0].1, ["url.dll,FileProtocolHandler"]);
        assert!(openers[2].1.is_empty());
    }
}
