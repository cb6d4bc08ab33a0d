//! A command run on the host as `ssh host command` runs it: the host config's environment
//! offered first (`SetEnv`, `SendEnv`), then its output read as it comes, stdout apart from
//! stderr, and its input written. Nothing here is particular to one transport: the same
//! [`Exec`] stands for a session channel of the built-in client, or for an `ssh` process's
//! stdin, stdout, stderr and exit status.

use russh::ChannelMsg;
use russh::client::{Handle, Msg};

use crate::error::TransportError;
use crate::host_config::HostConfig;
use crate::host_key::HostKeyCheck;
use crate::pattern::glob;

/// A command running on the host.
pub struct Exec {
    inner: Inner,
}

enum Inner {
    Channel {
        channel: russh::Channel<Msg>,
        /// Its exit status, once the server has told it: the server sends it before the close.
        exit_status: Option<u32>,
    },
    #[cfg(unix)]
    Process(Box<crate::process::ProcessExec>),
}

/// What one read of a command's output brought.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    /// The command's output has ended (stdout and stderr both).
    Eof,
    /// The command is over and nothing more will come; its exit status where the server told
    /// it (none when it was killed by a signal, or the connection went).
    Closed {
        exit_status: Option<u32>,
    },
}

/// A command could not be started, or its input not written: the session or the command's
/// channel is gone. Shown in the transport's words.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ExecError(TransportError);

impl ExecError {
    pub(crate) fn russh(source: russh::Error) -> Self {
        Self(TransportError::russh(source))
    }
}

/// A pipe to a process that runs a command failed.
impl From<std::io::Error> for ExecError {
    fn from(source: std::io::Error) -> Self {
        Self(source.into())
    }
}

impl From<ExecError> for TransportError {
    fn from(error: ExecError) -> Self {
        error.0
    }
}

/// Opens a session channel, offers the environment and starts `command_line`: the requests
/// go out back to back, none waits for an answer (the server's `AcceptEnv` decides, unseen,
/// which variables stick).
pub(crate) async fn start(
    handle: &Handle<HostKeyCheck>,
    config: &HostConfig,
    command_line: &str,
) -> Result<Exec, ExecError> {
    let channel = handle.channel_open_session().await.map_err(ExecError::russh)?;
    for (name, value) in environment(config, std::env::vars_os()) {
        channel.set_env(false, name, value).await.map_err(ExecError::russh)?;
    }
    channel.exec(false, command_line).await.map_err(ExecError::russh)?;
    Ok(Exec {
        inner: Inner::Channel {
            channel,
            exit_status: None,
        },
    })
}

/// What ssh offers a command: the `SetEnv` pairs, then each variable of `local` whose name a
/// `SendEnv` pattern matches. A `-PATTERN` is a removal, applied where the config was read:
/// it sends nothing. A variable that is not Unicode cannot go into a request here.
fn environment(
    config: &HostConfig,
    local: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> Vec<(String, String)> {
    let patterns: Vec<&str> = config
        .send_env
        .iter()
        .map(String::as_str)
        .filter(|p| !p.starts_with('-'))
        .collect();
    let sent = local
        .into_iter()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .filter(|(name, _)| patterns.iter().any(|p| glob(p, name)));
    config.set_env.iter().cloned().chain(sent).collect()
}

impl Exec {
    /// A command run by an `ssh` process.
    #[cfg(unix)]
    pub(crate) fn process(process: crate::process::ProcessExec) -> Self {
        Self {
            inner: Inner::Process(Box::new(process)),
        }
    }

    /// The next piece of output; after [`Received::Closed`], `Closed` again.
    pub async fn read(&mut self) -> Received {
        let (channel, exit_status) = match &mut self.inner {
            Inner::Channel { channel, exit_status } => (channel, exit_status),
            #[cfg(unix)]
            Inner::Process(process) => {
                use crate::process::Received as Piece;
                return match process.read().await {
                    Piece::Stdout(data) => Received::Stdout(data),
                    Piece::Stderr(data) => Received::Stderr(data),
                    Piece::Eof => Received::Eof,
                    Piece::Closed { exit_status } => Received::Closed { exit_status },
                };
            }
        };
        loop {
            return match channel.wait().await {
                Some(ChannelMsg::Data { data }) => Received::Stdout(data.to_vec()),
                // The one extended data type there is: stderr.
                Some(ChannelMsg::ExtendedData { data, .. }) => Received::Stderr(data.to_vec()),
                Some(ChannelMsg::Eof) => Received::Eof,
                Some(ChannelMsg::ExitStatus { exit_status: status }) => {
                    *exit_status = Some(status);
                    continue;
                }
                Some(ChannelMsg::Close) | None => Received::Closed {
                    exit_status: *exit_status,
                },
                Some(_) => continue,
            };
        }
    }

    /// Writes `data` on the command's stdin.
    pub async fn write(&mut self, data: &[u8]) -> Result<(), ExecError> {
        match &mut self.inner {
            Inner::Channel { channel, .. } => channel.data_bytes(data.to_vec()).await.map_err(ExecError::russh),
            #[cfg(unix)]
            Inner::Process(process) => Ok(process.write(data).await?),
        }
    }

    /// Ends the command's stdin.
    pub async fn eof(&mut self) -> Result<(), ExecError> {
        match &mut self.inner {
            Inner::Channel { channel, .. } => channel.eof().await.map_err(ExecError::russh),
            #[cfg(unix)]
            Inner::Process(process) => {
                process.eof();
                Ok(())
            }
        }
    }

    /// Closes the command's channel; the server ends the command. A failure here means the
    /// session is gone already, so there is nothing left to close.
    pub async fn close(&mut self) {
        match &mut self.inner {
            Inner::Channel { channel, .. } => {
                let _ = channel.close().await;
            }
            #[cfg(unix)]
            Inner::Process(process) => process.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
        pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    /// SetEnv first, as given; then the variables SendEnv's globs match, in the order the
    /// environment lists them.
    #[test]
    fn set_env_then_the_variables_send_env_matches() {
        let text = "setenv A=1\nsetenv B=two words\nsendenv LC_*\nsendenv LANG\nsendenv -HOME\n";
        let config = crate::config::parse_ssh_g("h", text, std::path::Path::new("/home/me")).unwrap();
        let local = vars(&[
            ("LANG", "C.UTF-8"),
            ("LC_ALL", "C"),
            ("LC_TIME", "en_GB"),
            ("HOME", "/h"),
            ("LANGUAGE", "x"),
        ]);
        let sent = environment(&config, local);
        let sent: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            sent,
            [
                ("A", "1"),
                ("B", "two words"),
                ("LANG", "C.UTF-8"),
                ("LC_ALL", "C"),
                ("LC_TIME", "en_GB")
            ]
        );
        let none = crate::config::parse_ssh_g("h", "user u\n", std::path::Path::new("/")).unwrap();
        assert!(environment(&none, vars(&[("LANG", "C")])).is_empty());
    }

    /// A variable whose name or value is not Unicode is left out, not a panic.
    #[cfg(unix)]
    #[test]
    fn a_variable_that_is_not_unicode_is_left_out() {
        use std::os::unix::ffi::OsStringExt;
        let config = crate::config::parse_ssh_g("h", "sendenv *\n", std::path::Path::new("/")).unwrap();
        let local = vec![
            ("BAD".into(), std::ffi::OsString::from_vec(vec![0xff])),
            ("GOOD".into(), "yes".into()),
        ];
        assert_eq!(environment(&config, local), [("GOOD".to_owned(), "yes".to_owned())]);
    }
}
