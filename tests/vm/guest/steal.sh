# Rule 5: stealing.  Node 0's first LLC is overloaded with hogs that may
# run anywhere.  With a loose budget nobody is at risk: only same-node
# domains take work.  With a 1 ms budget the queue is at risk and the other
# node steals too.  No cross-node steal ever takes a task with a slice
# (3 ms) of slack left.  Last, no idle pull without an idle CPU: a CPU
# whose lone task's slice ends does not take work from a busier LLC of its
# node, or tasks would bounce between the two every slice.
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

# 5 hogs on node 0's 4 CPUs: 3 in LLC 0 (CPUs 0-1), 2 in LLC 1 (CPUs 2-3),
# then all allowed on the 4.  LLC 0 keeps a task queued and no CPU idle;
# each CPU of LLC 1 has a lone task and an empty queue.  No CPU goes idle,
# so nothing may be pulled: a CPU that pulled at its lone task's slice end
# would put that task in its own queue, the other LLC would pull it back
# at its next slice end, and so on (a build that pulled there: 496 pulls
# here on 7.3.4, against 1).
start_scx_slo --slo /steal=100ms
pids=
for c in 0-1 0-1 0-1 2-3 2-3; do
	cg_spawn steal taskset -c "$c" sh -c 'while :; do :; done'
	pids="$pids $SPAWNED"
done
sleep 1
for p in $pids; do taskset -p -c 0-3 "$p" > /tmp/taskset.out || fail "taskset $p"; done
sleep 6
kill $pids
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC"
pulls=$(final_global steals-idle-pull)
log "no CPU idle: idle pulls $pulls, same-node steals $(final_domain_sum 5), cross-node $(final_domain_sum 6)"
[ "$pulls" -le 10 ] || fail "$pulls idle pulls with no CPU idle: tasks bounce between LLCs at their slice ends"
