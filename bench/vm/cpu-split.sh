# Guest script: where the machine's CPU goes under the benchmark's load,
# for the kernel's default scheduler, scx_slo and scx_slo --single-dsq in
# one boot.
#
#   tests/vm/run-vm.sh --preset 2s2l2c --timeout 900 bench/vm/cpu-split.sh
#
# The load is bench/run.sh's: stress-ng --cpu $(nproc) in a batch cgroup
# with the default budget, and slo_probe (400 requests/s, 4 message
# threads, 2 workers) in a cgroup with a 5 ms budget.  Around the probe's
# 10 s, for each scheduler, it reads:
#  - the user, system and idle shares of /proc/stat;
#  - context switches;
#  - the function-call, reschedule and irq_work interrupts;
#  - the loader's own CPU time;
#  - the batch's bogo ops/s;
#  - the time and calls of each BPF program (bpf_stats).
# It asserts nothing.  Under TCG, system time also counts waits for locks
# held by vCPUs that the host has descheduled, so compare schedulers only
# within one boot.  CPU_SPLIT_ROUNDS (1) rounds, in the same order each time.
: "${CPU_SPLIT_ROUNDS:=1}"
cg_create split-web
cg_create split-batch
echo 1 > /proc/sys/kernel/bpf_stats_enabled || fail "cannot enable BPF stats"
slo_probe --json -d 0.001 --warmup 0 > /tmp/cal.json || fail "slo_probe calibration failed"
cal=$(jq .config.iters_per_us /tmp/cal.json)

cpu_line() { head -n 1 /proc/stat; }
ctxt() { awk '$1 == "ctxt" { print $2 }' /proc/stat; }
# function-call, reschedule and irq_work interrupts, summed over CPUs
irqs() {
	awk '$1 == "CAL:" || $1 == "RES:" || $1 == "IWI:" {
		s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; n[$1] = s }
		END { printf "%d %d %d\n", n["CAL:"], n["RES:"], n["IWI:"] }' /proc/interrupts
}
progs() {
	bpftool prog show --json | jq -r '.[] | select(.name | startswith("slo_")) |
		"\(.name) \(.run_cnt // 0) \(.run_time_ns // 0)"' | sort
}

one() { # NAME [SCX_SLO ARGS]
	name=$1
	shift
	if [ "$name" != default ]; then
		start_scx_slo "$@" --slo /split-web=5ms
	fi
	cg_spawn split-batch stress-ng --cpu "$(nproc)" --cpu-method int64 --timeout 3600s \
		--metrics-brief --yaml /tmp/stress.yaml
	stress=$SPAWNED
	sleep 2
	a=$(cpu_line) ca=$(ctxt) ia=$(irqs) la=0
	[ "$name" = default ] || la=$(cpu_ticks "$SCX_PID")
	[ "$name" = default ] || progs > /tmp/progs.a
	cg_run split-web slo_probe --json -m 4 -w 2 -r 400 -d 10 --calibration "$cal" > /tmp/probe.json ||
		fail "slo_probe failed under $name"
	b=$(cpu_line) cb=$(ctxt) ib=$(irqs) lb=0
	[ "$name" = default ] || lb=$(cpu_ticks "$SCX_PID")
	[ "$name" = default ] || progs > /tmp/progs.b
	kill -TERM "$stress"
	wait "$stress"
	# shellcheck disable=SC2086 # the counters are words
	split=$(echo $a $b | awk '{ n = NF / 2; t = 0; for (i = 2; i <= n; i++) t += $(i + n) - $i
		u = $(2 + n) - $2 + $(3 + n) - $3; s = $(4 + n) - $4; id = $(5 + n) - $5 + $(6 + n) - $6
		printf "user %.1f%% system %.1f%% idle %.1f%%", 100 * u / t, 100 * s / t, 100 * id / t }')
	# shellcheck disable=SC2086
	irq=$(echo $ia $ib | awk '{ printf "function-call %d reschedule %d irq-work %d", $4 - $1, $5 - $2, $6 - $3 }')
	bogo=$(awk '$1 == "bogo-ops-per-second-real-time:" { print $2 }' /tmp/stress.yaml)
	echo "cpu-split $name: $split, context switches $((cb - ca)), interrupts: $irq," \
		"loader ticks $((lb - la)), batch ${bogo:-?} bogo ops/s," \
		"request p99 $(jq .request_us.p99 /tmp/probe.json) us"
	if [ "$name" != default ]; then
		awk -v s="$name" 'NR == FNR { c0[$1] = $2; t0[$1] = $3; next }
			{ c = $2 - c0[$1]; t = $3 - t0[$1]
			  if (c > 0) printf "cpu-split %s: bpf %s calls %d total %.3f s mean %.1f us\n", s, $1, c, t / 1e9, t / c / 1000 }' \
			/tmp/progs.a /tmp/progs.b
		stop_scx_slo > /dev/null
		[ "$SCX_RC" -eq 0 ] || fail "scx_slo exit status $SCX_RC under $name"
	fi
}

round=1
while [ "$round" -le "$CPU_SPLIT_ROUNDS" ]; do
	one default
	one scx_slo
	one single-dsq --single-dsq
	round=$((round + 1))
done
