//! The user's own OpenSSH as the transport behind a connection: one authenticated master
//! connection per sign-in, and an `ssh` client process riding it for each command (an
//! `Exec`) and each byte stream (a `Forward`: `ssh -W`, or a relay command).
//! So a sign-in authenticates once however many browser connections it carries.
//!
//! The master is the user's own where one is live at their `ControlPath`; otherwise the tool
//! starts one in a private (0700) directory. That master detaches from the tool once it has
//! authenticated (`ControlPersist`, which is also the sign that it is ready), so a watchman
//! (`sh`, reading a pipe from the tool) ends it: when the tool closes the pipe, or dies and
//! the kernel closes it, the watchman asks the master to exit and removes the directory.
//! OpenSSH's questions come through the askpass helper; no secret is ever an argument.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

use crate::askpass::Askpass;
use crate::error::{Error, TransportError};
use crate::host_config::{DEFAULT_CONNECT_TIMEOUT, HostConfig, OpenSshArgs};
use crate::process::{ProcessExec, ProcessStream};
use crate::prompter::Prompter;

/// The watchman of a master the tool owns. Its first line tells whether the master got as
/// far as detaching (`ready`) or failed (`failed`); at end-of-input without either, the tool
/// died while the master was still authenticating, so that process ($1) is ended first.
/// Then the master is asked to exit ($2 its socket) and the directory ($3) removed. Signals
/// from the terminal are ignored: only the end of its input ends it.
const WATCHMAN: &str = r#"trap '' INT TERM HUP
read -r state || state=
[ "$state" = ready ] || [ "$state" = failed ] || kill "$1" 2>/dev/null
while read -r _; do :; done
ssh -F /dev/null -o ControlPath="$2" -O exit crl-master >/dev/null 2>&1
rm -rf "$3""#;

/// What every `ssh` the tool runs is told first (the first value of an option wins): a
/// sign-in forwards nothing but the callback and runs only its own commands, whatever the
/// config sets up for interactive sessions (LocalForward, ForwardAgent, RemoteCommand, ...).
const SIGN_IN_ONLY: [&str; 12] = [
    "-o",
    "ClearAllForwardings=yes",
    "-o",
    "ForwardAgent=no",
    "-o",
    "ForwardX11=no",
    "-o",
    "PermitLocalCommand=no",
    "-o",
    "RequestTTY=no",
    "-o",
    "RemoteCommand=none",
];

/// One host reached through OpenSSH.
pub(crate) struct OpenSsh {
    host: String,
    /// What every client process runs with before the destination: our options first (the
    /// first value of an option wins in OpenSSH), then the user's command line.
    client_args: Vec<OsString>,
    destination: String,
    control_path: PathBuf,
    owned: Option<Owned>,
}

/// Why `ssh -W` got no stream, as a forward's error tells it.
pub(crate) enum Refusal {
    /// The server forbids forwarding.
    Prohibited,
    /// The server forwards, but not there.
    Refused,
    /// The master or the client failed.
    Session,
}

/// A master the tool started.
struct Owned {
    dir: PathBuf,
    log: PathBuf,
    /// The watchman's stdin: closing it ends the master. `None` once closed.
    watchman: Mutex<Option<ChildStdin>>,
    watchman_process: tokio::sync::Mutex<Child>,
    _askpass: Askpass,
}

impl OpenSsh {
    /// Rides the user's master at `control_path`, live when it was chosen.
    pub(crate) fn ride(config: &HostConfig, args: &OpenSshArgs, control_path: &Path) -> Self {
        Self {
            host: config.alias.clone(),
            client_args: client_args(control_path, &args.args),
            destination: args.destination.clone(),
            control_path: control_path.to_owned(),
            owned: None,
        }
    }

    /// Starts a master of the tool's own and waits until it has authenticated. Not bounded
    /// here: `ConnectTimeout` bounds what OpenSSH bounds, and a question may wait for the
    /// person as long as they need.
    pub(crate) async fn start(config: &HostConfig, args: &OpenSshArgs, ui: Arc<dyn Prompter>) -> Result<Self, Error> {
        let host = config.alias.clone();
        let failed = |message: String| Error::OpenSsh {
            host: host.clone(),
            message,
        };
        let dir = private_dir().map_err(|e| failed(format!("cannot make a private directory: {e}")))?;
        let control_path = dir.join("master");
        let log = dir.join("log");
        let askpass = match Askpass::serve(&dir.join("askpass"), host.clone(), ui) {
            Ok(askpass) => askpass,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(failed(format!("cannot listen for ssh's questions: {e}")));
            }
        };
        let mut master = Command::new("ssh");
        master
            .args(SIGN_IN_ONLY)
            .args(["-o", "ControlMaster=yes", "-o"])
            .arg(control_option(&control_path))
            .args(["-o", "ControlPersist=yes", "-N", "-E"])
            .arg(&log)
            .args(&args.args);
        if config.connect_timeout.is_none() {
            // As the built-in client: connecting never hangs (the config sets no bound).
            master
                .arg("-o")
                .arg(format!("ConnectTimeout={}", DEFAULT_CONNECT_TIMEOUT.as_secs()));
        }
        master
            .arg("--")
            .arg(&args.destination)
            .envs(askpass.env())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        tracing::debug!("starting OpenSSH's master for {host} in {}", dir.display());
        let mut master = master.spawn().map_err(|e| {
            let _ = std::fs::remove_dir_all(&dir);
            failed(format!("cannot run ssh: {e}"))
        })?;
        let pid = master.id().unwrap_or(0);
        let mut watchman = Command::new("/bin/sh");
        watchman
            .args(["-c", WATCHMAN, "crl-watchman"])
            .arg(pid.to_string())
            .arg(&control_path)
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group: a Ctrl-C on the terminal is the tool's to handle.
        #[cfg(unix)]
        watchman.process_group(0);
        let mut watchman = watchman.spawn().map_err(|e| {
            let _ = std::fs::remove_dir_all(&dir);
            failed(format!("cannot run /bin/sh: {e}"))
        })?;
        let mut pipe = watchman.stdin.take();
        let status = master.wait().await;
        let ready = matches!(&status, Ok(s) if s.success());
        if let Some(pipe) = &mut pipe {
            let _ = pipe.write_all(if ready { b"ready\n" } else { b"failed\n" }).await;
        }
        let owned = Owned {
            dir,
            log,
            watchman: Mutex::new(pipe),
            watchman_process: tokio::sync::Mutex::new(watchman),
            _askpass: askpass,
        };
        if !ready {
            let message = match status {
                Ok(_) => owned.last_words(),
                Err(e) => e.to_string(),
            };
            owned.end().await;
            return Err(failed(message));
        }
        tracing::debug!("OpenSSH's master for {host} is up");
        Ok(Self {
            host,
            client_args: client_args(&control_path, &args.args),
            destination: args.destination.clone(),
            control_path,
            owned: Some(owned),
        })
    }

    /// A client process of the master; its arguments (`-T -- DEST COMMAND`, `-W ...`) follow.
    fn client(&self) -> Command {
        let mut cmd = Command::new("ssh");
        cmd.args(&self.client_args).kill_on_drop(true);
        cmd
    }

    /// Runs `command_line` on the host, as `ssh HOST COMMAND` does (SetEnv and SendEnv
    /// applied by ssh itself): stdin and stdout piped, stderr to `stderr`.
    fn run(&self, command_line: &str, stderr: Stdio) -> std::io::Result<Child> {
        self.client()
            .arg("-T")
            .arg("--")
            .arg(&self.destination)
            .arg(command_line)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
    }

    /// A command on the host, its output read as it comes.
    pub(crate) fn exec(&self, command_line: &str) -> std::io::Result<ProcessExec> {
        Ok(ProcessExec::new(self.run(command_line, Stdio::piped())?))
    }

    /// `ssh -W host:port` over the master: the stream once the server has opened the channel.
    pub(crate) async fn forward(&self, host: &str, port: u16) -> Result<ProcessStream, (Refusal, TransportError)> {
        let session = |e: std::io::Error| (Refusal::Session, e.into());
        // At -v, the client says when the master has the channel open.
        let mut child = self
            .client()
            .arg("-v")
            .arg("-W")
            .arg(format!("{host}:{port}"))
            .arg("--")
            .arg(&self.destination)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(session)?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| session(std::io::Error::other("no stderr")))?;
        let mut lines = BufReader::new(stderr).lines();
        let mut said = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("master session id") {
                // The rest of what it says is of no use; read so that it never blocks.
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                return ProcessStream::new(child).ok_or_else(|| session(std::io::Error::other("no pipes")));
            }
            if !line.starts_with("debug") {
                said.push(line);
            }
        }
        let _ = child.wait().await;
        Err(self.refusal(said.join("; ")))
    }

    /// Why the server did not open a forwarding channel. The client only says that it did
    /// not; the master's log (of a master the tool owns) says why. For a master of the user's
    /// the reason is unknown: taken as prohibited, since a relay works either way.
    fn refusal(&self, said: String) -> (Refusal, TransportError) {
        let reason = self.owned.as_ref().and_then(|o| {
            let log = std::fs::read_to_string(&o.log).ok()?;
            log.lines().rev().find(|l| l.contains("open failed")).map(str::to_owned)
        });
        let error = TransportError::from(std::io::Error::other(match &reason {
            Some(reason) => format!("{said} ({})", reason.trim()),
            None => said.clone(),
        }));
        let refusal = match (&self.owned, reason) {
            (Some(_), Some(reason)) if reason.contains("administratively prohibited") => Refusal::Prohibited,
            (Some(_), Some(_)) => Refusal::Refused,
            (None, _) if said.contains("refused by peer") => Refusal::Prohibited,
            _ => Refusal::Session,
        };
        (refusal, error)
    }

    /// A stream through `command_line` run on the host (stdin and stdout; stderr dropped).
    pub(crate) fn relay(&self, command_line: &str) -> std::io::Result<ProcessStream> {
        ProcessStream::new(self.run(command_line, Stdio::null())?).ok_or_else(|| std::io::Error::other("no pipes"))
    }

    /// Whether the master is gone (its socket no longer answers).
    pub(crate) fn is_closed(&self) -> bool {
        std::os::unix::net::UnixStream::connect(&self.control_path).is_err()
    }

    /// Ends a master the tool owns, and waits (bounded) until it is gone; the user's is left.
    pub(crate) async fn close(&self) {
        if let Some(owned) = &self.owned {
            owned.end().await;
        }
        tracing::debug!("closed OpenSSH's connection to {}", self.host);
    }
}

impl Owned {
    /// What ssh said last, from its log: why the master did not come up.
    fn last_words(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let words: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
        let start = words.len().saturating_sub(3);
        match words[start..].join("; ") {
            w if w.is_empty() => "ssh exited without saying why".into(),
            w => codex_remote_login_shared::redact::printable(&w),
        }
    }

    /// Closes the watchman's input and waits (bounded) for it to have ended the master.
    async fn end(&self) {
        self.watchman.lock().expect("not poisoned").take();
        let mut watchman = self.watchman_process.lock().await;
        if tokio::time::timeout(Duration::from_secs(5), watchman.wait())
            .await
            .is_err()
        {
            tracing::warn!("the ssh master in {} did not end in time", self.dir.display());
        }
    }
}

/// The options that make an `ssh` a client of the master at `control_path`, then the
/// user's. BatchMode: a client of a live master never needs to ask anything.
fn client_args(control_path: &Path, user: &[OsString]) -> Vec<OsString> {
    let mut args: Vec<OsString> = SIGN_IN_ONLY.iter().map(OsString::from).collect();
    args.extend(["-o".into(), "ControlMaster=no".into(), "-o".into()]);
    args.push(control_option(control_path));
    args.extend(["-o".into(), "BatchMode=yes".into()]);
    args.extend(user.iter().cloned());
    args
}

fn control_option(path: &Path) -> OsString {
    let mut option = OsString::from("ControlPath=");
    // `%` starts a token in ControlPath; a path with one is written as OpenSSH reads it.
    option.push(path.as_os_str().to_string_lossy().replace('%', "%%"));
    option
}

/// A new directory only this user may enter, in the temporary directory.
fn private_dir() -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::temp_dir();
    for _ in 0..8 {
        let dir = base.join(format!("crl-ssh.{:016x}", rand::random::<u64>()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_options_come_before_the_users() {
        let args = client_args(Path::new("/tmp/a%b/master"), &["-F".into(), "/cfg".into()]);
        assert_eq!(
            args[SIGN_IN_ONLY.len()..],
            [
                "-o",
                "ControlMaster=no",
                "-o",
                "ControlPath=/tmp/a%%b/master",
                "-o",
                "BatchMode=yes",
                "-F",
                "/cfg"
            ]
            .map(OsString::from)
        );
    }

    #[test]
    fn the_private_directory_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = private_dir().unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        std::fs::remove_dir(&dir).unwrap();
        assert_eq!(mode & 0o777, 0o700);
    }
}
