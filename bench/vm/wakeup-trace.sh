# Guest script: where the latency probe's slow wakeups wait, per-LLC
# against scx_slo --single-dsq, from the kernel's sched_switch and
# sched_wakeup trace events.  Made for the 2-vCPU presets:
#
#   tests/vm/run-vm.sh --preset 1s2l1c --timeout 400 bench/vm/wakeup-trace.sh
#
# Load: stress-ng --cpu 2 in /batch (default budget), slo_probe -r 400 in
# /web (5 ms).  For WAKEUP_TRACE_SECONDS (5) of probe per mode and round,
# WAKEUP_TRACE_ROUNDS (2) rounds, every slo_probe wakeup that waited over
# WAKEUP_TRACE_SLOW_US (1000) until it ran is sorted by where it ran (the
# CPU it was woken on, or the other one), what each CPU ran when it woke
# (probe, batch, idle, other), and whether the other CPU switched tasks
# during the wait.  It asserts nothing.  The analysis runs in the guest, so
# only the summary crosses the emulated serial console.
: "${WAKEUP_TRACE_SECONDS:=5}" "${WAKEUP_TRACE_ROUNDS:=2}" "${WAKEUP_TRACE_SLOW_US:=1000}"
[ "$(nproc)" -eq 2 ] || fail "wakeup-trace sorts waits by the other CPU: it needs a 2-vCPU preset"
cg_create web
cg_create batch
slo_probe --json -d 0.001 --warmup 0 > /tmp/cal.json || fail "calibration"
cal=$(jq .config.iters_per_us /tmp/cal.json)
TR=/sys/kernel/tracing
[ -d $TR/events/sched ] || mount -t tracefs tracefs $TR
echo 8192 > $TR/buffer_size_kb
echo 'sched:sched_switch sched:sched_wakeup' > $TR/set_event
analyze() {
	awk -v mode="$1" -v slow_us="$WAKEUP_TRACE_SLOW_US" '
	function cls(c) { return c == "slo_probe" ? "probe" : (c ~ /^stress-ng/ ? "batch" : (c == "swapper/0" || c == "swapper/1" || c == "<idle>" ? "idle" : "other")) }
	{
		if (!match($0, /\[[0-9]+\]/)) next
		cpu = substr($0, RSTART + 1, RLENGTH - 2) + 0
		rest = substr($0, RSTART + RLENGTH)
		if (!match(rest, /[0-9]+\.[0-9]+: /)) next
		t = substr(rest, RSTART, RLENGTH - 2) + 0
	}
	/sched_wakeup:/ {
		match($0, /comm=[^ ]+/); comm = substr($0, RSTART + 5, RLENGTH - 5)
		if (comm != "slo_probe") next
		match($0, / pid=[0-9]+/); pid = substr($0, RSTART + 5, RLENGTH - 5)
		match($0, /target_cpu=[0-9]+/); tc = substr($0, RSTART + 11, RLENGTH - 11) + 0
		if (pid in tw) next
		tw[pid] = t; ttc[pid] = tc; oc = 1 - tc
		tcur[pid] = cls(cur[tc]); ocur[pid] = cls(cur[oc]); osw[pid] = nsw[oc]
		next
	}
	/sched_switch:/ {
		match($0, /next_comm=[^ ]+/); nc = substr($0, RSTART + 10, RLENGTH - 10)
		match($0, /next_pid=[0-9]+/); np = substr($0, RSTART + 9, RLENGTH - 9)
		cur[cpu] = nc; nsw[cpu]++
		if (np in tw) {
			d = (t - tw[np]) * 1e6; n++
			tc = ttc[np]; oc = 1 - tc
			if (d > slow_us) {
				slow++
				k = "ran_on=" (cpu == tc ? "target" : "other") " target_was=" tcur[np] " other_was=" ocur[np] " other_switched=" (nsw[oc] - osw[np] > 0 ? "yes" : "no")
				cnt[k]++; sum[k] += d
			}
			delete tw[np]
		}
	}
	END {
		printf "trace %s: %d wakeups of the probe, %d waited over %d us\n", mode, n, slow, slow_us
		for (k in cnt) printf "trace %s: %5d  avg %6.0f us  %s\n", mode, cnt[k], sum[k] / cnt[k], k
	}' "$TR/trace"
}
trace_round() { # MODE ROUND
	if [ "$1" = single ]; then start_scx_slo --single-dsq --slo /web=5ms; else start_scx_slo --slo /web=5ms; fi
	cg_spawn batch stress-ng --cpu 2 --cpu-method int64 --timeout 3600s
	stress_pid=$SPAWNED
	sleep 2
	echo > $TR/trace
	echo 1 > $TR/tracing_on
	cg_run web slo_probe --json -d "$WAKEUP_TRACE_SECONDS" --calibration "$cal" -r 400 \
		> /tmp/probe.json 2> /tmp/probe.err || fail "slo_probe failed: $(tail -n 3 /tmp/probe.err)"
	echo 0 > $TR/tracing_on
	kill -TERM "$stress_pid"
	wait "$stress_pid"
	stop_scx_slo > /dev/null
	[ "$SCX_RC" -eq 0 ] || fail "scx_slo exit status $SCX_RC ($1)"
	log "$1 round $2: probe wakeup p99 $(jq .wakeup_us.p99 /tmp/probe.json) us, request p99 $(jq .request_us.p99 /tmp/probe.json) us; $(wc -l < $TR/trace) trace lines"
	analyze "$1.$2"
}
round=1
while [ "$round" -le "$WAKEUP_TRACE_ROUNDS" ]; do
	trace_round llc "$round"
	trace_round single "$round"
	round=$((round + 1))
done
