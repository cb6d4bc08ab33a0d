//! The tool run against the rig as a user runs it: to its end, or while it waits.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::{Rig, wait_until};

pub struct Tool {
    pub cmd: Command,
    pub browser_out: PathBuf,
    pub(crate) stdin: Option<String>,
}

/// How a run of the tool ended.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// The `--json` events.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    pub fn event(&self, kind: &str) -> Option<serde_json::Value> {
        self.events().into_iter().find(|e| e["type"] == kind)
    }

    /// The types of the `--json` events, in order.
    pub fn kinds(&self) -> Vec<String> {
        self.events()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    }

    /// `doctor`'s check called `name`, as its `--json` event.
    pub fn check(&self, name: &str) -> Option<serde_json::Value> {
        self.events()
            .into_iter()
            .find(|e| e["type"] == "check" && e["name"] == name)
    }
}

impl Tool {
    /// The command line, for a message.
    pub fn command_line(&self) -> String {
        let args: Vec<_> = self.cmd.get_args().map(|a| a.to_string_lossy()).collect();
        args.join(" ")
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(mut self, args: I) -> Self {
        self.cmd.args(args);
        self
    }

    /// Keeps the tool's stdin open for [`Running::type_line`].
    pub fn open_stdin(mut self) -> Self {
        self.cmd.stdin(Stdio::piped());
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.cmd.env(name, value);
        self
    }

    /// Feeds `text` on the tool's stdin (instead of /dev/null).
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_owned());
        self.cmd.stdin(Stdio::piped());
        self
    }

    /// Runs to the end (bounded by `limit`, after which the tool is killed and the test fails).
    pub fn run(self, limit: Duration) -> Finished {
        self.spawn().finish(limit)
    }

    pub fn spawn(mut self) -> Running {
        let mut child = self
            .cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the tool");
        if let Some(text) = self.stdin.take() {
            // Written, then closed: the tool reads its stdin to the end.
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(text.as_bytes()).unwrap();
        }
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let reader = thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                all.push_str(&line);
                all.push('\n');
                let _ = tx.send(line);
            }
            all
        });
        let mut stderr = child.stderr.take().unwrap();
        let err_reader = thread::spawn(move || {
            let mut all = String::new();
            let _ = stderr.read_to_string(&mut all);
            all
        });
        Running {
            child,
            stdin,
            lines,
            reader: Some(reader),
            err_reader: Some(err_reader),
            browser_out: self.browser_out,
        }
    }
}

impl Rig {
    /// The rig's browser on `url`, as the tool would start it (for runs with `--no-browser`,
    /// or a second approval): its page lands in the run's `browser_out`.
    pub fn browse(&self, run: &Running, url: &str) {
        let browser = Command::new(&self.browser)
            .arg(url)
            .env("CRL_RIG_DIR", &self.dir)
            .env("CRL_ISSUER_PROXY", &self.issuer_proxy)
            .env("CRL_BROWSER_OUT", &run.browser_out)
            .status()
            .expect("the rig's browser");
        assert!(browser.success(), "the browser failed on {url}");
    }
}

/// A run in progress, for tests that act while it waits.
pub struct Running {
    pub child: Child,
    stdin: Option<std::process::ChildStdin>,
    lines: mpsc::Receiver<String>,
    reader: Option<thread::JoinHandle<String>>,
    err_reader: Option<thread::JoinHandle<String>>,
    pub browser_out: PathBuf,
}

impl Running {
    /// Waits for the `--json` event of type `kind`.
    pub fn wait_event(&mut self, kind: &str, limit: Duration) -> serde_json::Value {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
                    if event["type"] == kind {
                        return event;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    let stderr = self.err_reader.take().unwrap().join().unwrap();
                    panic!("no `{kind}` event within {limit:?}; stderr:\n{stderr}");
                }
            }
        }
    }

    /// Writes a line on the tool's stdin (opened with [`Tool::open_stdin`]).
    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("the tool's stdin was opened");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn finish(mut self, limit: Duration) -> Finished {
        let status = match wait_until(limit, || self.child.try_wait().unwrap().ok_or(())) {
            Ok(status) => status,
            Err(()) => {
                let _ = self.child.kill();
                let stderr = self.err_reader.take().unwrap().join().unwrap();
                panic!("the tool did not finish within {limit:?}; stderr:\n{stderr}");
            }
        };
        Finished {
            status,
            stdout: self.reader.take().unwrap().join().unwrap(),
            stderr: self.err_reader.take().unwrap().join().unwrap(),
        }
    }

    /// The page the rig's browser ended on, once it has finished (bounded).
    pub fn browser_page(path: &Path) -> String {
        assert!(
            path.with_extension("html.started").exists(),
            "the browser was never started"
        );
        let done = path.with_extension("html.done");
        wait_until(Duration::from_secs(20), || std::fs::read_to_string(&done).map(|_| ()))
            .unwrap_or_else(|e| panic!("the browser did not finish: {e}"));
        std::fs::read_to_string(path).unwrap()
    }
}
