# Reload never silently stops (issue 15 item 4) and says how it went on
# /metrics (issue 17 item 5).  Every way the file can change under a
# running loader, each one expected within 4 s (inotify, well before the
# 10 s periodic check), except the bind mount, which only the periodic
# check can see:
#
# run 1, --config /etc/scx/slo.yaml, /etc/scx -> /run/cmA, a ConfigMap
# layout there (slo.yaml -> ..data/slo.yaml, ..data -> ..vN):
#   two ..data swaps in a row (rename, as the kubelet does), an edit in
#   place in the directory ..data leads to after them, /etc/scx
#   re-pointed at another ConfigMap directory, a swap there, a bad version
#   (rejected, counted, the SLOs in force stay) and a good one after it;
# run 2, --config /run/plain/slo.yaml:
#   the file deleted and re-created 300 ms later (no error), written in
#   place in one open with a 300 ms pause (the valid first half is never
#   applied), written in two opens 300 ms apart with the first half cut
#   mid-line (no error), a file bind-mounted over it (no inotify event:
#   the periodic check), the directory renamed away and another put in its
#   place, then a change in the new directory;
# run 3, --config /run/cm3/slo.yaml --slo-dir /run/slos (issue 16), the
# directory missing at start: the agent's first file (temporary file and
# rename) overrides --config's /r1 and says so in one line naming both
# files, a second file naming /r1 too is refused whole (one line naming
# both files, /r1 keeps its budget), and without the directory's files
# --config's budget is back.
#
# Assertions are collected (check_fail), so that a run against a loader
# without these fixes lists every scenario it misses.
M=http://127.0.0.1:9464/metrics
cg_create r1
cg_create r2

budget_of() { scx_slo slo get "$1" 2>/dev/null | sed -n 's/.*budget \([^ ,]*\).*/\1/p'; }
# conf R1 R2: a configuration giving /r1 and /r2 these budgets
conf() {
	printf 'default_budget: 100ms\nslos:\n  - cgroup: /r1\n    budget: %s\n  - cgroup: /r2\n    budget: %s\n' "$1" "$2"
}
# centiseconds since boot: deadlines that hold however slow each try is
now_cs() { awk '{ printf "%d", $1 * 100 }' /proc/uptime; }
# expect R1 SECONDS WHAT: /r1's budget becomes R1 within SECONDS
expect() {
	_end=$(($(now_cs) + $2 * 100))
	until [ "$(budget_of /r1)" = "$1" ]; do
		if [ "$(now_cs)" -ge $_end ]; then
			check_fail "$3: /r1's budget is '$(budget_of /r1)' after $2 s, want $1"
			return 1
		fi
		usleep 100000
	done
	log "$3: /r1 has $1"
}
metric() { wget -q -O - "$M" | awk -v n="$1" '$1 == n { print $2 }'; }
# expect_metric NAME VALUE WHAT: within 3 s (the text is refreshed every second)
expect_metric() {
	_end=$(($(now_cs) + 300))
	until [ "$(metric "$1")" = "$2" ]; do
		if [ "$(now_cs)" -ge $_end ]; then
			check_fail "$3: $1 is '$(metric "$1")', want $2"
			return 1
		fi
		usleep 100000
	done
}
rejected() { grep -c 'config rejected' "$ERR"; }
SEEN=4		# s: by inotify, not by the 10 s check

# --- run 1: ConfigMaps, through a symlinked directory --------------------
# cm_version DIR N R1 R2: a new ..vN in ConfigMap directory DIR, swapped in
# by renaming a fresh ..data over the old (the kubelet's atomic writer),
# the previous version removed
cm_version() {
	mkdir "$1/..v$2"
	conf "$3" "$4" > "$1/..v$2/slo.yaml"
	ln -s "..v$2" "$1/..data_tmp"
	mv -T "$1/..data_tmp" "$1/..data"
	rm -rf "$1/..v$(($2 - 1))"
}
mkdir -p /run/cmA/..v1 /run/cmB/..v1 /etc
conf 5ms 9ms > /run/cmA/..v1/slo.yaml
conf 20ms 9ms > /run/cmB/..v1/slo.yaml
for d in /run/cmA /run/cmB; do
	ln -s ..v1 "$d/..data"
	ln -s ..data/slo.yaml "$d/slo.yaml"
done
ln -s /run/cmA /etc/scx

start_scx_slo --config /etc/scx/slo.yaml --metrics 127.0.0.1:9464
expect 5ms 3 "start"
expect_metric scx_slo_config_last_reload_successful 1 "start"
expect_metric scx_slo_config_entries 2 "start"
expect_metric 'scx_slo_config_reloads_total{result="ok"}' 0 "start"
expect_metric 'scx_slo_config_reloads_total{result="error"}' 0 "start"

cm_version /run/cmA 2 6ms 9ms
expect 6ms $SEEN "ConfigMap swap 1"
cm_version /run/cmA 3 7ms 9ms
expect 7ms $SEEN "ConfigMap swap 2"
# the directory ..data now leads to is watched too, not the removed ..v1
conf 8ms 9ms > /run/cmA/..v3/slo.yaml
expect 8ms $SEEN "in-place edit in ..data's directory after two swaps"
# the directory reached through /etc/scx changes
ln -s /run/cmB /etc/scx.tmp
mv -T /etc/scx.tmp /etc/scx
expect 20ms $SEEN "/etc/scx re-pointed to another directory"
cm_version /run/cmB 2 21ms 9ms
expect 21ms $SEEN "ConfigMap swap in the new directory"
expect_metric 'scx_slo_config_reloads_total{result="ok"}' 5 "after 5 changes"

# a bad version: rejected once, counted, what is in force stays
mkdir /run/cmB/..v3
printf 'slos:\n  - cgroup: /r1\n    budget: 5\n' > /run/cmB/..v3/slo.yaml
ln -s ..v3 /run/cmB/..data_tmp
mv -T /run/cmB/..data_tmp /run/cmB/..data
expect_metric scx_slo_config_last_reload_successful 0 "bad version"
expect_metric 'scx_slo_config_reloads_total{result="error"}' 1 "bad version"
expect_metric scx_slo_config_entries 2 "bad version"
[ "$(budget_of /r1)" = 21ms ] || check_fail "the bad version changed /r1 to '$(budget_of /r1)'"
grep -q "slo.yaml:3: budget '5': duration needs a unit" "$ERR" || check_fail "the bad version was not reported with its line"
cm_version /run/cmB 4 22ms 9ms
expect 22ms $SEEN "good version after the bad one"
expect_metric scx_slo_config_last_reload_successful 1 "good version after the bad one"
expect_metric 'scx_slo_config_reloads_total{result="error"}' 1 "good version after the bad one"
ts=$(metric scx_slo_config_last_reload_timestamp_seconds)
now=$(date +%s)
awk -v t="$ts" -v n="$now" 'BEGIN { exit !(t > n - 30 && t <= n + 1) }' ||
	check_fail "last reload timestamp '$ts' is not within 30 s of now ($now)"
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || check_fail "run 1: exit status $SCX_RC"

# --- run 2: a plain directory ---------------------------------------------
mkdir -p /run/plain
conf 5ms 9ms > /run/plain/slo.yaml
start_scx_slo --config /run/plain/slo.yaml --metrics 127.0.0.1:9464
expect 5ms 3 "start"

# deleted, and back 300 ms later: never a bad config
r0=$(rejected)
rm /run/plain/slo.yaml
usleep 300000
conf 6ms 9ms > /run/plain/slo.yaml
expect 6ms $SEEN "deleted and re-created"

# one open, a pause: the first half (valid YAML, /r1 alone) never applied
full=$(conf 7ms 9ms)
half=$(printf 'default_budget: 100ms\nslos:\n  - cgroup: /r1\n    budget: 7ms\n')
{ printf '%s\n' "$half"; usleep 300000; printf '%s\n' "${full#"$half"?}"; } > /run/plain/slo.yaml
cmp -s /run/plain/slo.yaml - <<EOF || check_fail "the slow writer wrote something else"
$full
EOF
expect 7ms $SEEN "slow write in one open"

# two opens, the first cut mid-line ("budget: 9" has no unit): no error
full=$(conf 8ms 9ms)
printf '%s' "${full%ms}" > /run/plain/slo.yaml
usleep 300000
printf 'ms\n' >> /run/plain/slo.yaml
expect 8ms $SEEN "slow write in two opens"
sleep 2
if grep -q 'applied (.*): 1 SLO(s)' "$ERR"; then
	check_fail "a half-written file was applied: $(grep 'applied (.*): 1 SLO(s)' "$ERR")"
fi
[ "$(rejected)" = "$r0" ] || check_fail "a file being written was reported bad: $(grep 'config rejected' "$ERR" | tail -n 2)"
expect_metric 'scx_slo_config_reloads_total{result="error"}' 0 "writes in progress"
expect_metric 'scx_slo_config_reloads_total{result="ok"}' 3 "three changes"

# a bind mount over the file changes its content with no inotify event
conf 9ms 9ms > /run/other.yaml
mount -o bind /run/other.yaml /run/plain/slo.yaml || fail "cannot bind-mount over the config"
expect 9ms 14 "bind mount (periodic check)"
grep -q 'applied (periodic check)' "$ERR" || check_fail "the bind mount was not applied by the periodic check"
umount /run/plain/slo.yaml

# the directory renamed away and another put in its place
mkdir /run/plain.new
conf 10ms 9ms > /run/plain.new/slo.yaml
mv /run/plain /run/plain.old
mv /run/plain.new /run/plain
expect 10ms $SEEN "directory replaced"
conf 11ms 9ms > /run/plain.tmp
mv /run/plain.tmp /run/plain/slo.yaml
expect 11ms $SEEN "change in the new directory"
conf 12ms 9ms > /run/plain.old/slo.yaml
sleep 1
[ "$(budget_of /r1)" = 11ms ] || check_fail "a change in the replaced directory was applied"
expect_metric scx_slo_config_last_reload_successful 1 "run 2"
expect_metric 'scx_slo_config_reloads_total{result="error"}' 0 "run 2"
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || check_fail "run 2: exit status $SCX_RC"

# --- run 3: --config and --slo-dir ------------------------------------------
mkdir -p /run/cm3
conf 5ms 6ms > /run/cm3/slo.yaml
start_scx_slo --config /run/cm3/slo.yaml --slo-dir /run/slos
expect 5ms $SEEN "run 3 start, no SLO directory yet"
mkdir /run/slos
printf 'slos:\n  - cgroup: /r1\n    budget: 3ms\n' > /run/slos/.pods.yaml.tmp
mv /run/slos/.pods.yaml.tmp /run/slos/pods.yaml
expect 3ms $SEEN "the agent's first file"
grep -q '^scx_slo: /run/slos/pods.yaml overrides /run/cm3/slo.yaml for 1 cgroup(s): /r1 3ms (line 2) instead of 5ms (line 3)$' "$ERR" ||
	check_fail "no line naming both sources: $(grep overrides "$ERR")"
[ "$(budget_of /r2)" = 6ms ] || check_fail "/r2 is '$(budget_of /r2)', want --config's 6ms"
printf 'slos:\n  - cgroup: /r1\n    budget: 1ms\n' > /run/slos/zz.yaml
_end=$(($(now_cs) + SEEN * 100))
until grep -q 'zz.yaml:2: cgroup /r1 is also in /run/slos/pods.yaml:2' "$ERR"; do
	[ "$(now_cs)" -lt $_end ] || { check_fail "the same cgroup in two files was not refused"; break; }
	usleep 100000
done
[ "$(budget_of /r1)" = 3ms ] || check_fail "the refused set changed /r1 to '$(budget_of /r1)'"
rm /run/slos/zz.yaml /run/slos/pods.yaml
expect 5ms $SEEN "the directory's files gone: --config's budget"
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || check_fail "run 3: exit status $SCX_RC"

checks_done
