//! OpenSSH's questions (passphrases, PINs, second factors, host keys) brought to the person
//! through the crate's [`Prompter`], as the built-in client asks them: `ssh` runs with
//! `SSH_ASKPASS_REQUIRE=force` and `SSH_ASKPASS` naming this very program, which, started
//! that way, only carries the question to the tool over a socket in the connection's private
//! directory and the answer back on its stdout (to `ssh`, never in an argument).

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use codex_remote_login_shared::redact::printable;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::prompter::{Prompter, Question};

/// Set in the environment of the `ssh` processes: the socket to carry questions to. When
/// this program starts with it set, it is an askpass helper and nothing else.
pub const SOCKET_ENV: &str = "CODEX_REMOTE_LOGIN_ASKPASS";

/// The longest question carried; OpenSSH's are a few lines.
const MAX_QUESTION: u64 = 64 * 1024;

/// Answers the questions of one host's `ssh` processes, one at a time, until dropped.
pub(crate) struct Askpass {
    socket: PathBuf,
    server: tokio::task::JoinHandle<()>,
}

impl Askpass {
    /// Listens at `socket` (in a directory only this user can enter).
    pub(crate) fn serve(socket: &Path, host: String, ui: Arc<dyn Prompter>) -> std::io::Result<Self> {
        let listener = tokio::net::UnixListener::bind(socket)?;
        let server = tokio::spawn(async move {
            // One question at a time: the next is accepted only once this one is answered.
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = Vec::new();
                if (&mut stream)
                    .take(MAX_QUESTION)
                    .read_to_end(&mut request)
                    .await
                    .is_err()
                {
                    continue;
                }
                let (host, ui) = (host.clone(), ui.clone());
                let answer = tokio::task::spawn_blocking(move || answer(&request, &host, ui.as_ref()))
                    .await
                    .ok()
                    .flatten();
                let reply = match answer {
                    Some(answer) => [b"+".as_slice(), answer.as_bytes()].concat(),
                    None => b"-".to_vec(),
                };
                let _ = stream.write_all(&reply).await;
            }
        });
        Ok(Self {
            socket: socket.to_owned(),
            server,
        })
    }

    /// The environment that sends `ssh`'s questions here.
    pub(crate) fn env(&self) -> Vec<(OsString, OsString)> {
        let helper = std::env::current_exe().unwrap_or_else(|_| "codex-remote-login".into());
        vec![
            ("SSH_ASKPASS".into(), helper.into()),
            ("SSH_ASKPASS_REQUIRE".into(), "force".into()),
            (SOCKET_ENV.into(), self.socket.clone().into()),
        ]
    }
}

impl Drop for Askpass {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The answer to one request: `SSH_ASKPASS_PROMPT`'s hint on the first line, the question
/// after it. `None`: no answer (no one to ask, or the person declined).
fn answer(request: &[u8], host: &str, ui: &dyn Prompter) -> Option<String> {
    let text = String::from_utf8_lossy(request);
    let (hint, prompt) = text.split_once('\n').unwrap_or(("", &text));
    // The question's text may hold the server's words (keyboard-interactive prompts).
    // The last line is the question, its trailing space kept (`...: `).
    let lines: Vec<String> = prompt
        .trim_end_matches(['\r', '\n'])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("({host}) {}", printable(l)))
        .collect();
    if hint == "none" {
        // Only to be shown (a security key waiting for a touch): nothing to answer.
        lines.iter().for_each(|l| ui.say(l));
        return Some(String::new());
    }
    let last = lines.last()?.clone();
    if !ui.can_ask() {
        return None;
    }
    // One question, its leading lines (the host key's fingerprint) included: another host's
    // question cannot come between them.
    let prompt = lines.join("\n");
    if hint == "confirm" {
        let yes = ui.ask_one(&format!("{} (yes/no) ", prompt.trim_end()), true).ok()?;
        return yes.trim().eq_ignore_ascii_case("yes").then(String::new);
    }
    // OpenSSH asks the host-key question with echo on; everything else is a secret.
    let echo = last.contains("(yes/no");
    let answers = ui.ask(&[Question { prompt, echo }]).ok()?;
    answers.into_iter().next()
}

/// This program as `ssh`'s askpass helper, when [`SOCKET_ENV`] says so: carries the question
/// (its first argument) to the tool and prints the answer. `None`: not started as one.
pub fn helper() -> Option<std::process::ExitCode> {
    let socket = std::env::var_os(SOCKET_ENV)?;
    let prompt = std::env::args_os().nth(1).unwrap_or_default();
    let hint = std::env::var("SSH_ASKPASS_PROMPT").unwrap_or_default();
    let asked = (|| -> std::io::Result<Vec<u8>> {
        let mut stream = std::os::unix::net::UnixStream::connect(&socket)?;
        stream.write_all(format!("{hint}\n{}", prompt.to_string_lossy()).as_bytes())?;
        stream.shutdown(std::net::Shutdown::Write)?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply)?;
        Ok(reply)
    })();
    let code = match asked.as_deref() {
        Ok([b'+', answer @ ..]) => {
            let mut out = std::io::stdout().lock();
            let written = out
                .write_all(answer)
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| out.flush());
            u8::from(written.is_err())
        }
        _ => 1,
    };
    Some(std::process::ExitCode::from(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records what it is asked and told; answers from a list.
    struct Person {
        answers: Mutex<Vec<String>>,
        seen: Mutex<Vec<String>>,
    }

    impl Prompter for Person {
        fn can_ask(&self) -> bool {
            true
        }
        fn ask(&self, questions: &[Question]) -> std::io::Result<Vec<String>> {
            let mut seen = self.seen.lock().unwrap();
            seen.extend(questions.iter().map(|q| format!("ask echo={} {}", q.echo, q.prompt)));
            Ok(vec![self.answers.lock().unwrap().remove(0)])
        }
        fn warn(&self, text: &str) {
            self.seen.lock().unwrap().push(format!("warn {text}"));
        }
        fn say(&self, text: &str) {
            self.seen.lock().unwrap().push(format!("say {text}"));
        }
        fn note(&self, text: &str) {
            self.say(text);
        }
    }

    /// Each question names the host; a passphrase is asked without echo, the host-key question
    /// with it, its leading lines in the same question; a confirmation is a yes; a notice
    /// needs no answer.
    #[test]
    fn questions_name_the_host_and_keep_secrets_unechoed() {
        let person = Person {
            answers: Mutex::new(vec!["pw".into(), "yes".into(), "no".into()]),
            seen: Mutex::new(Vec::new()),
        };
        let ask = |req: &str| answer(req.as_bytes(), "dev", &person);
        assert_eq!(ask("\nEnter passphrase for key '/k': ").as_deref(), Some("pw"));
        let host_key = "\nThe authenticity of host 'dev' can't be established.\n\
                        Are you sure you want to continue connecting (yes/no/[fingerprint])? ";
        assert_eq!(ask(host_key).as_deref(), Some("yes"));
        assert_eq!(ask("confirm\nAllow use of key k?"), None);
        assert_eq!(ask("none\nConfirm user presence for key k\x1b[2J").as_deref(), Some(""));
        assert_eq!(
            *person.seen.lock().unwrap(),
            [
                "ask echo=false (dev) Enter passphrase for key '/k': ",
                "ask echo=true (dev) The authenticity of host 'dev' can't be established.\n\
                 (dev) Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
                "ask echo=true (dev) Allow use of key k? (yes/no) ",
                "say (dev) Confirm user presence for key k\\u{1b}[2J",
            ]
        );
        assert_eq!(answer(b"\nPIN: ", "dev", &crate::prompter::Nobody), None);
    }
}
