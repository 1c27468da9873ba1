#!/usr/bin/env python3
"""scx_slo_agent against the scripted API server, on the host.

    host_test.py --agent PATH [--scenario FILE...] [--keep]

For each scenario (tests/agent/scenarios/*.json by default) and each cgroup
driver it names: a kubelet-shaped tree in a private sub-cgroup of the real
cgroup2 mount (<mount>/scx-slo-agent-test-<pid>/...), the server
(fake_apiserver.py) with a fresh CA and certificate from the openssl CLI and
a token file, and the agent pointed at both.  The scenario's "checks" run in
order: each does its actions, then waits until the agent's SLO file holds
exactly the expected entries and its /metrics and the server's state meet
the conditions, then triggers the check's name so the server's steps that
wait for it go on.  Everything made is removed at the end.  Needs root (it
makes cgroups); exit 77 (skipped) without.

A check:
  {"name": "cp1",
   "do": [{"mkdir": {"uid": U, "qos": Q}}, {"rmdir": ...}, {"kill_server": true},
          {"ca": "ca.crt" | "other-ca.crt"}, {"sleep_ms": N}],
   "no_file": true                                          (no SLO file yet)
   "expect": [{"uid": U, "qos": Q, "budget": "5ms"}, ...]   (omitted: not checked)
   "metrics": {"scx_slo_agent_x{label=\"v\"}": ">=1", ...}  (==, >=, <=)
   "state": {"events": N, "max_watch_requests": N, "namespace_requests": N, "healthz": 200}}
A scenario's "agent_args" (a list) are added to the agent's command line.
"""
import argparse
import glob
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK_TIMEOUT = 10.0


def fail(msg):
    print("FAIL: " + msg, flush=True)
    raise SystemExit(1)


def log(msg):
    print("host_test: " + msg, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_certs(d):
    """A CA, and a server certificate it signed for 127.0.0.1."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, cwd=d,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
        "-subj", "/CN=scx-slo-test-ca")
    run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "san.ext")
    # a CA that did not sign the server's certificate (a rotation not yet seen)
    run("req", "-x509", *ec, "-keyout", "other-ca.key", "-out", "other-ca.crt", "-days", "1",
        "-subj", "/CN=scx-slo-other-ca")


def pod_cgroup(driver, qos, uid):
    """The kubelet's path for a pod (the agent's pod_cgroup.c, written again)."""
    if driver == "cgroupfs":
        return "/kubepods/pod%s" % uid if qos == "Guaranteed" else \
            "/kubepods/%s/pod%s" % (qos.lower(), uid)
    u = uid.replace("-", "_")
    if qos == "Guaranteed":
        return "/kubepods.slice/kubepods-pod%s.slice" % u
    t = qos.lower()
    return "/kubepods.slice/kubepods-%s.slice/kubepods-%s-pod%s.slice" % (t, t, u)


def make_tree(root, driver):
    """The QoS levels the kubelet makes at start."""
    dirs = ["/kubepods.slice", "/kubepods.slice/kubepods-burstable.slice",
            "/kubepods.slice/kubepods-besteffort.slice"] if driver == "systemd" else \
        ["/kubepods", "/kubepods/burstable", "/kubepods/besteffort"]
    for d in dirs:
        os.mkdir(root + d)


def remove_tree(path):
    """rmdir a cgroup tree bottom-up (cgroupfs refuses rm -r)."""
    if not os.path.isdir(path):
        return
    for dirpath, dirnames, _ in sorted(os.walk(path), key=lambda t: -t[0].count("/")):
        for d in dirnames:
            p = os.path.join(dirpath, d)
            if os.path.isdir(p):
                try:
                    os.rmdir(p)
                except OSError:
                    pass
    os.rmdir(path)


def cgroup2_mount():
    """/sys/fs/cgroup when it is cgroup2, else the first cgroup2 mount
    (a hybrid host has it at /sys/fs/cgroup/unified)."""
    mounts = []
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, where, fstype = line.split()[:3]
            if fstype == "cgroup2":
                mounts.append(where)
    if "/sys/fs/cgroup" in mounts:
        return "/sys/fs/cgroup"
    return mounts[0] if mounts else None


def compare(cond, value):
    for op in ("==", ">=", "<="):
        if cond.startswith(op):
            want = float(cond[len(op):])
            return {"==": value == want, ">=": value >= want, "<=": value <= want}[op]
    return value == float(cond)


def scrape(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def healthz(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def server_state(port, ctx):
    try:
        with urllib.request.urlopen("https://127.0.0.1:%d/test/state" % port, context=ctx, timeout=2) as r:
            return json.loads(r.read())
    except OSError:
        return None


def read_slos(path):
    """The file's entries as {(cgroup, budget)}, None if absent; refuses a bad shape."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or set(doc) != {"slos"} or not isinstance(doc["slos"], list):
        fail("%s: not a 'slos:' list only: %r" % (path, text[:400]))
    got = set()
    for e in doc["slos"]:
        if set(e) != {"cgroup", "budget"}:
            fail("%s: entry with keys %s" % (path, sorted(e)))
        got.add((e["cgroup"], e["budget"]))
    if len(got) != len(doc["slos"]):
        fail("%s: a cgroup twice" % path)
    return got


class Run:
    def __init__(self, args, scenario_path, driver, base, work):
        self.args = args
        self.name = "%s/%s" % (os.path.basename(scenario_path)[:-5], driver)
        with open(scenario_path) as f:
            self.sc = json.load(f)
        self.scenario_path = scenario_path
        self.driver = driver
        self.work = work
        self.root = os.path.join(base, "%s-%s" % (os.path.basename(scenario_path)[:-5], driver))
        self.out_dir = os.path.join(work, "slos-" + self.name.replace("/", "-"))
        self.output = os.path.join(self.out_dir, "pods.yaml")
        self.token = os.path.join(work, "token-" + self.name.replace("/", "-"))
        self.server = self.agent = None
        self.ctx = ssl.create_default_context(cafile=os.path.join(work, "ca.crt"))

    def cg(self, spec):
        return pod_cgroup(self.driver, spec.get("qos", "Burstable"), spec["uid"])

    def start(self):
        os.mkdir(self.root)
        os.mkdir(self.out_dir)
        make_tree(self.root, self.driver)
        for c in self.sc.get("cgroups", []):
            os.mkdir(self.root + self.cg(c))
        with open(self.token, "w") as f:
            f.write("token-one\n")
        self.ca = os.path.join(self.work, "ca-" + self.name.replace("/", "-"))
        shutil.copy(os.path.join(self.work, "other-ca.crt" if self.sc.get("wrong_ca_at_start") else "ca.crt"),
                    self.ca)
        self.port = free_port()
        self.mport = free_port()
        ready = os.path.join(self.work, "ready-" + self.name.replace("/", "-"))
        self.server_log = open(os.path.join(self.work, "server-%s.log" % self.name.replace("/", "-")), "w")
        self.server = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "fake_apiserver.py"), "--port", str(self.port),
             "--scenario", self.scenario_path, "--cert", os.path.join(self.work, "server.crt"),
             "--key", os.path.join(self.work, "server.key"), "--token-file", self.token,
             "--ready-file", ready], stdout=self.server_log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 10
        while not os.path.exists(ready):
            if self.server.poll() is not None or time.monotonic() > end:
                fail("%s: the scripted API server did not start" % self.name)
            time.sleep(0.05)
        self.agent_log_path = os.path.join(self.work, "agent-%s.log" % self.name.replace("/", "-"))
        self.agent_log = open(self.agent_log_path, "w")
        env = dict(os.environ, SCX_SLO_AGENT_BACKOFF_MS="50")
        env.pop("NODE_NAME", None)
        self.agent = subprocess.Popen(
            [self.args.agent, "--node", self.sc.get("node", "node-a"),
             "--api-server", "https://127.0.0.1:%d" % self.port, "--token-file", self.token,
             "--ca-file", self.ca, "--cgroup-root", self.root,
             "--output", self.output, "--metrics", "127.0.0.1:%d" % self.mport]
            + self.sc.get("agent_args", []),
            stdout=self.agent_log, stderr=subprocess.STDOUT, env=env)

    def trigger(self, name):
        req = urllib.request.Request("https://127.0.0.1:%d/test/trigger/%s" % (self.port, name),
                                     method="POST", data=b"")
        urllib.request.urlopen(req, context=self.ctx, timeout=5).read()

    def expected(self, check):
        return {(self.cg(e), e["budget"]) for e in check["expect"]}

    def problems(self, check, t0):
        """What does not hold yet, as text; [] when the check passes."""
        out = []
        if check.get("no_file") and os.path.exists(self.output):
            out.append("%s exists" % self.output)
        if "expect" in check:
            got = read_slos(self.output)
            want = self.expected(check)
            if got != want:
                out.append("SLO file: want %s, have %s" % (sorted(want), None if got is None else sorted(got)))
        if check.get("metrics"):
            m = scrape(self.mport)
            for k, cond in check["metrics"].items():
                if k not in m or not compare(cond, m[k]):
                    out.append("metric %s is %s, want %s" % (k, m.get(k), cond))
        st = check.get("state", {})
        if "healthz" in st and healthz(self.mport) != st["healthz"]:
            out.append("/healthz is %s, want %s" % (healthz(self.mport), st["healthz"]))
        if "events" in st or "max_watch_requests" in st or "namespace_requests" in st:
            s = server_state(self.port, self.ctx)
            if s is None:
                out.append("server state unreadable")
            else:
                if "events" in st and len(s["events"]) != st["events"]:
                    out.append("%d Events posted, want %d" % (len(s["events"]), st["events"]))
                if "event_reason" in st:
                    for ev in s["events"]:
                        if ev.get("reason") != st["event_reason"] or ev.get("message") not in st["event_messages"]:
                            out.append("Event %s" % json.dumps(ev)[:300])
                if "namespace_requests" in st and s["namespace_requests"] != st["namespace_requests"]:
                    out.append("%d requests for namespaces, want %d" %
                               (s["namespace_requests"], st["namespace_requests"]))
                if "max_watch_requests" in st:
                    n = sum(1 for r in s["requests"] if r[0] == "watch" and r[2] >= t0)
                    if n > st["max_watch_requests"]:
                        # a busy loop never gets better: fail now
                        fail("%s: %s: %d watch requests since the check began, at most %d allowed" %
                             (self.name, check["name"], n, st["max_watch_requests"]))
        return out

    def run_checks(self):
        for check in self.sc["checks"]:
            for act in check.get("do", []):
                if "mkdir" in act:
                    os.mkdir(self.root + self.cg(act["mkdir"]))
                elif "rmdir" in act:
                    os.rmdir(self.root + self.cg(act["rmdir"]))
                elif "kill_server" in act:
                    self.server.kill()
                    self.server.wait()
                elif "ca" in act:
                    # replaced as the kubelet replaces a projected file: rename
                    shutil.copy(os.path.join(self.work, act["ca"]), self.ca + ".new")
                    os.rename(self.ca + ".new", self.ca)
                elif "sleep_ms" in act:
                    time.sleep(act["sleep_ms"] / 1000)
            t0 = time.monotonic()
            # a condition that must hold for a while (a kept state) waits first
            time.sleep(check.get("hold_ms", 0) / 1000)
            end = t0 + CHECK_TIMEOUT
            while True:
                if self.agent.poll() is not None:
                    fail("%s: %s: the agent exited with %d" % (self.name, check["name"], self.agent.returncode))
                probs = self.problems(check, t0)
                if not probs:
                    break
                if time.monotonic() > end:
                    fail("%s: %s: after %.0f s: %s" % (self.name, check["name"], CHECK_TIMEOUT,
                                                       "; ".join(probs)))
                time.sleep(0.1)
            extra = ""
            if "max_watch_requests" in check.get("state", {}):
                s = server_state(self.port, self.ctx)
                extra = ", %d watch requests" % sum(1 for r in s["requests"] if r[0] == "watch" and r[2] >= t0)
            log("%s: %s ok (%.1f s%s)" % (self.name, check["name"], time.monotonic() - t0, extra))
            if self.server.poll() is None:
                self.trigger(check["name"])

    def stop(self):
        for p in (self.agent, self.server):
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if self.agent and self.agent.returncode not in (0, None) and self.agent.returncode != -signal.SIGKILL:
            fail("%s: the agent's exit status after SIGTERM is %d" % (self.name, self.agent.returncode))

    def dump_logs(self):
        for path in (self.agent_log_path,):
            if os.path.exists(path):
                with open(path) as f:
                    sys.stdout.write("--- %s (last 40 lines)\n" % os.path.basename(path))
                    sys.stdout.writelines(f.readlines()[-40:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agent", required=True)
    ap.add_argument("--scenario", action="append")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("host_test: needs root to make cgroups: skipped")
        return 77
    scenarios = args.scenario or sorted(glob.glob(os.path.join(HERE, "scenarios", "*.json")))
    mount = cgroup2_mount()
    if not mount:
        fail("no cgroup2 mount on this machine")
    base = os.path.join(mount, "scx-slo-agent-test-%d" % os.getpid())
    # a ctest timeout or ^C still removes the cgroups
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    work = tempfile.mkdtemp(prefix="scx-slo-agent-test.")
    t0 = time.monotonic()
    os.mkdir(base)
    run = None
    try:
        make_certs(work)
        for path in scenarios:
            with open(path) as f:
                drivers = json.load(f).get("drivers", ["systemd"])
            for driver in drivers:
                run = Run(args, path, driver, base, work)
                try:
                    run.start()
                    run.run_checks()
                except SystemExit:
                    run.stop()
                    run.dump_logs()
                    raise
                run.stop()
                run = None
        log("all scenarios passed in %.1f s" % (time.monotonic() - t0))
        return 0
    finally:
        if run:
            run.stop()
        remove_tree(base)
        if args.keep:
            log("work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
