# Rule 5: stealing.  Node 0's first LLC is overloaded with hogs that may
# run anywhere.  With a loose budget nobody is at risk: only same-node
# domains take work.  With a 1 ms budget the queue is at risk and the other
# node steals too.  No cross-node steal ever takes a task with a slice
# (3 ms) of slack left.  Last, no idle pull without an idle CPU: a CPU
# whose lone task's slice ends does not take work from a busier LLC of its
# node, or tasks would bounce between the two every slice.  Then weights:
# a pod of low weight that is always late does not take another LLC's
# CPUs from the heavier pod there.
cg_create steal
# run_phase WIDEN "CPU-LISTS" ARGS...: scx_slo with ARGS, a hog pinned to
# each CPU list, then every hog allowed on WIDEN for 6 s; leaves the final
# steal counts in near, far and notlate
run_phase() {
	widen=$1 lists=$2
	shift 2
	start_scx_slo "$@"
	for c in $lists; do hog steal steal "$c"; done
	sleep 1
	# shellcheck disable=SC2013 # one pid a line, each a word
	for p in $(awk '{ print $2 }' "$HOGS"); do
		taskset -p -c "$widen" "$p" > /tmp/taskset.out || fail "taskset $p"
	done
	sleep 6
	hogs_stop
	stop_scx_slo
	[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC"
	near=$(final_domain_sum 5) far=$(final_domain_sum 6) notlate=$(final_domain_sum 7)
	sed -n '/final stats/,/^CGROUP/p' "$OUT"
}

# 12 hogs start in node 0's first LLC (CPUs 0-1) and may then run anywhere:
# they stay queued in domain 0 until stolen
twelve="0,1 0,1 0,1 0,1 0,1 0,1 0,1 0,1 0,1 0,1 0,1 0,1"
run_phase 0-7 "$twelve" --slo /steal=100ms
log "loose budget: same-node steals $near, cross-node $far, cross-node not at risk $notlate"
[ "$near" -gt 0 ] || fail "no same-node steals under imbalance"
[ "$near" -gt "$far" ] || fail "cross-node steals ($far) not fewer than same-node ($near)"
[ "$notlate" -eq 0 ] || fail "$notlate cross-node steals of tasks with a slice of slack left"

run_phase 0-7 "$twelve" --slo /steal=1ms
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
run_phase 0-3 "0-1 0-1 0-1 2-3 2-3" --slo /steal=100ms
pulls=$(final_global steals-idle-pull)
log "no CPU idle: idle pulls $pulls, same-node steals $near, cross-node $far"
[ "$pulls" -le 10 ] || fail "$pulls idle pulls with no CPU idle: tasks bounce between LLCs at their slice ends"

# Stealing follows cpu.weight.  Four hogs of cpu.weight 1 with a 1 ms
# budget start on LLC 0 and may then run on node 0; LLC 1 holds two hogs
# of cpu.weight 10000 and a 5 ms sleeper, pinned there.  The weight-1
# hogs are always overdue, and by wall deadline alone LLC 1 served them
# before its own queue (472-1,411 steals in a boot, and the sleeper
# waited for the starvation backstop); on virtual time they are far
# behind LLC 1's own work (6-29 in four runs).  The sleeper's misses are
# logged, not held: its domain's clock can still jump past the running
# hogs (README, "Measured so far").
cg_mk steal/fast 1
cg_mk steal/slow 10000
cg_mk steal/slow/hogs
cg_mk steal/slow/lat
start_scx_slo --slo /steal/fast=1ms --slo /steal/slow/lat=5ms
for c in 0-1 0-1 0-1 0-1; do hog fast steal/fast "$c"; done
hog slow steal/slow/hogs 2-3
hog slow steal/slow/hogs 2-3
sleep 1
# shellcheck disable=SC2013 # one pid a line, each a word
for p in $(awk '$1 == "fast" { print $2 }' "$HOGS"); do
	taskset -p -c 0-3 "$p" > /tmp/taskset.out || fail "taskset $p"
done
cg_run steal/slow/lat taskset -c 2-3 cyclictest --policy=other -t 1 -i 2000 -D 5 -q ||
	fail "cyclictest failed"
hogs_stop
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC"
near=$(final_domain_sum 5)
lat_runs=$(final_stat /steal/slow/lat 3) lat_misses=$(final_stat /steal/slow/lat 4)
log "weights: same-node steals $near; sleeper runs $lat_runs, misses $lat_misses; starvation rescues $(final_global starvation-rescues)"
[ "$near" -le 150 ] || fail "$near steals of weight-1 hogs past a weight-10000 pod's queue"
