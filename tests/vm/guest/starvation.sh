# No starvation: 60 s of mixed stress-ng (cpu, fork, switch, pipe, affinity
# changes) while tasks keep moving between cgroups.  No sched_ext error
# exit, and every stressor finishes.
n=$(nproc)
cg_create mix-a
cg_create mix-b
start_scx_slo --slo /mix-a=1ms --slo /mix-b=50ms
cg_spawn mix-a sh -c "exec stress-ng --cpu $n --fork 2 --switch 2 --pipe 2 --affinity 2 \
	--timeout 60s --metrics-brief > /tmp/stress.out 2>&1"
stress=$SPAWNED
# shuffle every stress-ng process between the two cgroups until it ends
moves=0
while kill -0 "$stress" 2>/dev/null; do
	for p in $(cat "$CG/mix-a/cgroup.procs" 2>/dev/null); do
		echo "$p" > "$CG/mix-b/cgroup.procs" 2>/dev/null && moves=$((moves + 1))
	done
	sleep 1
	for p in $(cat "$CG/mix-b/cgroup.procs" 2>/dev/null); do
		echo "$p" > "$CG/mix-a/cgroup.procs" 2>/dev/null && moves=$((moves + 1))
	done
	sleep 1
done
wait "$stress"
rc=$?
cat /tmp/stress.out
[ "$rc" -eq 0 ] || fail "stress-ng exited with $rc"
grep -q 'successful run completed' /tmp/stress.out || fail "stress-ng did not complete"
kill -0 "$SCX_PID" 2>/dev/null || fail "scx_slo exited during the run"
[ "$(sched_state)" = enabled ] && [ "$(sched_ops)" = slo ] || fail "scheduler no longer attached"
stop_clean
log "$moves cgroup moves; runs $(awk '/^runs/{print $2}' "$OUT" | tail -n1); no error exit"
