//! Who holds a local port on Windows, where there is no `/proc`: `netstat -ano` names the
//! listening process's id, `tasklist` its image name. Either may tell nothing (Wine's
//! `netstat` lists no listeners): the port is then named without a holder. The parsers are
//! pure, so that the Linux build tests them too.

/// The listener on 127.0.0.1 (or any address) at `port`, as netstat and tasklist tell: its
/// process id and image name.
#[cfg(windows)]
pub fn holder(port: u16) -> Option<(u32, String)> {
    let system = std::env::var_os("SystemRoot")
        .map(|root| std::path::Path::new(&root).join("System32"))
        .unwrap_or_default();
    let run = |program: &str, args: &[&str]| {
        let out = std::process::Command::new(system.join(program))
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let pid = listener_pid(&run("netstat.exe", &["-ano", "-p", "TCP"])?, port)?;
    let filter = format!("PID eq {pid}");
    let name = run("tasklist.exe", &["/FI", &filter, "/FO", "CSV", "/NH"])
        .and_then(|csv| image_name(&csv))
        .unwrap_or_else(|| "an unnamed process".into());
    Some((pid, name))
}

/// The process id on a listening line for `port` in `netstat -ano` output. Listeners are told
/// by their unconnected foreign address, not by the state's word, which Windows translates.
pub fn listener_pid(table: &str, port: u16) -> Option<u32> {
    table.lines().find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let [proto, local, foreign, .., pid] = cols.as_slice() else {
            return None;
        };
        let listening = matches!(*foreign, "0.0.0.0:0" | "[::]:0" | "*:*");
        let local_port = local.rsplit(':').next()?.parse::<u16>().ok()?;
        (proto.eq_ignore_ascii_case("tcp") && listening && local_port == port).then(|| pid.parse().ok())?
    })
}

/// The image name, without `.exe`, from `tasklist /FO CSV /NH` output (`"codex.exe","4242",...`);
/// `INFO: No tasks...` when it names none.
pub fn image_name(csv: &str) -> Option<String> {
    let first = csv.lines().next()?.strip_prefix('"')?;
    let name = &first[..first.find('"')?];
    let name = name.strip_suffix(".exe").unwrap_or(name);
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NETSTAT: &str = "
Active Connections

  Proto  Local Address          Foreign Address        State           PID
  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1016
  TCP    127.0.0.1:1455         0.0.0.0:0              ABHÖREN         4242
  TCP    127.0.0.1:1457         127.0.0.1:50000        ESTABLISHED     777
  TCP    [::1]:1457             [::]:0                 LISTENING       5151
";

    #[test]
    fn listener_pid_from_netstat() {
        assert_eq!(
            listener_pid(NETSTAT, 1455),
            Some(4242),
            "a translated state still counts"
        );
        assert_eq!(listener_pid(NETSTAT, 1457), Some(5151), "a connection is no listener");
        assert_eq!(listener_pid(NETSTAT, 9999), None);
        assert_eq!(listener_pid("", 1455), None);
    }

    #[test]
    fn image_name_from_tasklist() {
        assert_eq!(
            image_name("\"codex.exe\",\"4242\",\"Console\",\"1\",\"12,345 K\"\r\n").as_deref(),
            Some("codex")
        );
        assert_eq!(
            image_name("INFO: No tasks are running which match the specified criteria.\r\n"),
            None
        );
    }
}
