//! The harness for the end-to-end tests: the rig that `tests/rig/up` brought up for this run
//! (real OpenSSH sshd in its own network namespace, the real Codex CLI, the fake issuer,
//! headless Chromium), and the tool run against it as a user would run it.
//!
//! `scripts/test` starts the rig once and points `CRL_RIG` at its description; every test
//! then resets the rig's state it touches, and checks that nothing was left behind.
#![forbid(unsafe_code)]

mod leftovers;
mod logins;
mod probes;
mod tool;

pub use leftovers::podman_pause;
pub use logins::{SignedIn, jwt, utc_in};
pub use probes::{Pty, http_get, http_post, record_argv, wait_until, watch_argv};
pub use tool::{Finished, Running, Tool};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

/// The remote user with codex on its login shell's PATH.
pub const ALICE: &str = "crl-alice";
/// The remote user without codex.
pub const BOB: &str = "crl-bob";

/// How long one step of a test may take (a run of the tool to its end, an event or a prompt
/// awaited) before the test fails and shows what it has. Generous: a step that works takes
/// seconds, and a wrong answer fails at once; only a hang waits this long. Below nextest's
/// own limit for a whole test (`.config/nextest.toml`), so a hang fails with the tool's
/// stderr rather than a bare timeout.
pub const LIMIT: Duration = Duration::from_secs(60);

pub struct Rig {
    pub dir: PathBuf,
    pub ns: String,
    /// The host behind the first, reachable only through it.
    pub inner_ns: String,
    pub host_ip: String,
    pub issuer_proxy: String,
    pub browser: PathBuf,
    pub bin: PathBuf,
    password: String,
    /// The running test's name (libtest names each test's thread after it), which names its
    /// tools: see [`Rig::tool`].
    test: String,
    /// How many tools this test has made so far.
    tools: AtomicUsize,
}

impl Rig {
    /// The rig of this run. Panics with the way out when there is none.
    pub fn get() -> Self {
        let file = std::env::var("CRL_RIG")
            .expect("no test rig: run the tests with scripts/test, which brings the rig up (CRL_RIG unset)");
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("cannot read the rig at {file}: {e}"));
        let env: HashMap<String, String> = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let var = |k: &str| env.get(k).cloned().unwrap_or_else(|| panic!("{k} missing in {file}"));
        let bin = std::env::var("CRL_BIN").expect("CRL_BIN: the codex-remote-login binary (scripts/test sets it)");
        let rig = Self {
            dir: var("CRL_RIG_DIR").into(),
            ns: var("CRL_RIG_NS"),
            inner_ns: var("CRL_RIG_INNER_NS"),
            host_ip: var("CRL_RIG_HOST_IP"),
            issuer_proxy: var("CRL_ISSUER_PROXY"),
            browser: var("CRL_RIG_BROWSER").into(),
            bin: bin.into(),
            password: var("CRL_RIG_PASSWORD"),
            test: thread::current().name().unwrap_or("a test").to_owned(),
            tools: AtomicUsize::new(0),
        };
        rig.start_clean();
        rig
    }
    /// Fails the test when the previous one left something behind (see [`Rig::leftovers`]),
    /// after clearing it so that one leak fails one test, not every later one; then puts the
    /// rig's state back. Not waited for: a test that ends with [`Rig::assert_nothing_left`]
    /// has already waited for its own asynchronous cleanup.
    fn start_clean(&self) {
        let marker = self.dir.join("last-test");
        let previous = std::fs::read_to_string(&marker).unwrap_or_else(|_| "an earlier test".into());
        let _ = std::fs::write(&marker, &self.test);
        let left = self.leftovers();
        if !left.is_empty() {
            self.clear_leftovers();
        }
        self.reset();
        assert!(
            left.is_empty(),
            "{previous} left behind {} (cleared now; it should end with assert_nothing_left)",
            left.join(", ")
        );
    }
    /// Puts the rig's state back: nothing signed in on the host or in its containers, the
    /// issuer in its default mode, the client's known_hosts as recorded at start. Within a
    /// test, first waits (bounded) for what the runs before left to end, and fails the test
    /// if something does not: it is never killed quietly.
    pub fn reset(&self) {
        self.assert_none_left(&[ALICE, BOB, "root"]);
        for (container, home) in [("crl-dev", "/home/dev"), ("crl-root", "/root")] {
            let _ = Command::new("podman")
                .args(["exec", container, "rm", "-rf", &format!("{home}/.codex")])
                .output();
        }
        let _ = Command::new("podman")
            .args([
                "exec",
                "-u",
                "root",
                "crl-noshell",
                "/bin/busybox",
                "rm",
                "-rf",
                "/home/dev/.codex",
            ])
            .output();
        let _ = std::fs::remove_dir_all(self.dir.join("root-codex"));
        for user in [ALICE, BOB] {
            self.remote_root(&format!("rm -rf /home/{user}/.codex"));
        }
        self.issuer(
            "/__control?authorize=ok&decorate_state=0&device=ok&email=alice%40rig.test&plan=plus&access_ttl=3600&refresh_hash=any",
        );
        let host_key = std::fs::read_to_string(self.dir.join("ssh_host_ed25519_key.pub")).unwrap();
        let key: Vec<&str> = host_key.split_whitespace().take(2).collect();
        let lines: String = ["2222", "2223", "2224", "2225", "2226", "2230", "2231"]
            .iter()
            .map(|port| format!("[{}]:{port} {}\n", self.host_ip, key.join(" ")))
            .collect();
        let inner_key = std::fs::read_to_string(self.dir.join("inner_host_ed25519_key.pub")).unwrap();
        let inner_key: Vec<&str> = inner_key.split_whitespace().take(2).collect();
        std::fs::write(
            self.known_hosts(),
            format!("{lines}203.0.113.2 {}\n", inner_key.join(" ")),
        )
        .unwrap();
    }
    /// The test users' password (the PAM sshd takes it).
    pub fn password(&self) -> String {
        self.password.clone()
    }
    /// The tool's command line for a pseudo-terminal: the rig's config, then `args`.
    pub fn command(&self, args: &str) -> String {
        format!("{} -F {} {args}", self.bin.display(), self.ssh_config().display())
    }
    pub fn ssh_config(&self) -> PathBuf {
        self.dir.join("ssh_config")
    }
    pub fn known_hosts(&self) -> PathBuf {
        self.dir.join("known_hosts")
    }
    /// The tool, with the rig's ssh config and browser. Named after the test that runs it
    /// (its browser's page lands in `browser-<test>.html` in the rig's directory), and each
    /// further tool of the same test numbered (`browser-<test>-2.html`, ...): so no two runs
    /// of a test share a page, and a page left behind names its test.
    pub fn tool(&self) -> Tool {
        self.tool_run_by(&[self.bin.as_os_str()])
    }
    /// The Windows build of the tool, run under Wine (`scripts/cross/wine`, in the prefix that
    /// `scripts/windows` made), with the rig's ssh config and browser, named as [`Rig::tool`]
    /// names it. Wine programs use this machine's sockets and reach `/tmp/...` through Wine's
    /// `Z:` drive, so the rig serves it as it serves the Linux build. Panics with the way out
    /// when `CRL_WINDOWS_BIN` is unset.
    pub fn windows_tool(&self) -> Tool {
        let exe = std::env::var_os("CRL_WINDOWS_BIN").expect(
            "CRL_WINDOWS_BIN: the Windows build to run under Wine (scripts/test sets it; by hand: \
             run scripts/windows build, then set it to $CRL_CACHE/cross-target/x86_64-pc-windows-gnu/debug/codex-remote-login.exe)",
        );
        // The checkout the test runs from (cargo and nextest say so at run time): a harness
        // built from another checkout into a shared target directory is reused unchanged.
        let package = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
        let wine = Path::new(&package).join("../scripts/cross/wine");
        self.tool_run_by(&[wine.as_os_str(), &exe])
    }
    /// The tool as it runs under WSL, which it tells by the kernel's release naming
    /// Microsoft: started in a mount namespace of its own where a WSL2 release is bound over
    /// `/proc/sys/kernel/osrelease`, and nothing else differs. Named as [`Rig::tool`] names it.
    pub fn wsl_tool(&self) -> Tool {
        let release = self.dir.join("wsl-osrelease");
        std::fs::write(&release, "5.15.153.1-microsoft-standard-WSL2\n").unwrap();
        let bind = "mount --bind \"$0\" /proc/sys/kernel/osrelease && exec \"$@\"";
        self.tool_run_by(&[
            "unshare".as_ref(),
            "--mount".as_ref(),
            "sh".as_ref(),
            "-c".as_ref(),
            bind.as_ref(),
            release.as_os_str(),
            self.bin.as_os_str(),
        ])
    }
    /// The name of the test's next tool: the test's own (`module.function`), then numbered.
    fn next_tool_name(&self) -> String {
        let name = self.test.replace("::", ".");
        match self.tools.fetch_add(1, Ordering::Relaxed) {
            0 => name,
            n => format!("{name}-{}", n + 1),
        }
    }
    fn tool_run_by(&self, program: &[&std::ffi::OsStr]) -> Tool {
        let mut cmd = Command::new("/usr/bin/setsid");
        // setsid: no controlling terminal, exactly as in CI, whatever runs the tests.
        cmd.args(program).arg("-F").arg(self.ssh_config());
        let browser_out = self.dir.join(format!("browser-{}.html", self.next_tool_name()));
        // What an earlier run of this test left: a page, or its marks, that
        // [`Running::browser_page`] would take for this run's.
        for extension in ["html", "html.done", "html.started"] {
            let _ = std::fs::remove_file(browser_out.with_extension(extension));
        }
        cmd.env("BROWSER", &self.browser)
            .env("CRL_RIG_DIR", &self.dir)
            .env("CRL_ISSUER_PROXY", &self.issuer_proxy)
            .env("CRL_BROWSER_OUT", &browser_out)
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        Tool {
            cmd,
            browser_out,
            stdin: None,
        }
    }
    /// Runs `script` as root inside the host's namespace.
    pub fn remote_root(&self, script: &str) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.ns, "sh", "-c", script])
            .output()
            .expect("ip netns exec")
    }
    /// Runs `script` as `user` on the host, through a login shell as a person would. Entered
    /// as the rig's sshd runs, in the host's network namespace only: `ip netns exec` would
    /// also remount /sys, where podman finds the cgroups its containers need.
    pub fn remote(&self, user: &str, script: &str) -> Output {
        self.remote_command(user, script).output().expect("nsenter runuser")
    }
    /// Starts `script` as [`Rig::remote`] runs it, with stdin, stdout and stderr piped: for a
    /// program that a test talks to, or stops, while it runs. The child is `runuser`; a
    /// script that `exec`s its program makes that program runuser's only child.
    pub fn remote_spawn(&self, user: &str, script: &str) -> Child {
        self.remote_command(user, script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nsenter runuser")
    }
    fn remote_command(&self, user: &str, script: &str) -> Command {
        let net = format!("--net=/run/netns/{}", self.ns);
        let mut cmd = Command::new("nsenter");
        cmd.args([net.as_str(), "runuser", "-l", user, "-c", script]);
        cmd
    }
}

impl Drop for Rig {
    /// A test that failed may have stopped halfway: what it left is cleared here, so that the
    /// next test does not fail for it too.
    fn drop(&mut self) {
        if thread::panicking() {
            self.clear_leftovers();
        }
    }
}
