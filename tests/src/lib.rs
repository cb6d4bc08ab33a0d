//! The harness for the end-to-end tests: the rig that `tests/rig/up` brought up for this run
//! (real OpenSSH sshd in its own network namespace, the real Codex CLI, the fake issuer,
//! headless Chromium), and the tool run against it as a user would run it.
//!
//! `scripts/test` starts the rig once and points `CRL_RIG` at its description; every test
//! then resets the rig's state it touches, and checks that nothing was left behind.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

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
    fn clear_leftovers(&self) {
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
            "/__control?authorize=ok&decorate_state=0&device=ok&email=alice%40rig.test&plan=plus&access_ttl=3600",
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
        let wine = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/cross/wine");
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

    /// Every process of `user` on the host (codex, the shim, anything they started): the
    /// processes in the host's network namespace, which this machine's own (the tool, the
    /// browser) are not.
    ///
    /// Lines of `uid pid args` (args cut short: the shim's command line is long). For root
    /// (`rig-root`), what a test ran as root there, not the rig's own daemons (the sshds and
    /// their sessions' monitors, the fake issuer).
    pub fn processes(&self, user: &str) -> String {
        let daemons = if user == "root" {
            " && $3 !~ /sshd/ && $0 !~ /fake_issuer/"
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
    fn container_process_ids(&self) -> Vec<(String, String)> {
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
    /// machine's filesystem): a CA bundle, the containers' scratch, the login's notes.
    pub fn shim_temporaries(&self) -> String {
        let mut left: Vec<String> = std::fs::read_dir("/tmp")
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| {
                ["crl-ca.", "crl-errs.", "crl-login."]
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

    fn assert_none_left(&self, users: &[&str]) {
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

    /// The auth.json of `user` on the host, with its `ls -ln` mode.
    pub fn auth_json(&self, user: &str) -> Option<(String, serde_json::Value)> {
        let out = self.remote_root(&format!(
            "f=/home/{user}/.codex/auth.json; ls -ln $f | cut -c1-10 && cat $f"
        ));
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8(out.stdout).unwrap();
        let (mode, json) = text.split_once('\n').unwrap();
        Some((mode.to_owned(), serde_json::from_str(json).expect("auth.json is JSON")))
    }

    /// Follows a sign-in URL through the fake issuer without a browser (as a phone would),
    /// returning where it sends the browser back to: the callback address to paste.
    pub fn approve_elsewhere(&self, url: &str) -> String {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{redirect_url}", "-k", "--proxy"])
            .arg(format!("http://{}", self.issuer_proxy))
            .arg(url)
            .output()
            .expect("curl");
        let location = String::from_utf8(out.stdout).unwrap();
        assert!(
            location.starts_with("http://127.0.0.1:"),
            "the issuer sent the browser to {location:?}"
        );
        location
    }

    /// The `tar -tv` listing of a path in a container, read with the engine's archive copy
    /// (works whether it runs or has a shell).
    pub fn archive_listing(&self, container: &str, path: &str) -> String {
        let out = Command::new("sh")
            .args(["-c", &format!("podman cp {container}:{path} - | tar -tvf -")])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A file in a container on the rig's host, with its `ls -ln` mode and owner.
    pub fn in_container(&self, container: &str, path: &str) -> Option<(String, String)> {
        let out = Command::new("podman")
            .args([
                "exec",
                container,
                "sh",
                "-c",
                &format!("ls -lnd {path} | awk '{{print $1, $3}}' && {{ cat {path} 2>/dev/null; true; }}"),
            ])
            .output()
            .expect("podman");
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8(out.stdout).unwrap();
        let (meta, body) = text.split_once('\n').unwrap_or((&text, ""));
        Some((meta.to_owned(), body.to_owned()))
    }

    /// A request to the fake issuer's control port; returns the body.
    pub fn issuer(&self, path: &str) -> String {
        http_get(&self.issuer_proxy, path).1
    }

    /// `login` as this machine's own (a CODEX_HOME of the rig's, which `reset` clears), as
    /// `push` or a hand copy would leave it: the CODEX_HOME to run the tool with.
    pub fn this_machine_holds(&self, login: &serde_json::Value) -> PathBuf {
        let here = self.dir.join("root-codex");
        std::fs::create_dir_all(&here).unwrap();
        std::fs::write(here.join("auth.json"), login.to_string()).unwrap();
        here
    }

    /// `user`'s codex on the host set to keep its login in the OS keyring.
    pub fn keyring_store(&self, user: &str) {
        let out = self.remote(
            user,
            "printf 'cli_auth_credentials_store = \"keyring\"\\n' >~/.codex/config.toml",
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    /// What the issuer says of each token: `alive`, `used` (a rotated refresh token),
    /// `revoked`, `expired` or `unknown`. Asked in a request body: tokens never go in a URL.
    pub fn token_states(&self, tokens: &[&str]) -> HashMap<String, String> {
        let body = serde_json::json!({ "tokens": tokens }).to_string();
        let (status, text) = http_post(&self.issuer_proxy, "/__state", &body);
        assert_eq!(status, 200, "the issuer's /__state: {text}");
        serde_json::from_str(&text).expect("the issuer's token states are JSON")
    }

    /// The issuer's word on the login in `login` (an auth.json): the state of its refresh
    /// token, or of its access token where it has none (an access-only copy); `apikey` for a
    /// login with an API key, which the issuer does not track.
    pub fn login_state(&self, login: &serde_json::Value) -> String {
        let tokens = &login["tokens"];
        let token = match tokens["refresh_token"].as_str() {
            Some(rt) if !rt.is_empty() => rt,
            _ => match tokens["access_token"].as_str() {
                Some(at) => at,
                None => return "apikey".into(),
            },
        };
        self.token_states(&[token]).remove(token).unwrap_or_default()
    }

    /// A login minted at the issuer now (a new grant, as if signed in), as codex writes it in
    /// auth.json: for a test that needs a login alive at the issuer without a sign-in.
    pub fn minted_login(&self) -> serde_json::Value {
        let mut tokens: serde_json::Value =
            serde_json::from_str(&self.issuer("/__mint")).expect("the issuer's /__mint is JSON");
        tokens["account_id"] = "acct-rig".into();
        serde_json::json!({"auth_mode": "chatgpt", "OPENAI_API_KEY": null, "tokens": tokens, "last_refresh": now_utc()})
    }

    /// `login` refreshed at the issuer as codex refreshes it (its refresh token used up, new
    /// tokens in the same grant), dated now: what a codex holding it writes next. The token
    /// goes in the request body, on curl's stdin, never in a command line.
    pub fn refreshed(&self, login: &serde_json::Value) -> serde_json::Value {
        let body = serde_json::json!({
            "grant_type": "refresh_token",
            "client_id": "app_rig_refresh",
            "refresh_token": login["tokens"]["refresh_token"],
        });
        let mut curl = Command::new("curl")
            .args(["-sk", "--proxy", &format!("http://{}", self.issuer_proxy)])
            .args(["-H", "Content-Type: application/json", "--data-binary", "@-"])
            .arg("https://auth.openai.com/oauth/token")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("curl");
        curl.stdin
            .take()
            .unwrap()
            .write_all(body.to_string().as_bytes())
            .unwrap();
        let out = curl.wait_with_output().expect("curl");
        let tokens: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the issuer's answer is JSON");
        assert!(
            tokens["refresh_token"].is_string(),
            "the issuer refused the refresh: {tokens}"
        );
        let mut fresh = login.clone();
        for kind in ["id_token", "access_token", "refresh_token"] {
            fresh["tokens"][kind] = tokens[kind].clone();
        }
        fresh["last_refresh"] = now_utc().into();
        fresh
    }

    /// How many tokens and keys the issuer has minted since it started: unchanged across a
    /// run means the run signed nothing in.
    pub fn minted_count(&self) -> usize {
        let minted: Vec<String> =
            serde_json::from_str(&self.issuer("/__minted")).expect("the issuer's /__minted is JSON");
        minted.len()
    }

    /// The auth.json at `path` in `container`, `None` when there is none.
    pub fn container_login(&self, container: &str, path: &str) -> Option<serde_json::Value> {
        let (_, body) = self.in_container(container, path)?;
        (!body.is_empty()).then(|| {
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{container}:{path} is not JSON ({e}): {body}"))
        })
    }

    /// The issuer's word on `user`'s login on the host ([`Rig::login_state`]), `none` when the
    /// host holds no auth.json.
    pub fn host_login_state(&self, user: &str) -> String {
        match self.auth_json(user) {
            Some((_, login)) => self.login_state(&login),
            None => "none".into(),
        }
    }

    /// A sign-in that must succeed: `tool`, given its host and options, run to its end within
    /// [`LIMIT`]; the test fails, with the command line and the tool's stderr, unless it exits
    /// 0. What the sign-in left is the caller's to check ([`Rig::sign_alice_in`] checks a
    /// browser sign-in's login).
    pub fn sign_in(&self, tool: Tool) -> Finished {
        let command = tool.command_line();
        let run = tool.run(LIMIT);
        assert_eq!(run.code(), 0, "{command}: {}", run.stderr);
        run
    }

    /// crl-alice signed in through the browser ([`Rig::sign_in`] of `tool`, given its host
    /// and options): the run, and the login it left on the host, which must be alive at the
    /// issuer.
    pub fn sign_alice_in(&self, tool: Tool) -> SignedIn {
        let command = tool.command_line();
        let run = self.sign_in(tool);
        let (mode, login) = self
            .auth_json(ALICE)
            .unwrap_or_else(|| panic!("{command}: no login on the host"));
        assert_eq!(self.login_state(&login), "alive", "{command}");
        SignedIn { run, mode, login }
    }
}

/// What [`Rig::sign_alice_in`] saw: the finished run, and the auth.json it left on the host
/// with its `ls -ln` mode.
pub struct SignedIn {
    pub run: Finished,
    pub mode: String,
    pub login: serde_json::Value,
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

/// Now, as codex dates a login's `last_refresh`.
fn now_utc() -> String {
    let now = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .expect("date");
    String::from_utf8(now.stdout).unwrap().trim().to_owned()
}

/// A token shaped as OpenAI's: a JWT whose claims are `claims` (JSON, or any text a test
/// wants a host to read: it is encoded as it is), signed by no one (nothing here checks the
/// signature).
pub fn jwt(claims: impl std::fmt::Display) -> String {
    format!(
        "{}.{}.c2ln",
        b64url(br#"{"alg":"RS256","typ":"JWT"}"#),
        b64url(claims.to_string().as_bytes())
    )
}

/// Base64url without padding, as JWTs encode their parts.
fn b64url(data: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ABC[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// Containers a test made (named `crl-t-*`), running or not.
fn test_containers() -> Vec<String> {
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

/// A program run on a pseudo-terminal (through util-linux `script`), driven like a person:
/// wait for a prompt, then type.
pub struct Pty {
    child: Child,
    stdin: std::process::ChildStdin,
    screen: std::sync::Arc<std::sync::Mutex<String>>,
    reader: Option<thread::JoinHandle<()>>,
}

impl Pty {
    pub fn spawn(command: &str) -> Self {
        let mut child = Command::new("script")
            .args(["-qefc", command, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("script (util-linux)");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let screen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = screen.clone();
        let reader = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Self {
            child,
            stdin,
            screen,
            reader: Some(reader),
        }
    }

    pub fn screen(&self) -> String {
        self.screen.lock().unwrap().clone()
    }

    /// Waits until the screen shows `text` (bounded).
    pub fn expect(&self, text: &str, limit: Duration) {
        if wait_until(limit, || self.screen().contains(text).then_some(()).ok_or(())).is_err() {
            panic!("`{text}` never appeared; the screen:\n{}", self.screen());
        }
    }

    /// Types `text` (a line: include the newline).
    pub fn send(&mut self, text: &str) {
        self.stdin.write_all(text.as_bytes()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Waits for the program's end (bounded); its exit code and the whole screen.
    pub fn finish(mut self, limit: Duration) -> (i32, String) {
        let status = wait_until(limit, || self.child.try_wait().unwrap().ok_or(()));
        let Ok(status) = status else {
            let _ = self.child.kill();
            panic!("still running after {limit:?}; the screen:\n{}", self.screen());
        };
        self.reader.take().unwrap().join().unwrap();
        (status.code().unwrap_or(-1), self.screen())
    }
}

/// Every distinct command line seen on this machine (and so on the rig's hosts) until `stop`
/// is set: for secrets that are only known afterwards (tokens minted during the run).
pub fn record_argv(
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> thread::JoinHandle<std::collections::BTreeSet<String>> {
    thread::spawn(move || {
        let mut seen = std::collections::BTreeSet::new();
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
                    seen.insert(String::from_utf8_lossy(&cmdline).replace('\0', " "));
                }
            }
        }
        seen
    })
}

/// Watches every process's command line (on both sides: the rig's host shares this
/// machine's process table) until `stop` is set; returns the ones that contained `needle`.
pub fn watch_argv(
    needle: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> thread::JoinHandle<Vec<String>> {
    thread::spawn(move || {
        let mut seen = Vec::new();
        let mut scans = 0u64;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
                    let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                    if text.contains(&needle) {
                        seen.push(text);
                    }
                }
            }
            scans += 1;
        }
        assert!(scans > 1, "the process table was never scanned");
        seen
    })
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

/// Repeats `check` until it returns Ok or `limit` passes; returns the last Err.
pub fn wait_until<T, E>(limit: Duration, mut check: impl FnMut() -> Result<T, E>) -> Result<T, E> {
    let start = Instant::now();
    loop {
        match check() {
            Ok(v) => return Ok(v),
            Err(e) if start.elapsed() >= limit => return Err(e),
            Err(_) => thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// A plain HTTP/1.0 GET: `(status, body)`.
/// A POST of a JSON `body` to `path` at `addr`: its status and body.
pub fn http_post(addr: &str, path: &str, body: &str) -> (u16, String) {
    let length = body.len();
    http(
        addr,
        &format!(
            "POST {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n{body}"
        ),
    )
}

pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    http(addr, &format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n"))
}

/// One HTTP/1.0 exchange: `request` sent whole, the status and body read to the end.
fn http(addr: &str, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

pub struct Tool {
    pub cmd: Command,
    pub browser_out: PathBuf,
    stdin: Option<String>,
}

/// How a run of the tool ended.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// The `--json` events.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    pub fn event(&self, kind: &str) -> Option<serde_json::Value> {
        self.events().into_iter().find(|e| e["type"] == kind)
    }
}

impl Tool {
    /// The command line, for a message.
    pub fn command_line(&self) -> String {
        let args: Vec<_> = self.cmd.get_args().map(|a| a.to_string_lossy()).collect();
        args.join(" ")
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(mut self, args: I) -> Self {
        self.cmd.args(args);
        self
    }

    /// Keeps the tool's stdin open for [`Running::type_line`].
    pub fn open_stdin(mut self) -> Self {
        self.cmd.stdin(Stdio::piped());
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.cmd.env(name, value);
        self
    }

    /// Feeds `text` on the tool's stdin (instead of /dev/null).
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_owned());
        self.cmd.stdin(Stdio::piped());
        self
    }

    /// Runs to the end (bounded by `limit`, after which the tool is killed and the test fails).
    pub fn run(self, limit: Duration) -> Finished {
        self.spawn().finish(limit)
    }

    pub fn spawn(mut self) -> Running {
        let mut child = self
            .cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the tool");
        if let Some(text) = self.stdin.take() {
            // Written, then closed: the tool reads its stdin to the end.
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(text.as_bytes()).unwrap();
        }
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let reader = thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                all.push_str(&line);
                all.push('\n');
                let _ = tx.send(line);
            }
            all
        });
        let mut stderr = child.stderr.take().unwrap();
        let err_reader = thread::spawn(move || {
            let mut all = String::new();
            let _ = stderr.read_to_string(&mut all);
            all
        });
        Running {
            child,
            stdin,
            lines,
            reader: Some(reader),
            err_reader: Some(err_reader),
            browser_out: self.browser_out,
        }
    }
}

impl Rig {
    /// The rig's browser on `url`, as the tool would start it (for runs with `--no-browser`,
    /// or a second approval): its page lands in the run's `browser_out`.
    pub fn browse(&self, run: &Running, url: &str) {
        let browser = Command::new(&self.browser)
            .arg(url)
            .env("CRL_RIG_DIR", &self.dir)
            .env("CRL_ISSUER_PROXY", &self.issuer_proxy)
            .env("CRL_BROWSER_OUT", &run.browser_out)
            .status()
            .expect("the rig's browser");
        assert!(browser.success(), "the browser failed on {url}");
    }
}

/// A run in progress, for tests that act while it waits.
pub struct Running {
    pub child: Child,
    stdin: Option<std::process::ChildStdin>,
    lines: mpsc::Receiver<String>,
    reader: Option<thread::JoinHandle<String>>,
    err_reader: Option<thread::JoinHandle<String>>,
    pub browser_out: PathBuf,
}

impl Running {
    /// Waits for the `--json` event of type `kind`.
    pub fn wait_event(&mut self, kind: &str, limit: Duration) -> serde_json::Value {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
                    if event["type"] == kind {
                        return event;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    let stderr = self.err_reader.take().unwrap().join().unwrap();
                    panic!("no `{kind}` event within {limit:?}; stderr:\n{stderr}");
                }
            }
        }
    }

    /// Writes a line on the tool's stdin (opened with [`Tool::open_stdin`]).
    pub fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("the tool's stdin was opened");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn finish(mut self, limit: Duration) -> Finished {
        let status = match wait_until(limit, || self.child.try_wait().unwrap().ok_or(())) {
            Ok(status) => status,
            Err(()) => {
                let _ = self.child.kill();
                let stderr = self.err_reader.take().unwrap().join().unwrap();
                panic!("the tool did not finish within {limit:?}; stderr:\n{stderr}");
            }
        };
        Finished {
            status,
            stdout: self.reader.take().unwrap().join().unwrap(),
            stderr: self.err_reader.take().unwrap().join().unwrap(),
        }
    }

    /// The page the rig's browser ended on, once it has finished (bounded).
    pub fn browser_page(path: &Path) -> String {
        assert!(
            path.with_extension("html.started").exists(),
            "the browser was never started"
        );
        let done = path.with_extension("html.done");
        wait_until(Duration::from_secs(20), || std::fs::read_to_string(&done).map(|_| ()))
            .unwrap_or_else(|e| panic!("the browser did not finish: {e}"));
        std::fs::read_to_string(path).unwrap()
    }
}
