#!/usr/bin/env python3
"""A scripted Kubernetes API server, for tests only.

    fake_apiserver.py --port P --scenario FILE --cert C --key K --token-file T
                      [--ready-file F] [--log FILE]

Listens on 127.0.0.1:P over HTTPS.  Every /api request must carry
"Authorization: Bearer <T's current content>" (read per request, so a test
rotates the token by rewriting T), else 401 with a Status body.

Serves, as the API server does:
  GET  /api/v1/pods?fieldSelector=spec.nodeName%3D<node>[&limit=N&continue=..]
  GET  /api/v1/pods?...&watch=1&resourceVersion=RV&allowWatchBookmarks=true
       [&timeoutSeconds=S]: chunked, one JSON event per line
  GET  /api/v1/namespaces (list and watch, likewise)
  POST /api/v1/namespaces/<ns>/events: recorded, 201 (403 with
       "events_forbidden": true in the scenario)
  GET  /healthz
and for the tests (no auth):
  POST /test/trigger/NAME   release the steps that wait for NAME
  GET  /test/state          requests seen, events posted, steps done,
                            namespace_requests (lists and watches of them)

A scenario FILE is JSON:
  {"node": "node-a", "resourceVersion": 100,
   "pods": [POD...], "namespaces": [{"name": "default", "annotations": {}}],
   "events_forbidden": false,
   "steps": [STEP...]}
A POD is a full Pod object, or the short form
  {"name", "namespace", "uid", "qos" (Guaranteed|Burstable|BestEffort),
   "budget" (the annotation's value), "mirror" (config hash),
   "node", "no_qos_class": true (status.qosClass left out; the containers'
   resources say the class), "annotations": {...}}.
Steps run in order, each once the previous is done; any step may have
"wait_for": "NAME" (held until POST /test/trigger/NAME; a trigger that came
first counts) and "sleep_ms" (before it).  "do" is one of:
  events       {"events": [{"type": ADDED|MODIFIED|DELETED, "pod": POD}
                            or {"type": ..., "namespace": {"name", "annotations"}}],
                "chunks": "whole" (one chunk) | "each" (a chunk per event) |
                N (chunks of N bytes, split inside events) | [n1, n2, ...],
                "delay_ms": between chunks}: new resourceVersions, streamed
                to every open watch and kept for watches that start later
  bookmark     a BOOKMARK at the current resourceVersion
  silent       {"events": [...]}: applied with no watch event (missed events)
  expire       {"how": "stream" | "http"}: every resourceVersion up to now is
                too old; "stream" sends an in-stream ERROR 410 on the open
                watches (waiting for one), "http" ends them: the next watch
                from an old version gets HTTP 410
  status       {"code": 429|500|..., "retry_after": S, "count": N,
                "target": "watch" | "list"}: ends the open watches; the
                next N requests of target get that status ("for_ms": M
                instead of a count: every one for M ms)
  empty        {"count": N | "for_ms": M, "target": ...}: the next N (or
                all for M ms, the step lasting that long) get 200, no body
  close        ends the open watches (EOF: the chunked terminator)
  rotate_token {"token": "..."}: T rewritten, open watches ended
It writes F (or prints "ready") once listening.
"""
import argparse
import copy
import json
import os
import queue
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

QOS_RESOURCES = {
    "Guaranteed": {"requests": {"cpu": "500m", "memory": "64Mi"},
                   "limits": {"cpu": "500m", "memory": "64Mi"}},
    "Burstable": {"requests": {"cpu": "100m"}},
    "BestEffort": {},
}


def expand_pod(p, node):
    """A short-form pod as a Pod object the API server would send."""
    if "metadata" in p:
        return copy.deepcopy(p)
    qos = p.get("qos", "Burstable")
    ann = dict(p.get("annotations", {}))
    if "budget" in p:
        ann["scx-slo.io/latency-budget"] = p["budget"]
    if "mirror" in p:
        ann["kubernetes.io/config.mirror"] = p["mirror"]
        ann["kubernetes.io/config.source"] = "file"
    ns = p.get("namespace", "default")
    pod = {
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {"name": p["name"], "namespace": ns, "uid": p["uid"],
                     "creationTimestamp": "2026-12-03T10:00:00Z",
                     "labels": {"app": p["name"]}},
        "spec": {"nodeName": p.get("node", node),
                 "containers": [{"name": "main", "image": "registry.example/app:1",
                                 "resources": copy.deepcopy(QOS_RESOURCES[qos])}]},
        "status": {"phase": "Running", "qosClass": qos},
    }
    if ann:
        pod["metadata"]["annotations"] = ann
    if p.get("no_qos_class"):
        del pod["status"]["qosClass"]
    return pod


def status_body(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason, "code": code}


class Watcher:
    def __init__(self, kind, node, since):
        self.kind = kind          # "pods" or "namespaces"
        self.node = node
        self.since = since
        self.q = queue.Queue()


class State:
    def __init__(self, scenario, token_file):
        self.lock = threading.Condition()
        self.sc = scenario
        self.node = scenario.get("node", "node-a")
        self.rv = int(scenario.get("resourceVersion", 100))
        self.compacted = 0        # watches from a version below this: 410
        self.token_file = token_file
        self.pods = {}
        for p in scenario.get("pods", []):
            self.put_pod(expand_pod(p, self.node))
        self.namespaces = {}
        for n in scenario.get("namespaces", [{"name": "default"}]):
            self.put_namespace(n)
        self.namespace_requests = 0
        self.history = []         # (rv, kind, [(type, obj)], chunks, delay_ms)
        self.watchers = []
        self.pending = []         # [target, code, retry_after, count]
        self.triggers = set()
        self.requests = []        # (kind, status, time)
        self.events_posted = []
        self.steps_done = 0

    def put_pod(self, pod):
        self.rv += 1
        pod["metadata"]["resourceVersion"] = str(self.rv)
        self.pods[pod["metadata"]["uid"]] = pod
        return pod

    def put_namespace(self, n):
        self.rv += 1
        ns = {"kind": "Namespace", "apiVersion": "v1",
              "metadata": {"name": n["name"], "uid": "ns-" + n["name"],
                           "resourceVersion": str(self.rv),
                           "annotations": dict(n.get("annotations", {}))}}
        self.namespaces[n["name"]] = ns
        return ns

    def token(self):
        with open(self.token_file) as f:
            return f.read().strip()

    def note(self, kind, status):
        with self.lock:
            self.requests.append((kind, status, time.monotonic()))

    def take_pending(self, target):
        now = time.monotonic()
        with self.lock:
            for p in self.pending:
                if p[0] != target:
                    continue
                if p[4] is not None:
                    if now < p[4]:
                        return p
                elif p[3] > 0:
                    p[3] -= 1
                    return p
        return None

    def add_pending(self, step, code):
        until = time.monotonic() + step["for_ms"] / 1000 if "for_ms" in step else None
        with self.lock:
            self.pending.append([step.get("target", "watch"), code, step.get("retry_after"),
                                 step.get("count", 1), until])

    def end_watchers(self, item=("close",)):
        with self.lock:
            for w in self.watchers:
                w.q.put(item)

    # ---- the script ----
    def run_steps(self):
        for step in self.sc.get("steps", []):
            name = step.get("wait_for")
            if name:
                with self.lock:
                    while name not in self.triggers:
                        self.lock.wait(0.5)
            if step.get("sleep_ms"):
                time.sleep(step["sleep_ms"] / 1000)
            self.do(step)
            with self.lock:
                self.steps_done += 1
                self.lock.notify_all()

    def wait_watcher(self, timeout=20):
        end = time.monotonic() + timeout
        with self.lock:
            while not any(w.kind == "pods" for w in self.watchers) and time.monotonic() < end:
                self.lock.wait(0.1)

    def do(self, step):
        what = step["do"]
        if what in ("events", "silent"):
            batch, ns_batch = [], []
            with self.lock:
                for ev in step["events"]:
                    if "namespace" in ev:
                        if ev["type"] == "DELETED":
                            ns = copy.deepcopy(self.namespaces.pop(ev["namespace"]["name"]))
                            self.rv += 1
                            ns["metadata"]["resourceVersion"] = str(self.rv)
                        else:
                            ns = self.put_namespace(ev["namespace"])
                        ns_batch.append((ev["type"], copy.deepcopy(ns)))
                        continue
                    pod = expand_pod(ev["pod"], self.node)
                    if ev["type"] == "DELETED":
                        old = self.pods.pop(pod["metadata"]["uid"], None)
                        pod = old or pod
                        self.rv += 1
                        pod = copy.deepcopy(pod)
                        pod["metadata"]["resourceVersion"] = str(self.rv)
                    else:
                        pod = self.put_pod(pod)
                    batch.append((ev["type"], pod))
                if what == "events":
                    for kind, b in (("pods", batch), ("namespaces", ns_batch)):
                        if not b:
                            continue
                        h = (self.rv, kind, b, step.get("chunks", "each"), step.get("delay_ms", 0))
                        self.history.append(h)
                        for w in self.watchers:
                            if w.kind == kind:
                                w.q.put(("batch", h))
        elif what == "bookmark":
            with self.lock:
                h = (self.rv, "pods", [("BOOKMARK", None)], "whole", 0)
                self.history.append(h)
                for w in self.watchers:
                    w.q.put(("batch", h))
        elif what == "expire":
            if step.get("how", "stream") == "stream":
                self.wait_watcher()
            with self.lock:
                self.rv += 1
                self.compacted = self.rv
                for w in self.watchers:
                    w.q.put(("expire",) if step.get("how", "stream") == "stream" else ("close",))
        elif what == "status":
            self.add_pending(step, step["code"])
            self.end_watchers()
        elif what == "empty":
            self.add_pending(step, "empty")
            self.end_watchers()
            if "for_ms" in step:
                time.sleep(step["for_ms"] / 1000)
        elif what == "close":
            self.end_watchers()
        elif what == "rotate_token":
            tmp = self.token_file + ".new"
            with open(tmp, "w") as f:
                f.write(step["token"] + "\n")
            os.rename(tmp, self.token_file)
            self.end_watchers()
        else:
            raise SystemExit("fake_apiserver: unknown step '%s'" % what)


def encode_batch(state, h, w, bookmarks):
    """The bytes of one history entry for watcher @w, split as it says."""
    rv, kind, events, chunks, delay = h
    lines = []
    for typ, obj in events:
        if typ == "BOOKMARK":
            if not bookmarks:
                continue
            obj = {"kind": "Pod", "apiVersion": "v1",
                   "metadata": {"resourceVersion": str(rv),
                                "annotations": {"k8s.io/initial-events-end": "true"}}}
        elif w.node and obj["spec"].get("nodeName") != w.node:
            continue
        elif int(obj["metadata"]["resourceVersion"]) <= w.since:
            continue
        lines.append((json.dumps({"type": typ, "object": obj}, separators=(",", ":")) + "\n").encode())
    data = b"".join(lines)
    if not data:
        return [], delay
    if chunks == "whole":
        return [data], delay
    if chunks == "each":
        return lines, delay
    sizes = [chunks] if isinstance(chunks, int) else list(chunks)
    out, off, i = [], 0, 0
    while off < len(data):
        n = sizes[min(i, len(sizes) - 1)]
        out.append(data[off:off + n])
        off += n
        i += 1
    return out, delay


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-apiserver"

    def log_message(self, fmt, *args):
        if self.server.log:
            self.server.log.write("%.3f %s\n" % (time.time(), fmt % args))
            self.server.log.flush()

    def setup(self):
        # the handshake in this connection's thread: a client that never
        # finishes one holds only its own thread
        self.request.settimeout(10)
        self.request.do_handshake()
        super().setup()

    @property
    def st(self):
        return self.server.state

    def send_json(self, code, obj, extra=None):
        body = json.dumps(obj).encode() if obj is not None else b""
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def authorized(self):
        want = "Bearer " + self.st.token()
        if self.headers.get("Authorization") != want:
            self.send_json(401, status_body(401, "Unauthorized", "Unauthorized"))
            return False
        return True

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if parts[:2] == ["test", "trigger"] and len(parts) == 3:
            with self.st.lock:
                self.st.triggers.add(parts[2])
                self.st.lock.notify_all()
            return self.send_json(200, {"triggered": parts[2]})
        if len(parts) == 5 and parts[:3] == ["api", "v1", "namespaces"] and parts[4] == "events":
            if not self.authorized():
                return self.st.note("event", 401)
            if self.st.sc.get("events_forbidden"):
                self.st.note("event", 403)
                return self.send_json(403, status_body(
                    403, "Forbidden", 'events is forbidden: User "system:serviceaccount:scx-slo:scx-slo" '
                    'cannot create resource "events" in API group "" in the namespace "%s"' % parts[3]))
            try:
                ev = json.loads(body)
            except ValueError:
                return self.send_json(400, status_body(400, "BadRequest", "not JSON"))
            with self.st.lock:
                self.st.events_posted.append(ev)
            self.st.note("event", 201)
            return self.send_json(201, ev)
        self.send_json(404, status_body(404, "NotFound", "the server could not find the requested resource"))

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/healthz":
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            return
        if url.path == "/test/state":
            with self.st.lock:
                return self.send_json(200, {
                    "requests": [list(r) for r in self.st.requests],
                    "events": self.st.events_posted,
                    "steps_done": self.st.steps_done,
                    "rv": self.st.rv,
                    "namespace_requests": self.st.namespace_requests})
        if url.path not in ("/api/v1/pods", "/api/v1/namespaces"):
            return self.send_json(404, status_body(404, "NotFound",
                                                   "the server could not find the requested resource"))
        kind = url.path.rsplit("/", 1)[1]
        if kind == "namespaces":
            with self.st.lock:
                self.st.namespace_requests += 1
        # Go's strconv.ParseBool, as the API server: python3-kubernetes sends "True"
        watch = q.get("watch", "").lower() in ("1", "t", "true")
        target = "watch" if watch else "list"
        if not self.authorized():
            return self.st.note(target, 401)
        node = None
        sel = q.get("fieldSelector", "")
        if kind == "pods":
            if sel and not sel.startswith("spec.nodeName="):
                return self.send_json(400, status_body(400, "BadRequest", "unsupported fieldSelector"))
            node = sel.split("=", 1)[1] if sel else None
        p = self.st.take_pending(target) if kind == "pods" else None
        if p:
            self.st.note(target, p[1] if p[1] != "empty" else 200)
            if p[1] == "empty":
                return self.send_json(200, None)
            extra = {"Retry-After": str(p[2])} if p[2] is not None else None
            reason = {429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
                      410: "Expired", 403: "Forbidden"}.get(p[1], "Unknown")
            return self.send_json(p[1], status_body(p[1], reason, "scripted %d" % p[1]), extra)
        if watch:
            return self.watch(kind, node, q)
        self.st.note("list", 200)
        with self.st.lock:
            if kind == "pods":
                items = [copy.deepcopy(o) for o in self.st.pods.values()
                         if node is None or o["spec"].get("nodeName") == node]
            else:
                items = [copy.deepcopy(o) for o in self.st.namespaces.values()]
            rv = self.st.rv
        for o in items:
            # items of a list carry neither kind nor apiVersion
            o.pop("kind", None)
            o.pop("apiVersion", None)
        # paging: "limit" pages, the continue token is the offset
        start = int(q.get("continue") or 0)
        limit = int(q.get("limit") or 0) or len(items) or 1
        page = items[start:start + limit]
        meta = {"resourceVersion": str(rv)}
        if start + limit < len(items):
            meta["continue"] = str(start + limit)
        self.send_json(200, {"kind": "PodList" if kind == "pods" else "NamespaceList",
                             "apiVersion": "v1", "metadata": meta, "items": page})

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, kind, node, q):
        st = self.st
        since = int(q.get("resourceVersion") or 0)
        bookmarks = q.get("allowWatchBookmarks", "").lower() in ("1", "t", "true")
        deadline = time.monotonic() + int(q.get("timeoutSeconds") or 1800)
        if since and since < st.compacted:
            st.note("watch", 410)
            return self.send_json(410, status_body(
                410, "Expired", "too old resource version: %d (%d)" % (since, st.compacted)))
        st.note("watch", 200)
        w = Watcher(kind, node, since)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        with st.lock:
            backlog = [h for h in st.history if h[1] == kind and h[0] > since] if since else []
            st.watchers.append(w)
            st.lock.notify_all()
        try:
            for h in backlog:
                w.q.put(("batch", h))
            while time.monotonic() < deadline:
                try:
                    item = w.q.get(timeout=0.2)
                except queue.Empty:
                    continue
                if item[0] == "close":
                    break
                if item[0] == "expire":
                    ev = {"type": "ERROR", "object": status_body(
                        410, "Expired", "too old resource version: %d (%d)" % (since, st.compacted))}
                    self.chunk(json.dumps(ev).encode() + b"\n")
                    break
                pieces, delay = encode_batch(st, item[1], w, bookmarks)
                for piece in pieces:
                    self.chunk(piece)
                    if delay:
                        time.sleep(delay / 1000)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass
        finally:
            with st.lock:
                st.watchers.remove(w)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # a client that hangs up mid-answer is not the server's problem
        pass


def main():
    ap = argparse.ArgumentParser(description="Scripted Kubernetes API server (tests only)")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--ready-file")
    ap.add_argument("--log")
    args = ap.parse_args()
    with open(args.scenario) as f:
        scenario = json.load(f)
    srv = Server(("127.0.0.1", args.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    srv.state = State(scenario, args.token_file)
    srv.log = open(args.log, "a") if args.log else None
    threading.Thread(target=srv.state.run_steps, daemon=True).start()
    if args.ready_file:
        with open(args.ready_file + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(args.ready_file + ".tmp", args.ready_file)
    else:
        print("ready", flush=True)
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
