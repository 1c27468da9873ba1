# Latency (DESIGN rules 1 and 3), in the 2-vCPU preset.  A request workload
# (slo_probe: 400 requests/s, each wakeup does ~1 ms of CPU; latency from
# wakeup to the end of that work) runs in a cgroup with a 5 ms budget while
# stress-ng saturates every CPU from a default-budget cgroup.
#
# In this one boot: the workload alone (the floor), then ROUNDS rounds of
# the kernel's default scheduler, scx_slo and scx_slo --single-dsq, the
# order rotated each round.  One run's p99 rests on a few dozen samples and
# an emulated vCPU can lose the host CPU for milliseconds, so schedulers are
# compared by the median of their rounds: scx_slo's median p99 must be
# below LATENCY_MARGIN x the default scheduler's.  Five rounds, because one
# round's p99 can be 2-3x its neighbours' (in the 20 runs that qualified
# this test for CI, 36 of 100 scx_slo rounds and 4 of 100 --single-dsq
# rounds were above 3.5 ms, the scx_slo ones with up to about 1% of the
# probe's runs missing the budget), and a median of three is lost to two
# such rounds, a median of five only to three.
margin=${LATENCY_MARGIN:-0.8}
rounds=${LATENCY_ROUNDS:-5}
cg_create web
cg_create batch

# calibrate the work loop once, idle, so every run does the same work
slo_probe --json -d 0.001 --warmup 0 > /tmp/cal.json || fail "probe calibration failed"
cal=$(jq .config.iters_per_us /tmp/cal.json)

probe() { # NAME: one run in /web; its request p99 (us) appended to /tmp/p99.NAME
	# a fixed rate below the cgroup's fair CPU share: the budget buys
	# latency, not CPU, so an as-fast-as-possible load would only measure
	# fairness
	cg_run web slo_probe --json -r 400 -d 6 -s 2400 --calibration "$cal" > "/tmp/$1.json" ||
		fail "slo_probe ($1) failed"
	jq .request_us.p99 "/tmp/$1.json" >> "/tmp/p99.$1"
	log "$1: request p50 $(jq .request_us.p50 "/tmp/$1.json") p99 $(jq .request_us.p99 "/tmp/$1.json") p99.9 $(jq .request_us.p999 "/tmp/$1.json") us, wakeup p99 $(jq .wakeup_us.p99 "/tmp/$1.json") us, $(jq .request_us.samples "/tmp/$1.json") samples"
}

# the scheduler's own view of a run: misses of the 5 ms budget, steals
# (same node, other node) and preemption kicks
slo_counters() {
	log "$1 counters: /web runs $(final_stat /web 3) misses $(final_stat /web 4), steals $(final_domain_sum 5)/$(final_domain_sum 6), preempt kicks $(final_domain_sum 8), stress-ng processes on CPUs $STRESS_CPUS"
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
	slo) start_scx_slo --slo /web=5ms; probe slo; STRESS_CPUS=$(stress_cpus); stop_scx_slo > /dev/null; slo_counters slo ;;
	single) start_scx_slo --single-dsq --slo /web=5ms; probe single; STRESS_CPUS=$(stress_cpus); stop_scx_slo > /dev/null; slo_counters single ;;
	esac
}

median() { sort -n "/tmp/p99.$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

rm -f /tmp/p99.*
probe floor
cg_spawn batch stress-ng --cpu "$(nproc)" --timeout 600s -q
stress=$SPAWNED
sleep 2
set -- default slo single
r=0
while [ "$r" -lt "$rounds" ]; do
	for s in "$@"; do run "$s"; done
	set -- "$2" "$3" "$1"
	r=$((r + 1))
done
kill "$stress"

f=$(median floor) c=$(median default) s=$(median slo) g=$(median single)
log "p99 per round (us): default $(tr '\n' ' ' < /tmp/p99.default)| scx_slo $(tr '\n' ' ' < /tmp/p99.slo)| single $(tr '\n' ' ' < /tmp/p99.single)"
awk -v f="$f" -v c="$c" -v s="$s" -v g="$g" -v n="$rounds" 'BEGIN {
	printf "LATENCY median of %d rounds, p99_us floor %.0f default %.0f scx_slo %.0f single_dsq %.0f ratios slo/default %.3f default/floor %.2f slo/floor %.2f single/default %.3f slo/single %.3f\n",
		n, f, c, s, g, s / c, c / f, s / f, g / c, s / g }'
awk -v c="$c" -v s="$s" -v m="$margin" 'BEGIN { exit !(s < c * m) }' ||
	fail "scx_slo's median p99 $s us is not below $margin x the default scheduler's $c us"
