#!/usr/bin/env bash
# bench.nginx-arms (label "unit", on the host, ~10 s): bench/shed.sh's three
# nginx configurations in front of bench/cpu_service, with a stand-in for
# the loader's admission endpoint (the CONTRACT of issue 17: 204 admit, 403
# shed with Retry-After), driven by bench/openloop:
#
#   none        every request answered 200
#   limit_conn  a limit of 1 with 30 ms requests at 100/s: most shed (503,
#               Retry-After), the rest 200
#   scheduler   the stand-in sheds one request in two: about half 503 with
#               the endpoint's Retry-After, and it was asked with the
#               service's cgroup
#
#   tests/bench/nginx-arms.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: nginx-arms.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
conf=$root/bench/nginx
nginx=$(command -v nginx || echo /usr/sbin/nginx)
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
NGINX_PID=
cleanup() {
	for p in "${pids[@]}" $NGINX_PID; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "bench.nginx-arms: FAIL: $*" >&2; [ -f "$tmp/error.log" ] && tail -n 5 "$tmp/error.log" >&2; exit 1; }
ok() { echo "bench.nginx-arms: ok: $*"; }
[ -x "$nginx" ] || fail "nginx is not installed (tests/setup.sh)"
[ "$(id -u)" = 0 ] || fail "needs root (nginx's workers run as nobody)"

base=$((20000 + RANDOM % 20000))
svc=127.0.0.1:$base front=127.0.0.1:$((base + 1)) adm=127.0.0.1:$((base + 2))

"$build/bench/cpu_service" --listen "$svc" --work 30ms > "$tmp/service.out" 2>&1 &
pids+=($!)
# the admission stand-in: sheds every second request, logs what it was asked
python3 - "$adm" "$tmp/asked" <<'EOF' &
import http.server, sys
host, port = sys.argv[1].split(":")
log = open(sys.argv[2], "w", buffering=1)
n = 0
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global n
        n += 1
        log.write(self.path + "\n")
        if n % 2:
            self.send_response(403)
            self.send_header("Retry-After", "7")
            self.send_header("X-SCX-SLO-Reason", "queueing")
        else:
            self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer((host, int(port)), H).serve_forever()
EOF
pids+=($!)
for _ in $(seq 50); do
	grep -q listening "$tmp/service.out" 2>/dev/null && python3 -c "import socket; socket.create_connection(('${adm%:*}', ${adm#*:}), 1)" 2>/dev/null && break
	sleep 0.1
done

# start ARM LIMIT: nginx with the arm's locations, filled in as the guest does
start() {
	rm -rf "$tmp/ng"
	mkdir -p "$tmp/ng"
	sed -e "s|@DIR@|$tmp/ng|g" -e "s|@LISTEN@|$front|g" -e "s|@SERVICE@|$svc|g" \
		-e "s|@WORKERS@|1|g" -e "s|@ADMISSION@|$adm|g" "$conf/nginx.conf" > "$tmp/ng/nginx.conf"
	cp "$root/deploy/proxy/nginx/scx-slo-server.conf" "$root/deploy/proxy/nginx/scx-slo-location.conf" "$tmp/ng/"
	sed -e "s|@LIMIT@|$2|g" -e "s|@ADMISSION@|$adm|g" -e "s|@CGROUP@|/scx-shed-svc|g" -e "s|@DIR@|$tmp/ng|g" \
		"$conf/$1.conf" > "$tmp/ng/arm.conf"
	"$nginx" -p "$tmp/ng" -e "$tmp/error.log" -c "$tmp/ng/nginx.conf" &
	NGINX_PID=$!
	for _ in $(seq 50); do
		python3 -c "import urllib.request; urllib.request.urlopen('http://$front/healthz', timeout=1)" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "nginx ($1) did not start"
}
stop() { kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true; }

# one request's status and Retry-After
probe() {
	python3 -c "
import http.client
c = http.client.HTTPConnection('$front', timeout=5)
c.request('GET', '/work')
r = c.getresponse()
print(r.status, r.getheader('Retry-After') or '-')"
}

run() { # NAME STEPS
	"$build/bench/openloop" --quiet --steps "$2" --budget 1s --json "$tmp/$1.json" "http://$front/work" ||
		fail "openloop against the $1 arm exited $?"
}
step() { jq -c ".report.steps[0] | {scheduled, ok, shed, errors}" "$tmp/$1.json"; }

start none 1
run none 20:1s
jq -e '.report.steps[0] | .ok == .scheduled and .scheduled > 5' "$tmp/none.json" > /dev/null ||
	fail "none: not every request answered 200: $(step none)"
stop
ok "none: $(step none)"

start limit_conn 1
run limit_conn 100:1s
jq -e '.report.steps[0] | .shed > .scheduled / 2 and .ok > 0 and .errors == 0' "$tmp/limit_conn.json" > /dev/null ||
	fail "limit_conn: want most shed, some served, no error: $(step limit_conn)"
stop
ok "limit_conn: $(step limit_conn)"

start scheduler 1
run scheduler 40:1s
# (the stand-in's threads may count two requests at once: about half)
jq -e '.report.steps[0] | .shed * 3 >= .scheduled and .ok * 3 >= .scheduled and .errors == 0' "$tmp/scheduler.json" > /dev/null ||
	fail "scheduler: want half shed, half served, no error: $(step scheduler)"
# one shed and one admitted, in the stand-in's order
a=$(probe) b=$(probe)
case "$a|$b" in
"503 7|200 -"|"200 -|503 7") ;;
*) fail "scheduler: two requests answered '$a' and '$b', want '503 7' (Retry-After from the endpoint) and '200 -'" ;;
esac
grep -qvx '/v1/admission/auth?cgroup=/scx-shed-svc' "$tmp/asked" &&
	fail "scheduler: the endpoint was asked $(grep -vx '/v1/admission/auth?cgroup=/scx-shed-svc' "$tmp/asked" | head -n1)"
stop
ok "scheduler: $(step scheduler), shed answers carry the endpoint's Retry-After"

# bench/shed.sh's choice of arms, before any VM: a loader without the
# admission endpoints cannot run the scheduler arm when asked for it
fake=$tmp/fake-build
mkdir -p "$fake/loader" "$fake/bench" "$fake/tests/vm"
touch "$fake/bench/openloop" "$fake/bench/cpu_service" "$fake/tests/vm/initramfs.cpio"
echo "a loader from before issue 17" > "$fake/loader/scx_slo"
shed_refuses() { # WANT ARGS...
	local want=$1 out rc=0
	shift
	out=$("$root/bench/shed.sh" --build "$fake" --out "$tmp/out" "$@" 2>&1) || rc=$?
	[ "$rc" = 2 ] || fail "bench/shed.sh $*: exit $rc, want 2 ($out)"
	[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "bench/shed.sh $*: more than one line: $out"
	case $out in *"$want"*) ;; *) fail "bench/shed.sh $*: said '$out', want '$want'" ;; esac
}
shed_refuses "--arms scheduler: the loader in $fake has no /v1/admission/auth and /v1/pressure endpoints" --arms none,scheduler
shed_refuses "--arms haproxy: the loader in $fake has no /v1/admission/auth and /v1/pressure endpoints" --arms haproxy
shed_refuses "--shed-target wants a ratio such as 1% or 0.01, not 'lots'" --shed-target lots
shed_refuses "--front-budget wants a duration with a unit" --front-budget 5
shed_refuses "--arms: unknown arm 'fifo'" --arms none,fifo
shed_refuses "--arms: an arm is named twice" --arms "none none"
shed_refuses "--step wants whole seconds" --step 0.5
shed_refuses "--work wants a duration with a unit" --work 5
ok "bench/shed.sh refuses the scheduler and haproxy arms without the loader's endpoints, and bad arms and options, in one line"
