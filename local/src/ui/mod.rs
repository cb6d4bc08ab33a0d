//! Everything a person reads goes through here, to stderr; `--json` events go to stdout.
//!
//! On a terminal the current step is a spinner; elsewhere each step is a plain line. With
//! several hosts each host has a line of its own (a child [`Ui`]), on a terminal a spinner
//! that ends showing the host's outcome, elsewhere lines prefixed with the host.
//!
//! Text from the far side reaches here already sanitised (it is held as `Untrusted`, whose
//! `Display` escapes it); as a last line of defence every line, table and spinner message is
//! passed through [`redact::terminal`] too, so no control character but the line end from any
//! source reaches the terminal. `--json` is left alone: serde escapes controls there.

pub mod browser;
pub mod exit;
pub mod help;
pub mod json;
pub mod prompts;
pub mod terminal;

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use codex_remote_login_shared::redact;

use crate::ui::json::Event;

/// How much a person wants to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

pub struct Ui {
    json: bool,
    verbosity: Verbosity,
    /// On a terminal: the spinners, one per host line.
    multi: Option<MultiProgress>,
    spinner: Option<ProgressBar>,
    /// A host's child: its lines start with `host: ` where there is no spinner.
    prefix: Option<String>,
    /// Whether `error:`, `warning:`, `hint:` and FAIL are coloured, on stderr and stdout.
    colors: Colors,
}

/// Where colour is used: decided once from `--color`, NO_COLOR and the terminals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Colors {
    pub stderr: bool,
    pub stdout: bool,
}

fn spinner(template: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template(template).expect("static template"));
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

impl Ui {
    pub fn new(json: bool, verbosity: Verbosity) -> Self {
        let multi = (verbosity == Verbosity::Normal && io::stderr().is_terminal()).then(MultiProgress::new);
        let spinner = multi.as_ref().map(|m| m.add(spinner("{spinner} {msg}")));
        Self {
            json,
            verbosity,
            multi,
            spinner,
            prefix: None,
            colors: Colors::default(),
        }
    }

    /// With colour where `colors` says.
    #[must_use]
    pub fn with_colors(mut self, colors: Colors) -> Self {
        self.colors = colors;
        self
    }

    /// The line of one host among several.
    pub fn child(&self, host: &str) -> Self {
        let spinner = self.multi.as_ref().map(|m| {
            let bar = m.add(spinner("{spinner} {prefix:.bold} {msg}"));
            bar.set_prefix(redact::terminal(host));
            bar
        });
        Self {
            json: self.json,
            verbosity: self.verbosity,
            multi: self.multi.clone(),
            spinner,
            prefix: Some(host.to_owned()),
            colors: self.colors,
        }
    }

    /// The step the user is waiting on.
    pub fn step(&self, message: &str) {
        match &self.spinner {
            Some(bar) => bar.set_message(redact::terminal(message)),
            None if self.verbosity >= Verbosity::Normal => self.line(&format!("{message}…")),
            None => {}
        }
    }

    /// A fleeting update of the current step (a countdown): the spinner only, since plain
    /// lines would repeat it every second.
    pub fn tick(&self, message: &str) {
        if let Some(bar) = &self.spinner {
            bar.set_message(redact::terminal(message));
        }
    }

    /// Something the user must see, even with `-q` (the sign-in URL).
    pub fn always(&self, message: &str) {
        self.line(message);
    }

    /// A line at normal verbosity.
    pub fn info(&self, message: &str) {
        if self.verbosity >= Verbosity::Normal {
            self.line(message);
        }
    }

    pub fn warn(&self, message: &str) {
        self.line(&format!("warning: {message}"));
    }

    pub fn json(&self) -> bool {
        self.json
    }

    /// Whether summaries (tables, outcomes) are shown on stderr: not with `-q` or `--json`.
    pub fn shows_summaries(&self) -> bool {
        !self.json && self.verbosity >= Verbosity::Normal
    }

    /// Data for stdout (a table), whatever the verbosity.
    pub fn data(&self, text: &str) {
        let text = paint(&redact::terminal(text), self.colors.stdout);
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "{text}").and_then(|()| out.flush());
    }

    /// One `--json` event on stdout.
    pub fn event(&self, event: &Event<'_>) {
        if !self.json {
            return;
        }
        let mut out = io::stdout().lock();
        let line = serde_json::to_string(event).expect("events serialize");
        // A closed stdout (`| head`) must not turn a sign-in into a failure.
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    }

    /// Runs `f` with the spinners hidden, for prompts on the terminal.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match (&self.multi, &self.spinner) {
            (Some(multi), _) => multi.suspend(f),
            (None, Some(bar)) => bar.suspend(f),
            (None, None) => f(),
        }
    }

    /// Clears the progress display and draws none until [`Ui::resume`]: for a prompt that waits
    /// on a thread of its own while the flow goes on (`--paste`), which [`Ui::suspend`] cannot
    /// cover without stopping the flow. Lines are still written, between the prompts.
    pub fn pause(&self) {
        if let Some(multi) = &self.multi {
            let _ = multi.clear();
            multi.set_draw_target(ProgressDrawTarget::hidden());
        }
    }

    /// Draws the progress display again after [`Ui::pause`].
    pub fn resume(&self) {
        if let Some(multi) = &self.multi {
            multi.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Removes the spinner before the final summary or error.
    pub fn finish(&self) {
        if let Some(bar) = &self.spinner {
            bar.finish_and_clear();
        }
    }

    /// Ends a host's line showing its outcome.
    pub fn finish_with(&self, outcome: &str) {
        match &self.spinner {
            Some(bar) => bar.finish_with_message(redact::terminal(outcome)),
            None if self.verbosity >= Verbosity::Normal => self.line(outcome),
            None => {}
        }
    }

    fn line(&self, text: &str) {
        // Coloured after sanitising: the only escapes that reach the terminal are ours.
        let text = paint(&redact::terminal(text), self.colors.stderr);
        let text = match &self.prefix {
            Some(host) if self.spinner.is_none() => text
                .lines()
                .map(|l| {
                    if l.is_empty() {
                        String::new()
                    } else {
                        format!("{host}: {l}")
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
            _ => text,
        };
        self.suspend(|| {
            let _ = writeln!(io::stderr().lock(), "{text}");
        });
    }
}

/// `error:`, `warning:` and `hint:` starting a line, and a `FAIL` verdict starting a row, in
/// colour when `enabled`.
fn paint(text: &str, enabled: bool) -> String {
    if !enabled {
        return text.to_owned();
    }
    let red = console::Style::new().red().bold().force_styling(true);
    let yellow = console::Style::new().yellow().bold().force_styling(true);
    let cyan = console::Style::new().cyan().bold().force_styling(true);
    text.split('\n')
        .map(|line| {
            for (word, style) in [
                ("error:", &red),
                ("warning:", &yellow),
                ("hint:", &cyan),
                ("FAIL ", &red),
            ] {
                if let Some(rest) = line.strip_prefix(word) {
                    return format!("{}{rest}", style.apply_to(word));
                }
            }
            line.to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Rows as aligned columns, two spaces apart, for people (the first row the heading).
pub fn columns<const N: usize>(rows: &[[String; N]]) -> String {
    let widths: Vec<usize> = (0..N)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_words_are_coloured_and_only_when_asked() {
        let text = "error: it failed\n  caused by: x\n\nhint: do this\nFAIL  reachable  no\nan error: inside";
        assert_eq!(paint(text, false), text);
        let painted = paint(text, true);
        assert!(
            painted.starts_with("\u{1b}[31m\u{1b}[1merror:\u{1b}[0m it failed"),
            "{painted:?}"
        );
        assert!(painted.contains("\u{1b}[1mhint:\u{1b}[0m do this"), "{painted:?}");
        assert!(painted.contains("\u{1b}[1mFAIL \u{1b}[0m reachable"), "{painted:?}");
        assert!(painted.ends_with("\nan error: inside"), "{painted:?}");
        assert_eq!(
            painted.matches('\u{1b}').count(),
            9,
            "three coloured words: {painted:?}"
        );
    }
}
