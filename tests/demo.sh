#!/usr/bin/env bash
# The main job: build scx_slo and run it under load.  A latency-sensitive
# probe runs in a cgroup with a 5 ms budget next to a CPU-saturating batch
# cgroup; scx_slo prints its state and per-cgroup miss counts.  On a host
# without sched_ext this runs in the test VM (2 sockets x 2 LLCs x 2 cores).
#
#   tests/demo.sh [SECONDS]      (default 20)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
seconds=${1:-20}
case $seconds in ''|*[!0-9]*) echo "demo: SECONDS must be a whole number" >&2; exit 2 ;; esac
bash tests/build.sh

if [ -d /sys/kernel/sched_ext ]; then
	echo "demo: this kernel has sched_ext: running on the host for ${seconds}s"
	export PATH=$top/build/loader:$PATH DEMO_SECONDS=$seconds
	exec sh -c '. tests/vm/guest/lib.sh; . tests/vm/guest/demo.sh'
fi
echo "demo: $(uname -r) has no sched_ext: running in the test VM for ${seconds}s"
script=$(mktemp)
trap 'rm -f "$script"' EXIT
{ echo "DEMO_SECONDS=$seconds"; cat tests/vm/guest/demo.sh; } > "$script"
exec tests/vm/run-vm.sh --preset 2s2l2c --timeout $((seconds + 240)) "$script"
