# The node agent end to end (issue 16), run by tests/vm/agent-e2e.sh: the
# scripted API server of tests/vm/agent-e2e.json answers on the host, at
# https://10.0.2.100:6443 from here, with its CA and the agent's token in
# /host.  Two kubelet-shaped pod cgroups (systemd driver, Burstable):
# "tight", annotated scx-slo.io/latency-budget=1ms, and "plain", without.
# scx_slo runs as the DaemonSet runs it (--config for the rest, --slo-dir
# for the agent's file) and scx_slo_agent as its container does (nobody,
# --namespace-defaults, the same output path).  Then:
#   1. the agent writes tight's entry and the loader applies it: 1ms for
#      tight, nothing of its own for plain;
#   2. under a CPU load in both pods, tight misses its budget, plain (5s
#      from the configuration's default) does not;
#   3. the annotation changes to 5ms (a MODIFIED event): the budget in
#      force follows within 2 s;
#   4. the pod is deleted (a DELETED event): its entry is gone, from the
#      file and from the scheduler, within 2 s.
API=https://10.0.2.100:6443
NODE=e2e-node
SLOS=/run/scx-slo/slos
KP=/kubepods.slice/kubepods-burstable.slice
TIGHT=$KP/kubepods-burstable-pod6f1c2a3e_8d4b_4f0e_9a51_2b7c3d4e5f60.slice
PLAIN=$KP/kubepods-burstable-pod0b9e7c55_1d2a_4c3b_8e4f_5a6b7c8d9e0f.slice
# each pod's one container, where its processes run
CTR=cri-containerd-4f1d0c2b9a8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170f.scope
AGENT_ERR=/tmp/agent.err

agent_fail() {
	echo "--- scx_slo_agent stderr ---"
	tail -n 30 "$AGENT_ERR" 2>/dev/null
	echo "--- $SLOS/pods.yaml ---"
	cat "$SLOS/pods.yaml" 2>/dev/null
	fail "$@"
}
# slo_budget PATH: the budget in force for PATH's own entry ("none": it has none)
slo_budget() {
	_o=$(scx_slo slo get "$1" 2>&1) || { echo "error: $_o"; return; }
	case $_o in
	*", inherited from "* | *", the default ("*) echo none ;;
	*": budget "*) echo "${_o##*: budget }" ;;
	*) echo "unexpected: $_o" ;;
	esac
}
# wait_budget PATH WANT MS: until PATH's budget is WANT, at most MS
# milliseconds; WAITED is how long it took, BUDGET the last one seen
wait_budget() {
	_t0=$(uptime_ms)
	while :; do
		BUDGET=$(slo_budget "$1")
		WAITED=$(($(uptime_ms) - _t0))
		[ "$BUDGET" = "$2" ] && return 0
		[ "$WAITED" -lt "$3" ] || return 1
		kill -0 "$AGENT_PID" 2>/dev/null || agent_fail "scx_slo_agent exited"
		kill -0 "$SCX_PID" 2>/dev/null || fail "scx_slo exited"
		usleep 50000
	done
}
# trigger NAME: move the scripted server's scenario on
trigger() {
	curl -sSf --max-time 20 --cacert /host/ca.crt -X POST "$API/test/trigger/$1" > /dev/null ||
		agent_fail "POST /test/trigger/$1 failed"
}
# metric NAME CGROUP: a per-cgroup sample of /tmp/metrics.txt
metric() { awk -v s="$1{cgroup=\"$2\"}" '$1 == s { print $2 }' /tmp/metrics.txt; }

command -v scx_slo_agent > /dev/null || fail "scx_slo_agent is not in the initramfs"
[ -r /host/ca.crt ] && [ -r /host/token ] || fail "no /host/ca.crt or /host/token (run by tests/vm/agent-e2e.sh)"
for pod in "$TIGHT" "$PLAIN"; do cg_create "$pod/$CTR"; done
# the path to the host: the scripted server through QEMU's guestfwd
curl -sSf --max-time 20 --cacert /host/ca.crt "$API/healthz" > /dev/null ||
	fail "the scripted API server is not reachable at $API"

# The pod's emptyDir, as the kubelet makes it (world-writable), and the
# ConfigMap's part: everything without an SLO gets 5s, far above the
# worst wakeup delay of a saturated TCG guest (335 ms seen).
mkdir -p "$SLOS" && chmod 0777 "$SLOS"
printf 'default_budget: 5s\nslos: []\n' > /tmp/slo.yaml
start_scx_slo --config /tmp/slo.yaml --slo-dir "$SLOS" --metrics 127.0.0.1:9464
wait_pinned

as_nobody scx_slo_agent --node "$NODE" --api-server "$API" --token-file /host/token \
	--ca-file /host/ca.crt --cgroup-root /sys/fs/cgroup --output "$SLOS/pods.yaml" \
	--metrics 127.0.0.1:9181 --namespace-defaults > /tmp/agent.out 2> "$AGENT_ERR" &
AGENT_PID=$!

# 1. The annotated pod's budget, through the agent's file and the loader.
# The first list takes a TLS handshake and a few round trips under TCG.
wait_budget "$TIGHT" 1ms 30000 || agent_fail "tight's budget is '$BUDGET' after 30 s, want 1ms"
log "tight: budget 1ms in force $WAITED ms after the agent started"
grep -q "cgroup: $TIGHT\$" "$SLOS/pods.yaml" || agent_fail "tight's cgroup is not in $SLOS/pods.yaml"
grep -q "$PLAIN" "$SLOS/pods.yaml" && agent_fail "plain, without an annotation, has an entry"
b=$(slo_budget "$PLAIN")
[ "$b" = none ] || fail "plain has a budget of its own: '$b'"
health=$(wget -q -O - http://127.0.0.1:9181/healthz) || agent_fail "the agent's /healthz is not 200"
log "agent /healthz: $health"

# 2. A CPU load in both pods: plain saturates every CPU, tight wakes up
# every millisecond.
cg_spawn "$PLAIN/$CTR" stress-ng --cpu "$(nproc)" --timeout 30s -q
stress=$SPAWNED
sleep 2
cg_run "$TIGHT/$CTR" cyclictest --policy=other -t 1 -i 1000 -D 8 -q || fail "cyclictest failed"
kill "$stress"
wait "$stress"
sleep 2	# /metrics is refreshed every second
wget -q -O /tmp/metrics.txt http://127.0.0.1:9464/metrics || fail "/metrics not served"
t_runs=$(metric scx_slo_cgroup_runs_total "$TIGHT/$CTR")
t_miss=$(metric scx_slo_cgroup_deadline_misses_total "$TIGHT/$CTR")
p_runs=$(metric scx_slo_cgroup_runs_total "$PLAIN/$CTR")
p_miss=$(metric scx_slo_cgroup_deadline_misses_total "$PLAIN/$CTR")
log "tight: runs $t_runs, misses $t_miss; plain: runs $p_runs, misses $p_miss"
[ "${t_runs:-0}" -gt 100 ] || fail "tight ran only ${t_runs:-0} times"
[ "${p_runs:-0}" -gt 100 ] || fail "plain ran only ${p_runs:-0} times"
[ "${t_miss:-0}" -gt 0 ] || fail "tight (1ms) shows no misses under saturation"
[ "${p_miss:-x}" = 0 ] || fail "plain (5s) shows ${p_miss:-no} misses, want 0"

# 3. The annotation changes: the budget follows within 2 s.
trigger change-budget
wait_budget "$TIGHT" 5ms 2000 || agent_fail "tight's budget is '$BUDGET' 2 s after the annotation changed to 5ms"
log "tight: budget 5ms in force $WAITED ms after the annotation changed"

# 4. The pod is deleted (its cgroup stays for now, as it does until the
# kubelet removes it): its entry goes.
trigger delete-pod
wait_budget "$TIGHT" none 2000 || agent_fail "tight still has budget '$BUDGET' 2 s after it was deleted"
log "tight: entry gone $WAITED ms after the pod was deleted"
grep -q "$TIGHT" "$SLOS/pods.yaml" && agent_fail "tight is still in $SLOS/pods.yaml"
grep -q '^slos: \[\]' "$SLOS/pods.yaml" || agent_fail "$SLOS/pods.yaml is not 'slos: []' with no annotated pod left"

kill -0 "$AGENT_PID" 2>/dev/null || agent_fail "scx_slo_agent exited"
kill "$AGENT_PID"
wait "$AGENT_PID"
log "scx_slo_agent exited with $? on SIGTERM"
stop_scx_slo
[ "$SCX_RC" -eq 0 ] || fail "scx_slo exit status $SCX_RC"
