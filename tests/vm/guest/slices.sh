# Rule 3's slices.  Two hogs of the default budget (100 ms) share CPU 1,
# two of a 5 ms budget share CPU 2; their involuntary context switches are
# counted over 4 s, once with the default slices, a fifth of the budget
# within --slice 3ms and --max-slice 20ms (20 ms for the 100 ms pair, 3 ms
# for the 5 ms pair), and once with --max-slice 3ms, where every slice is
# 3 ms.  Two hogs on a CPU switch at most once per slice (a task keeps its
# CPU for another slice while its deadline is still the earliest, and a
# 3 ms slice ends on the next tick), so by default the 100 ms pair must
# switch at most half as often as with 3 ms slices (seen: 176-196 against
# 581-955), and the 5 ms pair within 0.5-2x of its 3 ms rate (515-977
# against 504-985).  The pairs sit on different CPUs, so the 5 ms pair's
# waits must not cut the 100 ms pair's slices (rule 3's waiter cut is per
# CPU).  Shares stay even inside each pair (30-70%).
cg_create slice-loose
cg_create slice-tight

# switches NAME ARGS...: scx_slo with ARGS; sets LOOSE and TIGHT (switches
# per pair over 4 s) after checking each pair's split
switches() {
	_name=$1; shift
	start_scx_slo --slo /slice-tight=5ms "$@"
	cg_spawn slice-loose taskset -c 1 sh -c 'while :; do :; done'; l1=$SPAWNED
	cg_spawn slice-loose taskset -c 1 sh -c 'while :; do :; done'; l2=$SPAWNED
	cg_spawn slice-tight taskset -c 2 sh -c 'while :; do :; done'; t1=$SPAWNED
	cg_spawn slice-tight taskset -c 2 sh -c 'while :; do :; done'; t2=$SPAWNED
	sleep 1
	nv() { awk '/^nonvoluntary_ctxt_switches/ {s += $2} END {print s + 0}' "$@"; }
	_l0=$(nv /proc/$l1/status /proc/$l2/status) _t0=$(nv /proc/$t1/status /proc/$t2/status)
	_a0=$(cpu_ticks $l1) _b0=$(cpu_ticks $t1) _c0=$(cpu_ticks $l2) _d0=$(cpu_ticks $t2)
	sleep 4
	_l1=$(nv /proc/$l1/status /proc/$l2/status) _t1=$(nv /proc/$t1/status /proc/$t2/status)
	_a=$(( $(cpu_ticks $l1) - _a0 )) _b=$(( $(cpu_ticks $t1) - _b0 ))
	_c=$(( $(cpu_ticks $l2) - _c0 )) _d=$(( $(cpu_ticks $t2) - _d0 ))
	kill $l1 $l2 $t1 $t2
	wait $l1 $l2 $t1 $t2 2>/dev/null
	stop_scx_slo > /dev/null
	[ "$SCX_RC" -eq 0 ] || fail "$_name: scx_slo exit status $SCX_RC"
	LOOSE=$((_l1 - _l0)) TIGHT=$((_t1 - _t0))
	log "$_name: 100 ms pair $LOOSE switches (ticks $_a/$_c), 5 ms pair $TIGHT switches (ticks $_b/$_d)"
	[ $((_a + _c)) -gt 0 ] && [ $((_b + _d)) -gt 0 ] || fail "$_name: a pair did not run"
	_sl=$((100 * _a / (_a + _c))) _st=$((100 * _b / (_b + _d)))
	[ "$_sl" -ge 30 ] && [ "$_sl" -le 70 ] || fail "$_name: the 100 ms pair split $_sl/$((100 - _sl)), want 30-70%"
	[ "$_st" -ge 30 ] && [ "$_st" -le 70 ] || fail "$_name: the 5 ms pair split $_st/$((100 - _st)), want 30-70%"
	[ "$LOOSE" -gt 20 ] && [ "$TIGHT" -gt 20 ] || fail "$_name: a pair barely switched ($LOOSE, $TIGHT): not sharing its CPU"
}

switches "--max-slice 3ms" --max-slice 3ms
loose_short=$LOOSE tight_short=$TIGHT
switches "default slices"
log "100 ms pair: $LOOSE against $loose_short with 3 ms slices; 5 ms pair: $TIGHT against $tight_short"
[ $((2 * LOOSE)) -le "$loose_short" ] ||
	fail "with the default slices the 100 ms pair switched $LOOSE times, want at most half of the $loose_short with 3 ms slices"
[ $((2 * TIGHT)) -ge "$tight_short" ] && [ "$TIGHT" -le $((2 * tight_short)) ] ||
	fail "with the default slices the 5 ms pair switched $TIGHT times, want 0.5-2x the $tight_short with 3 ms slices"
