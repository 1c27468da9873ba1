# Guest script: mean ns per call of scx_slo's hot ops under load, per-LLC
# and --single-dsq, from the kernel's BPF run-time statistics.
#
#   tests/vm/run-vm.sh --preset 2s2l2c bench/vm/bpf-cost.sh
#   tests/vm/run-vm.sh --preset 4s2l8c --file OLD/scx_slo bench/vm/bpf-cost.sh
#
# With --file .../scx_slo, that binary (an older build, say) is measured
# too, per-LLC only, alternating with this build's in the same boot, so
# the two compare.  Under TCG the figures are wall time of emulated code,
# inflated whenever the host deschedules a vCPU: compare them only within
# one boot.  BPF_COST_REPS (2) repetitions of each.
: "${BPF_COST_REPS:=2}"
echo 1 > /proc/sys/kernel/bpf_stats_enabled || fail "cannot enable BPF stats"
n=$(nproc)
arms="build:per-llc build:single-dsq"
[ -x /host/scx_slo ] && arms="build:per-llc host:per-llc build:single-dsq"
rep=1
while [ "$rep" -le "$BPF_COST_REPS" ]; do
	for arm in $arms; do
		bin=${arm%%:*} mode=${arm#*:} args=
		[ "$mode" = single-dsq ] && args=--single-dsq
		# shellcheck disable=SC2086 # word splitting of the options is meant
		if [ "$bin" = host ]; then
			/host/scx_slo $args > /tmp/host-slo.out 2>&1 &
			pid=$!
			wait_state enabled || fail "/host/scx_slo did not attach"
		else
			start_scx_slo $args
		fi
		stress-ng --cpu "$n" --switch "$n" --timeout 10s -q || fail "stress-ng failed"
		bpftool prog show --json > /tmp/progs.json || fail "bpftool failed"
		jq -r --arg arm "$bin $mode" --arg rep "$rep" '.[] | select(.name | test("^slo_(select_cpu|enqueue|dispatch|running|stopping|runnable|tick)$"))
			| "bpf-cost \($arm) rep \($rep) \(.name) calls=\(.run_cnt // 0) mean_ns=\(if (.run_cnt // 0) > 0 then ((.run_time_ns / .run_cnt) | floor) else 0 end)"' \
			/tmp/progs.json
		if [ "$bin" = host ]; then
			kill -INT "$pid"; wait "$pid"
			wait_state disabled || fail "/host/scx_slo did not detach"
		else
			stop_scx_slo > /dev/null
		fi
	done
	rep=$((rep + 1))
done
