//! No secret reaches a command line on the host, even where `printf` and `echo` are not shell
//! builtins (posh, some busybox builds): there they are /usr/bin/printf and /bin/echo, and
//! every argument of an external command is readable by any local user in /proc.
//!
//! The shim runs here as a local process under bash with `enable -n printf echo` (so both are
//! external), and under dash and busybox sh, with a PATH in which every program is a wrapper
//! that records its own command line before running the real one; a stand-in codex takes the
//! secret on stdin and writes a login. Afterwards no recorded command line may hold the API
//! key, the access token, or any token of the auth.json the shim read.
#![forbid(unsafe_code)]

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use codex_remote_login_remote::{CodexAt, Job, Launch, LoginMethod, job};

const API_KEY: &str = "sk-argv-secret-key-4f1d";
const ACCESS_TOKEN: &str = "argv-secret-access-token-77c0";
const REFRESH: &str = "rt-argv-secret-refresh-31aa";

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_exec(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn jwt(claims: &str) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        e.encode(r#"{"alg":"RS256"}"#),
        e.encode(claims),
        e.encode("argv-signature")
    )
}

/// A directory of wrappers, one per program of the real PATH, each recording its command line
/// in `log` and then running the real program.
fn wrappers(dir: &Path, log: &Path) -> String {
    let wrapper = dir.join(".wrapper");
    write_exec(
        &wrapper,
        &format!(
            "#!/bin/sh\n/usr/bin/tr '\\0' ' ' </proc/$$/cmdline >>'{log}'\n/usr/bin/printf '\\n' >>'{log}'\n\
             for d in /usr/local/bin /usr/bin /bin; do [ -x \"$d/${{0##*/}}\" ] && exec \"$d/${{0##*/}}\" \"$@\"; done\nexit 127\n",
            log = log.display()
        ),
    );
    for bin in ["/usr/local/bin", "/usr/bin", "/bin"] {
        for entry in std::fs::read_dir(bin).into_iter().flatten().flatten() {
            let name = entry.file_name();
            let link = dir.join(&name);
            if !link.exists() && name != "[" {
                symlink(&wrapper, &link).unwrap();
            }
        }
    }
    format!("{}:/usr/local/bin:/usr/bin:/bin", dir.display())
}

/// A sign-in with a secret.
fn secret(method: LoginMethod) -> Job {
    Job::SignIn(job::SignIn {
        method,
        ca: None,
        skip_logged_in: false,
    })
}

/// Runs the shim's `job` under `shell`, `stdin` fed to it; returns its stdout.
fn run(shell: &str, job: Job, stdin: &str, home: &Path, path: &str, codex: &Path) -> Option<String> {
    let script = Launch {
        codex: CodexAt {
            path: Some(codex.display().to_string()),
            home: None,
        },
        job,
        inside: None,
    }
    .script();
    let mut cmd = Command::new(shell);
    match shell {
        "bash" => cmd.arg("-c").arg(format!("enable -n printf echo\n{script}")),
        "busybox" => cmd.args(["sh", "-c", &script]),
        _ => cmd.arg("-c").arg(&script),
    };
    let mut child = match cmd
        .env_clear()
        .env("HOME", home)
        // The shim's private directories stay in this test's scratch, not in the /tmp the e2e
        // tests running alongside check for leftovers.
        .env("TMPDIR", home.parent().unwrap())
        .env("PATH", path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("{shell}: {e}"),
    };
    use std::io::{BufRead as _, Write as _};
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    // As the local side does: `install` once asked, after codex signed in (written only then,
    // since `head` may read ahead of the secret's line), then the end of the channel.
    let mut said = String::new();
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line == "crl1 install-ask" {
            input.write_all(b"install\n").unwrap();
        }
        said.push_str(&line);
        said.push('\n');
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    Some(format!("{said}{}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn secrets_stay_out_of_argv_without_a_printf_builtin() {
    let root = Scratch(std::env::temp_dir().join(format!("crl-argv-{}", std::process::id())));
    let (bin, home) = (root.0.join("bin"), root.0.join("home"));
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    let log = root.0.join("argv.log");
    let path = wrappers(&bin, &log);
    let id_token = jwt(r#"{"email":"dev@argv.test","https://api.openai.com/auth":{"chatgpt_plan_type":"pro"}}"#);
    let access = jwt(r#"{"exp":1900000000,"jti":"argv-access"}"#);
    let auth = format!(
        r#"{{"auth_mode":"chatgpt","OPENAI_API_KEY":null,"tokens":{{"id_token":"{id_token}","access_token":"{access}","refresh_token":"{REFRESH}","account_id":"acct"}},"last_refresh":"2026-11-25T10:00:00Z"}}"#
    );
    let source = root.0.join("auth.source.json");
    std::fs::write(&source, &auth).unwrap();
    // The stand-in codex: takes the secret on stdin (kept to check it arrived), writes the
    // login and, for the access token, fails with the secret in its log, as a careless
    // codex might: the shim then reports the log's tail.
    let received = root.0.join("received");
    let codex = root.0.join("codex");
    write_exec(
        &codex,
        &format!(
            r#"#!/bin/sh
case "$*" in
*--version*) echo "codex-cli 0.0.0" ;;
*"login status"*) [ -f "${{CODEX_HOME:-$HOME/.codex}}/auth.json" ] ;;
*--with-api-key* | *--with-access-token*)
    home=${{CODEX_HOME:-$HOME/.codex}}
    cat >'{received}'
    mkdir -p "$home/log"
    cp '{source}' "$home/auth.json"
    chmod 600 "$home/auth.json"
    {{ echo "exchanging"; cat '{received}'; }} >>"$home/log/codex-login.log"
    case "$*" in *--with-access-token*) exit 1 ;; esac ;;
esac
"#,
            received = received.display(),
            source = source.display()
        ),
    );
    let mut ran = Vec::new();
    for shell in ["bash", "dash", "busybox"] {
        let _ = std::fs::remove_dir_all(home.join(".codex"));
        let Some(out) = run(
            shell,
            secret(LoginMethod::ApiKey),
            &format!("{API_KEY}\n"),
            &home,
            &path,
            &codex,
        ) else {
            continue;
        };
        assert!(out.contains("crl1 exited 0"), "{shell}: {out}");
        assert!(out.contains("crl1 account chatgpt dev@argv.test pro"), "{shell}: {out}");
        assert_eq!(
            std::fs::read_to_string(&received).unwrap(),
            format!("{API_KEY}\n"),
            "{shell}"
        );

        let out = run(
            shell,
            secret(LoginMethod::AccessToken),
            &format!("{ACCESS_TOKEN}\n"),
            &home,
            &path,
            &codex,
        )
        .unwrap();
        assert!(out.contains("crl1 exited 1"), "{shell}: {out}");
        assert!(
            out.contains("crl1 logline"),
            "the log's tail is reported: {shell}: {out}"
        );
        assert!(out.contains("crl1 done"), "{shell}: {out}");
        assert_eq!(
            std::fs::read_to_string(&received).unwrap(),
            format!("{ACCESS_TOKEN}\n"),
            "{shell}"
        );

        // Reading a login that holds tokens: status, and push (which reads it back).
        let out = run(shell, job::Status.into(), "", &home, &path, &codex).unwrap();
        assert!(out.contains("crl1 refreshed 2026-11-25T10:00:00Z"), "{shell}: {out}");
        assert!(out.contains("crl1 expires 1900000000 "), "{shell}: {out}");
        let push = format!("push {}\n{auth}", auth.len());
        let out = run(shell, job::Push.into(), &push, &home, &path, &codex).unwrap();
        assert!(out.contains("crl1 pushed"), "{shell}: {out}");
        ran.push(shell);
    }
    assert!(ran.contains(&"bash"), "bash is needed to force an external printf");
    let recorded = std::fs::read_to_string(&log).unwrap();
    assert!(
        recorded.contains("/printf crl1 %s"),
        "the external printf was not used, so the test proves nothing:\n{recorded}"
    );
    for secret in [API_KEY, ACCESS_TOKEN, REFRESH, &id_token, &access] {
        for line in recorded.lines() {
            assert!(!line.contains(secret), "a secret in a command line: {line}");
        }
    }
}
