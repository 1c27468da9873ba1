# A big node (64 vCPUs: 4 sockets x 2 L3 x 8 cores, 4 NUMA nodes).  The
# topology the scheduler is sized from matches sysfs, the maps sized for
# it load and verify, and 30 s of mixed stress (CPU, fork, context
# switches, and tasks whose affinity hops between nodes) ends with no
# error exit, cross-node steals only of tasks at risk, and a clean detach.
# Then 15 s with --single-dsq, one queue for all 64 CPUs: idle CPUs are
# still kicked when an enqueue looks at only a sample of them.
check_topology_json
[ "$TOPO_NODES" -ge 4 ] && [ "$TOPO_DOMAINS" -ge 8 ] ||
	fail "not a big node: $TOPO_NODES nodes, $TOPO_DOMAINS L3 domains"
# every domain reaches another node within the scan bound it is given
jq -e '[.domains[] | (.steal_scan // (.steal_order | length)) as $n
	| .steal_order[:$n] | length] | min > 0' /tmp/topo.json > /dev/null ||
	fail "a domain has an empty steal scan"

n=$(nproc)
# 64 vCPU threads share the host's 2 cores under TCG, so a vCPU runs about
# once every 100 ms of wall time and a queued kworker (the watchdog's own
# check-in) can wait seconds: the kernel's longest watchdog (30 s) keeps
# the emulator's stalls from reading as ours.  This test is for sizing,
# verification and steal behaviour at scale, not for timing.
start_scx_slo --stats 10 --watchdog 30s
mkdir -p "$CG/batch" "$CG/web"
cg_spawn batch stress-ng --cpu $((n / 2)) --fork $((n / 16)) --switch $((n / 16)) --timeout 30s -q
stress=$SPAWNED
# tasks that hop across nodes: each second, a new CPU list on another node
hoppers=
for i in 1 2 3 4 5 6 7 8; do
	cg_spawn web sh -c 'while :; do :; done'
	hoppers="$hoppers $SPAWNED"
done
nodes=$TOPO_NODES
t=0
while [ "$t" -lt 30 ]; do
	node=$((t % nodes))
	cpus=$(cat "/sys/devices/system/node/node$node/cpulist")
	for p in $hoppers; do taskset -p -c "$cpus" "$p" > /dev/null || fail "taskset $p to node $node"; done
	sleep 1
	t=$((t + 1))
done
wait "$stress" || fail "stress-ng failed"
# shellcheck disable=SC2086 # one pid per word
kill $hoppers
kill -0 "$SCX_PID" 2>/dev/null || fail "scx_slo exited during the stress run"
[ "$(sched_state)" = enabled ] && [ "$(sched_ops)" = slo ] || fail "scheduler no longer attached after stress"
stop_clean
near=$(final_domain_sum 5) far=$(final_domain_sum 6) notlate=$(final_domain_sum 7)
sed -n '/final stats/,/^CGROUP/p' "$OUT"
log "$n CPUs, $TOPO_DOMAINS domains on $TOPO_NODES nodes: same-node steals $near, cross-node $far, cross-node not at risk $notlate; runs $(final_global runs)"
[ "$notlate" -eq 0 ] || fail "$notlate cross-node steals of tasks with a slice of slack left"
[ "$(sched_state)" = disabled ] || fail "state $(sched_state) after detach"

# The same machine as one queue (--single-dsq): its 64 CPUs are more than
# the 16 an enqueue's kick looks at (SLO_KICK_SCAN), so the sample from a
# random place, its wrap-around and the idle-mask search past it run
# here.  Half the CPUs busy, the rest woken by kicks for the switchers.
start_scx_slo --single-dsq --stats 10 --watchdog 30s
cg_spawn batch stress-ng --cpu $((n / 2)) --switch $((n / 8)) --timeout 15s -q
wait "$SPAWNED" || fail "stress-ng failed under --single-dsq"
kill -0 "$SCX_PID" 2>/dev/null || fail "scx_slo --single-dsq exited during the stress run"
stop_clean fail "--single-dsq"
idle_kicks=$(final_domain_sum 9) preempts=$(final_domain_sum 8)
log "--single-dsq on $n CPUs: idle kicks $idle_kicks, preempt kicks $preempts, runs $(final_global runs)"
[ "$idle_kicks" -gt 0 ] || fail "--single-dsq on $n CPUs: no enqueue kicked an idle CPU"
[ "$(sched_state)" = disabled ] || fail "state $(sched_state) after --single-dsq detach"
