# Guest script (tests/vm/run-vm.sh --preset 2s2l2c bench/vm/bpf-cost.sh):
# mean ns per call of scx_slo's hot ops under load, per-LLC and
# --single-dsq, from the kernel's BPF run-time statistics.
echo 1 > /proc/sys/kernel/bpf_stats_enabled || fail "cannot enable BPF stats"
n=$(nproc)
for mode in per-llc single-dsq; do
	args=
	[ "$mode" = single-dsq ] && args=--single-dsq
	start_scx_slo $args
	stress-ng --cpu "$n" --switch "$n" --timeout 10s -q || fail "stress-ng failed"
	bpftool prog show --json > /tmp/progs.json || fail "bpftool failed"
	jq -r --arg mode "$mode" '.[] | select(.name | test("^slo_(select_cpu|enqueue|dispatch|running|stopping|runnable)$"))
		| "bpf-cost \($mode) \(.name) calls=\(.run_cnt // 0) mean_ns=\(if (.run_cnt // 0) > 0 then ((.run_time_ns / .run_cnt) | floor) else 0 end)"' \
		/tmp/progs.json
	stop_scx_slo > /dev/null
done
