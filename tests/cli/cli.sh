#!/usr/bin/env bash
# Host-side checks of scx_slo's command line and its refusals, which need no
# sched_ext: each case wants an exit status and one line naming the problem.
#   cli.sh PATH/TO/scx_slo
set -u
bin=$1
passed=0 failed=0

# expect NAME STATUS PATTERN CMD...: exit STATUS, stderr (or stdout for 0)
# matches PATTERN; a refusal prints exactly one line (plus "Try ..." hint).
expect() {
	local name=$1 want=$2 pattern=$3; shift 3
	local out err rc lines
	out=$("$@" 2>/tmp/cli.err.$$); rc=$?
	err=$(cat /tmp/cli.err.$$)
	lines=$(grep -vc "^Try 'scx_slo --help'" /tmp/cli.err.$$)
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $name: exit $rc, want $want"; echo "$err"; failed=$((failed + 1)); return
	fi
	if ! printf '%s\n%s\n' "$out" "$err" | grep -q -- "$pattern"; then
		echo "FAIL $name: output does not match '$pattern'"; echo "$out"; echo "$err"
		failed=$((failed + 1)); return
	fi
	if [ "$want" -ne 0 ] && [ "$lines" -ne 1 ]; then
		echo "FAIL $name: $lines lines on stderr, want 1"; echo "$err"
		failed=$((failed + 1)); return
	fi
	echo "ok   $name"; passed=$((passed + 1))
}

expect version 0 '^scx_slo [0-9]' "$bin" --version
expect help 0 'Usage: scx_slo' "$bin" --help
expect help-documents-exit-codes 0 '4 kernel without sched_ext' "$bin" --help
expect bad-option 2 'unrecognized option' "$bin" --no-such-option
expect stray-argument 2 "unexpected argument 'foo'" "$bin" foo
expect slo-no-equals 2 'expected PATH=DURATION' "$bin" --slo /web
expect slo-no-unit 2 'needs a unit' "$bin" --slo /web=5
expect slo-bad-unit 2 'unknown duration unit' "$bin" --slo /web=5min
expect slo-negative 2 'negative' "$bin" --slo /web=-5ms
expect slo-too-small 2 'between 50us and 10s' "$bin" --slo /web=10us
expect slo-too-large 2 'between 50us and 10s' "$bin" --slo /web=11s
expect slo-relative 2 "must start with '/'" "$bin" --slo web=5ms
expect slo-dotdot 2 "'..'" "$bin" --slo /web/../..=5ms
expect slo-duplicate 2 'given twice' "$bin" --slo /web=5ms --slo //web/=6ms
# the budget rule of the file and of `slo set` (loader/budget_rule.c)
expect slo-leading-zero 2 "^scx_slo: --slo '0100ms': leading zeros are not allowed$" "$bin" --slo /web=0100ms
expect default-budget-leading-zero 2 "^scx_slo: --default-budget '05ms': leading zeros are not allowed$" \
	"$bin" --default-budget 05ms
expect default-budget-plus 2 "^scx_slo: --default-budget '+5ms': " "$bin" --default-budget +5ms
expect slo-dir-empty 2 "^scx_slo: --slo-dir '': expected a directory$" "$bin" --slo-dir ''
expect slo-dir-with-slo 2 '^scx_slo: --slo-dir and --slo are exclusive' "$bin" --slo-dir /tmp --slo /web=5ms
expect slo-dir-check-config 2 'only validates a file' "$bin" --check-config /dev/null --slo-dir /tmp
expect slo-dir-help 0 '--slo-dir DIR' "$bin" --help
expect stats-zero 2 'whole seconds' "$bin" --stats 0
expect watchdog-too-long 2 'between' "$bin" --watchdog 60s
# the starvation backstop must fit in the watchdog: w/4 >= 100ms + slice
# (the longest slice: --max-slice, by default 20ms or --slice if longer)
expect watchdog-vs-backstop 2 'too short for a slice of 20ms.*at least 480ms' "$bin" --watchdog 300ms
expect watchdog-vs-short-max 2 'needs a watchdog of at least 412ms' "$bin" --watchdog 300ms --max-slice 3ms
expect watchdog-vs-slice 2 'too short for a slice of 50ms' "$bin" --watchdog 500ms --slice 50ms
expect watchdog-vs-max-slice 2 'too short for a slice of 100ms' "$bin" --watchdog 700ms --max-slice 100ms
expect max-slice-below-slice 2 '--max-slice 2ms is shorter than --slice 3ms' "$bin" --max-slice 2ms
expect max-slice-below-long-slice 2 '--max-slice 20ms is shorter than --slice 30ms' "$bin" --slice 30ms --max-slice 20ms
expect max-slice-no-unit 2 "--max-slice '20': duration needs a unit" "$bin" --max-slice 20
expect shed-target-zero 2 "shed-target .0%.: must be above 0" "$bin" --shed-target 0%
expect shed-target-high 2 "shed-target .60%.: must be above 0 and at most 50%" "$bin" --shed-target 60%
expect shed-target-word 2 "shed-target .lots.: expected a ratio" "$bin" --shed-target lots
expect heartbeat-dir 2 "--heartbeat '/run/': expected a file path" "$bin" --heartbeat /run/

# scx_slo health: exit 0 healthy, else one line naming why
expect health-help 0 'Usage: scx_slo health' "$bin" health --help
expect health-bad-age 2 "--max-age '10': duration needs a unit" "$bin" health --max-age 10
expect health-age-range 2 'between 1s and 3600s' "$bin" health --max-age 3601s
expect health-stray 2 "unexpected argument 'x'" "$bin" health x
expect health-bad-option 2 "unknown option '--nope'" "$bin" health --nope
expect health-no-loader 1 'no heartbeat at /nonexistent/heartbeat: scx_slo is not running' \
	"$bin" health --heartbeat /nonexistent/heartbeat

# The per-SLO weight is gone (CPU shares follow cpu.weight).  An old file
# that still has one is refused whole: one line naming the file and the
# weight's line, exit 2, nothing printed as valid and nothing applied.
tmp=$(mktemp -d)
old_cfg=$tmp/config.yaml
cat > "$old_cfg" <<'YAML'
# written for an scx_slo that had per-SLO weights
default_budget: 100ms
slos:
  - cgroup: /kubepods.slice
    budget: 5ms
  - cgroup: /kubepods.slice/kubepods-besteffort.slice
    weight: 25
    budget: 500ms
YAML
weight_gone="'weight' is no longer supported: CPU shares follow the cgroup's cpu.weight (the pod's CPU request); remove it"
expect check-config-old-weight 2 "^scx_slo: $old_cfg:7: $weight_gone\$" "$bin" --check-config "$old_cfg"
if "$bin" --check-config "$old_cfg" 2>/dev/null | grep -q .; then
	echo "FAIL check-config-old-weight-stdout: something on stdout"; failed=$((failed + 1))
else
	echo "ok   check-config-old-weight-stdout"; passed=$((passed + 1))
fi
expect check-config-example 0 'valid, 4 SLO(s)' "$bin" --check-config "$(dirname "$0")/../../deploy/slo.example.yaml"
expect slo-help-no-weight 0 '^ *scx_slo slo set PATH DURATION$' "$bin" slo --help
if "$bin" slo --help | grep -qF WEIGHT; then
	echo "FAIL slo-help-no-weight-arg: --help still offers a WEIGHT argument"; failed=$((failed + 1))
else
	echo "ok   slo-help-no-weight-arg"; passed=$((passed + 1))
fi
expect slo-set-weight 2 "^scx_slo slo: set: the WEIGHT argument ('200') is no longer supported: CPU shares follow the cgroup's cpu.weight" "$bin" slo set /web 5ms 200
expect slo-set-too-many 2 'bad command' "$bin" slo set /web 5ms 200 300

vm='package:2 [numa] l3:2 core:2 pu:1'
expect topo-synthetic 0 'domain 0: L3, cpus 0-1; steal order 1, 2, 3' "$bin" --show-topology --topology-synthetic "$vm"
expect topo-json 0 '"steal_order": \[1, 2, 3\]' "$bin" -t -j --topology-synthetic "$vm"
expect topo-live 0 'llc domains:' "$bin" --show-topology
expect topo-bad-synthetic 2 'synthetic' "$bin" -t --topology-synthetic 'bogus:3'
expect topo-missing-xml 2 'No such file' "$bin" -t --topology-xml /nonexistent/topo.xml
expect topo-bad-xml 2 'topology' "$bin" -t --topology-xml "$(dirname "$0")/../unit/data/truncated.xml"
expect topo-no-cpus 2 'no usable CPUs' "$bin" -t --topology-xml "$(dirname "$0")/../unit/data/no-cpus.xml"
expect topo-both-inputs 2 'exclusive' "$bin" -t --topology-xml x --topology-synthetic y
expect topo-input-without-show 2 'only apply to --show-topology' "$bin" --topology-synthetic "$vm"
expect json-without-show 2 'only applies to --show-topology' "$bin" --json
expect termination-log-dir 2 "--termination-log '/tmp/': expected a file path" "$bin" --termination-log /tmp/
expect last-good-dir 2 "--last-good '/tmp/': expected a file path" "$bin" --last-good /tmp/
# Every exit of the loader leaves its reason in --termination-log (the
# kubelet's termination message): status, meaning, and the line logged.
term=$(mktemp -u /tmp/cli-term.XXXXXX)
expect termination-log-bad-option 2 'needs a unit' "$bin" --termination-log "$term" --slice 3
if grep -qx "scx_slo exited 2 (bad command line or configuration): --slice '3': duration needs a unit (ns, us, ms or s)" "$term"; then
	echo "ok   termination-log-written"; passed=$((passed + 1))
else
	echo "FAIL termination-log-written: '$(cat "$term" 2>&1)'"; failed=$((failed + 1))
fi
rm -f "$term"

if command -v setpriv >/dev/null; then
	expect topo-unprivileged 0 'llc domains:' setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" --show-topology
	expect not-root 3 'must run as root' setpriv --reuid=65534 --regid=65534 --clear-groups "$bin"
else
	echo "FAIL not-root: setpriv (util-linux) is missing"; failed=$((failed + 1))
fi
# The no-sched_ext refusal shows only on a kernel without it.  With
# sched_ext, the kernel check passes and a missing cgroup is refused before
# anything is loaded.
if [ ! -d /sys/kernel/sched_ext ]; then
	expect no-sched-ext 4 'has no sched_ext' "$bin"
	expect health-no-sched-ext 1 '^scx_slo: unhealthy: this kernel has no sched_ext' "$bin" health
else
	expect missing-cgroup 2 'No such file or directory' "$bin" --slo /scx-slo-no-such-cgroup=5ms
	# the file is read before anything is loaded: refused, and no scheduler attached
	state_before=$(cat /sys/kernel/sched_ext/state)
	expect config-old-weight 2 "^scx_slo: $old_cfg:7: $weight_gone\$" "$bin" --config "$old_cfg"
	state_after=$(cat /sys/kernel/sched_ext/state)
	if [ "$state_after" = "$state_before" ]; then
		echo "ok   config-old-weight-nothing-applied"; passed=$((passed + 1))
	else
		echo "FAIL config-old-weight-nothing-applied: sched_ext state $state_before -> $state_after"
		failed=$((failed + 1))
	fi
fi

rm -f /tmp/cli.err.$$
rm -rf "$tmp"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
