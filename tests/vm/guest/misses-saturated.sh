# Under CPU saturation, a cgroup with a 1 ms budget shows deadline misses.
cg_create tight
cg_create batch
start_scx_slo --slo /tight=1ms
cg_spawn batch stress-ng --cpu "$(nproc)" --timeout 15s -q
stress=$SPAWNED
sleep 2
cg_run tight cyclictest --policy=other -t 1 -i 1000 -D 8 -q ||
	fail "cyclictest failed"
stop_scx_slo
wait "$stress"
[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC"
runs=$(final_stat /tight 3) misses=$(final_stat /tight 4) budget=$(final_stat /tight 2)
log "/tight: budget $budget, runs $runs, misses $misses"
[ "$budget" = 1ms ] || fail "/tight budget is '$budget', want 1ms"
[ "${runs:-0}" -gt 100 ] || fail "/tight ran only ${runs:-0} times"
[ "${misses:-0}" -gt 0 ] || fail "/tight shows no misses under saturation"
