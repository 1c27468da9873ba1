#!/usr/bin/env bash
# nginx and HAProxy in front of a trivial backend, guarded by the admission
# configurations shipped in deploy/proxy/ (run as they are), against
# shed_server: the loader's HTTP server and shed controller with a scripted
# signal (/hot overloaded, /calm not).  Checks, for each proxy:
#   - /calm: every request reaches the backend (200);
#   - /hot: most requests are shed with 503, Retry-After (whole seconds)
#     and X-SCX-SLO-Reason, and no shed request reaches the backend;
#   - a stale signal (shed_server stops updating) admits everything;
#   - nginx: scx_slo gone altogether admits everything (fail open);
#   - HAProxy: the poller sets /hot's server maxconn to its concurrency
#     limit (1), leaves /calm's at 0 (none), and lifts /hot's when stale;
#     requests queued at the proxy under /lift's limit when its signal
#     goes stale are let in, not answered 503.
#   proxy.sh PATH/TO/shed_server        (ctest label "proxy", about 20 s)
set -uo pipefail
SERVER=${1:?usage: proxy.sh PATH/TO/shed_server}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DEPLOY=$TOP/deploy/proxy
FAILED=0
PIDS=()

ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; FAILED=1; }
for tool in nginx haproxy curl python3; do
	command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin
	command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed (tests/setup.sh installs it)"; exit 1; }
done

T=$(mktemp -d /tmp/scx-slo-proxy.XXXXXX)
chmod 755 "$T"	# nginx workers run as nobody
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# six free ports at once (each Python start costs up to a second on a loaded host)
read -r -a FREE_PORTS <<<"$(python3 -c '
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')"
free_port() { # PORT_VAR INDEX
	printf -v "$1" '%s' "${FREE_PORTS[$2]}"
}

wait_http() { # URL: until it answers at all, 5 s at most
	local i
	for i in $(seq 50); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
	done
	return 1
}

start_shed_server() { # sets SERVER_PID, SHED_PORT
	coproc SHED { exec "$SERVER" 127.0.0.1:0; }
	SERVER_PID=$SHED_PID
	PIDS+=("$SERVER_PID")
	if ! read -r -t 10 SHED_PORT <&"${SHED[0]}"; then
		echo "FAIL: shed_server did not start"; exit 1
	fi
}

# The backend: every request it serves is a line in its log.
mkdir -p "$T/www"
echo hot >"$T/www/hot"
echo calm >"$T/www/calm"
free_port APP_PORT 0
python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$APP_PORT" 2>"$T/app.log" >/dev/null &
PIDS+=($!)
wait_http "http://127.0.0.1:$APP_PORT/calm" || { echo "FAIL: backend did not start"; exit 1; }
backend_hits() { grep -c "\"GET /$1 " "$T/app.log"; }

# send URL N: one line per answer into $T/codes: status, Retry-After, X-SCX-SLO-Reason
# (one curl for all N: spawning processes is what costs on a loaded host)
send() {
	local url=$1 n=$2 i args=()
	for i in $(seq "$n"); do args+=(-o /dev/null "$url"); done
	curl -s -w '%{http_code} %header{retry-after} %header{x-scx-slo-reason}\n' "${args[@]}" >"$T/codes"
}
count() { awk -v c="$1" '$1 == c' "$T/codes" | wc -l; }

# check_hot PROXY URL: shed answers are well formed and never reach the backend
check_hot() {
	local name=$1 url=$2 before after n200 n503 good
	before=$(backend_hits hot)
	send "$url" 40
	after=$(backend_hits hot)
	n200=$(count 200)
	n503=$(count 503)
	if [ $((n200 + n503)) -ne 40 ]; then
		fail "$name /hot: answers other than 200 and 503: $(cut -d' ' -f1 "$T/codes" | sort | uniq -c | tr '\n' ' ')"
	fi
	# the signal's probability is 0.95: fewer than 25 of 40 shed is about impossible
	if [ "$n503" -ge 25 ]; then ok "$name /hot: $n503 of 40 shed with 503"
	else fail "$name /hot: only $n503 of 40 shed"; fi
	if [ $((after - before)) -eq "$n200" ]; then
		ok "$name /hot: the backend saw exactly the $n200 admitted requests"
	else
		fail "$name /hot: the backend saw $((after - before)) requests for $n200 admitted"
	fi
	good=$(awk '$1 == 503 && $2 ~ /^[0-9]+$/ && $3 ~ /^[a-z]+$/' "$T/codes" | wc -l)
	if [ "$good" -eq "$n503" ]; then
		ok "$name /hot: every 503 has Retry-After and X-SCX-SLO-Reason ($(awk '$1 == 503 { print "Retry-After: " $2 ", X-SCX-SLO-Reason: " $3; exit }' "$T/codes"))"
	else
		fail "$name /hot: $good of $n503 shed answers have a numeric Retry-After and a reason"
		head -5 "$T/codes"
	fi
}

# check_all_admitted PROXY URL WHAT
check_all_admitted() {
	local name=$1 url=$2 what=$3 before after
	before=$(backend_hits "${url##*/}")
	send "$url" 20
	after=$(backend_hits "${url##*/}")
	if [ "$(count 200)" -eq 20 ] && [ $((after - before)) -eq 20 ]; then
		ok "$name ${url##*/} $what: 20 of 20 admitted and served"
	else
		fail "$name ${url##*/} $what: $(cut -d' ' -f1 "$T/codes" | sort | uniq -c | tr '\n' ' '), backend saw $((after - before))"
	fi
}

# ---- nginx: auth_request --------------------------------------------------------------
start_shed_server
free_port NGINX_PORT 1
mkdir -p "$T/nginx"
cat >"$T/nginx/nginx.conf" <<EOF
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $T/nginx/body;
    proxy_temp_path $T/nginx/proxy;
    fastcgi_temp_path $T/nginx/fastcgi;
    uwsgi_temp_path $T/nginx/uwsgi;
    scgi_temp_path $T/nginx/scgi;
    upstream scx_slo { server 127.0.0.1:$SHED_PORT; keepalive 8; }
    upstream app { server 127.0.0.1:$APP_PORT; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        include $DEPLOY/nginx/scx-slo-server.conf;
        location = /hot {
            set \$scx_slo_cgroup /hot;
            include $DEPLOY/nginx/scx-slo-location.conf;
            proxy_pass http://app;
        }
        location = /calm {
            set \$scx_slo_cgroup /calm;
            include $DEPLOY/nginx/scx-slo-location.conf;
            proxy_pass http://app;
        }
    }
}
EOF
if ! out=$(nginx -t -p "$T/nginx" -c "$T/nginx/nginx.conf" 2>&1); then
	fail "nginx -t: $out"; exit 1
fi
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" &
PIDS+=($!)
NGINX=http://127.0.0.1:$NGINX_PORT
wait_http "$NGINX/calm" || { fail "nginx did not start: $(cat "$T/nginx/error.log")"; exit 1; }

check_all_admitted nginx "$NGINX/calm" "(calm)"
check_hot nginx "$NGINX/hot"
kill -USR1 "$SERVER_PID"
sleep 2.5
check_all_admitted nginx "$NGINX/hot" "(signal stale)"
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
check_all_admitted nginx "$NGINX/hot" "(scx_slo down)"

# ---- HAProxy: runtime-API map kept by scx-slo-poller -------------------------------------
# FIELD of server app/app in HAProxy CG, as its runtime API reports it
# (show stat; slim: the maxconn, empty for no limit, 0), or "queued": the
# requests waiting for it, in its own queue and its backend's
server_stat() { # CG FIELD
	python3 - "$T/$1.sock" "$2" <<'PY'
import csv, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
out = b""
while chunk := s.recv(65536):
    out += chunk
rows = csv.reader(out.decode().lstrip("# ").splitlines())
head = next(rows)
rows = [r for r in rows if len(r) == len(head) and r[0] == "app"]
if sys.argv[2] == "queued":
    print(sum(int(r[head.index("qcur")] or 0) for r in rows if r[1] in ("app", "BACKEND")))
else:
    print([r[head.index(sys.argv[2])] or 0 for r in rows if r[1] == "app"][0])
PY
}
server_maxconn() { server_stat "$1" slim; }
# twelve requests to /lift at once, in the background (LIFT_CURL), one
# connection each; their status codes in $T/lift.codes
lift_burst() {
	local args=() n
	for n in $(seq 12); do args+=(-o /dev/null "$HAPROXY_lift"); done
	curl -s --parallel --parallel-immediate --parallel-max 12 -w '%{http_code}\n' "${args[@]}" \
		>"$T/lift.codes" 2>/dev/null &
	LIFT_CURL=$!
}
check_maxconn() { # CG WANT WHAT
	local got
	got=$(server_maxconn "$1")
	if [ "$got" = "$2" ]; then ok "haproxy /$1 $3: server maxconn $got"
	else fail "haproxy /$1 $3: server maxconn '$got', want $2"; fi
}

# The backend of /lift: every request takes 2 s
free_port SLOW_PORT 5
python3 - "$SLOW_PORT" <<'PY' 2>"$T/slow.err" &
import http.server, sys, time
class Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(2)
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"lift\n")
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Slow).serve_forever()
PY
PIDS+=($!)

start_shed_server
i=2
for cg in hot calm lift; do
	printf '/hot 0:0:1\n/calm 0:0:1\n/lift 0:0:1\n' >"$T/$cg.map"
	free_port port $i
	i=$((i + 1))
	eval "HAPROXY_$cg=http://127.0.0.1:$port/$cg"
	app=127.0.0.1:$APP_PORT queue=10ms key=/$cg
	# /lift: the slow backend, a queue that outlasts its requests, and
	# the limit alone (/lift sheds too: its frontend looks up a cgroup
	# the map does not hold, so it admits)
	[ "$cg" = lift ] && app=127.0.0.1:$SLOW_PORT queue=30s key=/unmapped
	SCX_SLO_HAPROXY_SOCKET=$T/$cg.sock SCX_SLO_BIND=127.0.0.1:$port SCX_SLO_MAP=$T/$cg.map \
	SCX_SLO_CGROUP=$key SCX_SLO_APP=$app SCX_SLO_QUEUE_TIMEOUT=$queue \
		haproxy -db -f "$DEPLOY/haproxy/haproxy.cfg" >"$T/haproxy-$cg.log" 2>&1 &
	PIDS+=($!)
	wait_http "http://127.0.0.1:$port/$cg" ||
		{ fail "haproxy did not start: $(cat "$T/haproxy-$cg.log")"; exit 1; }
	"$DEPLOY/haproxy/scx-slo-poller" --server "/$cg=app/app" "http://127.0.0.1:$SHED_PORT" \
		"$T/$cg.sock" "$T/$cg.map" 0.1 2>"$T/poller-$cg.log" &
	PIDS+=($!)
done
sleep 1
check_all_admitted haproxy "$HAPROXY_calm" "(calm)"
check_hot haproxy "$HAPROXY_hot"
check_maxconn hot 1 "(the cgroup's concurrency limit)"
check_maxconn calm 0 "(calm: no limit)"
check_maxconn lift 1 "(the cgroup's concurrency limit)"

# Twelve requests to /lift at once, queued at HAProxy under its limit,
# and then the signal goes stale: failing open, the poller lifts the
# limit, but lets the queue in first (HAProxy answers a queue under
# maxconn 0 with 503s: 10 of 12 requests when the poller did not)
limit=$(server_maxconn lift)
lift_burst
sleep 0.7
queued=$(server_stat lift queued)
kill -USR1 "$SERVER_PID"
sleep 2.5
check_all_admitted haproxy "$HAPROXY_hot" "(signal stale)"
check_maxconn hot 0 "(signal stale: no limit)"
wait "$LIFT_CURL"
if [ "$limit" != 0 ] && [ "${queued:-0}" -ge 5 ] && [ "$(grep -c '^200$' "$T/lift.codes")" -eq 12 ]; then
	ok "haproxy /lift (signal stale): 12 of 12 served, $queued of them queued under maxconn $limit when it went stale"
else
	fail "haproxy /lift (signal stale): answers $(sort "$T/lift.codes" | uniq -c | tr '\n' ' ') with $queued queued under maxconn $limit, want 5 or more queued and 12 200s"
fi
check_maxconn lift 0 "(signal stale: no limit)"
if [ -s "$T/poller-hot.log" ]; then fail "poller: $(head -3 "$T/poller-hot.log")"; fi

exit $FAILED
