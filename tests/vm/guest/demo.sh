# The demo workload (tests/demo.sh): a 5 ms-budget probe beside a batch
# cgroup that saturates every CPU, with live statistics from scx_slo.
seconds=${DEMO_SECONDS:-20}
cg_create demo-web
cg_create demo-batch
start_scx_slo --slo /demo-web=5ms --stats 5
echo "state: $(sched_state), ops: $(sched_ops)"
cg_spawn demo-batch stress-ng --cpu "$(nproc)" --timeout "$((seconds + 5))s" -q
batch=$SPAWNED
cg_run demo-web cyclictest --policy=other -t 1 -i 2000 -D "$seconds" -q > /tmp/cyclictest.out ||
	fail "cyclictest failed"
echo "state: $(sched_state), ops: $(sched_ops)"
stop_scx_slo
kill "$batch" 2>/dev/null; wait "$batch" 2>/dev/null
cat "$OUT"
echo "cyclictest (wakeup latency, us) in /demo-web:"
cat /tmp/cyclictest.out
echo "state after detach: $(sched_state)"
[ "$SCX_RC" -eq 0 ] || fail "scx_slo exited with $SCX_RC"
