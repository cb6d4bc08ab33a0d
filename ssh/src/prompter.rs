//! The person at the keyboard, as the SSH layer needs them: host-key questions, passphrases,
//! passwords and second factors, and the few remarks ssh itself prints.

/// One question; `echo` is off for secrets.
#[derive(Debug, Clone)]
pub struct Question {
    pub prompt: String,
    pub echo: bool,
}

/// Asks and tells. Implementations ask one host's questions together (a second factor's
/// prompts come as one request) and never interleave two hosts' questions.
pub trait Prompter: Send + Sync {
    /// Whether anyone can be asked (a terminal exists).
    fn can_ask(&self) -> bool;

    /// Asks `questions` in order, returning one answer each without its line ending.
    /// Prompts may hold text from the server: implementations show them sanitised.
    fn ask(&self, questions: &[Question]) -> std::io::Result<Vec<String>>;

    /// A warning ssh would print (a weakened check, a missing identity file).
    fn warn(&self, text: &str);

    /// A remark ssh prints whatever the verbosity ("Permission denied, please try again.").
    fn say(&self, text: &str);

    /// A remark ssh prints unless quiet ("Permanently added ... to the list of known hosts.").
    fn note(&self, text: &str);
}

impl dyn Prompter + '_ {
    /// Asks one question.
    pub fn ask_one(&self, prompt: &str, echo: bool) -> std::io::Result<String> {
        let mut answers = self.ask(&[Question {
            prompt: prompt.to_owned(),
            echo,
        }])?;
        answers.pop().ok_or_else(|| std::io::Error::other("no answer"))
    }
}

/// No one at the keyboard: nothing can be asked, and remarks go to the log. For scripts,
/// tests, and callers with no terminal of their own.
pub struct Nobody;

impl Prompter for Nobody {
    fn can_ask(&self) -> bool {
        false
    }

    fn ask(&self, _: &[Question]) -> std::io::Result<Vec<String>> {
        Err(std::io::Error::other("no one to ask"))
    }

    fn warn(&self, text: &str) {
        tracing::warn!("{text}");
    }

    fn say(&self, text: &str) {
        tracing::info!("{text}");
    }

    fn note(&self, text: &str) {
        tracing::info!("{text}");
    }
}
