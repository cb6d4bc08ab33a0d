//! An error as people see it (stderr: the error, its causes, what to do next) and as `--json`
//! reports it (an `error` event on stdout).

use crate::error::Error;
use crate::ui;
use crate::ui::json;

/// The `--json` line for a command line clap refused, which the binary prints before clap's own
/// words (no `Ui` exists yet): an `error` event like every other, with the usage exit status.
pub fn usage_error_line(message: String, hint: String) -> String {
    let event = json::Event::Error {
        host: None,
        message,
        hint: Some(hint),
        exit_code: crate::ui::exit::ExitStatus::Usage.code(),
    };
    serde_json::to_string(&event).expect("events serialize")
}

/// Renders an error for people (stderr) and for `--json` (stdout).
pub fn show(ui: &ui::Ui, error: &Error) {
    ui.finish();
    let mut text = format!("error: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    // With --json or -q no table was printed: the hint points at what was.
    let hint = match error {
        Error::Several { .. } if ui.json() => Some("each host's own error event says why it failed".to_owned()),
        Error::Several { .. } if !ui.shows_summaries() => Some("the errors above say which failed and why".to_owned()),
        _ => error.hint(),
    };
    if let Some(hint) = &hint {
        text.push_str(&format!("\n\nhint: {hint}"));
    }
    ui.always(&text);
    ui.event(&json::Event::Error {
        host: error.host(),
        message: error.to_string(),
        hint,
        exit_code: error.exit_status().code(),
    });
}
