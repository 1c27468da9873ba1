# SMT, the shape of nearly every production node and of no other preset:
# 2s2c2t, 2 sockets x 2 cores x 2 threads.  scx_slo sets smt_enabled at
# load, and the verifier skips the branches of a load-time constant, so
# only here are the SMT paths verified and run.
#  - The topology's SMT siblings are sysfs's, and scx_slo loads with
#    smt_enabled set.
#  - Rule 4 with SMT: a waking task takes a whole idle core before a CPU
#    whose sibling is busy, even on another node, as the kernel's built-in
#    selection does.  Hogs pinned to CPUs 0 and 2 leave node 0 (cores 0
#    and 1) half busy; a thread that wakes every 10 ms starts on CPU 1,
#    and is then let run anywhere.  It must move to node 1's idle cores
#    (CPUs 4-7).  With one pass for any idle CPU, its previous CPU, idle
#    at nearly every wakeup, and else CPU 3 of its own LLC, would keep it
#    on half a core.
#  - Rule 4 with SMT for tasks that never wake: two hogs started on one
#    core, then let run anywhere, beside a third pinned to CPU 2, end up
#    on cores of their own on node 1 (requeue-core).
#  - 10 s of stress with fewer hogs than cores ends with no error exit.
check_topology_json
jq -r '.cpus[] | "\(.cpu) \(.smt_siblings)"' /tmp/topo.json | sort -n > /tmp/smt.got ||
	fail "cannot list the SMT siblings of the JSON"
for c in /sys/devices/system/cpu/cpu[0-9]*; do
	echo "${c##*cpu} $(cat "$c/topology/thread_siblings_list")"
done | sort -n > /tmp/smt.want
cmp -s /tmp/smt.got /tmp/smt.want ||
	fail "SMT siblings (cpu, siblings) differ: JSON '$(tr '\n' ';' < /tmp/smt.got)', sysfs '$(tr '\n' ';' < /tmp/smt.want)'"
grep -q '^0 0-1$' /tmp/smt.want || fail "CPU 0's siblings are not 0-1: not the 2s2c2t preset"

# nothing of the test's own on node 0 (CPUs 0-3) but the hogs and the waker
taskset -p -c 4-7 $$ > /dev/null || fail "cannot move the test shell to CPUs 4-7"
start_scx_slo
bpftool -p map dump name "$(bpftool -j map show | jq -r '[.[] | select(.name | endswith(".rodata"))][0].name')" \
	> /tmp/rodata.json 2>&1 || fail "cannot dump scx_slo's rodata: $(head -c 300 /tmp/rodata.json)"
grep -Eq '"smt_enabled": *true' /tmp/rodata.json || fail "scx_slo did not load with smt_enabled set"

cg_create hogs
hog cpu0 hogs 0
hog cpu2 hogs 2
taskset -c 1 cyclictest --policy=other -t 1 -i 10000 -D 60 -q > /dev/null &
waker=$!
sleep 1
tid=$(ls "/proc/$waker/task" | grep -vx "$waker" | head -n1)
[ -n "$tid" ] || fail "cyclictest has no measuring thread"
cpu_of() { awk '{ print $39 }' "/proc/$waker/task/$tid/stat"; }
[ "$(cpu_of)" = 1 ] || fail "the waker runs on CPU $(cpu_of), not the CPU 1 it is pinned to"
taskset -a -p -c 0-7 "$waker" > /dev/null || fail "cannot let the waker run anywhere"
sleep 0.5
on_idle_cores=0 on_siblings=0 i=0
while [ "$i" -lt 100 ]; do
	case $(cpu_of) in
	1|3) on_siblings=$((on_siblings + 1)) ;;
	4|5|6|7) on_idle_cores=$((on_idle_cores + 1)) ;;
	esac
	i=$((i + 1))
	sleep 0.02
done
log "waker beside hogs on CPUs 0 and 2: $on_idle_cores of 100 samples on node 1's idle cores (CPUs 4-7), $on_siblings on the hogs' siblings (CPUs 1, 3)"
[ "$on_idle_cores" -ge 80 ] ||
	fail "the waker stayed beside the hogs: $on_idle_cores of 100 samples on idle cores (CPUs 4-7), $on_siblings on CPUs 1 and 3"
kill "$waker"
hogs_stop

# Two CPU-bound tasks that start on one core (CPUs 0 and 1) and may then
# run anywhere never wake, so only the end of a slice can move them.  A
# third, pinned to CPU 2, leaves node 0 one idle CPU (3), but no idle
# core: each of the pair must find a whole core, and only node 1 has
# them.  Moving only to another idle CPU of the LLC, or beyond it only
# when the LLC has none, keeps two of the three on one core for good.
hog pinned2 hogs 2
hog pair0 hogs 0
pair0=$SPAWNED
hog pair1 hogs 1
pair1=$SPAWNED
# let each exec its pinned loop first (taskset's own command line holds
# the loop too), or that taskset would undo ours
looping() { [ "$(tr '\0' ' ' < "/proc/$1/cmdline")" = "sh -c while :; do :; done " ]; }
i=0
until looping "$pair0" && looping "$pair1"; do
	[ "$i" -lt 50 ] || fail "the pair of hogs did not start within 5 s"
	i=$((i + 1))
	usleep 100000
done
taskset -p -c 0-7 "$pair0" > /dev/null && taskset -p -c 0-7 "$pair1" > /dev/null ||
	fail "cannot let the pair of hogs run anywhere"
# a slice is at most 20 ms, so the move is due long before the first sample
usleep 100000
apart=0 i=0
while [ "$i" -lt 50 ]; do
	c0=$(awk '{ print $39 }' "/proc/$pair0/stat")
	c1=$(awk '{ print $39 }' "/proc/$pair1/stat")
	# 2s2c2t numbers the threads of core k as CPUs 2k and 2k + 1; the
	# pinned hog is on core 1
	k0=$((c0 / 2)) k1=$((c1 / 2))
	[ "$k0" -ne "$k1" ] && [ "$k0" -ne 1 ] && [ "$k1" -ne 1 ] && apart=$((apart + 1))
	i=$((i + 1))
	sleep 0.05
done
hogs_stop
log "two hogs started on one core, a third pinned to CPU 2: each on a core of its own in $apart of 50 samples"
[ "$apart" -ge 40 ] ||
	fail "CPU-bound tasks kept sharing a core while others idled: each on a core of its own in $apart of 50 samples"

taskset -p -c 0-7 $$ > /dev/null || fail "cannot give the test shell every CPU back"
cg_create batch
cg_spawn batch stress-ng --cpu 3 --switch 2 --fork 1 --timeout 10s -q
wait "$SPAWNED" || fail "stress-ng failed"
kill -0 "$SCX_PID" 2>/dev/null || fail "scx_slo exited during the stress run"
stop_clean
log "runs $(final_global runs), requeue-core $(final_global requeue-core)"
[ "$(final_global requeue-core)" -gt 0 ] || fail "no task moved to a whole core at the end of its slice (requeue-core 0)"
