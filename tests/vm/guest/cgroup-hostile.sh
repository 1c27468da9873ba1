# A hostile delegated subtree (issue 15): an unprivileged user (uid 65534)
# that owns /hostile creates LEAVES cgroups at the bottom of a chain of
# 255-byte names (each leaf's path just under PATH_MAX), a chain whose
# path goes past PATH_MAX, and a cgroup whose name holds terminal escape
# sequences, a carriage return, quotes, a backslash and a byte that is not UTF-8,
# with a task spinning in it.  RAN of the leaves run a process (so that
# they have statistics), and the config holds /hostile=5ms plus PENDING
# entries for cgroups that do not exist (every one is matched on each pass).
#
# Holds, over OBSERVE seconds with --stats 1 and --metrics: the loader's
# heartbeat is never older than HB_BOUND_MS (its main loop keeps passing),
# its peak RSS stays under RSS_BOUND_KB, the scheduler stays attached, no
# raw ESC byte or carriage return (a forged line) reaches its stdout or stderr, /metrics
# keeps the exposition format, and the hostile cgroup's budget is the one
# of /hostile (the budget index resolves it through its ancestors).
LEAVES=${LEAVES:-20000}
RAN=${RAN:-500}
PENDING=${PENDING:-4000}
OBSERVE=${OBSERVE:-20}
HB_BOUND_MS=${HB_BOUND_MS:-3000}
RSS_BOUND_KB=${RSS_BOUND_KB:-$((48 * 1024))}
NOBODY=65534

ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
as_user() { /usr/bin/setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"; }
name_of() { head -c "$1" /dev/zero | tr '\0' "$2"; }

cg_create hostile
for f in "" /cgroup.procs /cgroup.subtree_control /cgroup.threads; do
	chown $NOBODY:$NOBODY "$CG/hostile$f" || fail "cannot delegate /hostile"
done
as_user sh -c 'mkdir "$1/hostile/probe" && rmdir "$1/hostile/probe"' _ "$CG" ||
	fail "uid $NOBODY cannot create cgroups in its delegated /hostile"

# 15 levels of 255 bytes: /hostile/chain/C.../C is 3855 bytes; a leaf adds 200
CHAIN_NAME=$(name_of 255 C)
LEAF_PREFIX=$(name_of 193 L)
t0=$(ms)
as_user sh -c '
	cd "$1/hostile" && mkdir chain && cd chain || exit 1
	i=0
	while [ $i -lt 15 ]; do mkdir "$2" && cd -P "$2" || exit 1; i=$((i + 1)); done
	seq 1 "$3" | sed "s/^/$4/" | xargs mkdir || exit 1
	# past PATH_MAX: 20 levels of 255 bytes
	cd "$1/hostile" && mkdir deep && cd deep || exit 1
	i=0
	while [ $i -lt 20 ]; do mkdir "$2" && cd -P "$2" || exit 1; i=$((i + 1)); done
' _ "$CG" "$CHAIN_NAME" "$LEAVES" "$LEAF_PREFIX" || fail "uid $NOBODY could not build its tree"
t1=$(ms)
log "uid $NOBODY created $LEAVES leaves (paths of $((14 + 15 * 256 + 1 + 193 + ${#LEAVES})) bytes at most) and a $((14 + 20 * 256))-byte chain in $((t1 - t0)) ms"

# The escape-laden name: clear screen, set the window title, a carriage
# return that would forge a loader line (cgroupfs refuses a newline in a
# name), quotes, a backslash, a byte that is no UTF-8.
EVIL=$(printf 'evil\033[2J\033]0;pwned\007\rscx_slo: EXIT: forged "line" \\ \377end')
as_user mkdir "$CG/hostile/$EVIL" || fail "uid $NOBODY cannot create the escape-laden cgroup"
cg_spawn "hostile/$EVIL" sh -c 'while :; do :; done'
SPINNER=$SPAWNED

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
t2=$(ms)
log "$RAN leaves ran a process in $((t2 - t1)) ms"

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
sleep 3
tables0=$(grep -c '^=== scx_slo stats ===' "$OUT")

# heartbeat age and peak RSS, sampled every 200 ms
hb_max=0 hb_reads=0
end=$(($(ms) + OBSERVE * 1000))
while [ "$(ms)" -lt "$end" ]; do
	hb=$(awk '{ print $6 }' /run/scx_slo/heartbeat 2>/dev/null)
	if [ -n "$hb" ]; then
		hb_reads=$((hb_reads + 1))
		age=$(awk -v hb="$hb" '{ printf "%d\n", $1 * 1000 - hb / 1000000 }' /proc/uptime)
		[ "$age" -gt "$hb_max" ] && hb_max=$age
	fi
	usleep 200000
done
tables=$(($(grep -c '^=== scx_slo stats ===' "$OUT") - tables0))
rss_peak=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SCX_PID/status")
rss_now=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SCX_PID/status")
slo_attached "after $OBSERVE s with the hostile tree"
[ "$hb_reads" -gt 0 ] || check_fail "no heartbeat in /run/scx_slo/heartbeat"
[ "$hb_max" -le "$HB_BOUND_MS" ] ||
	check_fail "the loader's heartbeat was $hb_max ms old (bound $HB_BOUND_MS ms): its main loop stalls"
[ "$rss_peak" -lt "$RSS_BOUND_KB" ] ||
	check_fail "the loader's peak RSS is $rss_peak KiB (bound $RSS_BOUND_KB KiB)"

wget -q -O /tmp/m.txt http://127.0.0.1:9464/metrics || check_fail "/metrics not served"
# the exposition format: comments, or NAME{LABEL="VALUE",...} NUMBER, where
# a value escapes only backslash, double quote and newline
bad=$(LC_ALL=C grep -v -E -e '^#' \
	-e '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\[\\"n])*",?)*\})? [-+0-9.eEInfa]+$' /tmp/m.txt | head -n 3)
[ -z "$bad" ] || check_fail "/metrics breaks the exposition format: $bad"
LC_ALL=C grep -q "$(printf '\033')" /tmp/m.txt && check_fail "/metrics carries a raw ESC byte"
for f in /tmp/m.txt "$ERR" "$OUT"; do
	LC_ALL=C grep -q "$(printf '\033')" "$f" && check_fail "$f carries a raw ESC byte"
	LC_ALL=C grep -q "$(printf '\r')" "$f" && check_fail "$f carries a raw carriage return"
done
# the hostile cgroup's row: budget 5ms from /hostile
row=$(grep -F 'evil\x1b[2J' "$OUT" | tail -n 1)
[ -n "$row" ] || check_fail "--stats shows no escaped row for the escape-laden cgroup"
case "$row" in *" 5ms "*) ;; *) check_fail "the escape-laden cgroup's budget is not /hostile's 5ms: $row" ;; esac

log "CGROUP-HOSTILE leaves=$LEAVES ran=$RAN pending=$PENDING heartbeat_max_ms=$hb_max stats_tables=$tables/$OBSERVE rss_peak_kb=$rss_peak rss_kb=$rss_now $(grep '^scx_slo_metrics_age_seconds ' /tmp/m.txt) $(grep -E '^scx_slo_cgroup_walk_[a-z_]+ ' /tmp/m.txt | tr '\n' ' ')"
grep -E '^scx_slo: .*(cgroup|PATH_MAX)' "$ERR" | head -n 5
LC_ALL=C grep -a -F 'evil' "$OUT" | tail -n 2
kill "$SPINNER"
stop_scx_slo
checks_done
