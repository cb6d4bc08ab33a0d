//! The codex under test, run on the host as crl-alice in a scratch `CODEX_HOME`, and what
//! the checks read: its tokens' state at the issuer, the issuer's log, codex's output.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus};
use std::sync::mpsc::{self, Receiver};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use codex_remote_login_tests::{ALICE, LIMIT, Rig, wait_until};
use serde_json::Value;

/// One installed codex: its native binary (npm's `codex` is a node wrapper around it).
pub(super) struct Codex {
    pub(super) version: String,
    pub(super) bin: PathBuf,
}

/// The pinned codex and the newest one, each as its `--version` names it.
pub(super) fn versions() -> Vec<Codex> {
    let prefixes = [
        ("CRL_CODEX_PREFIX", "the pinned codex"),
        ("CRL_CODEX_LATEST_PREFIX", "the newest codex"),
    ];
    prefixes
        .iter()
        .map(|(var, what)| {
            let prefix = std::env::var(var).unwrap_or_else(|_| {
                panic!("{var} unset: where {what} is installed (scripts/test installs it and sets it)")
            });
            let bin = native_binary(Path::new(&prefix))
                .unwrap_or_else(|| panic!("no native codex binary under {prefix}/node_modules/@openai ({var})"));
            let out = Command::new(&bin).arg("--version").output().expect("codex --version");
            let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            let version = said
                .strip_prefix("codex-cli ")
                .unwrap_or_else(|| panic!("{} --version said {said:?}", bin.display()))
                .to_owned();
            Codex { version, bin }
        })
        .collect()
}

/// `node_modules/@openai/<platform package>/vendor/<target>/bin/codex` under `prefix`.
pub(super) fn native_binary(prefix: &Path) -> Option<PathBuf> {
    let packages = std::fs::read_dir(prefix.join("node_modules/@openai")).ok()?;
    packages.flatten().find_map(|package| {
        let targets = std::fs::read_dir(package.path().join("vendor")).ok()?;
        targets
            .flatten()
            .map(|target| target.path().join("bin/codex"))
            .find(|bin| bin.is_file())
    })
}

/// A scratch directory in crl-alice's home, owned by her, holding the `CODEX_HOME` of one
/// codex (`home`) and the pid of the codex started in it; removed when dropped, and before
/// use when an earlier run that was killed left it.
pub(super) struct Scratch {
    pub(super) dir: PathBuf,
    pub(super) home: PathBuf,
    pub(super) uid: u32,
    pub(super) gid: u32,
}

impl Scratch {
    pub(super) fn new(codex: &Codex, name: &str) -> Self {
        let user_home = PathBuf::from(format!("/home/{ALICE}"));
        let owner = std::fs::metadata(&user_home).expect("crl-alice's home");
        let dir = user_home.join(format!("crl-rules-{}-{name}", codex.version));
        let _ = std::fs::remove_dir_all(&dir);
        let scratch = Self {
            home: dir.join("home"),
            dir,
            uid: owner.uid(),
            gid: owner.gid(),
        };
        for path in [&scratch.dir, &scratch.home] {
            std::fs::create_dir(path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
            scratch.own(path, 0o700);
        }
        scratch
    }

    pub(super) fn own(&self, path: &Path, mode: u32) {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid)).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    pub(super) fn auth_path(&self) -> PathBuf {
        self.home.join("auth.json")
    }

    /// `login` as codex's auth.json (mode 0600, crl-alice's).
    pub(super) fn put_login(&self, login: &Value) {
        std::fs::write(self.auth_path(), login.to_string()).unwrap();
        self.own(&self.auth_path(), 0o600);
    }

    /// The auth.json in this home, if there is one.
    pub(super) fn login(&self) -> Option<Value> {
        let text = std::fs::read_to_string(self.auth_path()).ok()?;
        Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("auth.json is not JSON ({e}): {text}")))
    }

    /// The shell line that runs `codex ARGS` in this home, with what the rig's sshd gives
    /// every session (`SetEnv` in tests/rig/up): the issuer's proxy and the test CA. No
    /// browser is started on the host (as the tool's shim starts codex), and the login is
    /// kept in the file, whatever the default store.
    pub(super) fn codex_line(&self, rig: &Rig, codex: &Codex, args: &str) -> String {
        let port = rig.issuer_proxy.rsplit(':').next().unwrap();
        format!(
            "export CODEX_HOME={home} HTTPS_PROXY=http://127.0.0.1:{port} CODEX_CA_CERTIFICATE={ca} BROWSER=true; \
             echo $$ >{dir}/pid; exec {bin} -c cli_auth_credentials_store=file {args}",
            home = self.home.display(),
            ca = rig.dir.join("ca.pem").display(),
            dir = self.dir.display(),
            bin = codex.bin.display(),
        )
    }

    /// Runs `codex ARGS` to the end as crl-alice: its exit status, stdout and stderr.
    pub(super) fn run(&self, rig: &Rig, codex: &Codex, args: &str) -> (ExitStatus, String, String) {
        let out = rig.remote(ALICE, &self.codex_line(rig, codex, args));
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status, text(&out.stdout), text(&out.stderr))
    }

    /// A login minted at the issuer (a new grant) put in this home; fails the test, naming
    /// the version, when codex does not read it as a ChatGPT login (then nothing after would
    /// say anything about codex's rules). Returns the login.
    pub(super) fn signed_in(&self, rig: &Rig, codex: &Codex) -> Value {
        let login = rig.minted_login();
        self.put_login(&login);
        let (status, _, stderr) = self.run(rig, codex, "login status");
        assert!(
            status.success() && stderr.contains("Logged in using ChatGPT"),
            "codex {} does not read the login this test wrote as a ChatGPT login ({status}): {stderr}",
            codex.version
        );
        login
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(super) fn token<'a>(login: &'a Value, kind: &str) -> &'a str {
    login["tokens"][kind]
        .as_str()
        .unwrap_or_else(|| panic!("no {kind} in {login}"))
}

pub(super) fn state(rig: &Rig, token: &str) -> String {
    rig.token_states(&[token]).remove(token).unwrap_or_default()
}

/// Everything the issuer was asked for since it started (`POST /oauth/revoke `, `GET
/// /oauth/authorize`, `POST /oauth/token refresh_token`, ...).
pub(super) fn issuer_log(rig: &Rig) -> Vec<String> {
    serde_json::from_str(&rig.issuer("/__log")).expect("the issuer's /__log is JSON")
}

/// What the issuer was asked for after the first `mark` requests.
pub(super) fn asked_since(rig: &Rig, mark: usize) -> Vec<String> {
    issuer_log(rig).split_off(mark)
}

/// `line` without its colours (ANSI escape sequences).
pub(super) fn plain(line: &str) -> String {
    let mut text = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ parameters, up to the final letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            text.push(c);
        }
    }
    text
}

/// A line that is a one-time code, as the rig's issuer makes them (`4819-44A9`).
pub(super) fn is_device_code(line: &str) -> bool {
    let parts: Vec<&str> = line.trim().split('-').collect();
    parts.len() == 2
        && parts
            .iter()
            .all(|p| p.len() == 4 && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

pub(super) fn position(log: &[String], prefix: &str) -> Option<usize> {
    log.iter().position(|l| l.starts_with(prefix))
}

pub(super) fn count(log: &[String], prefix: &str) -> usize {
    log.iter().filter(|l| l.starts_with(prefix)).count()
}

/// A codex running on the host as crl-alice, for a test to read, talk to or stop.
pub(super) struct Running {
    pub(super) version: String,
    pub(super) child: Child,
    pub(super) stdin: Option<ChildStdin>,
    pub(super) pid: PathBuf,
    pub(super) stdout: Stream,
    pub(super) stderr: Stream,
}

/// One of a running codex's outputs, line by line as it comes, and all of it seen so far.
pub(super) struct Stream {
    pub(super) lines: Receiver<String>,
    pub(super) seen: String,
    pub(super) reader: JoinHandle<()>,
}

impl Stream {
    pub(super) fn read(from: impl Read + Send + 'static) -> Self {
        let (tx, lines) = mpsc::channel();
        let reader = thread::spawn(move || {
            for line in BufReader::new(from).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self {
            lines,
            seen: String::new(),
            reader,
        }
    }

    /// The first line from now on that `wanted` accepts, within LIMIT; what came instead as
    /// the error (the stream may have ended: the program exited).
    pub(super) fn wait(&mut self, wanted: impl Fn(&str) -> bool) -> Result<String, String> {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push_str(&line);
                    self.seen.push('\n');
                    if wanted(&line) {
                        return Ok(line);
                    }
                }
                Err(_) => return Err(self.seen.clone()),
            }
        }
    }

    /// All of it, once the program has ended.
    pub(super) fn rest(mut self) -> String {
        self.reader.join().unwrap();
        self.seen.extend(self.lines.try_iter().map(|l| l + "\n"));
        self.seen
    }
}

impl Running {
    pub(super) fn start(rig: &Rig, scratch: &Scratch, codex: &Codex, args: &str) -> Self {
        let _ = std::fs::remove_file(scratch.dir.join("pid"));
        let mut child = rig.remote_spawn(ALICE, &scratch.codex_line(rig, codex, args));
        Self {
            version: codex.version.clone(),
            stdin: child.stdin.take(),
            stdout: Stream::read(child.stdout.take().unwrap()),
            stderr: Stream::read(child.stderr.take().unwrap()),
            pid: scratch.dir.join("pid"),
            child,
        }
    }

    /// Writes one JSON-RPC message on codex's stdin.
    pub(super) fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().expect("codex's stdin is open");
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    /// codex's own pid (the shell line `exec`s it after writing its pid).
    pub(super) fn codex_pid(&self) -> String {
        wait_until(LIMIT, || {
            std::fs::read_to_string(&self.pid)
                .ok()
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .ok_or(())
        })
        .expect("the codex line wrote its pid")
    }

    /// Kills codex (as a lost session or a closed laptop would end it): a sign-in that does
    /// not finish. Returns what it wrote on stdout and stderr.
    pub(super) fn kill(self) -> (String, String) {
        let pid = self.codex_pid();
        let killed = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
        assert!(killed.success(), "kill codex ({pid})");
        self.close()
    }

    /// Closes codex's stdin (an app-server then exits) and waits (bounded) for codex to exit:
    /// what it wrote on stdout and stderr.
    pub(super) fn close(mut self) -> (String, String) {
        self.stdin = None;
        if wait_until(LIMIT, || self.child.try_wait().unwrap().ok_or(())).is_err() {
            let pid = self.codex_pid();
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            let _ = self.child.wait();
            panic!(
                "codex {} did not exit within {LIMIT:?}; stderr:\n{}",
                self.version,
                self.stderr.rest()
            );
        }
        (self.stdout.rest(), self.stderr.rest())
    }
}
