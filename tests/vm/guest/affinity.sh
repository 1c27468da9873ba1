# Affinity: hogs pinned to one CPU in each domain and hogs with two-CPU
# masks spanning the nodes all make progress beside unpinned load.
start_scx_slo
stress-ng --cpu "$(nproc)" --timeout 30s -q &
load=$!
pids=
for mask in 0 2 4 6 1,5 3,7; do
	taskset -c "$mask" sh -c 'while :; do :; done' &
	pids="$pids $!"
done
sleep 2
for p in $pids; do eval "t0_$p=$(cpu_ticks "$p")"; done
sleep 8
for p in $pids; do
	eval "t0=\$t0_$p"
	t1=$(cpu_ticks "$p")
	log "pid $p ($(taskset -p "$p" | awk '{print $NF}')): $((t1 - t0)) ticks"
	[ "$t1" -gt "$t0" ] || fail "pinned task $p made no progress"
done
kill $pids "$load"
stop_clean
