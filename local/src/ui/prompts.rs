//! The SSH layer's prompter: its questions asked on the terminal, with progress drawing paused
//! meanwhile; its remarks shown where the UI shows every line.

use std::io;

use crate::ui::Ui;
use crate::ui::terminal;

/// The SSH layer's questions go to the terminal, with progress drawing paused meanwhile; its
/// remarks go where the UI puts every line.
impl ssh::Prompter for Ui {
    fn can_ask(&self) -> bool {
        terminal::available()
    }

    fn ask(&self, questions: &[ssh::Question]) -> io::Result<Vec<String>> {
        self.suspend(|| {
            // One host's prompts are asked together: another host's turn waits for them all.
            let _turn = terminal::ASKING.lock().unwrap_or_else(|e| e.into_inner());
            questions
                .iter()
                .map(|q| {
                    if q.echo {
                        terminal::ask_unlocked(&q.prompt)
                    } else {
                        terminal::ask_secret_unlocked(&q.prompt)
                    }
                })
                .collect()
        })
    }

    fn warn(&self, text: &str) {
        Ui::warn(self, text);
    }

    fn say(&self, text: &str) {
        self.always(text);
    }

    fn note(&self, text: &str) {
        self.info(text);
    }
}
