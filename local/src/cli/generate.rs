//! Shell completions and the man page, generated from the CLI definition itself
//! (`--generate KIND`), so they can never drift from what the binary accepts.

use std::io::{self, Write};

use clap::{Command, CommandFactory};
use clap_complete::Shell;

use crate::cli::{Cli, Generate};

/// Writes `kind` to `out`.
pub fn write(kind: Generate, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_owned();
    let shell = match kind {
        Generate::Man => return clap_mangen::Man::new(for_man(cmd)).render(out),
        Generate::CompleteBash => Shell::Bash,
        Generate::CompleteZsh => Shell::Zsh,
        Generate::CompleteFish => Shell::Fish,
        Generate::CompletePowershell => Shell::PowerShell,
    };
    // Generated into memory first: clap_complete panics when its writer fails, and a closed
    // pipe (`| head`) must end quietly instead.
    let mut text = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut text);
    if shell == Shell::Bash {
        text = bash_fixed(&text);
    }
    out.write_all(&text)
}

/// The man page is one page, whose list of commands clap_mangen writes from each command's
/// one-line `about` (what `-h` shows); the page is given each command's whole description
/// (what its `--help` shows) instead, so that the detail is in the man page too.
fn for_man(cmd: Command) -> Command {
    let names: Vec<String> = cmd.get_subcommands().map(|sub| sub.get_name().to_owned()).collect();
    names.iter().fold(cmd, |cmd, name| {
        cmd.mut_subcommand(name, |sub| match sub.get_long_about().cloned() {
            Some(long) => sub.about(long),
            None => sub,
        })
    })
}

/// clap_complete 4.6 escapes the hyphens of a binary's name one way where it enters a
/// subcommand (`codex__remote__login__subcmd__status`) and another way in the cases that
/// complete it (`codex__subcmd__remote__subcmd__login__subcmd__status`), so no subcommand's
/// options ever completed. The second spelling is brought back to the first.
fn bash_fixed(text: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(text)
        .replace("codex__subcmd__remote__subcmd__login", "codex__remote__login")
        .into_bytes()
}
