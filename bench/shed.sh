#!/usr/bin/env bash
# bench/shed.sh: load shedding measured end to end in the test VM (issue 17):
# nginx in front of a CPU-bound HTTP service (bench/cpu_service) with a
# latency budget, next to stress-ng in a batch cgroup, under scx_slo, driven
# by an open-loop generator (bench/openloop: Poisson arrivals, latency from
# the scheduled send time).  Arms, in one boot:
#
#   none        no shedding
#   limit_conn  nginx's static limit_conn at capacity x budget (Little's law)
#   scheduler   nginx auth_request to the loader's /v1/admission/auth: shed
#               on the scheduler's signal
#   haproxy     HAProxy with deploy/proxy/haproxy/haproxy.cfg as it is: the
#               same signal drawn locally from a map a poller keeps current
#               from /v1/pressure every 250 ms (no hop per request), and
#               the cgroup's concurrency limit as the server's maxconn
#               (queue timeout half the budget)
#   haproxy_limit  the haproxy arm with the map left admitting: only the
#               concurrency limit acts (not run unless asked for)
#   haproxy_none  the same HAProxy with nothing polling (the map admits):
#               the haproxy arm's baseline (not run unless asked for)
#
#   bench/shed.sh [--quick] [--arms "none limit_conn scheduler haproxy"] [--kernel VER]
#                 [--preset P] [--step S] [--burst S] [--work DUR]
#                 [--budget DUR] [--front-budget DUR] [--isolate-front] [--limit N]
#                 [--shed-target R] [--seed N]
#                 [--build DIR] [--out DIR]
#
# First the capacity: the highest goodput (2xx answers within the budget a
# second) of a ramp of rates without shedding.  Then per arm: 0.5, 0.9, 1.2,
# 1.5, 2 and 3x the capacity --step seconds each, 10x for --burst seconds,
# back to 0.5x.
#
#   --quick       short steps (CI: about a minute in the VM); asserts nothing
#                 about performance, like the full run
#   --arms LIST   default: none and limit_conn, and scheduler and haproxy
#                 when the loader in the build serves /v1/admission and
#                 /v1/pressure; asking for them of a loader without those
#                 is an error
#   --kernel VER  test kernel (prefix), default the newest cached
#   --preset P    VM preset (2s1c: 2 vCPUs, where TCG's own scheduling noise
#                 under saturation stays far below the 20 ms budget; on
#                 4 vCPUs its p99 alone is about 10 ms)
#   --step S      seconds per step (10; --quick: 1)
#   --burst S     seconds of the 10x burst (2)
#   --work DUR    CPU per request in the service (5ms)
#   --budget DUR  the service's latency budget (20ms)
#   --front-budget DUR  the proxy's and the loader's budget (5ms): with
#                 one shorter than the service's, the proxy's work comes
#                 before the service's
#   --isolate-front  the proxy, the loader and the generator on CPU 0, the
#                 service and the batch job on the other CPUs (cpusets)
#   --limit N     limit_conn's limit instead of capacity x budget
#   --shed-target R  the loader's --shed-target (its default, 1%, unless
#                 given): the miss ratio above which the signal sheds
#   --seed N      arrival times' seed (1)
#   --build DIR   the build tree ($SCX_SLO_BUILD, else build/)
#   --out DIR     results (bench/out/shed-<timestamp>/)
#
# Writes results.json, summary.md and shed.png to DIR.  Exit status: 0 when
# every arm asked for produced its result, 1 when one did not, 2 on usage
# or setup errors.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cmdline="bench/shed.sh$(printf " %q" "$@")"

quick=0 arms='' kernel='' preset=2s1c step='' burst=2 work=5ms budget=20ms limit='' seed=1 target='' front_budget=5ms isolate=0
build=${SCX_SLO_BUILD:-} out=
usage() { sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; }
die() { echo "shed: $*" >&2; exit 2; }
need() { [ $# -ge 2 ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1; shift ;;
	--arms) need "$@"; arms=$2; shift 2 ;;
	--kernel) need "$@"; kernel=$2; shift 2 ;;
	--preset) need "$@"; preset=$2; shift 2 ;;
	--step) need "$@"; step=$2; shift 2 ;;
	--burst) need "$@"; burst=$2; shift 2 ;;
	--work) need "$@"; work=$2; shift 2 ;;
	--budget) need "$@"; budget=$2; shift 2 ;;
	--limit) need "$@"; limit=$2; shift 2 ;;
	--front-budget) need "$@"; front_budget=$2; shift 2 ;;
	--isolate-front) isolate=1; shift ;;
	--shed-target) need "$@"; target=$2; shift 2 ;;
	--seed) need "$@"; seed=$2; shift 2 ;;
	--build) need "$@"; build=$2; shift 2 ;;
	--out) need "$@"; out=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "shed: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done
if [ "$quick" = 1 ]; then
	: "${step:=1}"; cap_step=1; cap_factors="0.025 0.05 0.1 0.2 0.4"
else
	: "${step:=10}"; cap_step=3; cap_factors="0.05 0.1 0.2 0.27 0.33 0.37 0.42 0.46 0.5 0.55 0.6 0.67 0.75"
fi
[[ $step =~ ^[1-9][0-9]*$ ]] || die "--step wants whole seconds"
[[ $burst =~ ^[1-9][0-9]*$ ]] || die "--burst wants whole seconds"
[[ $seed =~ ^[0-9]+$ ]] || die "--seed wants a number"
[ -z "$limit" ] || [[ $limit =~ ^[1-9][0-9]*$ ]] || die "--limit wants a positive whole number"
[ -z "$target" ] || [[ $target =~ ^[0-9]+(\.[0-9]+)?%?$ ]] || die "--shed-target wants a ratio such as 1% or 0.01, not '$target'"
for d in "--work $work" "--budget $budget" "--front-budget $front_budget"; do
	[[ ${d#* } =~ ^[0-9]+(\.[0-9]+)?(us|ms|s)$ ]] || die "${d% *} wants a duration with a unit (5ms), not '${d#* }'"
done
command -v jq > /dev/null || die "jq is not installed (tests/setup.sh)"

if [ -z "$build" ]; then
	build=$root/build
fi
for f in loader/scx_slo bench/openloop bench/cpu_service tests/vm/initramfs.cpio; do
	[ -e "$build/$f" ] || die "no $build/$f: build the project (or --build DIR)"
done
build=$(cd "$build" && pwd)

# the scheduler arm needs the loader's admission endpoints (issue 17): a
# loader built with them carries their path; the guest asks the running
# one before the arm and gives no result when it does not answer
has_admission=0
grep -aq '/v1/admission' "$build/loader/scx_slo" && has_admission=1
if [ -z "$arms" ]; then
	arms="none limit_conn"
	if [ "$has_admission" = 1 ]; then
		arms="$arms scheduler haproxy"
	else
		echo "shed: the loader in $build has no /v1/admission endpoint: arms none and limit_conn only"
	fi
fi
arms=$(echo "$arms" | tr ',' ' ' | xargs)
for a in $arms; do
	case $a in
	none|limit_conn|haproxy_none) ;;
	scheduler|haproxy|haproxy_limit) [ "$has_admission" = 1 ] ||
		die "--arms $a: the loader in $build has no /v1/admission/auth and /v1/pressure endpoints (shed on the scheduler's signal needs them)" ;;
	*) die "--arms: unknown arm '$a' (none, limit_conn, scheduler, haproxy, haproxy_limit, haproxy_none)" ;;
	esac
done
narms=$(echo "$arms" | wc -w)
[ "$(echo "$arms" | tr ' ' '\n' | sort -u | wc -l)" = "$narms" ] || die "--arms: an arm is named twice"

out=${out:-$here/out/shed-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work_dir=$(mktemp -d)
trap 'rm -rf "$work_dir"' EXIT
start=$(date +%s)

# the guest script: settings, the nginx configurations, bench/vm/shed.sh
script=$work_dir/shed-guest.sh
{
	echo "# generated by bench/shed.sh: $cmdline"
	echo "SHED_QUICK=$quick SHED_ARMS='$arms' SHED_STEP_S=$step SHED_BURST_S=$burst"
	echo "SHED_WORK=$work SHED_BUDGET=$budget SHED_SEED=$seed SHED_LIMIT=$limit SHED_TARGET=$target"
	echo "SHED_FRONT_BUDGET=$front_budget SHED_ISOLATE=$isolate"
	echo "SHED_CAP_STEP_S=$cap_step SHED_CAP_FACTORS='$cap_factors'"
	echo "SHED_CONF=/tmp/shed-conf"
	echo 'mkdir -p "$SHED_CONF"'
	for f in nginx none limit_conn scheduler; do
		echo "cat > \"\$SHED_CONF/$f.conf\" <<'SHED_CONF_EOF'"
		cat "$here/nginx/$f.conf"
		echo "SHED_CONF_EOF"
	done
	# the scheduler arm runs the shipped nginx files as they are
	for f in scx-slo-server scx-slo-location; do
		echo "cat > \"\$SHED_CONF/$f.conf\" <<'SHED_CONF_EOF'"
		cat "$root/deploy/proxy/nginx/$f.conf"
		echo "SHED_CONF_EOF"
	done
	# and the haproxy arms the shipped haproxy.cfg
	echo "cat > \"\$SHED_CONF/haproxy.cfg\" <<'SHED_CONF_EOF'"
	cat "$root/deploy/proxy/haproxy/haproxy.cfg"
	echo "SHED_CONF_EOF"
	cat "$here/vm/shed.sh"
} > "$script"
cp "$script" "$out/guest.sh"

# the guest's progress lines (|| true inside: PIPESTATUS must stay run-vm's)
progress() { grep --line-buffered -a -E '^(shed:|run-vm:|FAIL:|scxvm: test timed)' || true; }

# boot, start-up, the capacity ramp, then per arm its steps, nginx and the drain
ncap=$(echo "$cap_factors" | wc -w)
timeout=$((240 + ncap * cap_step * 2 + narms * (2 * (7 * step + burst) + 100)))
log=$out/console.log
echo "shed: arms: $arms; steps ${step}s, burst ${burst}s; preset $preset (up to ${timeout}s; console: $log)"
set +e
SCX_SLO_BUILD=$build "${BENCH_RUN_VM:-$root/tests/vm/run-vm.sh}" ${kernel:+--kernel "$kernel"} \
	--preset "$preset" --timeout "$timeout" --log "$log" --args "" "$script" 2>&1 | progress
rc=${PIPESTATUS[0]}
set -e
echo "shed: run-vm exit $rc"

# the machine-readable lines; a line the console garbled is dropped
grep -a '^SHED-RESULT ' "$log" | sed 's/^SHED-RESULT //' | jq -cR 'fromjson? // empty' > "$work_dir/arms.jsonl" || true
grep -a '^SHED-INFO ' "$log" | sed 's/^SHED-INFO //' | jq -cR 'fromjson? // empty' | tail -n 1 > "$work_dir/info.json" || true
machine=$(jq -n --arg cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" \
	--argjson cpus "$(nproc)" --arg kernel "$(uname -r)" \
	--arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
	--arg qemu "$(qemu-system-x86_64 --version | head -n1)" \
	'{cpu: $cpu, cpus: $cpus, kernel: $kernel, loadavg_at_end: $load, qemu: $qemu,
	  accel: "tcg (software emulation)"}')
jq -n --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg cmd "$cmdline" --arg preset "$preset" \
	--argjson machine "$machine" --argjson quick "$quick" --arg arms "$arms" \
	--argjson rc "$rc" --argjson secs "$(( $(date +%s) - start ))" \
	--slurpfile info "$work_dir/info.json" --slurpfile results "$work_dir/arms.jsonl" \
	'{schema: 1, date: $date, command: $cmd, preset: $preset, machine: $machine,
	  quick: ($quick == 1), arms_asked: ($arms | split(" ")), harness_exit: $rc, wall_s: $secs,
	  info: ($info[0] // null), arms: $results}' > "$work_dir/raw.json"
jq -f "$here/shed-summary.jq" "$work_dir/raw.json" > "$out/results.json"
jq -r -f "$here/shed-md.jq" "$out/results.json" > "$out/summary.md"
if command -v gnuplot > /dev/null; then
	"$here/shed-plot.sh" "$out/results.json" "$out/shed.png" ||
		echo "shed: the plot failed (results.json and summary.md are complete)" >&2
else
	echo "shed: gnuplot is not installed (tests/setup.sh installs gnuplot-nox): no plot" >&2
fi

echo "shed: done in $(( $(date +%s) - start ))s: $out/summary.md"
cat "$out/summary.md"
missing=$(jq -r '.missing | join(" ")' "$out/results.json")
if [ -n "$missing" ]; then
	echo "shed: arm(s) without a result: $missing" >&2
	exit 1
fi
[ "$rc" = 0 ] || { echo "shed: the guest failed (run-vm exit $rc): see $log" >&2; exit 1; }
exit 0
