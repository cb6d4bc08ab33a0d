#!/usr/bin/env python3
"""Benchmarks on the rig, at real network latency, side by side with the manual way.

Run by scripts/bench (which builds the release binary and brings the rig up). A user-space
delay proxy sits between the client and the rig's sshd; both this tool and OpenSSH's client go
through it, with the same config, keys and known_hosts. Medians of several runs. Writes
BENCHMARKS.md and benchmarks.json in the repository root.
"""
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RIG = dict(l.split("=", 1) for l in open(os.environ.get("CRL_RIG", "/tmp/crl-rig/rig.env")).read().split())
DIR, NS = RIG["CRL_RIG_DIR"], RIG["CRL_RIG_NS"]
TOOL = os.environ.get("CRL_BENCH_BIN", os.path.join(ROOT, "target", "release", "codex-remote-login"))
CONFIG = os.path.join(DIR, "bench_config")
PROXY_PORT = 2300
RUNS = {0: 7, 50: 7, 200: 5}
URL = re.compile(rb"^\s*(https://auth\.openai\.com/oauth/authorize\?\S+)", re.M)
# The manual way, as fair as ours: codex from the login shell's PATH, and BROWSER=true as our
# shim sets it (the rig's host has Chromium, which codex would otherwise try first).
MANUAL = 'bash -lc "BROWSER=true codex login"'


def write_config():
    hosts = " ".join(["bench"] + [f"bench{i}" for i in range(1, 11)])
    with open(CONFIG, "w") as f:
        f.write(
            f"Host {hosts}\n"
            f"    HostName 127.0.0.1\n    Port {PROXY_PORT}\n    HostKeyAlias [{RIG['CRL_RIG_HOST_IP']}]:2222\n"
            f"    User crl-alice\n    IdentityFile {DIR}/id_ed25519\n    IdentitiesOnly yes\n    IdentityAgent none\n"
            f"    UserKnownHostsFile {DIR}/known_hosts\n    GlobalKnownHostsFile /dev/null\n    StrictHostKeyChecking yes\n"
        )


class Proxy:
    def __init__(self, rtt):
        self.rtt = rtt
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tests", "rig", "delay_proxy.py"), str(PROXY_PORT), RIG["CRL_RIG_HOST_IP"], "2222", str(rtt)],
            stdout=subprocess.PIPE,
        )
        assert self.proc.stdout.readline().strip() == b"ready"

    def turns(self, reset=False):
        path = "/reset" if reset else "/turns"
        return json.load(urllib.request.urlopen(f"http://127.0.0.1:{PROXY_PORT + 1}{path}"))["turns"]

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def host_clean():
    """Waits until no codex runs for crl-alice on the host (the manual way leaves it running)."""
    subprocess.run(["ip", "netns", "exec", NS, "pkill", "-u", "crl-alice", "-f", "codex"])
    deadline = time.monotonic() + 10
    while subprocess.run(["ip", "netns", "exec", NS, "pgrep", "-u", "crl-alice", "-f", "codex"], stdout=subprocess.DEVNULL).returncode == 0:
        if time.monotonic() > deadline:
            raise SystemExit("codex did not end on the host")
        time.sleep(0.02)
    subprocess.run(["ip", "netns", "exec", NS, "rm", "-rf", "/home/crl-alice/.codex"])


def wait_url(proc):
    seen = b""
    while True:
        m = URL.search(seen)
        if m and seen.endswith(b"\n"):
            return m.group(1).decode()
        chunk = proc.stderr.read1(65536)
        if not chunk:
            raise SystemExit(f"no URL: {seen.decode(errors='replace')}")
        seen += chunk


def approve(url):
    """The issuer's answer to an approval: the callback address (no browser needed)."""
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{redirect_url}", "-k", "--proxy", f"http://{RIG['CRL_ISSUER_PROXY']}", url],
        capture_output=True, text=True, check=True,
    )
    return out.stdout


def ours(*extra):
    return [TOOL, "-F", CONFIG, "bench", "--no-browser", *extra]


def manual(*extra):
    return ["ssh", "-F", CONFIG, *extra, "bench", MANUAL]


def time_to_url(argv, proxy):
    host_clean()
    proxy.turns(reset=True)
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_url(proc)
    elapsed = time.monotonic() - start
    turns = proxy.turns()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=20)
    return elapsed, turns


class PeakRss:
    """The process's own high-water mark (VmHWM), read while it runs: rusage's ru_maxrss
    would include the forked Python's pages from before the exec."""

    def __init__(self, pid):
        self.pid, self.peak, self.done = pid, 0, False
        self.thread = threading.Thread(target=self.watch, daemon=True)
        self.thread.start()

    def watch(self):
        while not self.done:
            try:
                for line in open(f"/proc/{self.pid}/status"):
                    if line.startswith("VmHWM:"):
                        self.peak = max(self.peak, int(line.split()[1]))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                return
            time.sleep(0.005)

    def stop(self):
        self.done = True
        self.thread.join()
        return self.peak


def callback_to_done(argv):
    """From the browser's callback sent to exit; and the peak RSS of the process (KiB)."""
    host_clean()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    rss = PeakRss(proc.pid)
    callback = approve(wait_url(proc))
    start = time.monotonic()
    subprocess.run(["curl", "-s", "-L", "-o", "/dev/null", "--max-time", "30", callback], check=True)
    proc.wait()
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, f"{argv[0]} exited {proc.returncode}"
    return elapsed, rss.stop()


FAN = [f"crl-fan-{i}" for i in range(1, 21)]


class Fan:
    """Twenty running containers on the host (root's podman, reached through the docker CLI as
    in the tests) and a login on the host to copy into them."""

    def __enter__(self):
        for name in FAN:
            subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True)
            subprocess.run(["podman", "run", "-d", "-q", "--name", name, "--user", "dev", "crl-test:latest", "sleep", "86400"], check=True, capture_output=True)
        return self

    def login(self):
        login = '{"auth_mode":"apikey","OPENAI_API_KEY":"sk-bench-fan-out"}'
        subprocess.run(["ip", "netns", "exec", NS, "runuser", "-u", "crl-alice", "--", "sh", "-c",
                        f"mkdir -p -m 700 ~/.codex && printf '%s' '{login}' > ~/.codex/auth.json"], check=True)

    def __exit__(self, *_):
        subprocess.run(["podman", "rm", "-f", "-t", "0", *FAN], capture_output=True)

    @staticmethod
    def engine(names):
        """The engine's own cost, the floor of any fan-out: a bare `docker exec -i` into each
        container, all at once, on the host itself (no SSH), as the tool's shim does them."""
        script = 'for c in "$@"; do docker exec -i -u dev "$c" sh -c "cat >/dev/null" </dev/null & done; wait'
        start = time.monotonic()
        subprocess.run(["ip", "netns", "exec", NS, "runuser", "-u", "crl-alice", "--", "sh", "-c", script, "sh", *names], check=True)
        return time.monotonic() - start

    @staticmethod
    def manual(names):
        """The manual recipe as a careful person writes it: one `ssh host 'for c in ...; do
        docker exec ... mkdir ...; docker cp ...; done'`, the host's own auth.json copied into
        each container in turn."""
        loop = (
            f"set -e; for c in {' '.join(names)}; do "
            'docker exec -u dev "$c" mkdir -p /home/dev/.codex; '
            'docker cp ~/.codex/auth.json "$c":/home/dev/.codex/auth.json; done'
        )
        start = time.monotonic()
        subprocess.run(["ssh", "-F", CONFIG, "bench", loop], check=True, capture_output=True)
        return time.monotonic() - start


USER_MASTER = os.path.join(DIR, "bench-master")


class UserMaster:
    """A ControlMaster of the user's for the bench host, open while in use."""

    def __enter__(self):
        subprocess.run(["ssh", "-F", CONFIG, "-o", "ControlMaster=yes", "-o", f"ControlPath={USER_MASTER}",
                        "-o", "ControlPersist=yes", "-N", "bench"], check=True)

    def __exit__(self, *_):
        subprocess.run(["ssh", "-F", CONFIG, "-o", f"ControlPath={USER_MASTER}", "-O", "exit", "bench"], capture_output=True)


def timed(argv):
    start = time.monotonic()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def median(values):
    return statistics.median(values)


def main():
    write_config()
    results = {"rtt": {}}
    fan = Fan().__enter__()
    for rtt, runs in RUNS.items():
        proxy = Proxy(rtt)
        try:
            r = {}
            ours_url = [time_to_url(ours(), proxy) for _ in range(runs)]
            manual_url = [time_to_url(manual(), proxy) for _ in range(runs)]
            r["time_to_url_s"] = {"ours": median([t for t, _ in ours_url]), "manual": median([t for t, _ in manual_url])}
            r["turns_to_url"] = {"ours": median([n for _, n in ours_url]), "manual": median([n for _, n in manual_url])}
            # The user's own OpenSSH as the transport: with a master of the tool's own, and
            # riding a live master of the user's (ControlMaster), which needs no new handshake.
            openssh_url = [time_to_url(ours("--ssh", "openssh"), proxy) for _ in range(runs)]
            with UserMaster():
                riding_url = [time_to_url(ours("-o", f"ControlPath={USER_MASTER}"), proxy) for _ in range(runs)]
            for name, samples in (("openssh", openssh_url), ("riding_master", riding_url)):
                r["time_to_url_s"][name] = median([t for t, _ in samples])
                r["turns_to_url"][name] = median([n for _, n in samples])
            ours_done = [callback_to_done(ours()) for _ in range(runs)]
            manual_done = [callback_to_done(manual("-L", "1455:127.0.0.1:1455")) for _ in range(runs)]
            r["callback_to_done_s"] = {"ours": median([t for t, _ in ours_done]), "manual": median([t for t, _ in manual_done])}
            r["peak_rss_kib"] = max(m for _, m in ours_done)
            # Connect, authenticate and one exec per host, all hosts at once: a sign-in of
            # several hosts up to its first launch (`--codex` naming nothing ends it there).
            stop = ["--codex", "/nonexistent/codex"]
            one = [timed([TOOL, "-F", CONFIG, "bench1", *stop]) for _ in range(runs)]
            ten = [timed([TOOL, "-F", CONFIG, *[f"bench{i}" for i in range(1, 11)], *stop]) for _ in range(runs)]
            r["preflight_s"] = {"1_host": median(one), "10_hosts": median(ten)}
            # `status` also starts codex on every host: on the rig the ten "hosts" share two cores.
            status = [TOOL, "-F", CONFIG, "status"]
            one = [timed(status + ["bench1"]) for _ in range(runs)]
            ten = [timed(status + [f"bench{i}" for i in range(1, 11)]) for _ in range(runs)]
            r["status_s"] = {"1_host": median(one), "10_hosts": median(ten)}
            # The host's login copied into 1 and into 20 containers on it: one exec either way.
            host_clean()
            fan.login()
            copy = [TOOL, "-F", CONFIG, "containers", "bench"]
            r["containers_s"] = {str(n): median([timed(copy + FAN[:n]) for _ in range(runs)]) for n in (1, 5, 20)}
            r["containers_manual_s"] = {str(n): median([Fan.manual(FAN[:n]) for _ in range(3)]) for n in (1, 5, 20)}
            host_clean()
            results["rtt"][str(rtt)] = r
            print(f"RTT {rtt} ms: {json.dumps(r)}", flush=True)
        finally:
            proxy.close()
    results["engine_exec_s"] = {str(n): median([Fan.engine(FAN[:n]) for _ in range(5)]) for n in (1, 20)}
    fan.__exit__()
    host_clean()
    results["binary_bytes"] = os.path.getsize(TOOL)
    results["version_startup_s"] = median([timed([TOOL, "--version"]) for _ in range(30)])
    results["machine"] = {
        "date": time.strftime("%Y-%m-%d"),
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "codex": subprocess.run([os.path.join(RIG["CRL_CODEX_PREFIX"], "node_modules", ".bin", "codex"), "--version"], capture_output=True, text=True).stdout.strip(),
        "openssh": subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip(),
    }
    # The keeper's figures come from scripts/keeper-bench, run apart (it takes ten minutes).
    try:
        results["keeper"] = json.load(open(os.path.join(ROOT, "benchmarks.json")))["keeper"]
    except (OSError, ValueError, KeyError):
        pass
    with open(os.path.join(ROOT, "benchmarks.json"), "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    write_markdown(results)


def write_markdown(results):
    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `scripts/bench` on {m['date']}: {m['cpus']} CPUs, Linux {m['kernel']}, {m['codex']}, {m['openssh']}.",
        "The rig's sshd behind a user-space delay proxy (each direction delayed by RTT/2); both this tool and",
        "OpenSSH's client go through it with the same config. Medians; raw figures in `benchmarks.json`.",
        "The manual way is `ssh HOST 'bash -lc \"BROWSER=true codex login\"'` (with `-L 1455:127.0.0.1:1455` for the callback):",
        "codex from the login shell's PATH, and no browser tried on the host, as with this tool.",
        "",
        "| RTT | time to URL: ours / manual (ratio) | round trips to URL: ours / manual | callback to done: ours / manual | preflight of 1 / 10 hosts | `status` of 1 / 10 hosts | peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for rtt, r in results["rtt"].items():
        t, n, c, p, st = r["time_to_url_s"], r["turns_to_url"], r["callback_to_done_s"], r["preflight_s"], r["status_s"]
        lines.append(
            f"| {rtt} ms | {t['ours'] * 1000:.0f} / {t['manual'] * 1000:.0f} ms ({t['ours'] / t['manual']:.2f}) "
            f"| {n['ours']:.0f} / {n['manual']:.0f} | {c['ours'] * 1000:.0f} / {c['manual'] * 1000:.0f} ms "
            f"| {p['1_host'] * 1000:.0f} / {p['10_hosts'] * 1000:.0f} ms ({p['10_hosts'] / p['1_host']:.2f}×) "
            f"| {st['1_host'] * 1000:.0f} / {st['10_hosts'] * 1000:.0f} ms ({st['10_hosts'] / st['1_host']:.2f}×) | {r['peak_rss_kib'] / 1024:.1f} MiB |"
        )
    lines += [
        "",
        "Through the user's own OpenSSH (`--ssh openssh`): with a master of the tool's own, and riding a live",
        "ControlMaster of the user's (the sign-in then needs no handshake and no authentication of its own).",
        "",
        "| RTT | time to URL: built-in / OpenSSH / riding a master / manual | round trips: the same | riding vs manual |",
        "|---|---|---|---|",
    ]
    for rtt, r in results["rtt"].items():
        t, n = r["time_to_url_s"], r["turns_to_url"]
        lines.append(
            f"| {rtt} ms | {t['ours'] * 1000:.0f} / {t['openssh'] * 1000:.0f} / {t['riding_master'] * 1000:.0f} / {t['manual'] * 1000:.0f} ms "
            f"| {n['ours']:.0f} / {n['openssh']:.0f} / {n['riding_master']:.0f} / {n['manual']:.0f} "
            f"| {t['riding_master'] / t['manual']:.2f} |"
        )
    lines += [
        "",
        "Copying the host's login into N containers on it: `containers HOST CTR...` (one connection, one exec) versus the",
        "manual loop, one connection too: `ssh HOST 'for c in CTR...; do docker exec $c mkdir ...; docker cp ~/.codex/auth.json $c:...; done'`.",
        "",
        "| RTT | ours: 1 / 5 / 20 containers (20 vs 1) | manual loop: 1 / 5 / 20 |",
        "|---|---|---|",
    ]
    for rtt, r in results["rtt"].items():
        f, m = r["containers_s"], r["containers_manual_s"]
        lines.append(
            f"| {rtt} ms | {f['1'] * 1000:.0f} / {f['5'] * 1000:.0f} / {f['20'] * 1000:.0f} ms ({f['20'] / f['1']:.2f}×) "
            f"| {m['1'] * 1000:.0f} / {m['5'] * 1000:.0f} / {m['20'] * 1000:.0f} ms |"
        )
    e = results["engine_exec_s"]
    lines += [
        "",
        f"The engine's own floor, on the host without SSH: 1 / 20 bare `docker exec -i`s at once take {e['1'] * 1000:.0f} / "
        f"{e['20'] * 1000:.0f} ms, so on this machine 20 containers cannot take less than {(e['20'] - e['1']) * 1000:.0f} ms",
        "more than one, whatever the RTT.",
    ]
    if "keeper" in results:
        k = results["keeper"]
        rr = k["refresh_round_ms"]
        med = lambda rows, i: statistics.median(r[i] for r in rows) if rows else float("nan")
        lines += [
            "",
            f"The keeper at scale (`scripts/keeper-bench`): the host and {k['containers']} containers, access tokens that live "
            f"{k['token_life_s']} s, the real codex in every container",
            f"running a model turn every {k['pace_s']} s with its access-only copy for {k['lifetimes']} lifetimes, the keeper on the host "
            "keeping the copies fresh; the issuer spends a refresh token on use.",
            "",
            "| runs in containers: ok / failed | containers logged out | refreshes: ok / reused / invalid | host's login | approvals | keeper CPU per round | issuer requests per refresh | a refreshing round, 20 containers: refresh + copies at 0 / 200 ms RTT to the issuer |",
            "|---|---|---|---|---|---|---|---|",
            f"| {k['runs_ok']} / {k['runs_failed']} | {k['containers_logged_out']} | {k['refreshes']['ok']} / {k['refreshes']['reused']} / "
            f"{k['refreshes']['invalid']} | {k['host_login']} | {k['approvals']} | {k['keeper_cpu_ms_per_round']:.0f} ms | "
            f"{k['issuer_requests_per_refresh']:.0f} | {med(rr['0'], 0):.0f} + {med(rr['0'], 1):.0f} / {med(rr['200'], 0):.0f} + "
            f"{med(rr['200'], 1):.0f} ms |",
            "",
            "\"reused\" is codex's \"refresh token was already used\"; \"invalid\" counts the containers' codex trying, as it",
            "does within 5 minutes of a token's end, to refresh with the empty refresh token of its copy: refused, and it",
            "goes on with the access token it has. With tokens this short every token is inside codex's own 5-minute",
            "refresh window, so one app-server call refreshes several times (4 token requests per keeper refresh here;",
            "with tokens that live an hour it is 1, checked against the same issuer). The keeper's CPU is its own process",
            "tree's (shell, docker CLI, codex app-server), averaged over all rounds, half of which refreshed and rewrote",
            "20 copies; the engine's server side is not in it. A round with nothing to do asks each engine once and writes nothing.",
        ]
    lines += [
        "",
        f"Release binary: {results['binary_bytes'] / 1e6:.1f} MB. `--version`: {results['version_startup_s'] * 1000:.1f} ms (median of 30, including process start).",
        "",
        "Round trips are counted at the proxy (data towards the server followed by data back), so they include",
        "codex's own start-up only as time, not as turns. The container copy goes through the docker CLI on podman's",
        "API socket; on 2 cores the twenty `docker exec`s share the CPU with podman, so the fan-out ratio is CPU-bound",
        "at low RTT and round-trip-bound at high RTT.",
        "",
    ]
    with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
