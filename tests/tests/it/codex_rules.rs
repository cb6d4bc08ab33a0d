//! What the tool assumes about when the real codex revokes, keeps and rotates tokens, checked
//! against the pinned codex (`CRL_CODEX_PREFIX`) and the newest release on npm
//! (`CRL_CODEX_LATEST_PREFIX`; both installed and pinned by scripts/test). Each codex runs on
//! the rig's host as crl-alice, in a scratch `CODEX_HOME`, with the proxy and CA the rig's sshd
//! gives its sessions; the rig's issuer keeps the real token rules and logs what it was asked.
//! When codex changes, the failing assertion names the change, the version, and the part of
//! the tool that assumed otherwise.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus};
use std::sync::mpsc::{self, Receiver};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use codex_remote_login_tests::{ALICE, LIMIT, Rig, wait_until};
use serde_json::{Value, json};

/// One installed codex: its native binary (npm's `codex` is a node wrapper around it).
struct Codex {
    version: String,
    bin: PathBuf,
}

/// The pinned codex and the newest one, each as its `--version` names it.
fn versions() -> Vec<Codex> {
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
fn native_binary(prefix: &Path) -> Option<PathBuf> {
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
struct Scratch {
    dir: PathBuf,
    home: PathBuf,
    uid: u32,
    gid: u32,
}

impl Scratch {
    fn new(codex: &Codex, name: &str) -> Self {
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

    fn own(&self, path: &Path, mode: u32) {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid)).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn auth_path(&self) -> PathBuf {
        self.home.join("auth.json")
    }

    /// `login` as codex's auth.json (mode 0600, crl-alice's).
    fn put_login(&self, login: &Value) {
        std::fs::write(self.auth_path(), login.to_string()).unwrap();
        self.own(&self.auth_path(), 0o600);
    }

    /// The auth.json in this home, if there is one.
    fn login(&self) -> Option<Value> {
        let text = std::fs::read_to_string(self.auth_path()).ok()?;
        Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("auth.json is not JSON ({e}): {text}")))
    }

    /// The shell line that runs `codex ARGS` in this home, with what the rig's sshd gives
    /// every session (`SetEnv` in tests/rig/up): the issuer's proxy and the test CA. No
    /// browser is started on the host (as the tool's shim starts codex), and the login is
    /// kept in the file, whatever the default store.
    fn codex_line(&self, rig: &Rig, codex: &Codex, args: &str) -> String {
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
    fn run(&self, rig: &Rig, codex: &Codex, args: &str) -> (ExitStatus, String, String) {
        let out = rig.remote(ALICE, &self.codex_line(rig, codex, args));
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status, text(&out.stdout), text(&out.stderr))
    }

    /// A login minted at the issuer (a new grant) put in this home; fails the test, naming
    /// the version, when codex does not read it as a ChatGPT login (then nothing after would
    /// say anything about codex's rules). Returns the login.
    fn signed_in(&self, rig: &Rig, codex: &Codex) -> Value {
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

fn token<'a>(login: &'a Value, kind: &str) -> &'a str {
    login["tokens"][kind]
        .as_str()
        .unwrap_or_else(|| panic!("no {kind} in {login}"))
}

fn state(rig: &Rig, token: &str) -> String {
    rig.token_states(&[token]).remove(token).unwrap_or_default()
}

/// Everything the issuer was asked for since it started (`POST /oauth/revoke `, `GET
/// /oauth/authorize`, `POST /oauth/token refresh_token`, ...).
fn issuer_log(rig: &Rig) -> Vec<String> {
    serde_json::from_str(&rig.issuer("/__log")).expect("the issuer's /__log is JSON")
}

/// What the issuer was asked for after the first `mark` requests.
fn asked_since(rig: &Rig, mark: usize) -> Vec<String> {
    issuer_log(rig).split_off(mark)
}

/// `line` without its colours (ANSI escape sequences).
fn plain(line: &str) -> String {
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
fn is_device_code(line: &str) -> bool {
    let parts: Vec<&str> = line.trim().split('-').collect();
    parts.len() == 2
        && parts
            .iter()
            .all(|p| p.len() == 4 && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn position(log: &[String], prefix: &str) -> Option<usize> {
    log.iter().position(|l| l.starts_with(prefix))
}

fn count(log: &[String], prefix: &str) -> usize {
    log.iter().filter(|l| l.starts_with(prefix)).count()
}

/// A codex running on the host as crl-alice, for a test to read, talk to or stop.
struct Running {
    version: String,
    child: Child,
    stdin: Option<ChildStdin>,
    pid: PathBuf,
    stdout: Stream,
    stderr: Stream,
}

/// One of a running codex's outputs, line by line as it comes, and all of it seen so far.
struct Stream {
    lines: Receiver<String>,
    seen: String,
    reader: JoinHandle<()>,
}

impl Stream {
    fn read(from: impl Read + Send + 'static) -> Self {
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
    fn wait(&mut self, wanted: impl Fn(&str) -> bool) -> Result<String, String> {
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
    fn rest(mut self) -> String {
        self.reader.join().unwrap();
        self.seen.extend(self.lines.try_iter().map(|l| l + "\n"));
        self.seen
    }
}

impl Running {
    fn start(rig: &Rig, scratch: &Scratch, codex: &Codex, args: &str) -> Self {
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
    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().expect("codex's stdin is open");
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    /// codex's own pid (the shell line `exec`s it after writing its pid).
    fn codex_pid(&self) -> String {
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
    fn kill(self) -> (String, String) {
        let pid = self.codex_pid();
        let killed = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
        assert!(killed.success(), "kill codex ({pid})");
        self.close()
    }

    /// Closes codex's stdin (an app-server then exits) and waits (bounded) for codex to exit:
    /// what it wrote on stdout and stderr.
    fn close(mut self) -> (String, String) {
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

/// Fact 1, case 1 of issue #23: with a login on file, `codex login` revokes its refresh token
/// and clears auth.json before the browser flow starts, so a browser sign-in that does not
/// finish leaves the host signed out with a dead token. The tool's sign-in therefore runs codex
/// in a private home (remote/src/shim/fresh.sh) and revokes the old login itself, after the new
/// one is in place.
#[test]
fn codex_login_revokes_the_stored_login_before_the_browser_flow() {
    let rig = Rig::get();
    for codex in versions() {
        let v = &codex.version;
        let relied =
            "the tool's private-home sign-in (remote/src/shim/fresh.sh) assumed it does; re-check case 1 of issue #23";
        let scratch = Scratch::new(&codex, "browser");
        let login = scratch.signed_in(&rig, &codex);
        let refresh = token(&login, "refresh_token");
        let mark = issuer_log(&rig).len();
        let mut run = Running::start(&rig, &scratch, &codex, "login");
        let url = run
            .stderr
            .wait(|l| l.starts_with("https://auth.openai.com/oauth/authorize?"))
            .unwrap_or_else(|seen| panic!("codex {v} login printed no authorize URL; stderr:\n{seen}"));
        // The browser step has not begun: nothing has asked for the authorize page yet.
        let cleared = scratch.login().is_none();
        // The browser's part, as a phone would do it (the issuer approves at once); the
        // callback is never delivered.
        let back = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{redirect_url}", "-k", "--proxy"])
            .arg(format!("http://{}", rig.issuer_proxy))
            .arg(&url)
            .output()
            .expect("curl");
        let back = String::from_utf8_lossy(&back.stdout);
        assert!(
            back.contains("/auth/callback?code="),
            "the issuer did not approve codex {v}'s authorize URL: it sent the browser to {back:?}"
        );
        let (_, stderr) = run.kill();
        let asked = asked_since(&rig, mark);
        let revoked = position(&asked, "POST /oauth/revoke");
        let authorize = position(&asked, "GET /oauth/authorize");
        assert!(
            revoked.is_some(),
            "codex {v} no longer revokes the stored login when `codex login` starts (the issuer was asked for {asked:?}): {relied}"
        );
        assert!(
            authorize.is_some(),
            "the browser step never reached the issuer (asked for {asked:?}); codex {v} stderr:\n{stderr}"
        );
        assert!(
            revoked < authorize,
            "codex {v} now revokes the stored login only after the browser asked for the authorize page (the issuer was asked for {asked:?}): {relied}"
        );
        assert_eq!(
            count(&asked, "POST /oauth/revoke"),
            1,
            "codex {v} asked for more than one revocation ({asked:?}): {relied}"
        );
        let now = state(&rig, refresh);
        assert_eq!(
            now, "revoked",
            "codex {v} asked for a revocation, but the stored refresh token is {now} at the issuer: {relied}"
        );
        assert!(
            cleared,
            "codex {v} no longer clears auth.json before the browser step (it was still there when the URL was printed): {relied}"
        );
        assert!(
            scratch.login().is_none(),
            "codex {v} killed during an unfinished browser login left an auth.json behind: {relied}"
        );
        let (_, _, said) = scratch.run(&rig, &codex, "login status");
        assert!(
            said.contains("Not logged in"),
            "after an unfinished browser login codex {v} is not signed out: `login status` says {said:?}; {relied}"
        );
        drop(scratch);
        rig.assert_nothing_left(ALICE);
    }
}

/// Fact 2: `codex login --device-auth` revokes the stored login before it asks for a device
/// code, and clears auth.json: a device-code sign-in that is never approved signs the host out.
/// The tool's device-code sign-in runs codex in the private home too (remote/src/shim/fresh.sh,
/// login.sh with `--device-auth`).
#[test]
fn codex_device_login_revokes_the_stored_login_before_asking_for_a_code() {
    let rig = Rig::get();
    for codex in versions() {
        let v = &codex.version;
        let relied = "the tool's private-home device-code sign-in (remote/src/shim/fresh.sh, login.sh with --device-auth) assumed it does";
        let scratch = Scratch::new(&codex, "device");
        let login = scratch.signed_in(&rig, &codex);
        let refresh = token(&login, "refresh_token");
        let mark = issuer_log(&rig).len();
        let mut run = Running::start(&rig, &scratch, &codex, "login --device-auth");
        // The link, then the one-time code (stdout, with colours): the code was asked for.
        run.stdout
            .wait(|l| l.contains("https://auth.openai.com/codex/device"))
            .unwrap_or_else(|seen| panic!("codex {v} login --device-auth printed no device link; stdout:\n{seen}"));
        run.stdout
            .wait(|l| is_device_code(&plain(l)))
            .unwrap_or_else(|seen| panic!("codex {v} login --device-auth printed no one-time code; stdout:\n{seen}"));
        let cleared = scratch.login().is_none();
        let _ = run.kill();
        let asked = asked_since(&rig, mark);
        let revoked = position(&asked, "POST /oauth/revoke");
        let usercode = position(&asked, "POST /api/accounts/deviceauth/usercode");
        assert!(
            revoked.is_some(),
            "codex {v} no longer revokes the stored login when `codex login --device-auth` starts (the issuer was asked for {asked:?}): {relied}"
        );
        assert!(
            usercode.is_some(),
            "codex {v} printed a device code without asking the issuer for one ({asked:?})"
        );
        assert!(
            revoked < usercode,
            "codex {v} now revokes the stored login only after it asked for a device code (the issuer was asked for {asked:?}): {relied}"
        );
        let now = state(&rig, refresh);
        assert_eq!(
            now, "revoked",
            "codex {v} asked for a revocation, but the stored refresh token is {now} at the issuer: {relied}"
        );
        assert!(
            cleared,
            "codex {v} no longer clears auth.json before the device code is shown: {relied}"
        );
        assert!(
            scratch.login().is_none(),
            "codex {v} killed during an unapproved device-code login left an auth.json behind: {relied}"
        );
        drop(scratch);
        rig.assert_nothing_left(ALICE);
    }
}

/// Fact 3: `codex logout` revokes the refresh token and deletes auth.json; a login whose
/// refresh token is `""` (an access-only copy) gets its access token revoked instead. The
/// tool's `logout` (remote/src/shim/logout.sh) and its revocation of a replaced login
/// (`revoke_old` in remote/src/shim/fresh.sh, and of a new login it could not install in
/// signin.sh) are `codex logout`.
#[test]
fn codex_logout_revokes_the_refresh_token_or_else_the_access_token() {
    let rig = Rig::get();
    for codex in versions() {
        let v = &codex.version;
        let relied = "the tool's `logout` (remote/src/shim/logout.sh) and its revocation of a replaced login (revoke_old in remote/src/shim/fresh.sh) are `codex logout` and assumed it revokes";

        let scratch = Scratch::new(&codex, "logout");
        let login = scratch.signed_in(&rig, &codex);
        let mark = issuer_log(&rig).len();
        let (status, _, stderr) = scratch.run(&rig, &codex, "logout");
        assert!(status.success(), "codex {v} logout failed ({status}): {stderr}");
        let asked = asked_since(&rig, mark);
        assert_eq!(
            count(&asked, "POST /oauth/revoke"),
            1,
            "codex {v} logout no longer asks the issuer for one revocation (it was asked for {asked:?}): {relied}"
        );
        assert_eq!(
            state(&rig, token(&login, "refresh_token")),
            "revoked",
            "codex {v} logout no longer revokes the refresh token: {relied}"
        );
        assert!(
            scratch.login().is_none(),
            "codex {v} logout no longer deletes auth.json: {relied}"
        );
        drop(scratch);

        // An access-only copy (design.md, "Access-only copies parse").
        let scratch = Scratch::new(&codex, "logout-access");
        let mut login = scratch.signed_in(&rig, &codex);
        let refresh = token(&login, "refresh_token").to_owned();
        login["tokens"]["refresh_token"] = "".into();
        scratch.put_login(&login);
        let mark = issuer_log(&rig).len();
        let (status, _, stderr) = scratch.run(&rig, &codex, "logout");
        assert!(
            status.success(),
            "codex {v} logout of a login without a refresh token failed ({status}): {stderr}"
        );
        let asked = asked_since(&rig, mark);
        assert_eq!(
            count(&asked, "POST /oauth/revoke"),
            1,
            "codex {v} logout of a login without a refresh token no longer asks for one revocation (it was asked for {asked:?}); access-only copies (design.md) assumed it revokes the access token"
        );
        assert_eq!(
            state(&rig, token(&login, "access_token")),
            "revoked",
            "codex {v} logout of a login without a refresh token no longer revokes its access token; access-only copies (design.md) assumed it does"
        );
        assert_eq!(
            state(&rig, &refresh),
            "alive",
            "codex {v} logout of an access-only copy ended the whole grant"
        );
        assert!(
            scratch.login().is_none(),
            "codex {v} logout of a login without a refresh token no longer deletes auth.json"
        );
        drop(scratch);
        rig.assert_nothing_left(ALICE);
    }
}

/// Fact 4: `codex login --with-api-key` does not revoke the ChatGPT login it replaces: it only
/// overwrites auth.json. The tool's API-key sign-in (remote/src/shim/secret.sh) therefore
/// revokes the replaced login itself (`revoke_old` in remote/src/shim/fresh.sh), once.
#[test]
fn codex_api_key_login_leaves_the_chatgpt_login_alive() {
    let rig = Rig::get();
    for codex in versions() {
        let v = &codex.version;
        let relied = "the tool's API-key sign-in (remote/src/shim/secret.sh, revoke_old in fresh.sh) assumed codex leaves it alive and revokes it itself";
        let scratch = Scratch::new(&codex, "apikey");
        let login = scratch.signed_in(&rig, &codex);
        let mark = issuer_log(&rig).len();
        // The key on stdin, from the shell's own printf (a builtin: in no argv).
        let line = format!(
            "printf '%s\\n' sk-rig-rules | {{ {}; }}",
            scratch.codex_line(&rig, &codex, "login --with-api-key")
        );
        let out = rig.remote(ALICE, &line);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "codex {v} login --with-api-key failed: {stderr}");
        let asked = asked_since(&rig, mark);
        assert_eq!(
            count(&asked, "POST /oauth/revoke"),
            0,
            "codex {v} login --with-api-key now revokes the ChatGPT login it replaces (the issuer was asked for {asked:?}): {relied}"
        );
        assert_eq!(
            state(&rig, token(&login, "refresh_token")),
            "alive",
            "codex {v} login --with-api-key ended the ChatGPT login it replaced: {relied}"
        );
        let now = scratch
            .login()
            .unwrap_or_else(|| panic!("codex {v} login --with-api-key wrote no auth.json"));
        assert_eq!(now["auth_mode"], "apikey", "codex {v} login --with-api-key wrote {now}");
        assert_eq!(
            now["OPENAI_API_KEY"], "sk-rig-rules",
            "codex {v} login --with-api-key wrote {now}"
        );
        assert!(
            now.get("tokens").is_none_or(Value::is_null),
            "codex {v} login --with-api-key no longer overwrites the ChatGPT login: it kept its tokens ({now}); {relied}"
        );
        drop(scratch);
        rig.assert_nothing_left(ALICE);
    }
}

/// `codex app-server` asked for the account: with an access token that expires within five
/// minutes it refreshes the login first, as any codex that uses the login does (the simplest
/// real path: `codex exec` refreshes too but then retries the model backend for ~20 s, and
/// `login status` never refreshes). Returns codex's stdout and stderr.
fn read_account(rig: &Rig, scratch: &Scratch, codex: &Codex) -> (String, String) {
    let v = &codex.version;
    let mut run = Running::start(rig, scratch, codex, "app-server");
    run.send(
        &json!({"id": 1, "method": "initialize", "params": {"clientInfo": {"name": "crl-rules", "version": "1"}}}),
    );
    run.send(&json!({"method": "initialized"}));
    run.send(&json!({"id": 2, "method": "account/read", "params": {"refreshToken": false}}));
    run.stdout
        .wait(|l| serde_json::from_str::<Value>(l).is_ok_and(|m| m["id"] == 2))
        .unwrap_or_else(|seen| panic!("codex {v} app-server never answered account/read; stdout:\n{seen}"));
    run.close()
}

/// Fact 5: a refresh token works once. codex refreshing a login rotates its refresh token
/// (the used one dies, the new one is saved), and a second copy of the old auth.json that then
/// refreshes fails with codex's "refresh token was already used". The tool's `containers` and
/// `push` warn of exactly that (local/src/containers.rs, local/src/push.rs).
#[test]
fn a_refresh_token_works_once_and_a_copy_is_told_it_was_already_used() {
    let rig = Rig::get();
    for codex in versions() {
        let v = &codex.version;
        let relied = "the warnings of `containers` and `push` about shared copies (local/src/containers.rs, local/src/push.rs) assumed it";
        let first = Scratch::new(&codex, "refresh-first");
        let copy = Scratch::new(&codex, "refresh-copy");
        // An access token that expires in a minute (codex refreshes within five minutes of
        // expiry); the tokens the refresh brings live an hour, so one refresh is enough.
        rig.issuer("/__control?access_ttl=60");
        let login = first.signed_in(&rig, &codex);
        rig.issuer("/__control?access_ttl=3600");
        copy.put_login(&login);
        let old = token(&login, "refresh_token");

        let mark = issuer_log(&rig).len();
        let (_, stderr) = read_account(&rig, &first, &codex);
        let asked = asked_since(&rig, mark);
        assert_eq!(
            count(&asked, "POST /oauth/token refresh_token"),
            1,
            "codex {v} no longer refreshes a login whose access token expires within a minute exactly once (the issuer was asked for {asked:?}); stderr:\n{stderr}"
        );
        assert_eq!(
            state(&rig, old),
            "used",
            "codex {v} refreshed, but the refresh token it used is not spent at the issuer"
        );
        let now = first
            .login()
            .unwrap_or_else(|| panic!("codex {v} lost auth.json while refreshing"));
        let new = token(&now, "refresh_token");
        assert_ne!(
            new, old,
            "codex {v} no longer saves the rotated refresh token after a refresh: {relied}"
        );
        assert_eq!(
            state(&rig, new),
            "alive",
            "codex {v} saved a refresh token that is not the live one"
        );

        let mark = issuer_log(&rig).len();
        let (_, stderr) = read_account(&rig, &copy, &codex);
        let asked = asked_since(&rig, mark);
        assert!(
            count(&asked, "POST /oauth/token refresh_token") >= 1,
            "codex {v} did not try to refresh the copy's expiring access token (the issuer was asked for {asked:?})"
        );
        assert!(
            stderr.contains("refresh token was already used"),
            "codex {v} no longer says \"refresh token was already used\" when a copy's refresh token was used elsewhere: {relied}; its stderr:\n{stderr}"
        );
        assert_eq!(
            state(&rig, new),
            "alive",
            "codex {v} refreshing a stale copy ended the login that rotated first"
        );
        drop((first, copy));
        rig.assert_nothing_left(ALICE);
    }
}
