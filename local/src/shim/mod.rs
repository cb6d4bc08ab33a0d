//! Runs the shim (on a host's exec channel, or as a local process for containers on this
//! machine) and turns what arrives into [`Output`]s: the host's report up to `ready`, then the
//! job's events, from stdout; codex's lines from stderr; and the end. A [`Shim`] is typed by
//! its job's events, and each line is parsed as the stage it comes in: nothing of the report
//! after `ready`, nothing of the job before it, nothing of another job.
//!
//! Lines are capped: a host printing gigabytes costs time, never memory.

pub mod windows_host;

use std::collections::VecDeque;
use std::marker::PhantomData;

use codex_remote_login_remote::{Launch, OneJob, ToShim};
use codex_remote_login_shared::protocol::{self, Events, HostEvent};
use codex_remote_login_shared::{ProtocolError, Untrusted};

use ssh::{Connection, Exec, ExecError, Received};

/// Longest line kept; the rest of a longer line is dropped.
const MAX_LINE: usize = 16 * 1024;

/// What the shim's output says went wrong before any flow could judge it.
#[derive(Debug, thiserror::Error)]
pub enum ShimError {
    #[error("codex was not found on {host}")]
    CodexNotFound { host: String, searched: String },
    #[error("--codex {path} is not an executable file on {host}")]
    BadCodexPath { host: String, path: String },
    #[error("the remote side of the sign-in on {host} misbehaved")]
    Protocol {
        host: String,
        #[source]
        source: ProtocolError,
    },
    #[error(
        "{host} answered as a Windows host does (its login shell is cmd or PowerShell, not a POSIX shell): Windows hosts are not supported"
    )]
    WindowsHost { host: String },
}

impl ShimError {
    /// The error a report event stands for when codex could not be found on `host`.
    pub fn codex_missing(host: &str, event: &HostEvent) -> Option<Self> {
        match event {
            HostEvent::NotFound { searched } => Some(Self::CodexNotFound {
                host: host.to_owned(),
                searched: searched.shown(),
            }),
            HostEvent::BadOverride { path } => Some(Self::BadCodexPath {
                host: host.to_owned(),
                path: path.shown(),
            }),
            _ => None,
        }
    }

    /// What the user can do next.
    pub fn hint(&self) -> String {
        match self {
            Self::CodexNotFound { host, searched } => format!(
                "install it on {host} (`npm install -g @openai/codex`), or pass its path with --codex. Searched: {searched}"
            ),
            Self::BadCodexPath { .. } => "pass the full path of the codex executable on the host".into(),
            Self::Protocol { .. } => "run again with -vvv and report what it prints".into(),
            Self::WindowsHost { .. } => {
                "sign codex in on that machine itself (`codex login`), or in WSL there; hosts need codex and a POSIX shell (Linux, macOS, BSD)".into()
            }
        }
    }
}

#[derive(Debug)]
pub enum Output<E> {
    /// The host's report, `ready` last.
    Host(HostEvent),
    /// The job's own events, after `ready`.
    Event(E),
    /// A line codex (or the host's shell, or a container engine) wrote on stderr.
    Stderr(Untrusted),
    /// The channel ended. What ended well said `done` before; the exit status adds nothing.
    Closed,
}

/// What has arrived and not yet been read.
enum Pending {
    Stdout(String),
    Stderr(Untrusted),
}

/// Where the shim runs.
enum Source {
    Host(Exec),
    Local(Box<Local>),
}

/// The shim as a process on this machine.
struct Local {
    child: tokio::process::Child,
    stdin: Option<tokio::process::ChildStdin>,
    stdout: Option<tokio::process::ChildStdout>,
    stderr: Option<tokio::process::ChildStderr>,
}

/// What one read brought.
enum Chunk {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    Eof,
    Closed,
}

/// A running shim whose job speaks events `E`.
pub struct Shim<E> {
    source: Source,
    stdout: Lines,
    stderr: Lines,
    pending: VecDeque<Pending>,
    closed: bool,
    /// Whether the host's report has ended (`ready`): the job's events follow.
    ready: bool,
    /// Whether the shim has said anything yet; until it has, the first stderr lines are kept,
    /// in case they are a Windows shell's complaint (see [`crate::shim::windows_host`]).
    heard: bool,
    early_stderr: Vec<String>,
    events: PhantomData<fn() -> E>,
}

impl<E: Events> Shim<E> {
    /// Starts the shim on the host: preflight and launch in one exec.
    pub async fn start<J: OneJob<Event = E>>(conn: &Connection, launch: &Launch<J>) -> Result<Self, ExecError> {
        let exec = conn.exec(&launch.command_line()).await?;
        Ok(Self::over(Source::Host(exec)))
    }

    /// Starts the shim as a process on this machine (`containers --local`).
    pub fn start_local<J: OneJob<Event = E>>(launch: &Launch<J>) -> std::io::Result<Self> {
        Self::spawn(launch.script())
    }

    /// A stand-in shim: `script` run by `/bin/sh` here, for tests of the flows that read a
    /// shim, without SSH (on Unix: under Wine no Windows pipe reaches a Unix `/bin/sh`).
    #[cfg(all(test, unix))]
    pub fn scripted(script: &str) -> std::io::Result<Self> {
        Self::spawn(script.to_owned())
    }

    fn spawn(script: String) -> std::io::Result<Self> {
        use std::process::Stdio;
        let mut child = tokio::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let local = Local {
            stdin: child.stdin.take(),
            stdout: child.stdout.take(),
            stderr: child.stderr.take(),
            child,
        };
        Ok(Self::over(Source::Local(Box::new(local))))
    }

    fn over(source: Source) -> Self {
        Self {
            source,
            stdout: Lines::default(),
            stderr: Lines::default(),
            pending: VecDeque::new(),
            closed: false,
            ready: false,
            heard: false,
            early_stderr: Vec::new(),
            events: PhantomData,
        }
    }

    /// The next output; after `Closed`, `Closed` again.
    pub async fn next(&mut self) -> Result<Output<E>, ProtocolError> {
        let out = self.next_output().await;
        match &out {
            Ok(Output::Host(_) | Output::Event(_)) | Err(_) => self.heard = true,
            Ok(Output::Stderr(line)) if !self.heard && self.early_stderr.len() < crate::shim::windows_host::KEPT => {
                self.early_stderr.push(line.raw().to_owned());
            }
            Ok(_) => {}
        }
        out
    }

    async fn next_output(&mut self) -> Result<Output<E>, ProtocolError> {
        loop {
            match self.pending.pop_front() {
                Some(Pending::Stdout(line)) => match self.parse(&line)? {
                    Some(out) => return Ok(out),
                    None => tracing::debug!("host stdout: {}", codex_remote_login_shared::redact::log_line(&line)),
                },
                Some(Pending::Stderr(line)) => return Ok(Output::Stderr(line)),
                None if self.closed => return Ok(Output::Closed),
                None => self.read().await,
            }
        }
    }

    /// A line of stdout as the event of the stage it comes in; `None` for a line not ours.
    fn parse(&mut self, line: &str) -> Result<Option<Output<E>>, ProtocolError> {
        if self.ready {
            return Ok(protocol::parse::<E>(line)?.map(Output::Event));
        }
        let event = protocol::parse::<HostEvent>(line)?;
        self.ready = event == Some(HostEvent::Ready);
        Ok(event.map(Output::Host))
    }

    /// Reads what the shim sends next into `pending`.
    async fn read(&mut self) {
        match self.chunk().await {
            Chunk::Stdout(data) => {
                let lines = self.stdout.push(&data);
                self.pending.extend(lines.into_iter().map(Pending::Stdout));
            }
            Chunk::Stderr(data) => {
                let lines = self.stderr.push(&data);
                self.pending
                    .extend(lines.into_iter().map(|l| Pending::Stderr(l.into())));
            }
            Chunk::Eof => {
                let (out, err) = (self.stdout.finish(), self.stderr.finish());
                self.pending.extend(out.into_iter().map(Pending::Stdout));
                self.pending.extend(err.into_iter().map(|l| Pending::Stderr(l.into())));
            }
            Chunk::Closed => self.closed = true,
        }
    }

    /// One read from wherever the shim runs.
    async fn chunk(&mut self) -> Chunk {
        match &mut self.source {
            Source::Host(exec) => match exec.read().await {
                Received::Stdout(data) => Chunk::Stdout(data),
                Received::Stderr(data) => Chunk::Stderr(data),
                Received::Eof => Chunk::Eof,
                Received::Closed { .. } => Chunk::Closed,
            },
            Source::Local(local) => {
                use tokio::io::AsyncReadExt;
                let mut out = [0u8; 16384];
                let mut err = [0u8; 16384];
                tokio::select! {
                    n = async { local.stdout.as_mut().expect("open").read(&mut out).await }, if local.stdout.is_some() => match n {
                        Ok(n) if n > 0 => Chunk::Stdout(out[..n].to_vec()),
                        _ => { local.stdout = None; Chunk::Stdout(Vec::new()) }
                    },
                    n = async { local.stderr.as_mut().expect("open").read(&mut err).await }, if local.stderr.is_some() => match n {
                        Ok(n) if n > 0 => Chunk::Stderr(err[..n].to_vec()),
                        _ => { local.stderr = None; Chunk::Stderr(Vec::new()) }
                    },
                    _ = local.child.wait(), if local.stdout.is_none() && local.stderr.is_none() => self.closed_after_exit(),
                }
            }
        }
    }

    /// A local shim ended: the end of its output.
    fn closed_after_exit(&mut self) -> Chunk {
        let rest = self.stdout.finish();
        self.pending.extend(rest.into_iter().map(Pending::Stdout));
        Chunk::Closed
    }

    /// The next output, with a malformed event, a missing codex or a Windows host as the error
    /// they are.
    pub async fn next_for(&mut self, host: &str) -> Result<Output<E>, ShimError> {
        let out = self.next().await.map_err(|source| ShimError::Protocol {
            host: host.to_owned(),
            source,
        })?;
        if let Output::Host(event) = &out
            && let Some(missing) = ShimError::codex_missing(host, event)
        {
            return Err(missing);
        }
        if let Output::Closed = out
            && !self.heard
            && crate::shim::windows_host::answered(&self.early_stderr)
        {
            return Err(ShimError::WindowsHost { host: host.to_owned() });
        }
        Ok(out)
    }

    /// Writes `input` on the shim's stdin.
    pub async fn send(&mut self, input: ToShim<'_>) -> Result<(), ExecError> {
        let data = input.encode();
        match &mut self.source {
            Source::Host(exec) => exec.write(data.as_bytes()).await,
            Source::Local(local) => {
                use tokio::io::AsyncWriteExt;
                let closed = || std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the shim's input is closed");
                let stdin = local.stdin.as_mut().ok_or_else(closed)?;
                Ok(stdin.write_all(data.as_bytes()).await?)
            }
        }
    }

    /// Asks the shim to end `codex login` and closes our side of its input: the shim's
    /// watcher kills codex on either.
    pub async fn cancel(&mut self) {
        let _ = self.send(ToShim::Cancel).await;
        match &mut self.source {
            Source::Host(exec) => {
                let _ = exec.eof().await;
            }
            Source::Local(local) => local.stdin = None,
        }
    }

    pub async fn close(&mut self) {
        match &mut self.source {
            Source::Host(exec) => exec.close().await,
            Source::Local(local) => {
                // The end of its input ends the shim, as a closed channel does on a host, and
                // its clean-up (its temporary directories) runs; killed only if it lingers.
                local.stdin = None;
                let ended = tokio::time::timeout(std::time::Duration::from_secs(3), local.child.wait()).await;
                if ended.is_err() {
                    let _ = local.child.kill().await;
                }
            }
        }
    }
}

/// Splits a byte stream into lines of at most [`MAX_LINE`] bytes.
#[derive(Default)]
struct Lines {
    buf: Vec<u8>,
    /// Inside an over-long line whose rest is being dropped.
    skipping: bool,
}

impl Lines {
    fn push(&mut self, data: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for chunk in data.split_inclusive(|b| *b == b'\n') {
            let ends = chunk.ends_with(b"\n");
            let body = chunk.strip_suffix(b"\n").unwrap_or(chunk);
            if !self.skipping {
                let room = MAX_LINE.saturating_sub(self.buf.len());
                self.buf.extend_from_slice(&body[..body.len().min(room)]);
                if body.len() > room {
                    self.skipping = true;
                }
            }
            if ends {
                out.push(String::from_utf8_lossy(&self.buf).into_owned());
                self.buf.clear();
                self.skipping = false;
            }
        }
        out
    }

    fn finish(&mut self) -> Vec<String> {
        let rest = (!self.buf.is_empty()).then(|| String::from_utf8_lossy(&self.buf).into_owned());
        self.buf.clear();
        rest.into_iter().collect()
    }
}

/// `nolock`: the host had no tool to take codex's lock on the auth.json it replaced.
pub fn warn_unlocked(ui: &crate::ui::Ui, host: &str, dir: &Untrusted) {
    ui.warn(&format!(
        "{host} has no flock, perl or python3 to take codex's lock on {dir}/auth.json with: it was replaced without it"
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_at_any_byte() {
        let mut lines = Lines::default();
        let text = b"crl1 hello 2\nhttps://auth.openai.com/x\nlast";
        let mut got = Vec::new();
        for byte in text.chunks(1) {
            got.extend(lines.push(byte));
        }
        got.extend(lines.finish());
        assert_eq!(got, ["crl1 hello 2", "https://auth.openai.com/x", "last"]);
    }

    /// Any split of a stream gives the lines of the whole (a xorshift picks the cuts).
    #[test]
    fn any_chunking_gives_the_same_lines() {
        let text: Vec<u8> = (0..20_000u32)
            .map(|i| if i % 97 == 0 { b'\n' } else { b'a' + (i % 26) as u8 })
            .collect();
        let whole = {
            let mut lines = Lines::default();
            let mut out = lines.push(&text);
            out.extend(lines.finish());
            out
        };
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..50 {
            let mut lines = Lines::default();
            let mut out = Vec::new();
            let mut rest = &text[..];
            while !rest.is_empty() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let cut = (state % 300) as usize + 1;
                let (chunk, tail) = rest.split_at(cut.min(rest.len()));
                out.extend(lines.push(chunk));
                rest = tail;
            }
            out.extend(lines.finish());
            assert_eq!(out, whole);
        }
    }

    #[test]
    fn long_lines_are_capped() {
        let mut lines = Lines::default();
        let mut got = Vec::new();
        for _ in 0..100 {
            got.extend(lines.push(&[b'x'; 4096]));
        }
        got.extend(lines.push(b"\nnext\n"));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].len(), MAX_LINE);
        assert_eq!(got[1], "next");
        assert!(lines.buf.capacity() <= 2 * MAX_LINE);
    }

    /// Reads `shim` to its end through `next_for`, as every flow does.
    #[cfg(unix)]
    async fn read_to_end(mut shim: Shim<protocol::StatusEvent>) -> Result<(), ShimError> {
        loop {
            if let Output::Closed = shim.next_for("win").await? {
                return Ok(());
            }
        }
    }

    /// A host whose exec went to cmd: its complaint, no hello, the end. The same words after
    /// the shim has spoken are only codex's output.
    #[cfg(unix)]
    #[tokio::test]
    async fn a_windows_shell_is_named_before_the_shim_speaks_and_only_then() {
        let cmd = "printf \"'sh' is not recognized as an internal or external command,\\r\\noperable program or batch file.\\r\\n\" >&2; exit 1";
        let ended = read_to_end(Shim::scripted(cmd).unwrap()).await;
        assert!(
            matches!(ended, Err(ShimError::WindowsHost { ref host }) if host == "win"),
            "{ended:?}"
        );
        let spoke = format!("printf 'crl1 hello 2\\n'; {cmd}");
        assert!(read_to_end(Shim::scripted(&spoke).unwrap()).await.is_ok());
    }

    /// After `ready` the report is closed: a late `before`, which could change what a flow
    /// believes of the host, is an error, and so is a job's event before `ready`.
    #[cfg(unix)]
    #[tokio::test]
    async fn each_line_is_parsed_as_the_stage_it_comes_in() {
        let late = "printf 'crl1 hello 2\\ncrl1 ready\\ncrl1 before chatgpt evil@x -\\n'";
        let early = "printf 'crl1 hello 2\\ncrl1 done\\n'";
        for script in [late, early] {
            let ended = read_to_end(Shim::scripted(script).unwrap()).await;
            assert!(
                matches!(
                    ended,
                    Err(ShimError::Protocol {
                        source: ProtocolError::Unexpected { .. },
                        ..
                    })
                ),
                "{script}: {ended:?}"
            );
        }
        let fine = "printf 'crl1 hello 2\\nMOTD\\ncrl1 ready\\ncrl1 store file\\ncrl1 done\\n'";
        assert!(read_to_end(Shim::scripted(fine).unwrap()).await.is_ok());
    }
}
