# Helpers for guest test scripts (busybox sh).  A test fails by calling
# fail (or exiting non-zero); it passes by reaching its end.

SCHED_EXT=/sys/kernel/sched_ext
CG=/sys/fs/cgroup
OUT=/tmp/scx_slo.out
ERR=/tmp/scx_slo.err

log() { echo "test: $*"; }

fail() {
	echo "FAIL: $*"
	[ -s "$ERR" ] && { echo "--- scx_slo stderr ---"; tail -n 30 "$ERR"; }
	[ -s "$OUT" ] && { echo "--- scx_slo stdout ---"; tail -n 30 "$OUT"; }
	echo "--- dmesg (sched_ext) ---"
	dmesg | grep -i -A3 'sched_ext' | tail -n 20
	exit 1
}

sched_state() { cat "$SCHED_EXT/state" 2>/dev/null || echo missing; }
sched_ops() { cat "$SCHED_EXT/root/ops" 2>/dev/null; }

# wait_state STATE [TENTHS]: wait up to TENTHS/10 s (default 30 s).
wait_state() {
	_n=${2:-300}
	while [ "$_n" -gt 0 ]; do
		[ "$(sched_state)" = "$1" ] && return 0
		usleep 100000
		_n=$((_n - 1))
	done
	return 1
}

# start_scx_slo ARGS...: run the scheduler in the background, wait for it.
# $SCX_SLO_ARGS (run-vm.sh --args) come first.
start_scx_slo() {
	: > "$OUT"; : > "$ERR"
	# shellcheck disable=SC2086 # word splitting of the extra args is meant
	scx_slo $SCX_SLO_ARGS "$@" > "$OUT" 2> "$ERR" &
	SCX_PID=$!
	wait_state enabled || fail "sched_ext did not become enabled (state $(sched_state))"
	kill -0 "$SCX_PID" 2>/dev/null || fail "scx_slo exited right after enabling"
	log "scx_slo (pid $SCX_PID) attached: ops '$(sched_ops)'"
}

# stop_scx_slo [SIGNAL]: signal it and collect its exit status in SCX_RC.
stop_scx_slo() {
	kill "-${1:-TERM}" "$SCX_PID"
	wait "$SCX_PID"
	SCX_RC=$?
	log "scx_slo exited with $SCX_RC"
	cat "$ERR"
}

cg_create() { mkdir -p "$CG/$1" || fail "cannot create cgroup $1"; }

# cg_run CGROUP CMD...: run CMD inside CGROUP (relative to the mount).
cg_run() {
	_cg=$1; shift
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG/$_cg" "$@"
}

# cg_spawn CGROUP CMD...: the same in the background; SPAWNED is its pid
# (the command's own, not a wrapper's).
cg_spawn() {
	_cg=$1; shift
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG/$_cg" "$@" &
	SPAWNED=$!
}

# final_stat CGROUP COLUMN: a column of CGROUP's row in the final stats
# (2 budget, 3 runs, 4 misses), empty if the cgroup has no row.
final_stat() {
	awk -v cg="$1" -v col="$2" '
		/^=== scx_slo final stats ===/ { final = 1; next }
		final && $1 == cg { v = $col }
		END { print v }' "$OUT"
}

# final_global NAME: a counter of the "runs ..." line of the last stats
# printed (e.g. starvation-rescues), 0 if absent.
final_global() {
	awk -v name="$1" '/^runs/ { for (i = 1; i < NF; i++) if ($i == name) v = $(i + 1) } END { print v + 0 }' "$OUT"
}

# final_domain_sum COLUMN: sum of a column over the domains in the final
# stats (5 STEAL_NODE, 6 STEAL_FAR, 7 NOT_LATE, 8 PREEMPT, 2 ENQUEUED).
final_domain_sum() {
	awk -v col="$1" '
		/^=== scx_slo final stats ===/ { final = 1; next }
		final && /^DOMAIN/ { table = 1; next }
		final && /^CGROUP/ { table = 0 }
		final && table { s += $col }
		END { print s + 0 }' "$OUT"
}

# cpu_ticks PID...: user + system clock ticks consumed by the PIDs.
cpu_ticks() {
	for _p in "$@"; do awk '{print $14 + $15}' "/proc/$_p/stat"; done |
		awk '{s += $1} END {print s + 0}'
}

# spin: a CPU hog (busybox sh, so it is visible as its own process)
spin() { exec sh -c 'while :; do :; done'; }

# check_topology_json: scx_slo --show-topology --json agrees with sysfs
# (node membership, each CPU's L3); sets TOPO_NODES and TOPO_DOMAINS and
# leaves the JSON in /tmp/topo.json.
check_topology_json() {
	SYS=/sys/devices/system
	scx_slo --show-topology --json > /tmp/topo.json || fail "--show-topology --json failed"
	jq -e . /tmp/topo.json > /tmp/jq.out || fail "output is not JSON"
	scx_slo --show-topology

	nodes=$(ls -d $SYS/node/node[0-9]* | wc -l)
	[ "$(jq '.nodes | length' /tmp/topo.json)" -eq "$nodes" ] || fail "node count differs from sysfs ($nodes)"
	for n in $SYS/node/node[0-9]*; do
		id=${n##*node}
		want=$(cat "$n/cpulist")
		got=$(jq -r ".nodes[] | select(.id == $id) | .cpus" /tmp/topo.json)
		[ "$got" = "$want" ] || fail "node $id: cpus '$got', sysfs says '$want'"
	done

	llcs=
	for c in $SYS/cpu/cpu[0-9]*; do
		cpu=${c##*cpu}
		[ "$(cat "$c/online" 2>/dev/null || echo 1)" = 1 ] || continue
		want=$(cat "$c/cache/index3/shared_cpu_list") || fail "cpu $cpu has no L3 in sysfs"
		dom=$(jq ".cpus[] | select(.cpu == $cpu) | .domain" /tmp/topo.json)
		got=$(jq -r ".domains[] | select(.id == $dom) | .cpus" /tmp/topo.json)
		[ "$got" = "$want" ] || fail "cpu $cpu: domain $dom has cpus '$got', its L3 is shared by '$want'"
		node=$(basename "$(ls -d "$c"/node[0-9]*)")
		[ "$(jq ".cpus[] | select(.cpu == $cpu) | .node" /tmp/topo.json)" = "${node#node}" ] ||
			fail "cpu $cpu: node differs from sysfs ($node)"
		llcs="$llcs $want"
	done
	ndom=$(echo $llcs | tr ' ' '\n' | sort -u | wc -l)
	[ "$(jq '.domains | length' /tmp/topo.json)" -eq "$ndom" ] || fail "domain count differs from sysfs L3s ($ndom)"
	TOPO_NODES=$nodes TOPO_DOMAINS=$ndom
}
