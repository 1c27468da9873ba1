# `scx_slo slo ...` checks each map pinned under /sys/fs/bpf/scx_slo before
# it reads or writes through it (issue 15): a map planted where the CLI
# expects one of the scheduler's, or another version's, with a different
# value size, key size, type or name, or something that is not a map, gets
# one line naming the map and the mismatch and exit 2, and nothing is read
# or written through any map.
# After `slo set`, --stats, /metrics and `slo get` show the budget it put
# in force (issue 16), for the cgroup and for its children.
# The real scheduler's maps keep working, before and after one of them is
# swapped for a planted map.  Before the check, `slo list` read a planted
# control map's 64-byte value into its 24-byte buffer and exited 0 (with
# 4096-byte values it died of SIGSEGV).

# plant FILE TYPE KEY VALUE ENTRIES NAME: a map pinned as $PIN/FILE
plant() {
	rm -f "$PIN/$1"
	bpftool map create "$PIN/$1" type "$2" key "$3" value "$4" entries "$5" name "$6" ||
		fail "cannot plant $1 ($*)"
}

# maps as the scheduler makes them, but with no scheduler
shaped_maps() {
	rm -rf "$PIN"
	mkdir -m 0700 "$PIN" || fail "cannot create $PIN"
	plant control array 4 24 1 slo_control
	plant budgets_0 hash 8 8 8192 slo_budgets_0
	plant budgets_1 hash 8 8 8192 slo_budgets_1
}

# every pinned map's contents, for "nothing changed"
dump_maps() {
	for _m in control budgets_0 budgets_1; do
		echo "== $_m"
		bpftool map dump pinned "$PIN/$_m" 2>&1
	done
}

# refused WHAT PATTERN ARGS...: `scx_slo slo ARGS` exits 2 with one line on
# stderr matching PATTERN, prints nothing else and changes no map
refused() {
	_what=$1 _pat=$2
	shift 2
	dump_maps > /tmp/before
	scx_slo slo "$@" > /tmp/cli.out 2> /tmp/cli.err
	_rc=$?
	log "$_what: slo $*: exit $_rc: $(cat /tmp/cli.err)"
	[ "$_rc" -eq 2 ] || fail "$_what: slo $*: exit $_rc, want 2"
	[ "$(wc -l < /tmp/cli.err)" -eq 1 ] ||
		fail "$_what: slo $*: $(wc -l < /tmp/cli.err) lines on stderr, want 1"
	grep -q -- "^scx_slo slo: $_pat" /tmp/cli.err ||
		fail "$_what: slo $*: stderr does not match '$_pat'"
	[ ! -s /tmp/cli.out ] || fail "$_what: slo $*: printed '$(cat /tmp/cli.out)'"
	dump_maps > /tmp/after
	cmp -s /tmp/before /tmp/after || {
		diff /tmp/before /tmp/after
		fail "$_what: slo $* changed a map"
	}
}

# every command the CLI has, against the planted map
refused_all() {
	refused "$1" "$2" list
	refused "$1" "$2" get /web
	refused "$1" "$2" set /web 5ms
	refused "$1" "$2" del /web
}

cg_create web

# the attacks, with no scheduler running
shaped_maps
# shaped right, but no scheduler they belong to is attached (no ops pin)
scx_slo slo list > /tmp/cli.out 2> /tmp/cli.err
rc=$?
[ "$rc" -eq 8 ] || fail "slo list over maps shaped like scx_slo's, no scheduler: exit $rc, want 8 ($(cat /tmp/cli.err))"
plant control array 4 64 1 slo_control
refused_all "control, 64-byte values" "$PIN/control: value size 64, want 24 ("
shaped_maps
plant budgets_0 hash 8 64 8192 slo_budgets_0
refused_all "budgets_0, 64-byte values" "$PIN/budgets_0: value size 64, want 8 ("
shaped_maps
plant budgets_1 hash 16 8 8192 slo_budgets_1
refused_all "budgets_1, 16-byte keys" "$PIN/budgets_1: key size 16, want 8 ("
shaped_maps
plant control hash 4 24 1 slo_control
refused_all "control, a hash" "$PIN/control: type hash, want array ("
shaped_maps
plant budgets_1 hash 8 8 8192 other
refused_all "budgets_1, another name" "$PIN/budgets_1: name 'other', want 'slo_budgets_1' ("
shaped_maps
plant control percpu_array 4 8 1 ctl
refused "control, everything wrong" \
	"$PIN/control: type percpu_array, want array; value size 8, want 24; name 'ctl', want 'slo_control' (" list
rm -rf "$PIN"

# the real scheduler's maps
cg_create web/child
cg_create extra
# tasks that run now and then: --stats and /metrics show cgroups that ran
cg_spawn web/child sh -c 'while :; do sleep 1; done'
child_loop=$SPAWNED
cg_spawn extra sh -c 'while :; do sleep 1; done'
extra_loop=$SPAWNED
start_scx_slo --slo /web=5ms --stats 1 --metrics 127.0.0.1:9464
scx_slo slo list > /tmp/cli.out || fail "slo list: exit $?"
cat /tmp/cli.out
grep -q '^/web .* 5ms$' /tmp/cli.out || fail "slo list does not show /web's 5ms"
scx_slo slo set /web 20ms || fail "slo set: exit $?"
[ "$(scx_slo slo get /web)" = "/web: budget 20ms" ] || fail "slo get after set: '$(scx_slo slo get /web)'"

# The budget `slo set` put in force is what --stats, /metrics and `slo get`
# show, for the cgroup and what inherits from it, and for a cgroup no
# configuration names (before, both showed the configuration's 5ms).
[ "$(scx_slo slo get /web/child)" = "/web/child: budget 20ms, inherited from /web" ] ||
	fail "slo get /web/child: '$(scx_slo slo get /web/child)'"
scx_slo slo set /extra 3ms || fail "slo set /extra: exit $?"
[ "$(scx_slo slo get /extra)" = "/extra: budget 3ms" ] || fail "slo get /extra: '$(scx_slo slo get /extra)'"
lines=$(wc -l < "$OUT")
shown() { # the last stats table's budget for cgroup $1 and the metric for it, after $lines
	_row=$(tail -n +"$((lines + 1))" "$OUT" | awk -v c="$1" '$1 == c { b = $2 } END { print b }')
	_metric=$(wget -q -O - http://127.0.0.1:9464/metrics |
		sed -n "s|^scx_slo_cgroup_budget_seconds{cgroup=\"$1\"} ||p")
	echo "$_row $_metric"
}
tries=0
until [ "$(shown /web/child)" = "20ms 0.02" ] && [ "$(shown /extra)" = "3ms 0.003" ]; do
	tries=$((tries + 1))
	[ "$tries" -lt 100 ] ||
		fail "after slo set: stats and metric show '$(shown /web/child)' for /web/child (want 20ms 0.02), '$(shown /extra)' for /extra (want 3ms 0.003)"
	sleep 0.1
done
log "after slo set: /web/child $(shown /web/child), /extra $(shown /extra) (stats, metric)"
scx_slo slo del /extra || fail "slo del /extra: exit $?"
[ "$(scx_slo slo get /extra)" = "/extra: budget 100ms, the default (no SLO on it or above it)" ] ||
	fail "slo get /extra after del: '$(scx_slo slo get /extra)'"

# one of them swapped for another version's while it runs, then put back
real_id=$(bpftool map show pinned "$PIN/budgets_1" | sed -n '1s/^\([0-9]*\):.*/\1/p')
[ -n "$real_id" ] || fail "no id for the scheduler's budgets_1"
rm "$PIN/budgets_1"
plant budgets_1 hash 8 16 8192 slo_budgets_1
refused "budgets_1 swapped under the scheduler" "$PIN/budgets_1: value size 16, want 8 (" set /web 1ms
rm "$PIN/budgets_1"
bpftool map pin id "$real_id" "$PIN/budgets_1" || fail "cannot pin budgets_1 back"
[ "$(scx_slo slo get /web)" = "/web: budget 20ms" ] ||
	fail "/web's budget after the refused set: '$(scx_slo slo get /web)', want 20ms"

# not a map at all: one of the scheduler's own programs pinned as control
ctl_id=$(bpftool map show pinned "$PIN/control" | sed -n '1s/^\([0-9]*\):.*/\1/p')
prog_id=$(bpftool prog show | sed -n 's/^\([0-9]*\): struct_ops .*/\1/p' | head -n1)
[ -n "$ctl_id" ] && [ -n "$prog_id" ] || fail "no id for control ($ctl_id) or a struct_ops program ($prog_id)"
rm "$PIN/control"
bpftool prog pin id "$prog_id" "$PIN/control" || fail "cannot pin program $prog_id"
refused "a program pinned as control" "$PIN/control: not a BPF map (" list
rm "$PIN/control"
bpftool map pin id "$ctl_id" "$PIN/control" || fail "cannot pin control back"
[ "$(scx_slo slo get /web)" = "/web: budget 20ms" ] ||
	fail "/web's budget after the program pin: '$(scx_slo slo get /web)', want 20ms"
kill -0 "$SCX_PID" || fail "scx_slo exited"
[ "$(sched_state)" = enabled ] || fail "sched_ext state $(sched_state)"

kill "$child_loop" "$extra_loop" 2>/dev/null
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC"
