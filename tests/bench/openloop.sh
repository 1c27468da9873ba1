#!/usr/bin/env bash
# bench.openloop (label "unit", on the host, ~10 s): bench/openloop and
# bench/cpu_service over the loopback.
#
#   1. open loop: against a server that accepts and never answers, every
#      request is still sent on time (a closed-loop client would send one
#      per connection and wait), and each is counted failed at the timeout;
#   2. against cpu_service, every request is answered 200 and good, and the
#      service's CPU per request is what --work says;
#   3. bad input: one line naming the problem, exit 2, nothing run.
#
#   tests/bench/openloop.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: openloop.sh BUILD_DIR}
openloop=$build/bench/openloop
service=$build/bench/cpu_service
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "bench.openloop: FAIL: $*" >&2; exit 1; }
ok() { echo "bench.openloop: ok: $*"; }

# 1. a listener that never accepts: connections complete in its backlog,
# requests are never answered
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1024)
print(s.getsockname()[1], flush=True)
time.sleep(60)' > "$tmp/silent.port" &
pids+=($!)
for _ in $(seq 50); do [ -s "$tmp/silent.port" ] && break; sleep 0.1; done
port=$(cat "$tmp/silent.port")
[ -n "$port" ] || fail "the silent listener did not start"
"$openloop" --steps 100:1s --timeout 500ms --seed 7 --log "$tmp/silent.log" --json "$tmp/silent.json" \
	"http://127.0.0.1:$port/x" 2> "$tmp/silent.err" || fail "openloop exited $? against a silent server: $(cat "$tmp/silent.err")"
s=$tmp/silent.json
jq -e '.report.steps[0] | .scheduled >= 70 and .scheduled <= 130' "$s" > /dev/null ||
	fail "silent server: $(jq -c '.report.steps[0].scheduled' "$s") requests scheduled, want about 100"
# every one sent well before the 500 ms timeout a closed loop would wait
# for (the bound leaves room for a busy host), none answered, each failed
jq -e '.report.steps[0] | .send_lag_p99_ms < 250 and .ok == 0 and .errors == .scheduled and .no_answer == .scheduled' "$s" > /dev/null ||
	fail "silent server: not sent on time or not all failed: $(jq -c '.report.steps[0]' "$s")"
# a failure counts as the timeout
jq -e '.report.steps[0].admitted_p50_ms >= 500' "$s" > /dev/null ||
	fail "silent server: admitted p50 $(jq '.report.steps[0].admitted_p50_ms' "$s") ms, want the 500 ms timeout"
[ "$(grep -vc '^#' "$tmp/silent.log")" = "$(jq '.requests' "$s")" ] || fail "the log has not one line per request"
# every request was in flight at once: the send times span the second
awk '!/^#/ { if ($2 > m) m = $2 } END { exit !(m > 700000) }' "$tmp/silent.log" ||
	fail "silent server: sends stopped early (closed loop?)"
ok "open loop: $(jq '.report.steps[0].scheduled' "$s") requests sent on time to a server that never answers, all failed at the timeout"

# 2. cpu_service: 2 ms of CPU a request, 40/s
sport=$((20000 + RANDOM % 20000))
"$service" --listen "127.0.0.1:$sport" --work 2ms > "$tmp/service.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$tmp/service.out" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on 127.0.0.1:$sport, 2ms of CPU per request" "$tmp/service.out" ||
	fail "cpu_service did not start: $(cat "$tmp/service.out")"
t0=$(awk '{ print $14 + $15 }' "/proc/${pids[1]}/stat")
"$openloop" --steps 40:2s --budget 1s --json "$tmp/service.json" "http://127.0.0.1:$sport/work" 2> /dev/null ||
	fail "openloop exited $? against cpu_service"
t1=$(awk '{ print $14 + $15 }' "/proc/${pids[1]}/stat")
s=$tmp/service.json
jq -e '.report.steps[0] | .scheduled > 40 and .ok == .scheduled and .good == .ok and .shed == 0' "$s" > /dev/null ||
	fail "cpu_service: $(jq -c '.report.steps[0]' "$s")"
n=$(jq '.report.steps[0].ok' "$s")
# clock ticks (10 ms) of the service for n requests of 2 ms: within 40%
awk -v t=$((t1 - t0)) -v n="$n" 'BEGIN { ms = t * 10 / n; exit !(ms >= 1.2 && ms <= 2.8) }' ||
	fail "cpu_service used $(( (t1 - t0) * 10 )) ms of CPU for $n requests, want about 2 ms each"
ok "cpu_service: $n requests answered, $(( (t1 - t0) * 10 )) ms of CPU"

# 3. refusals
refuse() { # WANT ARGS...
	local want=$1 out rc=0
	shift
	out=$("$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 2 ] || fail "'$*' exited $rc, want 2"
	[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "'$*' printed more than one line: $out"
	case $out in *"$want"*) ;; *) fail "'$*' said '$out', want '$want'" ;; esac
}
refuse "no load" "$openloop" http://127.0.0.1:1/
refuse "step 2: rate 'x' is not a number" "$openloop" --steps 1:1s,x:1s http://127.0.0.1:1/
refuse "--budget '5': duration needs a unit" "$openloop" --steps 1:1s --budget 5 http://127.0.0.1:1/
refuse "must start with http://" "$openloop" --steps 1:1s https://127.0.0.1:1/
refuse "no URL" "$openloop" --steps 1:1s
refuse "--max-inflight '0'" "$openloop" --steps 1:1s -c 0 http://127.0.0.1:1/
refuse "No such file" "$openloop" --steps-file "$tmp/none" http://127.0.0.1:1/
refuse "--work '2s': at most 1s" "$service" --work 2s
refuse "--listen 'localhost:1': 'localhost' is not a numeric IPv4 address" "$service" --listen localhost:1
refuse "port must be 1 to 65535" "$service" --listen 127.0.0.1:0
"$openloop" --help | grep -q -- '--steps-file' || fail "openloop --help"
"$service" --help | grep -q -- '--max-connections' || fail "cpu_service --help"
ok "bad input refused with one line and exit 2"
