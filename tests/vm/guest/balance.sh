# Rule 4 for tasks that never wake, in the 2-vCPU preset (one CPU per node).
# Two CPU hogs start pinned to CPU 1 and are then allowed on both CPUs.
# They never sleep, so select_cpu() never sees them; only the requeue after
# a slice can move one.  Without it they would share CPU 1 while CPU 0, on
# the other node, idles: neither waits anywhere near its 100 ms budget, so
# neither is ever overdue and stolen.  Each must get most of a CPU.  The
# move crosses nodes without a deadline at risk, so it must be counted as
# such (requeue-far), and not pass for a steal of a task not at risk.
cg_create hogs
start_scx_slo
cg_spawn hogs taskset -c 1 sh -c 'while :; do :; done'
a=$SPAWNED
cg_spawn hogs taskset -c 1 sh -c 'while :; do :; done'
b=$SPAWNED
sleep 1
for p in $a $b; do taskset -p -c 0,1 "$p" > /dev/null || fail "taskset $p"; done
sleep 1
a0=$(cpu_ticks $a) b0=$(cpu_ticks $b) t0=$(cut -d' ' -f1 /proc/uptime)
sleep 5
a1=$(cpu_ticks $a) b1=$(cpu_ticks $b) t1=$(cut -d' ' -f1 /proc/uptime)
cpus="$(awk '{ print $39 }' /proc/$a/stat) $(awk '{ print $39 }' /proc/$b/stat)"
kill $a $b
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC"
moved=$(final_global requeue-idle)
far=$(final_global requeue-far)
notlate=$(final_domain_sum 7)
# percent of one CPU each hog got (clock ticks are 1/100 s)
pa=$(awk -v d=$((a1 - a0)) -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%d", d / (t1 - t0) }')
pb=$(awk -v d=$((b1 - b0)) -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%d", d / (t1 - t0) }')
log "hogs got $pa% and $pb% of a CPU, last on CPUs $cpus; requeue-idle placements $moved, of them on another node $far; cross-node steals not at risk $notlate"
[ "$moved" -gt 0 ] || fail "no requeued task was placed on the idle CPU"
# one CPU a node: every placement off the hog's own CPU crosses nodes
[ "$far" -eq "$moved" ] || fail "$moved requeue placements on the other node's CPU, $far counted as cross-node (requeue-far)"
[ "$notlate" -eq 0 ] || fail "$notlate cross-node steals of tasks not at risk"
[ "$pa" -ge 70 ] && [ "$pb" -ge 70 ] || fail "hogs got $pa% and $pb% of a CPU: they share one while the other idles"
