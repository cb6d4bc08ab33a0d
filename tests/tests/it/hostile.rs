//! A hostile or broken host: a fake `codex` (a script on the host) that floods, stalls,
//! splits its output at odd places, writes terminal escapes, or records the browser's
//! requests and answers with cookies and redirects of its own. None may open a browser,
//! reach the terminal unescaped, grow the tool's memory, see the browser's headers or set
//! its cookies; each ends cleanly.

use std::process::Command;

use codex_remote_login_tests::{ALICE, LIMIT, Rig, jwt, wait_until};

/// A fake codex on the host, for `--codex`.
fn fake(rig: &Rig, name: &str, script: &str) -> String {
    let path = rig.dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    Command::new("chmod").arg("755").arg(&path).status().unwrap();
    path.to_string_lossy().into_owned()
}

/// The stand-in codex of `tests/rig/standin_codex.py` in `mode` (`localhost`, `record`), for
/// `--codex`.
pub(crate) fn standin(rig: &Rig, mode: &str) -> String {
    let script = rig.dir.join("standin_codex.py");
    std::fs::write(&script, include_str!("../../rig/standin_codex.py")).unwrap();
    fake(
        rig,
        &format!("standin-codex-{mode}"),
        &format!("exec /usr/bin/python3 {} {mode} \"$@\"", script.display()),
    )
}

/// `curl` against the local callback port with `headers`; the status line and headers it got.
fn curl(path: &str, headers: &[&str]) -> String {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-o", "/dev/null", "-D", "-", "--max-time", "20"]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd.arg(format!("http://127.0.0.1:1455{path}")).output().expect("curl");
    String::from_utf8_lossy(&out.stdout).to_lowercase()
}

const URL: &str = "https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_x&redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback&state=S";

/// 256 MiB of output with no line end, then the URL: the tool's memory stays bounded (lines
/// are capped), and the URL after the flood is still found.
#[test]
fn a_flood_of_output_costs_time_not_memory() {
    let rig = Rig::get();
    let codex = fake(
        &rig,
        "flood-codex",
        &format!("head -c 268435456 /dev/zero | tr '\\0' x >&2; printf '\\n%s\\n' '{URL}' >&2; sleep 30"),
    );
    let mut run = rig
        .tool()
        .args(["rig", "--no-browser", "--json", "--codex", &codex])
        .spawn();
    let url = run.wait_event("url", LIMIT);
    assert_eq!(url["url"], URL);
    let peak = std::fs::read_to_string(format!("/proc/{}/status", run.child.id()))
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("VmHWM:")
                .map(|v| v.trim().trim_end_matches(" kB").parse::<u64>().unwrap())
        })
        .unwrap();
    assert!(peak < 64 * 1024, "peak RSS {peak} KiB after 256 MiB of output");
    run.signal("INT");
    let done = run.finish(LIMIT);
    assert_eq!(done.code(), 130, "{}", done.stderr);
    rig.assert_nothing_left(ALICE);
}

/// A codex that prints nothing at all: `--timeout` ends it, and the host is cleaned.
#[test]
fn silence_ends_at_the_timeout() {
    let rig = Rig::get();
    let codex = fake(&rig, "silent-codex", "sleep 300");
    let run = rig.tool().args(["rig", "--timeout", "3", "--codex", &codex]).run(LIMIT);
    assert_eq!(run.code(), 124, "{}", run.stderr);
    assert!(run.stderr.contains("did not finish within 3 s"), "{}", run.stderr);
    rig.assert_nothing_left(ALICE);
}

/// The URL written a few bytes at a time, with pauses, across packets: assembled intact.
#[test]
fn output_split_at_odd_places_is_assembled() {
    let rig = Rig::get();
    let pieces: Vec<String> = URL
        .as_bytes()
        .chunks(7)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let script: String = pieces
        .iter()
        .map(|p| format!("printf '%s' '{p}' >&2; sleep 0.01\n"))
        .collect();
    let codex = fake(&rig, "split-codex", &format!("{script}printf '\\n' >&2\nsleep 30"));
    let mut run = rig
        .tool()
        .args(["rig", "--no-browser", "--json", "--codex", &codex])
        .spawn();
    assert_eq!(run.wait_event("url", LIMIT)["url"], URL);
    run.signal("INT");
    assert_eq!(run.finish(LIMIT).code(), 130);
    rig.assert_nothing_left(ALICE);
}

/// A host whose authorize URL carries shell and PowerShell syntax in its query (`$(`, a
/// backtick, `'`, `;`, `&&`, `|`) and a `"` in a fragment: no opener receives it raw, under
/// Linux or WSL. Stand-ins record what they are given: a `--browser-command` program; under
/// WSL, `rundll32.exe` and `explorer.exe`, and wslu's `wslview` with the `powershell.exe` it
/// runs (reached only through a `$BROWSER` the user set). Every one gets the page rebuilt
/// (unreserved characters and `%XX` in its query, no fragment), and so does `--json`.
#[test]
fn a_hostile_url_reaches_no_opener_raw() {
    let rig = Rig::get();
    let hostile = format!("{URL}&x=$(Start-Process('calc.exe'))&y=`whoami`&z=a;b&&w=c|d#\";calc;\"");
    let rebuilt = format!("{URL}&x=%24%28Start-Process%28%27calc.exe%27%29%29&y=%60whoami%60&z=a%3Bb&w=c%7Cd");
    let url_file = rig.dir.join("hostile-url");
    std::fs::write(&url_file, format!("{hostile}\n")).unwrap();
    let codex = fake(
        &rig,
        "hostile-url-codex",
        &format!("cat {} >&2; sleep 60", url_file.display()),
    );
    // The stand-ins, each recording its arguments a line each; wslview hands its URL on to
    // PowerShell as wslu does (`Start "URL"`).
    let bin = rig.dir.join("openers");
    let seen = rig.dir.join("opened");
    let _ = std::fs::remove_dir_all(&bin);
    let _ = std::fs::remove_dir_all(&seen);
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&seen).unwrap();
    for name in [
        "my-browser",
        "rundll32.exe",
        "explorer.exe",
        "powershell.exe",
        "wslview",
    ] {
        let mut script = format!("#!/bin/sh\nprintf '%s\\n' \"$@\" >>{}/{name}\n", seen.display());
        if name == "wslview" {
            script.push_str("exec powershell.exe -NoProfile -NonInteractive -Command \"Start \\\"$1\\\"\"\n");
        }
        std::fs::write(bin.join(name), script).unwrap();
        Command::new("chmod").arg("755").arg(bin.join(name)).status().unwrap();
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let recorded = |name: &str| {
        wait_until(LIMIT, || std::fs::read_to_string(seen.join(name)))
            .unwrap_or_else(|e| panic!("{name} was never started: {e}"))
    };
    let opened = |tool: codex_remote_login_tests::Tool, what: &str, args: &[&str]| {
        let mut run = tool
            .env("PATH", &path)
            .args(["rig", "--json", "--codex", &codex])
            .args(args)
            .spawn();
        let url = run.wait_event("url", LIMIT);
        assert_eq!(url["url"], rebuilt.as_str(), "{what}: the url event");
        let got = recorded(match what {
            "--browser-command" => "my-browser",
            "WSL" => "rundll32.exe",
            _ => "wslview",
        });
        run.signal("INT");
        let done = run.finish(LIMIT);
        assert_eq!(done.code(), 130, "{what}: {}", done.stderr);
        got
    };

    let got = opened(rig.tool(), "--browser-command", &["--browser-command", "my-browser"]);
    assert_eq!(got, format!("{rebuilt}\n"), "the --browser-command program");

    let mut wsl = rig.wsl_tool();
    wsl.cmd.env_remove("BROWSER");
    let got = opened(wsl, "WSL", &[]);
    assert_eq!(got, format!("url.dll,FileProtocolHandler\n{rebuilt}\n"), "rundll32.exe");
    for never in ["wslview", "powershell.exe", "explorer.exe"] {
        assert!(!seen.join(never).exists(), "{never} was started under WSL");
    }

    let got = opened(rig.wsl_tool().env("BROWSER", "wslview"), "$BROWSER", &[]);
    assert_eq!(got, format!("{rebuilt}\n"), "wslview, as $BROWSER");
    let powershell = recorded("powershell.exe");
    assert_eq!(
        powershell,
        format!("-NoProfile\n-NonInteractive\n-Command\nStart \"{rebuilt}\"\n"),
        "PowerShell, through wslview"
    );
    for raw in ["$(", "`", "'", ";", "&&", "|", "\"", "#"] {
        for name in ["my-browser", "rundll32.exe", "wslview"] {
            let got = std::fs::read_to_string(seen.join(name)).unwrap();
            assert!(!got.contains(raw), "{raw} reached {name}: {got}");
        }
    }
    rig.assert_nothing_left(ALICE);
}

/// Escape sequences (clipboard writes, screen clears, a fake prompt) never reach the
/// terminal raw, at any verbosity.
#[test]
fn terminal_escapes_are_neutralised() {
    let rig = Rig::get();
    let codex = fake(
        &rig,
        "escape-codex",
        "printf 'Error: \\033]52;c;cm0gLXJmIH4=\\007\\033[2J\\033[1A\\rPassword: \\n' >&2; exit 1",
    );
    let run = rig.tool().args(["rig", "-vv", "--codex", &codex]).run(LIMIT);
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(
        !run.stderr.contains('\u{1b}') && !run.stderr.contains('\u{7}'),
        "raw escapes reached the terminal: {:?}",
        run.stderr
    );
    assert!(run.stderr.contains("\\u{1b}]52"), "shown escaped: {}", run.stderr);
    rig.assert_nothing_left(ALICE);
}

/// The callback proxy carries the callback and nothing else, both ways: the host sees none of
/// the browser's headers (the cookies of 127.0.0.1 above all), the browser none of the host's
/// (`Set-Cookie` above all) and no redirect off this machine; `/success` and `/cancel` reach
/// the host only after a valid callback has.
#[test]
fn the_proxy_carries_no_headers_either_way() {
    let rig = Rig::get();
    let codex = standin(&rig, "record");
    let mut run = rig
        .tool()
        .args(["rig", "--no-browser", "--json", "--codex", &codex])
        .spawn();
    let url = run.wait_event("url", LIMIT)["url"].as_str().unwrap().to_owned();
    let state = url.rsplit_once("state=").unwrap().1.to_owned();
    let browser = [
        "Cookie: local-app-session=secret-of-another-app",
        "Authorization: Bearer local-secret",
        "Origin: http://127.0.0.1:3000",
        "Referer: http://127.0.0.1:3000/page",
        "X-Local: 1",
        "User-Agent: test-browser",
    ];

    // Before the callback, a local page's /success or /cancel is answered here.
    for path in ["/success", "/cancel"] {
        let answer = curl(path, &browser);
        assert!(answer.starts_with("http/1.1 404"), "{path}: {answer}");
    }

    let answer = curl(&format!("/auth/callback?code=c&state={state}"), &browser);
    assert!(answer.starts_with("http/1.1 302"), "{answer}");
    assert!(
        answer.contains("location: http://127.0.0.1:1455/success\r\n"),
        "{answer}"
    );
    for header in ["set-cookie", "x-from-host", "access-control-allow-origin", "refresh"] {
        assert!(
            !answer.contains(&format!("{header}:")),
            "{header} reached the browser: {answer}"
        );
    }
    // The host's redirect off this machine is not passed on.
    let answer = curl("/success", &browser);
    assert!(answer.starts_with("http/1.1 502"), "{answer}");
    assert!(
        !answer.contains("evil.example") && !answer.contains("set-cookie"),
        "{answer}"
    );

    let seen = rig.remote_root("cat /home/crl-alice/.codex/seen");
    let seen: Vec<serde_json::Value> = String::from_utf8_lossy(&seen.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let paths: Vec<&str> = seen.iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["/auth/callback", "/success"], "what reached the host: {seen:?}");
    for request in &seen {
        let headers: Vec<(String, &str)> = request["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h[0].as_str().unwrap().to_lowercase(), h[1].as_str().unwrap()))
            .collect();
        assert_eq!(
            headers,
            [("host".to_owned(), "127.0.0.1:1455")],
            "the host saw more than Host"
        );
    }

    // After the callback, /cancel passes: the stand-in ends with status 1.
    assert!(curl("/cancel", &[]).starts_with("http/1.1 200"));
    let done = run.finish(LIMIT);
    assert_eq!(done.code(), 1, "{}", done.stderr);
    assert!(
        done.stderr.contains("redirect off this machine's callback port"),
        "{}",
        done.stderr
    );
    rig.assert_nothing_left(ALICE);
}

/// Fails when `text` holds a character that could drive or reorder a terminal (controls other
/// than the line end, bidirectional overrides and isolates, zero-width marks); `c0_only` for
/// `--json` output, where serde escapes C0 controls and leaves the rest as they are.
fn assert_no_raw_controls(what: &str, text: &str, c0_only: bool) {
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| c != '\n')
        .filter(|&c| {
            (c as u32) < 0x20
                || c == '\u{7f}'
                || !c0_only
                    && (c.is_control()
                        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        })
        .collect();
    assert!(bad.is_empty(), "{what}: raw {bad:?} reached the output: {text:?}");
}

/// An OSC 52 clipboard write and a title change, raw.
const CLIPBOARD: &str = "\u{1b}]52;c;Y3JsLW93bmVk\u{7}";
const TITLE: &str = "\u{1b}]0;owned\u{7}";

/// A host's login whose id_token claims carry terminal escapes as raw bytes (whoever can write
/// the host's auth.json can do this), and an issuer whose claims carry C1 controls and a bidi
/// override: `status`, the sign-in's summary (which names the login it replaced) and `doctor`
/// show them escaped; `--json` carries the real values, JSON-escaped.
#[test]
fn hostile_claims_are_shown_escaped() {
    let rig = Rig::get();
    let email = format!("mallory{CLIPBOARD}@rig.test");
    let plan = format!("plus{TITLE}");
    // The claims written as text, not serialized (which would escape them): raw ESC and BEL
    // in the JSON, which the shim reads as text.
    let id = jwt(format!(
        r#"{{"email":"{email}","https://api.openai.com/auth":{{"chatgpt_plan_type":"{plan}","chatgpt_account_id":"acct-rig"}}}}"#
    ));
    let planted = rig.remote_root(&format!(
        r#"set -e
id={id}
d=/home/{ALICE}/.codex
mkdir -p -m 700 $d
printf '{{"auth_mode":"chatgpt","OPENAI_API_KEY":null,"tokens":{{"id_token":"%s","access_token":"a.e30.c","refresh_token":"rt-hostile","account_id":"acct-rig"}},"last_refresh":"2026-11-25T10:00:00Z"}}' "$id" >$d/auth.json
chmod 600 $d/auth.json
chown -R {ALICE}: $d"#
    ));
    assert!(planted.status.success(), "{}", String::from_utf8_lossy(&planted.stderr));

    let status = rig.tool().args(["status", "rig"]).run(LIMIT);
    assert_no_raw_controls("status stdout", &status.stdout, false);
    assert_no_raw_controls("status stderr", &status.stderr, false);
    assert!(
        status
            .stdout
            .contains("mallory\\u{1b}]52;c;Y3JsLW93bmVk\\u{7}@rig.test")
            && status.stdout.contains("plus\\u{1b}]0;owned\\u{7}"),
        "the table shows the claims escaped: {}",
        status.stdout
    );
    let json = rig.tool().args(["status", "rig", "--json"]).run(LIMIT);
    assert_no_raw_controls("status --json stdout", &json.stdout, true);
    assert_no_raw_controls("status --json stderr", &json.stderr, false);
    let event = json.event("status").expect("a status event");
    assert_eq!(event["email"], email.as_str(), "--json carries the real value");
    assert_eq!(event["plan"], plan.as_str());

    // codex's --version is the host's words too.
    let codex = fake(
        &rig,
        "escape-version-codex",
        "printf 'codex-cli 0.169.0\\033]0;owned\\007\\033[2J\\n'",
    );
    let doctor = rig.tool().args(["doctor", "rig", "--codex", &codex]).run(LIMIT);
    assert_no_raw_controls("doctor stdout", &doctor.stdout, false);
    assert_no_raw_controls("doctor stderr", &doctor.stderr, false);
    assert!(
        doctor.stdout.contains("0.169.0\\u{1b}]0;owned\\u{7}"),
        "doctor shows the version escaped: {}",
        doctor.stdout
    );

    // The issuer's claims: C1 controls (an OSC 52 in its 8-bit form) and a right-to-left
    // override, which JSON carries raw and codex accepts.
    rig.issuer("/__control?email=alice%C2%9D52%3Bc%3BY3Js%C2%9C%40rig.test%E2%80%AE&plan=plus%C2%9B2J");
    let signin = rig.sign_in(rig.tool().args(["rig", "--json"]));
    assert_no_raw_controls("sign-in stderr", &signin.stderr, false);
    assert_no_raw_controls("sign-in --json stdout", &signin.stdout, true);
    assert!(
        signin
            .stderr
            .contains("as alice\\u{9d}52;c;Y3Js\\u{9c}@rig.test\\u{202e} (plus\\u{9b}2J)"),
        "the summary shows the new login's claims escaped: {}",
        signin.stderr
    );
    assert!(
        signin
            .stderr
            .contains("Replaced the previous login (mallory\\u{1b}]52;c;Y3JsLW93bmVk\\u{7}@rig.test)"),
        "the summary shows the replaced login's email escaped: {}",
        signin.stderr
    );
    let success = signin.event("success").expect("a success event");
    assert_eq!(success["email"], "alice\u{9d}52;c;Y3Js\u{9c}@rig.test\u{202e}");
    assert_eq!(success["replaced"]["email"], email.as_str());
    assert_eq!(
        rig.host_login_state(ALICE),
        "alive",
        "a login with hostile claims is a login all the same"
    );
    rig.assert_nothing_left(ALICE);
}

/// A container made for one test, removed however the test ends.
struct Container(&'static str);

impl Container {
    /// From the rig's image, running.
    fn run(name: &'static str) -> Self {
        let _ = Command::new("podman").args(["rm", "-f", "-t", "0", name]).output();
        let ok = Command::new("podman")
            .args(["run", "-d", "-q", "--name", name, "crl-test:latest", "sleep", "600"])
            .status()
            .unwrap();
        assert!(ok.success(), "podman run {name}");
        Self(name)
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("podman").args(["rm", "-f", "-t", "0", self.0]).output();
    }
}

/// A container whose shell writes terminal escapes on stderr and fails: the engine's words,
/// shown as the reason in the table, arrive escaped; `--json` carries them as they were.
#[test]
fn a_containers_stderr_is_shown_escaped() {
    let rig = Rig::get();
    let container = Container::run("crl-t-escape");
    let script = rig.dir.join("escape-sh");
    std::fs::write(
        &script,
        // It reads what it is sent first: an exec that ends with its stdin unread makes the
        // engine end with words of its own.
        "#!/bin/busybox sh\ncat >/dev/null\nprintf 'no shell today\\033]0;owned\\007\\033]52;c;Y3JsLW93bmVk\\007\\033[2J\\n' >&2\nexit 3\n",
    )
    .unwrap();
    Command::new("chmod").arg("755").arg(&script).status().unwrap();
    // /bin/sh is busybox's link: removed first, or the copy would land on busybox itself.
    let replaced = Command::new("podman")
        .args(["exec", container.0, "rm", "/bin/sh"])
        .status()
        .unwrap()
        .success()
        && Command::new("podman")
            .args(["cp", script.to_str().unwrap(), &format!("{}:/bin/sh", container.0)])
            .status()
            .unwrap()
            .success();
    assert!(replaced, "the container's shell was replaced");
    let login = rig.remote(
        ALICE,
        r#"mkdir -p -m 700 ~/.codex && printf '%s' '{"auth_mode":"apikey","OPENAI_API_KEY":"sk-escape-test"}' > ~/.codex/auth.json && chmod 600 ~/.codex/auth.json"#,
    );
    assert!(login.status.success());

    let run = rig.tool().args(["containers", "rig", container.0]).run(LIMIT);
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert_no_raw_controls("containers stdout", &run.stdout, false);
    assert_no_raw_controls("containers stderr", &run.stderr, false);
    assert!(
        run.stdout.contains("no shell today\\u{1b}]0;owned\\u{7}\\u{1b}]52;c;"),
        "the table shows the engine's words escaped: {}",
        run.stdout
    );
    let json = rig.tool().args(["containers", "rig", container.0, "--json"]).run(LIMIT);
    assert_no_raw_controls("containers --json stdout", &json.stdout, true);
    let event = json.event("container").expect("a container event");
    assert_eq!(event["result"], "failed");
    assert!(
        event["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("no shell today{TITLE}{CLIPBOARD}")),
        "--json carries the real text: {event}"
    );
    drop(container);
    rig.assert_nothing_left(ALICE);
}

/// codex's own log may hold a code or a token (inside a URL, URL-encoded, or as JSON): the
/// tail the shim sends after a failed login is redacted before any of it is shown, in the
/// error at every verbosity and in the debug lines of -vv and -vvv.
#[test]
fn codex_log_lines_are_redacted_at_every_verbosity() {
    let rig = Rig::get();
    let secrets = [
        "code-leak-5d1e",
        "st-leak-77",
        "at-leak-9f2c",
        "rt-leak-1a3b",
        "code-enc-4c4c",
        "sk-rig-leaked-key-0b0b",
    ];
    let codex = fake(
        &rig,
        "logging-codex",
        r#"cat >/dev/null
log="${CODEX_HOME:-$HOME/.codex}/log"
mkdir -p "$log"
cat >>"$log/codex-login.log" <<'EOF'
DEBUG GET /auth/callback?code=code-leak-5d1e&state=st-leak-77 HTTP/1.1
DEBUG token response {"access_token":"at-leak-9f2c","refresh_token": "rt-leak-1a3b"}
DEBUG redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback%3Fcode%3Dcode-enc-4c4c%26state%3Dx
DEBUG exchanged for sk-rig-leaked-key-0b0b
EOF
echo 'Error logging in: the exchange failed' >&2
exit 1"#,
    );
    for verbosity in [None, Some("-v"), Some("-vv"), Some("-vvv")] {
        let run = rig
            .tool()
            .env("OPENAI_API_KEY", "sk-rig-log-test-key")
            .args(["rig", "--with-api-key", "--codex", &codex])
            .args(verbosity)
            .run(LIMIT);
        assert_eq!(run.code(), 1, "{}", run.stderr);
        assert!(
            run.stderr.contains("callback?code=…&state=…"),
            "{verbosity:?}: the log's tail is shown, redacted: {}",
            run.stderr
        );
        for secret in secrets {
            assert!(
                !run.stderr.contains(secret) && !run.stdout.contains(secret),
                "{verbosity:?}: {secret} shown: {}",
                run.stderr
            );
        }
    }
    rig.assert_nothing_left(ALICE);
}

/// A codex ended while saving leaves its own temporary copy of the new login (`.auth-XXXXXX`,
/// fresh tokens) beside auth.json. The shim removes those that appeared during its run when
/// codex did not finish, and leaves alone one that was there before (another codex's).
#[test]
fn codexs_temporary_login_is_removed_when_it_does_not_finish() {
    let rig = Rig::get();
    let home = format!("/home/{ALICE}/.codex");
    let before = rig.remote(ALICE, "mkdir -p -m 700 ~/.codex && : >~/.codex/.auth-kEEp99");
    assert!(before.status.success(), "{}", String::from_utf8_lossy(&before.stderr));
    // Stands in for a codex killed between writing its temporary file and renaming it.
    let codex = fake(
        &rig,
        "half-saving-codex",
        "[ \"$1 $2 $3\" = \"-c cli_auth_credentials_store=file login\" ] || exit 0\n\
         printf '{\"tokens\":{}}' >\"${CODEX_HOME:-$HOME/.codex}/.auth-Ab12Cd\"\nexit 1",
    );
    let run = rig.tool().args(["rig", "--codex", &codex]).run(LIMIT);
    assert_ne!(run.code(), 0, "{}", run.stderr);
    let left = rig.remote_root(&format!("ls -A {home}"));
    let left = String::from_utf8_lossy(&left.stdout);
    assert!(
        !left.contains(".auth-Ab12Cd"),
        "codex's temporary login was left: {left}"
    );
    assert!(left.contains(".auth-kEEp99"), "another's was removed: {left}");
    rig.remote_root(&format!("rm -f {home}/.auth-kEEp99"));
    rig.assert_nothing_left(ALICE);
}
