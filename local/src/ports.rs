//! The local callback port: bound before anything is announced, and when it is taken, the
//! holder named where the OS tells (Linux `/proc`).

use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::net::TcpListener;

use crate::error::Error;

/// Binds `port` on 127.0.0.1, and on [::1] as well when `localhost` (where IPv6 exists).
pub fn bind(port: u16, localhost: bool) -> Result<Vec<TcpListener>, Error> {
    let mut listeners = vec![listen(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?];
    if localhost {
        match listen(SocketAddr::from((Ipv6Addr::LOCALHOST, port))) {
            Ok(l) => listeners.push(l),
            Err(Error::Listen { source, .. }) if source.kind() == std::io::ErrorKind::AddrNotAvailable => {}
            Err(e) => return Err(e),
        }
    }
    Ok(listeners)
}

fn listen(addr: SocketAddr) -> Result<TcpListener, Error> {
    let port = addr.port();
    let std = std::net::TcpListener::bind(addr).map_err(|source| match source.kind() {
        std::io::ErrorKind::AddrInUse => Error::PortBusy {
            port,
            holder: holder(port),
        },
        _ => Error::Listen { port, source },
    })?;
    std.set_nonblocking(true)
        .map_err(|source| Error::Listen { port, source })?;
    TcpListener::from_std(std).map_err(|source| Error::Listen { port, source })
}

/// `pid N (name)` of the process listening on `port`, where /proc tells.
pub fn holder(port: u16) -> Option<String> {
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
            return Some(format!("pid {pid} ({})", comm.trim()));
        }
    }
    Some("another process (its owner is not visible to this user)".into())
}

/// The inode of the LISTEN socket on `port` in a /proc/net/tcp table.
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

    #[tokio::test]
    async fn busy_port_names_its_holder() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        match bind(port, false) {
            Err(Error::PortBusy {
                port: p,
                holder: Some(h),
            }) => {
                assert_eq!(p, port);
                assert!(h.contains(&std::process::id().to_string()), "{h}");
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
}
