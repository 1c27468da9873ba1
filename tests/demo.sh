#!/usr/bin/env bash
# The main job: build scx_slo and show what it is for.  A service with a
# 5 ms latency budget runs next to a batch job that saturates every CPU,
# first under the kernel's default scheduler, then under scx_slo, and the
# demo ends with a side-by-side of the service's p99 latency, its requests
# over budget and the batch job's throughput.  On a host without sched_ext
# both run in one boot of the test VM, on 2 vCPUs: TCG's vCPUs share the
# host's cores, and with more of them every scheduler's tail is the host's
# (see tests/vm/guest/latency.sh).
#
#   tests/demo.sh [--topology] [SECONDS]
#
# SECONDS: measuring time per scheduler (default 10).  --topology runs the
# same comparison on the 8-vCPU VM (2 sockets x 2 LLCs x 2 cores, 2 NUMA
# nodes) and first prints the topology scx_slo sees; its latencies are
# bound by the host, not by the scheduler.  SCX_SLO_BUILD: the build
# directory (default ./build).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
usage() { sed -n '11,17p' "$0" | sed 's/^# \{0,1\}//'; }
topology=0 seconds=10
while [ $# -gt 0 ]; do
	case $1 in
	--topology) topology=1; shift ;;
	-h|--help) usage; exit 0 ;;
	-*) echo "demo: unknown option $1" >&2; usage >&2; exit 2 ;;
	*) seconds=$1; shift; [ $# -eq 0 ] || { usage >&2; exit 2; } ;;
	esac
done
case $seconds in ''|*[!0-9]*|0) echo "demo: SECONDS must be a whole number above 0" >&2; exit 2 ;; esac
build=${SCX_SLO_BUILD:-$top/build}
start=$(date +%s)
bash tests/build.sh "$build"
built=$(date +%s)
echo "demo: set up and built in $((built - start)) s"

finish() { echo "demo: $(( $(date +%s) - built )) s running, $(( $(date +%s) - start )) s wall time in all"; }
if [ -d /sys/kernel/sched_ext ]; then
	echo "demo: this kernel has sched_ext: running on the host"
	export PATH=$build/loader:$build/bench:$PATH DEMO_SECONDS=$seconds DEMO_TOPOLOGY=$topology
	status=0
	sh -c '. tests/vm/guest/lib.sh; . tests/vm/guest/demo.sh' || status=$?
	finish
	exit $status
fi
preset=2s1c
[ "$topology" = 0 ] || preset=2s2l2c
echo "demo: $(uname -r) has no sched_ext: running in the test VM (preset $preset)"
# The VM's vCPUs are host threads: when they wait for a host CPU, the guest
# sees it as scheduling latency under either scheduler.
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l >= n) }'; then
	echo "demo: note: the host's load average is $load on $(nproc) CPUs: both schedulers' latencies will include the VM's wait for them"
fi
script=$(mktemp)
trap 'rm -f "$script"' EXIT
{ echo "DEMO_SECONDS=$seconds DEMO_TOPOLOGY=$topology"; cat tests/vm/guest/demo.sh; } > "$script"
status=0
SCX_SLO_BUILD=$build tests/vm/run-vm.sh --preset "$preset" --timeout $((2 * seconds + 240)) "$script" ||
	status=$?
finish
exit $status
