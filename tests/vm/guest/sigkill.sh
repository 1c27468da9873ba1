# SIGKILL: the kernel returns every task to the fair scheduler, none is lost.
start_scx_slo
pids=
for i in 1 2 3 4; do
	sh -c 'while :; do :; done' &
	pids="$pids $!"
	sh -c 'while :; do usleep 2000; done' &
	pids="$pids $!"
done
sleep 3
kill -KILL "$SCX_PID"
wait "$SCX_PID" 2>/dev/null
wait_state disabled 100 || fail "state is $(sched_state) 10 s after SIGKILL"
log "sched_ext disabled after SIGKILL"
cpu_ticks() { for p in $pids; do awk '{print $14 + $15}' "/proc/$p/stat"; done | awk '{s += $1} END {print s}'; }
for p in $pids; do
	kill -0 "$p" 2>/dev/null || fail "task $p died"
done
t0=$(cpu_ticks)
sleep 2
t1=$(cpu_ticks)
# still making progress, now under the fair scheduler
[ "$t1" -gt "$t0" ] || fail "test tasks made no progress after the detach ($t0 -> $t1 ticks)"
kill $pids
log "all $(echo $pids | wc -w) test tasks alive after the loader was killed"
