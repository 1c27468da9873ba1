# On an idle VM, a workload with the default 100 ms budget misses nothing.
cg_create relaxed
start_scx_slo
cg_run relaxed cyclictest --policy=other -t 1 -i 1000 -D 5 -q ||
	fail "cyclictest failed"
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC"
runs=$(final_stat /relaxed 3) misses=$(final_stat /relaxed 4) budget=$(final_stat /relaxed 2)
log "/relaxed: budget $budget, runs $runs, misses $misses"
[ "$budget" = 100ms ] || fail "/relaxed budget is '$budget', want 100ms"
[ "${runs:-0}" -gt 1000 ] || fail "/relaxed ran only ${runs:-0} times"
[ "${misses:-x}" = 0 ] || fail "/relaxed shows ${misses:-no} misses on an idle VM"
