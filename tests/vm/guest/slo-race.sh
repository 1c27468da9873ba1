# `scx_slo slo set/del` against the loader's reloads (issue 15).  The CLI
# reads the control word (which budget set BPF reads) and writes it back
# after its change; the loader rewrites the other set and then switches BPF
# to it.  Unserialised, a CLI that read the control word before a switch
# writes the old value back: BPF returns to the previous configuration's
# set, or to the set the loader is already rewriting for the next one.
# Both now flock() the pin directory around their read-modify-write.
#
# Config version K gives every entry, /marker and NC others, budget
# 1000+K us, so a set is whole when it has all NC+1 entries with one
# budget.  Three CLI loops set and delete /web while the file is replaced
# (inotify) and SIGHUPed as fast as the loader applies it (it waits
# for a file to settle for 200 ms); budget_watch
# (tests/race) reads the control word, the set it names and the control
# word again, without the lock, and for every snapshot in which the control
# word did not change, which is what BPF read during it, requires a whole
# set, never an older version than one seen before.
NC=40
RUN_S=30
cfg=/tmp/race.yaml


write_config() { # K (one awk: the shell would write the file too slowly)
	awk -v k="$1" -v n=$NC 'BEGIN {
		printf "slos:\n  - cgroup: /marker\n    budget: %dus\n", 1000 + k
		for (i = 0; i < n; i++)
			printf "  - cgroup: /race/c%d\n    budget: %dus\n", i, 1000 + k
	}' > "$cfg.tmp" && mv "$cfg.tmp" "$cfg"
}

cg_create marker
cg_create web
_i=0
while [ $_i -lt $NC ]; do cg_create "race/c$_i"; _i=$((_i + 1)); done
web_id=$(stat -c %i "$CG/web")
write_config 0
start_scx_slo --config "$cfg"
wait_pinned
[ "$(scx_slo slo get /marker)" = "/marker: budget 1ms" ] || fail "slo get /marker: '$(scx_slo slo get /marker)'"

rm -f /tmp/stop /tmp/cli.fail
(
	k=1
	while [ ! -e /tmp/stop ]; do
		write_config $k
		# a second, forced, reload of the same file: one more switch
		kill -HUP "$SCX_PID"
		echo $k > /tmp/last_k
		k=$((k + 1))
		# the loader applies a file once two reads 200 ms apart agree:
		# faster rewrites would never settle and nothing would switch
		usleep 250000
	done
) &
writer=$!
cli_loop() {
	while [ ! -e /tmp/stop ]; do
		for _c in "set /web 5ms" "del /web"; do
			# shellcheck disable=SC2086 # the command's words
			scx_slo slo $_c > /dev/null 2> /tmp/cli.$1.err
			_rc=$?
			# del after the other loop's del, or after a reload: no SLO of its own
			[ $_rc -eq 0 ] || grep -q 'has no SLO of its own' /tmp/cli.$1.err ||
				echo "slo $_c: exit $_rc: $(cat /tmp/cli.$1.err)" >> /tmp/cli.fail
		done
	done
}
cli_loop 1 &
cli1=$!
cli_loop 2 &
cli2=$!
cli_loop 3 &
cli3=$!

budget_watch $RUN_S $((NC + 1)) "$web_id" > /tmp/watch.out
watch_rc=$?
touch /tmp/stop
wait $writer $cli1 $cli2 $cli3
log "budget_watch: $(cat /tmp/watch.out); configurations up to $(cat /tmp/last_k) written"
[ $watch_rc -eq 0 ] || fail "$(cat /tmp/watch.out)"
stable=$(sed -n 's/.* \([0-9]*\) with a steady control word.*/\1/p' /tmp/watch.out)
[ "${stable:-0}" -ge 100 ] || fail "only ${stable:-0} usable snapshots"
[ ! -s /tmp/cli.fail ] || { head -n 5 /tmp/cli.fail; fail "$(wc -l < /tmp/cli.fail) slo commands failed"; }
grep -q 'not applied' "$ERR" && fail "a reload was not applied: $(grep 'not applied' "$ERR" | head -n 1)"
applied=$(grep -c 'applied' "$ERR")
log "$applied configurations applied"
[ "$applied" -ge 20 ] || fail "only $applied reloads: the race was not exercised"

# the last file wins once everyone is quiet
last=$(($(cat /tmp/last_k) + 1))
write_config $last
kill -HUP "$SCX_PID"
sleep 1
[ "$(scx_slo slo get /marker)" = "/marker: budget $((1000 + last))us" ] ||
	fail "after the last reload: '$(scx_slo slo get /marker)', want $((1000 + last))us"

# The same, made deterministic: hold the lock from outside (util-linux
# flock on the pin directory) for 1.8 s.  A reload asked for meanwhile
# publishes nothing until it is released, and a command waits for it.
# Before, the reload switched at once and the command did not wait.
rm -f /tmp/released
/usr/bin/flock "$PIN" sh -c 'sleep 1.8; : > /tmp/released' &
holder=$!
usleep 200000
g0=$(budget_watch generation)
write_config $((last + 1))
kill -HUP "$SCX_PID"
usleep 300000
g1=$(budget_watch generation)
[ ! -e /tmp/released ] || fail "the lock was released before the checks (a slow boot?)"
[ "$g1" = "$g0" ] || fail "the loader published a set while the lock was held (generation $g0 -> $g1)"
scx_slo slo set /web 9ms || fail "slo set under the held lock: exit $?"
[ -e /tmp/released ] || fail "slo set did not wait for the lock"
wait $holder
log "lock held from outside: no reload published (generation $g0), slo set waited"
sleep 1
[ "$(scx_slo slo get /marker)" = "/marker: budget $((1001 + last))us" ] ||
	fail "after the lock: '$(scx_slo slo get /marker)', want $((1001 + last))us"
grep -q 'not applied' "$ERR" && fail "a reload was not applied: $(grep 'not applied' "$ERR" | head -n 1)"
kill -0 "$SCX_PID" || fail "scx_slo exited"
stop_scx_slo > /dev/null
[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC"
