#!/usr/bin/env bash
# agent-e2e.sh KERNEL [SCENARIO]: the node agent end to end (issue 16).
# The scripted API server (tests/agent/fake_apiserver.py) runs on the host's
# loopback over HTTPS with a certificate for 10.0.2.100 and a bearer token
# made here; the guest reaches it at https://10.0.2.100:6443 (run-vm.sh
# --guest-forward) with the CA and the token copied in (--file), and
# guest/agent-e2e.sh runs scx_slo --slo-dir with scx_slo_agent against it.
# The guest moves the scenario on itself (POST /test/trigger/NAME).
# SCENARIO defaults to tests/vm/agent-e2e.json.  Exit status: run-vm.sh's,
# or 3 when the server cannot be started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/host-lib.sh"
kernel=${1:?usage: agent-e2e.sh KERNEL [SCENARIO]}
scenario=${2:-$here/agent-e2e.json}
die() { echo "agent-e2e: $*" >&2; exit 3; }
server=$top/tests/agent/fake_apiserver.py
[ -f "$server" ] || die "no scripted API server at $server"
command -v openssl >/dev/null || die "openssl is not installed: run tests/setup.sh"

work=$(mktemp -d)
cleanup() {
	if [ -n "${server_pid:-}" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# A CA and a server certificate for the address the guest dials (and
# loopback, for looking at the server by hand).  EC keys: TLS handshakes
# are slow enough under TCG already.
(
	cd "$work"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj /CN=scx-slo-e2e-ca -keyout ca.key -out ca.crt
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj /CN=kubernetes -keyout server.key -out server.csr
	printf 'subjectAltName=IP:10.0.2.100,IP:127.0.0.1,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' > ext
	openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
		-extfile ext -out server.crt
	chmod 0644 ca.crt
) > "$work/openssl.log" 2>&1 || { cat "$work/openssl.log" >&2; die "cannot make the test certificates"; }
# the agent runs as nobody in the guest, like its container: readable token
od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$work/token"
chmod 0644 "$work/token"

port=$(free_port)
python3 "$server" --port "$port" --scenario "$scenario" --cert "$work/server.crt" \
	--key "$work/server.key" --token-file "$work/token" --ready-file "$work/ready" \
	> "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
	[ -e "$work/ready" ] && break
	kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; die "the scripted API server exited"; }
	sleep 0.1
done
[ -e "$work/ready" ] || { cat "$work/server.log" >&2; die "the scripted API server was not ready within 10 s"; }
# the path the guest takes, from the host side: a known bad token is refused
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$work/ca.crt" \
	--resolve "kubernetes.default.svc:$port:127.0.0.1" -H 'Authorization: Bearer wrong' \
	"https://kubernetes.default.svc:$port/api/v1/pods") || true
[ "$code" = 401 ] || [ "$code" = 403 ] ||
	{ cat "$work/server.log" >&2; die "the server answered a bad token with '$code', not 401 or 403"; }
echo "agent-e2e: scripted API server on 127.0.0.1:$port (scenario $(basename "$scenario"))" >&2

rc=0
"$here/run-vm.sh" --kernel "$kernel" --preset 1s1l4c --timeout "${TIMEOUT:-240}" \
	--guest-forward "6443=$port" --file "$work/ca.crt" --file "$work/token" \
	${LOG:+--log "$LOG"} agent-e2e || rc=$?
echo "--- scripted API server log (tail) ---" >&2
tail -n 40 "$work/server.log" >&2
exit "$rc"
