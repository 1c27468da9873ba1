# Stress: 20 s of CPU, fork and context-switch load ends with no sched_ext
# error exit, and the scheduler is still the one attached.
n=$(nproc)
start_scx_slo
stress-ng --cpu "$n" --fork "$n" --switch "$n" --timeout 20s --metrics-brief ||
	fail "stress-ng failed"
kill -0 "$SCX_PID" 2>/dev/null || fail "scx_slo exited during the stress run"
[ "$(sched_state)" = enabled ] || fail "state is $(sched_state) after stress"
[ "$(sched_ops)" = slo ] || fail "ops is '$(sched_ops)' after stress"
stop_clean
if dmesg | grep -q 'sched_ext: BPF scheduler "slo" errored'; then fail "sched_ext error in dmesg"; fi
log "runs $(awk '/^runs/{print $2}' "$OUT" | tail -n1) under stress, no error exit"
