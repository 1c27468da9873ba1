# A hostile delegated subtree (issue 15): an unprivileged user (uid 65534)
# owns /hostile.  The config holds /hostile=5ms plus PENDING entries for
# pods not on this node (each is looked for on every pass).
#
# Phase 1, names: the user creates a cgroup whose name holds terminal
# escape sequences (clear screen, window title), a carriage return that
# would forge a loader line (cgroupfs refuses a newline), quotes, a
# backslash and a byte that is not UTF-8, and a task spins in it.  Its
# --stats row is escaped and shows /hostile's 5 ms budget (resolved
# through its ancestors), and no raw ESC or CR byte reaches the loader's
# stdout, stderr or /metrics.
#
# Phase 2, size: while the loader runs, the user creates LEAVES cgroups at
# the bottom of a chain of 255-byte names (each leaf's path just under
# PATH_MAX) and a chain whose path goes past PATH_MAX; RAN of the leaves
# run a process (so they have statistics).  Over OBSERVE seconds the
# loader's heartbeat is never older than HB_BOUND_MS (its main loop keeps
# passing: the walk of the hierarchy is bounded per pass), its peak RSS
# stays under RSS_BOUND_KB, the scheduler stays attached, and /metrics
# keeps the exposition format.
LEAVES=${LEAVES:-8000}
RAN=${RAN:-200}
PENDING=${PENDING:-4000}
OBSERVE=${OBSERVE:-20}
HB_BOUND_MS=${HB_BOUND_MS:-3000}
RSS_BOUND_KB=${RSS_BOUND_KB:-$((48 * 1024))}

name_of() { head -c "$1" /dev/zero | tr '\0' "$2"; }

# check_metrics WHEN: /metrics is served and keeps the exposition format
check_metrics() {
	wget -q -O /tmp/m.txt http://127.0.0.1:9464/metrics || { check_fail "/metrics not served $1"; return; }
	# comments, or NAME{LABEL="VALUE",...} NUMBER, where a value escapes
	# only backslash, double quote and newline
	_bad=$(LC_ALL=C grep -v -E -e '^#' \
		-e '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\[\\"n])*",?)*\})? [-+0-9.eEInfa]+$' \
		/tmp/m.txt | head -n 3)
	[ -z "$_bad" ] || check_fail "/metrics breaks the exposition format $1: $_bad"
}

# check_raw WHEN: no raw ESC or CR in what the loader wrote
check_raw() {
	for _f in /tmp/m.txt "$ERR" "$OUT"; do
		LC_ALL=C grep -q "$(printf '\033')" "$_f" && check_fail "$_f carries a raw ESC byte $1"
		LC_ALL=C grep -q "$(printf '\r')" "$_f" && check_fail "$_f carries a raw carriage return $1"
	done
}

cg_create hostile
for f in "" /cgroup.procs /cgroup.subtree_control /cgroup.threads; do
	chown $NOBODY:$NOBODY "$CG/hostile$f" || fail "cannot delegate /hostile"
done

EVIL=$(printf 'evil\033[2J\033]0;pwned\007\rscx_slo: EXIT: forged "line" \\ \377end')
as_nobody mkdir "$CG/hostile/$EVIL" || fail "uid $NOBODY cannot create the escape-laden cgroup"
cg_spawn "hostile/$EVIL" sh -c 'while :; do :; done'
SPINNER=$SPAWNED

{
	echo "slos:"
	echo "  - cgroup: /hostile"
	echo "    budget: 5ms"
	i=0
	while [ $i -lt "$PENDING" ]; do
		echo "  - cgroup: /kubepods.slice/pod$i.slice"
		echo "    budget: 20ms"
		i=$((i + 1))
	done
} > /tmp/slo.yaml

start_scx_slo --config /tmp/slo.yaml --stats 1 --metrics 127.0.0.1:9464

# ---- phase 1: an escape-laden name -------------------------------------------
row=
n=0
while [ $n -lt 30 ] && [ -z "$row" ]; do
	sleep 1
	row=$(grep -F 'evil\x1b[2J\x1b]0;pwned\x07\x0dscx_slo: EXIT: forged "line" \\ \xffend' "$OUT" | tail -n 1)
	n=$((n + 1))
done
[ -n "$row" ] || check_fail "--stats shows no escaped row for the escape-laden cgroup"
case "$row" in *" 5ms "*) ;; *) check_fail "the escape-laden cgroup's budget is not /hostile's 5ms: $row" ;; esac
log "escaped row: $row"
check_metrics "(names)"
grep -q -F 'scx_slo_cgroup_budget_seconds{cgroup="/hostile/evil\\x1b[2J\\x1b]0;pwned\\x07\\x0dscx_slo: EXIT: forged \"line\" \\\\ \\xffend"} 0.005' /tmp/m.txt ||
	check_fail "/metrics has no escaped series for the escape-laden cgroup with its 5 ms budget"
check_raw "(names)"

# ---- phase 2: many cgroups, paths at and past PATH_MAX -------------------------
# 15 levels of 255 bytes: /hostile/chain/C.../C is 3855 bytes; a leaf adds 200
CHAIN_NAME=$(name_of 255 C)
LEAF_PREFIX=$(name_of 193 L)
t0=$(uptime_ms)
as_nobody sh -c '
	cd "$1/hostile" && mkdir chain && cd chain || exit 1
	i=0
	while [ $i -lt 15 ]; do mkdir "$2" && cd -P "$2" || exit 1; i=$((i + 1)); done
	seq 1 "$3" | sed "s/^/$4/" | xargs mkdir || exit 1
	# past PATH_MAX: 20 levels of 255 bytes (cd -P: busybox would build the
	# whole path otherwise)
	cd "$1/hostile" && mkdir deep && cd deep || exit 1
	i=0
	while [ $i -lt 20 ]; do mkdir "$2" && cd -P "$2" || exit 1; i=$((i + 1)); done
' _ "$CG" "$CHAIN_NAME" "$LEAVES" "$LEAF_PREFIX" || fail "uid $NOBODY could not build its tree"
t1=$(uptime_ms)
log "uid $NOBODY created $LEAVES leaves (paths of $((14 + 15 * 256 + 1 + 193 + ${#LEAVES})) bytes at most) and a $((14 + 20 * 256))-byte chain in $((t1 - t0)) ms"

# RAN leaves run a process each (forks of this shell, moved there first)
(
	cd "$CG/hostile/chain" || exit 1
	i=0
	while [ $i -lt 15 ]; do cd -P "$CHAIN_NAME" || exit 1; i=$((i + 1)); done
	i=1
	while [ $i -le "$RAN" ]; do
		echo $$ > "$LEAF_PREFIX$i/cgroup.procs" || exit 1
		( : )
		i=$((i + 1))
	done
) || fail "cannot run processes in the leaves"
log "$RAN leaves ran a process in $(($(uptime_ms) - t1)) ms"

# the heartbeat's age as the exec probe sees it, twice a second
tables0=$(grep -c '^=== scx_slo stats ===' "$OUT")
hb_max=0 hb_reads=0
end=$(($(uptime_ms) + OBSERVE * 1000))
while [ "$(uptime_ms)" -lt "$end" ]; do
	age=$(scx_slo health --max-age 3600s 2>&1 |
		sed -n 's/.*completed a pass \([0-9.]*\) s ago.*/\1/p' | awk '{ printf "%d\n", $1 * 1000 }')
	if [ -n "$age" ]; then
		hb_reads=$((hb_reads + 1))
		[ "$age" -gt "$hb_max" ] && hb_max=$age
	fi
	usleep 500000
done
tables=$(($(grep -c '^=== scx_slo stats ===' "$OUT") - tables0))
rss_peak=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SCX_PID/status")
rss_now=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SCX_PID/status")
slo_attached "after $OBSERVE s with the hostile tree"
[ "$hb_reads" -gt 0 ] || check_fail "scx_slo health never reported the heartbeat's age"
[ "$hb_max" -le "$HB_BOUND_MS" ] ||
	check_fail "the loader's heartbeat was $hb_max ms old (bound $HB_BOUND_MS ms): its main loop stalls"
[ "$rss_peak" -lt "$RSS_BOUND_KB" ] ||
	check_fail "the loader's peak RSS is $rss_peak KiB (bound $RSS_BOUND_KB KiB)"
check_metrics "(size)"
check_raw "(size)"

log "CGROUP-HOSTILE leaves=$LEAVES ran=$RAN pending=$PENDING heartbeat_max_ms=$hb_max stats_tables=$tables/$OBSERVE rss_peak_kb=$rss_peak rss_kb=$rss_now $(grep -E '^scx_slo_(metrics_age_seconds|cgroup_walk_[a-z_]+)[ {]' /tmp/m.txt | tr '\n' ' ')"
grep -E '^scx_slo: .*(cgroup|PATH_MAX)' "$ERR" | head -n 5
kill "$SPINNER"
stop_scx_slo > /dev/null
checks_done
