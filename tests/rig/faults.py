#!/usr/bin/env python3
"""Faults, each landed many times in the stage it names, with what must hold after every one
of them checked.

Run by scripts/faults. The stages: a browser sign-in while connecting, while waiting for the
browser and during the callback (SIGINT, SIGTERM, SIGKILL of the tool; the SSH connection cut
and the host's codex killed while the browser is awaited); `--paste` while waiting for the
pasted address and while delivering it; `--device-auth` while waiting for the approval; a login
copied into three containers (`containers`), signed in inside one (`--login-inside`), pushed to
the host (`push`) and collected back from containers (`collect`).

Where a fault lands is measured, not assumed: each run's `--json` events are read as they come,
timed, and so are the steps this script takes (the callback sent, the address pasted); the
stage a fault landed in is the last milestone reached before it. A trial counts for its row only
when the fault landed in the stage the row names. Each row runs until N trials landed there, or
gives up after a bounded number of attempts; the random delay before a fault adapts to the
window it aims at. After every trial, landed or not:
  - no process of the user left on the host, nothing listening on 1455/1457 on either side
    (waited for, bounded: after SIGKILL the host notices the lost channel on its own),
  - nothing left running in a container but its own process,
  - every auth.json (the host's, each container's) absent, the old one or a complete new one,
    never truncated,
  - no temporary file of the tool left on the host (in /tmp, or beside auth.json) or in a
    container,
  - a non-zero exit, and for SIGINT/SIGTERM/cut/killed a message that says what happened
    (a run that finished before the fault landed, or won the race with it, may exit 0),
  - for the sign-ins (which start on a host that holds a login the issuer minted, and inside
    a container, a copy of it): after a sign-in that did not finish, the host's previous login
    alive at the issuer and the host holding a live login (the previous one unchanged, or the
    new one where the fault landed after the tool told the host to put it in place); after
    `--login-inside`, finished or not, the host's login alive.
Prints, per row, the trials landed and passed, the previous logins found alive, and where the
missed ones landed.

    faults.py [N]        N landed trials per row (default 20)
    CRL_FAULTS_ONLY=push faults.py 2     only the rows of one scenario
    CRL_FAULTS_SSH=openssh faults.py     every run over the user's OpenSSH (`--ssh openssh`):
                         then no `ssh` of the tool's (its master, the clients riding it, the
                         watchman) and no private directory of it may be left on this side
"""
import functools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request

from tokens import jwt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RIG = dict(l.split("=", 1) for l in open(os.environ.get("CRL_RIG", "/tmp/crl-rig/rig.env")).read().split())
DIR, NS = RIG["CRL_RIG_DIR"], RIG["CRL_RIG_NS"]
TOOL = os.environ.get("CRL_BIN", os.path.join(ROOT, "target", "debug", "codex-remote-login"))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 20
SSH = os.environ.get("CRL_FAULTS_SSH", "builtin")
# Attempts per row before giving up on landing N: enough for windows a few tens of ms wide.
ATTEMPTS = int(os.environ.get("CRL_FAULTS_ATTEMPTS", str(max(4 * N, N + 10))))
USER = "crl-alice"
HOME = f"/home/{USER}/.codex"


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


def openssh_leftovers():
    """What the OpenSSH transport left on this side: processes of a master the tool started
    (its `ssh`, the clients riding it, the watchman: each names the private directory) and
    those directories."""
    procs = subprocess.run(["pgrep", "-a", "-f", r"crl-ssh\."], capture_output=True, text=True).stdout.split("\n")
    left = [p[:100] for p in procs if p.strip()]
    return left + [f"/tmp/{f}" for f in os.listdir("/tmp") if f.startswith("crl-ssh.")]


def clean_state(deadline=10):
    """Whether the rig returns to clean within `deadline` seconds, and what was left."""
    end = time.monotonic() + deadline
    while True:
        left = user_processes(), listeners(), openssh_leftovers()
        if not any(left):
            return True, ""
        if time.monotonic() > end:
            return False, f"processes {left[0]} listeners {left[1]!r} here {left[2]}"
        time.sleep(0.05)


def auth_ok(allowed=None):
    """The host's auth.json is absent or complete JSON (one of `allowed`, when given)."""
    out = ns("cat", f"{HOME}/auth.json")
    if out.returncode != 0:
        return True
    try:
        json.loads(out.stdout)
    except ValueError:
        return False
    return allowed is None or out.stdout in allowed


def temporaries():
    """Temporary files left on the host: the shim's directories in /tmp, the tool's files
    beside auth.json (anything named after it or after the tool but its backups and locks),
    and codex's own (`.auth-*`, which it renames into auth.json: left when codex is killed
    between writing and renaming it, and holding fresh tokens). codex's own directories
    (`tmp`, `log`) are not temporaries."""
    left = [f"/tmp/{f}" for f in os.listdir("/tmp") if f.startswith(("crl-ca.", "crl-errs.", "crl-login."))]
    for name in ns("ls", "-A", HOME).stdout.split():
        if name == "auth.json" or name.startswith("auth.json.bak-") or name.endswith(".lock"):
            continue
        if name.startswith(".auth-"):
            left.append(f"{HOME}/{name} (codex's)")
        elif name.startswith(("auth.json", ".auth")) or "crl" in name:
            left.append(f"{HOME}/{name}")
    return left


def reset():
    ns("pkill", "-KILL", "-u", USER)
    clean_state()
    ns("rm", "-rf", HOME)


def login(refresh, when):
    """A ChatGPT login whose id_token and access_token agree on the user and the account, as
    the issuer's do: `collect` may take it."""
    auth = {"chatgpt_account_id": "acct-faults", "chatgpt_user_id": "user-faults", "chatgpt_plan_type": "plus"}
    common = {"iss": "https://auth.openai.com", "sub": "user-faults", "iat": 1767225600, "exp": 4102444800}
    tokens = {
        "id_token": jwt({**common, "email": "faults@rig.test", "https://api.openai.com/auth": auth}),
        "access_token": jwt({**common, "https://api.openai.com/auth": auth, "jti": refresh}),
        "refresh_token": refresh,
        "account_id": "acct-faults",
    }
    return json.dumps({"auth_mode": "chatgpt", "OPENAI_API_KEY": None, "tokens": tokens, "last_refresh": when})


OLD, NEW = login("old-refresh", "2026-01-01T00:00:00Z"), login("new-refresh", "2026-02-01T00:00:00Z")
# What `containers` writes into a container from NEW: an access-only copy (no refresh token).
NEW_COPY = json.dumps({**json.loads(NEW), "tokens": {**json.loads(NEW)["tokens"], "refresh_token": ""}})
PUSHED = os.path.join(DIR, "faults-push.json")


def issuer(path, body=None):
    """The rig issuer's own answer to `path` (a plain request to its proxy), as JSON."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://{RIG['CRL_ISSUER_PROXY']}{path}", data=data,
                                     headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as reply:
        return json.loads(reply.read())


def minted_login():
    """A login the issuer minted (alive there), as an auth.json."""
    tokens = issuer("/__mint")
    tokens["account_id"] = "acct-rig"
    return json.dumps({"auth_mode": "chatgpt", "OPENAI_API_KEY": None, "tokens": tokens,
                       "last_refresh": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})


def alive(body):
    """Whether the refresh token of the login `body` is alive at the issuer."""
    token = json.loads(body)["tokens"]["refresh_token"]
    return issuer("/__state", {"tokens": [token]}).get(token) == "alive"


# The sign-ins, which start with a previous login on the host that must outlive them.
SIGN_INS = ("sign-in", "paste", "device code", "login inside")
PREVIOUS = None


def host_login(body):
    ns("runuser", "-u", USER, "--", "sh", "-c", 'umask 077 && mkdir -p ~/.codex && printf %s "$1" > ~/.codex/auth.json', "sh", body)


# Containers on the rig's host and where each one's user keeps its login. crl-dev and crl-root
# take the copy through a shell (temporary file and rename); crl-stopped by the engine's
# archive copy.
CONTAINERS = {"crl-dev": ("/home/dev/.codex", 1000), "crl-root": ("/root/.codex", 0), "crl-stopped": ("/home/dev/.codex", 1000)}


def mounted(container):
    """The container's root filesystem as seen from here (root's podman mounts it)."""
    return subprocess.run(["podman", "mount", container], capture_output=True, text=True, check=True).stdout.strip()


def containers_reset(body=OLD):
    """Each container back to holding `body` (0600, its user's), no backup or temporary file."""
    for name, (home, uid) in CONTAINERS.items():
        d = mounted(name) + home
        subprocess.run(["rm", "-rf", d], check=True)
        os.makedirs(d, mode=0o700)
        with open(os.path.join(d, "auth.json"), "w") as f:
            f.write(body)
        os.chmod(os.path.join(d, "auth.json"), 0o600)
        for path in (d, os.path.join(d, "auth.json")):
            os.chown(path, uid, uid)


def containers_state(allowed):
    """What is wrong in the containers: a login that is neither one of `allowed` (as JSON;
    None: any complete JSON) nor absent, a temporary file."""
    problems = []
    for name, (home, _) in CONTAINERS.items():
        d = mounted(name) + home
        try:
            body = json.loads(open(os.path.join(d, "auth.json")).read())
            if allowed is not None and body not in [json.loads(a) for a in allowed]:
                problems.append(f"{name}: auth.json is none of the logins it may hold")
        except FileNotFoundError:
            pass
        except ValueError:
            problems.append(f"{name}: auth.json truncated")
        if os.path.isdir(d) and any(f.startswith(".auth.json") for f in os.listdir(d)):
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


def approve(url):
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{redirect_url}", "-k", "--proxy", f"http://{RIG['CRL_ISSUER_PROXY']}", url],
        capture_output=True, text=True,
    )
    return out.stdout


@functools.lru_cache(maxsize=None)
def collect_yes():
    """`--yes` where `collect` has it (it asks before replacing the host's login)."""
    out = subprocess.run([TOOL, "collect", "--help"], capture_output=True, text=True)
    return ("--yes",) if "--yes" in out.stdout + out.stderr else ()


class Run:
    """One run of the tool with `--json`: its events, and the moments they (and this script's
    own steps) happened, to tell where a fault landed."""

    def __init__(self, *args, stdin=False):
        env = dict(os.environ, BROWSER="/bin/true")
        self.proc = subprocess.Popen(
            ["setsid", TOOL, "-F", os.path.join(DIR, "ssh_config"), "--ssh", SSH, "--json", *args],
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        self.cond = threading.Condition()
        self.marks = []  # (moment, milestone): each event type, its k-th as `type#k`, our steps
        self.events = []
        self.eof = False
        self.fault_at = None
        self.exited_before = False
        self.err = []
        self.readers = [threading.Thread(target=self.read_out, daemon=True), threading.Thread(target=self.read_err, daemon=True)]
        for r in self.readers:
            r.start()

    def read_out(self):
        for line in self.proc.stdout:
            now = time.monotonic()
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self.cond:
                self.events.append(event)
                count = sum(e.get("type") == event.get("type") for e in self.events)
                self.marks += [(now, event.get("type")), (now, f"{event.get('type')}#{count}")]
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def read_err(self):
        # Step lines (plain lines off a terminal) mark what `--json` has no event for.
        for line in self.proc.stderr:
            now = time.monotonic()
            self.err.append(line)
            text = line.decode(errors="replace")
            with self.cond:
                self.marks += [(now, name) for step, name in STEP_LINES.items() if text.startswith(step)]
                self.cond.notify_all()

    def mark(self, name):
        with self.cond:
            self.marks.append((time.monotonic(), name))

    def wait_for(self, kind, timeout=60):
        """The first event of type `kind`, or None when the run ends (or `timeout`) first."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                found = next((e for e in self.events if e.get("type") == kind), None)
                if found or self.eof or time.monotonic() > end:
                    return found
                self.cond.wait(0.1)

    def wait_mark(self, milestone, timeout=60):
        """Whether `milestone` was reached before the run ended (or `timeout`)."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                if any(name == milestone for _, name in self.marks):
                    return True
                if self.eof and self.proc.poll() is not None or time.monotonic() > end:
                    return False
                self.cond.wait(0.1)

    def fault(self, fault):
        self.exited_before = self.proc.poll() is not None
        self.fault_at = time.monotonic()
        if fault in SIGNALS:
            if not self.exited_before:
                self.proc.send_signal(SIGNALS[fault])
        elif fault == "connection cut":
            ns("pkill", "-KILL", "-u", USER, "-x", "sshd")
        elif fault == "codex killed":
            ns("pkill", "-KILL", "-u", USER, "-f", "codex")

    def reached(self):
        """The milestones reached before the fault."""
        with self.cond:
            seen = {name for at, name in self.marks if self.fault_at is None or at < self.fault_at}
        if self.exited_before:
            seen.add("exited")
        return seen

    def finish(self, timeout=30):
        """The exit code and stderr; None when the tool did not end."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None, ""
        for r in self.readers:
            r.join(5)
        return self.proc.returncode, b"".join(self.err).decode(errors="replace")


SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}
SAYS = {"SIGINT": "interrupted (SIGINT)", "SIGTERM": "interrupted (SIGTERM)"}
# The tool's step lines that mark a milestone: where a command starts the work in flight.
STEP_LINES = {
    "Copying the login of": "copy started",
    "Copying auth.json to": "push sent",
    "Reading the logins in the containers": "reading",
}

# Per scenario: its stages in order, each entered when its milestone (an event type, `type#k`
# for the k-th, or a step of this script) was reached; "exited" ends every scenario.
STAGES = {
    "sign-in": [
        ("connecting", None), ("starting codex", "connected"), ("waiting for the browser", "url"),
        ("during the callback", "callback sent"), ("confirming", "callback"), ("after the sign-in", "success"),
    ],
    "paste": [
        ("connecting", None), ("starting codex", "connected"), ("waiting for the pasted URL", "url"),
        ("delivering the pasted URL", "pasted"), ("confirming", "callback"), ("after the sign-in", "success"),
    ],
    "device code": [
        ("connecting", None), ("starting codex", "connected"), ("waiting for the approval", "device_code"),
        ("after the sign-in", "success"),
    ],
    "containers": [("connecting", None), ("copying", "copy started"), ("after the copies", "container")],
    "login inside": [
        ("connecting", None), ("starting codex", "connected"), ("waiting for the browser", "url"),
        ("during the callback", "callback sent"), ("confirming", "callback"), ("after the sign-in", "success"),
    ],
    "push": [("connecting and checking", None), ("pushing", "push sent"), ("after the push", "pushed")],
    "collect": [("connecting", None), ("collecting", "reading"), ("after the collect", "collected")],
}
# Stages in which the tool may win the race with the fault and finish its work: an exit 0 is
# then right, as long as what it wrote is whole.
RACED = {"during the callback", "delivering the pasted URL", "copying", "pushing", "collecting", "confirming"}
# Stages of commands that leave SIGINT/SIGTERM to their default action: a quiet end is fine
# there, nothing having been started that outlives the tool.
QUIET = {"connecting", "connecting and checking", "copying", "pushing", "collecting",
         # and once their work is done, while they close the connection (longer over OpenSSH,
         # whose master is asked to exit)
         "after the copies", "after the push", "after the collect"}


def landing(run, scenario):
    reached = run.reached()
    if "exited" in reached:
        return "exited before the fault"
    stage = STAGES[scenario][0][0]
    for name, milestone in STAGES[scenario][1:]:
        if milestone in reached:
            stage = name
    return stage


def start(scenario):
    """Puts the rig in the scenario's starting state and starts the tool."""
    global PREVIOUS
    reset()
    if scenario in SIGN_INS:
        PREVIOUS = minted_login()
        host_login(PREVIOUS)
    if scenario == "sign-in":
        return Run("rig", "--no-browser")
    if scenario == "paste":
        return Run("rig", "--paste", stdin=True)
    if scenario == "device code":
        return Run("rig", "--device-auth")
    if scenario == "containers":
        host_login(NEW)
        containers_reset()
        return Run("containers", "rig", *CONTAINERS)
    if scenario == "login inside":
        containers_reset(PREVIOUS)
        return Run("containers", "rig", "crl-dev", "--login-inside")
    if scenario == "push":
        host_login(OLD)
        with open(PUSHED, "w") as f:
            f.write(NEW)
        return Run("push", "rig", "--from", PUSHED)
    if scenario == "collect":
        host_login(OLD)
        containers_reset(OLD)
        d = mounted("crl-dev") + CONTAINERS["crl-dev"][0]
        with open(os.path.join(d, "auth.json"), "w") as f:
            f.write(NEW)
        return Run("collect", "rig", "crl-dev", "crl-root", *collect_yes())
    raise ValueError(scenario)


# Stages entered at a milestone other than the sign-in URL.
ENTRY = {"copying": "copy started", "pushing": "push sent", "collecting": "reading", "waiting for the approval": "device_code"}


def drive(run, stage, delay):
    """Takes the run to the entry of `stage`, then waits up to `delay` (uniformly drawn).
    False when the run never got there."""
    side = None
    if stage == "connecting":
        pass
    elif stage in ENTRY:
        if not run.wait_mark(ENTRY[stage]):
            return False, side
    else:
        url = run.wait_for("url")
        if url is None:
            return False, side
        if stage == "during the callback":
            callback = approve(url["url"])
            run.mark("callback sent")
            side = subprocess.Popen(["curl", "-s", "-L", "-o", "/dev/null", "--max-time", "10", callback])
        elif stage == "delivering the pasted URL":
            callback = approve(url["url"])
            run.proc.stdin.write(f"{callback}\n".encode())
            run.proc.stdin.flush()
            run.mark("pasted")
    time.sleep(random.uniform(0, delay))
    return True, side


def previous_alive(scenario, code):
    """For a sign-in that did not finish (and for `--login-inside` however it ended): whether
    the host's previous login is alive at the issuer, and the host holds a live login: the
    previous one, unchanged, or (where the fault landed after the tool had told the host to
    put the new one in place) the new one, the previous one then kept, not revoked. None where
    there is nothing to check (the sign-in finished and replaced it, or no sign-in)."""
    if scenario not in SIGN_INS or (code == 0 and scenario != "login inside"):
        return None
    out = ns("cat", f"{HOME}/auth.json")
    if out.returncode != 0 or not alive(PREVIOUS):
        return False
    return out.stdout == PREVIOUS or alive(out.stdout)


def check(scenario, fault, run, code, text):
    """What is wrong after the trial, and whether the previous login is alive (see
    previous_alive)."""
    problems = []
    if code is None:
        return ["the tool did not end"], None
    where = landing(run, scenario)
    won = code == 0 and (run.exited_before or where in RACED or where.startswith("after"))
    if code == 0 and not won:
        problems.append("exit 0")
    if fault in SAYS and not won and not run.exited_before:
        # Very early (before the handlers are set) the signal's default ends the process:
        # nothing had started anywhere. Otherwise the cancel is reported.
        if code in (130, 143):
            if SAYS[fault] not in text:
                problems.append(f"no message ({text[-200:]!r})")
        elif where not in QUIET:
            problems.append(f"exit {code} ({text[-200:]!r})")
    said = {"connection cut": "was lost", "codex killed": "failed (exit status"}.get(fault)
    if said and not won and said not in text:
        problems.append(f"no message ({text[-200:]!r})")
    clean, left = clean_state()
    if not clean:
        problems.append(f"left behind: {left}")
    if scenario in ("containers", "login inside", "collect"):
        extra = container_processes()
        if extra:
            problems.append(f"left running: {extra}")
        allowed = {"containers": {OLD, NEW_COPY}, "collect": {OLD, NEW}}.get(scenario)
        problems += containers_state(allowed)
    if not auth_ok({OLD, NEW} if scenario in ("push", "collect") else None):
        problems.append("the host's auth.json is truncated or neither the old nor the new one")
    left = temporaries()
    if left:
        problems.append(f"temporary files left: {left}")
    kept = previous_alive(scenario, code)
    if kept is False:
        problems.append("the host's previous login was lost, changed or revoked")
    return problems, kept


def trial(scenario, stage, fault, delay):
    run = start(scenario)
    reached, side = drive(run, stage, delay)
    if not reached:
        run.proc.kill()
        code, text = run.finish()
        return "never got there", [f"the run never reached {stage} (exit {code}): {text[-300:]!r}"], None
    run.fault(fault)
    code, text = run.finish()
    if side:
        side.wait()
    return (landing(run, scenario), *check(scenario, fault, run, code, text))


# Where the random delay before the fault starts, per stage (seconds): it then adapts.
DELAY = {
    "connecting": 0.05, "waiting for the browser": 0.1, "during the callback": 0.15, "waiting for the pasted URL": 0.1,
    "delivering the pasted URL": 0.1, "waiting for the approval": 0.1, "copying": 1.0, "pushing": 0.3, "collecting": 0.8,
}


def row(scenario, stage, fault):
    """Runs trials until N landed in `stage` (or ATTEMPTS ran out): (landed, passed, the
    previous logins checked and found alive among the landed, missed by where they landed,
    failures)."""
    order = [name for name, _ in STAGES[scenario]]
    delay = DELAY[stage]
    landed = passed = attempts = 0
    kept = [0, 0]
    missed, failures = {}, []
    while landed < N and attempts < ATTEMPTS:
        attempts += 1
        where, problems, alive_after = trial(scenario, stage, fault, delay)
        if problems:
            failures.append(f"[{where}] " + "; ".join(problems))
        if where == stage:
            landed += 1
            passed += not problems
            if alive_after is not None:
                kept[0] += alive_after
                kept[1] += 1
            continue
        missed[where] = missed.get(where, 0) + 1
        # Too late: aim earlier; too early: later.
        if where in order and order.index(where) < order.index(stage):
            delay *= 1.5
        else:
            delay *= 0.6
    return landed, passed, kept, missed, failures


def plan():
    signals = list(SIGNALS)
    cut = signals + ["connection cut"]
    rows = [("sign-in", stage, fault) for stage in ("connecting", "waiting for the browser", "during the callback") for fault in signals]
    rows += [("sign-in", "waiting for the browser", "connection cut"), ("sign-in", "waiting for the browser", "codex killed")]
    rows += [("paste", stage, fault) for stage in ("waiting for the pasted URL", "delivering the pasted URL") for fault in cut]
    rows += [("device code", "waiting for the approval", fault) for fault in cut]
    rows += [("containers", "copying", fault) for fault in cut]
    rows += [("login inside", stage, fault) for stage in ("waiting for the browser", "during the callback") for fault in cut]
    rows += [("push", "pushing", fault) for fault in cut]
    rows += [("collect", "collecting", fault) for fault in cut]
    return rows


def main():
    only = os.environ.get("CRL_FAULTS_ONLY")
    results = []
    print(f"transport: --ssh {SSH}\n", flush=True)
    print(f"{'scenario':<13} {'stage':<26} {'fault':<15} landed  passed  prev alive  missed (where they landed)", flush=True)
    for scenario, stage, fault in plan():
        if only and only != scenario:
            continue
        landed, passed, kept, missed, failures = row(scenario, stage, fault)
        results.append((landed, passed, failures))
        where = ", ".join(f"{n} {w}" for w, n in missed.items()) or "-"
        short = "" if landed == N else f"  ONLY {landed} OF {N} LANDED"
        prev = f"{kept[0]:>2}/{kept[1]:<4}" if kept[1] else "   -   "
        print(
            f"{scenario:<13} {stage:<26} {fault:<15} {landed:>2}/{N:<4} {passed:>2}/{landed:<4} {prev}     {sum(missed.values()):>2} ({where}){short}"
            + (f"\n    e.g. {failures[0]}" if failures else ""),
            flush=True,
        )
    reset()
    landed = sum(r[0] for r in results)
    passed = sum(r[1] for r in results)
    failed = sum(len(r[2]) for r in results)
    short = sum(r[0] < N for r in results)
    print(f"\n{landed} landed in their stage, {passed} of them passed; {failed} trials failed a check; {short} rows short of {N}")
    sys.exit(0 if failed == 0 and short == 0 else 1)


if __name__ == "__main__":
    main()
