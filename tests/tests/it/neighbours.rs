//! Other local processes and pages share 127.0.0.1 with the browser: none can end, fake the
//! end of, or starve a waiting sign-in through the callback port.

use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use codex_remote_login_tests::{ALICE, LIMIT, Rig, Running, http_get};

/// A local page fetching `/success` or `/cancel` while the sign-in waits: answered here, so
/// codex neither exits 0 (a false "Signed in" where the host had an older login) nor is
/// cancelled; the real approval then completes the sign-in.
#[test]
fn a_stray_success_or_cancel_does_not_end_the_sign_in() {
    let rig = Rig::get();
    let mut run = rig.tool().args(["rig", "--json", "--no-browser"]).spawn();
    let url = run.wait_event("url", LIMIT)["url"].as_str().unwrap().to_owned();
    for path in ["/success", "/success?id_token=x&plan_type=plus", "/cancel"] {
        assert_eq!(http_get("127.0.0.1:1455", path).0, 404, "{path}");
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(run.child.try_wait().unwrap().is_none(), "the tool ended");
    assert!(
        rig.processes(ALICE).contains("codex"),
        "codex still waits: {}",
        rig.processes(ALICE)
    );

    rig.browse(&run, &url);
    let page = run.browser_out.clone();
    let done = run.finish(LIMIT);
    assert_eq!(done.code(), 0, "stderr:\n{}", done.stderr);
    let kinds = done.kinds();
    assert_eq!(kinds, ["connected", "codex_found", "url", "callback", "success"]);
    assert!(done.stderr.contains("Signed in to Codex on rig"), "{}", done.stderr);
    assert!(Running::browser_page(&page).contains("Signed in to Codex"));
    assert_eq!(rig.host_login_state(ALICE), "alive");
    rig.assert_nothing_left(ALICE);
}

/// 300 connections to the callback port held open and silent, with the tool's file
/// descriptors limited as on a laptop (macOS's default soft limit is 256): the real sign-in
/// (real codex, Chromium) still completes.
#[test]
fn hundreds_of_idle_connections_do_not_starve_the_sign_in() {
    let rig = Rig::get();
    let mut run = rig
        .tool()
        .args(["rig", "--json", "--no-browser", "--timeout", "80"])
        .spawn();
    let url = run.wait_event("url", LIMIT)["url"].as_str().unwrap().to_owned();
    let pid = run.child.id();
    let in_use = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count();
    // Room for a few connections only: the flood meets the limit.
    let limit = in_use + 16;
    let set = Command::new("prlimit")
        .args([format!("--pid={pid}"), format!("--nofile={limit}:")])
        .status()
        .unwrap();
    assert!(set.success(), "prlimit");

    let idle: Vec<TcpStream> = (0..300)
        .filter_map(|_| TcpStream::connect_timeout(&"127.0.0.1:1455".parse().unwrap(), Duration::from_secs(5)).ok())
        .collect();
    assert_eq!(idle.len(), 300, "the callback port stopped accepting");

    rig.browse(&run, &url);
    let page = run.browser_out.clone();
    let done = run.finish(LIMIT);
    drop(idle);
    assert_eq!(done.code(), 0, "stderr:\n{}", done.stderr);
    assert!(done.stderr.contains("Signed in to Codex on rig"), "{}", done.stderr);
    assert!(Running::browser_page(&page).contains("Signed in to Codex"));
    assert_eq!(rig.host_login_state(ALICE), "alive");
    rig.assert_nothing_left(ALICE);
}
