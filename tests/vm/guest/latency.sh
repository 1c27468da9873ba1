# Latency (DESIGN rules 1 and 3), in the 2-vCPU preset.  A request workload
# (slo_probe: 400 requests/s, each wakeup does ~1 ms of CPU; latency from
# wakeup to the end of that work) runs in a cgroup with a 5 ms budget while
# stress-ng
# saturates every CPU from a default-budget cgroup.  In this one boot:
# the workload alone (the floor), under the kernel's default scheduler,
# under scx_slo and under scx_slo --single-dsq.  scx_slo's p99 must beat
# the default scheduler's by LATENCY_MARGIN.
margin=${LATENCY_MARGIN:-0.8}
cg_create web
cg_create batch

# calibrate the work loop once, idle, so every run does the same work
slo_probe --json -d 0.001 --warmup 0 > /tmp/cal.json || fail "probe calibration failed"
cal=$(jq .config.iters_per_us /tmp/cal.json)

probe() { # NAME: one run in /web; its request p99 (us) in P99_<NAME>
	# a fixed rate below the cgroup's fair CPU share: the budget buys
	# latency, not CPU, so an as-fast-as-possible load would only measure
	# fairness
	cg_run web slo_probe --json -r 400 -d 10 -s 5000 --calibration "$cal" > "/tmp/$1.json" ||
		fail "slo_probe ($1) failed"
	_p99=$(jq .request_us.p99 "/tmp/$1.json")
	eval "P99_$1=$_p99"
	log "$1: request p50 $(jq .request_us.p50 "/tmp/$1.json") p99 $_p99 p99.9 $(jq .request_us.p999 "/tmp/$1.json") us, wakeup p99 $(jq .wakeup_us.p99 "/tmp/$1.json") us, $(jq .request_us.samples "/tmp/$1.json") samples"
}

probe floor
cg_spawn batch stress-ng --cpu "$(nproc)" --timeout 300s -q
stress=$SPAWNED
sleep 2
probe cfs
start_scx_slo --slo /web=5ms
probe slo
stop_scx_slo > /dev/null
start_scx_slo --single-dsq --slo /web=5ms
probe single
stop_scx_slo > /dev/null
kill "$stress"

awk -v f="$P99_floor" -v c="$P99_cfs" -v s="$P99_slo" -v g="$P99_single" 'BEGIN {
	printf "LATENCY p99_us floor %.0f default %.0f scx_slo %.0f single_dsq %.0f ratios slo/default %.3f default/floor %.2f slo/floor %.2f single/default %.3f\n",
		f, c, s, g, s / c, c / f, s / f, g / c }'
awk -v c="$P99_cfs" -v s="$P99_slo" -v m="$margin" 'BEGIN { exit !(s < c * m) }' ||
	fail "scx_slo p99 $P99_slo us is not below $margin x the default scheduler's $P99_cfs us"
