#!/usr/bin/env bash
# bench/run.sh: latency and throughput of scx_slo against the kernel's
# default scheduler, scx_slo --single-dsq and (--peers) the kernel's own
# sched_ext schedulers, in one boot.
#
#   bench/run.sh [--vm] [--quick] [-n REPS] [--budget DUR] [--peers] [--peer CMD]
#                [--kernel VER] [--presets "2s1c 2s2l2c"] [--duration S]
#                [--samples N] [--rate N] [--cyclictest] [--hackbench]
#                [--hackbench-args ARGS] [--build DIR] [--out DIR]
#
# Each run puts the latency workload (bench/slo_probe: 400 requests/s of ~1 ms
# of CPU each, latency from the wakeup) in a cgroup with a tight budget (--budget,
# 5ms) while stress-ng saturates every CPU from a batch cgroup with the default
# budget.  Per repetition, in an order rotated each repetition: the workload
# alone on the idle machine (floor), the wakeup-only probe at SCHED_FIFO 50
# under saturation (floor), the default scheduler, scx_slo, scx_slo
# --single-dsq, with --peers scx_simple and scx_flatcg, and with --peer
# another sched_ext scheduler.  schbench runs too when SCHBENCH=PATH is set or
# schbench is on PATH; --cyclictest adds cyclictest (SCHED_OTHER);
# --hackbench ends each scheduler's run, once the load is gone, with
# hackbench (rt-tests) alone, timed: the messaging cost of the scheduler.
#
# On a host with sched_ext (and without --vm) it runs there, once.  Otherwise
# it boots the test VM (tests/vm/run-vm.sh, QEMU) once per preset: 2s1c (2
# vCPUs, the latency shape) and 2s2l2c (8 vCPUs in 4 LLCs: per-LLC queues
# against --single-dsq).
#
#   -n REPS       repetitions (3; --quick: 1)
#   --quick       1 repetition of short runs (CI: a few minutes in all)
#   --budget DUR  the workload cgroup's budget (5ms)
#   --peers       scx_simple and scx_flatcg, the example schedulers of the
#                 kernel's tools/sched_ext, with their default options.
#                 tests/setup.sh builds them from the newest test kernel's
#                 Debian linux-source into $SCX_SLO_CACHE/peers/<kernel>/;
#                 they run on that kernel only (not with --kernel OLDER)
#   --peer CMD    another sched_ext scheduler: "PATH [ARGS]".  In the VM, PATH
#                 is copied in with the shared libraries ldd finds for it, so
#                 it must be self-contained otherwise (static is safest).
#                 Another scx_slo build under its own name, for an A/B
#                 ("OLD/scx_slo_old --slo /scx-bench-web=5ms"), has its
#                 deadline misses reported as scx_slo's are
#   --kernel VER  test kernel (prefix), default the newest cached
#   --presets P   VM presets to boot ("2s1c 2s2l2c"; also 1s2l1c, 2 vCPUs
#                 in 2 LLCs of one node: per-LLC against --single-dsq
#                 with no more vCPUs than host cores)
#   --duration S  seconds per measurement (10; --quick: 2)
#   --samples N   keep measuring, up to 3x --duration, until N samples (5000;
#                 --quick: 500)
#   --rate N      workload requests per second (400: below the workload
#                 cgroup's fair CPU share, since a budget buys latency, not
#                 CPU; 0 = as fast as possible, which measures fairness)
#   --hackbench   hackbench after each scheduler's run (not the floors')
#   --hackbench-args ARGS
#                 its arguments ("-g 4 -l 100": 4 groups of 20 senders and
#                 20 receivers, processes over sockets, 100 messages each)
#   --build DIR   the build tree ($SCX_SLO_BUILD, else build/ or build-dev/)
#   --out DIR     results (bench/out/<timestamp>/)
#
# Writes results.json, summary.md and latency.png to DIR.  Exit status: 0
# when every run produced its result, 1 when any is missing, 2 on usage or
# setup errors.  It asserts nothing about performance.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cmdline="bench/run.sh$(printf " %q" "$@")"

vm=0 quick=0 reps='' budget=5ms rate=400 peers=0 peer='' kernel='' presets="2s1c 2s2l2c" duration='' samples=''
cyclictest=0 hackbench=0 hackbench_args="-g 4 -l 100" build=${SCX_SLO_BUILD:-} out=
usage() { sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; }
die() { echo "bench: $*" >&2; exit 2; }
need() { [ $# -ge 2 ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
	case $1 in
	--vm) vm=1; shift ;;
	--quick) quick=1; shift ;;
	-n|--reps) need "$@"; reps=$2; shift 2 ;;
	--budget) need "$@"; budget=$2; shift 2 ;;
	--peers) peers=1; shift ;;
	--peer) need "$@"; peer=$2; shift 2 ;;
	--kernel) need "$@"; kernel=$2; shift 2 ;;
	--presets) need "$@"; presets=$2; shift 2 ;;
	--duration) need "$@"; duration=$2; shift 2 ;;
	--samples) need "$@"; samples=$2; shift 2 ;;
	--rate) need "$@"; rate=$2; shift 2 ;;
	--cyclictest) cyclictest=1; shift ;;
	--hackbench) hackbench=1; shift ;;
	--hackbench-args) need "$@"; hackbench=1; hackbench_args=$2; shift 2 ;;
	--build) need "$@"; build=$2; shift 2 ;;
	--out) need "$@"; out=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
if [ "$quick" = 1 ]; then
	: "${reps:=1}" "${duration:=2}" "${samples:=500}"; warmup=1
else
	: "${reps:=3}" "${duration:=10}" "${samples:=5000}"; warmup=2
fi
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive integer"
[[ $duration =~ ^[1-9][0-9]*$ ]] || die "--duration wants whole seconds"
[[ $samples =~ ^[0-9]+$ ]] || die "--samples wants a number"
[[ $rate =~ ^[0-9]+$ ]] || die "--rate wants a number"
[[ $budget =~ ^[0-9]+(\.[0-9]+)?(ns|us|ms|s)$ ]] || die "--budget wants a duration with a unit (5ms)"
# the peer command line is pasted into a shell script: keep it plain
[[ $peer =~ ^[A-Za-z0-9_./=:,+@\ -]*$ ]] || die "--peer may contain only letters, digits, spaces and _./=:,+@-"
command -v jq > /dev/null || die "jq is not installed (tests/setup.sh)"
# pasted into a shell script too
[[ $hackbench_args =~ ^[A-Za-z0-9\ -]*$ ]] || die "--hackbench-args may contain only letters, digits, spaces and -"
hackbench_bin=
if [ "$hackbench" = 1 ]; then
	hackbench_bin=$(command -v hackbench || true)
	[ -n "$hackbench_bin" ] || die "--hackbench: hackbench is not installed (rt-tests; tests/setup.sh installs it)"
fi

# the build tree
if [ -z "$build" ]; then
	for b in "$root/build" "$root/build-dev"; do
		[ -x "$b/loader/scx_slo" ] && [ -x "$b/bench/slo_probe" ] && { build=$b; break; }
	done
fi
[ -n "$build" ] && [ -x "$build/bench/slo_probe" ] ||
	die "no build with loader/scx_slo and bench/slo_probe: build the project (or --build DIR)"
build=$(cd "$build" && pwd)

# where: the host when it has sched_ext, else the VM
if [ "$vm" = 0 ] && [ -d /sys/kernel/sched_ext ]; then mode=host; else mode=vm; fi
[ "$mode" = host ] && presets=host

schbench=${SCHBENCH:-$(command -v schbench || true)}
[ -z "$schbench" ] || [ -x "$schbench" ] || die "SCHBENCH=$schbench is not executable"

# every peer: its run's name, binary, command line where it runs, the ops
# name it must attach as ("" = any), and where it came from
peer_names=() peer_paths=() peer_cmds=() peer_ops=() peer_origins=()
add_peer() { # NAME PATH ARGS OPS ORIGIN
	local cmd p
	# the VM has one /usr/local/bin
	for p in "${peer_paths[@]}"; do
		[ "${p##*/}" != "${2##*/}" ] || [ "$(readlink -f "$p")" = "$(readlink -f "$2")" ] ||
			die "--peer: $2 has the name of another peer's binary, $p: copy it under another name"
	done
	cmd=$(readlink -f "$2")
	# extra_initramfs installs it under this name
	[ "$mode" = vm ] && cmd=$(basename "$2")
	peer_names+=("$1") peer_paths+=("$2") peer_cmds+=("$cmd${3:+ $3}")
	peer_ops+=("$4") peer_origins+=("$5")
}
if [ "$peers" = 1 ]; then
	cache=${SCX_SLO_CACHE:-/var/cache/scx_slo}
	# built for one kernel: the one the VM boots (run-vm.sh picks it the
	# same way), or on a sched_ext host the newest they were built for
	if [ "$mode" = vm ]; then
		pkver=$(ls -d "$cache"/kernels/"$kernel"*/ 2>/dev/null | sort -V | tail -n1 || true)
		[ -n "$pkver" ] || die "no cached test kernel matching '${kernel:-any}' in $cache/kernels: run tests/setup.sh"
		pkver=$(basename "$pkver")
	else
		pkver=$(ls -d "$cache"/peers/*/ 2>/dev/null | sort -V | tail -n1 || true)
		pkver=$(basename "${pkver:-none}")
	fi
	pdir=$cache/peers/$pkver
	for s in scx_simple scx_flatcg; do
		[ -x "$pdir/$s" ] || die "--peers: no $s built for kernel $pkver in $cache/peers (tests/setup.sh builds them for the newest test kernel; built for: $(cd "$cache/peers" 2>/dev/null && ls -d -- */ 2>/dev/null | tr -d / | paste -sd ' ' | grep . || echo none))"
	done
	origin=$(sed -n 's/^from=//p' "$pdir/build-info" 2>/dev/null || true)
	add_peer scx_simple "$pdir/scx_simple" "" simple "$origin"
	add_peer scx_flatcg "$pdir/scx_flatcg" "" flatcg "$origin"
	echo "bench: peers scx_simple and scx_flatcg from $pdir (${origin:-origin unknown})"
fi
if [ -n "$peer" ]; then
	read -r peer_bin peer_args <<< "$peer"
	peer_path=$(command -v "$peer_bin" || true)
	[ -n "$peer_path" ] && [ -x "$peer_path" ] || die "--peer: '$peer_bin' is not an executable"
	add_peer peer "$peer_path" "$peer_args" "" "--peer"
fi
nentries=$((5 + ${#peer_names[@]}))

out=${out:-$here/out/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
echo "bench: $mode mode, presets: $presets; $reps repetition(s), ${duration}s runs, >= $samples samples; budget $budget; results in $out"
[ -n "$schbench" ] && echo "bench: schbench: $schbench"

# guest/host script: settings, then bench/vm/bench.sh
make_script() { # PRESET FILE [HOST-PREAMBLE]
	local p=$1 f=$2 probe_args="-r $rate"
	# on the 4-LLC shape one message thread per LLC, one worker per CPU
	[ "$p" = 2s2l2c ] && probe_args="-m 4 -w 2 -r $rate"
	{
		echo "# generated by bench/run.sh: $cmdline"
		echo "BENCH_PRESET=$p BENCH_REPS=$reps BENCH_DURATION=$duration"
		echo "BENCH_MIN_SAMPLES=$samples BENCH_BUDGET=$budget BENCH_STRESS_WARMUP=$warmup"
		echo "BENCH_STRESS_METHOD=int64"
		echo "BENCH_PROBE_ARGS='$probe_args' BENCH_CYCLICTEST=$cyclictest"
		echo "BENCH_SCHBENCH='$schbench_cmd'"
		[ "$hackbench" = 1 ] && echo "BENCH_HACKBENCH='$hackbench_args'"
		echo "BENCH_PEERS='${peer_names[*]}'"
		for i in "${!peer_names[@]}"; do
			echo "BENCH_PEER_${peer_names[$i]}='${peer_cmds[$i]}' BENCH_PEER_OPS_${peer_names[$i]}='${peer_ops[$i]}'"
		done
		[ -n "${3:-}" ] && cat "$3"
		cat "$here/vm/bench.sh"
	} > "$f"
}

# an initramfs with the peers and schbench added (run-vm.sh --initramfs)
extra_initramfs() { # OUTFILE FILE...
	local f=$1 d=$work/extra lib; shift
	mkdir -p "$d/usr/local/bin"
	for bin in "$@"; do
		install -m 0755 "$bin" "$d/usr/local/bin/$(basename "$bin")"
		for lib in $(ldd "$bin" 2>/dev/null | awk '/=> \//{print $3} /^[ \t]*\//{print $1}'); do
			[ -e "$d$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$d$lib"
		done
	done
	cp "$build/tests/vm/initramfs.cpio" "$f"
	local pad=$(( (4 - $(stat -c %s "$f") % 4) % 4 ))
	[ "$pad" -eq 0 ] || head -c "$pad" /dev/zero >> "$f"
	(cd "$d" && find . | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) >> "$f"
}

# the peers' and schbench's commands where they run: the VM has them in
# /usr/local/bin (bench.sh puts it first on PATH)
schbench_cmd=
if [ -n "$schbench" ]; then
	schbench=$(readlink -f "$schbench")
	schbench_cmd=$schbench
	[ "$mode" = vm ] && schbench_cmd=$(basename "$schbench")
fi

# progress: the bench's own lines and the harness's verdicts
progress() { grep --line-buffered -a -E '^(bench:|run-vm:|FAIL:|scxvm: test timed)' || true; }

for preset in $presets; do
	log=$out/console-$preset.log
	if [ "$mode" = vm ]; then
		[ -f "$build/tests/vm/initramfs.cpio" ] || die "no $build/tests/vm/initramfs.cpio: build the project"
		script=$work/bench-$preset.sh
		make_script "$preset" "$script"
		cp "$script" "$out/guest-$preset.sh"
		extra=()
		if [ ${#peer_paths[@]} -gt 0 ] || [ -n "$schbench" ] || [ -n "$hackbench_bin" ]; then
			[ -f "$work/initrd.cpio" ] || extra_initramfs "$work/initrd.cpio" "${peer_paths[@]}" \
				${schbench:+"$schbench"} ${hackbench_bin:+"$hackbench_bin"}
			extra=(--initramfs "$work/initrd.cpio")
		fi
		# worst case per run: stress warm-up, probe warm-up, 3x duration
		# when samples are short, the extras, starting and stopping
		per=$((warmup + 1 + 3 * duration + 15))
		[ "$cyclictest" = 1 ] && per=$((per + duration + 2))
		[ -n "$schbench" ] && per=$((per + duration + 10))
		[ "$hackbench" = 1 ] && per=$((per + 60))
		[ "$preset" = 2s2l2c ] && per=$((per * 2))
		timeout=$((180 + reps * nentries * per))
		echo "bench: booting preset $preset (up to ${timeout}s; console: $log)"
		set +e
		SCX_SLO_BUILD=$build "${BENCH_RUN_VM:-$root/tests/vm/run-vm.sh}" ${kernel:+--kernel "$kernel"} \
			--preset "$preset" --timeout "$timeout" --log "$log" --args "" "${extra[@]}" \
			"$script" 2>&1 | progress
		rc=${PIPESTATUS[0]}
		set -e
		echo "bench: preset $preset: run-vm exit $rc"
	else
		[ "$(id -u)" = 0 ] || die "running on the host needs root"
		tmp=$work/host; mkdir -p "$tmp"
		cat > "$work/preamble.sh" <<-EOF
		# host session: lib.sh's helpers, with files under $tmp
		command -v usleep > /dev/null || usleep() { sleep "\$(awk -v u="\$1" 'BEGIN { print u / 1e6 }')"; }
		PATH=$build/loader:$build/bench:\$PATH
		SCX_SLO_ARGS=
		. "$root/tests/vm/guest/lib.sh"
		OUT=$tmp/scx_slo.out ERR=$tmp/scx_slo.err BENCH_TMP=$tmp
		grep -qw cpu \$CG/cgroup.subtree_control || echo +cpu > \$CG/cgroup.subtree_control 2>/dev/null
		EOF
		make_script host "$work/bench-host.sh" "$work/preamble.sh"
		cp "$work/bench-host.sh" "$out/script-host.sh"
		set +e
		sh -c '. "$0"' "$work/bench-host.sh" 2>&1 | tee "$log" | progress
		rc=${PIPESTATUS[0]}
		set -e
		rmdir /sys/fs/cgroup/scx-bench-web /sys/fs/cgroup/scx-bench-batch 2>/dev/null || true
		echo "bench: host session exit $rc"
	fi
	# the machine-readable lines; a line the console garbled is dropped
	grep -a '^BENCH-RESULT ' "$log" | sed 's/^BENCH-RESULT //' |
		jq -cR 'fromjson? // empty' > "$work/runs-$preset.jsonl" || true
	grep -a '^BENCH-INFO ' "$log" | sed 's/^BENCH-INFO //' |
		jq -cR 'fromjson? // empty' | tail -n 1 > "$work/info-$preset.json" || true
	jq -n --arg preset "$preset" --argjson expected "$((reps * nentries))" --argjson rc "$rc" \
		--slurpfile info "$work/info-$preset.json" --slurpfile runs "$work/runs-$preset.jsonl" \
		'{preset: $preset, info: ($info[0] // null), harness_exit: $rc,
		  expected_runs: $expected, runs: $runs}' > "$work/preset-$preset.json"
done

# results.json: every run, the settings, the machine, then the summary
peers_json=$(for i in "${!peer_names[@]}"; do
	jq -cn --arg name "${peer_names[$i]}" --arg cmd "${peer_cmds[$i]}" --arg path "${peer_paths[$i]}" \
		--arg ops "${peer_ops[$i]}" --arg origin "${peer_origins[$i]}" \
		'{name: $name, command: $cmd, path: $path, ops: (if $ops == "" then null else $ops end), origin: $origin}'
done | jq -cs .)
machine=$(jq -n --arg cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" \
	--argjson cpus "$(nproc)" --arg kernel "$(uname -r)" \
	--argjson mem "$(awk '/^MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)" \
	--arg os "$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")" \
	--arg qemu "$( [ "$mode" = vm ] && qemu-system-x86_64 --version | head -n1 || true)" \
	'{cpu: $cpu, cpus: $cpus, mem_gib: $mem, os: $os, kernel: $kernel} +
	 (if $qemu == "" then {} else {qemu: $qemu, accel: "tcg (software emulation)"} end)')
jq -s --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg cmd "$cmdline" --arg mode "$mode" \
	--argjson machine "$machine" --argjson reps "$reps" --argjson quick "$quick" \
	--arg budget "$budget" --argjson duration "$duration" --argjson samples "$samples" \
	--argjson warmup "$warmup" --argjson rate "$rate" --argjson ct "$cyclictest" --arg sb "$schbench" --arg peer "$peer" \
	--arg hb "$( [ "$hackbench" = 1 ] && echo "$hackbench_args" || true)" \
	--argjson peers "$peers_json" --argjson secs "$(( $(date +%s) - start ))" \
	'{schema: 1, date: $date, command: $cmd, mode: $mode, machine: $machine, wall_s: $secs,
	  settings: {reps: $reps, quick: ($quick == 1), budget: $budget, duration_s: $duration,
	             min_samples: $samples, rate: $rate, stress_warmup_s: $warmup, cyclictest: ($ct == 1),
	             schbench: (if $sb == "" then null else $sb end),
	             hackbench: (if $hb == "" then null else $hb end),
	             peer: (if $peer == "" then null else $peer end), peers: $peers},
	  presets: .}' "$work"/preset-*.json > "$work/raw.json"
jq -f "$here/summarize.jq" "$work/raw.json" > "$out/results.json"
jq -r -f "$here/summary-md.jq" "$out/results.json" > "$out/summary.md"
if command -v gnuplot > /dev/null; then
	"$here/plot.sh" "$out/results.json" "$out/latency.png" ||
		echo "bench: the plot failed (results.json and summary.md are complete)" >&2
else
	echo "bench: gnuplot is not installed (tests/setup.sh installs gnuplot-nox): no plot" >&2
fi

missing=$(jq -r '.missing | length' "$out/results.json")
echo "bench: done in $(( $(date +%s) - start ))s: $out/summary.md"
# the ratio tables (no pipe to head: sed would die of SIGPIPE under pipefail)
awk '/^## Ratios/ { f = 1 } /^## Targets/ { f = 0 } f' "$out/summary.md"
if [ "$missing" -gt 0 ]; then
	echo "bench: $missing run(s) produced no result: $(jq -r '.missing | join(", ")' "$out/results.json")" >&2
	exit 1
fi
exit 0
