# SIGTERM: scx_slo detaches cleanly, reports why, and sched_ext is disabled.
start_scx_slo
stress-ng --cpu "$(nproc)" --timeout 10s -q &
load=$!
sleep 2
stop_scx_slo TERM
[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC after SIGTERM, want 0"
wait_state disabled 100 || fail "state is $(sched_state) after SIGTERM"
grep -q 'detached: UNREG' "$ERR" || fail "no 'detached: UNREG...' exit report"
grep -q '=== scx_slo final stats ===' "$OUT" || fail "no final statistics"
kill -0 "$load" || fail "the workload did not survive the detach"
wait "$load" || fail "stress-ng failed"
