//! What a test may leave behind, found, cleared and refused: processes on either side or
//! in a container, callback listeners, the shim's temporaries, containers a test made.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::{ALICE, BOB, Rig, wait_until};

impl Rig {
    /// What no test may leave behind, however it ends: processes of the rig's users on the
    /// hosts, processes in the rig's containers besides their own, listeners on codex's
    /// callback ports on either side, the shim's temporary directories, and containers a test
    /// made (`crl-t-*`). State a test may leave (logins, codex homes, the issuer's mode,
    /// known_hosts) is not in it: [`Rig::reset`] puts that back.
    pub fn leftovers(&self) -> Vec<String> {
        let mut left = Vec::new();
        for user in [ALICE, BOB, "root"] {
            let procs = self.processes(user);
            if !procs.is_empty() {
                left.push(format!("processes of {user} [{}]", procs.replace('\n', "; ")));
            }
        }
        for (place, remote) in [("the hosts", true), ("this machine", false)] {
            let listeners = self.callback_listeners(remote);
            if !listeners.is_empty() {
                left.push(format!("listeners on {place} [{}]", listeners.replace('\n', "; ")));
            }
        }
        let files = self.shim_temporaries();
        if !files.is_empty() {
            left.push(format!("temporaries in /tmp [{files}]"));
        }
        let extra = self.container_processes();
        if !extra.is_empty() {
            left.push(format!("processes in containers [{}]", extra.join("; ")));
        }
        let made = test_containers();
        if !made.is_empty() {
            left.push(format!("containers [{}]", made.join(" ")));
        }
        left
    }
    /// Ends and removes everything [`Rig::leftovers`] looks for.
    pub(crate) fn clear_leftovers(&self) {
        for user in [ALICE, BOB, "root"] {
            let _ = wait_until(Duration::from_secs(5), || {
                let procs = self.processes(user);
                for pid in procs.lines().filter_map(|l| l.split_whitespace().nth(1)) {
                    let _ = Command::new("kill").args(["-KILL", pid]).status();
                }
                procs.is_empty().then_some(()).ok_or(())
            });
        }
        // Whatever still holds a callback port: on the hosts only test fixtures, here only the
        // tool (or a codex a test started); this test process's own are dropped with it.
        let ss = "ss -Hltnp '( sport = :1455 or sport = :1457 )' | grep -o 'pid=[0-9]*' | cut -d= -f2";
        for script in [
            format!("ip netns exec {} sh -c \"{ss}\"", self.ns),
            format!("ip netns exec {} sh -c \"{ss}\"", self.inner_ns),
            ss.to_owned(),
        ] {
            let out = Command::new("sh").args(["-c", &script]).output().expect("sh");
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                if pid != std::process::id().to_string() {
                    let _ = Command::new("kill").args(["-KILL", pid]).status();
                }
            }
        }
        for name in self.shim_temporaries().split_whitespace() {
            let _ = std::fs::remove_dir_all(Path::new("/tmp").join(name));
        }
        for (_, host_pid) in self.container_process_ids() {
            let _ = Command::new("kill").args(["-KILL", &host_pid]).status();
        }
        let made = test_containers();
        if !made.is_empty() {
            let _ = Command::new("podman")
                .args(["rm", "-f", "-t", "0"])
                .args(&made)
                .output();
        }
    }
    /// Every process of `user` on the host (codex, the shim, anything they started): the
    /// processes in the host's network namespace, which this machine's own (the tool, the
    /// browser) are not.
    ///
    /// Lines of `uid pid args` (args cut short: the shim's command line is long). For root
    /// (`rig-root`), what a test ran as root there, not the rig's own daemons (the sshds and
    /// their sessions' monitors, the fake issuer, the Kerberos KDC).
    pub fn processes(&self, user: &str) -> String {
        let daemons = if user == "root" {
            " && $3 !~ /sshd/ && $0 !~ /fake_issuer/ && $3 !~ /krb5kdc/"
        } else {
            ""
        };
        let script = format!(
            "uid=$(id -u {user}); for p in $(ip netns pids {ns}) $(ip netns pids {inner}); do ps -o uid=,pid=,args= -p $p; done | awk -v u=$uid '$1 == u{daemons}' | cut -c1-120",
            ns = self.ns,
            inner = self.inner_ns
        );
        let out = Command::new("sh").args(["-c", &script]).output().expect("sh");
        let text = String::from_utf8_lossy(&out.stdout);
        // Rootless podman's pause process is podman's own, as after any podman command the
        // user runs: not a leak (see `podman_pause`).
        let pause = podman_pause(user);
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| pause.is_none() || l.split_whitespace().nth(1) != pause.as_deref())
            .collect();
        lines.join("\n")
    }
    /// Listeners on codex's callback ports, with their processes: on the hosts (`remote`) or
    /// on this machine, where the test's own (a port it holds on purpose) do not count.
    pub fn callback_listeners(&self, remote: bool) -> String {
        let ss = "ss -Hltnp '( sport = :1455 or sport = :1457 )'";
        let script = if remote {
            format!("ip netns exec {} {ss}; ip netns exec {} {ss}", self.ns, self.inner_ns)
        } else {
            ss.to_owned()
        };
        let out = Command::new("sh").args(["-c", &script]).output().unwrap();
        let own = format!("pid={},", std::process::id());
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| remote || !l.contains(&own))
            .map(str::trim)
            .collect();
        lines.join("\n")
    }
    /// Processes in the rig's running containers besides each one's own (PID 1), as
    /// `(what, host pid)`. Zombies do not run: codex never waits for the `$BROWSER` it
    /// spawns, and a container whose PID 1 is `sleep` never reaps it.
    pub(crate) fn container_process_ids(&self) -> Vec<(String, String)> {
        let mut extra = Vec::new();
        for name in ["crl-dev", "crl-root", "crl-noshell"] {
            let out = Command::new("podman")
                .args(["top", name, "hpid", "pid", "state", "args"])
                .output()
                .expect("podman");
            for line in String::from_utf8_lossy(&out.stdout).lines().skip(1) {
                let fields: Vec<&str> = line.split_whitespace().collect();
                if let [hpid, pid, state, args @ ..] = fields.as_slice()
                    && *pid != "1"
                    && *state != "Z"
                {
                    extra.push((format!("{name}: {}", args.join(" ")), (*hpid).to_owned()));
                }
            }
        }
        extra
    }
    /// What [`Rig::container_process_ids`] finds, for a message.
    pub fn container_processes(&self) -> Vec<String> {
        self.container_process_ids().into_iter().map(|(what, _)| what).collect()
    }
    /// The shim's private temporary directories left in /tmp (the hosts share this
    /// machine's filesystem): a CA bundle, the containers' scratch, the login's notes; and
    /// this machine's: the private directory of an OpenSSH master the tool started.
    pub fn shim_temporaries(&self) -> String {
        let mut left: Vec<String> = std::fs::read_dir("/tmp")
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| {
                ["crl-ca.", "crl-errs.", "crl-login.", "crl-ssh."]
                    .iter()
                    .any(|p| name.starts_with(p))
            })
            .collect();
        left.sort();
        left.join(" ")
    }
    /// Waits (bounded) until `user` has no process left on the host, nothing listens on the
    /// callback ports on either side and no temporary directory of the shim is left; panics
    /// with what is left otherwise. Cleanup after a lost connection happens on the host
    /// asynchronously, so this polls a condition.
    pub fn assert_nothing_left(&self, user: &str) {
        self.assert_none_left(&[user]);
    }
    pub(crate) fn assert_none_left(&self, users: &[&str]) {
        let left = wait_until(Duration::from_secs(10), || {
            let mut state: Vec<String> = users.iter().map(|u| self.processes(u)).collect();
            state.extend([
                self.callback_listeners(true),
                self.callback_listeners(false),
                self.shim_temporaries(),
                self.container_processes().join("; "),
            ]);
            state.iter().all(String::is_empty).then_some(()).ok_or(state)
        });
        if let Err(state) = left {
            let [.., remote, local, files, contained] = state.as_slice() else {
                unreachable!()
            };
            let procs = state[..users.len()].join("; ");
            panic!(
                "left behind: processes [{procs}], host listeners [{remote}], local listeners [{local}], temporaries [{files}], in containers [{contained}]"
            );
        }
    }
}

/// Containers a test made (named `crl-t-*`), running or not.
pub(crate) fn test_containers() -> Vec<String> {
    let out = Command::new("podman")
        .args(["ps", "-a", "--format", "{{.Names}}"])
        .output()
        .expect("podman");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|name| name.starts_with("crl-t-"))
        .map(str::to_owned)
        .collect()
}

/// The pid of `user`'s rootless podman pause process, when one runs: the process that the
/// pid file podman keeps for that user names (in `$XDG_RUNTIME_DIR`, else
/// `/tmp/podman-run-UID`, as sessions without a login manager have), that belongs to the user,
/// runs the `catatonit` binary, and sits in a user namespace other than this process's. A
/// process that only looks like it (named `catatonit -P`, or even running catatonit) but
/// that podman's pid file does not name is a leak like any other.
pub fn podman_pause(user: &str) -> Option<String> {
    let uid = Command::new("id").args(["-u", user]).output().ok()?;
    let uid = String::from_utf8(uid.stdout).ok()?.trim().to_owned();
    let pid = [format!("/run/user/{uid}"), format!("/tmp/podman-run-{uid}")]
        .iter()
        .find_map(|dir| std::fs::read_to_string(format!("{dir}/libpod/tmp/pause.pid")).ok())?
        .trim()
        .to_owned();
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let proc = Path::new("/proc").join(&pid);
    let status = std::fs::read_to_string(proc.join("status")).ok()?;
    let owner = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?;
    let exe = std::fs::read_link(proc.join("exe")).ok()?;
    let own_ns = std::fs::read_link("/proc/self/ns/user").ok()?;
    let its_ns = std::fs::read_link(proc.join("ns/user")).ok()?;
    (owner == uid && exe.file_name()? == "catatonit" && its_ns != own_ns).then_some(pid)
}
