#!/usr/bin/env python3
"""The scripted API server against real Kubernetes clients.

    fidelity_test.py [--kubectl PATH]

Runs fake_apiserver.py on fidelity/stream.json and points two real clients
at it: python3-kubernetes (CoreV1Api list, then watch.Watch().stream from
the list's resourceVersion with bookmarks) and kubectl (`get --raw` of the
same list and of the same watch, with a kubeconfig holding the CA and the
token).  Both watches are open when the scripted events start, so they get
the same bytes the agent's host test is fed: events split every 5 bytes,
several in one chunk, a bookmark, an ERROR 410.  Each client must see
exactly the scenario's list and event sequence; a client rejecting a
stream, or a server that speaks the protocol wrongly, fails the test.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import ssl

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from host_test import free_port, make_certs  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_SEL = "spec.nodeName=node-a"


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kubectl", default=shutil.which("kubectl"))
    args = ap.parse_args()
    try:
        import kubernetes
        from kubernetes import client, watch
    except ImportError:
        fail("python3-kubernetes is not installed for %s (tests/setup.sh installs it)" % sys.executable)
    if not args.kubectl:
        fail("kubectl not found (tests/setup.sh installs kubernetes-client)")
    scenario = os.path.join(HERE, "fidelity", "stream.json")
    with open(scenario) as f:
        sc = json.load(f)
    work = tempfile.mkdtemp(prefix="scx-slo-fidelity.")
    server = None
    try:
        make_certs(work)
        token = os.path.join(work, "token")
        with open(token, "w") as f:
            f.write("fidelity-token\n")
        port = free_port()
        ready = os.path.join(work, "ready")
        server = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_apiserver.py"), "--port", str(port),
                                   "--scenario", scenario, "--cert", os.path.join(work, "server.crt"),
                                   "--key", os.path.join(work, "server.key"), "--token-file", token,
                                   "--ready-file", ready])
        end = time.monotonic() + 10
        while not os.path.exists(ready):
            if server.poll() is not None or time.monotonic() > end:
                fail("the scripted API server did not start")
            time.sleep(0.05)
        base = "https://127.0.0.1:%d" % port
        ca = os.path.join(work, "ca.crt")

        # python3-kubernetes
        cfg = client.Configuration()
        cfg.host = base
        cfg.ssl_ca_cert = ca
        cfg.api_key = {"authorization": "fidelity-token"}
        cfg.api_key_prefix = {"authorization": "Bearer"}
        v1 = client.CoreV1Api(client.ApiClient(cfg))
        lst = v1.list_pod_for_all_namespaces(field_selector=NODE_SEL)
        names = sorted(p.metadata.name for p in lst.items)
        if names != sc["expect_list"]:
            fail("python3-kubernetes list: %s, want %s" % (names, sc["expect_list"]))
        rv = lst.metadata.resource_version
        seen = []

        def py_watch():
            w = watch.Watch()
            try:
                for ev in w.stream(v1.list_pod_for_all_namespaces, field_selector=NODE_SEL,
                                   resource_version=rv, allow_watch_bookmarks=True, timeout_seconds=20):
                    name = ev["raw_object"].get("metadata", {}).get("name")
                    seen.append([ev["type"], name if ev["type"] != "BOOKMARK" else None])
            except kubernetes.client.rest.ApiException as e:
                seen.append(["ERROR", e.status])
        t = threading.Thread(target=py_watch)
        t.start()

        # kubectl, the same list and watch
        kubeconfig = os.path.join(work, "kubeconfig")
        with open(kubeconfig, "w") as f:
            json.dump({"apiVersion": "v1", "kind": "Config",
                       "clusters": [{"name": "t", "cluster": {"server": base, "certificate-authority": ca}}],
                       "users": [{"name": "u", "user": {"token": "fidelity-token"}}],
                       "contexts": [{"name": "c", "context": {"cluster": "t", "user": "u"}}],
                       "current-context": "c"}, f)
        kenv = dict(os.environ, KUBECONFIG=kubeconfig, HOME=work)
        out = subprocess.run([args.kubectl, "get", "--raw", "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a"],
                             env=kenv, capture_output=True, text=True, timeout=30)
        if out.returncode:
            fail("kubectl get --raw (list): %s" % out.stderr.strip())
        knames = sorted(i["metadata"]["name"] for i in json.loads(out.stdout)["items"])
        if knames != sc["expect_list"]:
            fail("kubectl list: %s, want %s" % (knames, sc["expect_list"]))
        kwatch = subprocess.Popen([args.kubectl, "get", "--raw",
                                   "/api/v1/pods?fieldSelector=spec.nodeName%%3Dnode-a&watch=1"
                                   "&resourceVersion=%s&allowWatchBookmarks=true&timeoutSeconds=20" % rv],
                                  env=kenv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        # both watches open, then the script goes
        ctx = ssl.create_default_context(cafile=ca)
        end = time.monotonic() + 10
        while True:
            with urllib.request.urlopen(base + "/test/state", context=ctx, timeout=5) as r:
                st = json.loads(r.read())
            if sum(1 for q in st["requests"] if q[0] == "watch") >= 2:
                break
            if time.monotonic() > end:
                fail("the two watches did not arrive")
            time.sleep(0.1)
        time.sleep(0.3)
        urllib.request.urlopen(urllib.request.Request(base + "/test/trigger/go", method="POST", data=b""),
                               context=ctx, timeout=5).read()
        t.join(30)
        if seen != sc["expect_watch"]:
            fail("python3-kubernetes watch.Watch saw %s, want %s" % (seen, sc["expect_watch"]))
        kout, kerr = kwatch.communicate(timeout=30)
        kseen = []
        for line in kout.splitlines():
            if not line.strip():
                continue
            ev = json.loads(line)
            if ev["type"] == "ERROR":
                kseen.append(["ERROR", ev["object"]["code"]])
            else:
                kseen.append([ev["type"], None if ev["type"] == "BOOKMARK" else ev["object"]["metadata"]["name"]])
        if kseen != sc["expect_watch"]:
            fail("kubectl get --raw watch saw %s, want %s (stderr: %s)" % (kseen, sc["expect_watch"], kerr.strip()))
        # and a token that is not the file's is refused, as a real server does
        bad = client.Configuration()
        bad.host, bad.ssl_ca_cert = base, ca
        bad.api_key, bad.api_key_prefix = {"authorization": "wrong"}, {"authorization": "Bearer"}
        try:
            client.CoreV1Api(client.ApiClient(bad)).list_pod_for_all_namespaces(field_selector=NODE_SEL)
            fail("a wrong token was accepted")
        except kubernetes.client.rest.ApiException as e:
            if e.status != 401:
                fail("a wrong token got %s, want 401" % e.status)
        print("fidelity: python3-kubernetes %s and %s parsed the list and the %d-event watch alike" %
              (kubernetes.__version__, os.path.basename(args.kubectl), len(seen)))
        return 0
    finally:
        if server:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
