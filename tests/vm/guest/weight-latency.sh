# Rules 1 and 2 together: a budget buys latency, cpu.weight buys CPU, and
# neither buys the other.  /lat has a 5 ms budget and cpu.weight 10;
# /batch has the default budget (100 ms) and cpu.weight 1000, and two
# hogs pinned to CPU 1 keep that CPU saturated.  The kernel's default
# scheduler runs in this same boot, with scx_slo not loaded; its numbers
# are logged next to scx_slo's and not asserted.
#
#   (a) /lat runs cyclictest's measuring thread pinned to CPU 1
#       (SCHED_OTHER, a wakeup every 80 ms, 200 samples, each logged with
#       -v), two rounds per scheduler in the order default, scx_slo,
#       scx_slo, default.  Of each scheduler's rounds the best counts, as
#       in latency.sh: scx_slo's best p99 must be at most 1.5 x the default
#       scheduler's best and at most 15 ms, its best max at most 2 x the
#       default's.
#       The batch hogs' slices are 20 ms (a fifth of their budget, the
#       default --max-slice): waiting behind them, /lat must still wait
#       slices of its own length (3 ms), which rule 3's waiter cut gives
#       (the running slice ends at its CPU's next tick; counted, and some
#       must be).  Without the cut p99 was 27-30 ms; with it, best-of-2
#       1.4-12.6 ms in four runs on a busy host.
#   (c) (a)'s two scx_slo rounds again with --max-slice 3ms (every slice
#       3 ms), the same limits (p99 3.3-16 ms).
#   (b) /lat runs a hog instead, pinned to CPU 1 with the batch hogs: its
#       share of the CPU must not exceed its weight share, 10/1010, by
#       more than 15% + 1% of the CPU.
#
# (a)'s factors.  latency.sh asks scx_slo, at equal weights, to beat the
# default scheduler and itself without the budget.  Here the
# default scheduler gives the weight-10 group a virtual slice 100x the
# batch group's: on 7.3 its wakeups wait behind batch slices (p99 100-480
# ms), but 6.12's is about as good as scx_slo (p99 of undisturbed rounds
# 3.7-7.8 ms against scx_slo's 2.8-5.3 ms), so what is asserted is "no
# worse" up to the noise between two equal schedulers' best rounds: 1.5 x
# (a best-of-2 ratio of 1.08 was seen).  Best of 2 because one round is at
# the mercy of the host: a disturbed round had p99 27 ms (default) and 55
# ms (scx_slo) in one boot where the other rounds stayed near 5 ms.  The
# ratio alone would pass a scheduler that misses the budget many times
# over next to 7.3's default (a weight-blind scx_slo had p99 86 ms there),
# hence 15 ms: the budget, a slice of debt a wakeup may carry (3 ms), and
# a 5-7 ms emulated vCPU stall.  The max is one sample, which one such
# stall sets (6.12, undisturbed: scx_slo 4.1-27 ms, default 5.4-20 ms):
# held to 2 x.  12.5 wakeups/s: under this emulation a cyclictest cycle
# costs 0.1-1 ms of CPU (the first run in a boot the most: a warm-up run
# goes first), and the thread must not want the 1% its weight gets, or
# this would measure CPU starvation; its CPU use is logged.
#
# (b): 15% relative, as cgroup-weights; +1% of the CPU absolute (60 ms of
# the 6 s window, 20 of scx_slo's 3 ms slices) for what is granted in
# whole slices at so small a share: a slice more or less at each edge of
# the window, and the starvation backstop's runs (a task waiting a
# quarter of the 10 s watchdog is run first: at most 3 slices in 6 s).
# A budget that bought CPU would show here as 2x or more.
WINDOW=6
P99_CAP=15000
cg_mk lat 10
cg_mk batch 1000
cat > /tmp/lat.yaml <<'YAML'
slos:
  - cgroup: /lat
    budget: 5ms
YAML

# cyclic SCHED ROUND: cyclictest in /lat on the saturated CPU 1
cyclic() {
	hog batch batch
	hog batch batch
	sleep 1
	# -v: every sample, "thread: cycle: latency (us)"; the main thread,
	# which wakes every 10 ms to collect them, on CPU 0, out of the way.
	# 200 samples take 16 s; -D 25 and the KILL at 60 s end a run whose
	# thread barely runs (then the sample count fails it).
	cg_spawn lat timeout -s KILL 60 cyclictest --policy=other -t 1 -a 1 --mainaffinity=0 \
		-i 80000 -l 200 -D 25 -q -v > "/tmp/cyc.$1.$2"
	_cyc=$SPAWNED
	# the measuring thread's CPU use over 12 of its 16 s
	sleep 2
	_tid=$(ls "/proc/$_cyc/task" | sort -n | tail -n 1)
	read -r _ns0 _rest < "/proc/$_cyc/task/$_tid/schedstat"
	_t0=$(cut -d' ' -f1 /proc/uptime)
	sleep 12
	read -r _ns1 _rest < "/proc/$_cyc/task/$_tid/schedstat"
	_cpu=$(awk -v n0="$_ns0" -v n1="$_ns1" -v t0="$_t0" -v t1="$(cut -d' ' -f1 /proc/uptime)" \
		'BEGIN { printf "%.4f", (n1 - n0) / 1e9 / (t1 - t0) }')
	wait "$_cyc" || check_fail "cyclictest failed under $1 (round $2)"
	hogs_stop
	awk -F: 'NF == 3 && $1 + 0 == 0 { print $3 + 0 }' "/tmp/cyc.$1.$2" | sort -n |
		awk '{ v[NR] = $1 } END { i = int(NR * 0.99); if (i < NR * 0.99) i++; printf "%d %d %d\n", NR, v[i], v[NR] }' > "/tmp/lat.$1.$2"
	read -r _n _p99 _max < "/tmp/lat.$1.$2"
	result "samples$2" "$1" "$_n"
	result "p99_$2" "$1" "$_p99"
	result "max$2" "$1" "$_max"
	result "cpu$2" "$1" "$_cpu"
	log "$1 round $2: $_n samples, p99 $_p99 us, max $_max us; the measuring thread used $_cpu CPUs"
}

# share SCHED: a hog in /lat against the two batch hogs on CPU 1
share() {
	hog batch batch
	hog batch batch
	hog lat lat
	measure 1 "$WINDOW"
	hogs_stop
	result share "$1" "$(used_share lat)"
}

# warm up: TCG translates cyclictest's code on its first run in the boot
cyclictest --policy=other -t 1 -a 1 --mainaffinity=0 -i 10000 -l 100 -q > /dev/null

cyclic default 1
share default
start_scx_slo --config /tmp/lat.yaml
cyclic slo 1
slo_attached "after cyclictest round 1"
cyclic slo 2
slo_attached "after cyclictest round 2"
share slo
slo_attached "after the hog run"
stop_clean check_fail
log "scx_slo final: $(grep '^runs' "$OUT" | tail -n 1)"
result cuts slo "$(awk '/^runs/ { for (i = 1; i < NF; i++) if ($i == "slice-cuts") v = $(i + 1) } END { print v + 0 }' "$OUT")"
log "scx_slo /lat: budget $(final_stat /lat 2), runs $(final_stat /lat 3), misses $(final_stat /lat 4)"
start_scx_slo --config /tmp/lat.yaml --max-slice 3ms
cyclic short 1
slo_attached "after --max-slice 3ms cyclictest round 1"
cyclic short 2
slo_attached "after --max-slice 3ms cyclictest round 2"
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || check_fail "scx_slo --max-slice 3ms exit status $SCX_RC"
cyclic default 2

for s in default slo short; do
	result p99 "$s" "$(awk -v a="$(res p99_1 "$s")" -v b="$(res p99_2 "$s")" 'BEGIN { print a < b ? a : b }')"
	result max "$s" "$(awk -v a="$(res max1 "$s")" -v b="$(res max2 "$s")" 'BEGIN { print a < b ? a : b }')"
done
ratio() { awk -v s="$(res "$1" slo)" -v d="$(res "$1" default)" 'BEGIN { if (d > 0) printf "%.3f", s / d }'; }
limit=$(awk 'BEGIN { printf "%.4f", 10 / 1010 * 1.15 + 0.01 }')
log "(a) /lat (weight 10, 5 ms) wakeup p99 us per round: default $(res p99_1 default) $(res p99_2 default), scx_slo $(res p99_1 slo) $(res p99_2 slo); best: default $(res p99 default), scx_slo $(res p99 slo), ratio slo/default $(ratio p99) (want <= 1.5, scx_slo <= $P99_CAP us)"
log "(a) /lat wakeup max us per round: default $(res max1 default) $(res max2 default), scx_slo $(res max1 slo) $(res max2 slo); best: ratio slo/default $(ratio max) (want <= 2)"
log "(a) batch slices cut for the waiting /lat: $(res cuts slo) (want > 0)"
log "(c) with --max-slice 3ms: p99 us per round $(res p99_1 short) $(res p99_2 short), best $(res p99 short), ratio to the default's best $(awk -v s="$(res p99 short)" -v d="$(res p99 default)" 'BEGIN { if (d > 0) printf "%.3f", s / d }') (want <= 1.5, <= $P99_CAP us)"
log "(a) CPUs used by cyclictest's measuring thread per round: default $(res cpu1 default) $(res cpu2 default), scx_slo $(res cpu1 slo) $(res cpu2 slo); samples: default $(res samples1 default) $(res samples2 default), scx_slo $(res samples1 slo) $(res samples2 slo)"
log "(b) /lat hog share of CPU 1 next to weight 1000: default $(res share default), scx_slo $(res share slo) (weight share 0.0099, want <= $limit)"

for r in 1 2; do
	[ "$(res "samples$r" slo)" = 200 ] ||
		check_fail "cyclictest round $r under scx_slo took $(res "samples$r" slo) samples, want 200"
done
awk -v s="$(res p99 slo)" -v d="$(res p99 default)" 'BEGIN { exit !(s > 0 && d > 0 && s <= 1.5 * d) }' ||
	check_fail "scx_slo's best p99 wakeup latency $(res p99 slo) us is above 1.5 x the default scheduler's $(res p99 default) us"
awk -v s="$(res p99 slo)" -v c="$P99_CAP" 'BEGIN { exit !(s > 0 && s <= c) }' ||
	check_fail "scx_slo's best p99 wakeup latency $(res p99 slo) us is above $P99_CAP us"
for r in 1 2; do
	[ "$(res "samples$r" short)" = 200 ] ||
		check_fail "cyclictest round $r under scx_slo --max-slice 3ms took $(res "samples$r" short) samples, want 200"
done
[ "$(res cuts slo)" -gt 0 ] || check_fail "(a) no batch slice was cut for the waiting cyclictest"
awk -v s="$(res p99 short)" -v d="$(res p99 default)" -v c="$P99_CAP" 'BEGIN { exit !(s > 0 && d > 0 && s <= 1.5 * d && s <= c) }' ||
	check_fail "(c) with --max-slice 3ms scx_slo's best p99 wakeup latency $(res p99 short) us is above $P99_CAP us or 1.5 x the default scheduler's $(res p99 default) us"
awk -v s="$(res max slo)" -v d="$(res max default)" 'BEGIN { exit !(s > 0 && d > 0 && s <= 2 * d) }' ||
	check_fail "scx_slo's best max wakeup latency $(res max slo) us is above 2 x the default scheduler's $(res max default) us"
check_range "(b) scx_slo /lat hog share" "$(res share slo)" 0 "$limit"
checks_done
