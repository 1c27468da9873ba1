# Guest script (tests/vm/run-vm.sh --preset 2s2l2c bench/vm/memory.sh, or
# bench/memory.sh on the host, which runs it on several presets): the memory
# scx_slo costs, as Kubernetes would charge it to the DaemonSet's container.
#
# The loader is started the way the DaemonSet starts it (--metrics) in a
# cgroup of its own with the memory controller, so memory.current there is
# what its container's memory limit would be held against.  Reported:
#   - per BPF map, bpftool's memlock (the kernel's own map_mem_usage) and the
#     total, with no cgroup stats yet and after MEM_CGROUPS (1000) live
#     cgroups have each run a short process (one stats entry each);
#   - the loader's VmRSS and VmHWM;
#   - the cgroup's memory.current before and after loading, its peak, the
#     breakdown of memory.stat, and what is left once scx_slo has exited:
#     BPF maps are charged to the memcg of the process that creates them
#     (kernels >= 5.11), so they should show up here and go away with it;
#   - the cost per stats entry as charged (unreclaimable slab): entries are
#     allocated on the CPU where a cgroup first runs a task, and the kernel's
#     BPF allocator keeps a free list per CPU, so the cgroups are created by
#     MEM_WORKERS (one per CPU) workers, worker w pinned to CPU w, as pods
#     would start all over a node;
#   - the task-storage cost per task: MEM_TASKS (500) more sleeping
#     processes each get a task_ctx, charged to the loader's cgroup too.
#
# Output: "memory: ..." lines for people and "MEMORY key value" lines for
# bench/memory.sh.  POSIX/busybox sh, run after tests/vm/guest/lib.sh.
: "${MEM_CGROUPS:=1000}" "${MEM_TASKS:=500}" "${MEM_WORKERS:=$(nproc)}"
LOADER_CG=$CG/scx-loader

say() { echo "memory: $*"; }
rec() { echo "MEMORY $*"; }
mem_of() { cat "$LOADER_CG/memory.$1" 2>/dev/null || echo 0; }
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$LOADER_CG/memory.stat"; }
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SCX_PID/status"; }
# maps_report TAG: one line per map of scx_slo, and the total
maps_report() {
	bpftool map show --json > /tmp/maps.json || fail "bpftool map show failed"
	jq -r '.[] | "\(.name) \(.type) \(.max_entries) \(.bytes_memlock)"' /tmp/maps.json |
		while read -r name type max memlock; do
			rec "map $1 $name $type $max $memlock"
		done
	total=$(jq '[.[].bytes_memlock] | add // 0' /tmp/maps.json)
	rec "maps_total $1 $total"
	say "$1: $(jq length /tmp/maps.json) maps, memlock $total bytes in all"
}
# progs_total: memlock of scx_slo's BPF programs (their JIT images)
progs_total() {
	bpftool prog show --json | jq '[.[] | select(.name | startswith("slo_")) | .bytes_memlock // 0] | add // 0'
}
ntasks() { find /proc -maxdepth 1 -name "[0-9]*" | wc -l; }
cg_entries() { bpftool -j map dump name slo_cgroup_stat | jq '[.[] | select(.formatted)] | length'; }
sample() { # TAG
	rss=$(status_kb VmRSS) hwm=$(status_kb VmHWM)
	rec "loader $1 rss_kb $rss hwm_kb $hwm"
	rec "memcg $1 current $(mem_of current) peak $(mem_of peak)"
	for k in anon file kernel kernel_stack pagetables percpu slab slab_reclaimable slab_unreclaimable vmalloc sock; do
		rec "memstat $1 $k $(stat_of $k)"
	done
	say "$1: loader VmRSS ${rss} kB, VmHWM ${hwm} kB; its cgroup: memory.current $(mem_of current), peak $(mem_of peak)," \
		"percpu $(stat_of percpu), vmalloc $(stat_of vmalloc), slab $(stat_of slab) ($(stat_of slab_reclaimable) reclaimable), anon $(stat_of anon)"
}

possible=$(cat /sys/devices/system/cpu/possible)
nposs=$(awk -F- '{ print ($2 == "" ? 1 : $2 - $1 + 1) }' /sys/devices/system/cpu/possible)
llcs=$(cat /sys/devices/system/cpu/cpu*/cache/index3/shared_cpu_list 2>/dev/null | sort -u | wc -l)
nodes=$(find /sys/devices/system/node -maxdepth 1 -name "node[0-9]*" | wc -l)
rec "machine kernel $(uname -r) cpus $(nproc) possible $nposs llcs $llcs nodes $nodes tasks $(ntasks)"
say "kernel $(uname -r), $(nproc) CPUs (possible $possible), $llcs L3s, $nodes nodes"

echo +memory > "$CG/cgroup.subtree_control" || fail "cannot enable the memory controller"
mkdir -p "$LOADER_CG" "$CG/mem-cgroups" "$CG/mem-tasks"
[ -e "$LOADER_CG/memory.current" ] || fail "no memory.current in $LOADER_CG"
[ "$(bpftool map show --json | jq length)" -eq 0 ] || fail "BPF maps exist before scx_slo starts"
rec "memcg before current $(mem_of current) peak $(mem_of peak)"

# like start_scx_slo, but inside $LOADER_CG from its first instruction
: > "$OUT"; : > "$ERR"
# shellcheck disable=SC2086 # word splitting of the extra args is meant
sh -c 'echo $$ > "$0/cgroup.procs" && exec scx_slo "$@"' "$LOADER_CG" \
	$SCX_SLO_ARGS --metrics 127.0.0.1:9464 > "$OUT" 2> "$ERR" &
SCX_PID=$!
wait_state enabled 3000 || fail "sched_ext did not become enabled (state $(sched_state))"
grep -q "^0::/scx-loader$" "/proc/$SCX_PID/cgroup" || fail "scx_slo is not in /scx-loader"
sleep 3
maps_report loaded
rec "progs_total loaded $(progs_total)"
rec "cgroup_entries loaded $(cg_entries)"
sample loaded

# MEM_CGROUPS live cgroups, each running a short process: one stats entry each
# the workers end in a leaf of their own (/mem-cgroups has children)
mkdir -p "$CG/mem-cgroups/home"
cat > /tmp/mem-worker.sh <<'WORKER'
P=$1; i=$2; end=$3
while [ "$i" -lt "$end" ]; do
	mkdir "$P/c$i" && echo $$ > "$P/c$i/cgroup.procs" || exit 1
	( : )
	i=$((i + 1))
done
echo $$ > "$P/home/cgroup.procs"
WORKER
t0=$(cut -d' ' -f1 /proc/uptime)
uslab0=$(stat_of slab_unreclaimable)
ncpu=$(nproc)
per=$((MEM_CGROUPS / MEM_WORKERS))
pids=
w=0
while [ $w -lt "$MEM_WORKERS" ]; do
	end=$(((w + 1) * per))
	[ $w -eq $((MEM_WORKERS - 1)) ] && end=$MEM_CGROUPS
	taskset -c $((w % ncpu)) sh /tmp/mem-worker.sh "$CG/mem-cgroups" $((w * per)) "$end" &
	pids="$pids $!"
	w=$((w + 1))
done
for p in $pids; do wait "$p" || fail "a cgroup worker failed"; done
t1=$(cut -d' ' -f1 /proc/uptime)
say "$MEM_CGROUPS cgroups created and run in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }') s by $MEM_WORKERS workers"
sleep 3
uslab1=$(stat_of slab_unreclaimable)
rec "cgroups_unreclaimable_slab_delta $((uslab1 - uslab0))"
say "unreclaimable slab grew by $((uslab1 - uslab0)) bytes ($(( (uslab1 - uslab0) / MEM_CGROUPS )) per cgroup)"
wget -q -O /tmp/metrics.txt http://127.0.0.1:9464/metrics || fail "/metrics not served"
rec "metrics_bytes cgroups $(wc -c < /tmp/metrics.txt)"
entries=$(cg_entries)
[ "$entries" -ge "$MEM_CGROUPS" ] || fail "$entries cgroup stats entries for $MEM_CGROUPS live cgroups that ran"
maps_report cgroups
rec "progs_total cgroups $(progs_total)"
rec "cgroup_entries cgroups $entries"
sample cgroups

# MEM_TASKS more tasks: each gets a task_ctx in task storage
before=$(mem_of current) slab0=$(stat_of slab_unreclaimable)
ntasks0=$(ntasks)
echo $$ > "$CG/mem-tasks/cgroup.procs"
i=0
while [ $i -lt "$MEM_TASKS" ]; do sleep 100000 & i=$((i + 1)); done
echo $$ > "$CG/cgroup.procs"
sleep 3
ntasks1=$(ntasks)
after=$(mem_of current) slab1=$(stat_of slab_unreclaimable)
rec "tasks before $ntasks0 after $ntasks1 memcg_delta $((after - before)) unreclaimable_slab_delta $((slab1 - slab0))"
say "$((ntasks1 - ntasks0)) more tasks: the loader's cgroup grew by $((after - before)) bytes," \
	"its unreclaimable slab by $((slab1 - slab0)) ($(( (slab1 - slab0) / (ntasks1 - ntasks0) )) per task)"
sample tasks
pkill_list=$(cat "$CG/mem-tasks/cgroup.procs")
# shellcheck disable=SC2086 # one pid per word
kill $pkill_list 2>/dev/null

stop_scx_slo > /dev/null
[ "$SCX_RC" -eq 0 ] || fail "scx_slo exit status $SCX_RC"
sleep 3
rec "memcg exited current $(mem_of current) peak $(mem_of peak)"
for k in anon kernel percpu slab slab_reclaimable slab_unreclaimable vmalloc; do rec "memstat exited $k $(stat_of $k)"; done
say "after exit: the loader's cgroup holds $(mem_of current) bytes (peak was $(mem_of peak))"
