# SLO configuration file, live: a rewrite changes a running cgroup's budget
# (visible in its misses), a bad rewrite is rejected with file:line and the
# SLOs in force stay, cgroups named before they exist get their SLO when
# they appear, and `scx_slo slo` reads and overrides budgets at run time.
#
# The file is a Kubernetes-style ConfigMap mount: slo.yaml -> ..data/slo.yaml,
# ..data -> a timestamped directory that is replaced on update.
cfg=/tmp/cfg
mkdir -p "$cfg/v1"
write_config() { # DIR BUDGET
	mkdir -p "$cfg/$1"
	cat > "$cfg/$1/slo.yaml" <<YAML
default_budget: 100ms
slos:
  - cgroup: /tight
    budget: $2
  - cgroup: /later
    budget: 7ms
YAML
}
write_config v1 100ms
ln -s v1 "$cfg/..data"
ln -s ..data/slo.yaml "$cfg/slo.yaml"
cg_create tight
cg_create batch

# latest cumulative misses of /tight in the live --stats tables
misses_now() { awk '$1 == "/tight" { v = $4 } END { print v + 0 }' "$OUT"; }
wait_log() { # PATTERN: wait up to 10 s for scx_slo to log it
	_n=100
	while [ $_n -gt 0 ]; do
		grep -q "$1" "$ERR" && return 0
		usleep 100000; _n=$((_n - 1))
	done
	fail "scx_slo never logged '$1'"
}
budget_of() { scx_slo slo get "$1" | sed -n 's/.*budget \([^ ,]*\).*/\1/p'; }

start_scx_slo --config "$cfg/slo.yaml" --stats 1
[ "$(budget_of /tight)" = 100ms ] || fail "/tight budget is '$(budget_of /tight)', want 100ms"
if scx_slo slo get /later > /tmp/get.out 2>&1; then fail "/later does not exist yet, but slo get succeeded"; fi
cg_spawn batch stress-ng --cpu "$(nproc)" --timeout 60s -q
stress=$SPAWNED
cg_spawn tight cyclictest --policy=other -t 1 -i 1000 -D 50 -q
probe=$SPAWNED

sleep 8
m1=$(misses_now)
log "100 ms budget: /tight has $m1 misses"

# the ConfigMap update: a new directory, then ..data swapped to it
write_config v2 1ms
ln -sfn v2 "$cfg/..data"
# The swap lands about 10 s after the start, when the watcher's periodic
# check is due too; whichever reads it first names the reload (both apply
# at once).  That inotify alone sees swaps is config-reload's business.
wait_log "applied (\(file changed\|periodic check\))"
[ "$(budget_of /tight)" = 1ms ] || fail "/tight budget is '$(budget_of /tight)' after the rewrite, want 1ms"
sleep 8
m2=$(misses_now)
log "1 ms budget: /tight has $m2 misses"
[ $((m2 - m1)) -gt "$m1" ] || fail "misses did not rise with the 1 ms budget ($m1 -> $m2)"

# a bad rewrite is rejected, naming the line; the 1 ms budget stays
mkdir -p "$cfg/v3"
printf 'slos:\n  - cgroup: /tight\n    budget: 5\n' > "$cfg/v3/slo.yaml"
ln -sfn v3 "$cfg/..data"
wait_log "slo.yaml:3: budget '5': duration needs a unit"
grep "config rejected" "$ERR" | tail -n1
[ "$(budget_of /tight)" = 1ms ] || fail "the bad file changed /tight's budget to '$(budget_of /tight)'"
sleep 4
m3=$(misses_now)
[ "$m3" -gt "$m2" ] || fail "misses stopped after the rejected rewrite ($m2 -> $m3)"

# a cgroup named before it exists gets its SLO when it appears, and loses
# it when it goes away
write_config v4 1ms
ln -sfn v4 "$cfg/..data"
cg_create later
_n=50
until [ "$(budget_of /later)" = 7ms ]; do
	_n=$((_n - 1)); [ $_n -gt 0 ] || fail "/later never got its SLO"; usleep 100000
done
log "/later got its 7ms SLO when it appeared"
rmdir "$CG/later"
wait_log "1 of 2 SLOs in force"
if scx_slo slo list | grep -q '<id'; then fail "the SLO of a removed cgroup is still in the map"; fi
log "/later's SLO went with the cgroup"

# runtime control, and SIGHUP re-applying the file over it
scx_slo slo set /tight 20ms || fail "slo set failed"
[ "$(budget_of /tight)" = 20ms ] || fail "slo set did not take"
scx_slo slo list | grep -q '^/tight .* 20ms$' || fail "slo list does not show the override"
if scx_slo slo set /tight 20ms 300 > /tmp/set.out 2>&1; then fail "slo set accepted the removed WEIGHT argument"; fi
if scx_slo slo set /tight 5 > /tmp/set.out 2>&1; then fail "slo set accepted a unitless budget"; fi
if scx_slo slo del /batch > /tmp/del.out 2>&1; then fail "slo del of a cgroup without an SLO succeeded"; fi
kill -HUP "$SCX_PID"
wait_log "applied (SIGHUP)"
[ "$(budget_of /tight)" = 1ms ] || fail "SIGHUP did not re-apply the file"
scx_slo slo del /tight || fail "slo del failed"
if scx_slo slo list | grep -q '^/tight '; then fail "/tight still listed after slo del"; fi
ls -ld /sys/fs/bpf/scx_slo | grep -q '^drwx------' || fail "pin directory is not root-only"
ls -l /sys/fs/bpf/scx_slo/control | grep -q '^-rw-------' || fail "pinned maps are not root-only"

kill "$probe" "$stress" 2>/dev/null
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || fail "exit status $SCX_RC"
[ ! -e /sys/fs/bpf/scx_slo ] || fail "pins left behind after exit"
scx_slo slo list > /tmp/list.out 2>&1
[ $? -eq 8 ] || fail "slo list with no scheduler: want exit 8"
