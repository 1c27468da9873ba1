# A second instance finds the slot taken: one line, exit 5, first unharmed.
start_scx_slo
scx_slo > /tmp/second.out 2> /tmp/second.err
rc=$?
cat /tmp/second.err
[ "$rc" -eq 5 ] || fail "second scx_slo exited $rc, want 5"
[ "$(wc -l < /tmp/second.err)" -eq 1 ] || fail "expected one line from the second instance"
grep -q "another sched_ext scheduler ('slo'" /tmp/second.err || fail "message does not name the attached scheduler"
[ "$(sched_ops)" = slo ] && [ "$(sched_state)" = enabled ] || fail "first instance disturbed"
kill -0 "$SCX_PID" || fail "first instance died"
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || fail "first instance exit status $SCX_RC"
