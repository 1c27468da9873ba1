# A second loader on the same heartbeat (a second scx_slo in one container,
# or run by hand beside the DaemonSet's) finds it locked: one line, exit 5,
# the first unharmed.  (A second loader with a heartbeat of its own waits
# for the sched_ext slot instead: the policy test.)
start_scx_slo
scx_slo > /tmp/second.out 2> /tmp/second.err
rc=$?
cat /tmp/second.err
[ "$rc" -eq 5 ] || fail "second scx_slo exited $rc, want 5"
[ "$(wc -l < /tmp/second.err)" -eq 1 ] || fail "expected one line from the second instance"
grep -q "another scx_slo (pid $SCX_PID) holds /run/scx_slo/heartbeat" /tmp/second.err ||
	fail "message does not name the running loader"
[ "$(sched_ops)" = slo ] && [ "$(sched_state)" = enabled ] || fail "first instance disturbed"
kill -0 "$SCX_PID" || fail "first instance died"
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || fail "first instance exit status $SCX_RC"
