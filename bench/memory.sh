#!/usr/bin/env bash
# bench/memory.sh: what scx_slo costs in memory, per BPF map and for the
# loader process, on several VM shapes (bench/vm/memory.sh in each).
#
#   bench/memory.sh [--kernel VER] [--presets "2s2l2c 4s2l8c"] [--cgroups N]
#                   [--tasks N] [--build DIR] [--out DIR]
#
#   --kernel VER  test kernel (prefix), default the newest cached
#   --presets P   VM presets to boot ("2s2l2c 4s2l8c": 8 and 64 vCPUs)
#   --cgroups N   live cgroups that each run a process (1000)
#   --tasks N     extra sleeping tasks, for the task-storage cost (500)
#   --build DIR   the build tree ($SCX_SLO_BUILD, else build/ or build-dev/)
#   --out DIR     results (bench/out/memory-<timestamp>/)
#
# Writes console-<preset>.log and summary.md (per-map memlock and the
# loader's numbers side by side) to DIR.  The 64-vCPU preset takes 2-6
# minutes to boot under TCG.  Exit status: 0 when every preset reported,
# 1 when one did not, 2 on usage or setup errors.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

kernel='' presets="2s2l2c 4s2l8c" cgroups=1000 tasks=500 build=${SCX_SLO_BUILD:-} out=
usage() { sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; }
die() { echo "memory: $*" >&2; exit 2; }
need() { [ $# -ge 2 ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) need "$@"; kernel=$2; shift 2 ;;
	--presets) need "$@"; presets=$2; shift 2 ;;
	--cgroups) need "$@"; cgroups=$2; shift 2 ;;
	--tasks) need "$@"; tasks=$2; shift 2 ;;
	--build) need "$@"; build=$2; shift 2 ;;
	--out) need "$@"; out=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[[ $cgroups =~ ^[1-9][0-9]*$ ]] || die "--cgroups wants a positive number"
[[ $tasks =~ ^[1-9][0-9]*$ ]] || die "--tasks wants a positive number"
command -v jq > /dev/null || die "jq is not installed (tests/setup.sh)"
if [ -z "$build" ]; then
	for b in "$root/build" "$root/build-dev"; do
		[ -f "$b/tests/vm/initramfs.cpio" ] && { build=$b; break; }
	done
fi
[ -n "$build" ] && [ -f "$build/tests/vm/initramfs.cpio" ] ||
	die "no build with tests/vm/initramfs.cpio: build the project (or --build DIR)"
build=$(cd "$build" && pwd)
out=${out:-$here/out/memory-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

status=0
done_presets=
for preset in $presets; do
	script=$work/memory-$preset.sh
	{ echo "MEM_CGROUPS=$cgroups MEM_TASKS=$tasks"; cat "$here/vm/memory.sh"; } > "$script"
	timeout=600 boot=120
	case $preset in 4s*|*8c) timeout=1500 boot=600 ;; esac
	echo "memory: booting preset $preset (up to ${timeout}s)"
	set +e
	SCXVM_BOOT_TIMEOUT=$boot SCX_SLO_BUILD=$build "$root/tests/vm/run-vm.sh" \
		${kernel:+--kernel "$kernel"} --preset "$preset" --timeout "$timeout" \
		--log "$out/console-$preset.log" --args "" "$script" 2>&1 |
		grep --line-buffered -a -E '^(memory:|run-vm:|FAIL:)'
	rc=${PIPESTATUS[0]}
	set -e
	if [ "$rc" -ne 0 ] || ! grep -aq '^MEMORY ' "$out/console-$preset.log"; then
		echo "memory: preset $preset: no result (run-vm exit $rc)" >&2
		status=1
		continue
	fi
	done_presets="$done_presets $preset"
done
[ -n "$done_presets" ] || exit 1

# summary.md: one column per preset
{
	val() { grep -a "^MEMORY $2" "$out/console-$1.log" | head -n1 | awk -v f="$3" '{ print $f }'; }
	names=${done_presets# }
	printf '| | %s |\n|---|' "${names// / | }"
	for p in $done_presets; do printf -- '---|'; done; echo
	row() { # LABEL KEY FIELD
		printf '| %s |' "$1"
		for p in $done_presets; do printf ' %s |' "$(val "$p" "$2" "$3")"; done; echo
	}
	row "vCPUs" "machine " 6
	row "L3 domains" "machine " 10
	row "NUMA nodes" "machine " 12
	row "tasks at boot" "machine " 14
	maps=$(grep -ah '^MEMORY map cgroups ' "$out"/console-*.log | awk '{ print $4 }' | awk '!seen[$0]++')
	for m in $maps; do
		# shellcheck disable=SC2016 # backquotes are markdown
		printf '| `%s` memlock (B) |' "$m"
		for p in $done_presets; do
			printf ' %s |' "$(grep -a "^MEMORY map cgroups $m " "$out/console-$p.log" | awk '{ print $7 }')"
		done
		echo
	done
	row "all maps, loaded (B)" "maps_total loaded" 4
	row "all maps, $cgroups cgroups (B)" "maps_total cgroups" 4
	row "BPF programs (B)" "progs_total cgroups" 4
	row "cgroup stats entries" "cgroup_entries cgroups" 4
	row "loader VmRSS, loaded (kB)" "loader loaded" 5
	row "loader VmRSS, $cgroups cgroups (kB)" "loader cgroups" 5
	row "loader VmHWM (kB)" "loader tasks" 7
	row "loader memcg, loaded (B)" "memcg loaded" 5
	row "loader memcg, $cgroups cgroups (B)" "memcg cgroups" 5
	row "  of which anon (B)" "memstat cgroups anon" 5
	row "  of which vmalloc (B)" "memstat cgroups vmalloc" 5
	row "  of which percpu (B)" "memstat cgroups percpu" 5
	row "  of which reclaimable slab (B)" "memstat cgroups slab_reclaimable" 5
	row "  of which unreclaimable slab (B)" "memstat cgroups slab_unreclaimable" 5
	row "unreclaimable slab for $cgroups stats entries (B)" "cgroups_unreclaimable_slab_delta" 3
	row "loader memcg, +$tasks tasks (B)" "memcg tasks" 5
	row "unreclaimable slab for $tasks tasks (B)" "tasks " 10
	row "loader memcg peak (B)" "memcg tasks" 7
	row "loader memcg after exit (B)" "memcg exited" 5
} > "$out/summary.md"
cat "$out/summary.md"
echo "memory: results in $out"
exit $status
