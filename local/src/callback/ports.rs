//! The local callback port: bound before anything is announced, and when it is taken, the
//! holder named where the OS tells (Linux `/proc`, Windows `netstat`; macOS does not, and the
//! port is named alone).

#[cfg(not(windows))]
use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use std::fmt;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::codex::authorize::PORTS;
use crate::ui::Ui;
use crate::ui::terminal;

/// Who holds a local port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: Option<u32>,
    pub name: String,
}

impl Holder {
    /// A local `codex login` waiting for its own callback: codex's own `GET /cancel` ends it.
    pub fn is_codex(&self) -> bool {
        self.name == "codex"
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Another local program's name is not ours to trust: sanitised like remote text.
        let name = codex_remote_login_shared::redact::printable(&self.name);
        match self.pid {
            Some(pid) => write!(f, "pid {pid} ({name})"),
            None => f.write_str(&name),
        }
    }
}

/// Why the callback port cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    #[error("local port {port} is in use{}", by(holder))]
    Busy { port: u16, holder: Option<Holder> },
    #[error(
        "local ports 1455 and 1457, the two codex can call back on, are both in use (1455{}, 1457{})",
        by(first),
        by(second)
    )]
    BothBusy {
        first: Option<Holder>,
        second: Option<Holder>,
    },
    #[error("cannot listen on local port {port}")]
    Listen {
        port: u16,
        #[source]
        source: std::io::Error,
    },
}

fn by(holder: &Option<Holder>) -> String {
    holder.as_ref().map(|h| format!(" by {h}")).unwrap_or_default()
}

impl PortError {
    /// What the user can do next.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Busy { port, holder } => match holder {
                Some(h) if h.is_codex() => format!(
                    "a local `codex login` is waiting on port {port}: finish it, or pass --cancel-local to end it as codex itself would"
                ),
                _ => format!("stop the program holding port {port}, then run again"),
            },
            Self::BothBusy { first, second } => {
                if [first, second].iter().any(|h| h.as_ref().is_some_and(Holder::is_codex)) {
                    "a local `codex login` holds one of them: pass --cancel-local to end it as codex itself would"
                        .into()
                } else {
                    "stop one of those programs, then run again".into()
                }
            }
            Self::Listen { .. } => return None,
        })
    }
}

/// The local callback port, settled before anything starts on the host.
pub struct Settled {
    pub listeners: Vec<TcpListener>,
    /// The local 1455 is taken: the host's codex must be steered to 1457.
    pub steer: bool,
}

/// Takes codex's first port, or frees it from a waiting local `codex login` (with
/// `--cancel-local`, or when the user agrees on a terminal), or else takes the second port
/// and asks for the host's codex to be steered there.
pub async fn settle(cancel_local: bool, ui: &Ui) -> Result<Settled, PortError> {
    let [first, second] = PORTS;
    let holder = match bind(first, false) {
        Ok(listeners) => {
            return Ok(Settled {
                listeners,
                steer: false,
            });
        }
        Err(PortError::Busy { holder, .. }) => holder,
        Err(e) => return Err(e),
    };
    if let Some(codex) = holder.as_ref().filter(|h| h.is_codex()) {
        let question = format!("A local `codex login` ({codex}) is waiting on port {first}. Cancel it? [y/N] ");
        let agreed = cancel_local
            || (terminal::available()
                && ui
                    .suspend(|| terminal::ask(&question))
                    .is_ok_and(|a| a.trim().eq_ignore_ascii_case("y")));
        if agreed {
            cancel_waiting_login(first).await;
            match bind(first, false) {
                Ok(listeners) => {
                    ui.info(&format!(
                        "Cancelled the local `codex login` that was waiting on port {first}."
                    ));
                    return Ok(Settled {
                        listeners,
                        steer: false,
                    });
                }
                Err(e) => tracing::info!("port {first} still taken after /cancel: {e}"),
            }
        }
    }
    match bind(second, false) {
        Ok(listeners) => {
            let who = holder
                .as_ref()
                .map_or("another program".to_owned(), ToString::to_string);
            ui.warn(&format!(
                "local port {first} is in use by {who}; the sign-in will use port {second} instead"
            ));
            Ok(Settled { listeners, steer: true })
        }
        Err(PortError::Busy {
            holder: second_holder, ..
        }) => Err(PortError::BothBusy {
            first: holder,
            second: second_holder,
        }),
        Err(e) => Err(e),
    }
}

/// What codex itself does to a login waiting on its port: `GET /cancel`. Then waits (bounded)
/// for the port to be released.
async fn cancel_waiting_login(port: u16) {
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await?;
        let request = format!("GET /cancel HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut sink = Vec::new();
        stream.read_to_end(&mut sink).await
    };
    if let Err(e) = tokio::time::timeout(Duration::from_secs(2), ask).await.unwrap_or(Ok(0)) {
        tracing::debug!("GET /cancel on port {port}: {e}");
    }
    let released = async {
        while holder(port).is_some() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(3), released).await;
}

/// Binds `port` on 127.0.0.1, and on [::1] as well when `localhost` (where IPv6 exists).
pub fn bind(port: u16, localhost: bool) -> Result<Vec<TcpListener>, PortError> {
    let mut listeners = vec![listen(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?];
    if localhost {
        listeners.extend(bind_v6(port)?);
    }
    Ok(listeners)
}

/// Binds `port` on [::1]; `None` where this machine has no IPv6 loopback.
pub fn bind_v6(port: u16) -> Result<Option<TcpListener>, PortError> {
    match listen(SocketAddr::from((Ipv6Addr::LOCALHOST, port))) {
        Ok(l) => Ok(Some(l)),
        Err(PortError::Listen { source, .. }) if source.kind() == std::io::ErrorKind::AddrNotAvailable => Ok(None),
        Err(e) => Err(e),
    }
}

fn listen(addr: SocketAddr) -> Result<TcpListener, PortError> {
    let port = addr.port();
    let std = std::net::TcpListener::bind(addr).map_err(|source| match source.kind() {
        std::io::ErrorKind::AddrInUse => PortError::Busy {
            port,
            holder: holder(port),
        },
        _ => PortError::Listen { port, source },
    })?;
    std.set_nonblocking(true)
        .map_err(|source| PortError::Listen { port, source })?;
    TcpListener::from_std(std).map_err(|source| PortError::Listen { port, source })
}

/// The kernel keeps 15 bytes of a program's name (`comm`): a name that long may be cut, and
/// the whole one is the program's file (or, where that is not readable, its `argv[0]`) when
/// that starts with it. Only the name: the rest of a command line may hold anything.
#[cfg(not(windows))]
fn whole_name(proc_dir: &std::path::Path, comm: &str) -> String {
    const COMM_MAX: usize = 15;
    if comm.len() < COMM_MAX {
        return comm.to_owned();
    }
    let exe = fs::read_link(proc_dir.join("exe")).ok();
    let argv0 = fs::read(proc_dir.join("cmdline")).ok().and_then(|c| {
        c.split(|b| *b == 0)
            .next()
            .map(|a| String::from_utf8_lossy(a).into_owned())
    });
    [exe.map(|p| p.to_string_lossy().into_owned()), argv0]
        .into_iter()
        .flatten()
        .map(|path| path.rsplit('/').next().unwrap_or_default().to_owned())
        .find(|name| name.len() > comm.len() && name.starts_with(comm))
        .unwrap_or_else(|| comm.to_owned())
}

/// The process listening on `port` on this machine, where /proc tells; `None` when nothing
/// listens.
#[cfg(not(windows))]
pub fn holder(port: u16) -> Option<Holder> {
    let inode = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .find_map(|f| listening_inode(&fs::read_to_string(f).ok()?, port))?;
    let needle = format!("socket:[{inode}]");
    for proc_entry in fs::read_dir("/proc").ok()?.flatten() {
        let name = proc_entry.file_name();
        let Some(pid) = name.to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())) else {
            continue;
        };
        let Ok(fds) = fs::read_dir(proc_entry.path().join("fd")) else {
            continue;
        };
        if fds
            .flatten()
            .any(|fd| fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == needle.as_str()))
        {
            let comm = fs::read_to_string(proc_entry.path().join("comm")).unwrap_or_default();
            return Some(Holder {
                pid: pid.parse().ok(),
                name: whole_name(&proc_entry.path(), comm.trim()),
            });
        }
    }
    Some(Holder {
        pid: None,
        name: "another process (its owner is not visible to this user)".into(),
    })
}

/// The process listening on `port`, where Windows tells (see [`crate::callback::netstat`]).
#[cfg(windows)]
pub fn holder(port: u16) -> Option<Holder> {
    crate::callback::netstat::holder(port).map(|(pid, name)| Holder { pid: Some(pid), name })
}

/// The inode of the LISTEN socket on `port` in a /proc/net/tcp table.
#[cfg(not(windows))]
fn listening_inode(table: &str, port: u16) -> Option<u64> {
    table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let local_port = u16::from_str_radix(cols.get(1)?.rsplit(':').next()?, 16).ok()?;
        (local_port == port && *cols.get(3)? == "0A").then(|| cols.get(9)?.parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(windows))]
    #[test]
    fn proc_table() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:05AF 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 424242 1 0\n\
   1: 0100007F:05B1 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 434343 1 0\n";
        assert_eq!(listening_inode(table, 1455), Some(424242));
        assert_eq!(
            listening_inode(table, 1457),
            None,
            "an established socket is not a listener"
        );
    }

    /// A `localhost` redirect on the port already held: only [::1] is added, since binding
    /// 127.0.0.1 again is refused.
    #[tokio::test]
    async fn localhost_adds_ipv6_beside_the_held_port() {
        let held = bind(0, false).unwrap();
        let port = held[0].local_addr().unwrap().port();
        assert!(matches!(bind(port, true), Err(PortError::Busy { .. })));
        if let Some(v6) = bind_v6(port).unwrap() {
            assert_eq!(v6.local_addr().unwrap().port(), port);
        }
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn busy_port_names_its_holder() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        match bind(port, false) {
            Err(PortError::Busy {
                port: p,
                holder: Some(h),
            }) => {
                assert_eq!(p, port);
                assert_eq!(h.pid, Some(std::process::id()), "{h}");
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
    }

    /// The kernel cuts a program's name at 15 bytes; the holder is named in full.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_holder_with_a_long_name_is_named_in_full() {
        use std::io::{BufRead, BufReader};
        let dir = std::env::temp_dir().join(format!("crl-holder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let program = dir.join("crl-a-very-long-holder-name");
        let python = fs::canonicalize("/usr/bin/python3").expect("python3");
        fs::copy(&python, &program).unwrap();
        let mut child = std::process::Command::new(&program)
            .args([
                "-c",
                "import socket, sys\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()\nprint(s.getsockname()[1], flush=True)\nsys.stdin.read()",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().unwrap();
        let held = holder(port);
        let _ = child.kill();
        let _ = child.wait();
        let _ = fs::remove_dir_all(&dir);
        let held = held.expect("it listens");
        assert_eq!(held.name, "crl-a-very-long-holder-name");
        assert_eq!(held.pid, Some(child.id()));
    }

    /// Windows names the holder where `netstat` lists it; Wine's lists no listeners, and the
    /// port is then named alone. Either way the busy port is an error that says which.
    #[cfg(windows)]
    #[tokio::test]
    async fn busy_port_is_named_with_its_holder_where_windows_tells() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        match bind(port, false) {
            Err(PortError::Busy { port: p, holder }) => {
                assert_eq!(p, port);
                if let Some(h) = holder {
                    assert_eq!(h.pid, Some(std::process::id()), "{h}");
                }
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
}
