#!/usr/bin/env bash
# prometheus.sh KERNEL: a real Prometheus on the host's loopback scrapes
# scx_slo running under load in the VM (guest/metrics.sh, port-forwarded).
# A PromQL query must find a non-zero miss counter for the overloaded
# 1 ms-budget cgroup and zero for an idle one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/host-lib.sh"
kernel=$1
command -v prometheus >/dev/null || { echo "prometheus.sh: prometheus is not installed: run tests/setup.sh" >&2; exit 1; }

work=$(mktemp -d)
cleanup() {
	[ -n "${prom_pid:-}" ] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
	[ -n "${vm_pid:-}" ] && kill "$vm_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

guest_port=$(free_port)
prom_port=$(free_port)
cat > "$work/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: scx_slo
    static_configs:
      - targets: ["127.0.0.1:$guest_port"]
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
	--web.listen-address="127.0.0.1:$prom_port" > "$work/prometheus.log" 2>&1 &
prom_pid=$!

"$here/run-vm.sh" --kernel "$kernel" --preset 1s1l4c --timeout 300 \
	--forward "$guest_port" --log "${LOG:-$work/console.log}" metrics &
vm_pid=$!

query() { # PROMQL: the first sample's value, or empty
	curl -sf --get "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty'
}
tight= idle= ok=
for _ in $(seq 1 90); do
	sleep 2
	kill -0 "$vm_pid" 2>/dev/null || break
	tight=$(query 'scx_slo_cgroup_deadline_misses_total{cgroup="/tight"}' || true)
	idle=$(query 'scx_slo_cgroup_deadline_misses_total{cgroup="/idle"}' || true)
	idle_runs=$(query 'scx_slo_cgroup_runs_total{cgroup="/idle"}' || true)
	if [ -n "$tight" ] && [ -n "$idle" ] && [ -n "$idle_runs" ] &&
	   awk -v t="$tight" -v i="$idle" -v r="$idle_runs" 'BEGIN { exit !(t > 0 && i == 0 && r > 0) }'; then
		ok=1
		break
	fi
done
echo "prometheus.sh: PromQL: /tight misses ${tight:-none}, /idle misses ${idle:-none} (runs ${idle_runs:-none})"
up=$(query 'up{job="scx_slo"}' || true)
vm_rc=0
wait "$vm_pid" || vm_rc=$?
vm_pid=
[ -n "$ok" ] || { echo "prometheus.sh: FAIL: Prometheus never saw misses for /tight and none for /idle (up=$up)"; tail -5 "$work/prometheus.log"; exit 1; }
[ "$vm_rc" -eq 0 ] || { echo "prometheus.sh: FAIL: the guest test failed ($vm_rc)"; exit 1; }
echo "prometheus.sh: PASS"
