# Under CPU saturation, a cgroup with a 1 ms budget shows deadline misses,
# and the admission signal built from them: /tight's shed probability
# rises above 0, while /batch, which saturates the CPUs but has a 10 s
# budget it always meets (the scheduler copes by itself), stays at 0 and
# is always admitted.  (With the default 100 ms budget, the emulated vCPUs'
# stalls make /batch miss too: 7% of its runs were seen late.)
# Then the same on one CPU of an otherwise idle node: /pinned in a cpuset
# of the last CPU (a pod pinned by the kubelet's static CPU manager), its
# container /pinned/work with a 1 ms budget and two CPU hogs, so that its
# own runs wait for each other.  The node is three quarters idle, but no
# idle CPU may run /pinned/work's queue, so its signal must rise all the
# same.
cg_create tight
cg_create batch
cg_create pinned
cg_create pinned/work
start_scx_slo --slo /tight=1ms --slo /batch=10s --slo /pinned/work=1ms \
	--metrics 127.0.0.1:9464
cg_spawn batch stress-ng --cpu "$(nproc)" --timeout 15s -q
stress=$SPAWNED
sleep 2
# the pressure of both cgroups twice a second while the probe runs
(
	while :; do
		for cg in tight batch; do
			wget -q -O - "http://127.0.0.1:9464/v1/pressure?cgroup=/$cg" 2>/dev/null
		done
		sleep 0.5
	done
) > /tmp/pressure.log &
poller=$!
cg_run tight cyclictest --policy=other -t 1 -i 1000 -D 8 -q ||
	fail "cyclictest failed"
# admission decisions while the signal is still fresh: keyed, so deterministic
shed=0 admitted=0
for k in $(seq 40); do
	if wget -q -O /dev/null "http://127.0.0.1:9464/v1/admission?cgroup=/tight&key=$k" 2>/dev/null
	then admitted=$((admitted + 1)); else shed=$((shed + 1)); fi
done
batch_ok=0
for k in $(seq 20); do
	wget -q -O /dev/null "http://127.0.0.1:9464/v1/admission?cgroup=/batch&key=$k" 2>/dev/null &&
		batch_ok=$((batch_ok + 1))
done
kill "$poller"
grep -m1 -o '"cgroup":"/tight"[^}]*' /tmp/pressure.log | head -1
tight_max=$(grep -o '"cgroup":"/tight","shed_probability":[0-9.]*' /tmp/pressure.log |
	awk -F: '$3 > m { m = $3 } END { print m + 0 }')
batch_max=$(grep -o '"cgroup":"/batch","shed_probability":[0-9.]*' /tmp/pressure.log |
	awk -F: '$3 > m { m = $3 } END { print m + 0 }')
batch_seen=$(grep -c '"cgroup":"/batch".*"known":true' /tmp/pressure.log)
wget -q -O /tmp/m.txt http://127.0.0.1:9464/metrics || fail "/metrics not served"
grep '^scx_slo_cgroup_shed_probability{cgroup="/\(tight\|batch\)"}' /tmp/m.txt
wait "$stress"

last=$(($(nproc) - 1))
grep -qw cpuset "$CG/cgroup.subtree_control" || echo +cpuset > "$CG/cgroup.subtree_control" ||
	fail "cannot enable the cpuset controller"
echo "$last" > "$CG/pinned/cpuset.cpus" || fail "cannot pin /pinned to CPU $last"
# /pinned/work has no cpuset file of its own: the signal's walk up finds /pinned's
cg_spawn pinned/work stress-ng --cpu 2 --timeout 10s -q
stress=$SPAWNED
sleep 1
(
	while :; do
		wget -q -O - "http://127.0.0.1:9464/v1/pressure?cgroup=/pinned/work" 2>/dev/null
		sleep 0.5
	done
) > /tmp/pressure-pinned.log &
poller=$!
read -r _ u0 n0 s0 i0 _ < /proc/stat
sleep 8
read -r _ u1 n1 s1 i1 _ < /proc/stat
kill "$poller"
wait "$stress"
node_busy=$(awk -v b=$((u1 + n1 + s1 - u0 - n0 - s0)) -v i=$((i1 - i0)) 'BEGIN { printf "%.2f", b / (b + i) }')
pinned_max=$(grep -o '"cgroup":"/pinned/work","shed_probability":[0-9.]*' /tmp/pressure-pinned.log |
	awk -F: '$3 > m { m = $3 } END { print m + 0 }')
log "SHED pinned_max=$pinned_max on CPU $last, node busy $node_busy"
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC"
runs=$(final_stat /tight 3) misses=$(final_stat /tight 4) budget=$(final_stat /tight 2)
log "/tight: budget $budget, runs $runs, misses $misses"
log "SHED tight_max=$tight_max batch_max=$batch_max tight_shed=$shed/40 batch_admitted=$batch_ok/20"
[ "$budget" = 1ms ] || fail "/tight budget is '$budget', want 1ms"
[ "${runs:-0}" -gt 100 ] || fail "/tight ran only ${runs:-0} times"
[ "${misses:-0}" -gt 0 ] || fail "/tight shows no misses under saturation"
awk -v m="$tight_max" 'BEGIN { exit !(m > 0) }' ||
	fail "/tight's shed probability stayed 0 under saturation"
[ "$batch_seen" -gt 0 ] || fail "/batch never in the shed signal"
[ "$batch_max" = 0 ] || fail "/batch's shed probability reached $batch_max"
[ "$batch_ok" -eq 20 ] || fail "/batch admitted $batch_ok of 20"
grep -q '^scx_slo_cgroup_shed_probability{cgroup="/batch"} 0.0000$' /tmp/m.txt ||
	fail "no scx_slo_cgroup_shed_probability 0 for /batch in /metrics"
pruns=$(final_stat /pinned/work 3) pmisses=$(final_stat /pinned/work 4)
log "/pinned/work: runs $pruns, misses $pmisses"
[ "${pmisses:-0}" -gt 0 ] || fail "/pinned/work shows no misses on its saturated CPU"
awk -v b="$node_busy" 'BEGIN { exit !(b < 0.9) }' ||
	fail "the node was $node_busy busy: the pinned case needs idle CPUs elsewhere"
awk -v m="$pinned_max" 'BEGIN { exit !(m > 0) }' ||
	fail "/pinned/work's shed probability stayed 0 with its only CPU saturated (node $node_busy busy)"
