# The metrics port under attack (issue 15): scx_slo serves --metrics on
# 127.0.0.1:9464 while http_flood holds 4000 slow connections (a byte of
# header every 5 s, reopened when cut), floods /metrics and keeps slow
# readers on it, for FLOOD_SECONDS (20 in CI; sed it to 60 for the issue's
# full run) in each of two phases: every connection from one address (one
# pod), then from 250.  Every second a second http_flood runs `scx_slo
# health` (the exec probe) and a GET /healthz on a fresh connection from
# 127.0.0.2.  As on a node, the attacker has a cgroup of its own and the
# loader and its probes share another (/scx, budget 20ms: a Burstable pod's
# under the default SLOs).
#
# Passes when, in both phases, every `scx_slo health` exits 0 within 1 s,
# the loader's RSS stays under 64 MiB, and the scheduler stays attached;
# /healthz is reported (and must answer 200 within 1 s 80% of the time
# when the attack comes from one address).  The 1 s assumes a host that
# gives the VM its cores (CI runs one VM at a time): when the probes alone,
# before any flood, already take more than 500 ms at worst, the host is
# too loaded to judge 1 s and the bound is that worst time plus 1 s (said
# in the log).  Then the probe's failure modes: a stopped loader fails it
# (its heartbeat ages), a stopped scheduler fails it with one line.
FLOOD_SECONDS=${FLOOD_SECONDS:-20}
RSS_BOUND_KB=$((64 * 1024))

cg_create scx
cg_create attacker
echo $$ > "$CG/scx/cgroup.procs" || fail "cannot move the test into /scx"
start_scx_slo --metrics 127.0.0.1:9464 --slo /scx=20ms
out=$(scx_slo health) || fail "scx_slo health failed right after attach: $out"
log "scx_slo health: $out"
wget -q -O /tmp/m.txt http://127.0.0.1:9464/metrics || fail "/metrics not served"
grep -q '^scx_slo_metrics_age_seconds ' /tmp/m.txt || fail "/metrics has no scx_slo_metrics_age_seconds"
log "/metrics: $(grep -c '' /tmp/m.txt) lines, $(grep '^scx_slo_metrics_age_seconds ' /tmp/m.txt)"

# field NAME [FILE]: NAME=VALUE of the FLOOD line in FILE (the probes')
field() { tr ' ' '\n' < "${2:-/tmp/flood.out}" | awk -F= -v k="$1" '$1 == k { v = $2 } END { print v }'; }

# phase NAME MIN_HEALTHZ_PCT FLOOD_ARGS...
phase() {
	_name=$1 _pct=$2; shift 2
	# The attacker on one vCPU of its own, at most 1000 connects a second
	# (enough to fill every slot of the old server in 3 s): on a node it
	# runs on other CPUs, while here every busy vCPU slows the others down
	# (4 vCPUs share the host's 2 cores), the probes' included.
	cg_spawn attacker taskset -c 3 http_flood --target 127.0.0.1:9464 \
		--duration "$FLOOD_SECONDS" --max-opens 1000 "$@" > /tmp/attack.out 2> /tmp/attack.err
	_attacker=$SPAWNED
	http_flood --target 127.0.0.1:9464 --duration "$FLOOD_SECONDS" \
		--healthz-from 127.0.0.2 --exec "scx_slo health" --probe-timeout-ms "$BOUND_MS" \
		--rss-pid "$SCX_PID" > /tmp/flood.out 2> /tmp/flood.err ||
		fail "$_name: http_flood (probes) failed: $(tail -n 3 /tmp/flood.err)"
	wait "$_attacker" || fail "$_name: http_flood (attack) failed: $(tail -n 3 /tmp/attack.err)"
	log "$_name attack: $(cat /tmp/attack.out)"
	log "$_name probes: $(cat /tmp/flood.out)"
	sort /tmp/flood.err | uniq -c | sort -rn | head -n 5
	_ok=$(field exec_ok) _n=$(field exec_total)
	[ "$_n" -ge $((FLOOD_SECONDS - 3)) ] || check_fail "$_name: only $_n health probes ran"
	[ "$_ok" = "$_n" ] && [ "$(field probes_unfinished)" = 0 ] ||
		check_fail "$_name: scx_slo health passed within $BOUND_MS ms $_ok times of $_n (slowest $(field exec_max_ms) ms)"
	_rss=$(field rss_max_kb)
	[ "$_rss" -gt 0 ] && [ "$_rss" -lt "$RSS_BOUND_KB" ] ||
		check_fail "$_name: loader RSS reached $_rss KiB (bound $RSS_BOUND_KB KiB)"
	# one probe a second from t=1 s: a probe stuck for 10 s is 10 missed
	_hok=$(field healthz_ok) _hn=$(field healthz_total)
	[ "$_pct" -eq 0 ] || [ $((_hok * 100)) -ge $(((FLOOD_SECONDS - 1) * _pct)) ] ||
		check_fail "$_name: /healthz answered 200 within $BOUND_MS ms $_hok times in $FLOOD_SECONDS s ($_hn probes, slowest $(field healthz_max_ms) ms), want $_pct% of $((FLOOD_SECONDS - 1))"
	slo_attached "after the $_name flood"
	log "HTTP-FLOOD $_name bound_ms=$BOUND_MS health=$_ok/$_n health_max_ms=$(field exec_max_ms) health_avg_ms=$(field exec_avg_ms) healthz=$_hok/$_hn healthz_max_ms=$(field healthz_max_ms) healthz_avg_ms=$(field healthz_avg_ms) rss_max_kb=$_rss tcp_mem_max_kb=$(field tcp_mem_max_kb) slow_opened=$(field slow_opened /tmp/attack.out) slow_held_avg=$(field slow_held_avg /tmp/attack.out) metrics_ok=$(field flood_ok /tmp/attack.out)"
}

# the probes' own cost on this machine, with no flood: what the bound is
http_flood --target 127.0.0.1:9464 --duration 10 --healthz-from 127.0.0.2 \
	--exec "scx_slo health" --rss-pid "$SCX_PID" > /tmp/flood.out 2> /tmp/flood.err ||
	fail "baseline: http_flood failed: $(tail -n 3 /tmp/flood.err)"
base_max=$(field exec_max_ms)
[ "$(field healthz_max_ms)" -le "$base_max" ] || base_max=$(field healthz_max_ms)
BOUND_MS=1000
if [ "$base_max" -gt 500 ]; then
	BOUND_MS=$((base_max + 1000))
	log "host too loaded to judge 1 s: the probes alone took up to $base_max ms; bound $BOUND_MS ms"
fi
log "HTTP-FLOOD baseline (no flood) health=$(field exec_ok)/$(field exec_total) health_max_ms=$(field exec_max_ms) health_avg_ms=$(field exec_avg_ms) healthz=$(field healthz_ok)/$(field healthz_total) healthz_max_ms=$(field healthz_max_ms) rss_max_kb=$(field rss_max_kb) bound_ms=$BOUND_MS"

phase one-client 80 --from 127.0.0.1 --slow 4000 --flood 16 --slow-readers 200
phase many-clients 0 --from 127.1.0.1-250 --slow 4000 --flood 64 --slow-readers 400 \
	--ramp-ms $((FLOOD_SECONDS * 1000))
wget -q -O /tmp/m.txt http://127.0.0.1:9464/metrics || check_fail "/metrics not served after the floods"
grep '^scx_slo_http_' /tmp/m.txt
health=$(wget -q -O - http://127.0.0.1:9464/healthz) || check_fail "/healthz not 200 after the floods: $health"
checks_done

# A stopped loader: its heartbeat ages past --max-age, with one line.
kill -STOP "$SCX_PID"
sleep 3
if out=$(scx_slo health --max-age 2s 2>&1); then
	kill -CONT "$SCX_PID"
	fail "scx_slo health passed with the loader stopped for 3 s: $out"
fi
kill -CONT "$SCX_PID"
log "stopped loader: $out"
echo "$out" | grep -q 'has not completed a pass of its main loop for' ||
	fail "stopped loader: unexpected reason '$out'"
[ "$(echo "$out" | wc -l)" -eq 1 ] || fail "stopped loader: more than one line"
sleep 2
out=$(scx_slo health --max-age 2s) || fail "scx_slo health still failing after SIGCONT: $out"

# The scheduler detached: the heartbeat is gone and sched_ext is disabled.
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || fail "scx_slo exit status $SCX_RC"
if out=$(scx_slo health 2>&1); then
	fail "scx_slo health passed with no scheduler: $out"
fi
log "no scheduler: $out"
echo "$out" | grep -q "^scx_slo: unhealthy: sched_ext state is 'disabled'" ||
	fail "no scheduler: unexpected reason '$out'"
