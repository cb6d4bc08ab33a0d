#!/usr/bin/env python3
"""The keeper at scale, on the rig: the host and 20 containers, access tokens that live 60 s,
and the real codex in every container using its access-only copy (`codex exec`, one model
turn against the fake backend beside the issuer) for 10 lifetimes, while the keeper on the
host keeps the copies fresh. The issuer plays by the real rules: a refresh token works once.

Prints and records (benchmarks.json, "keeper"; BENCHMARKS.md through bench.py's writer):
- refreshes at the issuer: ok, reused ("refresh token was already used": must be 0), invalid
  (a copy's codex trying to refresh with its empty refresh token, which cannot succeed);
- runs in the containers that failed (a container logged out: must be 0), and the backend's
  answers to them (401: a token no longer alive);
- whether the host's login is alive at the end, and approvals asked for (must be 0);
- the keeper's cost per round: CPU of its process tree (the engine's own server is not in
  it), and its requests to the issuer per refresh;
- how long a round that refreshes takes with 20 containers, at 0 and 200 ms RTT between the
  host and the issuer (a delay proxy in front of it, on the host).

Run by scripts/keeper-bench, with the rig up (CRL_RIG) and the tool built (CRL_BENCH_BIN).
"""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the rig's settings, the markdown writer)

RIG, DIR, NS = bench.RIG, bench.DIR, bench.NS
TOOL, ROOT = bench.TOOL, bench.ROOT
ISSUER = RIG["CRL_ISSUER_PROXY"]
HOST_IP = RIG["CRL_RIG_HOST_IP"]
SCALE = [f"crl-scale-{i}" for i in range(1, 21)]
TTL = 60
LIFETIMES = int(os.environ.get("CRL_KEEPER_LIFETIMES", "10"))
# Each container runs one turn every PACE seconds: four uses of each token, on two cores.
PACE = 15
DELAY_PORT = 8090
KEEP = "/home/crl-alice/.codex-remote-login/keeper"


def issuer(path):
    return json.load(urllib.request.urlopen(f"http://{ISSUER}{path}"))


def alice(script, check=True):
    return subprocess.run(["ip", "netns", "exec", NS, "runuser", "-u", "crl-alice", "--", "env", "HOME=/home/crl-alice",
                           "sh", "-c", script],
                          capture_output=True, text=True, check=check)


def tool(*args):
    return subprocess.run([TOOL, "-F", bench.CONFIG, *args], capture_output=True, text=True)


def containers_up():
    codex = subprocess.run(f"find {RIG['CRL_CODEX_PREFIX']}/node_modules/@openai/ -path '*-linux-musl/bin/codex' -type f",
                           shell=True, capture_output=True, text=True, check=True).stdout.split()[0]
    for name in SCALE:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True)
        subprocess.run(["podman", "run", "-d", "-q", "--name", name, "--user", "dev", "--label", "crl.scale=1",
                        "-v", f"{codex}:/usr/local/bin/codex:ro", "-v", f"{DIR}/ca.pem:/etc/crl-ca.pem:ro",
                        "-e", f"HTTPS_PROXY=http://{ISSUER}", "-e", "CODEX_CA_CERTIFICATE=/etc/crl-ca.pem",
                        "crl-test:latest", "sleep", "86400"], check=True, capture_output=True)


def containers_down():
    subprocess.run(["podman", "rm", "-f", "-t", "0", *SCALE], capture_output=True)


def host_login():
    """A login on the host as a sign-in leaves it (minted at the issuer: a new grant)."""
    tokens = issuer("/__mint")
    login = {"auth_mode": "chatgpt", "OPENAI_API_KEY": None,
             "tokens": {**tokens, "account_id": "acct-rig"},
             "last_refresh": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    alice(f"rm -rf ~/.codex && mkdir -m 700 ~/.codex && cat > ~/.codex/auth.json <<'EOF'\n{json.dumps(login)}\nEOF\nchmod 600 ~/.codex/auth.json")
    return login


def keeper_cpu():
    """CPU seconds of the keeper's process tree so far: its own and its reaped children's."""
    pid = alice(f"cat {KEEP}/pid").stdout.strip()
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks


def last():
    text = alice(f"cat {KEEP}/last").stdout
    return dict(line.split(" ", 1) for line in text.splitlines() if " " in line)


def rounds():
    return int(alice(f"grep -c ' round: ' {KEEP}/log", check=False).stdout.strip() or 0)


def refreshing_rounds(since):
    """The `(refresh ms, copies ms, copied)` of each round that refreshed, in the log's lines after `since`."""
    out = []
    for line in alice(f"cat {KEEP}/log").stdout.splitlines()[since:]:
        if " round: " in line and "(refresh " in line and "(refresh - ms" not in line:
            refresh = int(line.split("(refresh ")[1].split(" ms")[0])
            copies = int(line.split("copies ")[1].split(" ms")[0])
            copied = int(line.split("copied ")[1].split(" ")[0])
            out.append((refresh, copies, copied))
    return out


def log_lines():
    return len(alice(f"cat {KEEP}/log").stdout.splitlines())


def load(name, until, results):
    ok = failed = 0
    while time.monotonic() < until:
        start = time.monotonic()
        run = subprocess.run(["podman", "exec", "-u", "dev", "-w", "/home/dev", name,
                              "codex", "exec", "--skip-git-repo-check", "say hello"], capture_output=True, text=True)
        if run.returncode == 0 and "rig says hello" in run.stdout:
            ok += 1
        else:
            failed += 1
        time.sleep(max(0, PACE - (time.monotonic() - start)))
    results[name] = (ok, failed)


def restart_keeper_through(proxy_port):
    """The keeper, as installed, with its network to the issuer through `proxy_port`."""
    alice(f"kill $(cat {KEEP}/pid); sleep 1; sed -i 's#^HTTPS_PROXY=.*#HTTPS_PROXY=http://127.0.0.1:{proxy_port}#' {KEEP}/env; "
          f"cd ~ && setsid nohup /bin/sh {KEEP}/loop.sh </dev/null >/dev/null 2>&1 &")
    deadline = time.monotonic() + 10
    while alice(f"kill -0 $(cat {KEEP}/pid 2>/dev/null) 2>/dev/null", check=False).returncode != 0:
        assert time.monotonic() < deadline, "the keeper did not come back"
        time.sleep(0.1)


def timed_refreshes(lifetimes=2):
    """Rounds that refresh, over `lifetimes` token lifetimes of a quiet host."""
    since = log_lines()
    time.sleep(lifetimes * TTL)
    return refreshing_rounds(since)


def main():
    bench.write_config()
    issuer(f"/__control?access_ttl={TTL}")
    containers_up()
    ssh = bench.Proxy(0)
    delay = None
    try:
        login = host_login()
        start = tool("keeper", "start", "bench", "--label", "crl.scale=1", "--json")
        assert start.returncode == 0, start.stderr
        before = {"refreshes": len(issuer("/__refreshes")), "uses": len(issuer("/__uses")),
                  "log": len(issuer("/__log")), "cpu": keeper_cpu(), "rounds": rounds()}
        results = {}
        until = time.monotonic() + LIFETIMES * TTL
        threads = [threading.Thread(target=load, args=(name, until, results)) for name in SCALE]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        refreshes = issuer("/__refreshes")[before["refreshes"]:]
        uses = issuer("/__uses")[before["uses"]:]
        log = issuer("/__log")[before["log"]:]
        cpu = keeper_cpu() - before["cpu"]
        n_rounds = rounds() - before["rounds"]
        host = json.loads(alice("cat ~/.codex/auth.json").stdout)
        state = json.loads(urllib.request.urlopen(urllib.request.Request(
            f"http://{ISSUER}/__state", data=json.dumps({"tokens": [host["tokens"]["refresh_token"]]}).encode(),
            headers={"Content-Type": "application/json"})).read())
        scale = {
            "containers": len(SCALE), "token_life_s": TTL, "lifetimes": LIFETIMES, "pace_s": PACE,
            "runs_ok": sum(ok for ok, _ in results.values()),
            "runs_failed": sum(failed for _, failed in results.values()),
            "containers_logged_out": sum(1 for _, failed in results.values() if failed),
            "refreshes": {k: refreshes.count(k) for k in ("ok", "reused", "invalid")},
            "backend_401": sum(1 for u in uses if u["verdict"] != "alive"),
            "host_login": state[host["tokens"]["refresh_token"]],
            "approvals": sum(1 for line in log if line.startswith("GET /oauth/authorize")),
            "rounds": n_rounds,
            "keeper_cpu_ms_per_round": round(cpu * 1000 / max(n_rounds, 1), 1),
        }
        print(f"under load: {json.dumps(scale)}", flush=True)
        # Quiet: what one refresh costs at the issuer, and how long a refreshing round takes
        # at 0 and at 200 ms RTT to the issuer.
        log_before = len(issuer("/__log"))
        quiet = timed_refreshes()
        requests = issuer("/__log")[log_before:]
        scale["issuer_requests_per_refresh"] = round(len(requests) / max(len(quiet), 1), 1)
        scale["refresh_round_ms"] = {"0": quiet}
        delay = subprocess.Popen(["ip", "netns", "exec", NS, sys.executable, os.path.join(ROOT, "tests", "rig", "delay_proxy.py"),
                                  str(DELAY_PORT), "127.0.0.1", ISSUER.split(":")[1], "200"], stdout=subprocess.PIPE)
        assert delay.stdout.readline().strip() == b"ready"
        restart_keeper_through(DELAY_PORT)
        scale["refresh_round_ms"]["200"] = timed_refreshes()
        print(f"quiet: {json.dumps({k: scale[k] for k in ('issuer_requests_per_refresh', 'refresh_round_ms')})}", flush=True)
    finally:
        tool("keeper", "stop", "bench")
        ssh.close()
        if delay:
            delay.terminate()
        containers_down()
        issuer("/__control?access_ttl=3600")
        bench.host_clean()
    path = os.path.join(ROOT, "benchmarks.json")
    results = json.load(open(path))
    results["keeper"] = scale
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    bench.write_markdown(results)


if __name__ == "__main__":
    main()
