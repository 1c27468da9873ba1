# Helpers for guest test scripts (busybox sh).  A test fails by calling
# fail (or exiting non-zero); it passes by reaching its end.

SCHED_EXT=/sys/kernel/sched_ext
CG=/sys/fs/cgroup
OUT=/tmp/scx_slo.out
ERR=/tmp/scx_slo.err

log() { echo "test: $*"; }
# uptime_ms: milliseconds since boot, for timing within a test
uptime_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

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

# check_clean [REPORT [WHAT]]: once scx_slo is stopped, report with REPORT
# (fail, the default, or check_fail) an exit status other than 0 or an
# error exit the kernel reported; WHAT, if given, starts each message.
check_clean() {
	_report=${1:-fail} _what=${2:+$2: }
	[ "$SCX_RC" -eq 0 ] || "$_report" "${_what}scx_slo exit status $SCX_RC"
	if grep -q 'EXIT:' "$ERR"; then "$_report" "${_what}the kernel reported an error exit"; fi
}

# stop_clean [REPORT [WHAT]]: stop_scx_slo, then check_clean.
stop_clean() {
	stop_scx_slo
	check_clean "$@"
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
# stats (2 ENQUEUED, 5 STEAL_NODE, 6 STEAL_FAR, 7 NOT_AT_RISK, 8 PREEMPT,
# 9 IDLE_KICK).
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

	# each online CPU as "cpu, its L3's cpu list, its node": from sysfs, and
	# from the JSON in one jq run (a jq per CPU cost 80 s on 64 vCPUs)
	for c in $SYS/cpu/cpu[0-9]*; do
		cpu=${c##*cpu}
		[ "$(cat "$c/online" 2>/dev/null || echo 1)" = 1 ] || continue
		node=$(basename "$(ls -d "$c"/node[0-9]*)")
		echo "$cpu $(cat "$c/cache/index3/shared_cpu_list" 2>/dev/null || echo no-L3) ${node#node}"
	done > /tmp/topo.want
	jq -r '.domains as $doms | .cpus[] | .domain as $id
		| "\(.cpu) \($doms[] | select(.id == $id) | .cpus) \(.node)"' /tmp/topo.json > /tmp/topo.got ||
		fail "cannot list the CPUs of the JSON"
	mismatch=$(awk 'NR == FNR { got[$1] = $0; next }
		!($1 in got) { print "cpu " $1 " is not in the JSON"; exit }
		got[$1] != $0 { print "cpu " $1 ": the JSON says \"" got[$1] "\", sysfs \"" $0 "\" (cpu, L3 cpus, node)"; exit }' \
		/tmp/topo.got /tmp/topo.want)
	[ -z "$mismatch" ] || fail "$mismatch"
	ndom=$(awk '{ print $2 }' /tmp/topo.want | sort -u | wc -l)
	[ "$(jq '.domains | length' /tmp/topo.json)" -eq "$ndom" ] || fail "domain count differs from sysfs L3s ($ndom)"
	TOPO_NODES=$nodes TOPO_DOMAINS=$ndom
}

# --- cgroup cpu controller tests (cgroup-weights, cgroup-cpumax,
# weight-latency): busy-loop hogs in cgroups, their run time measured
# under the kernel's default scheduler and under scx_slo in one boot.

# cg_mk PATH [WEIGHT]: create cgroup PATH (relative to the mount) with the
# cpu controller enabled in the root and every ancestor, so cpu.weight and
# cpu.max exist at each level; set PATH's cpu.weight when WEIGHT is given.
cg_mk() {
	_d=$CG
	for _c in $(echo "$1" | tr '/' ' '); do
		grep -qw cpu "$_d/cgroup.subtree_control" ||
			echo +cpu > "$_d/cgroup.subtree_control" ||
			fail "cannot enable the cpu controller in $_d"
		_d=$_d/$_c
		[ -d "$_d" ] || mkdir "$_d" || fail "cannot create cgroup $_d"
	done
	[ -z "$2" ] || echo "$2" > "$_d/cpu.weight" || fail "cannot set cpu.weight $2 on $1"
}

# cg_max PATH "QUOTA PERIOD": write cgroup PATH's cpu.max.
cg_max() { echo "$2" > "$CG/$1/cpu.max" || fail "cannot write cpu.max '$2' on $1"; }

HOGS=/tmp/hogs
: > "$HOGS"

# hog LABEL CGROUP [CPUS]: a busy loop in CGROUP, pinned to CPUS (default
# CPU 1; "any": not pinned), counted under LABEL by measure.
hog() {
	if [ "${3:-1}" = any ]; then
		cg_spawn "$2" sh -c 'while :; do :; done'
	else
		cg_spawn "$2" taskset -c "${3:-1}" sh -c 'while :; do :; done'
	fi
	echo "$1 $SPAWNED $2" >> "$HOGS"
}

# hogs_stop: kill every hog and reap it.
hogs_stop() {
	_p=$(awk '{ print $2 }' "$HOGS")
	# shellcheck disable=SC2086 # one pid per word
	[ -z "$_p" ] || { kill $_p; wait $_p 2>/dev/null; }
	: > "$HOGS"
}

# hogs_sample FILE: "@wall NS" (uptime), then each hog's "LABEL NS" of run
# time: schedstat's sum_exec_runtime, exact to the ns where utime + stime
# (cpu_ticks) count 10 ms ticks, too coarse for a share of 1%.
hogs_sample() {
	{
		awk '{ printf "@wall %.0f\n", $1 * 1e9 }' /proc/uptime
		while read -r _l _p _c; do
			read -r _ns _rest < "/proc/$_p/schedstat" || _ns=0
			echo "$_l $_ns"
		done < "$HOGS"
	} > "$1"
}

# measure WARMUP WINDOW: after WARMUP s, each hog label's run time over
# the next WINDOW s into /tmp/used ("@wall NS" first, then "LABEL NS").
measure() {
	sleep "$1"
	hogs_sample /tmp/sample0
	sleep "$2"
	hogs_sample /tmp/sample1
	awk 'NR == FNR { a[FNR] = $2; next }
		!($1 in d) { k[++n] = $1 }
		{ d[$1] += $2 - a[FNR] }
		END { for (i = 1; i <= n; i++) printf "%s %.0f\n", k[i], d[k[i]] }' \
		/tmp/sample0 /tmp/sample1 > /tmp/used
}

# used_cpus LABEL: CPUs LABEL's hogs used over the window (1 = a whole CPU)
used_cpus() {
	awk -v l="$1" '$1 == "@wall" { w = $2 } $1 == l { u = $2 } END { printf "%.4f", w ? u / w : 0 }' /tmp/used
}

# used_share LABEL: LABEL's part of all the hogs' run time over the window
used_share() {
	awk -v l="$1" '$1 != "@wall" { t += $2 } $1 == l { u = $2 } END { printf "%.5f", t ? u / t : 0 }' /tmp/used
}

# used_ratio A B: A's run time over B's
used_ratio() {
	awk -v a="$1" -v b="$2" '$1 == a { x = $2 } $1 == b { y = $2 } END { printf "%.4f", y ? x / y : 0 }' /tmp/used
}

# Results of both schedulers, reported together once both have run.
RESULTS=/tmp/results
: > "$RESULTS"
CHECK_FAILS=

# result KEY SCHED VALUE / res KEY SCHED
result() { echo "$1 $2 $3" >> "$RESULTS"; }
res() { awk -v k="$1" -v s="$2" '$1 == k && $2 == s { v = $3 } END { print v }' "$RESULTS"; }

# check_fail WHY: note a failed assertion (reported together by checks_done)
check_fail() { log "CHECK FAILED: $*"; CHECK_FAILS="$CHECK_FAILS${CHECK_FAILS:+; }$*"; }

# check_near WHAT VALUE WANT TOL: VALUE within WANT +- TOL x WANT
check_near() {
	awk -v v="$2" -v w="$3" -v t="$4" 'BEGIN { exit !(v != "" && v >= w * (1 - t) && v <= w * (1 + t)) }' ||
		check_fail "$1 is ${2:-unmeasured}, want $3 +-$(awk -v t="$4" 'BEGIN { print t * 100 }')%"
}

# check_range WHAT VALUE LOW HIGH: LOW <= VALUE <= HIGH
check_range() {
	awk -v v="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }' ||
		check_fail "$1 is ${2:-unmeasured}, want $3..$4"
}

# checks_done: fail with every noted failure, if any
checks_done() { [ -z "$CHECK_FAILS" ] || fail "$CHECK_FAILS"; }

# slo_attached WHEN: note a failure unless scx_slo is alive and attached
slo_attached() {
	kill -0 "$SCX_PID" 2>/dev/null || { check_fail "scx_slo exited ($1)"; return 1; }
	[ "$(sched_state)" = enabled ] && [ "$(sched_ops)" = slo ] ||
		{ check_fail "scheduler not attached $1 (state $(sched_state), ops '$(sched_ops)')"; return 1; }
}

# Where the running scheduler pins its maps for `scx_slo slo`.
PIN=/sys/fs/bpf/scx_slo

# wait_pinned: the loader pins its maps just after sched_ext reports it enabled
wait_pinned() {
	_n=100
	while [ ! -e "$PIN/control" ]; do
		[ $_n -gt 0 ] || fail "nothing pinned at $PIN 10 s after attaching"
		usleep 100000
		_n=$((_n - 1))
	done
}

# as_nobody CMD...: CMD as an unprivileged local user (util-linux setpriv:
# busybox's applet cannot change uid)
NOBODY=65534
as_nobody() { /usr/bin/setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"; }
