# Load: the scheduler attaches, sched_ext reports it enabled under our name,
# and it schedules real work.  Then again with --max-slice 3ms, every slice
# --slice: the verifier checks a different program when the slice does not
# depend on the budget (rodata drops that code), and a kernel's verifier
# may take one and not the other.
for extra in "" "--max-slice 3ms"; do
	# shellcheck disable=SC2086 # word splitting of the options is meant
	start_scx_slo $extra
	[ "$(sched_ops)" = slo ] || fail "root/ops is '$(sched_ops)', want 'slo' ($extra)"
	grep -q 'scheduler .slo. attached' "$ERR" || fail "no attach message ($extra)"
	stress-ng --cpu "$(nproc)" --timeout 3s -q || fail "stress-ng failed ($extra)"
	[ "$(sched_state)" = enabled ] || fail "state is $(sched_state) after load ($extra)"
	kill -0 "$SCX_PID" || fail "scx_slo died under load ($extra)"
	stop_scx_slo
	[ "$SCX_RC" -eq 0 ] || fail "scx_slo exit status $SCX_RC ($extra)"
done
