# A verifier rejection: exit 6, the tail of the verifier log, no libbpf
# noise without -v, and nothing left attached.
scx_slo --debug-verifier-reject > /tmp/v.out 2> /tmp/v.err
rc=$?
cat /tmp/v.err
[ "$rc" -eq 6 ] || fail "exit status $rc, want 6"
grep -q 'verifier rejected' /tmp/v.err || fail "no rejection message"
grep -q -- '--- verifier log' /tmp/v.err || fail "no verifier log tail"
if grep -q '^libbpf:' /tmp/v.err; then fail "libbpf noise printed without -v"; fi
[ "$(sched_state)" = disabled ] || fail "state is $(sched_state)"
scx_slo -v --debug-verifier-reject > /dev/null 2> /tmp/v2.err
rc=$?
[ "$rc" -eq 6 ] || fail "with -v: exit status $rc, want 6"
grep -q '^libbpf:' /tmp/v2.err || fail "-v does not show libbpf's messages"
log "rejected as expected; $(wc -l < /tmp/v2.err) lines with -v"
