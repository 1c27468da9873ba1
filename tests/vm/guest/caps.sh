# Least privilege (issue 15): the loader with exactly the capabilities the
# DaemonSet adds (read from deploy/kustomize/base/daemonset.yaml, which
# tests/deploy holds equal to the Helm chart's) and nothing else, no new
# privileges, in the mount view the pod has (a fresh read-only sysfs, the
# host's cgroup2 read-only, bpffs read-write, no /sys/kernel from the
# host), loads, serves metrics, pins its maps, and its
# `scx_slo slo` and `scx_slo health` work with the same set (and `slo`
# still refuses a killed loader's pins); without any one of those
# capabilities it cannot load.
caps=$(awk '/^ *add:$/ { on = 1; next } on && /^ *#/ { next } on && /^ *- / { print $2; next } on { exit }' \
	/daemonset.yaml | tr 'A-Z' 'a-z' | sed 's/^/cap_/' | sort | paste -sd, -)
[ -n "$caps" ] || fail "no capability list found in the DaemonSet"
log "the DaemonSet's capabilities: $caps"

# with_caps LIST CMD...: CMD as root holding exactly LIST (bounding,
# inheritable, hence permitted and effective; no ambient), no new privileges
with_caps() {
	_l=$(echo "$1" | sed 's/cap_//g; s/,/,+/g'); shift
	/usr/bin/setpriv --inh-caps=-all,+"$_l" --bounding-set=-all,+"$_l" --no-new-privs -- "$@"
}
# decoded CapEff of the process that runs it
cap_names() { capsh --decode="$(awk '/^CapEff:/ { print $2 }' "$1")" | sed 's/.*=//' | tr , '\n' | sort | paste -sd, -; }

got=$(with_caps "$caps" cat /proc/self/status > /tmp/status && cap_names /tmp/status)
[ "$got" = "$caps" ] || fail "setpriv gave '$got', want '$caps'"

# The pod's mounts, in a mount namespace of their own.
cat > /tmp/pod.sh <<'EOF'
set -e
caps=$1; shift
mkdir -p /mnt/cg /mnt/bpf
mount --bind /sys/fs/cgroup /mnt/cg
mount --bind /sys/fs/bpf /mnt/bpf
# (the kernel refuses a filesystem over its own root: cover it first)
mount -t tmpfs tmpfs /sys
mount -t sysfs sysfs /sys
mount -o remount,bind,ro /sys
mount --bind /mnt/cg /sys/fs/cgroup
mount -o remount,bind,ro /sys/fs/cgroup
mount --bind /mnt/bpf /sys/fs/bpf
umount /mnt/cg /mnt/bpf
l=$(echo "$caps" | sed 's/cap_//g; s/,/,+/g')
exec /usr/bin/setpriv --inh-caps=-all,+"$l" --bounding-set=-all,+"$l" --no-new-privs -- "$@"
EOF
# in_pod CAPS CMD...
in_pod() { _c=$1; shift; unshare -m sh /tmp/pod.sh "$_c" "$@"; }

in_pod "$caps" sh -c 'ls -A /sys/kernel/debug | wc -l; touch /sys/fs/cgroup/x 2>&1; ls /sys/kernel/sched_ext/state /sys/kernel/btf/vmlinux' > /tmp/view 2>&1
log "pod view: $(tr '\n' ' ' < /tmp/view)"
[ "$(head -n1 /tmp/view)" = 0 ] || fail "debugfs is visible in the pod's view"
grep -q 'Read-only file system' /tmp/view || fail "the pod's /sys/fs/cgroup is writable"
grep -q '^/sys/kernel/btf/vmlinux$' /tmp/view || fail "no BTF in the pod's own sysfs"

cg_create caps-test
: > "$OUT"; : > "$ERR"
# shellcheck disable=SC2086 # the extra args split on purpose
in_pod "$caps" scx_slo $SCX_SLO_ARGS --slo /=20ms --metrics 127.0.0.1:9464 > "$OUT" 2> "$ERR" &
SCX_PID=$!
wait_state enabled 300 || fail "not attached with the DaemonSet's capabilities (state $(sched_state))"
usleep 500000
pid=$(pidof scx_slo)
cap_names "/proc/$pid/status" > /tmp/loader.caps
log "loader (pid $pid) attached, CapEff $(cat /tmp/loader.caps), $(awk '/^CapBnd:/ { print "CapBnd " $2 }' "/proc/$pid/status")"
[ "$(cat /tmp/loader.caps)" = "$caps" ] || fail "the loader holds '$(cat /tmp/loader.caps)', want '$caps'"
[ "$(sched_ops)" = slo ] || fail "ops '$(sched_ops)', want slo"
wget -q -O /tmp/m.txt http://127.0.0.1:9464/metrics || fail "/metrics not served"
grep -q '^scx_slo_info{' /tmp/m.txt || fail "/metrics has no scx_slo_info"
ls /sys/fs/bpf/scx_slo | sort | paste -sd' ' - > /tmp/pins
log "pins: $(cat /tmp/pins)"
[ -n "$(cat /tmp/pins)" ] || fail "no maps pinned in /sys/fs/bpf/scx_slo"
# kubectl exec runs with the container's capabilities
in_pod "$caps" scx_slo slo set /caps-test 7ms || fail "scx_slo slo set with the DaemonSet's capabilities failed"
in_pod "$caps" scx_slo slo list | grep -q '^/caps-test .*7ms' || fail "scx_slo slo list does not show the budget set"
in_pod "$caps" scx_slo health > /tmp/health 2>&1 || fail "scx_slo health fails: $(cat /tmp/health)"
log "$(cat /tmp/health)"
kill -TERM "$pid"
wait "$SCX_PID"; rc=$?
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM, want 0"
wait_state disabled 50 || fail "not detached"

# Pins left by a killed loader: with the same capabilities (no walking
# of BPF links without CAP_SYS_ADMIN) `scx_slo slo` still refuses them.
# shellcheck disable=SC2086 # the extra args split on purpose
in_pod "$caps" scx_slo $SCX_SLO_ARGS --slo /=20ms > "$OUT" 2> "$ERR" &
SCX_PID=$!
wait_state enabled 300 || fail "not attached the second time"
wait_for_pins=50
while [ $wait_for_pins -gt 0 ] && [ ! -e /sys/fs/bpf/scx_slo/ops ]; do usleep 100000; wait_for_pins=$((wait_for_pins - 1)); done
kill -KILL "$(pidof scx_slo)"; wait "$SCX_PID" 2>/dev/null
wait_state disabled 50 || fail "not detached after SIGKILL"
in_pod "$caps" scx_slo slo list > /dev/null 2> /tmp/stale.err; rc=$?
log "stale pins, DaemonSet's capabilities: exit $rc: $(cat /tmp/stale.err)"
[ "$rc" -eq 8 ] || fail "scx_slo slo list on a killed loader's pins exited $rc, want 8"

# Each capability is needed: without it the loader cannot load (it exits
# with one line and never attaches).
for drop in $(echo "$caps" | tr , ' '); do
	less=$(echo "$caps" | tr , '\n' | grep -vx "$drop" | paste -sd, -)
	in_pod "${less:-cap_chown}" scx_slo --slo /=20ms > /dev/null 2> /tmp/drop.err &
	p=$!
	n=0
	while [ $n -lt 300 ] && kill -0 $p 2>/dev/null && [ "$(sched_state)" = disabled ]; do
		usleep 100000; n=$((n + 1))
	done
	if [ "$(sched_state)" != disabled ]; then
		kill -TERM "$(pidof scx_slo)"; wait $p
		fail "attached without $drop"
	fi
	kill -0 $p 2>/dev/null && { kill -TERM "$(pidof scx_slo)"; wait $p; fail "without $drop: still running after 30 s"; }
	wait $p; rc=$?
	[ "$rc" -ne 0 ] || fail "without $drop: exit 0"
	log "without $drop: exit $rc: $(tail -n1 /tmp/drop.err)"
done
