# Hotplug: a CPU going offline and back online under load ends with the
# scheduler attached (reattached on the new topology), every task alive.
cpu=/sys/devices/system/cpu/cpu3/online
[ -w "$cpu" ] || fail "CPU 3 cannot be hotplugged in this VM"
start_scx_slo
log "attached at $(cut -d" " -f1 /proc/uptime) s"
# no deadline of its own: the restarts take what they take under TCG (a
# 40 s one ran out in a CI run), and it is stopped below
stress-ng --cpu "$(nproc)" --timeout 600s -q &
load=$!
sh -c 'while :; do usleep 1000; done' &
sleeper=$!
sleep 3
echo 0 > "$cpu" || fail "cannot offline CPU 3"
log "CPU 3 offline at $(cut -d" " -f1 /proc/uptime) s"
sleep 5
wait_state enabled || fail "not re-enabled after CPU 3 went offline"
echo 1 > "$cpu" || fail "cannot online CPU 3"
log "CPU 3 online at $(cut -d" " -f1 /proc/uptime) s"
sleep 5
wait_state enabled || fail "not re-enabled after CPU 3 came back"
log "re-enabled at $(cut -d" " -f1 /proc/uptime) s"
kill -0 "$SCX_PID" 2>/dev/null || fail "scx_slo exited"
[ "$(sched_ops)" = slo ] || fail "ops is '$(sched_ops)'"
kill -0 "$sleeper" || fail "the sleeper died"
kill -0 "$load" || fail "stress-ng died"
grep -q 'restart' "$ERR" || fail "no restart reported"
kill "$load"
wait "$load" || fail "stress-ng failed"
kill "$sleeper"
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC"
log "restarts: $(grep -c 'reloading' "$ERR")"
