//! An `ssh` process standing behind the crate's own `Exec` and `Forward`:
//! its stdin, stdout, stderr and exit status are what a session channel's would be. Each
//! process ends with its owner (killed on drop), and ends by itself when its stdin reaches
//! end-of-input, so that none outlives the tool even when the tool is killed.

use std::pin::Pin;
use std::process::ExitStatus;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout};

/// `ssh`'s own exit status for its failures (and for a command killed by a signal): it says
/// nothing about the command's.
const SSH_FAILED: i32 = 255;

/// What one read of a command's output brought (the transport-neutral `Received` is made of
/// it where commands are read).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Received {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    /// stdout and stderr have both ended.
    Eof,
    /// `ssh` has exited: the command's exit status where it passed one on.
    Closed {
        exit_status: Option<u32>,
    },
}

/// A command run through `ssh`: its output as it comes, stdout apart from stderr.
pub(crate) struct ProcessExec {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
    /// Whether [`Received::Eof`] was handed out once both outputs ended.
    eof_told: bool,
}

impl ProcessExec {
    /// Takes a child spawned with its three standard streams piped.
    pub(crate) fn new(mut child: Child) -> Self {
        Self {
            stdin: child.stdin.take(),
            stdout: child.stdout.take(),
            stderr: child.stderr.take(),
            child,
            eof_told: false,
        }
    }

    /// The next piece of output, then `Closed` for ever; cancel-safe (each pipe's read is).
    pub(crate) async fn read(&mut self) -> Received {
        let mut out = [0u8; 16 * 1024];
        let mut err = [0u8; 16 * 1024];
        while self.stdout.is_some() || self.stderr.is_some() {
            tokio::select! {
                n = read_some(&mut self.stdout, &mut out) => match n {
                    Some(n) => return Received::Stdout(out[..n].to_vec()),
                    None => self.stdout = None,
                },
                n = read_some(&mut self.stderr, &mut err) => match n {
                    Some(n) => return Received::Stderr(err[..n].to_vec()),
                    None => self.stderr = None,
                },
            }
        }
        if !self.eof_told {
            self.eof_told = true;
            return Received::Eof;
        }
        Received::Closed {
            exit_status: self.child.wait().await.ok().and_then(command_status),
        }
    }

    pub(crate) async fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        let stdin = self.stdin.as_mut().ok_or_else(|| closed("its input was ended"))?;
        stdin.write_all(data).await?;
        stdin.flush().await
    }

    /// Ends the command's input: `ssh` passes the end on.
    pub(crate) fn eof(&mut self) {
        self.stdin = None;
    }

    /// Ends `ssh`, which closes the command's channel; the server ends the command.
    pub(crate) async fn close(&mut self) {
        let _ = self.child.kill().await;
    }
}

/// The command's exit status as `ssh` passes it on; none where `ssh` itself failed, or the
/// command died of a signal.
fn command_status(status: ExitStatus) -> Option<u32> {
    status
        .code()
        .filter(|c| *c != SSH_FAILED)
        .and_then(|c| u32::try_from(c).ok())
}

/// One read of a pipe still open: `None` at its end (or on an error, which ends it too).
/// Pending for ever on a pipe already ended, so that a `select!` waits on the other.
async fn read_some(pipe: &mut Option<impl AsyncRead + Unpin>, buf: &mut [u8]) -> Option<usize> {
    match pipe {
        Some(pipe) => match pipe.read(buf).await {
            Ok(0) | Err(_) => None,
            Ok(n) => Some(n),
        },
        None => std::future::pending().await,
    }
}

fn closed(why: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::BrokenPipe, why.to_owned())
}

/// A byte stream carried by `ssh`'s stdin and stdout (`ssh -W`, or a relay command).
pub(crate) struct ProcessStream {
    /// Held so that the process ends with the stream.
    _child: Child,
    stdout: ChildStdout,
    stdin: Option<ChildStdin>,
}

impl ProcessStream {
    /// Takes a child spawned with stdin and stdout piped.
    pub(crate) fn new(mut child: Child) -> Option<Self> {
        Some(Self {
            stdout: child.stdout.take()?,
            stdin: Some(child.stdin.take()?),
            _child: child,
        })
    }
}

impl AsyncRead for ProcessStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stdout).poll_read(cx, buf)
    }
}

impl AsyncWrite for ProcessStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match &mut self.get_mut().stdin {
            Some(stdin) => Pin::new(stdin).poll_write(cx, buf),
            None => Poll::Ready(Err(closed("the stream was shut down for writing"))),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match &mut self.get_mut().stdin {
            Some(stdin) => Pin::new(stdin).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    /// Closes `ssh`'s stdin: the far side sees end-of-input, as a channel's EOF shows it.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if let Some(stdin) = &mut this.stdin {
            std::task::ready!(Pin::new(stdin).poll_flush(cx))?;
        }
        this.stdin = None;
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Stdio;

    fn piped(script: &str) -> Child {
        tokio::process::Command::new("sh")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    }

    /// Output in order per stream, then the end of output, then the exit status; input
    /// reaches the command and its end ends `cat`.
    #[tokio::test]
    async fn a_process_reads_as_a_channel_does() {
        let mut exec = ProcessExec::new(piped("cat; echo oops >&2; exit 7"));
        exec.write(b"hello").await.unwrap();
        exec.eof();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let closed = loop {
            match exec.read().await {
                Received::Stdout(d) => out.extend(d),
                Received::Stderr(d) => err.extend(d),
                Received::Eof => {}
                closed @ Received::Closed { .. } => break closed,
            }
        };
        assert_eq!((out.as_slice(), err.as_slice()), (&b"hello"[..], &b"oops\n"[..]));
        assert_eq!(closed, Received::Closed { exit_status: Some(7) });
        assert_eq!(exec.read().await, Received::Closed { exit_status: Some(7) });
        let mut failed = ProcessExec::new(piped("exit 255"));
        while !matches!(failed.read().await, Received::Closed { .. }) {}
        assert_eq!(failed.read().await, Received::Closed { exit_status: None });
    }

    /// A stream's shutdown ends the process's input.
    #[tokio::test]
    async fn shutdown_ends_the_input() {
        let mut stream = ProcessStream::new(piped("cat")).unwrap();
        stream.write_all(b"ping").await.unwrap();
        stream.shutdown().await.unwrap();
        let mut back = Vec::new();
        stream.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"ping");
    }
}
