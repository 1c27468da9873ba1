# Rule 7's starvation backstop.  A task of hopeless weight shares CPU 1
# with four nice-0 hogs: nice 19, in /grp/low (cpu.weight 1), whose
# sibling /grp/big (cpu.weight 10000) runs a hog of its own.  Flattened
# through the tree its weight is 1.5 * 1/1.5 * 1/10001 of a nice-0 task,
# clamped to 1/100, so it is charged 10000x its run time: one 3 ms slice
# puts it 30 s of virtual time ahead.  By deadline order alone it would
# wait minutes after its first slice and the watchdog would eject the
# scheduler; the backstop runs it every few seconds instead.  It must keep
# getting CPU, the scheduler must stay attached with no error exit, and
# the rescues must be counted.
echo +cpu > "$CG/cgroup.subtree_control" || fail "cannot enable the cpu controller"
cg_create grp
echo +cpu > "$CG/grp/cgroup.subtree_control" || fail "cannot enable the cpu controller in /grp"
cg_create grp/low
cg_create grp/big
echo 1 > "$CG/grp/low/cpu.weight"
echo 10000 > "$CG/grp/big/cpu.weight"
start_scx_slo
cg_spawn grp/big taskset -c 1 sh -c 'while :; do :; done'
big=$SPAWNED
hogs=
for i in 1 2 3 4; do
	taskset -c 1 sh -c 'while :; do :; done' &
	hogs="$hogs $!"
done
# busybox has renice, not nice
cg_spawn grp/low sh -c 'renice -n 19 -p $$ > /dev/null && exec taskset -c 1 sh -c "while :; do :; done"'
low=$SPAWNED
# run time in ns, from schedstat: ticks are too coarse for a few slices
runtime_ns() { awk '{print $1}' "/proc/$1/schedstat"; }
sleep 5
r0=$(runtime_ns "$low")
sleep 15
r1=$(runtime_ns "$low")
# shellcheck disable=SC2086 # one pid per word
kill $hogs "$low" "$big"
kill -0 "$SCX_PID" 2>/dev/null || fail "scx_slo exited while the low-weight task waited"
[ "$(sched_state)" = enabled ] && [ "$(sched_ops)" = slo ] || fail "scheduler no longer attached"
stop_clean
rescues=$(final_global starvation-rescues)
ran_us=$(( (r1 - r0) / 1000 ))
log "low-weight task ran ${ran_us} us in 15 s next to 4 hogs; $rescues starvation rescues"
[ "$ran_us" -gt 0 ] || fail "the low-weight task got no CPU in 15 s"
[ "$rescues" -gt 0 ] || fail "no starvation rescue was counted"
