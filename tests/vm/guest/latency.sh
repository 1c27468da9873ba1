# Latency (DESIGN rules 1 and 3), in the 2-vCPU preset.  A request workload
# (slo_probe: 400 requests/s, each wakeup does ~1 ms of CPU; latency from
# wakeup to the end of that work) runs in a cgroup with a 5 ms budget while
# stress-ng saturates every CPU from a default-budget cgroup.
#
# In this one boot: the workload alone (the floor), then ROUNDS rounds of
# the kernel's default scheduler, scx_slo, and scx_slo with /web left at
# the default budget ("nobudget": the same scheduler, the budget taken
# away), the order rotated each round; with LATENCY_SINGLE=1 or
# LATENCY_SINGLE_MARGIN set, scx_slo --single-dsq too.
#
# The gates are loose on purpose; the ratios, medians and per-round
# numbers are logged, and bench/ is where ratios are tracked.  The
# emulated vCPUs stall (this VM's two vCPU threads share two host CPUs
# with QEMU and the host, and a vCPU can miss a kick for 5 ms or more);
# how often varies from round to round, and it only ever adds latency, so
# any one statistic swings from boot to boot.  Each scheduler is scored by
# its best round (the one the host disturbed least) and, for the budget,
# by the share of all its rounds' requests that took longer than /web's
# 5 ms (thousands of requests, not one quantile of one round).
#
# Rule 1, the budget buys latency: against nobudget, /web's best-round
# wakeup p99 must be below LATENCY_WAKE_MARGIN x nobudget's, and its share
# over the budget below LATENCY_BUDGET_MARGIN x nobudget's.  Against the
# default scheduler: the share over the budget below LATENCY_BUDGET_MARGIN
# x the default's, the best-round request p99 below LATENCY_MARGIN x the
# default's.  All four margins are 1: scx_slo must simply do better.
#
# Measured on 7.3.4 (2026-12-05), scx_slo's ratios were: share over the
# budget 0.05-0.75 of the default's (6 boots), 0.11-0.39 of nobudget's (3
# boots); best wakeup p99 0.38-0.67 of nobudget's; best request p99
# 0.32-0.87 of the default's (7 boots).  Each swings on one round: the
# 0.75 came from a round in which all of stress-ng sat on CPU 0 with the
# probe, the 0.87 from the default scheduler's one lucky round (a p99 gate
# at 0.8 failed that CI run).  The default scheduler alone is no control
# for rule 1: scx_slo without the budget beat it too in one boot (1.5%
# over the budget against 3.7%, best p99 0.87x).  nobudget's probe also
# falls behind its 400 requests/s (1,500-2,370 of 2,400 requests sent),
# so its latencies are, if anything, flattered.
budget_margin=${LATENCY_BUDGET_MARGIN:-1.0}
wake_margin=${LATENCY_WAKE_MARGIN:-1.0}
margin=${LATENCY_MARGIN:-1.0}
# per-LLC's best round at most LATENCY_SINGLE_MARGIN x --single-dsq's,
# only when asked for.  On this preset each node is one CPU, and rule 4
# never queues a waking task on a busy CPU of another node, where one
# global queue preempts the other node's batch task at once: per-LLC's
# tail is the wait for its own CPU, within the budget (bench/ medians
# 1.19x and 1.42x --single-dsq's request p99, with fewer misses), and a
# contended boot gave 1.82x best-round
single_margin=${LATENCY_SINGLE_MARGIN:-}
with_single=${LATENCY_SINGLE:-$single_margin}
# three rounds, not five, to keep CI under its hour: about 7,200 requests
# a scheduler
rounds=${LATENCY_ROUNDS:-3}
budget_us=5000	# /web's budget, as given to scx_slo below
cg_create web
cg_create batch

# calibrate the work loop once, idle, so every run does the same work
slo_probe --json -d 0.001 --warmup 0 > /tmp/cal.json || fail "probe calibration failed"
cal=$(jq .config.iters_per_us /tmp/cal.json)

batch_usec() { awk '$1 == "usage_usec" { print $2 }' "$CG/batch/cpu.stat"; }

probe() { # NAME: one run in /web; its request p99 (us) appended to /tmp/p99.NAME
	_b0=$(batch_usec) _t0=$(cut -d' ' -f1 /proc/uptime)
	# a fixed rate below the cgroup's fair CPU share: the budget buys
	# latency, not CPU, so an as-fast-as-possible load would only measure
	# fairness
	cg_run web slo_probe --json -r 400 -d 6 -s 2400 --budget-us "$budget_us" --calibration "$cal" > "/tmp/$1.json" ||
		fail "slo_probe ($1) failed"
	_batch=$(awk -v b0="$_b0" -v b1="$(batch_usec)" -v t0="$_t0" -v t1="$(cut -d' ' -f1 /proc/uptime)" \
		'BEGIN { printf "%.2f", (b1 - b0) / 1e6 / (t1 - t0) }')
	jq .request_us.p99 "/tmp/$1.json" >> "/tmp/p99.$1"
	jq .wakeup_us.p99 "/tmp/$1.json" >> "/tmp/wake.$1"
	jq -r '"\(.request_us.over_budget) \(.request_us.samples)"' "/tmp/$1.json" >> "/tmp/over.$1"
	log "$1: request p50 $(jq .request_us.p50 "/tmp/$1.json") p99 $(jq .request_us.p99 "/tmp/$1.json") p99.9 $(jq .request_us.p999 "/tmp/$1.json") us, wakeup p99 $(jq .wakeup_us.p99 "/tmp/$1.json") us, $(jq .request_us.samples "/tmp/$1.json") samples, /batch used $_batch CPUs"
}

# the scheduler's own view of a run: misses of the 5 ms budget, steals
# (same node, other node) and preemption kicks
slo_counters() {
	log "$1 counters: /web runs $(final_stat /web 3) misses $(final_stat /web 4), steals $(final_domain_sum 5)/$(final_domain_sum 6), preempt kicks $(final_domain_sum 8), rescue kicks $(final_global rescue-kicks), stress-ng processes on CPUs $STRESS_CPUS"
	awk '/^=== scx_slo final stats ===/ { f = 1 } f && /^DOMAIN/ { t = 1 } f && /^CGROUP/ { t = 0 } t' "$OUT"
}

stress_cpus() { # the CPU each stress-ng process (workers and parent) last ran on
	for _s in /proc/[0-9]*/stat; do
		read -r _l < "$_s" 2>/dev/null || continue
		case $_l in *"(stress-ng"*) echo "$_l" | awk '{ print $39 }' ;; esac
	done | tr '\n' ' '
}

run() { # NAME: one probe run under that scheduler
	case $1 in
	default) probe default ;;
	slo) start_scx_slo --slo /web=5ms ;;
	nobudget) start_scx_slo ;;
	single) start_scx_slo --single-dsq --slo /web=5ms ;;
	esac
	[ "$1" = default ] && return
	probe "$1"
	STRESS_CPUS=$(stress_cpus)
	stop_scx_slo > /dev/null
	slo_counters "$1"
}

best() { sort -n "/tmp/$2.$1" | head -n 1; }	# NAME p99|wake
median() { sort -n "/tmp/p99.$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
pooled() { awk '{ o += $1; n += $2 } END { printf "%.3f", n ? 100 * o / n : 0 }' "/tmp/over.$1"; }
rm -f /tmp/p99.* /tmp/wake.* /tmp/over.*
probe floor
cg_spawn batch stress-ng --cpu "$(nproc)" --timeout 900s -q
stress=$SPAWNED
sleep 2
set -- default slo nobudget
[ -z "$with_single" ] || set -- "$@" single
r=0
while [ "$r" -lt "$rounds" ]; do
	for s in "$@"; do run "$s"; done
	_first=$1
	shift
	set -- "$@" "$_first"
	r=$((r + 1))
done
kill "$stress"

for s in floor "$@"; do
	log "LATENCY $s: request p99 best $(best "$s" p99) median $(median "$s") us, wakeup p99 best $(best "$s" wake) us, over ${budget_us} us $(pooled "$s")% ($(awk '{ printf "%d/%d ", $1, $2 }' "/tmp/over.$s")), rounds $(tr '\n' ' ' < "/tmp/p99.$s")"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
# A B M: A < B x M, both measured (an empty one compares as a string)
below() { awk -v a="$1" -v b="$2" -v m="$3" 'BEGIN { exit !(a != "" && b != "" && a + 0 < (b + 0) * m) }'; }
slo_p99=$(best slo p99) slo_wake=$(best slo wake) slo_over=$(pooled slo)
dfl_p99=$(best default p99) dfl_over=$(pooled default)
nb_p99=$(best nobudget p99) nb_wake=$(best nobudget wake) nb_over=$(pooled nobudget)
log "LATENCY ratios: over-budget share slo/default $(ratio "$slo_over" "$dfl_over") slo/nobudget $(ratio "$slo_over" "$nb_over"), best p99 slo/default $(ratio "$slo_p99" "$dfl_p99") slo/nobudget $(ratio "$slo_p99" "$nb_p99"), best wakeup p99 slo/nobudget $(ratio "$slo_wake" "$nb_wake")"

# rule 1: the budget buys latency, against the same scheduler without it
below "$slo_wake" "$nb_wake" "$wake_margin" ||
	fail "with its 5 ms budget /web's best-round wakeup p99 is $slo_wake us, not below $wake_margin x the $nb_wake us it has at the default budget"
below "$slo_over" "$nb_over" "$budget_margin" ||
	fail "with its 5 ms budget /web has $slo_over% of requests over it, not below $budget_margin x the $nb_over% it has at the default budget"
# and against the kernel's default scheduler
below "$slo_over" "$dfl_over" "$budget_margin" ||
	fail "scx_slo left $slo_over% of requests over the ${budget_us} us budget, not below $budget_margin x the default scheduler's $dfl_over%"
below "$slo_p99" "$dfl_p99" "$margin" ||
	fail "scx_slo's best-round p99 $slo_p99 us is not below $margin x the default scheduler's $dfl_p99 us"
# Per-LLC queues must not cost latency against the one global queue: the
# other CPU takes a task at risk (rule 5) as the global queue's would.
if [ -n "$single_margin" ]; then
	single_p99=$(best single p99)
	log "LATENCY ratios: best p99 slo/single $(ratio "$slo_p99" "$single_p99"), over-budget share slo/single $(ratio "$slo_over" "$(pooled single)")"
	awk -v s="$slo_p99" -v g="$single_p99" -v m="$single_margin" 'BEGIN { exit !(s <= g * m) }' ||
		fail "scx_slo's best-round p99 $slo_p99 us is above $single_margin x --single-dsq's $single_p99 us"
fi
