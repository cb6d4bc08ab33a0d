//! Questions to the person at the terminal, asked on `/dev/tty` as OpenSSH asks them (on
//! Windows the console, `CONIN$` and `CONOUT$`), so they work while stdin and stdout carry
//! data. Without a terminal there is no one to ask.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::sync::Mutex;

use codex_remote_login_shared::redact;

/// One question at a time: hosts connecting at once must not interleave their prompts.
pub(crate) static ASKING: Mutex<()> = Mutex::new(());

/// Whether a controlling terminal exists to ask questions on.
pub fn available() -> bool {
    open().is_ok()
}

/// The terminal, to read the answer from and to write the question to.
#[cfg(not(windows))]
fn open() -> io::Result<(File, File)> {
    let tty = OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    Ok((tty.try_clone()?, tty))
}

/// The console this program runs in; none when it was started without one (from a service,
/// or detached), as a Unix program without a controlling terminal has no `/dev/tty`.
#[cfg(windows)]
fn open() -> io::Result<(File, File)> {
    let input = OpenOptions::new().read(true).write(true).open("CONIN$")?;
    let output = OpenOptions::new().read(true).write(true).open("CONOUT$")?;
    Ok((input, output))
}

/// Asks `prompt` and returns the answer without its line ending. The prompt may name things
/// from outside (a program holding a port, a container): it is sanitised like every line.
pub fn ask(prompt: &str) -> io::Result<String> {
    let _turn = ASKING.lock().unwrap_or_else(|e| e.into_inner());
    ask_unlocked(prompt)
}

pub(crate) fn ask_unlocked(prompt: &str) -> io::Result<String> {
    let (input, output) = open()?;
    (&output).write_all(redact::terminal(prompt).as_bytes())?;
    (&output).flush()?;
    let mut answer = String::new();
    BufReader::new(&input).read_line(&mut answer)?;
    Ok(answer.trim_end_matches(['\r', '\n']).to_owned())
}

/// Asks for a secret with echo off.
pub fn ask_secret(prompt: &str) -> io::Result<String> {
    let _turn = ASKING.lock().unwrap_or_else(|e| e.into_inner());
    ask_secret_unlocked(prompt)
}

pub(crate) fn ask_secret_unlocked(prompt: &str) -> io::Result<String> {
    rpassword::prompt_password(redact::terminal(prompt))
}
