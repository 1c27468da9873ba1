# Rule 2: the budget buys latency, not CPU.  Two always-runnable tasks on
# one CPU, budgets 5 ms and 100 ms: over 10 s each gets 40-60% of it.
cg_create tight
cg_create loose
start_scx_slo --slo /tight=5ms --slo /loose=100ms
cg_spawn tight taskset -c 1 sh -c 'while :; do :; done'
a=$SPAWNED
cg_spawn loose taskset -c 1 sh -c 'while :; do :; done'
b=$SPAWNED
sleep 1
a0=$(cpu_ticks $a) b0=$(cpu_ticks $b)
sleep 10
a1=$(cpu_ticks $a) b1=$(cpu_ticks $b)
kill $a $b
stop_scx_slo
da=$((a1 - a0)) db=$((b1 - b0))
[ $((da + db)) -gt 0 ] || fail "the tasks did not run"
share=$((100 * da / (da + db)))
log "5 ms task: $da ticks, 100 ms task: $db ticks: tight share $share%"
[ "$share" -ge 40 ] && [ "$share" -le 60 ] || fail "tight-budget task got $share% of the CPU, want 40-60%"
[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC"
