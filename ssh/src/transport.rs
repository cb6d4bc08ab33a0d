//! The byte stream an SSH connection runs over: TCP, or a `ProxyCommand`'s stdin and stdout.
//! (Through a jump host, it is a forward over the previous hop's connection.)

use tokio::io::{AsyncRead, AsyncWrite};

use crate::error::Error;
use crate::host_config::HostConfig;

/// Anything an SSH session can run over.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// The stream to `config`'s host, and the ProxyCommand's process where one carries it: that
/// must live as long as the connection over it, and ends when dropped.
pub async fn open(config: &HostConfig) -> Result<(Box<dyn Stream>, Option<tokio::process::Child>), Error> {
    let host = config.alias.clone();
    if let Some(command) = &config.proxy_command {
        let command = config.expand_for_shell(command)?;
        tracing::debug!("ProxyCommand for {host}: {command}");
        let mut child = proxy_command(&command)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| Error::Connect {
                host: host.clone(),
                addr: format!("ProxyCommand {command}"),
                source,
            })?;
        let (Some(stdout), Some(stdin)) = (child.stdout.take(), child.stdin.take()) else {
            unreachable!("both piped above");
        };
        return Ok((Box::new(tokio::io::join(stdout, stdin)), Some(child)));
    }
    let addr = format!("{}:{}", config.hostname, config.port);
    // Bounded by ConnectTimeout in Connection::open, with the banner and key exchange.
    let socket = tokio::net::TcpStream::connect((config.hostname.as_str(), config.port))
        .await
        .map_err(|source| Error::Connect {
            host: host.clone(),
            addr,
            source,
        })?;
    // Small request/response turns: Nagle would only add latency.
    let _ = socket.set_nodelay(true);
    Ok((Box::new(socket), None))
}

/// A ProxyCommand as OpenSSH on this platform runs it: through `/bin/sh` on Unix.
#[cfg(unix)]
fn proxy_command(command: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new("/bin/sh");
    cmd.arg("-c").arg(format!("exec {command}"));
    cmd
}

/// A ProxyCommand as Windows OpenSSH runs it: split into arguments and started directly,
/// never through `cmd /c` (see [`crate::command_line`]).
#[cfg(windows)]
fn proxy_command(command: &str) -> tokio::process::Command {
    let words = crate::command_line::split(command);
    let (program, args) = words.split_first().map_or(("", &[][..]), |(p, a)| (p.as_str(), a));
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args);
    cmd
}
