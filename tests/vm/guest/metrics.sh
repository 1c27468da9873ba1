# /metrics and /healthz under load (run by tests/vm/prometheus.sh, which
# scrapes this guest from a real Prometheus on the host): a tight-budget
# cgroup overloaded beside a batch cgroup, an idle cgroup, then 10 s of wrk
# against /metrics inside the guest while the scheduler keeps running;
# `scx_slo health` passes before and after.
cg_create tight
cg_create idle
cg_create batch
start_scx_slo --slo /tight=1ms --metrics 0.0.0.0:9464
health=$(wget -q -O - http://127.0.0.1:9464/healthz) || fail "/healthz not 200 while attached"
[ "$health" = ok ] || fail "/healthz says '$health'"
wget -q -O /tmp/m.txt http://127.0.0.1:9464/metrics || fail "/metrics not served"
grep -q '^scx_slo_info{' /tmp/m.txt || fail "no scx_slo_info in /metrics"
grep -q '^scx_slo_metrics_age_seconds ' /tmp/m.txt || fail "no scx_slo_metrics_age_seconds in /metrics"
out=$(scx_slo health) || fail "scx_slo health: $out"
if wget -q -O - --post-data=x http://127.0.0.1:9464/metrics > /dev/null 2>&1; then
	fail "POST /metrics was accepted"
fi

cg_spawn batch stress-ng --cpu "$(nproc)" --timeout 80s -q
stress=$SPAWNED
cg_spawn tight cyclictest --policy=other -t 1 -i 1000 -D 70 -q
probe=$SPAWNED
cg_spawn idle sh -c 'while :; do sleep 1; done'
idle=$SPAWNED
# the host's Prometheus scrapes every second meanwhile
sleep "${SCRAPE_WINDOW:-40}"

# 30 connections: one client gets at most 32 (--metrics limits per address)
wrk -t 2 -c 30 -d 10s http://127.0.0.1:9464/metrics > /tmp/wrk.out 2>&1 || fail "wrk failed"
cat /tmp/wrk.out
rps=$(awk '/^Requests\/sec:/ {print $2}' /tmp/wrk.out)
log "wrk: $rps requests/s against /metrics"
health=$(wget -q -O - http://127.0.0.1:9464/healthz) || fail "/healthz not 200 after wrk"
[ "$(sched_state)" = enabled ] && [ "$(sched_ops)" = slo ] || fail "scheduler not attached after wrk"
out=$(scx_slo health) || fail "scx_slo health after wrk: $out"
kill -0 "$SCX_PID" || fail "scx_slo died under wrk"
log "METRICS-WRK requests_per_sec=$rps health=$health"
kill "$probe" "$idle" "$stress" 2>/dev/null
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC"
