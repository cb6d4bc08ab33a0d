#!/usr/bin/env python3
"""Faults, each tried many times, with what must hold after every one of them checked.

Run by scripts/faults (which builds and brings the rig up). For each stage of a sign-in
(connecting, waiting for the browser, during the callback) and each of SIGINT, SIGTERM and
SIGKILL of the tool, plus the SSH connection cut and the host's codex killed while the
browser is awaited; then the same signals and the cut while a login is copied into four
containers (`containers`), and while a container signs in on its own (`--login-inside`,
waiting for the browser and during the callback): N runs each, and after each
  - no process of the user left on the host, nothing listening on 1455/1457 on either side
    (waited for, bounded: after SIGKILL the host notices the lost channel on its own),
  - nothing left running in a container but its own process,
  - every auth.json (the host's, each container's) absent, the old one or a complete new one,
    never truncated,
  - no temporary file of the tool left on the host (`.auth.json.crl-*`, `crl-ca.*`,
    `crl-errs.*`, `crl-login.*`) or in a container (`.auth.json.crl-*`),
  - a non-zero exit, and for SIGINT/SIGTERM/cut/killed a message that says what happened
    (a run that finished before the fault landed may exit 0).
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
    return not any(t in out.stdout for t in (".auth.json.crl-", "crl-ca.", "crl-errs.", "crl-login."))


def reset():
    ns("pkill", "-KILL", "-u", USER)
    clean_state()
    ns("rm", "-rf", f"/home/{USER}/.codex")


def spawn(*args):
    env = dict(os.environ, BROWSER="/bin/true")
    return subprocess.Popen(
        ["setsid", TOOL, "-F", os.path.join(DIR, "ssh_config"), "--json", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )


# Containers on the rig's host and where each one's user keeps its login. crl-dev and crl-root
# take the copy through a shell (temporary file and rename); crl-stopped by the engine's
# archive copy.
CONTAINERS = {"crl-dev": ("/home/dev/.codex", 1000), "crl-root": ("/root/.codex", 0), "crl-stopped": ("/home/dev/.codex", 1000)}


def login(refresh, when):
    return json.dumps({"auth_mode": "chatgpt", "last_refresh": when,
                       "tokens": {"account_id": "acct-faults", "access_token": f"access-{refresh}", "refresh_token": refresh}})


OLD, NEW = login("old-refresh", "2026-01-01T00:00:00Z"), login("new-refresh", "2026-02-01T00:00:00Z")


def mounted(container):
    """The container's root filesystem as seen from here (root's podman mounts it)."""
    return subprocess.run(["podman", "mount", container], capture_output=True, text=True, check=True).stdout.strip()


def containers_reset():
    """Each container back to holding OLD (0600, its user's), no backup or temporary file."""
    for name, (home, uid) in CONTAINERS.items():
        d = mounted(name) + home
        subprocess.run(["rm", "-rf", d], check=True)
        os.makedirs(d, mode=0o700)
        with open(os.path.join(d, "auth.json"), "w") as f:
            f.write(OLD)
        os.chmod(os.path.join(d, "auth.json"), 0o600)
        for path in (d, os.path.join(d, "auth.json")):
            os.chown(path, uid, uid)


def containers_state(allowed):
    """What is wrong in the containers: a login that is neither one of `allowed` (None: any
    complete JSON) nor absent, a temporary file, a process besides the container's own."""
    problems = []
    for name, (home, _) in CONTAINERS.items():
        d = mounted(name) + home
        try:
            body = open(os.path.join(d, "auth.json")).read()
            if allowed is None:
                json.loads(body)
            elif body not in allowed:
                problems.append(f"{name}: auth.json is neither the old nor the new login ({len(body)} bytes)")
        except FileNotFoundError:
            pass
        except ValueError:
            problems.append(f"{name}: auth.json truncated")
        if os.path.isdir(d) and any(f.startswith(".auth.json.crl-") for f in os.listdir(d)):
            problems.append(f"{name}: temporary file left")
    return problems


def container_processes(deadline=10):
    """Processes left in the running containers besides each one's own (waited for, bounded)."""
    end = time.monotonic() + deadline
    while True:
        extra = []
        for name in ("crl-dev", "crl-root"):
            # Zombies are not running: codex never waits for the $BROWSER it spawns, and a
            # container whose PID 1 is not an init (here `sleep`) never reaps it.
            top = subprocess.run(["podman", "top", name, "pid", "state", "args"], capture_output=True, text=True).stdout
            extra += [f"{name}: {line.strip()}" for line in top.splitlines()[1:] if line.split()[0] != "1" and line.split()[1] != "Z"]
        if not extra or time.monotonic() > end:
            return extra
        time.sleep(0.05)


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


# How long a copy into the containers takes here, start to end: the faults land anywhere in it.
COPY_SECONDS = float(os.environ.get("CRL_FAULTS_COPY_SECONDS", "1.2"))


# How many runs finished before their fault landed (counted per row).
FINISHED = [0]


def host_login(body):
    ns("runuser", "-u", USER, "--", "sh", "-c", 'umask 077 && mkdir -p ~/.codex && printf %s "$1" > ~/.codex/auth.json', "sh", body)


def trial(scenario, stage, fault):
    reset()
    if scenario == "sign-in":
        proc = spawn("rig", "--no-browser")
    elif scenario == "containers":
        host_login(NEW)
        containers_reset()
        proc = spawn("containers", "rig", *CONTAINERS)
    else:
        containers_reset()
        proc = spawn("containers", "rig", "crl-dev", "--login-inside")
    callback = None
    if stage == "connecting":
        time.sleep(random.uniform(0, 0.05))
    elif stage == "copying":
        time.sleep(random.uniform(0, COPY_SECONDS))
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
    # During the callback or a copy the tool may win the race and finish: that is fine too.
    finished = proc.returncode == 0 and stage in ("during the callback", "copying")
    FINISHED[0] += finished
    if proc.returncode == 0 and not finished:
        problems.append("exit 0")
    if fault in SAYS and not finished:
        # Very early (before the handlers are set) the signal's default ends the process:
        # nothing had started anywhere. Otherwise the cancel is reported.
        if proc.returncode in (130, 143):
            if SAYS[fault] not in text:
                problems.append(f"no message ({text[-200:]!r})")
        elif stage not in ("connecting", "copying"):
            problems.append(f"exit {proc.returncode} ({text[-200:]!r})")
    said = {"connection cut": "was lost", "codex killed": "failed (exit status"}.get(fault)
    if said and not finished and said not in text:
        problems.append(f"no message ({text[-200:]!r})")
    clean, left = clean_state()
    if not clean:
        problems.append(f"left behind: {left}")
    if scenario != "sign-in":
        extra = container_processes()
        if extra:
            problems.append(f"left running: {extra}")
        problems += containers_state({OLD, NEW} if scenario == "containers" else None)
    if not auth_ok():
        problems.append("auth.json truncated")
    if not no_temporaries():
        problems.append("temporary file left")
    return not problems, "; ".join(problems)


def main():
    rows = []
    cut = list(SIGNALS) + ["connection cut"]
    plan = [("sign-in", stage, fault) for stage in ("connecting", "waiting for the browser", "during the callback") for fault in SIGNALS]
    plan += [("sign-in", "waiting for the browser", "connection cut"), ("sign-in", "waiting for the browser", "codex killed")]
    plan += [("containers", "copying", fault) for fault in cut]
    plan += [("login inside", stage, fault) for stage in ("waiting for the browser", "during the callback") for fault in cut]
    only = os.environ.get("CRL_FAULTS_ONLY")
    for scenario, stage, fault in plan:
        if only and only != scenario:
            continue
        passed, failures = 0, []
        FINISHED[0] = 0
        for _ in range(N):
            ok, why = trial(scenario, stage, fault)
            passed += ok
            if not ok:
                failures.append(why)
        rows.append((scenario, stage, fault, N, passed))
        first = f" ({FINISHED[0]} finished before the fault)" if FINISHED[0] else ""
        print(f"{scenario:<13} {stage:<24} {fault:<15} {passed}/{N}{first}" + (f"  e.g. {failures[0]}" if failures else ""), flush=True)
    reset()
    total = sum(r[3] for r in rows)
    ok = sum(r[4] for r in rows)
    print(f"\n{ok} passed, {total - ok} failed")
    sys.exit(0 if ok == total else 1)


if __name__ == "__main__":
    main()
