# Load: the scheduler attaches, sched_ext reports it enabled under our name,
# and it schedules real work.
start_scx_slo
[ "$(sched_ops)" = slo ] || fail "root/ops is '$(sched_ops)', want 'slo'"
grep -q 'scheduler .slo. attached' "$ERR" || fail "no attach message"
stress-ng --cpu "$(nproc)" --timeout 3s -q || fail "stress-ng failed"
[ "$(sched_state)" = enabled ] || fail "state is $(sched_state) after load"
kill -0 "$SCX_PID" || fail "scx_slo died under load"
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || fail "scx_slo exit status $SCX_RC"
