#!/usr/bin/env python3
"""Faults, each tried many times, with what must hold after every one of them checked.

Run by scripts/faults (which builds and brings the rig up). For each stage of a sign-in
(connecting, waiting for the browser, during the callback) and each of SIGINT, SIGTERM and
SIGKILL of the tool, plus the SSH connection cut and the host's codex killed while the
browser is awaited: N runs, and after each
  - no process of the user left on the host, nothing listening on 1455/1457 on either side
    (waited for, bounded: after SIGKILL the host notices the lost channel on its own),
  - the host's auth.json absent or complete (valid JSON), never truncated,
  - no temporary file of the tool left on the host (`.auth.json.crl-*`, `crl-ca.*`),
  - a non-zero exit, and for SIGINT/SIGTERM/cut/killed a message that says what happened.
Prints a table of tries and passes.
"""
import json
import os
import random
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RIG = dict(l.split("=", 1) for l in open(os.environ.get("CRL_RIG", "/tmp/crl-rig/rig.env")).read().split())
DIR, NS = RIG["CRL_RIG_DIR"], RIG["CRL_RIG_NS"]
TOOL = os.environ.get("CRL_BIN", os.path.join(ROOT, "target", "debug", "codex-remote-login"))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 20
USER = "crl-alice"


def ns(*argv, **kw):
    return subprocess.run(["ip", "netns", "exec", NS, *argv], capture_output=True, text=True, **kw)


def user_processes():
    uid = subprocess.run(["id", "-u", USER], capture_output=True, text=True).stdout.strip()
    out = []
    for pid in subprocess.run(["ip", "netns", "pids", NS], capture_output=True, text=True).stdout.split():
        try:
            if os.stat(f"/proc/{pid}").st_uid == int(uid):
                out.append(open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")[:80])
        except OSError:
            pass
    return out


def listeners():
    ss = ["ss", "-Hltn", "( sport = :1455 or sport = :1457 )"]
    local = subprocess.run(ss, capture_output=True, text=True).stdout.strip()
    remote = ns(*ss).stdout.strip()
    return local + remote


def clean_state(deadline=10):
    """Whether the rig returns to clean within `deadline` seconds, and what was left."""
    end = time.monotonic() + deadline
    while True:
        left = user_processes(), listeners()
        if not left[0] and not left[1]:
            return True, ""
        if time.monotonic() > end:
            return False, f"processes {left[0]} listeners {left[1]!r}"
        time.sleep(0.05)


def auth_ok():
    out = ns("cat", f"/home/{USER}/.codex/auth.json")
    if out.returncode != 0:
        return True
    try:
        json.loads(out.stdout)
        return True
    except ValueError:
        return False


def no_temporaries():
    out = ns("sh", "-c", f"ls -a /home/{USER}/.codex /tmp 2>/dev/null")
    return ".auth.json.crl-" not in out.stdout and "crl-ca." not in out.stdout


def reset():
    ns("pkill", "-KILL", "-u", USER)
    clean_state()
    ns("rm", "-rf", f"/home/{USER}/.codex")


def spawn():
    env = dict(os.environ, BROWSER="/bin/true")
    return subprocess.Popen(
        ["setsid", TOOL, "-F", os.path.join(DIR, "ssh_config"), "rig", "--no-browser", "--json"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )


def wait_url(proc):
    for line in proc.stdout:
        event = json.loads(line)
        if event["type"] == "url":
            return event["url"]
    return None


def approve(url):
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{redirect_url}", "-k", "--proxy", f"http://{RIG['CRL_ISSUER_PROXY']}", url],
        capture_output=True, text=True,
    )
    return out.stdout


SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}
SAYS = {"SIGINT": "interrupted (SIGINT)", "SIGTERM": "interrupted (SIGTERM)"}


def trial(stage, fault):
    reset()
    proc = spawn()
    callback = None
    if stage == "connecting":
        time.sleep(random.uniform(0, 0.05))
    else:
        url = wait_url(proc)
        if url is None:
            return False, "no URL"
        if stage == "during the callback":
            callback = subprocess.Popen(["curl", "-s", "-L", "-o", "/dev/null", "--max-time", "10", approve(url)])
            time.sleep(random.uniform(0, 0.15))
    if fault in SIGNALS:
        proc.send_signal(SIGNALS[fault])
    elif fault == "connection cut":
        ns("pkill", "-KILL", "-u", USER, "-x", "sshd")
    elif fault == "codex killed":
        ns("pkill", "-KILL", "-u", USER, "-f", "codex")
    try:
        _, stderr = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return False, "the tool did not end"
    if callback:
        callback.wait()
    problems = []
    text = stderr.decode(errors="replace")
    # During the callback the sign-in may win the race and finish: that is fine too.
    finished = proc.returncode == 0 and stage == "during the callback"
    if proc.returncode == 0 and not finished:
        problems.append("exit 0")
    if fault in SAYS and not finished:
        # Very early (before the handlers are set) the signal's default ends the process:
        # nothing had started anywhere. Otherwise the cancel is reported.
        if proc.returncode in (130, 143):
            if SAYS[fault] not in text:
                problems.append(f"no message ({text[-200:]!r})")
        elif stage != "connecting":
            problems.append(f"exit {proc.returncode} ({text[-200:]!r})")
    said = {"connection cut": "was lost", "codex killed": "failed (exit status"}.get(fault)
    if said and said not in text:
        problems.append(f"no message ({text[-200:]!r})")
    clean, left = clean_state()
    if not clean:
        problems.append(f"left behind: {left}")
    if not auth_ok():
        problems.append("auth.json truncated")
    if not no_temporaries():
        problems.append("temporary file left")
    return not problems, "; ".join(problems)


def main():
    rows = []
    plan = [(stage, fault) for stage in ("connecting", "waiting for the browser", "during the callback") for fault in SIGNALS]
    plan += [("waiting for the browser", "connection cut"), ("waiting for the browser", "codex killed")]
    for stage, fault in plan:
        passed, failures = 0, []
        for _ in range(N):
            ok, why = trial(stage, fault)
            passed += ok
            if not ok:
                failures.append(why)
        rows.append((stage, fault, N, passed, failures[:2]))
        print(f"{stage:<26} {fault:<16} {passed}/{N}" + (f"  e.g. {failures[0]}" if failures else ""), flush=True)
    reset()
    total = sum(r[2] for r in rows)
    ok = sum(r[3] for r in rows)
    print(f"\n{ok} passed, {total - ok} failed")
    sys.exit(0 if ok == total else 1)


if __name__ == "__main__":
    main()
