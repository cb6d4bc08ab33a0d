//! The `codex-remote-login` binary: parse arguments, set up logging, run, exit with a
//! documented status.
#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use codex_remote_login::{Cli, Colors, Generate, Ui, Verbosity};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // Started by ssh as its askpass helper: carry one question to the tool, nothing else.
    #[cfg(unix)]
    if let Some(code) = ssh::askpass::helper() {
        return code;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    if let Some(kind) = cli.generate {
        return generated(kind);
    }
    let verbosity = match (cli.common.quiet, cli.common.verbose) {
        (true, _) => Verbosity::Quiet,
        (false, 0) => Verbosity::Normal,
        _ => Verbosity::Verbose,
    };
    let level = match cli.common.verbose {
        0 => "warn",
        1 => "codex_remote_login=info",
        2 => "codex_remote_login=debug",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(cli.common.color.applies(std::io::stderr().is_terminal()))
        .without_time()
        .init();

    let colors = Colors {
        stderr: cli.common.color.applies(std::io::stderr().is_terminal()),
        stdout: cli.common.color.applies(std::io::stdout().is_terminal()),
    };
    let ui = Arc::new(Ui::new(cli.common.json, verbosity).with_colors(colors));
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            ui.always(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(codex_remote_login::run(cli, ui.clone())) {
        Ok(status) => ExitCode::from(status.code()),
        Err(error) => {
            codex_remote_login::show_error(&ui, &error);
            ExitCode::from(error.exit_status().code())
        }
    }
}

/// A command line clap refused (or `--help`, `--version`). With `--json` among the words, the
/// refusal is an `error` event on stdout too, so that a script reading the stream learns why
/// it ended; the words after `--` are operands, never options.
fn usage_error(e: clap::Error) -> ExitCode {
    let json = std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json");
    if json && e.use_stderr() {
        let rendered = e.render().to_string();
        let message = rendered
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_owned();
        let line = codex_remote_login::usage_error_line(
            message,
            "codex-remote-login --help shows the commands and their options".to_owned(),
        );
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
    let _ = e.print();
    // clap's own: 0 for --help and --version, 2 for a usage error.
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

/// `--generate`: completions or the man page on stdout. A closed pipe (`| head`) is no error.
fn generated(kind: Generate) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match codex_remote_login::generate(kind, &mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: cannot write the output: {e}");
            ExitCode::from(1)
        }
    }
}
