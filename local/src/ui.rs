//! Everything a person reads goes through here, to stderr; `--json` events go to stdout.
//!
//! On a terminal the current step is a spinner; elsewhere each step is a plain line.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::events::Event;

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
    spinner: Option<ProgressBar>,
}

impl Ui {
    pub fn new(json: bool, verbosity: Verbosity) -> Self {
        let spinner = (verbosity == Verbosity::Normal && io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("static template"));
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Self {
            json,
            verbosity,
            spinner,
        }
    }

    /// The step the user is waiting on.
    pub fn step(&self, message: &str) {
        match &self.spinner {
            Some(bar) => bar.set_message(message.to_owned()),
            None if self.verbosity >= Verbosity::Normal => self.line(&format!("{message}…")),
            None => {}
        }
    }

    /// A fleeting update of the current step (a countdown): the spinner only, since plain
    /// lines would repeat it every second.
    pub fn tick(&self, message: &str) {
        if let Some(bar) = &self.spinner {
            bar.set_message(message.to_owned());
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

    /// Data for stdout (a table), whatever the verbosity.
    pub fn data(&self, text: &str) {
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

    /// Runs `f` with the spinner hidden, for prompts on the terminal.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.spinner {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Removes the spinner before the final summary or error.
    pub fn finish(&self) {
        if let Some(bar) = &self.spinner {
            bar.finish_and_clear();
        }
    }

    fn line(&self, text: &str) {
        self.suspend(|| {
            let _ = writeln!(io::stderr().lock(), "{text}");
        });
    }
}
