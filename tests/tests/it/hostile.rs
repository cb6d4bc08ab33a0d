//! A hostile or broken host: a fake `codex` (a script on the host) that floods, stalls,
//! splits its output at odd places, writes terminal escapes, or records the browser's
//! requests and answers with cookies and redirects of its own. None may open a browser,
//! reach the terminal unescaped, grow the tool's memory, see the browser's headers or set
//! its cookies; each ends cleanly.

use std::process::Command;
use std::time::Duration;

use codex_remote_login_tests::{ALICE, Rig};

const LIMIT: Duration = Duration::from_secs(120);

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
        .tool("flood")
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
    let run = rig
        .tool("silent")
        .args(["rig", "--timeout", "3", "--codex", &codex])
        .run(LIMIT);
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
        .tool("split")
        .args(["rig", "--no-browser", "--json", "--codex", &codex])
        .spawn();
    assert_eq!(run.wait_event("url", LIMIT)["url"], URL);
    run.signal("INT");
    assert_eq!(run.finish(LIMIT).code(), 130);
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
    let run = rig.tool("escape").args(["rig", "-vv", "--codex", &codex]).run(LIMIT);
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
        .tool("headers")
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
