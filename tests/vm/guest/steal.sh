# Rule 5: stealing.  Node 0's first LLC is overloaded with hogs that may
# run anywhere.  With a loose budget nobody is at risk: only same-node
# domains take work.  With a 1 ms budget the queue is at risk and the other
# node steals too.  No cross-node steal ever takes a task with a slice
# (3 ms) of slack left.
cg_create steal
run_phase() { # $1: scx_slo SLO argument
	start_scx_slo "$@"
	pids=
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		cg_spawn steal taskset -c 0,1 sh -c 'while :; do :; done'
		pids="$pids $SPAWNED"
	done
	sleep 1
	# widen the hogs to every CPU: they stay queued in domain 0 until stolen
	for p in $pids; do taskset -p -c 0-7 "$p" > /tmp/taskset.out || fail "taskset $p"; done
	sleep 6
	kill $pids
	stop_scx_slo
	[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC"
	near=$(final_domain_sum 5) far=$(final_domain_sum 6) notlate=$(final_domain_sum 7)
	sed -n '/final stats/,/^CGROUP/p' "$OUT"
}

run_phase --slo /steal=100ms
log "loose budget: same-node steals $near, cross-node $far, cross-node not at risk $notlate"
[ "$near" -gt 0 ] || fail "no same-node steals under imbalance"
[ "$near" -gt "$far" ] || fail "cross-node steals ($far) not fewer than same-node ($near)"
[ "$notlate" -eq 0 ] || fail "$notlate cross-node steals of tasks with a slice of slack left"

run_phase --slo /steal=1ms
log "1 ms budget: same-node steals $near, cross-node $far, cross-node not at risk $notlate"
[ "$far" -gt 0 ] || fail "no cross-node steals of work at risk"
[ "$notlate" -eq 0 ] || fail "$notlate cross-node steals of tasks with a slice of slack left"
