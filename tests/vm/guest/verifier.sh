# A verifier rejection: exit 6, the tail of the verifier log, no libbpf
# noise without -v, and nothing left attached.
scx_slo --debug-verifier-reject > /tmp/v.out 2> /tmp/v.err
rc=$?
cat /tmp/v.err
[ "$rc" -eq 6 ] || fail "exit status $rc, want 6"
grep -q 'verifier rejected' /tmp/v.err || fail "no rejection message"
grep -q -- '--- verifier log' /tmp/v.err || fail "no verifier log tail"
# the log runs to many pages (the rejection comes last in slo_init), and
# its tail must be the log's end, which every kernel closes with
# "processed N insns", not the end of its first page
sed -n '/^--- verifier log/,/^---$/p' /tmp/v.err | grep -q '^processed [0-9]* insns' ||
	fail "the verifier log tail is not the log's end"
if grep -q '^libbpf:' /tmp/v.err; then fail "libbpf noise printed without -v"; fi
[ "$(sched_state)" = disabled ] || fail "state is $(sched_state)"
scx_slo -v --debug-verifier-reject > /dev/null 2> /tmp/v2.err
rc=$?
[ "$rc" -eq 6 ] || fail "with -v: exit status $rc, want 6"
grep -q '^libbpf:' /tmp/v2.err || fail "-v does not show libbpf's messages"
[ "$(wc -c < /tmp/v2.err)" -gt 16384 ] || fail "-v: the verifier log is under 16 KB: the tail check proves nothing"
log "rejected as expected; $(wc -l < /tmp/v2.err) lines with -v"

# A load that passes: -v reports what the verifier walked for each program
# (bpf_prog_info.verified_insns) and how long loading took.
start_scx_slo -v
stop_clean
for prog in slo_enqueue slo_dispatch slo_select_cpu; do
	n=$(sed -n "s/^.*verifier: $prog: \([0-9]*\) instructions verified.*/\1/p" "$ERR")
	case $n in ""|0) fail "-v reports no verified instructions for $prog" ;; esac
done
total=$(sed -n 's/^.*verifier: \([0-9]*\) instructions verified in all; loading took \([0-9]*\) ms.*/\1 \2/p' "$ERR")
[ -n "$total" ] || fail "-v reports no total of verified instructions"
log "verified instructions in all, and load ms: $total; $(grep -c 'instructions verified$' "$ERR") programs"
