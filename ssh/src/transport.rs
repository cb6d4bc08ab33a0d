//! The byte stream an SSH connection runs over: TCP; a `direct-tcpip` channel through the
//! previous hop (`ProxyJump`, `-J`); or a `ProxyCommand`'s stdin and stdout.

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::Connection;
use crate::Error;
use crate::Settings;
use crate::config;
use crate::destination::Destination;
use crate::error::ConfigError;
use crate::host_config::HostConfig;
use crate::prompter::Prompter;

/// More hops than any real chain has: a config that loops.
const MAX_HOPS: u8 = 8;

/// Anything an SSH session can run over.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// What keeps a transport alive: dropped with the connection that runs over it.
pub enum Via {
    Direct,
    Jump(Box<Connection>),
    Command(tokio::process::Child),
}

pub async fn open(config: &HostConfig, ui: Arc<dyn Prompter>) -> Result<(Box<dyn Stream>, Via), Error> {
    let host = config.alias.clone();
    if let Some(jumps) = &config.proxy_jump {
        let (stream, hop) = through_jump(config, jumps, ui).await?;
        return Ok((stream, Via::Jump(Box::new(hop))));
    }
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
        return Ok((Box::new(tokio::io::join(stdout, stdin)), Via::Command(child)));
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
    Ok((Box::new(socket), Via::Direct))
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

/// `ProxyJump a,b` (or `-J a,b`): the target is reached through `b`, which is reached
/// through `a` — as OpenSSH does, each hop resolved from the same config file, and the hop
/// list overriding a hop's own ProxyJump.
async fn through_jump(
    config: &HostConfig,
    jumps: &str,
    ui: Arc<dyn Prompter>,
) -> Result<(Box<dyn Stream>, Connection), Error> {
    let (rest, last) = match jumps.rsplit_once(',') {
        Some((rest, last)) => (Some(rest), last),
        None => (None, jumps),
    };
    let dest = Destination::parse_jump(last.trim())?;
    let args = Settings {
        config: config.config_file.clone(),
        ..Settings::default()
    };
    let mut hop = config::resolve(&dest, &args)?;
    hop.jump_depth = config.jump_depth + 1;
    if hop.jump_depth > MAX_HOPS {
        return Err(Error::Config(ConfigError::BadValue {
            key: "ProxyJump",
            value: format!("{jumps} (more than {MAX_HOPS} hops: a loop?)"),
        }));
    }
    if rest.is_some() {
        hop.proxy_jump = rest.map(str::to_owned);
        hop.proxy_command = None;
    } else if hop
        .proxy_jump
        .as_deref()
        .and_then(|j| j.rsplit(',').next())
        .map(str::trim)
        == Some(last.trim())
    {
        // `Host * / ProxyJump bastion` also matches the bastion: it is not its own hop.
        hop.proxy_jump = None;
    }
    tracing::info!("reaching {} through {}", config.alias, hop.alias);
    // Boxed: opening the hop may go through hops of its own.
    let hop = Box::pin(Connection::open(Arc::new(hop), ui)).await?;
    let limit = crate::connection::connect_limit(config);
    let opening =
        hop.handle
            .channel_open_direct_tcpip(config.hostname.as_str(), u32::from(config.port), "127.0.0.1", 0);
    let channel = tokio::time::timeout(limit, opening)
        .await
        .map_err(|_| Error::ConnectTimeout {
            host: config.alias.clone(),
            secs: limit.as_secs(),
        })?
        .map_err(|source| Error::Jump {
            host: config.alias.clone(),
            hop: hop.config.alias.clone(),
            source: Box::new(source),
        })?;
    Ok((Box::new(channel.into_stream()) as Box<dyn Stream>, hop))
}
