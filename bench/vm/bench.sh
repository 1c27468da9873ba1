# bench/vm/bench.sh: the measuring half of bench/run.sh, one boot (or one
# host session).  Not run by hand: bench/run.sh prepends the BENCH_*
# settings below and runs it through tests/vm/run-vm.sh (which sources
# tests/vm/guest/lib.sh first), or on a sched_ext host through
# bench/host.sh.  POSIX/busybox sh.
#
# Per repetition it runs, in an order rotated by one each repetition:
#   idle        the latency workload alone (no stress): the idle floor
#   fifo        the wakeup-only probe (--work-us 0) at SCHED_FIFO 50 under
#               saturation: the floor of any fair-class scheduler
#   default     the kernel's own scheduler under saturation
#   scx_slo     scx_slo --slo /WEB=BUDGET under saturation
#   single_dsq  the same with --single-dsq
#   NAME        each name in BENCH_PEERS: another sched_ext scheduler, the
#               command line BENCH_PEER_<NAME>; when BENCH_PEER_OPS_<NAME>
#               is set, it must attach under that ops name
# With BENCH_HACKBENCH (hackbench's arguments), each scheduler's run ends,
# once the load is gone, with hackbench (rt-tests) alone: pipe and socket
# ping-pong among many tasks, every one in the default budget, timed (the
# messaging cost of the scheduler itself: wakeups, placement, kicks).
# "Saturation" is stress-ng --cpu $(nproc) in cgroup BATCH (default
# budget), started BENCH_STRESS_WARMUP seconds before the workload and
# stopped (SIGTERM: it still reports its metrics) right after it.  One
# fixed --cpu-method (int64): the default, "all", cycles through methods
# whose bogo ops differ a hundredfold, so short runs would not compare.
#
# Output: "bench: ..." progress lines, one "BENCH-INFO {json}" line, and
# one "BENCH-RESULT {json}" line per run that produced a result.  A run that
# fails prints "bench: ERROR ..." and no result line; bench/run.sh counts.

: "${BENCH_PRESET:=host}" "${BENCH_REPS:=1}" "${BENCH_DURATION:=10}"
: "${BENCH_MIN_SAMPLES:=5000}" "${BENCH_BUDGET:=5ms}" "${BENCH_STRESS_WARMUP:=2}"
: "${BENCH_PROBE_ARGS:=}" "${BENCH_CYCLICTEST:=0}" "${BENCH_SCHBENCH:=}"
: "${BENCH_PEERS:=}" "${BENCH_TMP:=/tmp}" "${BENCH_CG_PREFIX:=scx-bench}"
: "${BENCH_STRESSORS:=$(nproc)}" "${BENCH_STRESS_METHOD:=int64}" "${BENCH_HACKBENCH:=}"

# bench/run.sh adds the peers and schbench to the VM in /usr/local/bin
PATH=/usr/local/bin:$PATH
WEB=$BENCH_CG_PREFIX-web
BATCH=$BENCH_CG_PREFIX-batch
T=$BENCH_TMP
cg_create "$WEB"
cg_create "$BATCH"
# without the cpu controller no cgroup weight reaches sched_ext, and the
# cgroup-aware schedulers (scx_slo's weights, scx_flatcg) see one flat group
grep -qw cpu "$CG/cgroup.subtree_control" ||
	echo "bench: [$BENCH_PRESET] WARNING: the cpu controller is not enabled in $CG"

say() { echo "bench: [$BENCH_PRESET] $*"; }

# ---- calibration: once per boot, idle, so every run does the same work ----
slo_probe --json -d 0.001 --warmup 0 > "$T/cal.json" || fail "slo_probe calibration failed"
CAL=$(jq -r .config.iters_per_us "$T/cal.json")
say "kernel $(uname -r), $(nproc) CPUs, calibration $CAL iterations/us"

llcs=$(cat /sys/devices/system/cpu/cpu*/cache/index3/shared_cpu_list 2>/dev/null | sort -u | wc -l)
jq -cn --arg preset "$BENCH_PRESET" --arg kernel "$(uname -r)" --argjson nproc "$(nproc)" \
	--argjson llcs "${llcs:-0}" --argjson cal "$(jq -c .config "$T/cal.json")" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg probe_args "$BENCH_PROBE_ARGS" \
	--arg budget "$BENCH_BUDGET" --arg web "/$WEB" --arg batch "/$BATCH" \
	--argjson stressors "$BENCH_STRESSORS" --arg method "$BENCH_STRESS_METHOD" --argjson duration "$BENCH_DURATION" \
	--argjson min_samples "$BENCH_MIN_SAMPLES" --argjson reps "$BENCH_REPS" \
	'{preset: $preset, kernel: $kernel, nproc: $nproc, llcs: $llcs, date: $date,
	  reps: $reps, budget: $budget, web_cgroup: $web, batch_cgroup: $batch,
	  stress: "stress-ng --cpu \($stressors) --cpu-method \($method)", probe_args: $probe_args,
	  duration_s: $duration, min_samples: $min_samples,
	  calibration: ({iters_per_us: $cal.iters_per_us} + $cal.calibration)}' |
	sed 's/^/BENCH-INFO /'

# ---- one scheduler at a time ----
is_peer() { case " $BENCH_PEERS " in *" $1 "*) return 0 ;; esac; return 1; }
peer_cmd() { eval "echo \"\${BENCH_PEER_$1:-}\""; }
SCHED_KIND=		# "" (kernel default), scx_slo, peer
sched_start() { # NAME
	SCHED_KIND=
	case $1 in
	scx_slo) start_scx_slo --slo "/$WEB=$BENCH_BUDGET"; SCHED_KIND=scx_slo ;;
	single_dsq) start_scx_slo --single-dsq --slo "/$WEB=$BENCH_BUDGET"; SCHED_KIND=scx_slo ;;
	*)
		is_peer "$1" || return 0
		_cmd=$(peer_cmd "$1")
		eval "_ops=\${BENCH_PEER_OPS_$1:-}"
		# shellcheck disable=SC2086 # the peer command line is split on purpose
		$_cmd > "$T/peer.out" 2>&1 &
		PEER_PID=$!
		wait_state enabled 300 || { say "ERROR: $1 ('$_cmd') did not enable sched_ext"; tail -n 20 "$T/peer.out"; kill -KILL "$PEER_PID" 2>/dev/null; wait "$PEER_PID"; return 1; }
		SCHED_KIND=peer
		# a result under this name must come from this scheduler
		if [ -n "$_ops" ] && [ "$(sched_ops)" != "$_ops" ]; then
			say "ERROR: $1 ('$_cmd') attached as '$(sched_ops)', not '$_ops'"
			sched_stop
			return 1
		fi
		say "$1 attached: ops '$(sched_ops)'" ;;
	esac
	return 0
}
SCHED_RC=null
sched_stop() {
	SCHED_RC=null
	case $SCHED_KIND in
	scx_slo) stop_scx_slo; SCHED_RC=$SCX_RC ;;
	peer)
		# SIGTERM (a background job of a script ignores SIGINT), then
		# SIGKILL after 20 s: closing its BPF link detaches it either way
		kill -TERM "$PEER_PID" 2>/dev/null
		_n=200
		while kill -0 "$PEER_PID" 2>/dev/null && [ "$_n" -gt 0 ]; do usleep 100000; _n=$((_n - 1)); done
		kill -0 "$PEER_PID" 2>/dev/null && { say "ERROR: the peer ignored SIGTERM: SIGKILL"; kill -KILL "$PEER_PID"; }
		wait "$PEER_PID"; SCHED_RC=$?
		wait_state disabled 300 || say "ERROR: sched_ext still '$(sched_state)' after stopping the peer" ;;
	esac
}

# scx_slo's final per-cgroup table (stop_scx_slo leaves its stdout in $OUT;
# a peer that is another scx_slo build, in its output) as a JSON array:
# CGROUP BUDGET RUNS MISSES MISS% AVG_DELAY AVG_LATE
miss_json() { # FILE
	awk '/^=== scx_slo final stats ===/ { final = 1; next }
		final && $1 == "CGROUP" { table = 1; next }
		final && table && NF >= 7 && $3 ~ /^[0-9]+$/ && $4 ~ /^[0-9]+$/ {
			sub(/ms$/, "", $6); sub(/ms$/, "", $7)
			if ($6 !~ /^[0-9.]+$/) $6 = "null"
			if ($7 !~ /^[0-9.]+$/) $7 = "null"
			printf "{\"cgroup\":\"%s\",\"budget\":\"%s\",\"runs\":%s,\"misses\":%s,\"avg_delay_ms\":%s,\"avg_late_ms\":%s}\n",
				$1, $2, $3, $4, $6, $7 }' "$1" |
		jq -cs 'map(. + {miss_ratio: (if .runs > 0 then .misses / .runs else null end)})'
}

# stress-ng --yaml metrics for the cpu stressor
stress_json() { # FILE
	# a field stress-ng did not write, or wrote as nan/inf, is null
	awk 'function num(v) { return v ~ /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ ? v : "null" }
		$1 == "bogo-ops:" { ops = $2 }
		$1 == "bogo-ops-per-second-real-time:" { rate = $2 }
		$1 == "wall-clock-time:" { secs = $2 }
		END { if (num(ops) != "null") printf "{\"stressor\":\"cpu\",\"method\":\"%s\",\"instances\":%d,\"bogo_ops\":%s,\"seconds\":%s,\"bogo_ops_per_s\":%s}\n", m, n, ops, num(secs), num(rate); else print "null" }' \
		m="$BENCH_STRESS_METHOD" n="$BENCH_STRESSORS" "$1"
}

# cyclictest --policy=other (no -p: that would make it SCHED_FIFO); its
# histogram (1 us buckets up to 100 ms) gives the percentiles.
cyclictest_run() {
	rm -f "$T/ct.hist"
	cg_run "$WEB" cyclictest --policy=other -t 1 -i 1000 -D "$BENCH_DURATION" -q \
		-h 100000 --histfile="$T/ct.hist" > /dev/null 2>&1 || rm -f "$T/ct.hist"
}
# ... read once the load is gone (100,000 lines are slow to read under TCG)
cyclictest_json() {
	[ -s "$T/ct.hist" ] || { echo null; return; }
	# busybox awk reads "000051" as octal: strip the zeros first
	awk 'function num(s) { sub(/^0+/, "", s); return s + 0 }
		/^#/ { if ($2 == "Histogram" && $3 == "Overflows:") over = num($4)
			if ($2 == "Max" && $3 == "Latencies:") max = num($4)
			if ($2 == "Avg" && $3 == "Latencies:") avg = num($4)
			next }
		NF == 2 && $2 !~ /^0+$/ { n++; v[n] = num($1); c[n] = num($2); tot += c[n] }
		END {
			all = tot + over
			split("50 90 99 99.9", q, " ")
			printf "{\"policy\":\"other\",\"samples\":%d,\"overflows\":%d,\"max\":%d,\"mean\":%d", all, over, max, avg
			for (k = 1; k <= 4; k++) {
				need = all * q[k] / 100; cum = 0; val = "null"
				for (i = 1; i <= n; i++) { cum += c[i]; if (cum >= need && cum > 0) { val = v[i]; break } }
				name = q[k]; sub(/\./, "", name)
				printf ",\"p%s\":%s", name, val
			}
			print "}" }' "$T/ct.hist"
}

# schbench (when present): its own wakeup and request percentiles
schbench_json() {
	cg_run "$WEB" "$BENCH_SCHBENCH" -m 1 -t "$(nproc)" -r "$BENCH_DURATION" -R 50 -F 64 -n 2 \
		> "$T/schbench.out" 2>&1 || { echo null; return; }
	awk 'function flush() { if (sec != "") printf "%s\"%s\":{%s}", (nsec++ ? "," : ""), sec, body; sec = ""; body = "" }
		/Wakeup Latencies percentiles/ { flush(); sec = "wakeup_us"; body = ""; next }
		/Request Latencies percentiles/ { flush(); sec = "request_us"; body = ""; next }
		/percentiles/ { flush(); next }
		/average rps:/ { flush(); rps = $3; next }
		sec != "" && /th:/ {
			for (i = 1; i <= NF; i++) if ($i ~ /th:$/) {
				p = $i; sub(/^\*/, "", p); sub(/th:$/, "", p)
				key = ""
				if (p == "50.0") key = "p50"; else if (p == "90.0") key = "p90"
				else if (p == "99.0") key = "p99"; else if (p == "99.9") key = "p999"
				if (key != "") body = body (body == "" ? "" : ",") "\"" key "\":" $(i + 1)
			} }
		END { flush(); printf "%s\"average_rps\":%s", (nsec ? "," : ""), (rps == "" ? "null" : rps) }' \
		"$T/schbench.out" | sed 's/^/{/; s/$/}/' | jq -c '.' 2>/dev/null || echo null
}

# hackbench alone, in the script's (root) cgroup: its "Time:" in seconds
hackbench_json() {
	# shellcheck disable=SC2086 # the arguments are a list
	hackbench $BENCH_HACKBENCH > "$T/hackbench.out" 2>&1 ||
		{ say "ERROR: hackbench failed: $(tail -n 2 "$T/hackbench.out")"; echo null; return; }
	awk -v a="$BENCH_HACKBENCH" '$1 == "Time:" { t = $2 }
		END { if (t != "") printf "{\"args\":\"%s\",\"seconds\":%s}\n", a, t; else print "null" }' \
		"$T/hackbench.out"
}

# VALUE if it is one JSON value, else null and an error line naming PART
json_part() { # PART VALUE
	if [ -n "$2" ] && printf '%s' "$2" | jq -e -s 'length == 1' > /dev/null 2>&1; then
		printf '%s\n' "$2"
	else
		say "ERROR: $name: the $1 part is not JSON, recorded as null: $(printf '%s' "$2" | head -c 200)" >&2
		echo null
	fi
}

run_one() { # REP POS NAME
	rep=$1 pos=$2 name=$3
	say "rep $rep/$BENCH_REPS run $pos: $name"
	rm -f "$T/probe.json" "$T/stress.yaml" "$OUT"
	stress_pid='' work_args='' sched_args=''
	case $name in
	fifo) work_args="--work-us 0 --fifo 50" ;;
	scx_slo) sched_args="scx_slo --slo /$WEB=$BENCH_BUDGET" ;;
	single_dsq) sched_args="scx_slo --single-dsq --slo /$WEB=$BENCH_BUDGET" ;;
	*) is_peer "$name" && sched_args=$(peer_cmd "$name") ;;
	esac
	sched_start "$name" || return 0
	ops=$(sched_ops)
	if [ "$name" != idle ]; then
		cg_spawn "$BATCH" stress-ng --cpu "$BENCH_STRESSORS" \
			--cpu-method "$BENCH_STRESS_METHOD" --timeout 3600s \
			--metrics-brief --yaml "$T/stress.yaml"
		stress_pid=$SPAWNED
		sleep "$BENCH_STRESS_WARMUP"
	fi
	t0=$(date +%s)
	# shellcheck disable=SC2086 # probe and work arguments are lists
	cg_run "$WEB" slo_probe --json -d "$BENCH_DURATION" -s "$BENCH_MIN_SAMPLES" \
		--calibration "$CAL" $BENCH_PROBE_ARGS $work_args > "$T/probe.json" 2> "$T/probe.err" ||
		{ say "ERROR: slo_probe failed in $name: $(tail -n 3 "$T/probe.err")"; rm -f "$T/probe.json"; }
	ct=null sb=null ct_ran=
	if [ "$name" != fifo ] && [ -s "$T/probe.json" ]; then
		[ "$BENCH_CYCLICTEST" = 1 ] && { cyclictest_run; ct_ran=1; }
		[ -n "$BENCH_SCHBENCH" ] && sb=$(schbench_json)
	fi
	thr=null
	if [ -n "$stress_pid" ]; then
		kill -TERM "$stress_pid" 2>/dev/null
		wait "$stress_pid"
		thr=$(stress_json "$T/stress.yaml")
	fi
	[ -n "$ct_ran" ] && ct=$(cyclictest_json)
	hb=null
	if [ -n "$BENCH_HACKBENCH" ] && [ "$name" != idle ] && [ "$name" != fifo ]; then
		hb=$(hackbench_json)
		[ "$hb" = null ] || say "  $name: hackbench $BENCH_HACKBENCH: $(echo "$hb" | jq .seconds) s"
	fi
	sched_stop
	miss=null stats_out=
	[ "$SCHED_KIND" = scx_slo ] && stats_out=$OUT
	# another scx_slo build as a peer (an A/B): its misses count as scx_slo's do
	[ "$SCHED_KIND" = peer ] && grep -q '^=== scx_slo final stats ===' "$T/peer.out" &&
		stats_out=$T/peer.out
	if [ -n "$stats_out" ]; then
		miss=$(miss_json "$stats_out")
		sed -n '/^=== scx_slo final stats ===/,$p' "$stats_out"
	elif [ "$SCHED_KIND" = peer ]; then
		# its own last report (scx_flatcg's counts the cgroups it saw)
		echo "=== $name output, last lines ==="
		tail -n 8 "$T/peer.out"
	fi
	[ -s "$T/probe.json" ] || return 0
	# each part must be one JSON value: a part that is not (a truncated
	# stress-ng report, a "nan" rate) becomes null and says so, rather
	# than losing the whole run
	thr=$(json_part throughput "$thr") miss=$(json_part misses "$miss")
	ct=$(json_part cyclictest "${ct:-null}") sb=$(json_part schbench "${sb:-null}")
	hb=$(json_part messaging "$hb") SCHED_RC=$(json_part sched_exit "$SCHED_RC")
	jq -c --arg preset "$BENCH_PRESET" --argjson rep "$rep" --argjson pos "$pos" \
		--arg name "$name" --arg ops "$ops" --arg sched_args "$sched_args" \
		--argjson thr "$thr" --argjson miss "$miss" --argjson ct "${ct:-null}" \
		--argjson sb "${sb:-null}" --argjson hb "$hb" --argjson rc "$SCHED_RC" \
		--argjson wall "$(( $(date +%s) - t0 ))" \
		'{preset: $preset, rep: $rep, pos: $pos, sched: $name,
		  kind: (if ($name == "idle" or $name == "fifo") then "floor" else "scheduler" end),
		  ops: (if $ops == "" then null else $ops end),
		  command: (if $sched_args == "" then null else $sched_args end),
		  sched_exit: $rc, wall_s: $wall,
		  probe: {work_us: .config.work_us, fifo: .config.fifo, message_threads: .config.message_threads,
		          workers: .config.workers, rate: .config.rate,
		          wakeup_us: .wakeup_us, request_us: .request_us,
		          requests_per_sec: .requests_per_sec, measured_s: .measured_s,
		          posted: .posted, skipped: .skipped, min_samples_met: .min_samples_met},
		  throughput: $thr, misses: $miss, cyclictest: $ct, schbench: $sb, messaging: $hb}' "$T/probe.json" \
		> "$T/result.json" 2> "$T/jq.err" ||
		{ say "ERROR: cannot assemble the result of $name: $(head -c 300 "$T/jq.err"); the probe wrote: $(head -c 300 "$T/probe.json")"; return 0; }
	echo "BENCH-RESULT $(cat "$T/result.json")"
	say "  $name: request p99 $(jq .probe.request_us.p99 "$T/result.json") us, wakeup p99 $(jq .probe.wakeup_us.p99 "$T/result.json") us, $(jq .probe.request_us.samples "$T/result.json") samples, $(jq -r '.throughput.bogo_ops_per_s // "-"' "$T/result.json") bogo ops/s"
}

# shellcheck disable=SC2086 # a list of names
set -- idle fifo default scx_slo single_dsq $BENCH_PEERS
n=$#
rep=1
while [ "$rep" -le "$BENCH_REPS" ]; do
	# rotate the order by one each repetition
	i=0
	while [ "$i" -lt "$n" ]; do
		k=$(( (i + rep - 1) % n + 1 ))
		eval "name=\${$k}"
		run_one "$rep" "$((i + 1))" "$name"
		i=$((i + 1))
	done
	rep=$((rep + 1))
done
say "done"
