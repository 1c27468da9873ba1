# Guest script: mean ns per call of scx_slo's hot ops under load, per-LLC
# and --single-dsq, from the kernel's BPF run-time statistics.
#
#   tests/vm/run-vm.sh --preset 2s2l2c bench/vm/bpf-cost.sh
#   tests/vm/run-vm.sh --preset 4s2l8c --file OLD/scx_slo bench/vm/bpf-cost.sh
#   tests/vm/run-vm.sh --preset 4s2l8c --file PEERS/scx_simple bench/vm/bpf-cost.sh
#
# With --file .../scx_slo, that binary (an older build, say) is measured
# too, in both modes, alternating with this build's in the same boot, so
# the two compare.  With --file .../scx_simple (tests/setup.sh builds it
# into $SCX_SLO_CACHE/peers/), the kernel's own example scheduler is
# measured as a control: its callbacks do the same work on any machine
# (one shared queue, no scans), so however much its cost grows from a
# small preset to a big one is what the emulator adds, not the program.
# Under TCG the figures are wall time of emulated code, inflated whenever
# the host deschedules a vCPU, above all one holding a lock others spin
# on: compare them only within one boot.  BPF_COST_REPS (2) repetitions
# of each; BPF_COST_LOAD (all CPUs) CPU hogs and as many context-switch
# pairs, so that a big preset can also be run with a small preset's load.
: "${BPF_COST_REPS:=2}"
echo 1 > /proc/sys/kernel/bpf_stats_enabled || fail "cannot enable BPF stats"
n=${BPF_COST_LOAD:-$(nproc)}
arms="build:per-llc build:single-dsq"
[ -x /host/scx_slo ] && arms="build:per-llc host:per-llc build:single-dsq host:single-dsq"
[ -x /host/scx_simple ] && arms="$arms simple:global"
echo "bpf-cost: $(nproc) CPUs, load $n, arms: $arms"
rep=1
while [ "$rep" -le "$BPF_COST_REPS" ]; do
	for arm in $arms; do
		bin=${arm%%:*} mode=${arm#*:} args=
		[ "$mode" = single-dsq ] && args=--single-dsq
		case $bin in
		host|simple)
			exe=/host/scx_slo
			[ "$bin" = simple ] && exe=/host/scx_simple
			# shellcheck disable=SC2086 # word splitting of the options is meant
			$exe $args > "/tmp/$bin.out" 2>&1 &
			pid=$!
			wait_state enabled || fail "$exe did not attach"
			;;
		*)
			# shellcheck disable=SC2086 # word splitting of the options is meant
			start_scx_slo $args
			;;
		esac
		stress-ng --cpu "$n" --switch "$n" --timeout 10s -q || fail "stress-ng failed"
		bpftool prog show --json > /tmp/progs.json || fail "bpftool failed"
		jq -r --arg arm "$bin $mode" --arg rep "$rep" '.[] | select(.name | test("^(slo|simple)_(select_cpu|enqueue|dispatch|running|stopping|runnable|tick)$"))
			| "bpf-cost \($arm) rep \($rep) \(.name) calls=\(.run_cnt // 0) mean_ns=\(if (.run_cnt // 0) > 0 then ((.run_time_ns / .run_cnt) | floor) else 0 end)"' \
			/tmp/progs.json
		case $bin in
		host|simple)
			kill -INT "$pid"; wait "$pid"
			wait_state disabled || fail "$exe did not detach"
			;;
		*)
			stop_scx_slo > /dev/null
			;;
		esac
		# what an enqueue did beyond queueing: kicks, from the final stats
		out=$OUT
		[ "$bin" = host ] && out=/tmp/host.out
		[ "$bin" = simple ] || awk -v arm="$bin $mode" -v rep="$rep" '
			/^=== scx_slo final stats ===/ { final = 1; next }
			final && /^DOMAIN/ { table = 1; next }
			final && /^CGROUP/ { table = 0 }
			final && table { enq += $2; preempt += $8; idle += $9 }
			END { printf "bpf-cost %s rep %s kicks: enqueued %d preempt %d idle %d\n", arm, rep, enq, preempt, idle }' "$out"
	done
	rep=$((rep + 1))
done
