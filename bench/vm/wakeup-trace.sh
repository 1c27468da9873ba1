# Guest script: where the latency probe's slow wakeups wait, per-LLC
# against scx_slo --single-dsq, from the kernel's sched_switch and
# sched_wakeup trace events.  Made for the 2-vCPU presets:
#
#   tests/vm/run-vm.sh --preset 1s2l1c --timeout 600 bench/vm/wakeup-trace.sh
#
# Load: stress-ng --cpu 2 in /batch (default budget), slo_probe -r 400 in
# /web (5 ms).  For WAKEUP_TRACE_SECONDS (5) of probe per mode and round,
# WAKEUP_TRACE_ROUNDS (2) rounds, every slo_probe wakeup that waited over
# WAKEUP_TRACE_SLOW_US (1000) until it ran is sorted by where it ran (the
# CPU it was woken on, or the other one), what each CPU ran when it woke
# (probe, batch, idle, other), and whether the other CPU switched tasks
# during the wait; all wakeups are sorted the same way too ("all"), with
# their mean wait.  Then what happens while a request runs: each time a
# probe thread is switched out still runnable, what took its CPU and
# whether it resumed there or on the other CPU; per worker burst (from its
# first run after a wakeup to its next sleep: a request, and what the
# worker does after it until it sleeps, or a second request if one was
# posted before it slept; the message thread is the probe thread that
# wakes others most) the time spent so, and the percentiles of the rest,
# the wall time on a CPU, which is where interrupts and the host's
# descheduling of the vCPU show.  Last, each round's count of local timer
# (LOC), irq_work (IWI, sched_ext's kicks), rescheduling (RES) and
# function call (CAL) interrupts, over both CPUs.  It asserts nothing.
# The analysis runs in the guest, so only the summary crosses the emulated
# serial console.  Four rounds take WAKEUP_TRACE_ROUNDS=4 and --timeout 1100.
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
irq_counts() { # the interrupts LOC, RES, CAL, IWI and TLB, summed over both CPUs
	awk '$1 ~ /^(LOC|RES|CAL|IWI|TLB):$/ { printf "%s %d ", $1, $2 + $3 }' /proc/interrupts
}
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
		# the message thread wakes the workers, 400 times a second; a worker
		# is the waker of record only when a timer interrupt lands on it
		if ($1 ~ /^slo_probe-[0-9]+$/ && substr($1, 11) != pid) woke[substr($1, 11)]++
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
			a = "ran_on=" (cpu == tc ? "target" : "other") " target_was=" tcur[np] " other_was=" ocur[np]
			acnt[a]++; asum[a] += d
			if (d > slow_us) {
				slow++
				k = a " other_switched=" (nsw[oc] - osw[np] > 0 ? "yes" : "no")
				cnt[k]++; sum[k] += d
			}
			delete tw[np]
		}
	}
	# While a request runs: each time a probe thread is switched out still
	# runnable (prev_state R), what took its CPU, and where and when it ran
	# again.  Summed per burst (first run after a wakeup to its next sleep).
	/sched_switch:/ {
		match($0, /prev_comm=[^ ]+/); pc = substr($0, RSTART + 10, RLENGTH - 10)
		if (pc == "slo_probe") {
			match($0, /prev_pid=[0-9]+/); pp = substr($0, RSTART + 9, RLENGTH - 9)
			match($0, /prev_state=[^ ]+/); ps = substr($0, RSTART + 11, RLENGTH - 11)
			if (ps ~ /^R/) {
				out[pp] = t; outcpu[pp] = cpu; by[pp] = cls(nc)
			} else if (pp in inb) {
				# kept per thread: which threads are workers is known at the end
				rec[pp] = rec[pp] sprintf(" %d:%d", (t - bstart[pp]) * 1e6 - inb[pp], inb[pp])
				delete inb[pp]
			}
		}
		if (nc == "slo_probe") {
			if (np in out) {
				d = (t - out[np]) * 1e6
				k = "by=" by[np] " resumed_on=" (cpu == outcpu[np] ? "same" : "other")
				pcnt[np " " k]++; psum[np " " k] += d; if (d > pmax[np " " k]) pmax[np " " k] = d
				inb[np] += d
				delete out[np]
			} else if (!(np in inb)) {
				inb[np] = 0; bstart[np] = t
			}
		}
	}
	END {
		printf "trace %s: %d wakeups of the probe, %d waited over %d us\n", mode, n, slow, slow_us
		for (k in cnt) printf "trace %s: %5d  avg %6.0f us  %s\n", mode, cnt[k], sum[k] / cnt[k], k
		for (k in acnt) printf "trace %s: all %5d  avg %6.0f us  %s\n", mode, acnt[k], asum[k] / acnt[k], k
		# bursts of the workers are the requests, those of the message thread not
		most = 0; for (pid in woke) if (woke[pid] > most) { most = woke[pid]; msg = pid }
		for (pid in rec) {
			if (pid == msg) continue
			nr = split(rec[pid], r, " ")
			for (i = 1; i <= nr; i++) {
				split(r[i], f, ":"); oncpu = f[1] + 0; off = f[2] + 0
				nbursts++
				if (off > 0) { nb++; bsum += off; nb500 += off > 500; nb1000 += off > 1000 }
				# percentiles from 10 us buckets: busybox awk has no sort
				if (oncpu > 0) { nw++; b = int(oncpu / 10); hb[b]++; if (b > maxb) maxb = b }
			}
		}
		printf "trace %s: %d worker bursts, %d preempted (%d over 500 us off-CPU, %d over 1000 us), %.0f us off-CPU in all\n", mode, nbursts, nb, nb500, nb1000, bsum
		c = 0; p50 = p90 = p99 = -1
		for (b = 0; b <= maxb; b++) { c += hb[b]; if (p50 < 0 && c >= nw * 0.5) p50 = b * 10; if (p90 < 0 && c >= nw * 0.9) p90 = b * 10; if (p99 < 0 && c >= nw * 0.99) p99 = b * 10 }
		printf "trace %s: wall time on a CPU per worker burst (less the time off-CPU), %d bursts: p50 %d p90 %d p99 %d us\n", mode, nw, p50, p90, p99
		for (pk in pcnt) {
			split(pk, f, " "); k = substr(pk, length(f[1]) + 2) (f[1] == msg ? " (message thread)" : " (worker)")
			qcnt[k] += pcnt[pk]; qsum[k] += psum[pk]; if (pmax[pk] > qmax[k]) qmax[k] = pmax[pk]
		}
		for (k in qcnt) printf "trace %s: preempted %5d  avg %6.0f us  max %6.0f us  %s\n", mode, qcnt[k], qsum[k] / qcnt[k], qmax[k], k
	}' "$TR/trace"
}
trace_round() { # MODE ROUND
	if [ "$1" = single ]; then start_scx_slo --single-dsq --slo /web=5ms; else start_scx_slo --slo /web=5ms; fi
	cg_spawn batch stress-ng --cpu 2 --cpu-method int64 --timeout 3600s
	stress_pid=$SPAWNED
	sleep 2
	echo > $TR/trace
	irq0=$(irq_counts)
	echo 1 > $TR/tracing_on
	cg_run web slo_probe --json -d "$WAKEUP_TRACE_SECONDS" --calibration "$cal" -r 400 \
		> /tmp/probe.json 2> /tmp/probe.err || fail "slo_probe failed: $(tail -n 3 /tmp/probe.err)"
	echo 0 > $TR/tracing_on
	irq1=$(irq_counts)
	kill -TERM "$stress_pid"
	wait "$stress_pid"
	stop_scx_slo > /dev/null
	[ "$SCX_RC" -eq 0 ] || fail "scx_slo exit status $SCX_RC ($1)"
	log "$1 round $2: probe wakeup p99 $(jq .wakeup_us.p99 /tmp/probe.json) us, request p99 $(jq .request_us.p99 /tmp/probe.json) us; $(wc -l < $TR/trace) trace lines"
	log "$1 round $2: interrupts on both CPUs in ${WAKEUP_TRACE_SECONDS} s: $(echo "$irq0 $irq1" |
		awk '{ n = NF / 2; for (i = 1; i <= n; i += 2) printf "%s %d  ", $i, $(i + n + 1) - $(i + 1) }')"
	analyze "$1.$2" || fail "the trace analysis of $1 round $2 failed"
}
round=1
while [ "$round" -le "$WAKEUP_TRACE_ROUNDS" ]; do
	trace_round llc "$round"
	trace_round single "$round"
	round=$((round + 1))
done
