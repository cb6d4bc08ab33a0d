//! Shell completions and the man page, generated from the CLI definition itself
//! (`--generate KIND`), so they can never drift from what the binary accepts.

use std::io::{self, Write};

use clap::{CommandFactory, ValueEnum};
use clap_complete::Shell;

use crate::cli::Cli;

/// What `--generate` writes on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    /// The man page (roff): `codex-remote-login --generate man > codex-remote-login.1`.
    Man,
    /// Bash completions: source the output from ~/.bashrc, or install it in
    /// /usr/share/bash-completion/completions/codex-remote-login.
    CompleteBash,
    /// Zsh completions: save as `_codex-remote-login` in a directory on $fpath.
    CompleteZsh,
    /// Fish completions: save in ~/.config/fish/completions/codex-remote-login.fish.
    CompleteFish,
    /// PowerShell completions: dot-source the output from $PROFILE.
    CompletePowershell,
}

/// Writes `kind` to `out`.
pub fn write(kind: Generate, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_owned();
    let shell = match kind {
        Generate::Man => return clap_mangen::Man::new(cmd).render(out),
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

/// clap_complete 4.6 escapes the hyphens of a binary's name one way where it enters a
/// subcommand (`codex__remote__login__subcmd__status`) and another way in the cases that
/// complete it (`codex__subcmd__remote__subcmd__login__subcmd__status`), so no subcommand's
/// options ever completed. The second spelling is brought back to the first.
fn bash_fixed(text: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(text)
        .replace("codex__subcmd__remote__subcmd__login", "codex__remote__login")
        .into_bytes()
}
